package diagnose_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The field fixtures (testdata/field, written by its gen.go from the
// texts AWS and the vendors document): each capture with its AWS data
// gives its cause first, with the evidence and the fix in the product's
// terms.

func fieldDir() string { return filepath.Join("..", "..", "testdata", "field") }

func readHAR(t *testing.T, name string, har []byte) *capture.Capture {
	t.Helper()
	r := signin.NewReader(capture.Options{})
	if err := r.Read(name, bytes.NewReader(har)); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

// diagnoseField diagnoses a field capture, with its AWS data when the
// fixture has some.
func diagnoseField(t *testing.T, name string) *diagnose.Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fieldDir(), name+".har"))
	if err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	if dir := filepath.Join(fieldDir(), "aws-data", name); exists(dir) {
		if err := set.LoadPaths([]string{dir}); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: readHAR(t, name+".har", b), AWS: set})
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestFieldFixtures(t *testing.T) {
	tests := []struct {
		name, cause string
		// text must appear in the finding's detail, evidence or fix.
		text []string
		// passes is whether its first fix passes its check.
		passes bool
	}{
		{"rcp-denies", "iam.rcp_denies", []string{"IdentityPerimeter (p-rcp4perimeter)", "aws:PrincipalOrgID is not in the request", "saml:doc"}, true},
		{"scp-denies", "iam.scp_denies", []string{"DenyOutsideApprovedRegions (p-scp4regions)", "aws:RequestedRegion is ap-southeast-2", "NotAction"}, true},
		{"tags-invalid", "aws.session_tags_invalid", []string{"282 characters (the limit is 256)", "PrincipalTag:GithubTeams"}, true},
		{"iic-not-assigned", "idp.user_not_assigned", []string{"Assigned users and groups", "primary email address"}, false},
		{"adfs-no-relaystate", "aws.relay_state_missing", []string{"loginToRp=urn:amazon:webservices", "Set-AdfsProperties -EnableRelayStateForIdpInitiatedSignOn $true",
			"https://sts.example-corp.com/adfs/ls/IdpInitiatedSignOn.aspx?RelayState=RPID%3Durn%253Aamazon%253Awebservices%26RelayState%3D", "https://console.aws.amazon.com/console/home"}, false},
		{"okta-role-missing", "aws.role_missing", []string{"Group Filter", "SAML User Roles", "arn:aws:iam::111122223333:role/Connect.Agents", "[\\w+=,.@\\-]+"}, true},
		{"entra-role-missing", "aws.role_missing", []string{"user.assignedroles", "AWS Single-Account Access", "names several SAML providers", "msiam_access"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := diagnoseField(t, tt.name)
			var f *diagnose.Finding
			for i := range res.Findings {
				if res.Findings[i].Severity == diagnose.Error {
					f = &res.Findings[i]
					break
				}
			}
			if f == nil || f.ID != tt.cause {
				t.Fatalf("first error is not %s: %v", tt.cause, ids(res))
			}
			all := f.Title + "\n" + f.Detail + "\n" + evText(f) + "\n" + fixText(f.Fix) + "\n" + strings.Join(report.Render(*f.Fix).IdPSteps, "\n")
			for _, want := range tt.text {
				if !strings.Contains(all, want) {
					t.Errorf("%s lacks %q:\n%s", tt.cause, want, all)
				}
			}
			if got := f.Fix.Check.Result == fix.Passes; got != tt.passes {
				t.Errorf("fix check %s (%s), want passes=%v", f.Fix.Check.Result, f.Fix.Check.Why, tt.passes)
			}
		})
	}
}

