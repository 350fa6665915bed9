package web_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/web"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/serve.png from the not-onboarded run")

// profileDir is a Chromium profile directory removed after the test.
// Not t.TempDir: Chromium's helper processes can still write into the
// profile for a moment after the browser exits, and t.TempDir fails the
// test when its removal finds files appearing. Removal is retried for a
// few seconds, and a directory left behind is logged, not a failure.
func profileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "samldoctor-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Logf("Chromium profile left behind: %v", err)
				return
			}
		}
	})
	return dir
}

// artifacts is where screenshots go: $SAMLDOCTOR_ARTIFACTS, else a
// folder in the system's temporary directory (never the source tree).
func artifacts(t *testing.T) string {
	dir := os.Getenv("SAMLDOCTOR_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "samldoctor-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts a headless Chromium for the test.
func browser(t *testing.T, exe string) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-crash-reporter", true),
		chromedp.UserDataDir(profileDir(t)),
		chromedp.WindowSize(1280, 1600),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	return alloc
}

// A capture of two sign-ins (not onboarded, then the fixed name reaching
// Connect) shows one section for each.
func TestEndToEndAttempts(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	var steps []fixture.Step
	for i, name := range []string{"jane.doe@example.com", "Jane.Doe@example.com"} {
		when := at.Add(time.Duration(i) * time.Minute)
		out := fixture.NotOnboarded
		if i == 1 {
			out = fixture.Success
		}
		xml := fixture.Response{NameID: name, RoleSessionName: []string{name}, IssueInstant: when.Add(-time.Second), SignAssertion: true}.XML()
		steps = append(steps, fixture.SignIn(xml, fixture.RelayState(), when, out)...)
	}
	har := filepath.Join(t.TempDir(), "two.har")
	if err := os.WriteFile(har, fixture.HAR(fixture.Chrome, steps), 0o644); err != nil {
		t.Fatal(err)
	}
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	var sections string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{har}, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#attempts details.attempt summary")].map(s => s.textContent).join(" | ")`, &sections),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sections, "Sign-in 1 of 2") || !strings.Contains(sections, "failed: connect.not_onboarded") || !strings.Contains(sections, "Sign-in 2 of 2") || !strings.Contains(sections, "reached Amazon Connect") {
		t.Errorf("attempt sections: %q", sections)
	}
}

