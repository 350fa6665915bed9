package assertion_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

func codes(m *assertion.Message) map[string]bool {
	out := map[string]bool{}
	for _, a := range m.Anomalies {
		out[a.Code] = true
	}
	return out
}

func parse(t *testing.T, xml string) *assertion.Message {
	t.Helper()
	m, err := assertion.Parse([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHealthyResponse(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	xml := fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}, SessionDuration: "3600", IssueInstant: at, SignResponse: true, SignAssertion: true,
		Attributes: [][2]string{{"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department", "Sales"}}}.XML()
	m := parse(t, string(xml))
	if len(m.Anomalies) != 0 {
		t.Errorf("anomalies: %+v", m.Anomalies)
	}
	if m.Kind != "Response" || !m.Status.Success() || m.Issuer != fixture.DefaultIssuer || m.Destination != "https://signin.aws.amazon.com/saml" {
		t.Errorf("response fields: %+v", m)
	}
	if !m.IssueInstant.Time.Equal(at) {
		t.Errorf("IssueInstant = %v", m.IssueInstant)
	}
	a := m.Assertions[0]
	if a.Subject.NameID.Value != "jane@example.com" || len(a.Subject.Confirmations) != 1 || a.Subject.Confirmations[0].Recipient != "https://signin.aws.amazon.com/saml" {
		t.Errorf("subject: %+v", a.Subject)
	}
	if !a.Conditions.NotOnOrAfter.Time.Equal(at.Add(5*time.Minute)) || a.Conditions.Audiences[0] != "https://signin.aws.amazon.com/saml" {
		t.Errorf("conditions: %+v", a.Conditions)
	}
	if len(m.Signatures) != 2 || m.Signatures[0].Covers != "/Response" || m.Signatures[1].Covers != "/Response/Assertion" {
		t.Fatalf("signatures: %+v", m.Signatures)
	}
	s := m.Signatures[1]
	if s.ReferenceURI != "#"+a.ID || !strings.HasSuffix(s.SignatureMethod, "rsa-sha256") || len(s.Certificates) != 1 || s.Certificates[0].Subject != "CN=samldoctor test IdP,O=samldoctor tests" || len(s.Certificates[0].SHA256) != 64 {
		t.Errorf("signature: %+v", s)
	}
	aws := m.AWS
	if len(aws.Roles) != 1 || aws.Roles[0].RoleArn != fixture.DefaultRole || aws.Roles[0].ProviderArn != fixture.DefaultProvider {
		t.Errorf("roles: %+v", aws.Roles)
	}
	if aws.RoleSessionName != "jane@example.com" || aws.SessionDuration != "3600" || len(aws.PrincipalTags) != 1 || aws.PrincipalTags[0].Key != "Department" {
		t.Errorf("aws: %+v", aws)
	}
}

func TestAnomalies(t *testing.T) {
	const head = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" IssueInstant="2026-11-20T09:00:00Z"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`
	const tail = `</samlp:Response>`
	assertion1 := `<saml:Assertion ID="_a"><saml:Subject><saml:NameID>jane@example.com</saml:NameID></saml:Subject></saml:Assertion>`
	tests := []struct {
		name, xml string
		want      string
		absent    string
	}{
		{"two assertions", head + assertion1 + strings.Replace(assertion1, "_a", "_b", 1) + tail, "multiple-assertions", ""},
		{"duplicate IDs", head + assertion1 + `<samlp:Extensions>` + assertion1 + `</samlp:Extensions>` + tail, "duplicate-id", ""},
		{"assertion nested elsewhere", head + `<samlp:Extensions>` + assertion1 + `</samlp:Extensions>` + tail, "assertion-misplaced", ""},
		{"doctype", `<!DOCTYPE r>` + head + assertion1 + tail, "doctype", ""},
		{"comment in NameID", head + `<saml:Assertion ID="_a"><saml:Subject><saml:NameID>admin@example.com<!---->.evil.com</saml:NameID></saml:Subject></saml:Assertion>` + tail, "comment-in-value", ""},
		{"comment in attribute value", head + `<saml:Assertion ID="_a"><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jane<!-- x -->@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>` + tail, "comment-in-value", ""},
		{"NameID in a foreign namespace", head + `<saml:Assertion ID="_a"><saml:Subject><x:NameID xmlns:x="urn:evil">admin</x:NameID></saml:Subject></saml:Assertion>` + tail, "foreign-namespace", ""},
		{"lower-case AWS attribute name", head + `<saml:Assertion ID="_a"><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/saml/attributes/role"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>` + tail, "aws-attribute-near-miss", ""},
		{"http scheme", head + `<saml:Assertion ID="_a"><saml:AttributeStatement><saml:Attribute Name="http://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>` + tail, "aws-attribute-near-miss", ""},
		{"FriendlyName only", head + `<saml:Assertion ID="_a"><saml:AttributeStatement><saml:Attribute Name="urn:oid:1.2.3" FriendlyName="RoleSessionName"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>` + tail, "aws-attribute-near-miss", ""},
		{"bad time", strings.Replace(head, "2026-11-20T09:00:00Z", "yesterday", 1) + assertion1 + tail, "bad-time", ""},
		{"healthy near miss: exact names", head + `<saml:Assertion ID="_a"><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>` + tail, "", "aws-attribute-near-miss"},
		{"no namespaces", `<Response ID="_r"><Status><StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></Status><Assertion ID="_a"><Subject><NameID>x</NameID></Subject></Assertion></Response>`, "foreign-namespace", ""},
		{"not SAML", `<html><body>hi</body></html>`, "not-saml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parse(t, tt.xml)
			c := codes(m)
			if tt.want != "" && !c[tt.want] {
				t.Errorf("anomaly %s missing; got %+v", tt.want, m.Anomalies)
			}
			if tt.absent != "" && c[tt.absent] {
				t.Errorf("anomaly %s should not be there; got %+v", tt.absent, m.Anomalies)
			}
		})
	}
}