// The products' pitfalls stay quiet where the product's own app is not in
// the capture: an Okta app that is not AWS Account Federation, AD FS with
// a RelayState, a portal page that is Connect's older domain.
func TestProductPitfallNearMisses(t *testing.T) {
	// Okta, a custom SAML app (no /app/amazon_aws/): no Group Filter text.
	b, _ := os.ReadFile(filepath.Join(fieldDir(), "okta-role-missing.har"))
	custom := bytes.ReplaceAll(b, []byte("amazon_aws"), []byte("examplecorp_connect_1"))
	set := evidence.NewSet()
	set.LoadPaths([]string{filepath.Join(fieldDir(), "aws-data", "okta-role-missing")})
	res := diagnoseChecked(t, diagnose.Input{Capture: readHAR(t, "okta.har", custom), AWS: set})
	if f := find(res, "aws.role_missing"); f == nil || strings.Contains(f.Detail, "Group Filter") || strings.Contains(evText(f), "Connect.Agents") {
		t.Errorf("an Okta app that is not AWS Account Federation gets its pitfalls: %+v", f)
	}

	// Entra ID, the Connect role trusting one provider: the import does
	// not skip it, and nothing says it does.
	b, _ = os.ReadFile(filepath.Join(fieldDir(), "entra-role-missing.har"))
	one := evidence.NewSet()
	one.Load("iam.json", []byte(authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))))
	res = diagnoseChecked(t, diagnose.Input{Capture: readHAR(t, "entra.har", b), AWS: one})
	if f := find(res, "aws.role_missing"); f == nil || strings.Contains(evText(f), "import skips") || !strings.Contains(f.Detail, "user.assignedroles") {
		t.Errorf("Entra, one provider: %+v", f)
	}

	// AD FS posting the RelayState: no relay_state_missing at all.
	s := base()
	s.resp.Issuer = "http://sts.example-corp.com/adfs/services/trust"
	s.steps = func(st []fixture.Step) []fixture.Step {
		st[0].URL = "https://sts.example-corp.com/adfs/ls/IdpInitiatedSignOn.aspx?RelayState=RPID%3Durn%253Aamazon%253Awebservices%26RelayState%3D" + strings.ReplaceAll(strings.ReplaceAll(fixture.RelayState(), ":", "%253A"), "/", "%252F")
		return st
	}
	if f := find(s.run(t), "aws.relay_state_missing"); f != nil {
		t.Errorf("relay_state_missing with a RelayState posted: %+v", f)
	}
	// AD FS's link with a RelayState, which AD FS did not post: the
	// property is what is off.
	s.relay = str("")
	f := find(s.run(t), "aws.relay_state_missing")
	if f == nil || !strings.Contains(f.Detail, "AD FS drops the RelayState of IdP-initiated sign-on unless it is enabled") {
		t.Errorf("the wrapped link without RelayState posted: %+v", f)
	}

	// IAM Identity Center's text on a page of Connect's older domain, and
	// on another host: not IAM Identity Center's error page.
	for _, u := range []string{"https://example-corp.awsapps.com/connect/home", "https://www.example.com/start/"} {
		page := fixture.Step{Time: at, Method: "GET", URL: u, Status: 200, Mime: "text/html",
			Body: `<html><body><h3>No access</h3><p>Confirm with your administrator that you have access to Amazon Connect and that your primary email address is assigned in IAM Identity Center.</p></body></html>`}
		res := diagnoseChecked(t, diagnose.Input{Capture: readHAR(t, "c.har", fixture.HAR(fixture.Chrome, []fixture.Step{page}))})
		if find(res, "idp.user_not_assigned") != nil {
			t.Errorf("%s: IAM Identity Center's error page recognised off its portal: %v", u, ids(res))
		}
	}
}

