package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/nearname"
)

// federationAction is what Connect calls as the role after sign-in.
const federationAction = "connect:GetFederationToken"

// rolePolicy is one identity policy of the role, with where it lives.
type rolePolicy struct {
	name    string // inline name, or managed ARN
	managed bool
	doc     *iampolicy.Policy
}

func (p rolePolicy) label() string {
	if p.managed {
		return "managed policy " + p.name
	}
	return "inline policy " + p.name
}

// federationPolicyDoc is the documented permission policy, with the real
// Region, account and instance.
func (r *run) federationPolicyDoc() *iampolicy.Policy {
	return &iampolicy.Policy{Version: "2012-10-17", Statements: []iampolicy.Statement{iampolicy.NewStatement(iampolicy.Statement{
		Sid:      "AllowConnectFederation",
		Effect:   "Allow",
		Action:   []string{federationAction},
		Resource: []string{awsarn.ConnectUserARN(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.Account, "ACCOUNT-ID"), orX(r.subject.InstanceID, "INSTANCE-ID"), "${aws:userid}")},
	})}}
}

// federationRequest is connect:GetFederationToken as Connect makes it for
// this sign-in.
func (r *run) federationRequest(ro *evidence.Role, roleID string) iampolicy.Request {
	ctx := iampolicy.NewContext()
	ctx.Set("aws:userid", roleID+":"+r.subject.RoleSessionName)
	ctx.SetAbsent("aws:username")
	ctx.Set("connect:InstanceId", r.subject.InstanceID)
	ctx.Set("aws:RequestedRegion", r.subject.Region)
	ctx.Set("aws:PrincipalArn", ro.ARN)
	ctx.Set("aws:PrincipalAccount", r.subject.Account)
	ctx.Set("aws:PrincipalType", "AssumedRole")
	if r.awsView != nil {
		for _, t := range r.awsView.PrincipalTags {
			ctx.Set("aws:PrincipalTag/"+t.Key, t.Values...)
		}
		if r.awsView.SourceIdentity == "" {
			ctx.SetAbsent("aws:SourceIdentity")
		} else {
			// The session carries the SourceIdentity the assertion set.
			ctx.Set("aws:SourceIdentity", r.awsView.SourceIdentity)
		}
	}
	if !r.subject.At.IsZero() {
		ctx.Set("aws:CurrentTime", r.subject.At.UTC().Format("2006-01-02T15:04:05Z"))
		ctx.Set("aws:EpochTime", fmt.Sprint(r.subject.At.Unix()))
	}
	return iampolicy.Request{Action: federationAction, Resource: r.userARN(roleID), Context: ctx}
}

