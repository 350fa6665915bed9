package diagnose

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// A fix is a claim: before it is shown, its changes are applied to a copy
// of what the diagnosis saw (the decoded assertion, the pages' clocks, the
// AWS evidence) and the sign-in is diagnosed again, with no symptom
// observed, so that every stage the evidence covers is judged as AWS would
// judge the changed sign-in. What would break today's sign-ins is named
// beside it.

// world is a copy of a diagnosis's inputs that changes can be applied to
// without touching the original.
type world struct {
	msg   capture.Message
	aws   evidence.Set
	pages []capture.Page
	// assumptions are what the model of a change takes for granted.
	assumptions []string
}

// errNotModelled is a change the check cannot apply; errRefused a change
// AWS would refuse; wrong a change that does not do what it says.
type changeError struct {
	refused bool
	wrong   bool
	why     string
}

func (e *changeError) Error() string { return e.why }

func notModelled(format string, a ...any) error {
	return &changeError{why: fmt.Sprintf(format, a...)}
}

func refused(format string, a ...any) error {
	return &changeError{refused: true, why: fmt.Sprintf(format, a...)}
}

// wrongChange is a change whose parts disagree: applied as written, it
// does not produce what it says it does.
func wrongChange(format string, a ...any) error {
	return &changeError{wrong: true, why: fmt.Sprintf(format, a...)}
}

func (r *run) newWorld() *world {
	w := &world{msg: *r.msg, aws: *r.aws}
	if r.parsed != nil {
		p := *r.parsed
		p.Assertions = slices.Clone(p.Assertions)
		p.Misplaced = slices.Clone(p.Misplaced)
		// The view of the assertion the diagnosis judged (the signed one).
		if av := r.awsView; av != nil {
			v := *av
			v.Roles = slices.Clone(v.Roles)
			p.AWS = &v
		}
		w.msg.Parsed = &p
	}
	w.msg.Seen = slices.Clone(w.msg.Seen)
	if w.msg.Parsed != nil {
		w.msg.AWS = w.msg.Parsed.AWS // the copy's, edited with it
	}
	w.aws = copyAWS(r.aws)
	w.pages = slices.Clone(r.in.Capture.Pages)
	return w
}

// copyAWS is a copy of the AWS evidence whose lists a change may edit.
func copyAWS(src *evidence.Set) evidence.Set {
	c := *src
	// Facts were attributed to the sign-in's role and provider by the
	// first diagnosis; the copy does not attribute them again.
	c.Unattributed = evidence.Unattributed{}
	c.Roles = slices.Clone(src.Roles)
	c.Users = maps.Clone(src.Users)
	c.Providers = slices.Clone(src.Providers)
	c.Policies = maps.Clone(src.Policies)
	c.Events = slices.Clone(src.Events)
	c.Simulations = slices.Clone(src.Simulations)
	c.TrafficGroups = slices.Clone(src.TrafficGroups)
	c.Org.Policies = maps.Clone(src.Org.Policies)
	if pl := src.ProviderList; pl != nil {
		l := *pl
		l.ARNs = slices.Clone(pl.ARNs)
		c.ProviderList = &l
	}
	return c
}

// assertion is the assertion the diagnosis judged, in the world's copy.
func (w *world) assertion() *assertion.Assertion {
	if w.msg.Parsed == nil {
		return nil
	}
	return w.msg.Parsed.Consumed()
}

func (w *world) view() (*assertion.AWS, error) {
	if w.msg.Parsed == nil || w.msg.Parsed.AWS == nil {
		return nil, notModelled("the message's attributes could not be read")
	}
	return w.msg.Parsed.AWS, nil
}

func (w *world) role(name string) (*evidence.Role, error) {
	for i, ro := range w.aws.Roles {
		if ro.Name == name {
			c := *ro
			c.Inline = maps.Clone(ro.Inline)
			c.Attached = slices.Clone(ro.Attached)
			w.aws.Roles[i] = &c
			return &c, nil
		}
	}
	return nil, notModelled("role %s is not in the AWS data", name)
}

