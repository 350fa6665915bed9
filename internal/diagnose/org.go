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
)

// The organization's policies bound the sign-in twice. A resource control
// policy (RCP) bounds what anyone may do to the organization's resources,
// the role included: STS evaluates the RCPs on the path to the role's
// account for sts:AssumeRoleWithSAML (S3) beside the role's trust policy.
// A service control policy (SCP) bounds what the organization's own
// principals may do: the role's session calling connect:GetFederationToken
// (S5). SCPs do not apply to AssumeRoleWithSAML (no principal of the
// organization makes it), nor RCPs to Connect, which does not support
// them; neither applies in the management account. IAM's policy simulator
// evaluates identity policies and SCPs, not RCPs.

// orgDocs are the pages the evaluation follows.
const (
	rcpDocs = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_evaluation.html"
	scpDocs = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
)

// orgCheck is one evaluation of the organization's policies of a type.
type orgCheck struct {
	typ      string // evidence.SCP or evidence.RCP
	action   string
	req      iampolicy.Request
	res      iampolicy.OrgResult
	path     []string
	complete bool
	// policies are the documents evaluated, by the name their statements
	// are reported under, and where each is attached.
	policies map[string]*evidence.OrgPolicy
	attached map[string]string // policy name → target
	levels   []iampolicy.Level
}

// orgPolicyName is the name a policy's statements are reported under.
func orgPolicyName(p *evidence.OrgPolicy) string {
	kind := "SCP"
	if p.Type == evidence.RCP {
		kind = "RCP"
	}
	return fmt.Sprintf("%s %s (%s)", kind, orX(p.Name, p.ID), p.ID)
}

// plainPolicyName is a policy's name and ID, without its kind.
func plainPolicyName(p *evidence.OrgPolicy) string {
	return fmt.Sprintf("%s (%s)", orX(p.Name, p.ID), p.ID)
}

// orgLevels are the levels of the path to the account with the policies
// of a type attached to each; known is false when no attachment of the
// type is in the evidence (nothing to judge by), or the account is the
// management account (which neither SCPs nor RCPs affect).
func (r *run) orgLevels(typ string) (c *orgCheck, known bool) {
	o := &r.aws.Org
	acct := r.subject.Account
	if acct == "" || o.ManagementAccount() == acct {
		return nil, false
	}
	c = &orgCheck{typ: typ, policies: map[string]*evidence.OrgPolicy{}, attached: map[string]string{}}
	c.path, c.complete = o.Path(acct)
	for _, target := range c.path {
		l := iampolicy.Level{Target: target}
		att, ok := o.Attached(target, typ, acct)
		if !ok {
			l.Missing = fmt.Sprintf("which %ss are attached to %s is not known (aws organizations list-policies-for-target --target-id %s --filter %s)", evidence.PolicyShort(typ), target, target, typ)
			c.levels = append(c.levels, l)
			continue
		}
		known = true
		var missing []string
		for _, id := range att.IDs {
			p := o.Policy(id)
			if p == nil || p.Document == nil {
				missing = append(missing, fmt.Sprintf("the content of %s (aws organizations describe-policy --policy-id %s)", id, id))
				continue
			}
			n := orgPolicyName(p)
			c.policies[n], c.attached[n] = p, target
			l.Policies = append(l.Policies, iampolicy.Named{Name: n, Policy: p.Document})
		}
		if att.Partial {
			missing = append(missing, att.Source.String()+" is one page of several")
		}
		l.Complete, l.Missing = len(missing) == 0, strings.Join(missing, "; ")
		c.levels = append(c.levels, l)
	}
	return c, known
}

// evaluate runs the check for one request.
func (c *orgCheck) evaluate(action string, req iampolicy.Request) {
	c.action, c.req = action, req
	c.res = iampolicy.EvaluateOrg(c.levels, c.complete, req)
}

// signInRegion is the Region of the sign-in endpoint the message was
// posted to: the one AssumeRoleWithSAML is requested in.
func (r *run) signInRegion() string {
	if si, ok := awsarn.ParseSignIn(r.subject.PostedTo); ok {
		return orX(si.Region, si.DefaultRegion)
	}
	return ""
}