// checkFederation evaluates the role's identity policies for
// connect:GetFederationToken (S5).
func (r *run) checkFederation() {
	ro := r.role
	if ro == nil || r.subject.InstanceID == "" || r.subject.Region == "" || r.subject.Account == "" || r.subject.RoleSessionName == "" {
		return
	}
	if !ro.InlineComplete && !ro.AttachedComplete {
		return
	}
	var policies []rolePolicy
	var missing, names []string
	for _, n := range slices.Sorted(maps.Keys(ro.Inline)) {
		if p := ro.Inline[n]; p != nil {
			policies = append(policies, rolePolicy{name: n, doc: p})
			names = append(names, "inline "+n)
		} else {
			missing = append(missing, "inline policy "+n)
		}
	}
	for _, ap := range ro.Attached {
		if mp := r.aws.Policies[ap.ARN]; mp != nil && mp.Default() != nil {
			policies = append(policies, rolePolicy{name: ap.ARN, managed: true, doc: mp.Default()})
			names = append(names, ap.ARN)
		} else {
			missing = append(missing, "managed policy "+ap.ARN)
		}
	}
	if !ro.InlineComplete {
		missing = append(missing, "the role's inline policies (list-role-policies)")
	}
	if !ro.AttachedComplete {
		missing = append(missing, "the role's attached policies (list-attached-role-policies)")
	}
	roleID, idKnown := ro.ID, ro.ID != ""
	if !idKnown {
		roleID = "AROA-ROLE-ID"
	}
	req := r.federationRequest(ro, roleID)
	named := make([]iampolicy.Named, len(policies))
	for i, p := range policies {
		named[i] = iampolicy.Named{Name: p.label(), Policy: p.doc}
	}
	res := iampolicy.Evaluate(named, req)
	if ro.PermissionsBoundary != "" {
		if mp := r.aws.Policies[ro.PermissionsBoundary]; mp != nil && mp.Default() != nil {
			b := iampolicy.Evaluate([]iampolicy.Named{{Name: "permissions boundary " + ro.PermissionsBoundary, Policy: mp.Default()}}, req)
			res = iampolicy.Intersect(res, b)
		} else {
			missing = append(missing, "the permissions boundary "+ro.PermissionsBoundary)
		}
	}
	if len(missing) == 0 {
		r.covered[catalog.StageFederation] = true
	}
	defer func() { r.compareSimulation(res.Decision) }()
	checked := Evidence{What: "identity policies evaluated for connect:GetFederationToken on " + r.userARN(roleID), Value: strings.Join(names, ", "), Where: ro.Source.String()}
	if !idKnown {
		checked.Value += " (the role ID is not in the evidence; aws:userid uses a placeholder)"
	}
	switch res.Decision {
	case iampolicy.ExplicitDeny:
		var ev []Evidence
		for _, d := range res.Deny {
			ev = append(ev, Evidence{What: "explicit Deny", Value: d.String(), Where: ro.Source.String()})
		}
		f := Finding{ID: "iam.federation_token_denied", Severity: Error,
			Title:    fmt.Sprintf("A Deny in role %s's policies blocks connect:GetFederationToken", ro.Name),
			Detail:   "An explicit Deny wins over any Allow; Connect answers \"Access denied, Please contact your AWS account administrator\".",
			Evidence: append([]Evidence{checked}, ev...), Explains: []string{"connect.access_denied_admin"}}
		f.Fix = r.denyFix(ro, policies, res.Deny[0], req)
		r.add(f)
	case iampolicy.ImplicitDeny:
		if len(missing) > 0 {
			r.add(Finding{ID: "iam.federation_token_undetermined", Severity: Warning,
				Title:    fmt.Sprintf("No policy known so far lets role %s call connect:GetFederationToken, but some of its policies are missing", ro.Name),
				Evidence: []Evidence{checked, {What: "not in the evidence", Value: strings.Join(missing, "; "), Where: "--aws-data"}},
				Explains: []string{"connect.access_denied_admin"},
				Fix: &Fix{Summary: "Pass every policy of the role so the check can be settled.",
					Reads: rolePolicyCommands(ro.ARN)}})
			return
		}
		f := Finding{ID: "iam.federation_token_denied", Severity: Error,
			Title:    fmt.Sprintf("Role %s may not call connect:GetFederationToken for instance %s", ro.Name, r.subject.InstanceID),
			Detail:   "After AWS sign-in, Connect calls connect:GetFederationToken as the role on arn:...:instance/ID/user/${aws:userid}; no policy of the role allows it, so Connect answers \"Access denied, Please contact your AWS account administrator\".",
			Evidence: []Evidence{checked}, Explains: []string{"connect.access_denied_admin"}}
		add := r.newFix(fmt.Sprintf("Allow role %s to call connect:GetFederationToken for its users in instance %s.", ro.Name, r.subject.InstanceID), fix.PutRolePolicy{Role: ro.Name, Policy: unusedPolicyName(ro), Document: r.federationPolicyDoc()})
		if pair, why, ok := r.preferredRole(); ok {
			// Another role works, or Connect bound the user to it: adding
			// the permission here would only move the failure to "Bad
			// Request".
			f.Evidence = append(f.Evidence, why)
			f.Fix = r.newFix(fmt.Sprintf("Send the agent the role that works, %s, rather than giving role %s the permission.", pair, ro.Name), fix.SendRoles{Roles: []string{pair}})
			f.Alternatives = []Fix{*add}
		} else if nm, ok := r.federationNearMiss(policies, req); ok {
			f.Title = fmt.Sprintf("Statement %d of %s would allow connect:GetFederationToken for instance %s, but it names %s", nm.change.Statement, nm.policy.label(), r.subject.InstanceID, nm.why)
			f.Detail += " The statement meant to allow it is wrong in one detail, so no statement allows it."
			f.Evidence = append(f.Evidence, Evidence{What: fmt.Sprintf("statement %d of %s", nm.change.Statement, nm.policy.label()), Value: nm.was, Where: ro.Source.String()})
			f.Fix = r.newFix(fmt.Sprintf("Correct statement %d of %s in place (%s), rather than adding another policy.", nm.change.Statement, nm.policy.label(), nm.change.Edit), nm.change)
			f.Alternatives = []Fix{*add}
		} else {
			f.Fix = add
		}
		r.add(f)
	case iampolicy.Undetermined:
		r.add(Finding{ID: "iam.federation_token_undetermined", Severity: Warning,
			Title:    fmt.Sprintf("Whether role %s may call connect:GetFederationToken cannot be settled offline", ro.Name),
			Evidence: []Evidence{checked, {What: "undetermined", Value: strings.Join(res.Reasons(), "; "), Where: ro.Source.String()}},
			Explains: []string{"connect.access_denied_admin"},
			Fix:      &Fix{Summary: "Check with IAM's policy simulator, which knows the live context: " + r.simulateCommand(roleID)}})
	case iampolicy.Allowed:
		if r.symptoms["connect.access_denied_admin"] {
			var al []string
			for _, a := range res.Allow {
				al = append(al, a.String())
			}
			r.add(Finding{ID: "iam.federation_token_allowed", Severity: Info,
				Title:    fmt.Sprintf("Role %s's own policies allow connect:GetFederationToken", ro.Name),
				Evidence: []Evidence{checked, {What: "allowed by", Value: strings.Join(al, ", "), Where: ro.Source.String()}},
				Fix:      &Fix{Summary: "Check the organization's SCPs for connect:GetFederationToken or a Region restriction; IAM's simulator includes SCPs: " + r.simulateCommand(roleID)}})
		}
	}
}