func (w *world) provider(arn string) (*evidence.SAMLProvider, error) {
	for i, p := range w.aws.Providers {
		if p.ARN == arn {
			c := *p
			w.aws.Providers[i] = &c
			return &c, nil
		}
	}
	return nil, notModelled("get-saml-provider output for %s is not in the AWS data", arn)
}

// users returns a copy of the user list the diagnosis used, for editing.
func (w *world) users(r *run) (*evidence.UserList, error) {
	for k, ul := range w.aws.Users {
		if ul == r.users() {
			c := *ul
			c.Users = slices.Clone(ul.Users)
			w.aws.Users[k] = &c
			return &c, nil
		}
	}
	return nil, notModelled("the instance's user list is not in the AWS data")
}

func shiftTime(t *assertion.Time, d time.Duration) *assertion.Time {
	if !t.Valid() {
		return t
	}
	c := *t
	c.Time = c.Time.Add(d)
	c.Raw = c.Time.UTC().Format("2006-01-02T15:04:05.000Z")
	return &c
}

// apply makes one change in the world.
func (r *run) apply(w *world, c Change) error {
	switch c.Kind {
	case SetAttribute:
		v, err := w.view()
		if err != nil {
			return err
		}
		switch c.Attribute {
		case assertion.AttrRoleSessionName:
			value, err := w.sessionNameFrom(c)
			if err != nil {
				return err
			}
			v.RoleSessionName, v.RoleSessionNameValues, v.HasRoleSessionName, v.RoleSessionNameAttributes = value, nil, true, 1
		case assertion.AttrSessionDuration:
			v.SessionDuration = c.Value
		case assertion.AttrSourceIdentity:
			v.SourceIdentity = c.Value
		default:
			return notModelled("attribute %s is not modelled", c.Attribute)
		}
	case SendRoles:
		v, err := w.view()
		if err != nil {
			return err
		}
		v.Roles = nil
		for _, pair := range c.Roles {
			ro, err := splitRolePair(pair)
			if err != nil {
				return refused("AWS refuses the Role value: %v", err)
			}
			v.Roles = append(v.Roles, ro)
		}
		v.HasRoleAttribute = true
		if len(c.Roles) == 1 {
			w.msg.RoleIndex = ""
			for i := range w.msg.Seen {
				w.msg.Seen[i].RoleIndex = ""
			}
		}
	case SetAudience:
		a := w.assertion()
		if a == nil {
			return notModelled("the message has no assertion to change")
		}
		cond := assertion.Conditions{}
		if a.Conditions != nil {
			cond = *a.Conditions
		}
		cond.Audiences = []string{c.Value}
		a.Conditions = &cond
	case SetACS:
		a := w.assertion()
		if a == nil || a.Subject == nil {
			return notModelled("the message has no subject to change")
		}
		s := *a.Subject
		s.Confirmations = slices.Clone(s.Confirmations)
		for i := range s.Confirmations {
			if s.Confirmations[i].Method == assertion.MethodBearer {
				s.Confirmations[i].Recipient = c.Value
			}
		}
		a.Subject = &s
		if w.msg.Parsed.Destination != "" {
			w.msg.Parsed.Destination = c.Value
		}
		for i, p := range w.msg.Seen {
			if p.Where == "post" {
				if _, ok := awsarn.ParseSignIn(stripQuery(p.URL)); ok {
					w.msg.Seen[i].URL = c.Value
				}
			}
		}
	case SetRelayState:
		w.msg.RelayState = c.Value
	case SyncIdPClock:
		p := w.msg.Parsed
		if p == nil {
			return notModelled("the message could not be read")
		}
		p.IssueInstant = shiftTime(p.IssueInstant, c.Offset)
		for i := range p.Assertions {
			a := &p.Assertions[i]
			a.IssueInstant = shiftTime(a.IssueInstant, c.Offset)
			if a.Conditions != nil {
				cond := *a.Conditions
				cond.NotBefore, cond.NotOnOrAfter = shiftTime(cond.NotBefore, c.Offset), shiftTime(cond.NotOnOrAfter, c.Offset)
				a.Conditions = &cond
			}
			if a.Subject != nil {
				s := *a.Subject
				s.Confirmations = slices.Clone(s.Confirmations)
				for j := range s.Confirmations {
					s.Confirmations[j].NotBefore = shiftTime(s.Confirmations[j].NotBefore, c.Offset)
					s.Confirmations[j].NotOnOrAfter = shiftTime(s.Confirmations[j].NotOnOrAfter, c.Offset)
				}
				a.Subject = &s
			}
		}
		// The IdP's own Date headers move with its clock.
		host := r.formHost()
		for i := range w.pages {
			if w.pages[i].Stage == "idp" && hostOfURL(w.pages[i].URL) == host && !w.pages[i].ServerDate.IsZero() {
				w.pages[i].ServerDate = w.pages[i].ServerDate.Add(c.Offset)
			}
		}
		for i := range w.msg.Seen {
			if w.msg.Seen[i].Where == "html-form" && !w.msg.Seen[i].ServerDate.IsZero() {
				w.msg.Seen[i].ServerDate = w.msg.Seen[i].ServerDate.Add(c.Offset)
			}
		}
	case EncryptAssertion:
		w.msg.Decrypted = true // encrypted on the wire; IAM decrypts it
	case EditStatement, PutRolePolicy:
		ro, err := w.role(c.Role)
		if err != nil {
			return err
		}
		if c.Managed {
			mp := w.aws.Policies[c.Policy]
			if mp == nil {
				return notModelled("managed policy %s is not in the AWS data", c.Policy)
			}
			m := *mp
			m.Versions = maps.Clone(mp.Versions)
			m.Versions["samldoctor-fix"] = c.Document
			m.DefaultVersionID = "samldoctor-fix"
			w.aws.Policies[c.Policy] = &m
		} else {
			if ro.Inline == nil {
				ro.Inline = map[string]*iampolicy.Policy{}
			}
			ro.Inline[c.Policy] = c.Document
		}
		// IAM's simulator judged the old policies: keep only its verdicts
		// that come from outside them (SCPs, the boundary).
		var keep []*evidence.Simulation
		for _, s := range w.aws.Simulations {
			if s.AllowedByOrganizations != nil && !*s.AllowedByOrganizations || s.AllowedByPermissionsBoundary != nil && !*s.AllowedByPermissionsBoundary {
				keep = append(keep, s)
			}
		}
		w.aws.Simulations = keep
	case UpdateTrustPolicy:
		ro, err := w.role(c.Role)
		if err != nil {
			return err
		}
		ro.Trust = c.Document
	case UpdateProviderMetadata:
		p, err := w.provider(c.Provider)
		if err != nil {
			return err
		}
		md := r.aws.IdPMetadata
		if md == nil {
			md = r.responseMetadata()
			if md == nil {
				return notModelled("neither --idp-metadata nor the response's KeyInfo shows which certificate the IdP's current metadata holds")
			}
			w.assumptions = append(w.assumptions, "the IdP's current metadata declares the response's issuer and the certificate that signed it")
		}
		p.Metadata = md
	case CreateProvider:
		if w.aws.ProviderList != nil {
			w.aws.ProviderList.ARNs = append(w.aws.ProviderList.ARNs, c.Provider)
		}
	case SetEncryptionMode:
		p, err := w.provider(c.Provider)
		if err != nil {
			return err
		}
		p.AssertionEncryptionMode = c.Value
	case AddPrivateKey:
		p, err := w.provider(c.Provider)
		if err != nil {
			return err
		}
		p.PrivateKeyIDs, p.PrivateKeysKnown = append(slices.Clone(p.PrivateKeyIDs), "uploaded by the fix"), true
	case AddTrafficGroupUser:
		// The group named, and a list of users that names no group (taken
		// to be the group's, as the diagnosis did).
		added := false
		for i, g := range w.aws.TrafficGroups {
			if g.ID == c.Value || g.ARN == c.Value || g.ID == "" && g.UsersRead {
				cp := *g
				cp.Users = append(slices.Clone(g.Users), c.User.ID)
				w.aws.TrafficGroups[i] = &cp
				added = true
			}
		}
		if !added {
			return notModelled("the traffic distribution group %s is not in the evidence", c.Value)
		}
	case UpdateOrgPolicy:
		return applyOrgPolicy(w, c)
	case DropSessionTags:
		v, err := w.view()
		if err != nil {
			return err
		}
		return dropSessionTags(v, c)
	case CreateUser, RecreateUser, DeleteUser:
		if c.Kind == CreateUser && c.Region != "" {
			// In a replica: the user it names is then in that Region too.
			ul, err := w.users(r)
			if err != nil {
				return err
			}
			for i, u := range ul.Users {
				if u.Username == c.UserName {
					cp := *u
					cp.Regions = append(slices.Clone(u.Regions), c.Region)
					ul.Users[i] = &cp
					return nil
				}
			}
			return notModelled("the user %s is not in the evidence", c.UserName)
		}
		if c.Kind != DeleteUser && !validConnectUserName(c.UserName) {
			return refused("Amazon Connect refuses the user name %q (letters, digits and _ . @ - only, '@' only in an e-mail address)", c.UserName)
		}
		ul, err := w.users(r)
		if err != nil {
			return err
		}
		if c.Kind != CreateUser {
			ul.Users = slices.DeleteFunc(ul.Users, func(u *evidence.User) bool { return u.ID == c.User.ID })
			// A new user is bound to a role at its first sign-in, not
			// before: the old user's federations no longer count.
			w.aws.Events = slices.DeleteFunc(w.aws.Events, func(e *evidence.Event) bool {
				return e.Name == "GetFederationToken" && sessionOf(e.IdentityARN) == c.User.Username
			})
		}
		if c.Kind != DeleteUser {
			nu := &evidence.User{ID: "(created by the fix)", Username: c.UserName, Source: evidence.Source{Kind: "the fix"}}
			if c.User != nil {
				nu.FirstName, nu.LastName = c.User.FirstName, c.User.LastName
			}
			ul.Users = append(ul.Users, nu)
		}
	default:
		return notModelled("%s is not modelled", c.Kind)
	}
	return nil
}

