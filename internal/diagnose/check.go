package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// A fix is a claim: before it is shown, its changes are applied to a copy
// of what the diagnosis saw (the decoded assertion, the pages' clocks, the
// AWS evidence) and the sign-in is diagnosed again, with no symptom
// observed, so that every stage the evidence covers is judged as AWS would
// judge the changed sign-in. What would break today's sign-ins is named
// beside it.

// newWorld is a copy of the diagnosis's inputs for a fix's changes: the
// message with the view of the assertion the diagnosis judged (the signed
// one), the pages, the AWS evidence.
func (r *run) newWorld() *fix.World {
	msg := *r.msg
	if r.parsed != nil {
		p := *r.parsed
		p.Assertions = slices.Clone(p.Assertions)
		p.Misplaced = slices.Clone(p.Misplaced)
		if av := r.awsView; av != nil {
			v := *av
			v.Roles = slices.Clone(v.Roles)
			p.AWS = &v
		}
		msg.Parsed = &p
	}
	w := fix.NewWorld(&msg, r.in.Capture.Pages, r.aws)
	w.IdPHost = r.formHost()
	w.Users = r.users()
	if w.IdPMetadata = r.aws.IdPMetadata; w.IdPMetadata == nil {
		w.IdPMetadata, w.MetadataAssumed = r.responseMetadata(), true
	}
	return w
}

// responseMetadata is metadata declaring what the response shows of its
// IdP: the issuer, and the certificates in its signatures' KeyInfo.
func (r *run) responseMetadata() *evidence.Metadata {
	if r.parsed == nil {
		return nil
	}
	e := evidence.Entity{EntityID: r.subject.Issuer}
	for _, s := range r.parsed.Signatures {
		e.SigningCerts = append(e.SigningCerts, s.Certificates...)
	}
	if e.EntityID == "" || len(e.SigningCerts) == 0 {
		return nil
	}
	return &evidence.Metadata{Entities: []evidence.Entity{e}}
}

// stagesJudged are the stages a check reports as covered or not.
var stagesJudged = []catalog.Stage{catalog.StageSAML, catalog.StageAttributes, catalog.StageAssumeRole, catalog.StageRelayState, catalog.StageFederation, catalog.StageUser, catalog.StageBinding}

// checkFix applies the fix's changes to a copy of the evidence and
// diagnoses again.
func (r *run) checkFix(f *Fix) {
	if f.Check != nil {
		return // set where the fix was made: a reason it cannot be modelled
	}
	if r.checkEmbeddedFix(f) {
		return // a change to the embedded CCP, checked against the frames (embedcheck.go)
	}
	if len(f.Changes) == 0 {
		f.Check = &fix.Check{Result: fix.NotChecked, Why: "this fix is a manual step, not a change to the IdP, IAM or Connect that samldoctor can model"}
		return
	}
	if r.msg == nil || r.parsed == nil {
		f.Check = &fix.Check{Result: fix.NotChecked, Why: "the SAML message could not be read, so the sign-in cannot be diagnosed again"}
		return
	}
	w := r.newWorld()
	if f.Check = r.applyChecked(w, f); f.Check != nil { // fix.ApplyAll, then the product's own expressions (productexpr.go)
		return
	}
	in := Input{Capture: &capture.Capture{Sources: r.in.Capture.Sources, Messages: []*capture.Message{&w.Msg}, Pages: w.Pages}, AWS: &w.AWS, Certs: r.in.Certs}
	h := newRun(in)
	h.hypothetical = true
	h.diagnoseStages()
	uncovered := h.uncovered()
	ck := &fix.Check{}
	for _, st := range uncovered {
		ck.Uncovered = append(ck.Uncovered, string(st))
	}
	var first *Finding
	for i := range h.res.Findings {
		hf := &h.res.Findings[i]
		if hf.Severity == Error && hf.Stage != catalog.StageCapture {
			ck.After = append(ck.After, hf.ID)
			if first == nil || stageRank(hf.Stage) < stageRank(first.Stage) {
				first = hf
			}
		}
	}
	if first == nil {
		ck.Result = fix.Passes
		ck.Why = "with this change the sign-in passes every stage the evidence covers"
		if len(uncovered) > 0 {
			ck.Why += "; not covered by the evidence: " + joinStages(uncovered)
		}
	} else {
		ck.Result = fix.StillFails
		ck.Why = fmt.Sprintf("not enough alone: the sign-in then fails at %s because %s", stageWords(first.Stage), lowerFirst(first.Title))
	}
	if len(w.Assumptions) > 0 {
		ck.Why += " (assuming " + strings.Join(w.Assumptions, "; ") + ")"
	}
	ck.Breaks = r.breaks(f, w)
	f.Check = ck
}