func TestCommentInNameIDKeepsBothParts(t *testing.T) {
	m := parse(t, `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><saml:Subject><saml:NameID>admin@example.com<!---->.evil.com</saml:NameID></saml:Subject></saml:Assertion>`)
	if got := m.Assertions[0].Subject.NameID.Value; got != "admin@example.com.evil.com" {
		t.Errorf("NameID = %q; the whole text must be shown, not what precedes the comment", got)
	}
}

func TestEntitiesAreRefused(t *testing.T) {
	lol := `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">` + `<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`
	_, err := assertion.Parse([]byte(lol + `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a"><saml:Issuer>&c;</saml:Issuer></saml:Assertion>`))
	var h *assertion.HostileError
	if !errors.As(err, &h) {
		t.Fatalf("err = %v, want a HostileError", err)
	}
	// A DOCTYPE without entities is only an anomaly.
	if _, err := assertion.Parse([]byte(`<!DOCTYPE x><x/>`)); err != nil {
		t.Errorf("a plain DOCTYPE refused: %v", err)
	}
}

func TestStatusAndRequest(t *testing.T) {
	m := parse(t, `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>User is not assigned to the application</samlp:StatusMessage></samlp:Status></samlp:Response>`)
	if m.Status.Success() || !strings.HasSuffix(m.Status.SubCode, "RequestDenied") || m.Status.Message != "User is not assigned to the application" {
		t.Errorf("status = %+v", m.Status)
	}
	if m.AWS != nil {
		t.Errorf("a response without assertion has no AWS view")
	}
	r := parse(t, `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_q" AssertionConsumerServiceURL="https://signin.aws.amazon.com/saml"><samlp:NameIDPolicy Format="urn:x"/></samlp:AuthnRequest>`)
	if r.Kind != "AuthnRequest" || r.Request.AssertionConsumerServiceURL != "https://signin.aws.amazon.com/saml" || r.Request.NameIDPolicyFormat != "urn:x" {
		t.Errorf("request = %+v", r.Request)
	}
}

func TestEncryptedAssertion(t *testing.T) {
	m := parse(t, `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" ID="_r"><saml:EncryptedAssertion><xenc:EncryptedData><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#rsa-oaep"/></xenc:EncryptedKey></ds:KeyInfo></xenc:EncryptedData></saml:EncryptedAssertion></samlp:Response>`)
	if len(m.EncryptedAssertions) != 1 || !strings.HasSuffix(m.EncryptedAssertions[0].EncryptionMethod, "aes256-gcm") || !strings.HasSuffix(m.EncryptedAssertions[0].KeyTransportMethod, "rsa-oaep") {
		t.Errorf("encrypted = %+v", m.EncryptedAssertions)
	}
}