func validConnectUserName(s string) bool {
	return connectUserRE.MatchString(s) && (!strings.Contains(s, "@") || emailRE.MatchString(s))
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
var stagesJudged = []Stage{StageSAML, StageAttributes, StageAssumeRole, StageRelayState, StageFederation, StageUser, StageBinding}

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
		f.Check = &Check{Result: CheckNotChecked, Why: "this fix is a manual step, not a change to the IdP, IAM or Connect that samldoctor can model"}
		return
	}
	if r.msg == nil || r.parsed == nil {
		f.Check = &Check{Result: CheckNotChecked, Why: "the SAML message could not be read, so the sign-in cannot be diagnosed again"}
		return
	}
	w := r.newWorld()
	if f.Check = r.applyAll(w, f.Changes); f.Check != nil {
		return
	}
	in := Input{Capture: &capture.Capture{Sources: r.in.Capture.Sources, Messages: []*capture.Message{&w.msg}, Pages: w.pages}, AWS: &w.aws, Certs: r.in.Certs}
	h := newRun(in)
	h.hypothetical = true
	h.diagnoseStages()
	ck := &Check{Uncovered: h.uncovered()}
	var first *Finding
	for i := range h.res.Findings {
		hf := &h.res.Findings[i]
		if hf.Severity == Error && hf.Stage != StageCapture {
			ck.After = append(ck.After, hf.ID)
			if first == nil || stageRank(hf.Stage) < stageRank(first.Stage) {
				first = hf
			}
		}
	}
	if first == nil {
		ck.Result = CheckPasses
		ck.Why = "with this change the sign-in passes every stage the evidence covers"
		if len(ck.Uncovered) > 0 {
			ck.Why += "; not covered by the evidence: " + joinStages(ck.Uncovered)
		}
	} else {
		ck.Result = CheckStillFails
		ck.Why = fmt.Sprintf("not enough alone: the sign-in then fails at %s because %s", stageWords(first.Stage), lowerFirst(first.Title))
	}
	if len(w.assumptions) > 0 {
		ck.Why += " (assuming " + strings.Join(w.assumptions, "; ") + ")"
	}
	ck.Breaks = r.breaks(f, w)
	f.Check = ck
}