func stageRank(s catalog.Stage) int {
	for i, x := range stagesJudged {
		if x == s {
			return i
		}
	}
	return len(stagesJudged)
}

func lowerFirst(s string) string {
	if len(s) > 1 && s[1] >= 'a' && s[1] <= 'z' {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// uncovered lists the stages after the SAML message that the evidence did
// not let the diagnosis judge.
func (r *run) uncovered() []catalog.Stage {
	var out []catalog.Stage
	for _, s := range []catalog.Stage{catalog.StageAssumeRole, catalog.StageFederation, catalog.StageUser, catalog.StageBinding} {
		if !r.covered[s] {
			out = append(out, s)
		}
	}
	return out
}

// checkFixes checks every fix of every finding, then puts first the fix
// that breaks nothing.
func (r *run) checkFixes() {
	r.detectIdP()
	for i := range r.res.Findings {
		if r.canceled() {
			return
		}
		f := &r.res.Findings[i]
		if f.Fix == nil {
			continue
		}
		r.checkFix(f.Fix)
		for j := range f.Alternatives {
			r.checkFix(&f.Alternatives[j])
		}
		if n := r.narrower(f.Fix); n != nil {
			r.checkFix(n)
			if c := f.Fix.Changes[0]; r.cannotTransform(c) {
				// The product has no case function: the change cannot be
				// made there as written, whatever its model says.
				f.Fix.Check = &fix.Check{Result: fix.NotChecked, Why: r.res.IdP.Name + " has no case function for its attribute mappings, so this transformation cannot be made there"}
				f.Alternatives = append([]Fix{*f.Fix}, f.Alternatives...)
				*f.Fix = *n
			} else {
				f.Alternatives = append(f.Alternatives, *n)
			}
		}
		all := append([]Fix{*f.Fix}, f.Alternatives...)
		sort.SliceStable(all, func(a, b int) bool {
			return len(all[a].Check.Breaks) == 0 && len(all[b].Check.Breaks) > 0
		})
		*f.Fix = all[0]
		f.Alternatives = all[1:]
		if len(f.Alternatives) == 0 {
			f.Alternatives = nil
		}
	}
}

// narrower is the same RoleSessionName value set for this agent alone,
// when the fix sets it for the whole application and that would stop
// someone who signs in today: the narrower change comes first, the
// application-wide one is named with whom it stops.
func (r *run) narrower(f *Fix) *Fix {
	if f.Check == nil || len(f.Changes) != 1 {
		return nil
	}
	c, ok := f.Changes[0].(fix.SetAttribute)
	if !ok || len(f.Check.Breaks) == 0 && !r.cannotTransform(c) {
		return nil
	}
	if c.Attribute != assertion.AttrRoleSessionName || c.Scope != fix.ScopeApplication {
		return nil
	}
	why := "the change for the whole application would stop other agents"
	if r.cannotTransform(c) {
		why = r.res.IdP.Name + " has no case function to make it for everyone"
	}
	return r.newFix(fmt.Sprintf("For this agent only, make the IdP send %q as RoleSessionName (their own value in the directory); %s.", c.Value, why), fix.SetAttribute{Attribute: c.Attribute, Value: c.Value, Scope: fix.ScopeAgent})
}

func deletesUser(u *evidence.User) string {
	return fmt.Sprintf("deletes the Connect user %s (%s): its contact history, metrics and settings are not carried over", u.Username, u.ID)
}

// breaks names what works today that the fix would break.
func (r *run) breaks(f *Fix, w *fix.World) []string {
	var out []string
	for _, c := range f.Changes {
		switch c := c.(type) {
		case fix.RecreateUser:
			out = append(out, fmt.Sprintf("deletes the Connect user %s (%s): its contact history and metrics stay with the old user ID, and what describe-user does not show (its proficiencies) is not carried over", c.User.Username, c.User.ID))
		case fix.DeleteUser:
			out = append(out, deletesUser(c.User))
		case fix.UpdateTrustPolicy:
			out = append(out, r.trustBreaks(c)...)
		case fix.EditStatement:
			out = append(out, r.federationBreaks(c.Role, w)...)
		case fix.PutRolePolicy:
			out = append(out, r.federationBreaks(c.Role, w)...)
			out = append(out, r.replacedPolicy(c)...)
		case fix.UpdateOrgPolicy:
			out = append(out, r.orgBreaks(c)...)
		case fix.DropSessionTags:
			out = append(out, r.tagBreaks(c)...)
		case fix.SendRoles:
			if bound, e := r.boundRole(); bound != "" {
				ro, err := fix.SplitRolePair(c.Roles[0])
				if err == nil && !awsarn.SameRole(ro.RoleArn, bound) {
					out = append(out, fmt.Sprintf("moves %s off role %s, to which Connect bound the user at its first sign-in (CloudTrail %s, %s): the next sign-in gives \"Bad Request\"",
						r.subject.RoleSessionName, roleName(bound), e.ID, e.Time.UTC().Format(time.RFC3339)))
				}
			}
		case fix.SetAttribute:
			if c.Attribute == assertion.AttrRoleSessionName && c.Scope == fix.ScopeApplication {
				out = append(out, r.sessionNameBreaks(c)...)
			}
		}
	}
	return out
}

// sessionNameBreaks applies an application-wide RoleSessionName change to
// every other agent CloudTrail shows signing in: what the change would
// send them (their source's value, transformed), when the evidence holds
// it, against the name they sign in with today. An agent whose source
// value is not in the evidence may stop, and is named so.
func (r *run) sessionNameBreaks(c fix.SetAttribute) []string {
	type agent struct{ session, nameID string }
	by := map[string]*agent{}
	var order []string
	see := func(session, nameID string) {
		if session == "" || session == r.subject.RoleSessionName || nameID != "" && nameID == r.subject.NameID {
			return
		}
		a := by[session]
		if a == nil {
			a = &agent{session: session}
			by[session] = a
			order = append(order, session)
		}
		if a.nameID == "" {
			a.nameID = nameID
		}
	}
	for _, e := range r.aws.Events {
		if e.ErrorCode != "" {
			continue
		}
		switch e.Name {
		case "AssumeRoleWithSAML":
			see(e.RoleSessionName, e.Username)
		case "GetFederationToken":
			see(sessionOf(e.IdentityARN), "")
		}
	}
	sort.Strings(order)
	var out []string
	for _, s := range order {
		a := by[s]
		src, known := "", false
		switch c.Source {
		case assertion.AttrRoleSessionName:
			src, known = a.session, true
		case fix.SourceNameID:
			src, known = a.nameID, a.nameID != ""
		}
		if !known {
			if c.Source == "" {
				continue // no mapping: nothing changes for them
			}
			out = append(out, fmt.Sprintf("agent %s signs in today as %q (CloudTrail); what %s holds for them is not in the evidence, so the change for the whole application may stop them", s, s, fix.SourceLabel(c.Source)))
			continue
		}
		v := src
		if c.Transform != "" {
			v, _ = fix.CaseTransform(src, c.Transform)
		}
		if v != a.session {
			how := "the change for the whole application"
			if c.Transform != "" {
				how = "a " + c.Transform + "-case transformation for the whole application"
			}
			out = append(out, fmt.Sprintf("agent %s signs in today as %q (CloudTrail); %s would send %q", s, s, how, v))
		}
	}
	return out
}

// boundRole is the role of the user's first successful federation in
// CloudTrail: the role Connect bound the user to.
func (r *run) boundRole() (string, *evidence.Event) {
	var first *evidence.Event
	for _, e := range r.aws.Events {
		if e.Name != "GetFederationToken" || e.ErrorCode != "" || sessionOf(e.IdentityARN) != r.subject.RoleSessionName {
			continue
		}
		if e.InstanceID != "" && r.subject.InstanceID != "" && e.InstanceID != r.subject.InstanceID {
			continue
		}
		if first == nil || e.Time.Before(first.Time) {
			first = e
		}
	}
	if first == nil {
		return "", nil
	}
	role := first.SessionIssuerARN
	if role == "" {
		role = roleOfSession(first.IdentityARN)
	}
	return role, first
}

// trustBreaks evaluates the old and the new trust policy for every
// provider the old one trusts or CloudTrail shows in use with the role,
// with each audience the old one names.
func (r *run) trustBreaks(c fix.UpdateTrustPolicy) []string {
	var old *iampolicy.Policy
	var roleARN string
	for _, ro := range r.aws.Roles {
		if ro.Name == c.Role {
			old, roleARN = ro.Trust, ro.ARN
		}
	}
	if old == nil {
		return nil
	}
	providers := map[string]int{}
	auds := map[string]bool{awsarn.SignInURL(r.partition(), ""): true}
	for _, st := range old.Statements {
		if st.Effect != "Allow" {
			continue
		}
		for _, p := range st.Principal["Federated"] {
			providers[p] += 0
		}
		for _, keys := range st.Condition {
			for k, vals := range keys {
				if strings.EqualFold(k, "SAML:aud") {
					for _, v := range vals {
						auds[v] = true
					}
				}
			}
		}
	}
	for _, e := range r.aws.Events {
		if e.Name == "AssumeRoleWithSAML" && e.ErrorCode == "" && e.RoleARN == roleARN && e.PrincipalARN != "" {
			providers[e.PrincipalARN]++
		}
	}
	var out []string
	for _, p := range slices.Sorted(maps.Keys(providers)) {
		for _, aud := range slices.Sorted(maps.Keys(auds)) {
			req := iampolicy.Request{Action: "sts:AssumeRoleWithSAML", Principal: &iampolicy.Principal{Type: "Federated", ID: p}, Context: iampolicy.NewContext()}
			req.Context.Set("saml:aud", aud)
			before := iampolicy.Evaluate([]iampolicy.Named{{Name: "old", Policy: old}}, req).Decision
			after := iampolicy.Evaluate([]iampolicy.Named{{Name: "new", Policy: c.Document}}, req).Decision
			if before == iampolicy.Allowed && after != iampolicy.Allowed && after != iampolicy.Undetermined {
				s := fmt.Sprintf("stops sign-ins to role %s through %s with SAML:aud %s", c.Role, p, aud)
				if n := providers[p]; n > 0 {
					s += fmt.Sprintf(" (CloudTrail shows %d)", n)
				}
				out = append(out, s)
			}
		}
	}
	return out
}

// federationBreaks compares the role's identity policies before and after
// the change: federations CloudTrail shows, other known instances, and
// whether the change widens access to other instances or other users.
func (r *run) federationBreaks(role string, w *fix.World) []string {
	var before, after *evidence.Role
	for _, ro := range r.aws.Roles {
		if ro.Name == role {
			before = ro
		}
	}
	for _, ro := range w.AWS.Roles {
		if ro.Name == role {
			after = ro
		}
	}
	if before == nil || after == nil {
		return nil
	}
	roleID := orX(before.ID, "AROA-ROLE-ID")
	// eval is the decision for the role's policies on a user of an
	// instance, with the caller's aws:userid.
	eval := func(ro *evidence.Role, policies map[string]*evidence.ManagedPolicy, region, account, instance, resourceUser, callerID string) iampolicy.Decision {
		ctx := iampolicy.NewContext()
		ctx.Set("aws:userid", callerID)
		ctx.Set("connect:InstanceId", instance)
		ctx.Set("aws:RequestedRegion", region)
		ctx.Set("aws:PrincipalArn", ro.ARN)
		ctx.Set("aws:PrincipalAccount", account)
		return iampolicy.Evaluate(rolePolicies(ro, policies), iampolicy.Request{Action: "connect:GetFederationToken",
			Resource: awsarn.ConnectUserARN(r.partition(), region, account, instance, resourceUser), Context: ctx}).Decision
	}
	var out []string
	seen := map[string]bool{}
	lose := func(region, account, instance, userid, why string) {
		key := region + "|" + instance + "|" + userid
		if seen[key] {
			return
		}
		seen[key] = true
		if eval(before, r.aws.Policies, region, account, instance, userid, userid) == iampolicy.Allowed &&
			eval(after, w.AWS.Policies, region, account, instance, userid, userid) != iampolicy.Allowed {
			out = append(out, why)
		}
	}
	for _, e := range r.aws.Events {
		if e.Name != "GetFederationToken" || e.ErrorCode != "" || !awsarn.SameRole(orX(e.SessionIssuerARN, roleOfSession(e.IdentityARN)), before.ARN) || e.InstanceID == "" {
			continue
		}
		s := sessionOf(e.IdentityARN)
		lose(orX(e.Region, r.subject.Region), r.subject.Account, e.InstanceID, roleID+":"+s,
			fmt.Sprintf("removes connect:GetFederationToken for %s on instance %s in %s, which CloudTrail shows working (%s)", s, e.InstanceID, orX(e.Region, r.subject.Region), e.Time.UTC().Format(time.RFC3339)))
	}
	for _, in := range r.aws.Instances {
		if in.ID == r.subject.InstanceID {
			continue
		}
		lose(in.Region(), in.Account(), in.ID, roleID+":agent", fmt.Sprintf("removes connect:GetFederationToken on instance %s (%s), which exists and the role may federate into today", in.ID, in.Region()))
	}
	// Widening: another instance of the account, another user of this one.
	const otherInstance = "00000000-0000-4000-8000-000000000000"
	probe := func(region, instance, resourceUser, why string) {
		caller := roleID + ":" + r.subject.RoleSessionName
		if eval(before, r.aws.Policies, region, r.subject.Account, instance, resourceUser, caller) != iampolicy.Allowed &&
			eval(after, w.AWS.Policies, region, r.subject.Account, instance, resourceUser, caller) == iampolicy.Allowed {
			out = append(out, why)
		}
	}
	probe(r.subject.Region, otherInstance, roleID+":"+r.subject.RoleSessionName, "widens access: the role could federate into other Connect instances of the account")
	probe(r.subject.Region, r.subject.InstanceID, roleID+":another.agent", "widens access: the role could federate as other users of the instance")
	return out
}

// rolePolicies are the role's identity policies whose documents are known.
func rolePolicies(ro *evidence.Role, policies map[string]*evidence.ManagedPolicy) []iampolicy.Named {
	var named []iampolicy.Named
	for _, n := range slices.Sorted(maps.Keys(ro.Inline)) {
		if p := ro.Inline[n]; p != nil {
			named = append(named, iampolicy.Named{Name: "inline policy " + n, Policy: p})
		}
	}
	for _, ap := range ro.Attached {
		if mp := policies[ap.ARN]; mp != nil && mp.Default() != nil {
			named = append(named, iampolicy.Named{Name: "managed policy " + ap.Name, Policy: mp.Default()})
		}
	}
	return named
}

func joinStages(l []catalog.Stage) string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = stageWords(x)
	}
	return strings.Join(s, ", ")
}

