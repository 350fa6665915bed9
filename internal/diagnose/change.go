package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// ChangeKind names one kind of change a fix makes to the sign-in's
// configuration: at the identity provider, in IAM, or in Connect.
type ChangeKind string

// The kinds of change. Each is rendered (text, commands, policy files, the
// IdP product's steps) and applied to a copy of the evidence by the same
// code, so what the admin reads is what was checked.
const (
	// At the identity provider.
	SetAttribute  ChangeKind = "idp.set_attribute"   // Attribute, Value, Transform
	SendRoles     ChangeKind = "idp.send_roles"      // Roles: the only Role values to send
	SetAudience   ChangeKind = "idp.set_audience"    // Value
	SetACS        ChangeKind = "idp.set_acs"         // Value: ACS URL and Recipient
	SetRelayState ChangeKind = "idp.set_relay_state" // Value
	SyncIdPClock  ChangeKind = "idp.sync_clock"      // Offset: how far the IdP's clock is behind AWS's
	// EncryptAssertion: the IdP encrypts the assertion for Provider.
	EncryptAssertion ChangeKind = "idp.encrypt_assertion"
	// In IAM.
	EditStatement          ChangeKind = "iam.edit_statement"       // Role, Policy, Managed, Statement, Edit, Document
	PutRolePolicy          ChangeKind = "iam.put_role_policy"      // Role, Policy, Document
	UpdateTrustPolicy      ChangeKind = "iam.update_trust_policy"  // Role, Edit, Document
	UpdateProviderMetadata ChangeKind = "iam.update_saml_metadata" // Provider
	CreateProvider         ChangeKind = "iam.create_saml_provider" // Provider
	SetEncryptionMode      ChangeKind = "iam.set_encryption_mode"  // Provider, Value
	AddPrivateKey          ChangeKind = "iam.add_private_key"      // Provider
	CreateUser             ChangeKind = "connect.create_user"      // UserName, User (settings to copy)
	RecreateUser           ChangeKind = "connect.recreate_user"    // User (deleted), UserName (created)
	DeleteUser             ChangeKind = "connect.delete_user"      // User
	// AddTrafficGroupUser: Global Resiliency's traffic distribution
	// group Value gets User.
	AddTrafficGroupUser ChangeKind = "connect.associate_traffic_distribution_group_user"
	// UpdateOrgPolicy: the organization's SCP or RCP Policy (its ID; Value
	// its type) is corrected in place (Statement, Edit, Document), with
	// aws organizations update-policy.
	UpdateOrgPolicy ChangeKind = "organizations.update_policy"
	// DropSessionTags: the IdP stops sending the session tags Tags
	// (PrincipalTag:KEY attributes) and names TransitiveKeys no more in
	// TransitiveTagKeys.
	DropSessionTags ChangeKind = "idp.drop_session_tags"
	// AssociateApprovedOrigin: the origin Value may embed the CCP of
	// Instance (in Region).
	AssociateApprovedOrigin ChangeKind = "connect.associate_approved_origin"
	// In the agent application, Amazon Connect Streams' initCCP:
	// SetCCPURL sets ccpUrl to Value; SetLoginPopup signs the agent in
	// in a popup (loginPopup, loginPopupAutoClose), with loginUrl Value
	// when it is set.
	SetCCPURL     ChangeKind = "streams.set_ccp_url"
	SetLoginPopup ChangeKind = "streams.set_login_popup"
)

// ChangeKinds are every kind, in the order docs/findings.md lists them.
var ChangeKinds = []ChangeKind{SetAttribute, SendRoles, SetAudience, SetACS, SetRelayState, SyncIdPClock, EncryptAssertion,
	EditStatement, PutRolePolicy, UpdateTrustPolicy, UpdateProviderMetadata, CreateProvider, SetEncryptionMode, AddPrivateKey,
	CreateUser, RecreateUser, DeleteUser, AddTrafficGroupUser, AssociateApprovedOrigin, SetCCPURL, SetLoginPopup, UpdateOrgPolicy, DropSessionTags}