// rcpRequest is sts:AssumeRoleWithSAML (or the TagSession and
// SetSourceIdentity that go with it) as the RCPs see it: on the role, with
// the assertion's SAML keys, and without the keys of a principal: a SAML
// sign-in is an unsigned request that no AWS principal makes, so
// aws:PrincipalOrgID, aws:PrincipalArn, aws:PrincipalIsAWSService and the
// principal's tags are not in its context, and aws:PrincipalAccount is
// "anonymous", as AWS documents for such requests.
func (r *run) rcpRequest(action string) iampolicy.Request {
	ctx := r.samlContext()
	for _, k := range []string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalArn", "aws:PrincipalIsAWSService",
		"aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths",
		"aws:userid", "aws:username", "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"} {
		ctx.SetAbsent(k)
	}
	ctx.Set("aws:PrincipalAccount", "anonymous")
	ctx.Set("aws:ResourceAccount", r.subject.Account)
	if id := r.aws.Org.OrgID(); id != "" {
		ctx.Set("aws:ResourceOrgID", id)
	}
	if reg := r.signInRegion(); reg != "" {
		ctx.Set("aws:RequestedRegion", reg)
	}
	ctx.Set("aws:SecureTransport", "true")
	if !r.subject.At.IsZero() {
		ctx.Set("aws:CurrentTime", r.subject.At.UTC().Format("2006-01-02T15:04:05Z"))
		ctx.Set("aws:EpochTime", fmt.Sprint(r.subject.At.Unix()))
	}
	if r.awsView != nil {
		var keys []string
		for _, t := range r.awsView.PrincipalTags {
			keys = append(keys, t.Key)
		}
		if len(keys) > 0 {
			ctx.Set("aws:TagKeys", keys...)
		} else {
			ctx.SetAbsent("aws:TagKeys")
		}
		if len(r.awsView.TransitiveTagKeys) > 0 {
			ctx.Set("sts:TransitiveTagKeys", r.awsView.TransitiveTagKeys...)
		} else {
			ctx.SetAbsent("sts:TransitiveTagKeys")
		}
	}
	r.setRoleTags(ctx, "aws:ResourceTag/")
	return iampolicy.Request{Action: action, Resource: r.roleUsed, Principal: &iampolicy.Principal{Type: "Federated", ID: r.providerUsed}, Context: ctx}
}

// setRoleTags sets the role's IAM tags under prefix when the evidence
// shows them (a tag not set is then absent); otherwise they stay unknown.
func (r *run) setRoleTags(ctx iampolicy.Context, prefix string) {
	if r.role == nil || !r.role.TagsKnown {
		return
	}
	for k, v := range r.role.Tags {
		if _, ok := ctx.Values[strings.ToLower(prefix+k)]; !ok {
			ctx.Set(prefix+k, v)
		}
	}
	ctx.SetAbsentPrefix(prefix)
}

// scpRequest is connect:GetFederationToken as the SCPs see it: made by the
// role's session, a principal of the account.
func (r *run) scpRequest() iampolicy.Request {
	ro, roleID := r.role, "AROA-ROLE-ID"
	if ro == nil {
		ro = &evidence.Role{ARN: r.roleUsed}
	}
	if ro.ID != "" {
		roleID = ro.ID
	}
	req := r.federationRequest(ro, roleID)
	ctx := req.Context
	ctx.Set("aws:PrincipalIsAWSService", "false")
	ctx.Set("aws:ResourceAccount", r.subject.Account)
	if id := r.aws.Org.OrgID(); id != "" {
		ctx.Set("aws:PrincipalOrgID", id)
		ctx.Set("aws:ResourceOrgID", id)
	}
	ctx.Set("aws:SecureTransport", "true")
	r.setRoleTags(ctx, "aws:PrincipalTag/")
	return req
}

// orgState memoises the organization's verdicts for one run.
type orgState struct {
	rcp, scp []*orgCheck
	done     bool
}