// applyAll makes a fix's changes in the world; when one cannot be made,
// the check that says why.
func (r *run) applyAll(w *world, changes []Change) *Check {
	for _, c := range changes {
		if err := r.apply(w, c); err != nil {
			var ce *changeError
			if errors.As(err, &ce) && ce.refused {
				return &Check{Result: CheckStillFails, Why: "AWS would refuse this change: " + ce.why}
			}
			if errors.As(err, &ce) && ce.wrong {
				return &Check{Result: CheckStillFails, Why: "the change does not do what it says: " + ce.why}
			}
			return &Check{Result: CheckNotChecked, Why: "not modelled: " + err.Error()}
		}
	}
	return nil
}

func stageRank(s Stage) int {
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
func (r *run) uncovered() []Stage {
	var out []Stage
	for _, s := range []Stage{StageAssumeRole, StageFederation, StageUser, StageBinding} {
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
				f.Fix.Check = &Check{Result: CheckNotChecked, Why: r.res.IdP.Name + " has no case function for its attribute mappings, so this transformation cannot be made there"}
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
	c := f.Changes[0]
	if len(f.Check.Breaks) == 0 && !r.cannotTransform(c) {
		return nil
	}
	if c.Kind != SetAttribute || c.Attribute != assertion.AttrRoleSessionName || c.Scope != ScopeApplication {
		return nil
	}
	why := "the change for the whole application would stop other agents"
	if r.cannotTransform(c) {
		why = r.res.IdP.Name + " has no case function to make it for everyone"
	}
	return r.newFix(fmt.Sprintf("For this agent only, make the IdP send %q as RoleSessionName (their own value in the directory); %s.", c.Value, why),
		Change{Kind: SetAttribute, Attribute: c.Attribute, Value: c.Value, Scope: ScopeAgent})
}

// breaks names what works today that the fix would break.
func (r *run) breaks(f *Fix, w *world) []string {
	var out []string
	for _, c := range f.Changes {
		switch c.Kind {
		case RecreateUser, DeleteUser:
			out = append(out, fmt.Sprintf("deletes the Connect user %s (%s): its contact history, metrics and settings are not carried over", c.User.Username, c.User.ID))
		case UpdateTrustPolicy:
			out = append(out, r.trustBreaks(c)...)
		case EditStatement, PutRolePolicy:
			out = append(out, r.federationBreaks(c, w)...)
			if c.Kind == PutRolePolicy {
				out = append(out, r.replacedPolicy(c)...)
			}
		case UpdateOrgPolicy:
			out = append(out, r.orgBreaks(c)...)
		case DropSessionTags:
			out = append(out, r.tagBreaks(c)...)
		case SendRoles:
			if bound, e := r.boundRole(); bound != "" {
				ro, err := splitRolePair(c.Roles[0])
				if err == nil && !awsarn.SameRole(ro.RoleArn, bound) {
					out = append(out, fmt.Sprintf("moves %s off role %s, to which Connect bound the user at its first sign-in (CloudTrail %s, %s): the next sign-in gives \"Bad Request\"",
						r.subject.RoleSessionName, roleName(bound), e.ID, e.Time.UTC().Format(time.RFC3339)))
				}
			}
		case SetAttribute:
			if c.Attribute == assertion.AttrRoleSessionName && c.Scope == ScopeApplication {
				out = append(out, r.sessionNameBreaks(c)...)
			}
		}
	}
	return out
}

// sessionNameFrom is what a RoleSessionName change makes the IdP send:
// its transformation applied to its source's captured value, whatever the
// change says it yields. A source the IdP does not send, or a
// transformation that yields another value, is a wrong change; a change
// with no source sets the value on the agent's profile.
func (w *world) sessionNameFrom(c Change) (string, error) {
	if c.Source == "" {
		if c.Transform != "" {
			return "", wrongChange("a %s-case transformation of nothing: the change names no source", c.Transform)
		}
		if c.Scope != ScopeAgent {
			return "", wrongChange("the value %q is set for %s, but nothing the IdP sends holds it", c.Value, orX(string(c.Scope), "every user"))
		}
		return c.Value, nil
	}
	a := w.assertion()
	src, ok := sentValue(a, c.Source)
	if !ok {
		return "", wrongChange("the IdP sends no %s in this assertion: RoleSessionName would be empty", sourceLabel(c.Source))
	}
	value := src
	if c.Transform != "" && !isASCII(src) {
		return "", notModelled("%s sends %q, beyond ASCII, where the products' case functions differ", sourceLabel(c.Source), src)
	}
	if c.Transform != "" {
		t, ok := caseTransform(src, c.Transform)
		if !ok {
			return "", notModelled("case transformation %q is not modelled", c.Transform)
		}
		value = t
	}
	if value != c.Value {
		how := "a copy"
		if c.Transform != "" {
			how = "a " + c.Transform + "-case transformation"
		}
		return "", wrongChange("%s sends %q; %s makes it %q, not %q", sourceLabel(c.Source), src, how, value, c.Value)
	}
	return value, nil
}

// sessionNameBreaks applies an application-wide RoleSessionName change to
// every other agent CloudTrail shows signing in: what the change would
// send them (their source's value, transformed), when the evidence holds
// it, against the name they sign in with today. An agent whose source
// value is not in the evidence may stop, and is named so.
func (r *run) sessionNameBreaks(c Change) []string {
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
		case SourceNameID:
			src, known = a.nameID, a.nameID != ""
		}
		if !known {
			if c.Source == "" {
				continue // no mapping: nothing changes for them
			}
			out = append(out, fmt.Sprintf("agent %s signs in today as %q (CloudTrail); what %s holds for them is not in the evidence, so the change for the whole application may stop them", s, s, sourceLabel(c.Source)))
			continue
		}
		v := src
		if c.Transform != "" {
			v = transform(src, c.Transform)
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

func transform(s, how string) string {
	t, _ := caseTransform(s, how)
	return t
}

// caseTransform is what an IdP's case transformation ("lower" or "upper")
// makes of s; ok is false for a transformation that is neither.
func caseTransform(s, how string) (string, bool) {
	switch how {
	case "lower":
		return strings.ToLower(s), true
	case "upper":
		return strings.ToUpper(s), true
	}
	return s, false
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
func (r *run) trustBreaks(c Change) []string {
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
func (r *run) federationBreaks(c Change, w *world) []string {
	var before, after *evidence.Role
	for _, ro := range r.aws.Roles {
		if ro.Name == c.Role {
			before = ro
		}
	}
	for _, ro := range w.aws.Roles {
		if ro.Name == c.Role {
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
			eval(after, w.aws.Policies, region, account, instance, userid, userid) != iampolicy.Allowed {
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
			eval(after, w.aws.Policies, region, r.subject.Account, instance, resourceUser, caller) == iampolicy.Allowed {
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

func joinStages(l []Stage) string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = stageWords(x)
	}
	return strings.Join(s, ", ")
}

// stageExplained says what a stage's code means, for text people read.
var stageExplained = map[Stage]string{
	StageIdP:        "the identity provider's own answer",
	StageSAML:       "the SAML response itself: issuer, audience, times, signature",
	StageAttributes: "its Role and RoleSessionName attributes",
	StageAssumeRole: "AWS sign-in accepting the role and provider",
	StageRelayState: "the RelayState naming the Connect instance",
	StageFederation: "the role's permission for connect:GetFederationToken",
	StageUser:       "the Connect user named by RoleSessionName",
	StageBinding:    "the role the Connect user first signed in with, from CloudTrail",
	StageEmbedded:   "the agent application embedding the CCP",
}

// stageWords is a stage's code with what it means: "S7 earlier sign-ins
// (the role the Connect user first signed in with, from CloudTrail)".
func stageWords(s Stage) string {
	if e, ok := stageExplained[s]; ok {
		return string(s) + " (" + e + ")"
	}
	return string(s)
}

// replacedPolicy names the inline policy a put-role-policy would replace:
// one of the same name on the role, whose statements the new document
// drops.
func (r *run) replacedPolicy(c Change) []string {
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