// Change is one typed change. Which fields are set depends on Kind.
type Change struct {
	Kind ChangeKind
	// Attribute is the SAML attribute set (SetAttribute).
	Attribute string
	// Value is the new value: the attribute's, the audience, the ACS URL,
	// the RelayState, the encryption mode.
	Value string
	// Source is what the IdP takes Value from, among what it is seen to
	// send: an attribute's name as sent, or SourceNameID; "" when nothing
	// it sends yields Value (Value is then set on the agent's profile).
	// Transform is "lower" or "upper" when Value is Source's value with
	// that case transformation. The check applies Transform to Source's
	// captured value, so a wrong source or transformation fails it.
	Source    string
	Transform string
	// Scope is whom an IdP change reaches: this agent, a group, or every
	// user of the application.
	Scope Scope
	// Roles are the Role values (ROLE-ARN,PROVIDER-ARN) to send.
	Roles []string
	// Offset is how far the IdP's clock is behind AWS's (negative: ahead).
	Offset time.Duration
	// Role is the IAM role name; Policy the inline policy name or the
	// managed policy ARN (Managed); Statement the 1-based statement edited.
	Role      string
	Policy    string
	Managed   bool
	Statement int
	// Edit says in a few words what changes in the document.
	Edit string
	// Document is the whole new policy document.
	Document *iampolicy.Policy
	// Provider is the IAM SAML provider ARN.
	Provider string
	// User is the Connect user deleted or whose settings are copied;
	// UserName the user name created.
	User     *evidence.User
	UserName string
	// Region is where a Connect user is created when it is not the
	// instance's own Region: a Global Resiliency replica's (CreateUser);
	// the instance's Region (AssociateApprovedOrigin).
	Region string
	// Tags are session tag keys the IdP stops sending, TransitiveKeys the
	// keys it stops naming in TransitiveTagKeys (DropSessionTags).
	Tags           []string
	TransitiveKeys []string
	// Instance is the Connect instance changed (AssociateApprovedOrigin).
	Instance string
}

// Where says which system the change is made in: "idp", "iam",
// "connect", or "streams" (the agent application's Amazon Connect
// Streams settings).
func (c Change) Where() string {
	k := string(c.Kind)
	return k[:strings.IndexByte(k, '.')]
}

// File is a file a fix's commands read.
type File struct {
	Name    string
	Content string
}

// Check is the result of applying a fix's changes to a copy of the
// evidence and diagnosing again.
type Check struct {
	// Result is "passes", "still_fails" or "not_checked".
	Result string
	// After are the ids still in error after the change.
	After []string
	// Why says in one sentence what the check found, or why it was not
	// made.
	Why string
	// Uncovered are the stages the evidence does not cover, so the check
	// could not judge them.
	Uncovered []Stage
	// Breaks names what works today that the change would break.
	Breaks []string
}

// Check results.
const (
	CheckPasses     = "passes"
	CheckStillFails = "still_fails"
	CheckNotChecked = "not_checked"
)

