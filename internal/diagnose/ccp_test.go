package diagnose_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
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
		steps := strings.Join(report.Render(*f.Fix).Steps, "\n")
		if !strings.Contains(steps, `"https://example-corp.my.connect.aws,`+embed+`"`) {
			t.Errorf("cookie policy entry lacks the CCP's site and the application's: %s", steps)
		}
		cmds := strings.Join(report.Render(f.Alternatives[0]).Commands, "\n")
		if !strings.Contains(cmds, "associate-approved-origin --instance-id "+fixture.DefaultInstance+" --region "+fixture.DefaultRegion+` --cli-input-json '{"Origin":"`+embed+`"}'`) {
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
		if f.Stage != catalog.StageEmbedded {
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

// samldoctor record's HAR of an agent application embedding the CCP,
// whose frame the browser refused (Connect's frame-ancestors did not
// name the application): the browser's report is what the agent saw and
// the evidence of the cause, fixed by approving the exact origin.
func TestCCPFrameRefused(t *testing.T) {
	read := func(t *testing.T) *capture.Capture {
		r := signin.NewReader(capture.Options{})
		if err := r.ReadFile(filepath.Join("..", "capture", "testdata", "record", "ccp-refused.har")); err != nil {
			t.Fatal(err)
		}
		return r.Finish()
	}
	t.Run("capture alone", func(t *testing.T) {
		res := diagnose.Run(diagnose.Input{Capture: read(t)})
		if len(res.Findings) != 1 || res.Findings[0].ID != "ccp.origin_not_approved" || res.Outcome != "failed" || !res.Failed() {
			t.Fatalf("findings %v, outcome %s", ids(res), res.Outcome)
		}
		if len(res.Symptoms) != 1 || res.Symptoms[0].ID != "ccp.frame_refused" || len(res.Symptoms[0].Evidence) != 2 {
			t.Errorf("symptoms %+v", res.Symptoms)
		}
		f := res.Findings[0]
		if f.Stage != catalog.StageEmbedded || !slices.Equal(f.Explains, []string{"ccp.frame_refused"}) || !strings.Contains(f.Title, "https://agent.example.com") {
			t.Errorf("stage %s, explains %v, title %q", f.Stage, f.Explains, f.Title)
		}
		want := []string{"aws connect list-approved-origins --instance-id INSTANCE-ID --region REGION",
			`aws connect associate-approved-origin --instance-id INSTANCE-ID --region REGION --cli-input-json '{"Origin":"https://agent.example.com"}'`}
		// Checked against the frame: approved, Connect's frame-ancestors
		// name the origin and the browser shows the CCP.
		if !slices.Equal(report.Render(*f.Fix).Commands, want) || f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes || len(f.Fix.Changes) != 1 || f.Fix.Changes[0].Kind() != fix.KindAssociateApprovedOrigin {
			t.Errorf("fix %+v, check %+v", f.Fix, f.Fix.Check)
		}
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, e.What+": "+e.Value+" @ "+e.Where)
		}
		all := strings.Join(ev, "\n")
		for _, s := range []string{"the browser refused the CCP's frame: Framing 'https://example-corp.my.connect.aws/' violates", "ccp-refused.har browser report 0 (log, ", "in https://agent.example.com/)",
			"CCP request: https://example-corp.my.connect.aws/ccp-v2/ @ ", "origin of the page embedding the CCP: https://agent.example.com @ "} {
			if !strings.Contains(all, s) {
				t.Errorf("evidence lacks %q:\n%s", s, all)
			}
		}
	})
	t.Run("with the instance", func(t *testing.T) {
		set := evidence.NewSet()
		if err := set.LoadPaths([]string{filepath.Join("..", "..", "examples", "aws-data", "not-onboarded", "instance.json")}); err != nil {
			t.Fatal(err)
		}
		res := diagnose.Run(diagnose.Input{Capture: read(t), AWS: set})
		f := find(res, "ccp.origin_not_approved")
		if f == nil || !slices.Contains(report.Render(*f.Fix).Commands, "aws connect associate-approved-origin --instance-id "+fixture.DefaultInstance+" --region "+fixture.DefaultRegion+` --cli-input-json '{"Origin":"https://agent.example.com"}'`) {
			t.Errorf("findings %v, fix %+v", ids(res), f)
		}
	})
	// A HAR export holds no report: the CCP's own Content-Security-Policy
	// in the frame says the same.
	t.Run("no report: the CCP's CSP", func(t *testing.T) {
		c := read(t)
		c.Reports = nil
		res := diagnoseChecked(t, diagnose.Input{Capture: c})
		f := find(res, "ccp.origin_not_approved")
		if f == nil || len(res.Symptoms) != 1 || res.Symptoms[0].ID != "ccp.frame_refused" || f.Fix.Check.Result != fix.Passes {
			t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
		}
		if ev := res.Symptoms[0].Evidence[0]; ev.What != "the CCP's Content-Security-Policy" || !strings.Contains(ev.Value, "frame-ancestors 'self' https://approved.example.com (does not name https://agent.example.com)") {
			t.Errorf("symptom evidence %+v", ev)
		}
	})
	// The near miss: the same frame, its CSP naming the origin.
	t.Run("CSP naming the origin", func(t *testing.T) {
		c := read(t)
		c.Reports = nil
		for i := range c.Pages {
			if c.Pages[i].FrameAncestors != nil {
				c.Pages[i].FrameAncestors = [][]string{{"'self'", "https://approved.example.com", "https://agent.example.com"}}
			}
		}
		res := diagnoseChecked(t, diagnose.Input{Capture: c})
		if find(res, "ccp.origin_not_approved") != nil || res.HasErrors() {
			t.Errorf("findings %v, symptoms %+v", ids(res), res.Symptoms)
		}
	})
	// The instance's approved origins are evidence; approving what they
	// already hold is no fix.
	t.Run("approved origins read", func(t *testing.T) {
		set := evidence.NewSet()
		set.LoadPaths([]string{filepath.Join("..", "..", "examples", "aws-data", "not-onboarded", "instance.json")})
		if err := set.Load("origins.json", []byte(`{"Origins":["https://approved.example.com"]}`)); err != nil {
			t.Fatal(err)
		}
		res := diagnoseChecked(t, diagnose.Input{Capture: read(t), AWS: set})
		f := find(res, "ccp.origin_not_approved")
		if f == nil || !strings.Contains(fixText(f.Fix), `{"Origin":"https://agent.example.com"}`) || f.Fix.Check.Result != fix.Passes {
			t.Fatalf("findings %v %+v", ids(res), f)
		}
		found := false
		for _, e := range f.Evidence {
			found = found || e.What == "the instance's approved origins" && e.Value == "https://approved.example.com"
		}
		if !found {
			t.Errorf("evidence %+v", f.Evidence)
		}
	})
}
