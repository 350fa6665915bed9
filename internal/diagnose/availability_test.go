package diagnose_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// AWS sign-in or Connect's federation failing on AWS's side is
// aws.service_unavailable, not a capture cut short: its fix names the
// Regional sign-in endpoints and AWS Health and changes nothing.
func TestServiceUnavailable(t *testing.T) {
	signIn := func(edit func([]fixture.Step) []fixture.Step) *diagnose.Result {
		return diagnoseSteps(t, nil, edit(signInSteps(rsn, "", at, fixture.NotOnboarded)))
	}
	for _, tt := range []struct {
		name  string
		edit  func([]fixture.Step) []fixture.Step
		stage catalog.Stage
		sym   string
	}{
		{"sign-in 503", func(s []fixture.Step) []fixture.Step {
			s[1].Status, s[1].Location, s[1].Mime, s[1].Body = 503, "", "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
			return s[:2]
		}, catalog.StageAssumeRole, "signin.unavailable"},
		{"federation 502", func(s []fixture.Step) []fixture.Step {
			s[2].Status, s[2].Mime, s[2].Body = 502, "text/html", "<html><body>Bad Gateway</body></html>"
			return s[:3]
		}, catalog.StageFederation, "connect.federation_unavailable"},
		{"federation silent while the IdP answers after it", func(s []fixture.Step) []fixture.Step {
			s[2].Status, s[2].Mime, s[2].Body = -1, "", ""
			back := s[0]
			back.Time = s[2].Time.Add(40 * time.Second)
			back.Body = "<html><body>My Apps</body></html>"
			return append(s[:3], back)
		}, catalog.StageFederation, "connect.federation_unavailable"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := signIn(tt.edit)
			f := find(res, "aws.service_unavailable")
			if f == nil || res.Findings[0].ID != "aws.service_unavailable" || find(res, "capture.no_outcome") != nil || !res.Failed() {
				t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
			}
			if f.Stage != tt.stage || !slices.Equal(f.Explains, []string{tt.sym}) {
				t.Errorf("stage %s, explains %v", f.Stage, f.Explains)
			}
			text := fixText(f.Fix)
			for _, want := range []string{"https://" + region + ".signin.aws.amazon.com/saml", "https://REGION.signin.aws.amazon.com/saml", "AWS Health", "https://health.aws.amazon.com/health/status"} {
				if !strings.Contains(text, want) {
					t.Errorf("fix lacks %q:\n%s", want, text)
				}
			}
			if f.Fix.Check.Result != fix.NotChecked || len(f.Fix.Changes) != 0 {
				t.Errorf("check %+v, changes %v", f.Fix.Check, f.Fix.Changes)
			}
			for _, c := range report.Render(*f.Fix).Commands {
				if !strings.HasPrefix(c, "aws health describe-events") {
					t.Errorf("command %q", c)
				}
			}
		})
	}
	// Near misses: the capture ends while AWS is answering (no later
	// answer: capture.no_outcome); a 4xx page is AWS's judgement of the
	// sign-in, not an outage.
	res := signIn(func(s []fixture.Step) []fixture.Step { s[1].Status, s[1].Location = -1, ""; return s[:2] })
	if find(res, "aws.service_unavailable") != nil || find(res, "capture.no_outcome") == nil {
		t.Errorf("cut short: findings %v", ids(res))
	}
	res = signIn(func(s []fixture.Step) []fixture.Step {
		s[2].Status = 400
		s[2].Body = fixture.ConnectErrorPage("Bad Request", "Bad Request. The request was not valid and could not be processed.")
		return s
	})
	if find(res, "aws.service_unavailable") != nil || res.Symptoms[0].ID != "connect.bad_request" {
		t.Errorf("a 400: findings %v, symptoms %+v", ids(res), res.Symptoms)
	}
}

// Any STS action refused ("Not authorized to perform sts:TagSession")
// is the same symptom, and asks for the role's trust policy.
func TestNotAuthorizedSTSActions(t *testing.T) {
	for _, text := range []string{
		"Not authorized to perform sts:TagSession (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: 7d1e). Please try again.",
		"Not authorized to perform sts:SetSourceIdentity (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied). Please try again.",
	} {
		res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.Outcome{SignInError: text}))
		if len(res.Symptoms) != 1 || res.Symptoms[0].ID != "signin.not_authorized_assume_role" || find(res, "needs.trust_policy") == nil {
			t.Errorf("%s: symptoms %+v, findings %v", text, res.Symptoms, ids(res))
		}
	}
	res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.Outcome{SignInError: "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,32} (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)"}))
	if len(res.Symptoms) != 1 || res.Symptoms[0].ID != "signin.role_session_name_invalid" {
		t.Errorf("the {2,32} text: symptoms %+v", res.Symptoms)
	}
}