// describe is one line for a change, as a person would say it.
func (r *run) describe(c Change) string {
	switch c.Kind {
	case SetAttribute:
		s := fmt.Sprintf("At the IdP, make the %s attribute send %q", shortAttr(c.Attribute), c.Value)
		switch {
		case c.Source != "" && c.Transform != "":
			s += fmt.Sprintf(" (the %s case of what %s sends now)", c.Transform, sourceLabel(c.Source))
		case c.Source != "":
			s += fmt.Sprintf(" (what %s sends now)", sourceLabel(c.Source))
		case c.Attribute == assertion.AttrRoleSessionName:
			s += " (no attribute the IdP sends has this value: set it on the agent's profile)"
		}
		return s + scopeLabel(c.Scope) + "."
	case SendRoles:
		return "At the IdP, send the Role value " + strings.Join(c.Roles, " and ") + " and no other" + scopeLabel(c.Scope) + "."
	case SetAudience:
		return "At the IdP, set the audience (identifier, entity ID) to " + c.Value + "."
	case SetACS:
		return "At the IdP, set the ACS (Reply) URL and the Recipient to " + c.Value + "."
	case SetRelayState:
		return "At the IdP, set the RelayState to " + c.Value + "."
	case SyncIdPClock:
		return "Synchronise the identity provider server's clock with NTP: it runs " + clockOffset(c.Offset) + "."
	case EncryptAssertion:
		return "At the IdP, turn on assertion encryption with the encryption certificate of SAML provider " + providerName(c.Provider) + "."
	case EditStatement:
		return fmt.Sprintf("In %s of role %s, correct statement %d in place: %s.", policyLabel(c), c.Role, c.Statement, c.Edit)
	case PutRolePolicy:
		return fmt.Sprintf("Add the inline policy %s to role %s.", c.Policy, c.Role)
	case UpdateTrustPolicy:
		return fmt.Sprintf("In the trust policy of role %s, %s.", c.Role, c.Edit)
	case UpdateProviderMetadata:
		return "Upload the IdP's current metadata to the IAM SAML provider " + providerName(c.Provider) + "."
	case CreateProvider:
		return "Create the IAM SAML provider " + providerName(c.Provider) + " from the IdP's metadata."
	case SetEncryptionMode:
		return "Set the assertion encryption mode of SAML provider " + providerName(c.Provider) + " to " + c.Value + "."
	case AddPrivateKey:
		return "Upload the private key the IdP encrypts for to SAML provider " + providerName(c.Provider) + "."
	case CreateUser:
		if c.Region != "" {
			return fmt.Sprintf("Create the Connect user %q in the replica in %s.", c.UserName, c.Region)
		}
		return fmt.Sprintf("Create the Connect user %q.", c.UserName)
	case RecreateUser:
		return fmt.Sprintf("Delete the Connect user %q and create it again as %q.", c.User.Username, c.UserName)
	case DeleteUser:
		return fmt.Sprintf("Delete the Connect user %q.", c.User.Username)
	case AddTrafficGroupUser:
		return fmt.Sprintf("Add the Connect user %q to the traffic distribution group %s.", c.User.Username, c.Value)
	case UpdateOrgPolicy:
		return fmt.Sprintf("In the organization's %s %s, correct %s.", orgShort(c.Value), c.Policy, c.Edit)
	case DropSessionTags:
		return "At the IdP, " + dropTagsText(c) + "."
	case AssociateApprovedOrigin, SetCCPURL, SetLoginPopup:
		return describeEmbedded(c)
	}
	return string(c.Kind)
}

// sourceLabel names a change's source as the admin sees it in the
// capture.
func sourceLabel(source string) string {
	if source == SourceNameID {
		return "the NameID"
	}
	return "attribute " + shortAttr(source)
}

// scopeLabel says whom an IdP change reaches.
func scopeLabel(s Scope) string {
	switch s {
	case ScopeAgent:
		return ", for this agent only"
	case ScopeGroup:
		return ", for the agents' group"
	case ScopeApplication:
		return ", for every user of the application"
	}
	return ""
}

func policyLabel(c Change) string {
	if c.Managed {
		return "managed policy " + c.Policy
	}
	return "inline policy " + c.Policy
}

func shortAttr(name string) string {
	return strings.TrimPrefix(name, "https://aws.amazon.com/SAML/Attributes/")
}

// newFix is a fix made of changes: its commands, policy files and IdP
// step are rendered from them.
func (r *run) newFix(summary string, changes ...Change) *Fix {
	for i := range changes {
		changes[i].Scope = defaultScope(changes[i])
	}
	f := &Fix{Summary: summary, Changes: changes}
	r.render(f)
	return f
}

// defaultScope is whom an IdP change reaches when its maker did not say:
// Role values are this agent's (what the capture shows is sent to them);
// the application's settings (audience, ACS URL, RelayState, encryption,
// the server's clock, other attributes) reach every user.
func defaultScope(c Change) Scope {
	if c.Scope != "" || c.Where() != "idp" {
		return c.Scope
	}
	if c.Kind == SendRoles {
		return ScopeAgent
	}
	return ScopeApplication
}

