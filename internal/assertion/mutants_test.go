package assertion_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

func parseB(t *testing.T, xml []byte) *assertion.Message {
	t.Helper()
	return parse(t, string(xml))
}

func anomalies(m *assertion.Message) map[string][]string {
	out := map[string][]string{}
	for _, a := range m.Anomalies {
		out[a.Code] = append(out[a.Code], a.Message)
	}
	return out
}

func verifyWith(t *testing.T, xml []byte, der []byte) (*assertion.Message, []assertion.Verification) {
	t.Helper()
	m := parseB(t, xml)
	cand, err := assertion.CandidateFromDER(der, "test certificate")
	if err != nil {
		t.Fatal(err)
	}
	return m, assertion.Verify(xml, m, []assertion.Candidate{cand})
}

// What a signature says of itself is read from it: its algorithms, its
// transforms, its reference; a SignatureValue that redact replaced makes
// it redacted, any other value does not.
func TestSignatureFields(t *testing.T) {
	xml := fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}, SignAssertion: true}.XML()
	s := parseB(t, xml).Signatures[0]
	if s.CanonicalizationMethod != "http://www.w3.org/2001/10/xml-exc-c14n#" || s.DigestMethod != "http://www.w3.org/2001/04/xmlenc#sha256" ||
		!strings.Contains(strings.Join(s.Transforms, " "), "http://www.w3.org/2000/09/xmldsig#enveloped-signature") || s.References != 1 || !strings.HasPrefix(s.ReferenceURI, "#") || s.Redacted {
		t.Errorf("signature read as %+v", s)
	}
	redacted := regexp.MustCompile(`(<ds:SignatureValue>)[^<]+`).ReplaceAll(xml, []byte("${1}"+assertion.RedactedSignature))
	if s := parseB(t, redacted).Signatures[0]; !s.Redacted {
		t.Error("a redacted SignatureValue is not seen as redacted")
	}
}

// The AuthnContextClassRef of an AuthnStatement is read.
func TestAuthnContextClassRef(t *testing.T) {
	m := parseB(t, fixture.Response{NameID: "jane@example.com"}.XML())
	if got := m.Assertions[0].AuthnStatements[0].AuthnContextClassRef; got != "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport" {
		t.Errorf("AuthnContextClassRef = %q", got)
	}
}

// Two RoleSessionName attributes are counted as two, and their values
// kept; one attribute with one value (the near miss) keeps none.
func TestRoleSessionNameAttributes(t *testing.T) {
	one := fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}}.XML()
	attr := regexp.MustCompile(`(?s)<Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName".*?</Attribute>`).Find(one)
	if attr == nil {
		t.Fatal("no RoleSessionName attribute in the fixture")
	}
	two := strings.Replace(string(one), string(attr), string(attr)+strings.Replace(string(attr), "jane@example.com", "jdoe", 1), 1)
	v := parseB(t, []byte(two)).AWS
	if v.RoleSessionNameAttributes != 2 || strings.Join(v.RoleSessionNameValues, ",") != "jane@example.com,jdoe" {
		t.Errorf("two attributes: %d, values %v", v.RoleSessionNameAttributes, v.RoleSessionNameValues)
	}
	if v := parseB(t, one).AWS; v.RoleSessionNameAttributes != 1 || v.RoleSessionNameValues != nil {
		t.Errorf("one attribute: %d, values %v", v.RoleSessionNameAttributes, v.RoleSessionNameValues)
	}
}

