package diagnose_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// An IdP that stops the sign-in with its own error page sent no SAML:
// the finding is the cause its code means, at the identity provider, with
// the product's steps; the missing SAMLResponse is not blamed on the
// capture.
func TestIdPErrorPage(t *testing.T) {
	for _, c := range []struct {
		product, cause string
		steps          bool // the product has steps for the cause's setting
	}{
		{"entra", "idp.user_not_assigned", true},
		{"okta", "idp.user_not_assigned", true},
		{"google", "idp.app_not_found", true},
		{"adfs", "idp.error", false},
		{"keycloak", "idp.app_not_found", true},
		{"ping", "idp.user_not_assigned", true},
		{"iam-identity-center", "idp.error", false},
	} {
		t.Run(c.product, func(t *testing.T) {
			res := diagnoseSteps(t, nil, []fixture.Step{fixture.IdPErrorStep(c.product, at)})
			f := find(res, c.cause)
			if f == nil {
				t.Fatalf("no %s: %v", c.cause, ids(res))
			}
			if res.Findings[0].ID != c.cause || f.Stage != catalog.StageIdP || !slices.Contains(f.Explains, "idp.error_page") {
				t.Errorf("first %s, stage %s, explains %v", res.Findings[0].ID, f.Stage, f.Explains)
			}
			if find(res, "capture.no_saml") != nil {
				t.Error("capture.no_saml reported for a sign-in the IdP stopped")
			}
			if res.Outcome != "failed" || !res.Failed() || res.FailedAt != signin.StageIdP || res.FailedStage != catalog.StageIdP {
				t.Errorf("outcome %s, failed at %q, stage %q", res.Outcome, res.FailedAt, res.FailedStage)
			}
			if res.IdP == nil || res.IdP.Product != c.product {
				t.Errorf("product %+v, want %s", res.IdP, c.product)
			}
			where := f.Evidence[0].Where
			if !strings.Contains(where, "entry 0") || !strings.Contains(where, "09:00:01") || f.Evidence[0].Value == "" {
				t.Errorf("evidence %+v", f.Evidence)
			}
			if f.Fix == nil || f.Fix.Summary == "" || f.Fix.Check == nil || f.Fix.Check.Result != fix.NotChecked {
				t.Fatalf("fix %+v", f.Fix)
			}
			if c.steps && (len(report.Render(*f.Fix).IdPSteps) == 0 || report.Render(*f.Fix).IdPProduct == "") {
				t.Errorf("no %s steps: %+v", c.product, f.Fix)
			}
		})
	}
}

// An IdP error page is a sign-in of its own: refused, then (after the
// assignment) a sign-in that reaches Connect, are two attempts; and an
// IdP refusal after a failed POST is the capture's verdict.
func TestIdPErrorPageAttempts(t *testing.T) {
	t.Run("refused then success", func(t *testing.T) {
		res := diagnoseSteps(t, nil, []fixture.Step{fixture.IdPErrorStep("entra", at)}, signInSteps(rsn, "", at.Add(2*time.Minute), fixture.Success))
		if outcomes(res) != "failed,reached_connect" || res.Failed() {
			t.Fatalf("attempts %s, findings %v", outcomes(res), ids(res))
		}
		a := res.Attempts[0]
		if !slices.Equal(a.Symptoms, []string{"idp.error_page"}) || !a.Started.Equal(at) || a.Result.Findings[0].ID != "idp.user_not_assigned" {
			t.Errorf("first attempt %+v, findings %v", a, ids(a.Result))
		}
		if !strings.Contains(res.Verdict, "attempt 1 of 2 at 09:00:01 failed (idp.error_page)") {
			t.Errorf("verdict %s", res.Verdict)
		}
	})
	t.Run("post then refused", func(t *testing.T) {
		res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.NotOnboarded), []fixture.Step{fixture.IdPErrorStep("okta", at.Add(time.Minute))})
		if outcomes(res) != "failed,failed" || res.Findings[0].ID != "idp.user_not_assigned" || res.Subject != nil {
			t.Fatalf("attempts %s, findings %v", outcomes(res), ids(res))
		}
	})
}
