package diagnose_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The product each corpus response comes from (its README), and the
// evidence that names it. Files whose evidence is too weak, or whose
// product is not one samldoctor knows, are unknown.
func TestCorpusProducts(t *testing.T) {
	dir := fixture.CorpusDir(t)
	tests := []struct{ file, product, evidence string }{
		{"aws-google-auth/valid-response.xml", "google", "issuer"},
		{"aws-google-auth/saml-response-too-late.xml", "google", "cert"},
		{"crewjam-saml/TestSPCanHandlePlaintextResponse_response.b64", "google", "issuer"},
		{"crewjam-saml/TestXswPermutationOneIsRejected_response.b64", "onelogin", "cert"},
		{"crewjam-saml/TestXswPermutationThreeIsRejected_response.b64", "simplesamlphp", "id"},
		{"crewjam-saml/TestXswPermutationSevenIsRejected_response.b64", "simplesamlphp", "issuer"},
		{"gimme-aws-creds/okta_classic_aws_roles.b64", "okta", "issuer"},
		{"gimme-aws-creds/okta_oie_aws_roles_prettyprinted.b64", "okta", "cert"},
		{"gosaml2/adfs_response.b64", "adfs", "cert"},
		{"gosaml2/auth0_response.xml", "auth0", "issuer"},
		{"gosaml2/okta_response.xml", "okta", "issuer"},
		{"gosaml2/onelogin_response.xml", "onelogin", "issuer"},
		{"gosaml2/pingfed_pfed11_response_01.b64", "ping", "id"},
		{"gosaml2/oam_response.xml", "unknown", ""}, // Oracle Access Manager: not a product samldoctor knows
		{"python3-saml/valid_response.xml.base64", "simplesamlphp", "cert"},
		{"python3-saml/invalids_signature_wrapping_attack.xml.base64", "simplesamlphp", "issuer"},
		{"python3-saml/invalids_status_code_responer_and_msg.xml.base64", "adfs", "issuer"},
		{"ruby-saml/valid_response_deflated.xml.base64", "onelogin", "issuer"},
		{"saml2aws/aad_SAMLResponse.xml", "entra", "cert"},
		{"saml2aws/adfs_assertion.xml", "adfs", "issuer"},
		{"saml2aws/shibboleth_ecp_soap_response_success.xml", "shibboleth", "attribute"},
		{"saml2aws/pingfed_assertion_no_namespaces.xml", "unknown", ""}, // only its ID style hints at PingFederate
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := signin.NewReader(capture.Options{})
			if err := r.Read(tt.file, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
			d := diagnoseChecked(t, diagnose.Input{Capture: r.Finish()}).IdP
			if d.Product != tt.product {
				t.Fatalf("product %s (%s), want %s; evidence %+v", d.Product, d.Reason, tt.product, d.Evidence)
			}
			if tt.evidence == "" {
				if d.Reason == "" {
					t.Error("unknown without a reason")
				}
				return
			}
			found := false
			for _, c := range d.Evidence {
				if c.Kind == tt.evidence && c.Where != "" && c.Value != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s evidence: %+v", tt.evidence, d.Evidence)
			}
		})
	}
}

