package diagnose_test

import (
	"bytes"
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

const app = "https://agents.example.com"

// diagnoseStreams diagnoses an embedded-CCP capture written as browser
// b writes it, with AWS outputs.
func diagnoseStreams(t *testing.T, b fixture.Browser, s fixture.Streams, aws ...string) *diagnose.Result {
	t.Helper()
	r := signin.NewReader(capture.Options{})
	if err := r.Read("agent.har", bytes.NewReader(fixture.HAR(b, s.Steps()))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for i, a := range aws {
		if err := set.Load("aws"+string(rune('a'+i))+".json", []byte(a)); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
}

func popupSignIn() []fixture.Step { return signInSteps(rsn, "", at, fixture.Success) }

func healthy() fixture.Streams {
	return fixture.Streams{At: at, App: app, CCPURL: "https://example-corp.my.connect.aws/ccp-v2/", SignIn: popupSignIn(), FrameSession: true,
		FrameAncestors: "'self' " + app}
}

func errorIDs(res *diagnose.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Severity == diagnose.Error {
			out = append(out, f.ID)
		}
	}
	return out
}

// The healthy embedded CCP: the frame's first load finds no session, the
// login popup signs in, the frame loads the CCP (its CSP naming the
// application), Streams' fac request answers 400 "Invalid input!"
// (expected, amazon-connect-streams#558), the popup closes. No error,
// in samldoctor record's capture, a browser's export, and without the
// sign-in (made before the capture).
func TestEmbeddedCCPHealthy(t *testing.T) {
	noWindows := healthy()
	noWindows.NoWindows = true
	noSignIn := healthy()
	noSignIn.SignIn = nil
	for name, tt := range map[string]struct {
		b fixture.Browser
		s fixture.Streams
	}{"record": {fixture.Chrome, healthy()}, "firefox export": {fixture.Firefox, noWindows}, "signed in before": {fixture.Chrome, noSignIn}} {
		t.Run(name, func(t *testing.T) {
			res := diagnoseStreams(t, tt.b, tt.s)
			if res.HasErrors() || res.Outcome != "succeeded" {
				t.Errorf("findings %v, symptoms %+v, outcome %s", ids(res), res.Symptoms, res.Outcome)
			}
			for _, s := range res.Symptoms {
				if s.ID != "signin.success" {
					t.Errorf("symptom %s: %+v", s.ID, s.Evidence)
				}
			}
		})
	}
}

// The frame loads the CCP on the instance's other domain than the one
// the federation lands on (amazon-connect-streams#670): the session is
// on the other host, the frame goes to the login page, the popup stays.
func TestCCPDomainMismatch(t *testing.T) {
	for _, tt := range []struct{ name, ccpURL, landing, fix string }{
		{"old domain framed, new domain signed in", "https://example-corp.awsapps.com/connect/ccp-v2/", "https://example-corp.my.connect.aws/ccp-v2/", "https://example-corp.my.connect.aws/ccp-v2/"},
		{"new domain framed, old domain signed in", "https://example-corp.my.connect.aws/ccp-v2/", "https://example-corp.awsapps.com/connect/ccp-v2/", "https://example-corp.awsapps.com/connect/ccp-v2/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := fixture.Streams{At: at, App: app, CCPURL: tt.ccpURL, SignIn: fixture.LandOn(popupSignIn(), tt.landing)}
			res := diagnoseStreams(t, fixture.Chrome, s)
			f := find(res, "ccp.domain_mismatch")
			if f == nil || res.Findings[0].ID != "ccp.domain_mismatch" || find(res, "connect.ccp_no_session") != nil || !res.Failed() {
				t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
			}
			if !slices.Contains(f.Explains, "connect.ccp_no_session") || !slices.Contains(f.Explains, "ccp.login_popup_open") || f.Stage != catalog.StageEmbedded {
				t.Errorf("explains %v, stage %s", f.Explains, f.Stage)
			}
			if len(f.Fix.Changes) != 1 || f.Fix.Changes[0].Kind() != fix.KindSetCCPURL || flat(f.Fix.Changes[0]).Value != tt.fix || f.Fix.Check.Result != fix.Passes {
				t.Errorf("fix %+v, check %+v", f.Fix.Changes, f.Fix.Check)
			}
			if !strings.Contains(fixText(f.Fix), `ccpUrl: "`+tt.fix+`"`) {
				t.Errorf("steps %q", report.Render(*f.Fix).Steps)
			}
			var ev []string
			for _, e := range f.Evidence {
				ev = append(ev, e.What+": "+e.Value)
			}
			all := strings.Join(ev, "\n")
			for _, want := range []string{"the sign-in's federation sent the browser to: " + tt.landing, "page embedding the CCP: " + app, "login popup: "} {
				if !strings.Contains(all, want) {
					t.Errorf("evidence lacks %q:\n%s", want, all)
				}
			}
		})
	}
	// The near miss: the same host, and still no session in the frame:
	// the frame's cookies (connect.ccp_no_session), not the domain.
	s := fixture.Streams{At: at, App: app, CCPURL: "https://example-corp.my.connect.aws/ccp-v2/", SignIn: popupSignIn()}
	res := diagnoseStreams(t, fixture.Chrome, s)
	if find(res, "ccp.domain_mismatch") != nil || find(res, "connect.ccp_no_session") == nil || find(res, "ccp.login_popup_stuck") != nil {
		t.Errorf("same host: findings %v", ids(res))
	}
	if f := find(res, "connect.ccp_no_session"); f != nil && !slices.Contains(f.Explains, "ccp.login_popup_open") {
		t.Errorf("the popup left open is not explained: %v", f.Explains)
	}
}

// The login popup that never closes: it signs in to another instance
// than ccpUrl's, or stays open after the frame had the session because
// loginPopupAutoClose is not set.
func TestLoginPopupStuck(t *testing.T) {
	t.Run("another instance", func(t *testing.T) {
		s := fixture.Streams{At: at, App: app, CCPURL: "https://example-corp.my.connect.aws/ccp-v2/", SignIn: fixture.LandOn(popupSignIn(), "https://example-test.my.connect.aws/ccp-v2/")}
		res := diagnoseStreams(t, fixture.Chrome, s)
		f := find(res, "ccp.login_popup_stuck")
		if f == nil || find(res, "ccp.domain_mismatch") != nil || find(res, "connect.ccp_no_session") != nil {
			t.Fatalf("findings %v", ids(res))
		}
		if flat(f.Fix.Changes[0]).Value != "https://example-test.my.connect.aws/ccp-v2/" || f.Fix.Check.Result != fix.Passes || len(f.Alternatives) != 1 || f.Alternatives[0].Check.Result != fix.NotChecked {
			t.Errorf("fix %+v %+v, alternatives %+v", f.Fix.Changes, f.Fix.Check, f.Alternatives)
		}
		if !strings.Contains(f.Title, "example-test.my.connect.aws") {
			t.Errorf("title %q", f.Title)
		}
	})
	t.Run("left open", func(t *testing.T) {
		s := healthy()
		s.PopupOpen = time.Minute
		res := diagnoseStreams(t, fixture.Chrome, s)
		f := find(res, "ccp.login_popup_stuck")
		if f == nil || !slices.Equal(errorIDs(res), []string{"ccp.login_popup_stuck"}) || !slices.Equal(f.Explains, []string{"ccp.login_popup_open"}) {
			t.Fatalf("findings %v", ids(res))
		}
		if !strings.Contains(f.Title, "loginPopupAutoClose") || f.Fix.Changes[0].Kind() != fix.KindSetLoginPopup || f.Fix.Check.Result != fix.Passes {
			t.Errorf("title %q, fix %+v %+v", f.Title, f.Fix.Changes, f.Fix.Check)
		}
		if !strings.Contains(fixText(f.Fix), "loginPopupAutoClose: true") {
			t.Errorf("steps %q", report.Render(*f.Fix).Steps)
		}
	})
	// Near misses: closed within Streams' acknowledgement (healthy), and a
	// browser's export, whose single window cannot show a popup.
	for name, s := range map[string]fixture.Streams{"closed at once": func() fixture.Streams { s := healthy(); s.PopupOpen = 2 * time.Second; return s }(),
		"no windows": func() fixture.Streams { s := healthy(); s.PopupOpen = time.Minute; s.NoWindows = true; return s }()} {
		if res := diagnoseStreams(t, fixture.Chrome, s); res.HasErrors() {
			t.Errorf("%s: findings %v", name, ids(res))
		}
	}
}

// AWS sign-in or the IdP loaded inside a frame: both refuse it
// (X-Frame-Options), Streams' login popup is the way.
func TestSignInInFrame(t *testing.T) {
	framed := func(url string, hdr ...[2]string) fixture.Streams {
		return fixture.Streams{At: at, App: app, CCPURL: "https://example-corp.my.connect.aws/ccp-v2/", Extra: []fixture.Step{{Time: at.Add(2 * time.Second), Method: "GET", URL: url, Status: 200, Mime: "text/html",
			Body: "<html><body>Sign in to your account</body></html>", ReqHeaders: [][2]string{{"Sec-Fetch-Dest", "iframe"}, {"Referer", app + "/"}}, RespHeaders: hdr, Window: "TAB", Type: "document"}}}
	}
	const entra = "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2"
	for name, s := range map[string]fixture.Streams{
		"the IdP, X-Frame-Options: DENY":       framed(entra, [2]string{"X-Frame-Options", "DENY"}),
		"AWS sign-in, X-Frame-Options: deny":   framed("https://signin.aws.amazon.com/saml", [2]string{"x-frame-options", "deny"}),
		"the IdP, frame-ancestors 'self'":      framed(entra, [2]string{"Content-Security-Policy", "frame-ancestors 'self'"}),
		"the IdP, X-Frame-Options: SAMEORIGIN": framed(entra, [2]string{"X-Frame-Options", "SAMEORIGIN"}),
	} {
		t.Run(name, func(t *testing.T) {
			res := diagnoseStreams(t, fixture.Chrome, s)
			f := find(res, "ccp.signin_in_frame")
			if f == nil || res.Findings[0].ID != "ccp.signin_in_frame" || find(res, "connect.ccp_no_session") != nil || find(res, "capture.no_saml") != nil {
				t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
			}
			if !slices.Contains(f.Explains, "ccp.signin_framed") || f.Fix.Changes[0].Kind() != fix.KindSetLoginPopup || f.Fix.Check.Result != fix.Passes {
				t.Errorf("explains %v, fix %+v %+v", f.Explains, f.Fix.Changes, f.Fix.Check)
			}
			if !strings.Contains(fixText(f.Fix), "loginPopup: true, loginPopupAutoClose: true") {
				t.Errorf("steps %q", report.Render(*f.Fix).Steps)
			}
		})
	}
	// Near misses: an IdP page that lets itself be framed, and one loaded
	// in the tab (the popup), are not this.
	for name, s := range map[string]fixture.Streams{
		"framing allowed": framed(entra, [2]string{"Content-Security-Policy", "frame-ancestors " + app}),
		"not in a frame": func() fixture.Streams {
			s := framed(entra, [2]string{"X-Frame-Options", "DENY"})
			s.Extra[0].ReqHeaders = [][2]string{{"Sec-Fetch-Dest", "document"}}
			return s
		}(),
	} {
		if res := diagnoseStreams(t, fixture.Chrome, s); find(res, "ccp.signin_in_frame") != nil {
			t.Errorf("%s: findings %v", name, ids(res))
		}
	}
}

// samldoctor record's HAR of a headless Chromium (tools/internal/signinsim,
// scenario ccp-domain): the agent application frames the CCP on
// ALIAS.awsapps.com and Streams' popup signs in, landing on
// ALIAS.my.connect.aws. The frame and the popup are told apart by the
// browser's own Sec-Fetch-Dest and record's tabs.
func TestCCPDomainMismatchRecorded(t *testing.T) {
	r := signin.NewReader(capture.Options{})
	if err := r.ReadFile(filepath.Join("..", "capture", "testdata", "record", "ccp-domain.har")); err != nil {
		t.Fatal(err)
	}
	res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish()})
	f := find(res, "ccp.domain_mismatch")
	if f == nil || !slices.Equal(errorIDs(res), []string{"ccp.domain_mismatch"}) || res.Outcome != "failed" {
		t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
	}
	if flat(f.Fix.Changes[0]).Value != "https://example-corp.my.connect.aws/ccp-v2/" || f.Fix.Check.Result != fix.Passes {
		t.Errorf("fix %+v %+v", f.Fix.Changes, f.Fix.Check)
	}
}