func TestRoleValues(t *testing.T) {
	xml := fixture.Response{Roles: []string{
		fixture.DefaultProvider + "," + fixture.DefaultRole,
		fixture.DefaultRole + " , " + fixture.DefaultProvider,
		fixture.DefaultRole,
		"arn:aws:iam::999999999999:role/X," + fixture.DefaultProvider,
	}}.XML()
	m := parse(t, string(xml))
	r := m.AWS.Roles
	if len(r) != 4 {
		t.Fatalf("%d roles", len(r))
	}
	if r[0].Problem != "" || r[0].RoleArn != fixture.DefaultRole {
		t.Errorf("provider-first value: %+v", r[0])
	}
	if !strings.Contains(r[1].Problem, "white space") {
		t.Errorf("spaced comma: %+v", r[1])
	}
	if !strings.Contains(r[2].Problem, "exactly two") {
		t.Errorf("single ARN: %+v", r[2])
	}
	if !strings.Contains(r[3].Problem, "same account") {
		t.Errorf("two accounts: %+v", r[3])
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fixture.Response{NameID: "a", RoleSessionName: []string{"a"}}.XML()))
	f.Add([]byte(`<Response><Assertion><Subject><NameID>x<!---->y</NameID></Subject></Assertion></Response>`))
	f.Add([]byte(fixture.Response{NameID: "a", RoleSessionName: []string{"a"},
		Roles: []string{"arn:aws:iam::111122223333:saml-provider/P,arn:aws:iam::111122223333:role/R"}}.XML()))
	// Any input: no panic, no hang; a message or an error, never both or
	// neither; the same model every time; and a Role value taken as valid
	// holds both ARNs it was split into.
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := assertion.Parse(b)
		if (m == nil) == (err == nil) {
			t.Fatalf("message %v and error %v", m != nil, err)
		}
		if err != nil {
			return
		}
		again, _ := assertion.Parse(b)
		j1, err1 := json.Marshal(m)
		j2, err2 := json.Marshal(again)
		if err1 != nil || err2 != nil || !bytes.Equal(j1, j2) {
			t.Fatalf("the model differs between two parses (%v, %v)", err1, err2)
		}
		if m.AWS == nil {
			return
		}
		for _, r := range m.AWS.Roles {
			if r.Problem == "" && (r.RoleArn == "" || r.ProviderArn == "" || !strings.Contains(r.Value, r.RoleArn) || !strings.Contains(r.Value, r.ProviderArn)) {
				t.Fatalf("Role %q taken as valid, split into %q and %q", r.Value, r.RoleArn, r.ProviderArn)
			}
		}
	})
}

// hostileSiblings is a Response whose assertion holds n attributes, each
// with an ID and a comment inside its value: one anomaly per element.
func hostileSiblings(n int) []byte {
	var b strings.Builder
	b.WriteString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r"><saml:Assertion ID="a"><saml:AttributeStatement>`)
	for i := range n {
		fmt.Fprintf(&b, `<saml:Attribute Name="x" ID="i%d"><saml:AttributeValue>v<!--c-->w</saml:AttributeValue></saml:Attribute>`, i%(n/2+1))
	}
	b.WriteString(`</saml:AttributeStatement></saml:Assertion><saml:Assertion ID="b"/></samlp:Response>`)
	return []byte(b.String())
}

// A document of 8 MiB whose every element is an anomaly (a comment in a
// value, a duplicate ID): the first of each code are recorded, with a
// count of the rest, and the signature-wrapping shapes are not crowded
// out. Naming every one took hours (4 MiB: 88 s); the guard below fails
// if that comes back.
func TestManyAnomalies(t *testing.T) {
	xml := hostileSiblings(75_000)
	if len(xml) < 7<<20 {
		t.Fatalf("only %d bytes", len(xml))
	}
	done := make(chan *assertion.Message)
	go func() {
		m, err := assertion.Parse(xml)
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	var m *assertion.Message
	select {
	case m = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("parsing took over 30 s")
	}
	codes := map[string]int{}
	for _, a := range m.Anomalies {
		codes[a.Code]++
	}
	if codes["comment-in-value"] != 100 || codes["duplicate-id"] != 100 || codes["multiple-assertions"] != 1 || codes["anomalies-capped"] != 2 {
		t.Errorf("anomalies by code: %v", codes)
	}
}
