// Package fix is what a fix is made of: typed changes, one type per kind
// of change (at the identity provider, in IAM, in Amazon Connect, in the
// agent application's Streams settings, in AWS Organizations), each
// applying itself to a copy of the evidence (World) and carrying whom it
// reaches (Scope); the values the IdP is seen to send, which an IdP
// change must build on; and the result of checking a fix (Check).
//
// What the administrator reads (the summary, the AWS CLI commands, the
// policy files, the IdP product's steps) is rendered from these values
// and nothing else, so what is printed is what was checked.
package fix

import (
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// Change is one typed change: a value of one of the types below, the
// closed set Kinds lists (no type outside this package is a Change).
type Change interface {
	// Kind is the change's kind.
	Kind() Kind
	// Apply makes the change in w, a copy of the evidence. Its error says
	// why it cannot be modelled (NotModelled), why AWS would refuse it
	// (Refused), or that its parts disagree (Wrong).
	Apply(w *World) error
	isChange()
}

// Where is the system a change is made in (see Kind.Where).
func Where(c Change) string { return c.Kind().Where() }

// SetAttribute makes the IdP send a SAML attribute with Value. For
// RoleSessionName, Source is what the IdP takes Value from among what it
// is seen to send (an attribute's name as sent, or SourceNameID; "" when
// nothing it sends yields Value, which is then set on the agent's
// profile), and Transform ("lower", "upper") the case transformation
// that makes Value of Source's value. The check applies Transform to
// Source's captured value, so a wrong source or transformation fails it.
type SetAttribute struct {
	Attribute string
	Value     string
	Source    string
	Transform string
	Scope     Scope
}

// SendRoles makes the IdP send exactly these Role values
// (ROLE-ARN,PROVIDER-ARN), replacing what it sends.
type SendRoles struct {
	Roles []string
	Scope Scope
}

// SetAudience sets the audience (identifier, entity ID) the IdP sends.
type SetAudience struct{ Value string }

// SetACS sets the ACS URL, the Destination and the Recipient the IdP
// sends.
type SetACS struct{ Value string }

// SetRelayState sets the RelayState the IdP sends.
type SetRelayState struct{ Value string }

// SyncIdPClock synchronises the IdP server's clock: Offset is how far it
// is behind AWS's (negative: ahead).
type SyncIdPClock struct{ Offset time.Duration }

// EncryptAssertion makes the IdP encrypt the assertion for Provider's
// encryption certificate.
type EncryptAssertion struct{ Provider string }

// DropSessionTags stops the IdP sending the session tags Tags
// (PrincipalTag:KEY attributes) and naming TransitiveKeys in
// TransitiveTagKeys.
type DropSessionTags struct {
	Tags           []string
	TransitiveKeys []string
}

// EditStatement corrects statement Statement (1-based) of Role's inline
// policy Policy, or of the managed policy whose ARN is Policy (Managed),
// in place; Edit says what changes, Document is the whole new document.
type EditStatement struct {
	Role      string
	Policy    string
	Managed   bool
	Statement int
	Edit      string
	Document  *iampolicy.Policy
}

// PutRolePolicy adds the inline policy Policy to Role. NameUnused is set
// when the evidence holds every inline policy of the role, so the name is
// known not to replace one.
type PutRolePolicy struct {
	Role       string
	Policy     string
	Document   *iampolicy.Policy
	NameUnused bool
}

// UpdateTrustPolicy corrects Role's trust policy in place: Edit says what
// changes, Document is the whole new document.
type UpdateTrustPolicy struct {
	Role     string
	Edit     string
	Document *iampolicy.Policy
}

// UpdateProviderMetadata uploads the IdP's current metadata to the IAM
// SAML provider Provider (an ARN).
type UpdateProviderMetadata struct{ Provider string }

// CreateProvider creates the IAM SAML provider Provider (an ARN).
type CreateProvider struct{ Provider string }

// SetEncryptionMode sets Provider's assertion encryption mode to Value
// (Allowed, Required).
type SetEncryptionMode struct {
	Provider string
	Value    string
}

// AddPrivateKey uploads the private key the IdP encrypts for to Provider.
type AddPrivateKey struct{ Provider string }

// Connect names the instance a Connect change is made in.
type Connect struct {
	Region   string
	Instance string
}

// CreateUser creates the Connect user UserName, with User's settings when
// User is known. Replica is set when it is created in a Global Resiliency
// replica's Region, where a user of that name already is.
type CreateUser struct {
	Connect
	UserName string
	User     *evidence.User
	Replica  string
}

// RecreateUser deletes the Connect user User and creates it again as
// UserName, with its settings (data loss).
type RecreateUser struct {
	Connect
	User     *evidence.User
	UserName string
}

// DeleteUser deletes the Connect user User (data loss).
type DeleteUser struct {
	Connect
	User *evidence.User
}

// AddTrafficGroupUser adds the Connect user User to the Global Resiliency
// traffic distribution group Value.
type AddTrafficGroupUser struct {
	Connect
	User  *evidence.User
	Value string
}

// AssociateApprovedOrigin lets the origin Value embed the CCP of the
// instance.
type AssociateApprovedOrigin struct {
	Connect
	Value string
}

// SetCCPURL sets Amazon Connect Streams' ccpUrl to Value in the agent
// application.
type SetCCPURL struct{ Value string }

// SetLoginPopup makes Streams sign the agent in in a popup (loginPopup,
// loginPopupAutoClose), at loginUrl Value when it is set.
type SetLoginPopup struct{ Value string }

// SetReferrerPolicy makes the agent application answer the page that
// embeds the CCP with the Referrer-Policy Value.
type SetReferrerPolicy struct{ Value string }

// UpdateOrgPolicy corrects statement Statement of the organization's
// policy Policy (its ID; Type evidence.SCP or evidence.RCP) in place, with
// Organizations' UpdatePolicy: Edit says what changes, Document is the
// whole new content. Name is the policy's name, as Organizations shows
// it, when the evidence has it.
type UpdateOrgPolicy struct {
	Policy    string
	Type      string
	Statement int
	Edit      string
	Document  *iampolicy.Policy
	Name      string
}

func (SetAttribute) Kind() Kind            { return KindSetAttribute }
func (SendRoles) Kind() Kind               { return KindSendRoles }
func (SetAudience) Kind() Kind             { return KindSetAudience }
func (SetACS) Kind() Kind                  { return KindSetACS }
func (SetRelayState) Kind() Kind           { return KindSetRelayState }
func (SyncIdPClock) Kind() Kind            { return KindSyncIdPClock }
func (EncryptAssertion) Kind() Kind        { return KindEncryptAssertion }
func (DropSessionTags) Kind() Kind         { return KindDropSessionTags }
func (EditStatement) Kind() Kind           { return KindEditStatement }
func (PutRolePolicy) Kind() Kind           { return KindPutRolePolicy }
func (UpdateTrustPolicy) Kind() Kind       { return KindUpdateTrustPolicy }
func (UpdateProviderMetadata) Kind() Kind  { return KindUpdateProviderMetadata }
func (CreateProvider) Kind() Kind          { return KindCreateProvider }
func (SetEncryptionMode) Kind() Kind       { return KindSetEncryptionMode }
func (AddPrivateKey) Kind() Kind           { return KindAddPrivateKey }
func (CreateUser) Kind() Kind              { return KindCreateUser }
func (RecreateUser) Kind() Kind            { return KindRecreateUser }
func (DeleteUser) Kind() Kind              { return KindDeleteUser }
func (AddTrafficGroupUser) Kind() Kind     { return KindAddTrafficGroupUser }
func (AssociateApprovedOrigin) Kind() Kind { return KindAssociateApprovedOrigin }
func (SetCCPURL) Kind() Kind               { return KindSetCCPURL }
func (SetLoginPopup) Kind() Kind           { return KindSetLoginPopup }
func (SetReferrerPolicy) Kind() Kind       { return KindSetReferrerPolicy }
func (UpdateOrgPolicy) Kind() Kind         { return KindUpdateOrgPolicy }

func (SetAttribute) isChange()            {}
func (SendRoles) isChange()               {}
func (SetAudience) isChange()             {}
func (SetACS) isChange()                  {}
func (SetRelayState) isChange()           {}
func (SyncIdPClock) isChange()            {}
func (EncryptAssertion) isChange()        {}
func (DropSessionTags) isChange()         {}
func (EditStatement) isChange()           {}
func (PutRolePolicy) isChange()           {}
func (UpdateTrustPolicy) isChange()       {}
func (UpdateProviderMetadata) isChange()  {}
func (CreateProvider) isChange()          {}
func (SetEncryptionMode) isChange()       {}
func (AddPrivateKey) isChange()           {}
func (CreateUser) isChange()              {}
func (RecreateUser) isChange()            {}
func (DeleteUser) isChange()              {}
func (AddTrafficGroupUser) isChange()     {}
func (AssociateApprovedOrigin) isChange() {}
func (SetCCPURL) isChange()               {}
func (SetLoginPopup) isChange()           {}
func (SetReferrerPolicy) isChange()       {}
func (UpdateOrgPolicy) isChange()         {}

// ScopeOf is whom a change reaches. An IdP change says it when its maker
// did; else Role values are this agent's (what the capture shows is sent
// to them) and the application's other settings (audience, ACS URL,
// RelayState, encryption, the server's clock, attributes) reach every
// user. A change elsewhere has no IdP scope ("").
func ScopeOf(c Change) Scope {
	switch c := c.(type) {
	case SetAttribute:
		if c.Scope != "" {
			return c.Scope
		}
	case SendRoles:
		if c.Scope != "" {
			return c.Scope
		}
		return ScopeAgent
	}
	if Where(c) == "idp" {
		return ScopeApplication
	}
	return ""
}

// Scoped is c with its scope said (see ScopeOf), so that what is rendered
// and checked names whom it reaches.
func Scoped(c Change) Change {
	switch x := c.(type) {
	case SetAttribute:
		x.Scope = ScopeOf(x)
		return x
	case SendRoles:
		x.Scope = ScopeOf(x)
		return x
	}
	return c
}

// What says what the change stops sending, in a few words.
func (c DropSessionTags) What() string {
	var parts []string
	if len(c.Tags) > 0 {
		var names []string
		for _, k := range c.Tags {
			names = append(names, "PrincipalTag:"+k)
		}
		s := "stop sending the session tag"
		if len(names) > 1 {
			s += "s"
		}
		parts = append(parts, s+" "+strings.Join(names, ", "))
	}
	if len(c.TransitiveKeys) > 0 {
		parts = append(parts, "remove "+strings.Join(c.TransitiveKeys, ", ")+" from TransitiveTagKeys")
	}
	return strings.Join(parts, ", and ")
}