// orgChecks evaluates the RCPs for what AssumeRoleWithSAML needs and the
// SCPs for connect:GetFederationToken, once.
func (r *run) orgChecks() *orgState {
	if r.org != nil && r.org.done {
		return r.org
	}
	r.org = &orgState{done: true}
	if r.roleUsed == "" || r.subject == nil || r.subject.Account == "" {
		return r.org
	}
	if r.providerUsed != "" {
		for _, act := range r.trustActions() {
			if c, ok := r.orgLevels(evidence.RCP); ok {
				c.evaluate(act, r.rcpRequest(act))
				r.org.rcp = append(r.org.rcp, c)
			}
		}
	}
	if r.subject.InstanceID != "" && r.subject.Region != "" && r.subject.RoleSessionName != "" {
		if c, ok := r.orgLevels(evidence.SCP); ok {
			c.evaluate(federationAction, r.scpRequest())
			r.org.scp = append(r.org.scp, c)
		}
	}
	return r.org
}

// scpDecision is the SCPs' verdict on connect:GetFederationToken, "" when
// not judged.
func (r *run) scpDecision() iampolicy.Decision {
	for _, c := range r.orgChecks().scp {
		return c.res.Decision
	}
	return ""
}

// checkRCPs reports an RCP that stops AssumeRoleWithSAML (S3).
func (r *run) checkRCPs() {
	if r.has("iam.provider_not_found") || r.has("iam.role_not_found") || r.has("iam.reserved_sso_role") {
		return // AWS stops before the role; nothing is learnt from its RCPs
	}
	var denied []*orgCheck
	for _, c := range r.orgChecks().rcp {
		if c.res.Decision == iampolicy.ExplicitDeny || c.res.Decision == iampolicy.ImplicitDeny {
			denied = append(denied, c)
		}
	}
	if len(denied) == 0 {
		return
	}
	r.covered[catalog.StageAssumeRole] = true
	var acts []string
	for _, c := range denied {
		acts = append(acts, c.action)
	}
	first := denied[0]
	f := Finding{ID: "iam.rcp_denies", Severity: Error, Explains: []string{"signin.not_authorized_assume_role"}}
	if first.res.Decision == iampolicy.ExplicitDeny {
		d := first.res.Deny[0]
		f.Title = fmt.Sprintf("The organization's resource control policy %s, attached to %s, denies %s on role %s", plainPolicyName(first.policies[d.Policy]), first.attached[d.Policy], strings.Join(acts, " and "), roleName(r.roleUsed))
	} else {
		f.Title = fmt.Sprintf("No resource control policy attached to %s allows %s on role %s", first.res.Blocking, strings.Join(acts, " and "), roleName(r.roleUsed))
	}
	detail := "An RCP bounds what anyone may do to the organization's resources, this role included: STS evaluates the RCPs attached from the organization's root to the role's account beside the role's trust policy, and a Deny in any of them wins over the trust policy's Allow (" + rcpDocs + "). " +
		"A SAML sign-in is an unsigned request that no AWS principal makes: aws:PrincipalOrgID, aws:PrincipalArn and aws:PrincipalIsAWSService are not in its request context, so a Deny on a condition such as StringNotEqualsIfExists aws:PrincipalOrgID with BoolIfExists aws:PrincipalIsAWSService false matches every SAML sign-in, the organization's own agents' too. " +
		"AWS's identity-perimeter RCP example lists the STS actions it denies and leaves sts:AssumeRoleWithSAML out. STS answers \"Not authorized to perform sts:AssumeRoleWithSAML\"."
	if first.res.Decision == iampolicy.ImplicitDeny {
		detail = "An RCP Allow is only the AWS managed RCPFullAWSAccess, which Organizations attaches to the root, every OU and every account and which cannot be detached; the evidence shows none at " + first.res.Blocking + ", so every request on the role is denied there (" + rcpDocs + "). Read that target's RCPs again: aws organizations list-policies-for-target --target-id " + first.res.Blocking + " --filter RESOURCE_CONTROL_POLICY."
	}
	if r.trustAllows() {
		detail += " The role's trust policy allows this sign-in: the RCP stops it, not the trust policy."
		f.Evidence = append(f.Evidence, Evidence{What: "trust policy verdict for sts:AssumeRoleWithSAML", Value: "allowed", Where: r.role.Source.String() + " AssumeRolePolicyDocument"})
	}
	for _, c := range denied {
		f.Evidence = append(f.Evidence, r.orgEvidence(c)...)
	}
	f.Evidence = append(f.Evidence, r.orgPathEvidence(first))
	for _, s := range r.aws.Simulations {
		for _, c := range denied {
			if strings.EqualFold(s.Action, c.action) && s.Decision == "allowed" {
				f.Evidence = append(f.Evidence, Evidence{What: "iam:SimulatePrincipalPolicy for " + s.Action, Value: "allowed", Where: s.Source.String()})
				detail += " IAM's policy simulator says allowed, but it evaluates identity policies and SCPs, not RCPs: its answer does not contradict this."
			}
		}
	}
	f.Detail = detail
	f.Fix = r.orgFix(denied)
	r.add(f)
}