// For each error of the Amazon Connect troubleshooting page: upload the
// capture and its AWS data in a real headless Chromium, and check the
// verdict, the marked step and the fix on the page.
func TestEndToEnd(t *testing.T) {
	exe := fixture.Chromium(t)
	tests := []struct {
		scenario, stage, finding, verdict, fix, wrong string
	}{
		{"not-onboarded", "connect-federation", "connect.username_case_mismatch", "It has Jane.Doe@example.com, and user names are case sensitive.", "set the user attribute that the RoleSessionName claim is sourced from (Enterprise applications > the application > Single sign-on > Attributes & Claims shows it) to Jane.Doe@example.com", "jane.doe@example.comexpected Jane.Doe@example.com"},
		{"access-denied", "connect-federation", "iam.federation_token_denied", "but it names Region us-east-1, not ap-southeast-2: correct that statement", "aws iam put-role-policy --role-name ConnectAgents --policy-name ConnectFederation", ""},
		{"bad-request", "connect-federation", "connect.role_changed", "signed in to Connect before as role ConnectAgentsLegacy", "arn:aws:iam::111122223333:role/ConnectAgentsLegacy,arn:aws:iam::111122223333:saml-provider/EntraID", "arn:aws:iam::111122223333:role/ConnectAgents  via  arn:aws:iam::111122223333:saml-provider/EntraIDexpected arn:aws:iam::111122223333:role/ConnectAgentsLegacy,arn:aws:iam::111122223333:saml-provider/EntraID"},
	}
	alloc := browser(t, exe)
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			srv, _ := start(t, nil)
			ctx, cancel := chromedp.NewContext(alloc)
			defer cancel()
			ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
			defer cancelT()
			capture, _ := filepath.Abs(example(t, tt.scenario+".har"))
			var aws []string
			for _, f := range awsFiles(t, tt.scenario) {
				a, _ := filepath.Abs(f)
				aws = append(aws, a)
			}
			var verdict, failed, findings, fixes, check, layout, csp, inline, wrong string
			var shot []byte
			err := chromedp.Run(ctx,
				chromedp.Navigate(srv.URL+"/"),
				chromedp.WaitVisible("#drop", chromedp.ByQuery),
				chromedp.SetUploadFiles("#capture", []string{capture}, chromedp.ByQuery),
				chromedp.SetUploadFiles("#aws", aws, chromedp.ByQuery),
				chromedp.Click("#diagnose", chromedp.ByQuery),
				chromedp.WaitVisible("#result", chromedp.ByQuery),
				chromedp.Text("#verdict", &verdict, chromedp.ByQuery),
				chromedp.AttributeValue(".path li.failed", "data-stage", &failed, nil, chromedp.ByQuery),
				chromedp.Evaluate(`[...document.querySelectorAll("article.finding")].map(a => a.dataset.id).join(" ")`, &findings),
				chromedp.Text("article.finding .fix", &fixes, chromedp.ByQuery),
				chromedp.Text("article.finding .fix .check", &check, chromedp.ByQuery),
				chromedp.Evaluate(`[...document.querySelectorAll(".message td")].filter(td => td.querySelector(".wrong")).map(td => td.textContent).join(" | ")`, &wrong),
				// The page's own CSP header, and the browser enforcing it
				// (an inline script added to the page does not run).
				chromedp.Evaluate(`fetch("/").then(r => r.headers.get("content-security-policy"))`, &csp, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				chromedp.Evaluate(`new Promise(done => {
					document.addEventListener("securitypolicyviolation", e => done("blocked: " + e.violatedDirective), {once: true});
					const s = document.createElement("script");
					s.textContent = "window.__inlineRan = true";
					document.body.appendChild(s);
					setTimeout(() => done(window.__inlineRan ? "ran" : "not run, no violation reported"), 1000);
				})`, &inline, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
				// Every command and file has its own Copy button, beside
				// its text and never over it; the data-loss warning comes
				// before the first command that loses data.
				chromedp.Evaluate(`(() => {
					const bad = [];
					for (const c of document.querySelectorAll(".fix .code")) {
						const pre = c.querySelector("pre").getBoundingClientRect(), b = c.querySelectorAll("button.copy");
						if (b.length !== 1) bad.push("buttons " + b.length);
						else { const r = b[0].getBoundingClientRect(); if (r.left < pre.right && r.right > pre.left && r.top < pre.bottom && r.bottom > pre.top) bad.push("covers"); }
					}
					for (const fix of document.querySelectorAll(".fix")) {
						const loss = fix.querySelector(".dataloss"), del = [...fix.querySelectorAll(".code pre")].find(p => p.textContent.includes("delete-user"));
						if (del && (!loss || (loss.compareDocumentPosition(del) & Node.DOCUMENT_POSITION_FOLLOWING) === 0)) bad.push("data loss after delete-user");
					}
					return bad.join(", ") || "ok";
				})()`, &layout),
				chromedp.FullScreenshot(&shot, 100),
			)
			if err != nil {
				t.Fatal(err)
			}
			png := filepath.Join(artifacts(t), tt.scenario+".png")
			os.WriteFile(png, shot, 0o644)
			t.Logf("screenshot: %s", png)
			if !strings.Contains(verdict, tt.verdict) {
				t.Errorf("verdict on the page = %q", verdict)
			}
			if failed != tt.stage {
				t.Errorf("marked step = %q, want %s", failed, tt.stage)
			}
			if !strings.HasPrefix(findings, tt.finding) {
				t.Errorf("findings on the page = %q", findings)
			}
			if !strings.Contains(fixes, tt.fix) {
				t.Errorf("fix on the page lacks %q:\n%s", tt.fix, fixes)
			}
			if !strings.HasPrefix(check, "Checked: with this change the sign-in passes") {
				t.Errorf("check line under the first fix = %q", check)
			}
			if csp != web.CSP || !strings.HasPrefix(inline, "blocked: script-src") {
				t.Errorf("CSP header %q (want %q); an inline script: %s", csp, web.CSP, inline)
			}
			if wrong != tt.wrong {
				t.Errorf("wrong values marked: %q, want %q", wrong, tt.wrong)
			}
			if layout != "ok" {
				t.Errorf("fix layout: %s", layout)
			}
			if *updateScreenshot && tt.scenario == "not-onboarded" {
				os.WriteFile(filepath.Join("..", "..", "docs", "serve.png"), shot, 0o644)
			}
		})
	}
}

