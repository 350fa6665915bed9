package diagnose_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

// An embedded CCP with no Connect session (/ccp-v2 → /auth/refresh →
// /connect/login) is its own symptom. After a sign-in that reached
// Connect, the frame cannot use the session (third-party cookies, the
// origin); without one, the agent had not signed in through the IdP.
func TestCCPNoSession(t *testing.T) {
	const embed = "https://agents.example.com"
	ccp := fixture.CCPNoSessionSteps("example-corp.my.connect.aws", embed, at.Add(time.Minute))

	t.Run("after a sign-in", func(t *testing.T) {
		res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.Success), ccp)
		f := find(res, "connect.ccp_no_session")
		if f == nil || res.Findings[0].ID != "connect.ccp_no_session" || !res.Failed() {
			t.Fatalf("findings %v, outcome %s", ids(res), res.Outcome)
		}
		if !strings.Contains(f.Fix.Summary, "third-party cookies") || len(f.Alternatives) != 1 {
			t.Errorf("fix %q, %d alternatives", f.Fix.Summary, len(f.Alternatives))
		}
		steps := strings.Join(f.Fix.Steps, "\n")
		if !strings.Contains(steps, `"https://example-corp.my.connect.aws,`+embed+`"`) {
			t.Errorf("cookie policy entry lacks the CCP's site and the application's: %s", steps)
		}
		cmds := strings.Join(f.Alternatives[0].Commands, "\n")
		if !strings.Contains(cmds, "associate-approved-origin --instance-id "+fixture.DefaultInstance+" --origin "+embed+" --region "+fixture.DefaultRegion) {
			t.Errorf("approved origin command: %s", cmds)
		}
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, e.What+"="+e.Value)
		}
		if !slices.Contains(ev, "page embedding the CCP="+embed) || strings.Contains(strings.Join(ev, " "), "session=abc123") {
			t.Errorf("evidence %v (the Referer's origin only)", ev)
		}
	})

	t.Run("no sign-in", func(t *testing.T) {
		res := diagnoseSteps(t, nil, ccp)
		f := find(res, "connect.ccp_no_session")
		if f == nil || find(res, "capture.no_saml") != nil || res.Outcome != "failed" {
			t.Fatalf("findings %v, outcome %s", ids(res), res.Outcome)
		}
		if !strings.Contains(f.Fix.Summary, "loginUrl") || len(f.Alternatives) != 2 {
			t.Errorf("fix %q, %d alternatives", f.Fix.Summary, len(f.Alternatives))
		}
		if f.Stage != diagnose.StageEmbedded {
			t.Errorf("stage %s", f.Stage)
		}
	})

	// A CCP that loads with its session is not a symptom.
	t.Run("session", func(t *testing.T) {
		ok := []fixture.Step{{Time: at.Add(time.Minute), Method: "GET", URL: "https://example-corp.my.connect.aws/ccp-v2/", Status: 200, Mime: "text/html", Body: "<html><body>CCP</body></html>"}}
		res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.Success), ok)
		if find(res, "connect.ccp_no_session") != nil || res.Failed() {
			t.Errorf("findings %v", ids(res))
		}
	})
}

// A SAML-tracer export that may have lost requests is said, with where.
func TestEntriesLost(t *testing.T) {
	c := &capture.Capture{Sources: []capture.Source{{File: "trace.json", Format: capture.FormatTracer, Entries: 3}},
		Warnings: []capture.Warning{{File: "trace.json", Entry: 0, Code: capture.WarnEntriesLost, Message: "the export does not chain: 1 redirect(s) lead to URLs it never requests (entry 0 → https://login.microsoftonline.com/t/saml2)"}}}
	res := diagnoseChecked(t, diagnose.Input{Capture: c})
	f := find(res, "capture.entries_lost")
	if f == nil || f.Severity != diagnose.Warning || f.Evidence[0].Where != "trace.json entry 0" || !strings.Contains(f.Evidence[0].Value, "entry 0 →") {
		t.Fatalf("findings %v: %+v", ids(res), f)
	}
}