// IAM Identity Center with an external IdP: the IdP's response to
// Identity Center's ACS is its leg of the sign-in, not AWS sign-in's, and
// Identity Center's "An unexpected error has occurred" is explained by
// that response's NameID, which must be an e-mail address in the
// emailAddress format, exactly an Identity Center user name.
func TestIdentityCenterExternalNameID(t *testing.T) {
	capt := func(nameID, format string) *capture.Capture {
		r := fixture.Response{Issuer: "http://www.okta.com/exk9z8y7x6w5v4u3t2s1", NameID: nameID, NameIDFormat: format, SignAssertion: true,
			Destination: "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/5e4d3c2b-0000-4000-8000-000000000000", Audience: "https://us-east-1.signin.aws.amazon.com/platform/saml/d-9067a1b2c3",
			IssueInstant: at.Add(-time.Second), Roles: []string{}}
		b64 := base64.StdEncoding.EncodeToString(r.XML())
		steps := []fixture.Step{
			{Time: at, Method: "GET", URL: "https://example-corp.okta.com/app/amazon_aws_sso/exk9z8y7x6w5v4u3t2s1/sso/saml", Status: 200, Mime: "text/html", Body: fixture.AutoPostPage(r.Destination, b64, "")},
			{Time: at.Add(300 * time.Millisecond), Method: "POST", URL: r.Destination, Form: [][2]string{{"SAMLResponse", b64}}, Status: 302, Location: "https://d-9067a1b2c3.awsapps.com/start/"},
			{Time: at.Add(700 * time.Millisecond), Method: "GET", URL: "https://d-9067a1b2c3.awsapps.com/start/", Status: 200, Mime: "text/html",
				Body: `<html><head><title>AWS access portal</title></head><body><div class="awsui-alert-type-error"><h2>Error</h2><p>An unexpected error has occurred. Please try again later, or contact your administrator if the problem persists.</p></div></body></html>`},
		}
		return readHAR(t, "iic.har", fixture.HAR(fixture.Chrome, steps))
	}
	res := diagnoseChecked(t, diagnose.Input{Capture: capt(`EXAMPLE\jane.doe`, "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")})
	f := find(res, "idp.error")
	if f == nil || res.Findings[0].ID != "idp.error" {
		t.Fatalf("idp.error is not first: %v", ids(res))
	}
	for _, id := range []string{"aws.role_missing", "saml.audience_invalid", "saml.recipient_invalid", "capture.no_saml"} {
		if find(res, id) != nil {
			t.Errorf("the response to IAM Identity Center is judged as AWS sign-in's: %s in %v", id, ids(res))
		}
	}
	if !strings.Contains(f.Detail, "This NameID cannot match") || !strings.Contains(evText(f), `EXAMPLE\jane.doe`) ||
		!strings.Contains(fixText(f.Fix), "aws identitystore get-user-id --identity-store-id d-9067a1b2c3") {
		t.Errorf("detail %q\nevidence %s\nfix %s", f.Detail, evText(f), fixText(f.Fix))
	}
	// An e-mail address in the emailAddress format may be right: the
	// identity store settles it.
	f = find(diagnoseChecked(t, diagnose.Input{Capture: capt("jane.doe@example.com", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")}), "idp.error")
	if f == nil || strings.Contains(f.Detail, "cannot match") || !strings.Contains(f.Detail, "Whether a user named exactly jane.doe@example.com exists") {
		t.Errorf("a well-formed NameID: %+v", f)
	}
}

// Okta's Role Value Pattern left unresolved: the value names ${accountid};
// the finding says where in the app it comes from. A resolved value is
// not malformed.
func TestOktaRoleValuePattern(t *testing.T) {
	s := base()
	s.resp.Issuer = "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"
	s.resp.Roles = []string{"arn:aws:iam::${accountid}:saml-provider/Okta,arn:aws:iam::${accountid}:role/ConnectAgents"}
	s.outcome = fixture.InvalidSAMLPage
	s.steps = func(st []fixture.Step) []fixture.Step {
		st[0].URL = "https://example-corp.okta.com/app/amazon_aws/exk1a2b3c4d5e6f7g8h9/sso/saml"
		return st
	}
	f := find(s.run(t), "aws.role_malformed")
	if f == nil || !strings.Contains(f.Detail, "placeholder of the Role Value Pattern left in it") || !strings.Contains(strings.Join(report.Render(*f.Fix).IdPSteps, " "), "Identity Provider ARN") {
		t.Fatalf("finding %+v", f)
	}
	s.resp.Roles = []string{"arn:aws:iam::" + acct + ":saml-provider/Okta,arn:aws:iam::" + acct + ":role/ConnectAgents"}
	if f := find(s.run(t), "aws.role_malformed"); f != nil {
		t.Errorf("a resolved Role value is malformed: %+v", f)
	}
}