// The page's audit view: the account's files in, the summary and the
// findings with the agents they affect out.
func TestEndToEndAudit(t *testing.T) {
	exe := fixture.Chromium(t)
	alloc := browser(t, exe)
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	var aws []string
	for _, f := range awsFiles(t, "not-onboarded") {
		a, _ := filepath.Abs(f)
		aws = append(aws, a)
	}
	users, _ := filepath.Abs(example(t, "idp-users", "entra-users.csv"))
	var headline, findings, affected string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#audit-form", chromedp.ByQuery),
		chromedp.SetUploadFiles("#audit-aws", aws, chromedp.ByQuery),
		chromedp.SetUploadFiles("#idp-users", []string{users}, chromedp.ByQuery),
		chromedp.Click("#audit", chromedp.ByQuery),
		chromedp.WaitVisible("#audit-result", chromedp.ByQuery),
		chromedp.Text("#audit-headline", &headline, chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("#audit-findings article.finding")].map(a => a.dataset.id).join(" ")`, &findings),
		chromedp.Text("#audit-findings article.finding .affected", &affected, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if headline != "1 problem stops sign-ins and 1 warning; 1 agent will fail to sign in." {
		t.Errorf("headline %q", headline)
	}
	if findings != "connect.username_case_mismatch connect.user_not_found connect.user_without_idp_user" {
		t.Errorf("findings %q", findings)
	}
	if affected != "Affects 1: jane.doe@example.com" {
		t.Errorf("affected %q", affected)
	}
}

// A good capture, then a file that is not one: the first verdict is gone
// and the error is in an alert box with what to do. Then a good capture
// again (the near miss): no alert, the verdict is back.
func TestEndToEndErrorClearsResult(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	good, _ := filepath.Abs(example(t, "not-onboarded.har"))
	bad := filepath.Join(t.TempDir(), "notes.har")
	if err := os.WriteFile(bad, []byte("these are my notes, not a capture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var first, afterErr, alert, action, afterGood string
	var resultHidden, alertHidden bool
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{good}, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		chromedp.Text("#verdict", &first, chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{bad}, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible(`#error[role="alert"]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("result").hidden`, &resultHidden),
		chromedp.Evaluate(`document.getElementById("verdict").textContent`, &afterErr),
		chromedp.Evaluate(`document.getElementById("error").textContent`, &alert),
		chromedp.Evaluate(`(document.querySelector("#error .action") || {}).textContent || ""`, &action),
		chromedp.SetUploadFiles("#capture", []string{good}, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("error").hidden`, &alertHidden),
		chromedp.Text("#verdict", &afterGood, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first == "" {
		t.Fatal("no verdict for the good capture")
	}
	if !resultHidden || afterErr != "" {
		t.Errorf("after the error the old result is still there (hidden %v): %q", resultHidden, afterErr)
	}
	if !strings.Contains(alert, "notes.har") || !strings.Contains(action, "Diagnose again") {
		t.Errorf("alert box = %q (action %q)", alert, action)
	}
	if !alertHidden || afterGood != first {
		t.Errorf("after a good capture again: alert hidden %v, verdict %q, want %q", alertHidden, afterGood, first)
	}
}

// At 420 px wide, with a diagnosis on screen, the page does not scroll
// sideways.
func TestEndToEndNarrow(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	capture, _ := filepath.Abs(example(t, "bad-request.har"))
	var aws []string
	for _, f := range awsFiles(t, "bad-request") {
		a, _ := filepath.Abs(f)
		aws = append(aws, a)
	}
	var width int
	var wide string
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(420, 900),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{capture}, chromedp.ByQuery),
		chromedp.SetUploadFiles("#aws", aws, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		// Open every <details>, so the XML counts too.
		chromedp.Evaluate(`document.querySelectorAll("details").forEach(d => d.open = true)`, nil),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		chromedp.Evaluate(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 421).slice(0, 5).map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right)).join(", ")`, &wide),
	)
	if err != nil {
		t.Fatal(err)
	}
	if width > 420 {
		t.Errorf("at 420 px the page is %d px wide; widest: %s", width, wide)
	}
}