// A case mismatch that no case transformation of what the IdP sends can
// fix (the Connect user name mixes cases) is fixed on the agent's own
// profile, in each product's own places.
func TestProductSpecificFixes(t *testing.T) {
	tests := []struct {
		product, issuer, host string
		want                  []string
	}{
		{"entra", "https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/", "login.microsoftonline.com", []string{"Identity > Users > All users, open the agent (jane.doe@example.com)", "to Jane.Doe@example.com. Only this agent changes."}},
		{"okta", "http://www.okta.com/exk1a2b3c4d5e6f7g8h9", "example.okta.com", []string{"Directory > People, open the agent (jane.doe@example.com)", "Only this agent changes."}},
		{"adfs", "http://fs.example.com/adfs/services/trust", "fs.example.com", []string{"Active Directory Users and Computers", "to Jane.Doe@example.com"}},
		{"ping", "https://auth.pingone.com/0a1b2c3d-0000-4000-8000-123456789abc", "auth.pingone.com", []string{"PingFederate's LDAP data store", "to Jane.Doe@example.com"}},
		{"google", "https://accounts.google.com/o/saml2?idpid=C0abc1234", "accounts.google.com", []string{"Directory > Users > the user > User information", "Jane.Doe@example.com on this agent"}},
		{"onelogin", "https://app.onelogin.com/saml/metadata/123456", "example.onelogin.com", []string{"the RoleSessionName parameter reads"}},
		{"auth0", "urn:example.auth0.com", "example.auth0.com", []string{"Post Login action sends as RoleSessionName", "to Jane.Doe@example.com"}},
		{"jumpcloud", "JumpCloud", "sso.jumpcloud.com", []string{"maps to RoleSessionName", "to Jane.Doe@example.com"}},
		{"keycloak", "https://sso.example.com/realms/agents", "sso.example.com", []string{"Keycloak keeps in lower case"}},
		{"shibboleth", "https://idp.example.edu/idp/shibboleth", "idp.example.edu", []string{"that defines RoleSessionName to Jane.Doe@example.com"}},
		{"simplesamlphp", "https://idp.example.com/simplesaml/saml2/idp/metadata.php", "idp.example.com", []string{"authentication source's user store", "Only this agent changes."}},
		{"iam-identity-center", "https://portal.sso.eu-west-2.amazonaws.com/saml/assertion/MTExMTIyMjIzMzMzX2lucy0xMjM0", "portal.sso.eu-west-2.amazonaws.com", []string{"Edit profile", "Jane.Doe@example.com"}},
		{"unknown", "https://idp.example.org/saml", "idp.example.org", nil},
	}
	for _, tt := range tests {
		t.Run(tt.product, func(t *testing.T) {
			xml := fixture.Response{Issuer: tt.issuer, NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at, SignAssertion: true}.XML()
			steps := fixture.SignIn(xml, fixture.RelayState(), at.Add(1e9), fixture.NotOnboarded)
			steps[0].URL = "https://" + tt.host + "/sso/saml"
			r := signin.NewReader(capture.Options{})
			if err := r.Read("p.har", bytes.NewReader(fixture.HAR(fixture.Chrome, steps))); err != nil {
				t.Fatal(err)
			}
			set := evidence.NewSet()
			set.Load("u.json", []byte(usersJSON("Jane.Doe@example.com")))
			res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
			if res.IdP.Product != tt.product {
				t.Fatalf("product %s (%s), want %s", res.IdP.Product, res.IdP.Reason, tt.product)
			}
			f := find(res, "connect.username_case_mismatch")
			if f == nil {
				t.Fatalf("no case mismatch: %v", ids(res))
			}
			if tt.product == idp.Unknown {
				if len(report.Render(*f.Fix).IdPSteps) != 0 || report.Render(*f.Fix).IdP == "" {
					t.Errorf("an unknown IdP must keep the generic fix: %+v", f.Fix)
				}
				return
			}
			text := strings.Join(report.Render(*f.Fix).IdPSteps, "\n")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("steps lack %q:\n%s", w, text)
				}
			}
			if report.Render(*f.Fix).IdPDocs == "" || !strings.HasPrefix(report.Render(*f.Fix).IdPDocs, "https://") {
				t.Errorf("no documentation link: %q", report.Render(*f.Fix).IdPDocs)
			}
			if strings.Contains(text, "<no value>") || strings.Contains(text, "}}") || strings.Contains(text, "{{") {
				t.Errorf("an unfilled value:\n%s", text)
			}
		})
	}
}

// Every product has steps for every kind of fix, and every step template
// fills in.
func TestEveryProductHasEveryFix(t *testing.T) {
	v := idp.Values{RoleSessionName: "a", ConnectUser: "A", RolePair: "r,p", RoleArn: "r", ProviderArn: "p", Account: "1", ACS: "https://signin.aws.amazon.com/saml", Audience: "urn:amazon:webservices", RelayState: "https://x", RelayStateEncoded: "x", RelayStateDoubleEncoded: "y", ClockOffset: "2h0m0s behind AWS's"}
	if len(idp.Products) < 12 {
		t.Fatalf("%d products", len(idp.Products))
	}
	// A cloud IdP keeps its own time: only the products run on the
	// customer's servers have clock steps; the others get the generic one.
	selfHosted := map[string]bool{"adfs": true, "keycloak": true, "shibboleth": true, "simplesamlphp": true, "ping": true}
	for _, p := range idp.Products {
		for _, k := range idp.FixKinds {
			if k == "clock" && !selfHosted[p.ID] {
				if _, _, ok := idp.Steps(p.ID, k, v); ok {
					t.Errorf("%s is a cloud service, yet has clock steps", p.ID)
				}
				continue
			}
			steps, docs, ok := idp.Steps(p.ID, k, v)
			if !ok || len(steps) == 0 || !strings.HasPrefix(docs, "https://") {
				t.Errorf("%s has no usable %s fix", p.ID, k)
			}
		}
	}
}

// When the Connect user name is all lower case, the product's lower-case
// transformation is the fix.
func TestCaseTransformation(t *testing.T) {
	xml := fixture.Response{NameID: "Jane.Doe@example.com", RoleSessionName: []string{"Jane.Doe@example.com"}, IssueInstant: at, SignAssertion: true}.XML()
	steps := fixture.SignIn(xml, fixture.RelayState(), at.Add(1e9), fixture.NotOnboarded)
	r := signin.NewReader(capture.Options{})
	r.Read("p.har", bytes.NewReader(fixture.HAR(fixture.Chrome, steps)))
	set := evidence.NewSet()
	set.Load("u.json", []byte(usersJSON("jane.doe@example.com")))
	res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
	f := find(res, "connect.username_case_mismatch")
	if f == nil || res.IdP.Product != "entra" {
		t.Fatalf("%s: %v", res.IdP.Product, ids(res))
	}
	if text := strings.Join(report.Render(*f.Fix).IdPSteps, "\n"); !strings.Contains(text, "Transformation to ToLowercase()") || !strings.Contains(text, "yields jane.doe@example.com") {
		t.Errorf("steps:\n%s", text)
	}
}
