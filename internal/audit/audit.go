// Package audit judges an account's Amazon Connect SAML set-up without a
// capture: the agents who will fail to sign in, found from the account
// itself (the IAM SAML providers' signing certificates, the instance, the
// Connect users) and from the identity provider's user export. Its
// findings use the ids of package diagnose's catalog where the cause is
// the same, each with the agents or resources it affects.
package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Input is what an audit reads.
type Input struct {
	AWS *evidence.Set
	// IdPUsers is the identity provider's user export, when given.
	IdPUsers *IdPUsers
	// Assignments is who is assigned to the Connect application at the
	// IdP, when given: which of IdPUsers are agents.
	Assignments *Assignments
	// Trail is what CloudTrail's log files say, when given.
	Trail *Trail
	// Now is the time certificates are judged at.
	Now time.Time
	// ConnectRoles are roles the IdP sends to Connect users (a capture's
	// Role attribute, an assignment export's role column), each with where
	// that was read: evidence that they are Connect roles.
	ConnectRoles map[string]string
	// ProviderIssuers are the IdP entity IDs a capture shows with the
	// provider ARN of its Role value (issuer: ARN): what names a
	// get-saml-provider output by its metadata.
	ProviderIssuers map[string]string
	// SignIn is the sign-in of a capture (--capture), when given, and
	// SignInWhere names it: AWS data of another account or instance than
	// its own is set aside, as diagnose does (aws.evidence_other_account).
	SignIn      *signin.Subject
	SignInWhere string
}

// Affected is one agent or resource a finding is about.
type Affected struct {
	// Kind is "agent", "connect-user", "saml-provider", "instance",
	// "role" or "file" (an AWS data file set aside).
	Kind string
	Name string
}

// Finding is one judgement about the account.
type Finding struct {
	ID       string
	Severity string
	Title    string
	Detail   string
	// Affected lists every agent or resource concerned; Count is its
	// length.
	Affected []Affected
	Evidence []diagnose.Evidence
	Fix      *diagnose.Fix
	// past marks failures CloudTrail recorded: they do not count as
	// agents at risk, but as failed sign-ins.
	past bool
}

// Count is the number of agents or resources the finding concerns.
func (f Finding) Count() int { return len(f.Affected) }

// Summary counts an audit's result.
type Summary struct {
	Errors, Warnings int
	// AgentsAtRisk are the agents an error finding says will fail.
	AgentsAtRisk int
	// FailedSignIns are the failed sign-ins CloudTrail recorded, by
	// FailedAgents agents, in the Window before the audit (0 when
	// CloudTrail's records were read without a bound).
	FailedSignIns, FailedAgents int
	Window                      time.Duration
}

// Result is an audit.
type Result struct {
	// Scope says what was read.
	Scope    []string
	Summary  Summary
	Findings []Finding
}

// Failed reports whether any finding is an error.
func (r *Result) Failed() bool { return r.Summary.Errors > 0 }

// ExpiryWarning is how long before a signing certificate expires the
// audit warns.
const ExpiryWarning = 30 * 24 * time.Hour