// nearMiss is an Allow statement that fails the request only on a detail.
type nearMiss struct {
	policy rolePolicy
	change fix.EditStatement
	was    string // the statement's Action and Resource as they are
	why    string // what is wrong, e.g. "Region us-east-1, not ap-southeast-2"
}

// federationNearMiss looks for the statement meant to allow
// connect:GetFederationToken that fails only on its Region, account,
// partition, instance ID, the action's spelling, or a resource that stops
// at the instance instead of naming its users; it is corrected in place.
func (r *run) federationNearMiss(policies []rolePolicy, req iampolicy.Request) (nearMiss, bool) {
	for _, p := range policies {
		for i, st := range p.doc.Statements {
			if st.Effect != "Allow" || st.Has("NotResource") {
				continue
			}
			fixed := st.Clone()
			var whys, edits []string
			if !allowsAction(st, federationAction) {
				j := slices.IndexFunc(st.Action, func(a string) bool { return nearAction(a) })
				if j < 0 {
					continue
				}
				whys = append(whys, fmt.Sprintf("the action is spelled %q", st.Action[j]))
				edits = append(edits, fmt.Sprintf("Action %s → %s", st.Action[j], federationAction))
				fixed.Action[j] = federationAction
			}
			for j, res := range st.Resource {
				nr, why, edit, keepOld := r.repairConnectResource(res)
				if why == "" {
					continue
				}
				whys = append(whys, why)
				edits = append(edits, edit)
				if keepOld {
					fixed.Resource = append(fixed.Resource, nr)
				} else {
					fixed.Resource[j] = nr
				}
			}
			if len(whys) == 0 {
				continue
			}
			doc := p.doc.Clone()
			doc.Statements[i] = fixed
			if iampolicy.Evaluate([]iampolicy.Named{{Name: p.label(), Policy: doc}}, req).Decision != iampolicy.Allowed {
				continue
			}
			was := "Action " + strings.Join(st.Action, ", ") + "; Resource " + strings.Join(st.Resource, ", ")
			return nearMiss{policy: p, was: was, why: strings.Join(whys, " and "),
				change: fix.EditStatement{Role: r.role.Name, Policy: p.name, Managed: p.managed, Statement: i + 1, Edit: strings.Join(edits, "; "), Document: doc}}, true
		}
	}
	return nearMiss{}, false
}

// nearAction is an action meant to be connect:GetFederationToken: the
// right service with a name a few letters off, or a misspelt service.
func nearAction(a string) bool {
	svc, name, ok := strings.Cut(strings.ToLower(a), ":")
	if !ok {
		return false
	}
	want := strings.ToLower(federationAction)
	if svc == "connect" {
		return nearname.Distance(svc+":"+name, want) <= 3 || strings.Contains(name, "federation")
	}
	return nearname.Distance(svc, "connect") <= 2 && name == "getfederationtoken"
}