// trustAllows reports whether the role's trust policy, known, allows every
// action the sign-in needs.
func (r *run) trustAllows() bool {
	if r.role == nil || r.role.Trust == nil {
		return false
	}
	denied, unknown, _ := r.trustDecisions(r.role.Trust, "trust policy of "+r.role.Name)
	return len(denied) == 0 && len(unknown) == 0
}

// checkSCPs reports an SCP that stops connect:GetFederationToken (S5).
func (r *run) checkSCPs() {
	var denied []*orgCheck
	for _, c := range r.orgChecks().scp {
		if c.res.Decision == iampolicy.ExplicitDeny || c.res.Decision == iampolicy.ImplicitDeny {
			denied = append(denied, c)
		}
	}
	if len(denied) == 0 {
		return
	}
	c := denied[0]
	f := Finding{ID: "iam.scp_denies", Severity: Error, Explains: []string{"connect.access_denied_admin"}}
	detail := "An SCP bounds what the principals of the organization's accounts may do, whatever their own policies allow: connect:GetFederationToken, which Connect calls as the role's session after AWS sign-in, passes only when no SCP from the organization's root to the account denies it and a policy at every level of that path allows it (" + scpDocs + "). Connect then answers \"Access denied, Please contact your AWS account administrator\"."
	if c.res.Decision == iampolicy.ExplicitDeny {
		d := c.res.Deny[0]
		f.Title = fmt.Sprintf("The organization's service control policy %s, attached to %s, denies connect:GetFederationToken to role %s", plainPolicyName(c.policies[d.Policy]), c.attached[d.Policy], roleName(r.roleUsed))
	} else {
		f.Title = fmt.Sprintf("No service control policy attached to %s allows connect:GetFederationToken, so the SCPs deny it to role %s", c.res.Blocking, roleName(r.roleUsed))
		detail += " Every level must allow: an SCP that allows a list of actions and not this one, with FullAWSAccess detached, denies it implicitly."
	}
	f.Evidence = append(r.orgEvidence(c), r.orgPathEvidence(c))
	for _, s := range r.aws.Simulations {
		if strings.EqualFold(s.Action, federationAction) && s.AllowedByOrganizations != nil && !*s.AllowedByOrganizations {
			f.Evidence = append(f.Evidence, Evidence{What: "iam:SimulatePrincipalPolicy (which evaluates SCPs)", Value: s.Decision + ", not allowed by Organizations", Where: s.Source.String()})
		}
	}
	f.Detail = detail
	f.Fix = r.orgFix(denied)
	// The role's own policies are not what stops it: the note asking to
	// check the SCPs is answered.
	r.res.Findings = slices.DeleteFunc(r.res.Findings, func(x Finding) bool { return x.ID == "iam.federation_token_allowed" })
	r.add(f)
}

