package signin_test

import (
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

func TestStage(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"https://signin.aws.amazon.com/saml", signin.StageSignIn},
		{"https://eu-west-2.signin.aws.amazon.com/saml", signin.StageSignIn},
		{"https://eu-west-2.console.aws.amazon.com/connect/federate/11111111-2222-3333-4444-555555555555", signin.StageFederation},
		{"https://example-corp.my.connect.aws/ccp-v2/", signin.StageConnect},
		// Connect's older domain and the IAM Identity Center portal share
		// awsapps.com; the path tells them apart.
		{"https://example-corp.awsapps.com/connect/ccp-v2/", signin.StageConnect},
		{"https://d-9067a1b2c3.awsapps.com/start/#/", signin.StageIdP},
		{"https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2", signin.StageIdP},
		{"https://example-corp.okta.com/app/amazon_aws/exk1/sso/saml", signin.StageIdP},
		{"https://us-east-1.console.aws.amazon.com/console/home", signin.StageConsole},
		{"https://sts.example-corp.com/adfs/ls/", ""}, // self-hosted: known by what it does, not its host
		{"https://www.example.com/", ""},
		{"not a url", ""},
	} {
		if got := (signin.Rules{}).Stage(c.url); got != c.want {
			t.Errorf("Stage(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}

// The IdP products' error pages, as each renders them, are recognised on
// their own hosts and (self-hosted products) on any host, with the cause
// their code means.
func TestIdPErrors(t *testing.T) {
	at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct{ product, cause, code string }{
		{"entra", "idp.user_not_assigned", "AADSTS50105"},
		{"okta", "idp.user_not_assigned", "App Not Assigned"},
		{"google", "idp.app_not_found", "app_not_configured_for_user"},
		{"adfs", "idp.error", "Activity ID: 00000000-0000-0000-3f00-0080000000e5"},
		{"keycloak", "idp.app_not_found", "Invalid requester"},
		{"ping", "idp.user_not_assigned", "AUTHZ_001"},
		{"iam-identity-center", "idp.error", "An unexpected error has occurred"},
	} {
		t.Run(c.product, func(t *testing.T) {
			s := fixture.IdPErrorStep(c.product, at)
			stage := (signin.Rules{}).Stage(s.URL)
			ms := (signin.Rules{}).Errors(s.URL, []byte(s.Body), stage)
			if len(ms) != 1 {
				t.Fatalf("stage %q: %d marks: %+v", stage, len(ms), ms)
			}
			m := ms[0]
			if m.ID != errorpage.IdPErrorPage || m.Product != c.product || m.Cause != c.cause || m.Code != c.code || m.Docs == "" || m.Text == "" {
				t.Errorf("mark %+v, want %s %s %q", m, c.product, c.cause, c.code)
			}
			if m.Excerpt == "" || len(m.Excerpt) > 400 {
				t.Errorf("excerpt %q", m.Excerpt)
			}
		})
	}
}

// Pages that are not errors are not marked: an IdP's ordinary sign-in
// page, a page that names an error code only in its script's strings
// without the message form, a site's own "error" words.
func TestIdPErrorsNotOnOrdinaryPages(t *testing.T) {
	for name, body := range map[string]string{
		"entra sign-in": `<html><head><title>Sign in to your account</title><script>$Config={"iErrorCode":0,"strServiceExceptionMessage":"","arrSessions":[]};</script></head><body><noscript>JavaScript required. We can't sign you in. Your browser is currently set to block JavaScript.</noscript></body></html>`,
		"code in table": `<html><head><script>var codes={"AADSTS50105":"x"};</script></head><body>Sign in</body></html>`,
		"site error":    `<html><body><h1>An error occurred</h1><p>Something went wrong while loading the page.</p></body></html>`,
		// IAM Identity Center's generic text counts on its hosts only.
		"generic text elsewhere": `<html><body><h1>Oops</h1><p>An unexpected error has occurred. It's not you, it's us.</p></body></html>`,
		"okta sign-in":           `<html><head><title>Example Corp - Sign In</title></head><body><div id="okta-sign-in"><h2>Sign In</h2><label>Username</label></div></body></html>`,
	} {
		for _, stage := range []string{signin.StageIdP, ""} {
			if ms := (signin.Rules{}).Errors("https://www.example.com/", []byte(body), stage); len(ms) != 0 {
				t.Errorf("%s (stage %q): marked %+v", name, stage, ms)
			}
		}
	}
}
