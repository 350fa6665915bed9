package diagnose

import (
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// The source of a RoleSessionName change is what the IdP is seen to send,
// and only what a product's filter can read unambiguously.
func TestSessionNameSource(t *testing.T) {
	rsn := assertion.AttrRoleSessionName
	asrt := func(nameID string, attrs ...[2]string) *assertion.Assertion {
		a := &assertion.Assertion{Subject: &assertion.Subject{NameID: &assertion.NameID{Value: nameID}}}
		for _, at := range attrs {
			a.Attributes = append(a.Attributes, assertion.Attribute{Name: at[0], Values: []string{at[1]}})
		}
		return a
	}
	tests := []struct {
		name              string
		a                 *assertion.Assertion
		value             string
		source, transform string
		ok                bool
	}{
		{"an attribute as it is", asrt("x", [2]string{"uid", "jdoe"}, [2]string{rsn, "JDoe"}), "jdoe", "uid", "", true},
		{"the NameID as it is", asrt("jdoe", [2]string{rsn, "JDoe"}), "jdoe", fix.SourceNameID, "", true},
		{"the value sent, lower-cased", asrt("x", [2]string{rsn, "JDoe"}), "jdoe", rsn, "lower", true},
		// An attribute that holds the NameID's value comes before the
		// NameID, which a product's filter cannot read.
		{"an attribute before the NameID", asrt("Jane.Doe@example.com", [2]string{"mail", "Jane.Doe@example.com"}), "jane.doe@example.com", "mail", "lower", true},
		// A name sent twice is ambiguous: neither is a source.
		{"a name sent twice", asrt("x", [2]string{"mail", "JANE@example.com"}, [2]string{"mail", "Jane@example.com"}), "jane@example.com", "", "", false},
		// Beyond ASCII the products' case functions differ.
		{"the Kelvin sign", asrt("x", [2]string{rsn, "\u212Aate@example.com"}), "kate@example.com", "", "", false},
		{"nothing holds it", asrt("x", [2]string{"uid", "bob"}), "jdoe", "", "", false},
	}
	for _, tt := range tests {
		src, tr, ok := fix.SessionNameSource(tt.a, tt.value)
		if src != tt.source || tr != tt.transform || ok != tt.ok {
			t.Errorf("%s: %q %q %v, want %q %q %v", tt.name, src, tr, ok, tt.source, tt.transform, tt.ok)
		}
	}
}