// orgEvidence is what the verdict rests on: the statement that denies and
// why its conditions hold, or the level where nothing allows.
func (r *run) orgEvidence(c *orgCheck) []Evidence {
	var ev []Evidence
	verdict := fmt.Sprintf("%s verdict for %s on %s", evidence.PolicyShort(c.typ), c.action, orX(c.req.Resource, "the request"))
	if c.res.Decision == iampolicy.ImplicitDeny {
		var names []string
		for _, l := range c.res.Levels {
			if l.Target == c.res.Blocking {
				for n := range c.attached {
					if c.attached[n] == l.Target {
						names = append(names, n)
					}
				}
			}
		}
		slices.Sort(names)
		where := ""
		if att, ok := r.aws.Org.Attached(c.res.Blocking, c.typ, r.subject.Account); ok {
			where = att.Source.String()
		}
		return append(ev, Evidence{What: verdict, Value: fmt.Sprintf("implicitDeny: none of the %ss attached to %s allows it (%s)", evidence.PolicyShort(c.typ), c.res.Blocking, orX(strings.Join(names, ", "), "none")), Where: where})
	}
	for _, d := range c.res.Deny {
		p := c.policies[d.Policy]
		ev = append(ev, Evidence{What: verdict, Value: "explicitDeny: denied by " + d.String(), Where: p.Source.String()})
		if att, ok := r.aws.Org.Attached(c.attached[d.Policy], c.typ, r.subject.Account); ok {
			ev = append(ev, Evidence{What: d.Policy + " is attached to", Value: c.attached[d.Policy], Where: att.Source.String()})
		}
		st := p.Document.Statements[d.Index]
		for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
			for _, key := range slices.Sorted(maps.Keys(st.Condition[op])) {
				ev = append(ev, Evidence{What: fmt.Sprintf("condition %s %s [%s] holds", op, key, strings.Join(st.Condition[op][key], ", ")),
					Value: keyState(c.req.Context, key, c.typ), Where: "the request's context"})
			}
		}
	}
	return ev
}

// keyState says what the request holds for a condition key.
func keyState(ctx iampolicy.Context, key, typ string) string {
	k := strings.ToLower(key)
	v, in, known := ctx.Get(key)
	if in {
		return key + " is " + strings.Join(v, ", ")
	}
	if known {
		if typ == evidence.RCP && strings.HasPrefix(k, "aws:principal") {
			return key + " is not in the request: no AWS principal makes a SAML sign-in"
		}
		return key + " is not in the request"
	}
	return key + " is not known offline"
}

// orgPathEvidence is the path from the root to the account, as read.
func (r *run) orgPathEvidence(c *orgCheck) Evidence {
	var where []string
	for _, t := range c.path {
		if s, ok := r.aws.Org.ParentSource(t, r.subject.Account); ok && !slices.Contains(where, s.String()) {
			where = append(where, s.String())
		}
	}
	v := strings.Join(c.path, " → ")
	if !c.complete {
		v += " (the rest of the path to the root is not in the evidence: aws organizations list-parents --child-id " + c.path[0] + ")"
	}
	return Evidence{What: "path from the organization's root to account " + r.subject.Account, Value: v, Where: orX(strings.Join(where, "; "), "no list-parents output: the account alone")}
}

