package fix

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// Apply sets the attribute in the judged view of the assertion. A
// RoleSessionName is what its Source and Transform make of the captured
// values (SessionNameFrom), whatever Value says.
func (c SetAttribute) Apply(w *World) error {
	v, err := w.view()
	if err != nil {
		return err
	}
	switch c.Attribute {
	case assertion.AttrRoleSessionName:
		value, err := SessionNameFrom(w.Assertion(), c)
		if err != nil {
			return err
		}
		v.RoleSessionName, v.RoleSessionNameValues, v.HasRoleSessionName, v.RoleSessionNameAttributes = value, nil, true, 1
	case assertion.AttrSessionDuration:
		v.SessionDuration = c.Value
	case assertion.AttrSourceIdentity:
		v.SourceIdentity = c.Value
	default:
		return NotModelled("attribute %s is not modelled", c.Attribute)
	}
	return nil
}

// SessionNameFrom is what a RoleSessionName change makes the IdP send
// given the assertion it sends today: its transformation applied to its
// source's captured value, whatever the change says it yields. A source
// the IdP does not send, or a transformation that yields another value,
// is a wrong change; a change with no source sets the value on the
// agent's profile, which only an agent-scoped change can do.
func SessionNameFrom(a *assertion.Assertion, c SetAttribute) (string, error) {
	if c.Source == "" {
		if c.Transform != "" {
			return "", Wrong("a %s-case transformation of nothing: the change names no source", c.Transform)
		}
		if ScopeOf(c) != ScopeAgent {
			return "", Wrong("the value %q is set for %s, but nothing the IdP sends holds it", c.Value, orX(string(c.Scope), "every user"))
		}
		return c.Value, nil
	}
	src, ok := SentValue(a, c.Source)
	if !ok {
		return "", Wrong("the IdP sends no %s in this assertion: RoleSessionName would be empty", SourceLabel(c.Source))
	}
	value := src
	if c.Transform != "" && !IsASCII(src) {
		return "", NotModelled("%s sends %q, beyond ASCII, where the products' case functions differ", SourceLabel(c.Source), src)
	}
	if c.Transform != "" {
		t, ok := CaseTransform(src, c.Transform)
		if !ok {
			return "", NotModelled("case transformation %q is not modelled", c.Transform)
		}
		value = t
	}
	if value != c.Value {
		how := "a copy"
		if c.Transform != "" {
			how = "a " + c.Transform + "-case transformation"
		}
		return "", Wrong("%s sends %q; %s makes it %q, not %q", SourceLabel(c.Source), src, how, value, c.Value)
	}
	return value, nil
}

// CaseTransform is what an IdP's case transformation ("lower" or "upper")
// makes of s; ok is false for a transformation that is neither.
func CaseTransform(s, how string) (string, bool) {
	switch how {
	case "lower":
		return strings.ToLower(s), true
	case "upper":
		return strings.ToUpper(s), true
	}
	return s, false
}

// Apply replaces the Role values; one value leaves no role to choose.
func (c SendRoles) Apply(w *World) error {
	v, err := w.view()
	if err != nil {
		return err
	}
	v.Roles = nil
	for _, pair := range c.Roles {
		ro, err := SplitRolePair(pair)
		if err != nil {
			return Refused("AWS refuses the Role value: %v", err)
		}
		v.Roles = append(v.Roles, ro)
	}
	v.HasRoleAttribute = true
	if len(c.Roles) == 1 {
		w.Msg.RoleIndex = ""
		for i := range w.Msg.Seen {
			w.Msg.Seen[i].RoleIndex = ""
		}
	}
	return nil
}

// SplitRolePair reads a Role value, "ROLE-ARN,PROVIDER-ARN" (either
// order).
func SplitRolePair(v string) (assertion.Role, error) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return assertion.Role{}, NotModelled("no comma in %q", v)
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if strings.Contains(a, ":saml-provider/") {
		a, b = b, a
	}
	if !strings.Contains(a, ":role/") || !strings.Contains(b, ":saml-provider/") {
		return assertion.Role{}, NotModelled("%q is not ROLE-ARN,PROVIDER-ARN", v)
	}
	return assertion.Role{Value: v, RoleArn: a, ProviderArn: b}, nil
}

// Apply sets the judged assertion's audience.
func (c SetAudience) Apply(w *World) error {
	a := w.Assertion()
	if a == nil {
		return NotModelled("the message has no assertion to change")
	}
	cond := assertion.Conditions{}
	if a.Conditions != nil {
		cond = *a.Conditions
	}
	cond.Audiences = []string{c.Value}
	a.Conditions = &cond
	return nil
}