// inlineNamesKnown reports whether the evidence holds every inline policy
// of the role, so that a new policy's name is known to be unused.
func (r *run) inlineNamesKnown(role string) bool {
	for _, ro := range r.aws.Roles {
		if ro.Name == role {
			return ro.InlineComplete
		}
	}
	return false
}

// slug makes a file name from a policy or role name: ConnectFederation
// becomes connect-federation.
func slug(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	prevLower := false
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			if prevLower {
				b.WriteByte('-')
			}
			b.WriteRune(c + 'a' - 'A')
			prevLower = false
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
			prevLower = true
		default:
			b.WriteByte('-')
			prevLower = false
		}
	}
	return b.String()
}

// idpKind is the kind of product steps a change calls for (see
// internal/idp), when the products' data has steps for it.
func idpKind(c Change) (string, bool) {
	switch c.Kind {
	case SetAttribute:
		if c.Attribute == assertion.AttrRoleSessionName {
			return "rolesessionname", true
		}
	case SendRoles:
		return "role", true
	case SetAudience:
		return "audience", true
	case SetACS:
		return "acs", true
	case SetRelayState:
		return "relaystate", true
	case UpdateProviderMetadata, CreateProvider:
		return "metadata", true
	case SyncIdPClock:
		return "clock", true
	}
	return "", false
}

// idpValuesFor fills the product steps' values from the change, so the
// steps name exactly what the change sets.
func (r *run) idpValuesFor(product string, c Change, kind string) (idp.Values, string) {
	v := r.idpValues()
	v.Scope = string(c.Scope)
	switch c.Kind {
	case SetAttribute:
		v.ConnectUser = c.Value
		v.CaseTransform = c.Transform
		v.Source, v.Scope = c.Source, string(c.Scope)
		v.SourceValue, _ = sentValue(r.assert, c.Source)
		if p := idp.Lookup(product); p != nil {
			v.SourceExpr = p.Sources[c.Source]
		}
		switch {
		case c.Source == "":
			kind = "rolesessionname-profile"
		case c.Transform != "":
			kind = "rolesessionname-case"
		}
	case SendRoles:
		v.RolePair = c.Roles[0]
		if ro, err := splitRolePair(c.Roles[0]); err == nil {
			v.RoleArn, v.ProviderArn = ro.RoleArn, ro.ProviderArn
			if a, err := awsarn.Parse(ro.RoleArn); err == nil {
				v.Account = a.Account
			}
		}
	case SyncIdPClock:
		v.ClockOffset = clockOffset(c.Offset)
	case SetAudience:
		v.Audience = c.Value
	case SetACS:
		v.ACS = c.Value
	case SetRelayState:
		v.RelayState = c.Value
		v.RelayStateEncoded = url.QueryEscape(c.Value)
		v.RelayStateDoubleEncoded = url.QueryEscape(v.RelayStateEncoded)
	}
	return v, kind
}

// splitRolePair reads "ROLE-ARN,PROVIDER-ARN" (either order).
func splitRolePair(v string) (assertion.Role, error) {
	a, b, ok := strings.Cut(v, ",")
	if !ok {
		return assertion.Role{}, fmt.Errorf("no comma in %q", v)
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if strings.Contains(a, ":saml-provider/") {
		a, b = b, a
	}
	if !strings.Contains(a, ":role/") || !strings.Contains(b, ":saml-provider/") {
		return assertion.Role{}, fmt.Errorf("%q is not ROLE-ARN,PROVIDER-ARN", v)
	}
	return assertion.Role{Value: v, RoleArn: a, ProviderArn: b}, nil
}

// rolePair writes a Role value.
func rolePair(role, provider string) string { return role + "," + provider }

// clockOffset says how far a clock is off AWS's: "2h0m0s behind AWS's".
func clockOffset(d time.Duration) string {
	if d < 0 {
		return roundDur(-d) + " ahead of AWS's"
	}
	return roundDur(d) + " behind AWS's"
}