// orgFix corrects, in place, each policy whose statement denies what the
// sign-in needs. A Deny that lists the action among others loses it; one
// that exempts by a negated condition (a Region list, principal ARNs)
// gets this sign-in's value added; otherwise the statement is given an
// exemption for exactly this sign-in: an RCP for SAML sign-ins through
// this provider (saml:doc, ACCOUNT/PROVIDER-NAME), an SCP for this role
// (aws:PrincipalArn). An implicit deny gets the action added to the
// level's own Allow statement. Nothing else in the policies changes.
func (r *run) orgFix(denied []*orgCheck) *Fix {
	type edit struct {
		policy *evidence.OrgPolicy
		doc    *iampolicy.Policy
		stmt   int // 1-based, the first edited
		what   []string
	}
	var edits []*edit
	byName := map[string]*edit{}
	doc := func(c *orgCheck, name string) *edit {
		if e, ok := byName[name]; ok {
			return e
		}
		e := &edit{policy: c.policies[name], doc: c.policies[name].Document.Clone()}
		byName[name] = e
		edits = append(edits, e)
		return e
	}
	// applies reports whether a statement, as edited so far, still
	// applies to the check's request.
	applies := func(c *orgCheck, st iampolicy.Statement) bool {
		one := &iampolicy.Policy{Statements: []iampolicy.Statement{st}}
		return iampolicy.Evaluate([]iampolicy.Named{{Name: "edited", Policy: one}}, c.req).Decision == iampolicy.ExplicitDeny
	}
	var why string
	for _, c := range denied {
		switch c.res.Decision {
		case iampolicy.ExplicitDeny:
			for _, d := range c.res.Deny {
				if c.policies[d.Policy].AWSManaged {
					why = d.Policy + " is an AWS managed policy, which cannot be changed"
					continue
				}
				e := doc(c, d.Policy)
				st := &e.doc.Statements[d.Index]
				if !applies(c, *st) {
					continue // an earlier edit already exempts this request
				}
				if how := r.exemptStatement(c, st); how != "" {
					if e.stmt == 0 {
						e.stmt = d.Index + 1
					}
					e.what = append(e.what, fmt.Sprintf("statement %d: %s", d.Index+1, how))
				}
			}
		case iampolicy.ImplicitDeny:
			name, idx := "", -1
			for _, n := range slices.Sorted(maps.Keys(c.attached)) {
				if c.attached[n] != c.res.Blocking || c.policies[n].AWSManaged || name != "" {
					continue
				}
				for i, st := range c.policies[n].Document.Statements {
					if st.Effect == "Allow" && st.Has("Action") && len(st.Condition) == 0 && slices.Contains(st.Resource, "*") {
						name, idx = n, i
						break
					}
				}
			}
			if name == "" || c.typ == evidence.RCP {
				why = fmt.Sprintf("no %s attached to %s has an Allow statement to add %s to; which policy should allow it is a decision about the organization's controls", evidence.PolicyShort(c.typ), c.res.Blocking, c.action)
				if c.typ == evidence.RCP {
					why = "only the AWS managed RCPFullAWSAccess may Allow in an RCP, and Organizations attaches it to every level; read the level's RCPs again"
				}
				continue
			}
			e := doc(c, name)
			st := &e.doc.Statements[idx]
			if !allowsAction(*st, c.action) {
				st.Action = append(st.Action, c.action)
				if e.stmt == 0 {
					e.stmt = idx + 1
				}
				e.what = append(e.what, fmt.Sprintf("statement %d: add %s to its actions", idx+1, c.action))
			}
		}
	}
	var changes []fix.Change
	var summary []string
	for _, e := range edits {
		if len(e.what) == 0 {
			continue
		}
		changes = append(changes, fix.UpdateOrgPolicy{Policy: e.policy.ID, Type: e.policy.Type, Statement: e.stmt, Edit: strings.Join(e.what, "; "), Document: e.doc})
		summary = append(summary, orgPolicyName(e.policy)+" "+strings.Join(e.what, "; "))
	}
	if len(changes) == 0 {
		return &Fix{Summary: "Change the organization's policy named above so that it no longer stops this sign-in.",
			Check: &fix.Check{Result: fix.NotChecked, Why: orX(why, "the statement cannot be narrowed without a decision about what else it stops")}}
	}
	return r.newFix(fmt.Sprintf("Correct the organization's %s in place, keeping every other statement: %s.", evidence.PolicyShort(denied[0].typ), strings.Join(summary, "; ")), changes...)
}

// negatedOps are the condition operators whose values exempt: adding a
// value the request has makes the condition (and the Deny) stop applying.
var negatedOps = []string{"StringNotEquals", "StringNotEqualsIfExists", "StringNotLike", "StringNotLikeIfExists",
	"ArnNotEquals", "ArnNotEqualsIfExists", "ArnNotLike", "ArnNotLikeIfExists", "StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCaseIfExists"}