// Anomalies of one kind are listed up to a hundred, and the rest
// counted; an element in a namespace other than SAML's is told apart
// from one whose prefix is not declared at all.
func TestAnomaliesCappedAndNamespaces(t *testing.T) {
	var attrs strings.Builder
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&attrs, `<o:Attribute xmlns:o="urn:other" Name="a%d"/>`, i)
	}
	xml := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" Version="2.0">` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion ID="_a" Version="2.0"><saml:AttributeStatement>` + attrs.String() + `<nope:Attribute Name="b"/></saml:AttributeStatement></saml:Assertion></samlp:Response>`
	an := anomalies(parseB(t, []byte(xml)))
	if n := len(an["foreign-namespace"]); n != 100 {
		t.Errorf("%d foreign-namespace anomalies listed, want 100", n)
	}
	if got := strings.Join(an["anomalies-capped"], "|"); got != "21 more foreign-namespace anomalies are not listed" {
		t.Errorf("capped: %q", got)
	}
	if !strings.Contains(an["foreign-namespace"][0], `namespace "urn:other" instead of`) {
		t.Errorf("a foreign namespace: %q", an["foreign-namespace"][0])
	}
	few := strings.Replace(xml, attrs.String(), "", 1)
	an = anomalies(parseB(t, []byte(few)))
	if len(an["anomalies-capped"]) != 0 || len(an["foreign-namespace"]) != 1 || !strings.Contains(an["foreign-namespace"][0], `uses the prefix "nope", which is not declared`) {
		t.Errorf("one undeclared prefix: %v", an)
	}
}

// A Response or LogoutResponse without Status is an anomaly; a request
// has none to miss. An encrypted NameID is said to be; several direct
// assertions are counted.
func TestShapeAnomalies(t *testing.T) {
	const ns = `xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`
	assertionXML := `<saml:Assertion ID="_a%d" Version="2.0"><saml:Subject><saml:EncryptedID/></saml:Subject></saml:Assertion>`
	for _, tt := range []struct {
		xml  string
		want []string
		not  []string
	}{
		{`<samlp:Response ` + ns + ` ID="_r"></samlp:Response>`, []string{"status-missing"}, nil},
		{`<samlp:LogoutResponse ` + ns + ` ID="_r"></samlp:LogoutResponse>`, []string{"status-missing"}, nil},
		{`<samlp:AuthnRequest ` + ns + ` ID="_r"></samlp:AuthnRequest>`, nil, []string{"status-missing"}},
		{`<samlp:Response ` + ns + ` ID="_r">` + fmt.Sprintf(assertionXML, 1) + fmt.Sprintf(assertionXML, 2) + `</samlp:Response>`, []string{"encrypted-nameid", "multiple-assertions"}, nil},
		{`<samlp:Response ` + ns + ` ID="_r">` + fmt.Sprintf(assertionXML, 1) + `</samlp:Response>`, []string{"encrypted-nameid"}, []string{"multiple-assertions"}},
	} {
		an := anomalies(parseB(t, []byte(tt.xml)))
		for _, c := range tt.want {
			if len(an[c]) == 0 {
				t.Errorf("%s: no %s anomaly (%v)", tt.xml, c, an)
			}
		}
		for _, c := range tt.not {
			if len(an[c]) != 0 {
				t.Errorf("%s: a %s anomaly %v", tt.xml, c, an[c])
			}
		}
	}
}

// A signature whose Reference names another ID than its parent's is an
// anomaly; the fixture's own (the near miss) is not.
func TestReferenceMismatch(t *testing.T) {
	xml := fixture.Response{NameID: "jane@example.com", SignAssertion: true}.XML()
	if an := anomalies(parseB(t, xml)); len(an["signature-reference-mismatch"]) != 0 {
		t.Errorf("the fixture: %v", an["signature-reference-mismatch"])
	}
	moved := regexp.MustCompile(`(<ds:Reference URI=")#[^"]+`).ReplaceAll(xml, []byte("${1}#_elsewhere"))
	if an := anomalies(parseB(t, moved)); len(an["signature-reference-mismatch"]) != 1 {
		t.Errorf("a reference to #_elsewhere: %v", an)
	}
}

// Two elements with the signed ID: the reference is ambiguous, never
// valid, and what it signed is still found (the first, as xmlsec1 reads
// it).
func TestDuplicateIDIsAmbiguous(t *testing.T) {
	key := fixture.TestKey()
	xml := string(fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}, SignAssertion: true}.XML())
	a := regexp.MustCompile(`(?s)<Assertion .*</Assertion>`).FindString(xml)
	copyNoSig := regexp.MustCompile(`(?s)<ds:Signature.*</ds:Signature>`).ReplaceAllString(strings.Replace(a, "jane@example.com", "evil@example.com", -1), "")
	dup := strings.Replace(xml, a, a+"<samlp:Extensions>"+copyNoSig+"</samlp:Extensions>", 1)
	_, vs := verifyWith(t, []byte(dup), key.DER)
	if len(vs) != 1 || vs[0].Status != assertion.SigInvalid || vs[0].Reason != assertion.ReasonAmbiguousID || vs[0].Signed == "" {
		t.Fatalf("verdicts %+v", vs)
	}
	_, vs = verifyWith(t, []byte(xml), key.DER)
	if vs[0].Status != assertion.SigValid || vs[0].Signed != "" {
		t.Errorf("near miss, one element with the ID: %+v", vs)
	}
}