// Apply sets the bearer confirmations' Recipient, the Destination, and
// where the browser posts the message.
func (c SetACS) Apply(w *World) error {
	a := w.Assertion()
	if a == nil || a.Subject == nil {
		return NotModelled("the message has no subject to change")
	}
	s := *a.Subject
	s.Confirmations = slices.Clone(s.Confirmations)
	for i := range s.Confirmations {
		if s.Confirmations[i].Method == assertion.MethodBearer {
			s.Confirmations[i].Recipient = c.Value
		}
	}
	a.Subject = &s
	if w.Msg.Parsed.Destination != "" {
		w.Msg.Parsed.Destination = c.Value
	}
	for i, p := range w.Msg.Seen {
		if p.Where == "post" {
			u := p.URL
			if i := strings.IndexAny(u, "?#"); i >= 0 {
				u = u[:i]
			}
			if _, ok := awsarn.ParseSignIn(u); ok {
				w.Msg.Seen[i].URL = c.Value
			}
		}
	}
	return nil
}

// Apply sets the RelayState posted with the message.
func (c SetRelayState) Apply(w *World) error {
	w.Msg.RelayState = c.Value
	return nil
}

// Apply moves every time the IdP wrote, and its pages' Date headers, by
// the offset.
func (c SyncIdPClock) Apply(w *World) error {
	p := w.Msg.Parsed
	if p == nil {
		return NotModelled("the message could not be read")
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
	for i := range w.Pages {
		if w.Pages[i].Stage == "idp" && hostOf(w.Pages[i].URL) == w.IdPHost && !w.Pages[i].ServerDate.IsZero() {
			w.Pages[i].ServerDate = w.Pages[i].ServerDate.Add(c.Offset)
		}
	}
	for i := range w.Msg.Seen {
		if w.Msg.Seen[i].Where == "html-form" && !w.Msg.Seen[i].ServerDate.IsZero() {
			w.Msg.Seen[i].ServerDate = w.Msg.Seen[i].ServerDate.Add(c.Offset)
		}
	}
	return nil
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

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

// Apply encrypts the assertion on the wire; IAM decrypts it.
func (c EncryptAssertion) Apply(w *World) error {
	w.Msg.Decrypted = true
	return nil
}

// Apply removes the session tags and transitive keys.
func (c DropSessionTags) Apply(w *World) error {
	v, err := w.view()
	if err != nil {
		return err
	}
	for _, k := range c.Tags {
		if !slices.ContainsFunc(v.PrincipalTags, func(t assertion.Tag) bool { return t.Key == k }) {
			return Wrong("the assertion sends no session tag %s to stop sending", k)
		}
	}
	v.PrincipalTags = slices.DeleteFunc(slices.Clone(v.PrincipalTags), func(t assertion.Tag) bool { return slices.Contains(c.Tags, t.Key) })
	v.TransitiveTagKeys = slices.DeleteFunc(slices.Clone(v.TransitiveTagKeys), func(k string) bool { return slices.Contains(c.TransitiveKeys, k) })
	return nil
}

// Apply puts the corrected document in place of the old one.
func (c EditStatement) Apply(w *World) error {
	return w.putIdentityPolicy(c.Role, c.Policy, c.Managed, c.Document)
}

// Apply adds (or, under a name in use, replaces) the inline policy.
func (c PutRolePolicy) Apply(w *World) error {
	return w.putIdentityPolicy(c.Role, c.Policy, false, c.Document)
}

func (w *World) putIdentityPolicy(role, policy string, managed bool, doc *iampolicy.Policy) error {
	ro, err := w.role(role)
	if err != nil {
		return err
	}
	if managed {
		mp := w.AWS.Policies[policy]
		if mp == nil {
			return NotModelled("managed policy %s is not in the AWS data", policy)
		}
		m := *mp
		m.Versions = maps.Clone(mp.Versions)
		m.Versions["samldoctor-fix"] = doc
		m.DefaultVersionID = "samldoctor-fix"
		w.AWS.Policies = maps.Clone(w.AWS.Policies)
		w.AWS.Policies[policy] = &m
	} else {
		if ro.Inline == nil {
			ro.Inline = map[string]*iampolicy.Policy{}
		}
		ro.Inline[policy] = doc
	}
	// IAM's simulator judged the old policies: keep only its verdicts
	// that come from outside them (SCPs, the boundary).
	var keep []*evidence.Simulation
	for _, s := range w.AWS.Simulations {
		if s.AllowedByOrganizations != nil && !*s.AllowedByOrganizations || s.AllowedByPermissionsBoundary != nil && !*s.AllowedByPermissionsBoundary {
			keep = append(keep, s)
		}
	}
	w.AWS.Simulations = keep
	return nil
}

// Apply replaces the role's trust policy with the corrected one.
func (c UpdateTrustPolicy) Apply(w *World) error {
	ro, err := w.role(c.Role)
	if err != nil {
		return err
	}
	ro.Trust = c.Document
	return nil
}

// Apply gives the provider the IdP's current metadata.
func (c UpdateProviderMetadata) Apply(w *World) error {
	p, err := w.provider(c.Provider)
	if err != nil {
		return err
	}
	if w.IdPMetadata == nil {
		return NotModelled("neither --idp-metadata nor the response's KeyInfo shows which certificate the IdP's current metadata holds")
	}
	if w.MetadataAssumed {
		w.Assumptions = append(w.Assumptions, "the IdP's current metadata declares the response's issuer and the certificate that signed it")
	}
	p.Metadata = w.IdPMetadata
	return nil
}

// Apply adds the provider to the account's list.
func (c CreateProvider) Apply(w *World) error {
	if w.AWS.ProviderList != nil {
		w.AWS.ProviderList.ARNs = append(w.AWS.ProviderList.ARNs, c.Provider)
	}
	return nil
}

// Apply sets the provider's encryption mode.
func (c SetEncryptionMode) Apply(w *World) error {
	p, err := w.provider(c.Provider)
	if err != nil {
		return err
	}
	p.AssertionEncryptionMode = c.Value
	return nil
}

// Apply gives the provider a private key.
func (c AddPrivateKey) Apply(w *World) error {
	p, err := w.provider(c.Provider)
	if err != nil {
		return err
	}
	p.PrivateKeyIDs, p.PrivateKeysKnown = append(slices.Clone(p.PrivateKeyIDs), "uploaded by the fix"), true
	return nil
}

var (
	connectUserRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
	emailRE       = regexp.MustCompile(`^[A-Za-z0-9_.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// ValidConnectUserName reports whether Amazon Connect takes s as a user
// name: letters, digits and _ . @ - only, '@' only in an e-mail address.
func ValidConnectUserName(s string) bool {
	return connectUserRE.MatchString(s) && (!strings.Contains(s, "@") || emailRE.MatchString(s))
}

// Apply adds the user to the instance's list (in a replica: marks the
// user, which exists, as present in that Region too).
func (c CreateUser) Apply(w *World) error {
	if c.Replica != "" {
		ul, err := w.users()
		if err != nil {
			return err
		}
		for i, u := range ul.Users {
			if u.Username == c.UserName {
				cp := *u
				cp.Regions = append(slices.Clone(u.Regions), c.Replica)
				ul.Users[i] = &cp
				return nil
			}
		}
		return NotModelled("the user %s is not in the evidence", c.UserName)
	}
	return w.replaceUser(nil, true, c.UserName, c.User)
}

// Apply deletes the user and creates the new one.
func (c RecreateUser) Apply(w *World) error { return w.replaceUser(c.User, true, c.UserName, c.User) }

// Apply deletes the user.
func (c DeleteUser) Apply(w *World) error { return w.replaceUser(c.User, false, "", nil) }

// replaceUser deletes old (when set) and, when create, creates name with
// like's names: a name Connect refuses (the empty one too) is refused.
func (w *World) replaceUser(old *evidence.User, create bool, name string, like *evidence.User) error {
	if create && !ValidConnectUserName(name) {
		return Refused("Amazon Connect refuses the user name %q (letters, digits and _ . @ - only, '@' only in an e-mail address)", name)
	}
	ul, err := w.users()
	if err != nil {
		return err
	}
	if old != nil {
		ul.Users = slices.DeleteFunc(ul.Users, func(u *evidence.User) bool { return u.ID == old.ID })
		// A new user is bound to a role at its first sign-in, not
		// before: the old user's federations no longer count.
		w.AWS.Events = slices.DeleteFunc(w.AWS.Events, func(e *evidence.Event) bool {
			return e.Name == "GetFederationToken" && sessionOf(e.IdentityARN) == old.Username
		})
	}
	if create {
		nu := &evidence.User{ID: "(created by the fix)", Username: name, Source: evidence.Source{Kind: "the fix"}}
		if like != nil {
			nu.FirstName, nu.LastName = like.FirstName, like.LastName
		}
		ul.Users = append(ul.Users, nu)
	}
	return nil
}

// sessionOf is the session name of an assumed-role ARN.
func sessionOf(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 && strings.Contains(arn, ":assumed-role/") {
		return arn[i+1:]
	}
	return ""
}

// Apply adds the user to the group named, and to a list of users that
// names no group (taken to be the group's, as the diagnosis did).
func (c AddTrafficGroupUser) Apply(w *World) error {
	added := false
	for i, g := range w.AWS.TrafficGroups {
		if g.ID == c.Value || g.ARN == c.Value || g.ID == "" && g.UsersRead {
			cp := *g
			cp.Users = append(slices.Clone(g.Users), c.User.ID)
			w.AWS.TrafficGroups[i] = &cp
			added = true
		}
	}
	if !added {
		return NotModelled("the traffic distribution group %s is not in the evidence", c.Value)
	}
	return nil
}

// Apply corrects the organization's policy.
func (c UpdateOrgPolicy) Apply(w *World) error {
	p := w.AWS.Org.Policy(c.Policy)
	if p == nil {
		return NotModelled("the organization policy %s is not in the AWS data", c.Policy)
	}
	if p.AWSManaged {
		return Refused("Organizations refuses to change the AWS managed policy %s", c.Policy)
	}
	cp := *p
	cp.Document = c.Document
	w.AWS.Org.Policies = maps.Clone(w.AWS.Org.Policies)
	w.AWS.Org.Policies[c.Policy] = &cp
	if c.Type == evidence.SCP {
		// IAM's simulator judged the old SCPs.
		w.AWS.Simulations = slices.DeleteFunc(slices.Clone(w.AWS.Simulations), func(s *evidence.Simulation) bool {
			return s.AllowedByOrganizations != nil && !*s.AllowedByOrganizations
		})
	}
	return nil
}

// Apply points the frames at the CCP's URL.
func (c SetCCPURL) Apply(w *World) error {
	e, err := w.embedded()
	if err != nil {
		return err
	}
	u, err := url.Parse(c.Value)
	if err != nil || u.Scheme != "https" || !awsarn.IsConnectAppHost(strings.ToLower(u.Hostname())) || !IsCCPPath(u.Path) {
		return Refused("%q is not the CCP's URL of an Amazon Connect instance (https://ALIAS.my.connect.aws/ccp-v2/)", c.Value)
	}
	e.Host = strings.ToLower(u.Hostname())
	return nil
}

// IsCCPPath is the CCP's path: /ccp-v2 (…/connect/ccp-v2 on the older
// domain), and the first CCP's /connect/ccp.
func IsCCPPath(path string) bool {
	return strings.Contains(path, "/ccp-v2") || strings.HasSuffix(strings.TrimSuffix(path, "/"), "/connect/ccp")
}

// Apply signs the agent in through the popup.
func (c SetLoginPopup) Apply(w *World) error {
	e, err := w.embedded()
	if err != nil {
		return err
	}
	e.PopupLogin, e.AutoClose = true, true
	return nil
}

// Apply approves the origin: Connect then answers the frame with it among
// its frame-ancestors.
func (c AssociateApprovedOrigin) Apply(w *World) error {
	e, err := w.embedded()
	if err != nil {
		return err
	}
	o, err := url.Parse(c.Value)
	if err != nil || o.Host == "" || (o.Scheme != "https" && o.Scheme != "http") || strings.Trim(o.Path, "/") != "" || o.RawQuery != "" {
		return NotModelled("the origin %q is not the embedding page's scheme, host and port", c.Value)
	}
	origin := strings.ToLower(o.Scheme + "://" + o.Host)
	if origin != e.Origin {
		return Wrong("the origin approved, %s, is not the embedding page's, %s", origin, e.Origin)
	}
	if e.Approved != nil {
		e.Approved.Origins = append(e.Approved.Origins, origin)
	}
	csp := make([][]string, len(e.CSP))
	for i, p := range e.CSP {
		csp[i] = append(slices.Clone(p), origin)
	}
	e.CSP, e.Reported = csp, false
	return nil
}

func (w *World) embedded() (*Embedded, error) {
	if w.Embedded == nil {
		return nil, NotModelled("the capture shows no CCP loaded in a frame to judge the change against")
	}
	return w.Embedded, nil
}

func orX(s, x string) string {
	if s == "" {
		return x
	}
	return s
}