// stageExplained says what a stage's code means, for text people read.
var stageExplained = map[catalog.Stage]string{
	catalog.StageIdP:        "the identity provider's own answer",
	catalog.StageSAML:       "the SAML response itself: issuer, audience, times, signature",
	catalog.StageAttributes: "its Role and RoleSessionName attributes",
	catalog.StageAssumeRole: "AWS sign-in accepting the role and provider",
	catalog.StageRelayState: "the RelayState naming the Connect instance",
	catalog.StageFederation: "the role's permission for connect:GetFederationToken",
	catalog.StageUser:       "the Connect user named by RoleSessionName",
	catalog.StageBinding:    "the role the Connect user first signed in with, from CloudTrail",
	catalog.StageEmbedded:   "the agent application embedding the CCP",
}

// stageWords is a stage's code with what it means: "S7 earlier sign-ins
// (the role the Connect user first signed in with, from CloudTrail)".
func stageWords(s catalog.Stage) string {
	if e, ok := stageExplained[s]; ok {
		return string(s) + " (" + e + ")"
	}
	return string(s)
}

// replacedPolicy names the inline policy a put-role-policy would replace:
// one of the same name on the role, whose statements the new document
// drops.
func (r *run) replacedPolicy(c fix.PutRolePolicy) []string {
	for _, ro := range r.aws.Roles {
		if ro.Name != c.Role {
			continue
		}
		if old := ro.Inline[c.Policy]; old != nil {
			return []string{fmt.Sprintf("replaces role %s's inline policy %s and drops its %d statements", c.Role, c.Policy, len(old.Statements))}
		}
	}
	return nil
}
