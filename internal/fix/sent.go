package fix

import (
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
)

// The identity provider is evidence: what it is seen to send for this
// agent (every attribute and value of the judged assertion, the NameID and
// its format) is all an IdP change may build on. A change that sets
// RoleSessionName names its source among these, and the check applies its
// transformation to that source's captured value, so a step that maps an
// attribute the IdP does not send fails its check instead of reaching the
// admin.

// SourceNameID is the Source of a change that takes its value from the
// assertion's NameID rather than from an attribute.
const SourceNameID = "NameID"

// Scope says whom an IdP change reaches.
type Scope string

// The scopes of an IdP change, narrowest first.
const (
	// ScopeAgent changes this agent's own value only (their directory
	// profile, or a rule that names them).
	ScopeAgent Scope = "agent"
	// ScopeGroup changes what a group or app role of agents gets.
	ScopeGroup Scope = "group"
	// ScopeApplication changes what the application sends every user.
	ScopeApplication Scope = "application"
)

// SentValue is the first value the IdP sent in source (an attribute name
// as sent, or SourceNameID) in the judged assertion; ok is false when it
// sent none.
func SentValue(a *assertion.Assertion, source string) (string, bool) {
	if a == nil {
		return "", false
	}
	if source == SourceNameID {
		if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
			return "", false
		}
		return a.Subject.NameID.Value, true
	}
	found, n := "", 0
	for _, at := range a.Attributes {
		if at.Name == source {
			n++
			if len(at.Values) > 0 && at.Values[0] != "" && n == 1 {
				found = at.Values[0]
			}
		}
	}
	if n != 1 || found == "" {
		return "", false // not sent, or sent twice: which one a filter reads is not known
	}
	return found, true
}

// SessionNameSource is where an IdP can take value from, among what it is
// seen to send, and the case transformation that yields it ("" for none):
// an attribute that sends it as it is (other than RoleSessionName itself),
// the NameID, else a case transformation of what RoleSessionName sends
// now, of the NameID, or of another attribute. ok is false when nothing
// the IdP sends yields value: the value must then come from somewhere the
// capture does not show (the agent's directory profile).
func SessionNameSource(a *assertion.Assertion, value string) (source, transform string, ok bool) {
	if a == nil || value == "" {
		return "", "", false
	}
	type cand struct{ name, value string }
	var cands []cand
	var self []cand
	count := map[string]int{}
	for _, at := range a.Attributes {
		count[at.Name]++
	}
	for _, at := range a.Attributes {
		if len(at.Values) != 1 || at.Values[0] == "" || count[at.Name] > 1 {
			continue // a multi-valued attribute, or a name sent twice, cannot feed a single value
		}
		if at.Name == assertion.AttrRoleSessionName {
			self = append(self, cand{at.Name, at.Values[0]})
			continue
		}
		if strings.HasPrefix(at.Name, "https://aws.amazon.com/SAML/Attributes/") {
			continue // AWS's own attributes (Role, SessionDuration) are not user values
		}
		cands = append(cands, cand{at.Name, at.Values[0]})
	}
	var nameID []cand
	if v, ok := SentValue(a, SourceNameID); ok {
		nameID = []cand{{SourceNameID, v}}
	}
	// As it is: an attribute first (its mapping copies without a
	// transformation), then the NameID.
	for _, c := range append(append([]cand{}, cands...), nameID...) {
		if c.value == value {
			return c.name, "", true
		}
	}
	// A case transformation: of what RoleSessionName sends now first (the
	// smallest change: only the case of the same value), then another
	// attribute (a product's filter can name it), then the NameID. Only
	// ASCII values: the products' case functions differ beyond it (PHP's
	// strtolower leaves the Kelvin sign, Go and .NET map it to k).
	if len(self) > 0 && count[assertion.AttrRoleSessionName] > 1 {
		self = nil
	}
	for _, c := range append(append(self, cands...), nameID...) {
		if !IsASCII(c.value) {
			continue
		}
		for _, t := range []string{"lower", "upper"} {
			if tv, _ := CaseTransform(c.value, t); tv == value && c.value != value {
				return c.name, t, true
			}
		}
	}
	return "", "", false
}

// IdentityAttribute is an attribute the IdP sends whose value is this
// agent's NameID (the user's identifier, which a rule scoped to this agent
// can test), or "" when none is.
func IdentityAttribute(a *assertion.Assertion) (name, value string) {
	id, ok := SentValue(a, SourceNameID)
	if !ok {
		return "", ""
	}
	for _, at := range a.Attributes {
		if len(at.Values) == 1 && at.Values[0] == id && !strings.HasPrefix(at.Name, "https://aws.amazon.com/SAML/Attributes/") {
			return at.Name, id
		}
	}
	return "", id
}

// IsASCII reports whether s is ASCII: the products' case functions
// agree only there.
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