// repairConnectResource corrects a Connect resource pattern to this
// sign-in's partition, Region, account and instance, and to its users
// (/user/${aws:userid}) when it stops at the instance. keepOld is set when
// the pattern names another instance that the evidence shows exists: that
// one is kept and the corrected one added.
func (r *run) repairConnectResource(res string) (fixed, why, edit string, keepOld bool) {
	parts := strings.SplitN(res, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "connect" || !strings.HasPrefix(parts[5], "instance/") {
		return "", "", "", false
	}
	s := r.subject
	var whys, edits []string
	set := func(i int, want, what string) {
		if parts[i] != want && !strings.ContainsAny(parts[i], "*?") {
			whys = append(whys, fmt.Sprintf("%s %s, not %s", what, parts[i], want))
			edits = append(edits, fmt.Sprintf("%s %s → %s", what, parts[i], want))
			parts[i] = want
		}
	}
	// Read before set corrects them.
	misplaced := parts[3] != s.Region && !strings.ContainsAny(parts[3], "*?") || parts[4] != s.Account && !strings.ContainsAny(parts[4], "*?")
	set(1, r.partition(), "partition")
	set(3, s.Region, "Region")
	set(4, s.Account, "account")
	rest := strings.TrimPrefix(parts[5], "instance/")
	inst, path, _ := strings.Cut(rest, "/")
	if inst != s.InstanceID && !strings.ContainsAny(inst, "*?") {
		for _, known := range r.aws.Instances {
			if known.ID == inst {
				keepOld = true
			}
		}
		whys = append(whys, fmt.Sprintf("instance %s, not %s", inst, s.InstanceID))
		edits = append(edits, fmt.Sprintf("instance %s → %s", inst, s.InstanceID))
		inst = s.InstanceID
	}
	if path == "" {
		whys = append(whys, "the resource is the instance itself, not its users (…/user/${aws:userid})")
		edits = append(edits, "append /user/${aws:userid}")
		path = "user/${aws:userid}"
	}
	if len(whys) == 0 {
		return "", "", "", false
	}
	if misplaced {
		keepOld = false // a Region or account that is not the instance's is a mistake
	}
	return strings.Join(parts[:5], ":") + ":instance/" + inst + "/" + path, strings.Join(whys, ", "), strings.Join(edits, ", "), keepOld
}

// denyFix takes connect:GetFederationToken out of the Deny statement that
// blocks it, when the statement names the action; a Deny by wildcard is a
// policy decision left to the admin.
func (r *run) denyFix(ro *evidence.Role, policies []rolePolicy, deny iampolicy.StatementRef, req iampolicy.Request) *Fix {
	manual := &Fix{Summary: "Narrow the Deny statement named above so it no longer covers connect:GetFederationToken on this instance's users, and keep an Allow for it.",
		Check: &fix.Check{Result: fix.NotChecked, Why: "the Deny names the action by a wildcard; how to narrow it is a decision about what else it is meant to stop"}}
	for _, p := range policies {
		if p.label() != deny.Policy || deny.Index >= len(p.doc.Statements) {
			continue
		}
		st := p.doc.Statements[deny.Index]
		j := slices.IndexFunc(st.Action, func(a string) bool { return strings.EqualFold(a, federationAction) })
		if j < 0 || len(st.Action) < 2 {
			return manual
		}
		doc := p.doc.Clone()
		doc.Statements[deny.Index].Action = slices.Delete(doc.Statements[deny.Index].Action, j, j+1)
		return r.newFix(fmt.Sprintf("Take connect:GetFederationToken out of statement %d of %s; its other actions stay denied.", deny.Index+1, p.label()), fix.EditStatement{Role: ro.Name, Policy: p.name, Managed: p.managed, Statement: deny.Index + 1, Edit: "remove " + st.Action[j] + " from the Deny's actions", Document: doc})
	}
	return manual
}

// preferredRole is the Role value the agent should be sent instead of the
// one used, with the evidence for it: the role Connect bound the user to
// (its first federation in CloudTrail), or else another role the assertion
// offers whose policies allow connect:GetFederationToken.
func (r *run) preferredRole() (string, Evidence, bool) {
	if bound, e := r.boundRole(); bound != "" && !awsarn.SameRole(bound, r.roleUsed) {
		return r.offeredPair(bound), Evidence{What: "role Connect bound the user to (the first federation in CloudTrail)",
			Value: fmt.Sprintf("%s (%s, event %s)", bound, e.Time.UTC().Format("2006-01-02T15:04:05Z"), e.ID), Where: e.File.String()}, true
	}
	if r.awsView == nil {
		return "", Evidence{}, false
	}
	for _, offered := range r.awsView.Roles {
		if offered.RoleArn == "" || offered.ProviderArn == "" || awsarn.SameRole(offered.RoleArn, r.roleUsed) {
			continue
		}
		for _, ro := range r.aws.Roles {
			if ro.ARN != offered.RoleArn || !ro.InlineComplete || !ro.AttachedComplete || ro.ID == "" {
				continue
			}
			req := r.federationRequest(ro, ro.ID)
			req.Resource = r.userARN(ro.ID)
			if iampolicy.Evaluate(rolePolicies(ro, r.aws.Policies), req).Decision == iampolicy.Allowed {
				return rolePair(offered.RoleArn, offered.ProviderArn), Evidence{What: "another role the assertion offers, whose policies allow connect:GetFederationToken", Value: offered.RoleArn, Where: ro.Source.String()}, true
			}
		}
	}
	return "", Evidence{}, false
}

// unusedPolicyName is a name for a new inline policy of the role that no
// inline policy of it has: put-role-policy with a name in use replaces
// that policy, dropping its statements. Without the role's whole list of
// inline policies, the usual name is given and the fix says to look first.
func unusedPolicyName(ro *evidence.Role) string {
	const base = "AmazonConnectFederation"
	if ro == nil {
		return base
	}
	name := base
	for i := 2; ro.Inline[name] != nil; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}