// exemptStatement edits a Deny statement so that it no longer applies to
// the request, changing the least, and says how.
func (r *run) exemptStatement(c *orgCheck, st *iampolicy.Statement) string {
	act := c.action
	// The action named among others: take it out.
	if st.Has("Action") && len(st.Action) > 1 {
		if j := slices.IndexFunc(st.Action, func(a string) bool { return strings.EqualFold(a, act) }); j >= 0 {
			st.Action = slices.Delete(st.Action, j, j+1)
			return "remove " + act + " from its actions"
		}
	}
	// A Deny of everything but a list: add the action to the list.
	if st.Has("NotAction") {
		st.NotAction = append(st.NotAction, act)
		return "add " + act + " to the actions it exempts (NotAction)"
	}
	key, value := "saml:doc", r.subject.Account+"/"+awsarn.ProviderName(r.providerUsed)
	op := "StringNotEqualsIfExists"
	if c.typ == evidence.SCP {
		key, value, op = "aws:PrincipalArn", r.roleUsed, "ArnNotEquals"
		// A negated condition on a key whose value is known (a Region
		// list, an exempted principal) takes this sign-in's value.
		for _, o := range slices.Sorted(maps.Keys(st.Condition)) {
			if !slices.Contains(negatedOps, o) {
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(st.Condition[o])) {
				if v, ok := c.req.Context.Values[strings.ToLower(k)]; ok && len(v) == 1 && strings.HasPrefix(strings.ToLower(k), "aws:") {
					st.Condition[o][k] = append(st.Condition[o][k], v[0])
					return fmt.Sprintf("add %s to its %s values (%s), which now hold %s", v[0], k, o, strings.Join(st.Condition[o][k][:len(st.Condition[o][k])-1], ", "))
				}
			}
		}
	}
	if st.Condition == nil {
		st.Condition = map[string]map[string][]string{}
		st.Mark("Condition")
	}
	if st.Condition[op] == nil {
		st.Condition[op] = map[string][]string{}
	}
	st.Condition[op][key] = append(st.Condition[op][key], value)
	if c.typ == evidence.RCP {
		return fmt.Sprintf("exempt SAML sign-ins through %s with the condition %s saml:doc %s (saml:doc is ACCOUNT/PROVIDER-NAME of the IAM SAML provider)", awsarn.ProviderName(r.providerUsed), op, value)
	}
	return fmt.Sprintf("exempt role %s with the condition %s aws:PrincipalArn %s", roleName(r.roleUsed), op, value)
}

// orgBreaks says how far the corrected policy reaches: every account
// under the targets it is attached to.
func (r *run) orgBreaks(c fix.UpdateOrgPolicy) []string {
	var targets []string
	for _, a := range r.aws.Org.Attachments {
		if slices.Contains(a.IDs, c.Policy) {
			targets = append(targets, orX(a.Target, r.subject.Account))
		}
	}
	slices.Sort(targets)
	targets = slices.Compact(targets)
	if len(targets) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("widens access: the corrected statement holds for every account under %s, where the policy is attached, not for this role alone", strings.Join(targets, ", "))}
}

// orgCommands are the reads that show the policies of a type on the path
// from the organization's root to the sign-in's account.
func (r *run) orgCommands(typ string) []string {
	acct := orX(r.subject.Account, "ACCOUNT-ID")
	short := strings.ToLower(evidence.PolicyShort(typ))
	return []string{
		fmt.Sprintf("aws organizations list-parents --child-id %s > org-parents-%s.json", q(acct), q(acct)),
		fmt.Sprintf("aws organizations list-policies-for-target --target-id %s --filter %s > org-%s-for-target-%s.json", q(acct), q(typ), q(short), q(acct)),
		"aws organizations describe-policy --policy-id POLICY-ID > org-policy-POLICY-ID.json",
	}
}

// orgReadsNote says how the reads of orgCommands go on up the path.
const orgReadsNote = " Repeat list-parents and list-policies-for-target for each parent up to the root (r-...), naming each file by its target, and describe-policy for each policy listed that is not AWS managed; samldoctor collect --script bash writes all of them."

// orgUnsettled reports whether the organization's policies of a type might
// still be what stops the sign-in: they are not known to allow it, and the
// account is not the management account.
func (r *run) orgUnsettled(typ string) bool {
	if acct := r.subject.Account; acct != "" && r.aws.Org.ManagementAccount() == acct {
		return false
	}
	checks := r.orgChecks().scp
	if typ == evidence.RCP {
		checks = r.orgChecks().rcp
	}
	for _, c := range checks {
		if c.res.Decision == iampolicy.Allowed {
			return false
		}
	}
	return true
}

// orgMayExplain reports whether the organization's policies may be what
// stopped this sign-in: AWS sign-in refused AssumeRoleWithSAML with a
// trust policy that allows it, or Connect refused GetFederationToken to a
// role whose policies allow it.
func (r *run) orgMayExplain() bool {
	return r.symptoms["signin.not_authorized_assume_role"] && !r.has("iam.trust_policy_denies") ||
		r.symptoms["connect.access_denied_admin"] && !r.has("iam.federation_token_denied")
}