// A signature without any Reference is invalid for that, not for signing
// the whole document.
func TestSignatureWithoutReference(t *testing.T) {
	xml := regexp.MustCompile(`(?s)<ds:Reference .*?</ds:Reference>`).ReplaceAll(fixture.Response{NameID: "jane@example.com", SignAssertion: true}.XML(), nil)
	m, vs := verifyWith(t, xml, fixture.TestKey().DER)
	if m.Signatures[0].References != 0 || vs[0].Status != assertion.SigInvalid || vs[0].Reason == assertion.ReasonWholeDocument {
		t.Errorf("references %d, verdict %+v", m.Signatures[0].References, vs[0])
	}
}

// The KeyInfo is not signed: a certificate in it that is not the signer's
// does not stop a trusted certificate from verifying the signature.
func TestKeyInfoIsNotTheVerdict(t *testing.T) {
	key := fixture.TestKey()
	other := fixture.NewKey("another IdP", key.Cert.NotBefore, key.Cert.NotAfter)
	xml := fixture.Response{NameID: "jane@example.com", SignAssertion: true}.XML()
	otherB64 := strings.Join(strings.Fields(strings.NewReplacer("-----BEGIN CERTIFICATE-----", "", "-----END CERTIFICATE-----", "").Replace(string(other.CertPEM()))), "")
	swapped := regexp.MustCompile(`(<ds:X509Certificate>)[^<]+`).ReplaceAll(xml, []byte("${1}"+otherB64))
	if string(swapped) == string(xml) {
		t.Fatal("no certificate in the KeyInfo")
	}
	if _, vs := verifyWith(t, swapped, key.DER); vs[0].Status != assertion.SigValid {
		t.Errorf("verdict %+v", vs[0])
	}
}

// A signature over the assertion AWS consumes covers it; a signed
// Response covers the message and so what it carries.
func TestCoversConsumed(t *testing.T) {
	key := fixture.TestKey()
	m, vs := verifyWith(t, fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}, SignAssertion: true}.XML(), key.DER)
	if m.AWS == nil || vs[0].CoversMessage || !vs[0].CoversConsumed {
		t.Errorf("assertion signed: AWS %v, verdict %+v", m.AWS != nil, vs[0])
	}
	_, vs = verifyWith(t, fixture.Response{NameID: "jane@example.com", RoleSessionName: []string{"jane@example.com"}, SignResponse: true}.XML(), key.DER)
	if !vs[0].CoversMessage || !vs[0].CoversConsumed {
		t.Errorf("response signed: %+v", vs[0])
	}
}

// A signed Response that carries no readable assertion (none, or one
// encrypted for a key samldoctor was not given) has none to judge on.
func TestJudgeWithoutAssertion(t *testing.T) {
	key := fixture.TestKey()
	sp := fixture.NewKey("the service provider", key.Cert.NotBefore, key.Cert.NotAfter)
	for name, r := range map[string]fixture.Response{
		"no assertion": {NoAssertion: true, SignResponse: true, StatusCode: "urn:oasis:names:tc:SAML:2.0:status:Responder"},
		"encrypted":    {NameID: "jane@example.com", SignResponse: true, EncryptFor: sp},
	} {
		m, vs := verifyWith(t, r.XML(), key.DER)
		if len(vs) == 0 || vs[0].Status != assertion.SigValid {
			t.Fatalf("%s: verdicts %+v", name, vs)
		}
		if a := assertion.Judge(m, vs); a != nil {
			t.Errorf("%s: judged on %+v", name, a)
		}
	}
}
