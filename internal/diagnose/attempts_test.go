package diagnose_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// signInSteps is one sign-in: the IdP's page, the POST, the outcome.
func signInSteps(name, issuer string, when time.Time, out fixture.Outcome) []fixture.Step {
	xml := fixture.Response{Issuer: issuer, NameID: name, RoleSessionName: []string{name}, IssueInstant: when.Add(-time.Second), SignAssertion: true}.XML()
	return fixture.SignIn(xml, fixture.RelayState(), when, out)
}

func diagnoseSteps(t *testing.T, aws map[string]string, steps ...[]fixture.Step) *diagnose.Result {
	t.Helper()
	var all []fixture.Step
	for _, s := range steps {
		all = append(all, s...)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("two.har", bytes.NewReader(fixture.HAR(fixture.Chrome, all))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for n, d := range aws {
		if err := set.Load(n, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
}

func outcomes(res *diagnose.Result) string {
	var o []string
	for _, a := range res.Attempts {
		o = append(o, a.Outcome)
	}
	return strings.Join(o, ",")
}

func TestAttempts(t *testing.T) {
	first, second := at, at.Add(70*time.Second)
	users := map[string]string{"u.json": usersJSON("Jane.Doe@example.com", "john.smith@example.com")}

	// Not onboarded, then the IdP sends the name in the user's case.
	t.Run("fail then success", func(t *testing.T) {
		res := diagnoseSteps(t, users, signInSteps(rsn, "", first, fixture.NotOnboarded), signInSteps("Jane.Doe@example.com", "", second, fixture.Success))
		if outcomes(res) != "failed,reached_connect" || res.Outcome != "succeeded" || res.Failed() {
			t.Fatalf("attempts %s, outcome %s, findings %v", outcomes(res), res.Outcome, ids(res))
		}
		for _, want := range []string{"attempt 1 of 2 at 09:00:01 failed (connect.not_onboarded)", "attempt 2 of 2 at 09:01:11 reached Amazon Connect",
			`the RoleSessionName changed from "jane.doe@example.com" to "Jane.Doe@example.com"`} {
			if !strings.Contains(res.Verdict, want) {
				t.Errorf("verdict lacks %q: %s", want, res.Verdict)
			}
		}
		// The first attempt's error page is not the second's symptom.
		if len(res.Symptoms) != 1 || res.Symptoms[0].ID != "signin.success" {
			t.Errorf("symptoms of the last attempt: %+v", res.Symptoms)
		}
	})

	// Two users: John signs in, then Jane fails; the verdict is Jane's.
	t.Run("two users", func(t *testing.T) {
		res := diagnoseSteps(t, users, signInSteps("john.smith@example.com", "", first, fixture.Success), signInSteps(rsn, "", second, fixture.NotOnboarded))
		if outcomes(res) != "reached_connect,failed" || res.Outcome != "failed" || res.Subject.RoleSessionName != rsn || res.Findings[0].ID != "connect.username_case_mismatch" {
			t.Fatalf("attempts %s, subject %+v, findings %v", outcomes(res), res.Subject, ids(res))
		}
	})

	// Two IdPs (two issuers): each attempt has its own.
	t.Run("two IdPs", func(t *testing.T) {
		other := "https://sts.windows.net/ffffffff-0000-4000-8000-123456789abc/"
		res := diagnoseSteps(t, nil, signInSteps(rsn, fixture.DefaultIssuer, first, fixture.NotOnboarded), signInSteps(rsn, other, second, fixture.NotOnboarded))
		if len(res.Attempts) != 2 || res.Attempts[0].Subject.Issuer != fixture.DefaultIssuer || res.Attempts[1].Subject.Issuer != other || res.Subject.Issuer != other {
			t.Fatalf("attempts %+v", res.Attempts)
		}
	})

	// A retry with the same error: two failed attempts, one symptom each.
	t.Run("retry", func(t *testing.T) {
		res := diagnoseSteps(t, users, signInSteps(rsn, "", first, fixture.NotOnboarded), signInSteps(rsn, "", second, fixture.NotOnboarded))
		if outcomes(res) != "failed,failed" || len(res.Symptoms) != 1 || len(res.Symptoms[0].Evidence) != 1 || !res.Failed() {
			t.Fatalf("attempts %s, symptoms %+v", outcomes(res), res.Symptoms)
		}
	})

	// One sign-in (with the role chooser's second POST) is one attempt.
	t.Run("one", func(t *testing.T) {
		s := base()
		s.outcome = fixture.AccessDeniedAdmin
		s.resp.Roles = []string{roleARN + "," + fixture.DefaultProvider, readOnlyARN + "," + fixture.DefaultProvider}
		s.steps = pickRole(readOnlyARN)
		if res := s.run(t); len(res.Attempts) != 0 {
			t.Errorf("%d attempts", len(res.Attempts))
		}
	})
}
