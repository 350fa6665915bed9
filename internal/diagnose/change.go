package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// File is a file a fix's commands read.
type File struct {
	Name    string
	Content string
}

// describe is one line for a change, as a person would say it.
func (r *run) describe(c fix.Change) string {
	switch c := c.(type) {
	case fix.SetAttribute:
		s := fmt.Sprintf("At the IdP, make the %s attribute send %q", fix.ShortAttr(c.Attribute), c.Value)
		switch {
		case c.Source != "" && c.Transform != "":
			s += fmt.Sprintf(" (the %s case of what %s sends now)", c.Transform, fix.SourceLabel(c.Source))
		case c.Source != "":
			s += fmt.Sprintf(" (what %s sends now)", fix.SourceLabel(c.Source))
		case c.Attribute == assertion.AttrRoleSessionName:
			s += " (no attribute the IdP sends has this value: set it on the agent's profile)"
		}
		return s + scopeLabel(c.Scope) + "."
	case fix.SendRoles:
		return "At the IdP, send the Role value " + strings.Join(c.Roles, " and ") + " and no other" + scopeLabel(c.Scope) + "."
	case fix.SetAudience:
		return "At the IdP, set the audience (identifier, entity ID) to " + c.Value + "."
	case fix.SetACS:
		return "At the IdP, set the ACS (Reply) URL and the Recipient to " + c.Value + "."
	case fix.SetRelayState:
		return "At the IdP, set the RelayState to " + c.Value + "."
	case fix.SyncIdPClock:
		return "Synchronise the identity provider server's clock with NTP: it runs " + clockOffset(c.Offset) + "."
	case fix.EncryptAssertion:
		return "At the IdP, turn on assertion encryption with the encryption certificate of SAML provider " + providerName(c.Provider) + "."
	case fix.EditStatement:
		return fmt.Sprintf("In %s of role %s, correct statement %d in place: %s.", policyLabel(c), c.Role, c.Statement, c.Edit)
	case fix.PutRolePolicy:
		return fmt.Sprintf("Add the inline policy %s to role %s.", c.Policy, c.Role)
	case fix.UpdateTrustPolicy:
		return fmt.Sprintf("In the trust policy of role %s, %s.", c.Role, c.Edit)
	case fix.UpdateProviderMetadata:
		return "Upload the IdP's current metadata to the IAM SAML provider " + providerName(c.Provider) + "."
	case fix.CreateProvider:
		return "Create the IAM SAML provider " + providerName(c.Provider) + " from the IdP's metadata."
	case fix.SetEncryptionMode:
		return "Set the assertion encryption mode of SAML provider " + providerName(c.Provider) + " to " + c.Value + "."
	case fix.AddPrivateKey:
		return "Upload the private key the IdP encrypts for to SAML provider " + providerName(c.Provider) + "."
	case fix.CreateUser:
		if c.Replica != "" {
			return fmt.Sprintf("Create the Connect user %q in the replica in %s.", c.UserName, c.Replica)
		}
		return fmt.Sprintf("Create the Connect user %q.", c.UserName)
	case fix.RecreateUser:
		return fmt.Sprintf("Delete the Connect user %q and create it again as %q.", c.User.Username, c.UserName)
	case fix.DeleteUser:
		return fmt.Sprintf("Delete the Connect user %q.", c.User.Username)
	case fix.AddTrafficGroupUser:
		return fmt.Sprintf("Add the Connect user %q to the traffic distribution group %s.", c.User.Username, c.Value)
	case fix.UpdateOrgPolicy:
		return fmt.Sprintf("In the organization's %s %s, correct %s.", orgShort(c.Type), c.Policy, c.Edit)
	case fix.DropSessionTags:
		return "At the IdP, " + dropTagsText(c) + "."
	case fix.AssociateApprovedOrigin, fix.SetCCPURL, fix.SetLoginPopup:
		return describeEmbedded(c)
	}
	return string(c.Kind())
}