// Run audits the evidence.
func Run(in Input) *Result {
	if in.AWS == nil {
		in.AWS = evidence.NewSet()
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Trail == nil && len(in.AWS.Events) > 0 {
		// CloudTrail's event history (lookup-events outputs, or --aws)
		// is aggregated as the log files are.
		in.Trail = NewTrail()
		for _, e := range in.AWS.Events {
			if e.Name == "AssumeRoleWithSAML" || e.Name == "GetFederationToken" {
				in.Trail.Add(e)
				in.Trail.Records++
			}
		}
	}
	var elsewhere *diagnose.Finding
	if in.SignIn != nil {
		in.AWS, elsewhere = diagnose.SetAsideElsewhere(in.AWS, *in.SignIn, in.SignInWhere)
	}
	a := &run{in: in, res: &Result{Findings: []Finding{}}, agents: &sortedAgents{}}
	if in.Trail != nil && !in.Trail.Since.IsZero() {
		a.res.Summary.Window = in.Now.Sub(in.Trail.Since)
	}
	a.scope()
	if elsewhere != nil {
		a.elsewhere(elsewhere)
	}
	a.connectRoles()
	a.settleProviders()
	// The users' checks (a hundred thousand users is a large share of an
	// audit) run beside the account's; findings keep their order.
	a.concurrently(
		func(r *run) {
			r.providers()
			r.metadata()
			r.encryption()
			r.instances()
			r.roles()
			r.notForConnect()
		},
		(*run).users,
		(*run).trail,
	)
	a.finish()
	return a.res
}

type run struct {
	in  Input
	res *Result
	// agents are the trail's agents, sorted once, for every step.
	agents *sortedAgents
	// connect holds the Connect roles (by roleKey) and why each is one;
	// notConnect the SAML roles nothing shows used for Connect.
	connect    map[string]string
	notConnect map[string]bool
	// provIDs names each SAML provider (settleProviders).
	provIDs map[*evidence.SAMLProvider]providerID
}

type sortedAgents struct {
	once  sync.Once
	names []string
}

// trailAgents are the agents CloudTrail shows, sorted.
func (a *run) trailAgents() []string {
	a.agents.once.Do(func() {
		if a.in.Trail != nil {
			a.agents.names = sortedNames(a.in.Trail.agents)
		}
	})
	return a.agents.names
}

// concurrently runs independent steps at once, each adding its findings
// to its own list, then adds the lists in the order of the steps: the
// result is the same whichever finishes first.
func (a *run) concurrently(steps ...func(*run)) {
	subs := make([]*run, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		subs[i] = &run{in: a.in, res: &Result{}, agents: a.agents, connect: a.connect, notConnect: a.notConnect, provIDs: a.provIDs}
		wg.Add(1)
		go func(r *run) {
			defer wg.Done()
			step(r)
		}(subs[i])
	}
	wg.Wait()
	for _, r := range subs {
		a.res.Findings = append(a.res.Findings, r.res.Findings...)
		// Of the summary, steps count the failed sign-ins (trail's);
		// finish counts the rest.
		a.res.Summary.FailedSignIns += r.res.Summary.FailedSignIns
		a.res.Summary.FailedAgents += r.res.Summary.FailedAgents
	}
}

func (a *run) add(f Finding) {
	if e, ok := catalog.Lookup(f.ID); ok && f.Detail == "" {
		f.Detail = e.Detail
	}
	a.res.Findings = append(a.res.Findings, f)
}

func (a *run) scope() {
	s := a.in.AWS
	for _, src := range s.Sources {
		a.res.Scope = append(a.res.Scope, src.String())
	}
	if t := a.in.Trail; t != nil {
		s := fmt.Sprintf("CloudTrail: %s, %s", plural(t.Files, "log file", "log files"), plural(int(t.Records), "record", "records"))
		if !t.Since.IsZero() {
			s += " since " + t.Since.UTC().Format(time.RFC3339)
		}
		a.res.Scope = append(a.res.Scope, s)
	}
	if u := a.in.IdPUsers; u != nil {
		filter := ""
		if u.Filter != "" {
			filter = ", " + u.Filter
		}
		a.res.Scope = append(a.res.Scope, fmt.Sprintf("%s (%s%s, %d users, RoleSessionName from %s%s)", u.File, u.Format, filter, len(u.Users), u.Field, transformNote(u.Transform)))
	}
	if as := a.in.Assignments; as != nil {
		a.res.Scope = append(a.res.Scope, fmt.Sprintf("%s (%s, %d assignments, %d to groups)", as.File, as.Format, as.Rows, as.Groups))
	}
}

// elsewhere reports the AWS data of another account or instance than the
// capture's sign-in, set aside: the audit judged none of it.
func (a *run) elsewhere(df *diagnose.Finding) {
	f := Finding{ID: df.ID, Severity: df.Severity, Title: df.Title, Detail: df.Detail, Evidence: df.Evidence, Fix: df.Fix}
	files := diagnose.ElsewhereFiles(df)
	for _, w := range files {
		f.Affected = append(f.Affected, Affected{Kind: "file", Name: w})
	}
	a.add(f)
	for i, sc := range a.res.Scope {
		if slices.Contains(files, sc) {
			a.res.Scope[i] = sc + ": set aside, not the capture's account or instance"
		}
	}
}

func transformNote(t string) string {
	if t == "lower" {
		return ", lower-cased"
	}
	return ""
}

// providers checks each IAM SAML provider's signing certificates: AWS
// gives no warning before they expire (ValidUntil is not their expiry).
func (a *run) providers() {
	provs := append(append([]*evidence.SAMLProvider{}, a.in.AWS.Providers...), a.in.AWS.Unattributed.Providers...)
	for _, p := range provs {
		if p.Metadata == nil {
			continue
		}
		name, arn, how := a.provider(p)
		for _, e := range p.Metadata.Entities {
			var live int
			for _, c := range e.SigningCerts {
				if c.NotAfter.After(a.in.Now.Add(ExpiryWarning)) {
					live++
				}
			}
			for _, c := range e.SigningCerts {
				if c.NotAfter.IsZero() || c.NotAfter.After(a.in.Now.Add(ExpiryWarning)) {
					continue
				}
				sev, when := diagnose.Warning, "expires "+c.NotAfter.UTC().Format("2006-01-02")+fmt.Sprintf(" (in %d days)", int(c.NotAfter.Sub(a.in.Now).Hours()/24))
				if !c.NotAfter.After(a.in.Now) {
					sev, when = diagnose.Error, "expired "+c.NotAfter.UTC().Format("2006-01-02")
				}
				detail := "IAM keeps trusting a certificate until the provider's metadata is replaced, and gives no warning before it expires (the provider's ValidUntil is not the certificate's expiry). Once the IdP signs with its new certificate, every sign-in through this provider fails until IAM has it."
				if live > 0 {
					// Another certificate of the provider stays valid: a
					// rollover is under way.
					sev = diagnose.Warning
					detail = fmt.Sprintf("The provider also holds %d certificate(s) valid beyond 30 days, so sign-ins signed with those keep working; remove the old one when the IdP no longer uses it.", live)
				}
				a.add(Finding{ID: "iam.cert_expiring", Severity: sev,
					Title:    fmt.Sprintf("A signing certificate of SAML provider %s %s", lastPart(name), when),
					Detail:   detail,
					Affected: []Affected{{Kind: "saml-provider", Name: name}},
					Evidence: append([]diagnose.Evidence{{What: "signing certificate of " + e.EntityID, Value: fmt.Sprintf("%s, not after %s", c.Subject, c.NotAfter.UTC().Format(time.RFC3339)), Where: p.Source.String() + " SAMLMetadataDocument"}}, providerEvidence(p, arn, how)...),
					Fix:      notChecked(diagnose.NewFix(a.in.AWS, "Download the IdP's current metadata (with its new signing certificate) and upload it to the provider before the old certificate expires."+unsettled(arn), fix.UpdateProviderMetadata{Provider: arn}), "the IdP's new metadata is not in the evidence: audit again with --idp-metadata")})
			}
		}
	}
}

// providerEvidence says how a provider read without its ARN was named, or
// that it could not be.
func providerEvidence(p *evidence.SAMLProvider, arn, how string) []diagnose.Evidence {
	switch {
	case how != "":
		return []diagnose.Evidence{{What: "provider " + lastPart(arn) + " (" + p.Source.File + " has no ARN)", Value: "named by " + how, Where: p.Source.String()}}
	case arn == "PROVIDER-ARN":
		return []diagnose.Evidence{{What: "provider of " + p.Source.File, Value: "not named: " + unsettledNote, Where: p.Source.String()}}
	}
	return nil
}

// unsettled is what a fix says when its provider's ARN is not known.
func unsettled(arn string) string {
	if arn != "PROVIDER-ARN" {
		return ""
	}
	return " Replace PROVIDER-ARN with the provider's ARN (aws iam list-saml-providers lists them)."
}

// instances checks that each instance signs agents in with SAML.
func (a *run) instances() {
	for _, i := range a.in.AWS.Instances {
		if i.IdentityManagementType == "" || i.IdentityManagementType == "SAML" {
			continue
		}
		a.add(Finding{ID: "connect.instance_not_saml", Severity: diagnose.Error,
			Title:    fmt.Sprintf("Instance %s manages identities as %s, not SAML: no agent can sign in through the IdP", orX(i.Alias, i.ID), i.IdentityManagementType),
			Affected: []Affected{{Kind: "instance", Name: i.ID}},
			Evidence: []diagnose.Evidence{{What: "IdentityManagementType", Value: i.IdentityManagementType, Where: i.Source.String()}},
			Fix: &diagnose.Fix{Summary: "An instance's identity management cannot be changed: SAML sign-in needs an instance created with SAML.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "creating an instance is not a change samldoctor can model"}}})
	}
}

func (a *run) finish() {
	rank := map[string]int{diagnose.Error: 0, diagnose.Warning: 1, diagnose.Info: 2}
	sort.SliceStable(a.res.Findings, func(i, j int) bool {
		fi, fj := a.res.Findings[i], a.res.Findings[j]
		if rank[fi.Severity] != rank[fj.Severity] {
			return rank[fi.Severity] < rank[fj.Severity]
		}
		return fi.Count() > fj.Count()
	})
	atRisk := map[string]bool{}
	for _, f := range a.res.Findings {
		switch f.Severity {
		case diagnose.Error:
			a.res.Summary.Errors++
			if f.past {
				continue
			}
			for _, x := range f.Affected {
				if x.Kind == "agent" {
					atRisk[strings.ToLower(x.Name)] = true
				}
			}
		case diagnose.Warning:
			a.res.Summary.Warnings++
		}
	}
	a.res.Summary.AgentsAtRisk = len(atRisk)
}

// lastPart is the last part of an ARN: a provider's or a role's name.
func lastPart(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func orX(s, x string) string {
	if s == "" {
		return x
	}
	return s
}

// metadata checks the IdP's current metadata (--idp-metadata) against each
// provider that trusts its entity ID: a signing certificate the IdP
// publishes and IAM lacks breaks every sign-in the day the IdP signs with
// it.
func (a *run) metadata() {
	md := a.in.AWS.IdPMetadata
	if md == nil {
		return
	}
	provs := append(append([]*evidence.SAMLProvider{}, a.in.AWS.Providers...), a.in.AWS.Unattributed.Providers...)
	for _, e := range md.Entities {
		for _, p := range provs {
			if p.Metadata == nil {
				continue
			}
			have := map[string]bool{}
			trusts := false
			for _, pe := range p.Metadata.Entities {
				if pe.EntityID == e.EntityID {
					trusts = true
				}
				for _, c := range pe.SigningCerts {
					have[c.SHA256] = true
				}
			}
			if !trusts {
				continue
			}
			name, arn, how := a.provider(p)
			for _, c := range e.SigningCerts {
				if c.SHA256 == "" || have[c.SHA256] || !c.NotAfter.IsZero() && !c.NotAfter.After(a.in.Now) {
					continue
				}
				a.add(Finding{ID: "iam.cert_not_in_provider", Severity: diagnose.Warning,
					Title:    fmt.Sprintf("The IdP publishes a signing certificate that SAML provider %s does not hold: sign-ins signed with it will fail", lastPart(name)),
					Detail:   "Once the IdP signs with this certificate (a rollover), AWS answers \"Response signature invalid\" for every sign-in through the provider until its metadata is updated.",
					Affected: []Affected{{Kind: "saml-provider", Name: name}},
					Evidence: append([]diagnose.Evidence{{What: "IdP metadata certificate", Value: fmt.Sprintf("%s, SHA-256 %s…, not after %s", c.Subject, c.SHA256[:min(16, len(c.SHA256))], c.NotAfter.UTC().Format("2006-01-02")), Where: "--idp-metadata " + e.EntityID},
						{What: "provider's certificates", Value: fmt.Sprintf("%d, none with that fingerprint", len(have)), Where: p.Source.String()}}, providerEvidence(p, arn, how)...),
					Fix: notChecked(diagnose.NewFix(a.in.AWS, "Upload the IdP's current metadata to the provider (it keeps the old certificate too, so nothing that works today stops)."+unsettled(arn), fix.UpdateProviderMetadata{Provider: arn}), "the upload is the change; audit again with the provider's new get-saml-provider output")})
			}
		}
	}
}

// encryption checks providers that require encrypted assertions: without
// a private key IAM cannot decrypt them.
func (a *run) encryption() {
	provs := append(append([]*evidence.SAMLProvider{}, a.in.AWS.Providers...), a.in.AWS.Unattributed.Providers...)
	for _, p := range provs {
		if p.AssertionEncryptionMode != "Required" || !p.PrivateKeysKnown || len(p.PrivateKeyIDs) > 0 {
			continue
		}
		name, arn, how := a.provider(p)
		a.add(Finding{ID: "iam.no_decryption_key", Severity: diagnose.Error,
			Title:    fmt.Sprintf("SAML provider %s requires encrypted assertions but holds no private key to decrypt them: every sign-in through it fails", lastPart(name)),
			Affected: []Affected{{Kind: "saml-provider", Name: name}},
			Evidence: append([]diagnose.Evidence{{What: "AssertionEncryptionMode", Value: "Required", Where: p.Source.String()}, {What: "PrivateKeyList", Value: "empty", Where: p.Source.String()}}, providerEvidence(p, arn, how)...),
			Fix:      notChecked(diagnose.NewFix(a.in.AWS, "Upload the private key the IdP encrypts for, or set the provider's encryption mode to Allowed until it is uploaded."+unsettled(arn), fix.AddPrivateKey{Provider: arn}), "the key is not in the evidence")})
	}
}

// roles judges, for every Connect role that trusts a SAML provider (see
// connectRoles) and every instance, whether the role may call
// connect:GetFederationToken for the instance's users, with diagnose's
// evaluation and near misses.
func (a *run) roles() {
	for _, ro := range a.in.AWS.Roles {
		if ro.Trust == nil || ro.ARN == "" || !trustsSAML(ro) || !a.isConnect(ro.ARN) {
			continue
		}
		trusted := map[string]bool{}
		for _, in := range a.instancesFor(ro) {
			for _, prov := range samlProviders(ro) {
				if trusted[prov+" "+in.Region()] {
					continue
				}
				trusted[prov+" "+in.Region()] = true
				gr := ""
				if len(in.ReplicaRegions) > 0 {
					// Global Resiliency: agents sign in at its endpoint.
					gr = awsarn.GlobalSignInURL(in.ID, in.Region(), in.Account(), lastPart(ro.ARN), lastPart(prov), "/connect/ccp-v2")
				}
				for _, df := range diagnose.JudgeTrust(a.in.AWS, ro.ARN, prov, in.Region(), gr) {
					a.add(a.roleFinding(df, ro.ARN))
				}
			}
			for _, df := range diagnose.JudgeFederation(a.in.AWS, ro.ARN, in.ID, in.Region()) {
				if df.ID != "iam.federation_token_denied" && df.ID != "iam.federation_token_undetermined" {
					continue
				}
				f := a.roleFinding(df, ro.ARN)
				if df.Severity == diagnose.Error {
					f.Detail += " Every agent who signs in with this role is stopped there."
				}
				a.add(f)
			}
		}
	}
}

// instancesFor are the instances a role is judged for: those of its
// account whose agents sign in through SAML; when there are several, the
// ones its policies name (a role written for one instance is not wrong for
// not serving another), or all of them when its policies name none.
func (a *run) instancesFor(ro *evidence.Role) []*evidence.Instance {
	var saml, named []*evidence.Instance
	for _, in := range a.in.AWS.Instances {
		if in.Region() == "" || in.Account() != "" && !strings.Contains(ro.ARN, ":"+in.Account()+":") {
			continue
		}
		if in.IdentityManagementType != "" && in.IdentityManagementType != "SAML" {
			continue // connect.instance_not_saml says it; no role serves it
		}
		saml = append(saml, in)
		if policiesName(ro, a.in.AWS.Policies, in.ID) {
			named = append(named, in)
		}
	}
	if len(saml) > 1 && len(named) > 0 {
		return named
	}
	return saml
}

// policiesName reports whether a role's policies name s in a resource or
// a condition.
func policiesName(ro *evidence.Role, managed map[string]*evidence.ManagedPolicy, s string) bool {
	var docs []*iampolicy.Policy
	for _, p := range ro.Inline {
		docs = append(docs, p)
	}
	for _, ap := range ro.Attached {
		if mp := managed[ap.ARN]; mp != nil {
			docs = append(docs, mp.Default())
		}
	}
	for _, d := range docs {
		if d == nil {
			continue
		}
		for _, st := range d.Statements {
			vals := slices.Concat(st.Resource, st.NotResource)
			for _, keys := range st.Condition {
				for _, v := range keys {
					vals = append(vals, v...)
				}
			}
			for _, v := range vals {
				if strings.Contains(v, s) {
					return true
				}
			}
		}
	}
	return false
}

// roleFinding is diagnose's judgement of a role as an audit finding: it
// affects the role, and the agents CloudTrail shows signing in with it last
// (or bound to it, when they have not signed in since), who are the ones
// it stops; the records that show them are in its evidence.
func (a *run) roleFinding(df diagnose.Finding, roleARN string) Finding {
	f := Finding{ID: df.ID, Severity: df.Severity, Title: df.Title, Detail: df.Detail, Evidence: df.Evidence, Fix: df.Fix,
		Affected: []Affected{{Kind: "role", Name: roleARN}}}
	f.Evidence = append(slices.Clone(f.Evidence), diagnose.Evidence{What: "why " + lastPart(roleARN) + " is judged as a Connect role", Value: a.connect[roleKey(roleARN)], Where: "the evidence read"})
	t := a.in.Trail
	if t == nil {
		return f
	}
	var names []string
	var where evidence.Source
	for _, ag := range a.trailAgents() {
		u := a.lastConnect(t.agents[ag])
		if u.set() && awsarn.SameRole(t.role(u), roleARN) {
			f.Affected = append(f.Affected, Affected{Kind: "agent", Name: ag})
			if len(names) < maxListed {
				names = append(names, ag)
			}
			where = t.file(u)
		}
	}
	if n := len(f.Affected) - 1; n > 0 {
		f.Evidence = append(f.Evidence, diagnose.Evidence{What: fmt.Sprintf("agents whose last sign-in CloudTrail shows with role %s", lastPart(roleARN)),
			Value: fmt.Sprintf("%d: %s", n, strings.Join(names, ", ")), Where: where.String() + " and others"})
	}
	return f
}

// samlProviders are the SAML providers a role's trust policy names.
func samlProviders(ro *evidence.Role) []string {
	var out []string
	for _, st := range ro.Trust.Statements {
		for _, p := range st.Principal["Federated"] {
			if strings.Contains(p, ":saml-provider/") && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// trustsSAML reports whether a role's trust policy lets a SAML provider
// assume it: a role agents sign in with.
func trustsSAML(ro *evidence.Role) bool {
	for _, st := range ro.Trust.Statements {
		if st.Effect != "Allow" || len(st.Principal["Federated"]) == 0 {
			continue
		}
		for _, p := range st.Principal["Federated"] {
			if !strings.Contains(p, ":saml-provider/") {
				continue
			}
			for _, act := range st.Action {
				if strings.EqualFold(act, "sts:AssumeRoleWithSAML") || act == "sts:*" || act == "*" {
					return true
				}
			}
		}
	}
	return false
}

// notChecked marks a rendered fix whose change the audit cannot apply to
// the evidence, with the reason.
func notChecked(f *diagnose.Fix, why string) *diagnose.Fix {
	f.Check = &fix.Check{Result: fix.NotChecked, Why: why}
	return f
}
