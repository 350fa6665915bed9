package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// A role that trusts a SAML provider is not necessarily an agents' role:
// a billing read-only role or a partner's view-only role is signed in to
// the console through the same providers. The audit judges a role for
// Connect (and may propose widening its access) only when the evidence
// says it is meant for Connect:
//
//   - CloudTrail shows connect:GetFederationToken made with it;
//   - the IdP sends it to Connect users (a capture's Role attribute, the
//     role column of an assignment export): Input.ConnectRoles;
//   - its policies name Connect (a connect: action, or a Connect ARN).
//
// Any other role is reported at most as information.

// roleKey is what tells roles apart: partition, account and name (a
// role's path is not part of the session's ARN).
func roleKey(arn string) string {
	if r, err := awsarn.ParseRole(arn); err == nil {
		return r.Partition + ":" + r.Account + ":" + r.Name
	}
	if strings.Contains(arn, ":assumed-role/") {
		// A session's role: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
		parts := strings.Split(arn, ":")
		if len(parts) >= 6 {
			name, _, _ := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
			return parts[1] + ":" + parts[4] + ":" + name
		}
	}
	return arn
}

// connectRoles finds, for every role the evidence knows, why it is a
// Connect role ("" when nothing says so); known are the roles that trust
// a SAML provider in the IAM data (the ones the evidence can say are not
// Connect roles).
func (a *run) connectRoles() {
	a.connect, a.notConnect = map[string]string{}, map[string]bool{}
	if t := a.in.Trail; t != nil {
		for role, src := range t.fed {
			a.connect[roleKey(role)] = "CloudTrail shows connect:GetFederationToken made with it (" + src.String() + ")"
		}
	}
	idpRoles := []map[string]string{a.in.ConnectRoles}
	if a.in.IdPUsers != nil {
		idpRoles = append(idpRoles, a.in.IdPUsers.Roles)
	}
	if a.in.Assignments != nil {
		idpRoles = append(idpRoles, a.in.Assignments.Roles)
	}
	for _, m := range idpRoles {
		for _, role := range sortedNames(m) {
			if k := roleKey(role); a.connect[k] == "" {
				a.connect[k] = "the IdP sends it to Connect users (" + m[role] + ")"
			}
		}
	}
	for _, ro := range a.in.AWS.Roles {
		if ro.Trust == nil || ro.ARN == "" || !trustsSAML(ro) {
			continue
		}
		k := roleKey(ro.ARN)
		if a.connect[k] != "" {
			continue
		}
		if why := namesConnect(ro, a.in.AWS.Policies); why != "" {
			a.connect[k] = why
			continue
		}
		a.notConnect[k] = true
	}
}

// isConnect reports whether the evidence says role is a Connect role.
func (a *run) isConnect(role string) bool { return a.connect[roleKey(role)] != "" }

// knownNotConnect reports whether role is one the IAM data holds, trusting
// a SAML provider, with nothing saying it is meant for Connect.
func (a *run) knownNotConnect(role string) bool { return role != "" && a.notConnect[roleKey(role)] }

// namesConnect says which of a role's policies names Amazon Connect (an
// Allow of a connect: action, or a resource or condition naming a Connect
// ARN), or "".
func namesConnect(ro *evidence.Role, managed map[string]*evidence.ManagedPolicy) string {
	type doc struct {
		name string
		p    *iampolicy.Policy
	}
	var docs []doc
	for name, p := range ro.Inline {
		docs = append(docs, doc{"inline policy " + name, p})
	}
	for _, ap := range ro.Attached {
		if mp := managed[ap.ARN]; mp != nil {
			docs = append(docs, doc{"policy " + ap.ARN, mp.Default()})
		}
	}
	slices.SortFunc(docs, func(x, y doc) int { return strings.Compare(x.name, y.name) })
	for _, d := range docs {
		if d.p == nil {
			continue
		}
		for _, st := range d.p.Statements {
			if st.Effect != "Allow" {
				continue
			}
			for _, act := range st.Action {
				if strings.HasPrefix(strings.ToLower(act), "connect:") {
					return fmt.Sprintf("its %s allows %s", d.name, act)
				}
			}
			vals := slices.Clone(st.Resource)
			for _, keys := range st.Condition {
				for _, v := range keys {
					vals = append(vals, v...)
				}
			}
			for _, v := range vals {
				if strings.Contains(v, ":connect:") {
					return fmt.Sprintf("its %s names %s", d.name, v)
				}
			}
		}
	}
	return ""
}

// notForConnect reports the roles that trust a SAML provider but that
// nothing shows used for Connect: they are not judged for Connect (a
// console role needs no connect:GetFederationToken, and granting it one
// would widen its access).
func (a *run) notForConnect() {
	var aff []Affected
	var ev []diagnose.Evidence
	for _, ro := range a.in.AWS.Roles {
		if ro.ARN == "" || !a.knownNotConnect(ro.ARN) {
			continue
		}
		aff = append(aff, Affected{Kind: "role", Name: ro.ARN})
		if len(ev) < maxListed {
			ev = append(ev, diagnose.Evidence{What: "role " + lastPart(ro.ARN) + " trusts " + strings.Join(providerNames(samlProviders(ro)), ", "),
				Value: "no GetFederationToken with it in CloudTrail, not sent to Connect users by the IdP, no policy naming Connect", Where: ro.Source.String()})
		}
	}
	if len(aff) == 0 {
		return
	}
	a.add(Finding{ID: "iam.role_not_for_connect", Severity: diagnose.Info,
		Title:    fmt.Sprintf("%s a SAML provider but nothing shows %s used for Connect: not judged for Connect sign-in", plural(len(aff), "role trusts", "roles trust"), map[bool]string{true: "it", false: "them"}[len(aff) == 1]),
		Affected: aff, Evidence: ev,
		Fix: &diagnose.Fix{Summary: "Nothing to change for Connect. If one of these roles is meant for agents, say so with the evidence (CloudTrail with its GetFederationToken calls, a capture of an agent's sign-in, or the IdP's assignment export with its role column) and audit again.",
			Check: &fix.Check{Result: fix.NotChecked, Why: "a role's purpose is the administrator's to say; samldoctor proposes no access for a role without evidence it is meant for Connect"}}})
}

func providerNames(arns []string) []string {
	out := make([]string, len(arns))
	for i, p := range arns {
		out[i] = lastPart(p)
	}
	return out
}
