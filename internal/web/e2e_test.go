package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/samldoctor/samldoctor/internal/cli"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/web"
)

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
		scenario, stage, finding, verdict, fx, wrong string
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
			if !strings.Contains(fixes, tt.fx) {
				t.Errorf("fix on the page lacks %q:\n%s", tt.fx, fixes)
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

// The audit's controls on the page: a CSV of no known IdP, its column
// named in "Session-name column", "The IdP lower-cases it" ticked: the
// agent's lower-cased name matches Connect's user only up to case. The
// near miss, unticked: the name matches. The Read list says how the
// export was read.
func TestEndToEndAuditControls(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	var aws []string
	for _, f := range awsFiles(t, "not-onboarded") {
		a, _ := filepath.Abs(f)
		aws = append(aws, a)
	}
	csv := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csv, []byte("login,dept\nJane.Doe@example.com,CC\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, lower := range []bool{true, false} {
		ctx, cancel := chromedp.NewContext(alloc)
		ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
		var findings, read string
		actions := []chromedp.Action{
			chromedp.Navigate(srv.URL + "/"),
			chromedp.WaitVisible("#audit-form", chromedp.ByQuery),
			chromedp.SetUploadFiles("#audit-aws", aws, chromedp.ByQuery),
			chromedp.SetUploadFiles("#idp-users", []string{csv}, chromedp.ByQuery),
			chromedp.SendKeys("#session-name-field", "login", chromedp.ByQuery),
		}
		if lower {
			actions = append(actions, chromedp.Click("#session-name-transform", chromedp.ByQuery))
		}
		actions = append(actions,
			chromedp.Click("#audit", chromedp.ByQuery),
			chromedp.WaitVisible("#audit-result", chromedp.ByQuery),
			chromedp.Evaluate(`[...document.querySelectorAll("#audit-findings article.finding")].map(a => a.dataset.id).join(" ")`, &findings),
			chromedp.Evaluate(`document.getElementById("audit-read").textContent`, &read),
		)
		err := chromedp.Run(ctx, actions...)
		cancelT()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(findings, "connect.username_case_mismatch"); got != lower {
			t.Errorf("lower-cased %v: findings %q", lower, findings)
		}
		if want := "RoleSessionName from login"; !strings.Contains(read, want) || strings.Contains(read, "lower-cased") != lower {
			t.Errorf("lower-cased %v: Read list %q", lower, read)
		}
	}
}

// Without AWS data, the page asks for it in its own terms: the files go
// under "AWS CLI outputs", never --aws-data; the CLI says --aws-data (the
// near miss: one finding, two media).
func TestEndToEndNeedsInPageTerms(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	capture, _ := filepath.Abs(example(t, "not-onboarded.har"))
	var fx, read, seen string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{capture}, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		chromedp.Text(`article.finding[data-id="needs.connect_users"] .fix`, &fx, chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("read").textContent`, &read),
		chromedp.Evaluate(`[...document.querySelectorAll(".message tr")].filter(r => r.querySelector("th").textContent === "Seen").map(r => r.querySelector("td").textContent).join(" | ")`, &seen),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fx, "under “AWS CLI outputs”") || strings.Contains(fx, "--aws-data") || strings.Contains(fx, "Not checked") {
		t.Errorf("the request for AWS data on the page: %q", fx)
	}
	if !strings.Contains(read, "not-onboarded.har (capture)") {
		t.Errorf("Read list %q", read)
	}
	if !strings.Contains(seen, "in a form on https://login.microsoftonline.com/") || !strings.Contains(seen, "→ form action https://signin.aws.amazon.com/saml") || strings.Contains(seen, "html-form") {
		t.Errorf("Seen row: %q", seen)
	}
	var out strings.Builder
	cli.Main([]string{"diagnose", example(t, "not-onboarded.har")}, strings.NewReader(""), &out, io.Discard)
	if !strings.Contains(out.String(), "--aws-data. Or let samldoctor do it") || strings.Contains(out.String(), "AWS CLI outputs”") {
		t.Errorf("the command line's words changed:\n%s", out.String())
	}
}

// writeHAR writes a HAR of the template's entries repeated to size bytes,
// ended by tail.
func writeHAR(t *testing.T, path string, size int64, tail string) {
	entries := templateEntries(t)
	var b bytes.Buffer
	b.WriteString(`{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[`)
	for i := 0; int64(b.Len()) < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(entries[i%len(entries)])
	}
	b.WriteString(tail)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// In a real Chromium, the page's "Download redacted HAR" of a 40 MiB
// capture, sent in slices: the file is saved, whole and redacted. A
// capture with an error 40 MiB in (after nine slices were answered): the
// page shows the error and saves nothing.
func TestEndToEndRedactedDownload(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "big.har"), filepath.Join(dir, "broken.har")
	writeHAR(t, good, 40<<20, "]}}\n")
	writeHAR(t, bad, 40<<20, `,{"request":nope}]}}`)
	downloads := t.TempDir()
	var okStatus, badStatus string
	wait := func(prefix string, into *string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			for {
				if err := chromedp.Text("#status", into, chromedp.ByQuery).Do(ctx); err != nil {
					return err
				}
				if strings.HasPrefix(*into, prefix) {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("status %q: %w", *into, ctx.Err())
				case <-time.After(100 * time.Millisecond):
				}
			}
		})
	}
	err := chromedp.Run(ctx,
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(downloads),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{good}, chromedp.ByQuery),
		chromedp.Click("#download-redacted", chromedp.ByQuery),
		wait("Redacted HAR downloaded", &okStatus),
		chromedp.SetUploadFiles("#capture", []string{bad}, chromedp.ByQuery),
		chromedp.Click("#download-redacted", chromedp.ByQuery),
		wait("broken.har: entry ", &badStatus),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(badStatus, "invalid") || !strings.HasSuffix(badStatus, "Nothing was saved.") {
		t.Errorf("status after the broken capture: %q", badStatus)
	}
	// Chromium renames the download once it is complete.
	var saved []string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		saved, _ = filepath.Glob(filepath.Join(downloads, "*"))
		if len(saved) == 1 && filepath.Base(saved[0]) == "big.redacted.har" {
			break
		}
	}
	if len(saved) != 1 || filepath.Base(saved[0]) != "big.redacted.har" {
		t.Fatalf("downloads: %v, want big.redacted.har alone", saved)
	}
	out, err := os.ReadFile(saved[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("the saved download is not JSON (%d bytes): %v", len(out), err)
	}
	if len(doc.Log.Entries) < 40 {
		t.Errorf("%d entries saved", len(doc.Log.Entries))
	}
	for _, s := range []string{"Password0001", "Token0001", "Csrf0001", "Sid0001"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%s survived in the saved download", s)
		}
	}
}
