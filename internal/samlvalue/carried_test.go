package samlvalue

import "testing"

func TestUnwrap(t *testing.T) {
	tests := []struct {
		in, field, value, in2, relay string
	}{
		{"SAMLResponse=PHNhbWw%2B&RelayState=https%3A%2F%2Fexample.com%2Fx", "SAMLResponse", "PHNhbWw%2B", "a form body", "https://example.com/x"},
		{"RelayState=r&SAMLResponse=PHN+hbW\n", "SAMLResponse", "PHN+hbW", "a form body", "r"},
		{"https://idp.example.com/sso?SAMLRequest=fZFB%2Bx&RelayState=s#frag", "SAMLRequest", "fZFB%2Bx", "a URL's query", "s"},
		{"HTTPS://signin.aws.amazon.com/saml?SigAlg=x&SAMLResponse=abc", "SAMLResponse", "abc", "a URL's query", ""},
	}
	for _, tt := range tests {
		c, ok := Unwrap([]byte(tt.in))
		if !ok || c.Field != tt.field || string(c.Value) != tt.value || c.In != tt.in2 || c.RelayState != tt.relay {
			t.Errorf("Unwrap(%q) = %+v, %v", tt.in, c, ok)
		}
	}
	// Near misses: a bare value, XML naming the field, a URL without one.
	for _, in := range []string{"PHNhbWxwOlJlc3BvbnNl", "<x>SAMLResponse=1</x>", "https://idp/sso?SAMLResponseX=1", "https://idp/SAMLResponse=1", "SAMLResponse="} {
		if c, ok := Unwrap([]byte(in)); ok {
			t.Errorf("Unwrap(%q) = %+v, want none", in, c)
		}
	}
}

func TestEndsEarly(t *testing.T) {
	tests := []struct {
		xml, open string
		early     bool
	}{
		{`<samlp:Response><saml:Assertion><saml:Subject>`, "saml:Subject", true},
		{`<samlp:Response><saml:Assertion ID="_a1" Issue`, "samlp:Response", true}, // in a start tag: the element it is in
		{`<samlp:Response><saml:Issuer>ab`, "saml:Issuer", true},
		{`<samlp:Response><saml:Issuer>x</saml:Issuer></samlp:Response>`, "", false},
		{`<samlp:Response><a>x</b></samlp:Response>`, "", false}, // wrong, not cut
		{`<samlp:Response/>`, "", false},
	}
	for _, tt := range tests {
		open, early := EndsEarly([]byte(tt.xml))
		if open != tt.open || early != tt.early {
			t.Errorf("EndsEarly(%s) = %q, %v; want %q, %v", tt.xml, open, early, tt.open, tt.early)
		}
	}
}