// scopeLabel says whom an IdP change reaches.
func scopeLabel(s fix.Scope) string {
	switch s {
	case fix.ScopeAgent:
		return ", for this agent only"
	case fix.ScopeGroup:
		return ", for the agents' group"
	case fix.ScopeApplication:
		return ", for every user of the application"
	}
	return ""
}

func policyLabel(c fix.EditStatement) string {
	if c.Managed {
		return "managed policy " + c.Policy
	}
	return "inline policy " + c.Policy
}

// newFix is a fix made of changes: its commands, policy files and IdP
// step are rendered from them.
func (r *run) newFix(summary string, changes ...fix.Change) *Fix {
	for i, c := range changes {
		changes[i] = r.inInstance(fix.Scoped(c))
	}
	f := &Fix{Summary: summary, Changes: changes}
	r.render(f)
	return f
}

// inInstance fills in what a change's rendering needs from the sign-in
// when its maker did not: the Connect instance and Region it is made in,
// whether a new inline policy's name is known to be unused, the file an
// organization policy's content is written to.
func (r *run) inInstance(c fix.Change) fix.Change {
	here := func(k *fix.Connect) {
		if k.Region == "" {
			k.Region = r.subject.Region
		}
		if k.Instance == "" {
			k.Instance = r.subject.InstanceID
		}
	}
	switch x := c.(type) {
	case fix.CreateUser:
		here(&x.Connect)
		return x
	case fix.RecreateUser:
		here(&x.Connect)
		return x
	case fix.DeleteUser:
		here(&x.Connect)
		return x
	case fix.AddTrafficGroupUser:
		here(&x.Connect)
		return x
	case fix.PutRolePolicy:
		x.NameUnused = x.NameUnused || r.inlineNamesKnown(x.Role)
		return x
	case fix.UpdateOrgPolicy:
		if x.File == "" {
			x.File = r.orgPolicyFile(x)
		}
		return x
	}
	return c
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
func idpKind(c fix.Change) (string, bool) {
	switch c := c.(type) {
	case fix.SetAttribute:
		if c.Attribute == assertion.AttrRoleSessionName {
			return "rolesessionname", true
		}
	case fix.SendRoles:
		return "role", true
	case fix.SetAudience:
		return "audience", true
	case fix.SetACS:
		return "acs", true
	case fix.SetRelayState:
		return "relaystate", true
	case fix.UpdateProviderMetadata, fix.CreateProvider:
		return "metadata", true
	case fix.SyncIdPClock:
		return "clock", true
	}
	return "", false
}

// idpValuesFor fills the product steps' values from the change, so the
// steps name exactly what the change sets.
func (r *run) idpValuesFor(product string, c fix.Change, kind string) (idp.Values, string) {
	v := r.idpValues()
	v.Scope = string(fix.ScopeOf(c))
	switch c := c.(type) {
	case fix.SetAttribute:
		v.ConnectUser = c.Value
		v.CaseTransform = c.Transform
		v.Source, v.Scope = c.Source, string(c.Scope)
		v.SourceValue, _ = fix.SentValue(r.assert, c.Source)
		if p := idp.Lookup(product); p != nil {
			v.SourceExpr = p.Sources[c.Source]
		}
		switch {
		case c.Source == "":
			kind = "rolesessionname-profile"
		case c.Transform != "":
			kind = "rolesessionname-case"
		}
	case fix.SendRoles:
		v.RolePair = c.Roles[0]
		if ro, err := fix.SplitRolePair(c.Roles[0]); err == nil {
			v.RoleArn, v.ProviderArn = ro.RoleArn, ro.ProviderArn
			if a, err := awsarn.Parse(ro.RoleArn); err == nil {
				v.Account = a.Account
			}
		}
	case fix.SyncIdPClock:
		v.ClockOffset = clockOffset(c.Offset)
	case fix.SetAudience:
		v.Audience = c.Value
	case fix.SetACS:
		v.ACS = c.Value
	case fix.SetRelayState:
		v.RelayState = c.Value
		v.RelayStateEncoded = url.QueryEscape(c.Value)
		v.RelayStateDoubleEncoded = url.QueryEscape(v.RelayStateEncoded)
	}
	return v, kind
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
