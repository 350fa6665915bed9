package signinsim_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/cli"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
	"github.com/samldoctor/samldoctor/tools/internal/signinsim"
)

var updateRecordings = flag.Bool("update-recordings", false, "write internal/capture/testdata/record/ from the not-onboarded and role-chooser runs")

// diagnosis is the part of diagnose's JSON the tests read.
type diagnosis struct {
	Outcome  string `json:"outcome"`
	Verdict  string `json:"verdict"`
	Symptoms []struct {
		ID string `json:"id"`
	} `json:"symptoms"`
	Findings []struct {
		ID       string `json:"id"`
		Severity string `json:"severity"`
		Evidence []struct {
			What  string `json:"what"`
			Value string `json:"value"`
			Where string `json:"where"`
		} `json:"evidence"`
		Fix *struct {
			Commands []string `json:"commands"`
			Steps    []string `json:"steps"`
		} `json:"fix"`
	} `json:"findings"`
}

func (d diagnosis) findingIDs() []string {
	var ids []string
	for _, f := range d.Findings {
		ids = append(ids, f.ID)
	}
	return ids
}

func (d diagnosis) symptomIDs() []string {
	var ids []string
	for _, s := range d.Symptoms {
		ids = append(ids, s.ID)
	}
	return ids
}

// run records one scenario with samldoctor record in a headless
// Chromium whose proxy is the simulator, and returns the exit status,
// the progress it wrote, its diagnosis and the HAR it wrote.
func run(t *testing.T, exe, scenario string, extra ...string) (int, string, diagnosis, string) {
	t.Helper()
	sim, err := signinsim.Start(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sim.Delay, sim.Stay = 200*time.Millisecond, true
	out := filepath.Join(t.TempDir(), scenario+".har")
	args := append([]string{"record", "--headless", "--browser", exe, "--start", signinsim.StartPage(scenario), "--out", out,
		"--timeout", "40s", "--format", "json",
		// This machine's Chromium runs as root in a container, without a GPU.
		"--browser-arg=--no-sandbox", "--browser-arg=--disable-gpu", "--browser-arg=--disable-quic",
		// Every host of the sign-in is the simulator, with certificates
		// from its throw-away CA.
		"--browser-arg=--proxy-server=http://" + sim.Proxy, "--browser-arg=--ignore-certificate-errors",
		// The agent application opens its login popup without a click.
		"--browser-arg=--disable-popup-blocking"}, extra...)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := cli.Main(args, nil, &stdout, &stderr)
	t.Logf("%s: exit %d in %s\n%s", scenario, code, time.Since(start).Round(time.Millisecond), stderr.String())
	var d diagnosis
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("diagnosis is not JSON (%v):\n%s", err, stdout.String())
	}
	return code, stderr.String(), d, out
}

// readBack reads the recorded HAR as every command does.
func readBack(t *testing.T, file string) *capture.Capture {
	t.Helper()
	r := signin.NewReader(capture.Options{})
	if err := r.ReadFile(file); err != nil {
		t.Fatalf("reading %s back: %v", file, err)
	}
	c := r.Finish()
	if src := c.Sources[0]; src.Format != capture.FormatHAR || src.Creator != "samldoctor record 1" || src.Truncated != nil {
		t.Errorf("source %+v", src)
	}
	return c
}

// errorIDs are the error texts of the capture's pages, by stage.
func errorIDs(c *capture.Capture) []string {
	var out []string
	for _, p := range c.Pages {
		for _, e := range p.Errors {
			out = append(out, p.Stage+":"+e.ID)
		}
	}
	return out
}

func wheres(m *capture.Message) []string {
	var out []string
	for _, p := range m.Seen {
		out = append(out, p.Where)
	}
	return out
}

// The sign-ins of the simulator, each recorded by samldoctor record in a
// headless Chromium: each run ends by itself, writes a HAR that reads back
// to the same sign-in and passes the checks a browser's export passes, and
// prints diagnose's verdict with its exit status.
func TestRecord(t *testing.T) {
	exe := fixture.Chromium(t)
	examples := filepath.Join("..", "..", "..", "examples")
	t.Run("not-onboarded", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "not-onboarded", "--aws-data", filepath.Join(examples, "aws-data", "not-onboarded"))
		if code != 1 || d.Outcome != "failed" || !slices.Contains(d.symptomIDs(), "connect.not_onboarded") {
			t.Errorf("exit %d, outcome %q, symptoms %v", code, d.Outcome, d.symptomIDs())
		}
		// --aws-data is read as diagnose reads it.
		if ids := d.findingIDs(); len(ids) == 0 || ids[0] != "connect.username_case_mismatch" {
			t.Errorf("findings %v", ids)
		}
		for _, step := range []string{"identity provider login.microsoftonline.com", "SAMLResponse posted to AWS sign-in", "Connect federation", "Amazon Connect shows an error page"} {
			if !strings.Contains(progress, step) {
				t.Errorf("progress lacks %q", step)
			}
		}
		c := readBack(t, har)
		checkHAR(t, har)
		if len(c.Messages) != 1 || !reflect.DeepEqual(wheres(c.Messages[0]), []string{"html-form", "post"}) || c.Messages[0].RelayState != fixture.RelayState() {
			t.Fatalf("messages: %d, places %v", len(c.Messages), wheres(c.Messages[0]))
		}
		if got, want := errorIDs(c), []string{"connect-federation:connect.not_onboarded"}; !reflect.DeepEqual(got, want) {
			t.Errorf("error pages %v, want %v", got, want)
		}
		// Redacted by default: the assertion can no longer be replayed.
		if sigs := signatureValue.FindAllSubmatch(c.Messages[0].XML, -1); len(sigs) != 2 || strings.Contains(string(sigs[0][1]), "=") {
			t.Errorf("the recorded HAR keeps the SAML signature values (it was not redacted): %q", sigs)
		}
		keep(t, har, "not-onboarded")
	})
	t.Run("success", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "success", "--keep-secrets")
		if code != 0 || d.Outcome != "succeeded" || !strings.Contains(progress, "Connect reached (example-corp.my.connect.aws/ccp-v2/)") {
			t.Errorf("exit %d, outcome %q, findings %v", code, d.Outcome, d.findingIDs())
		}
		if !strings.Contains(progress, "warning: --keep-secrets") {
			t.Errorf("no warning about the secrets kept")
		}
		c := readBack(t, har)
		checkHAR(t, har)
		if len(c.Messages) != 1 || c.Messages[0].AWS == nil || c.Messages[0].AWS.RoleSessionName != "jane.doe@example.com" {
			t.Fatalf("messages %d", len(c.Messages))
		}
		// Kept: the signature values are whole.
		if sigs := signatureValue.FindAllSubmatch(c.Messages[0].XML, -1); len(sigs) != 2 || len(sigs[0][1]) < 40 {
			t.Errorf("--keep-secrets lost the signature values: %q", sigs)
		}
		var stages []string
		for _, p := range c.Pages {
			stages = append(stages, p.Stage+" "+strconv.Itoa(p.Status))
		}
		if want := []string{"idp 200", "idp 200", "aws-signin 302", "connect-federation 302", "connect-app 200"}; !reflect.DeepEqual(stages, want) {
			t.Errorf("pages %v, want %v", stages, want)
		}
	})
	t.Run("idp-error", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "idp-error")
		if code != 1 || !strings.Contains(progress, "the identity provider shows an error page") {
			t.Errorf("exit %d", code)
		}
		if ids := d.findingIDs(); len(ids) == 0 || ids[0] != "idp.user_not_assigned" {
			t.Errorf("findings %v", ids)
		}
		c := readBack(t, har)
		checkHAR(t, har)
		if len(c.Messages) != 0 || !reflect.DeepEqual(errorIDs(c), []string{"idp:idp.error_page"}) {
			t.Errorf("messages %d, error pages %v", len(c.Messages), errorIDs(c))
		}
	})
	t.Run("role-chooser", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "role-chooser")
		if code != 1 || !slices.Contains(d.symptomIDs(), "connect.access_denied_admin") || !strings.Contains(progress, "role chooser") {
			t.Errorf("exit %d, symptoms %v", code, d.symptomIDs())
		}
		c := readBack(t, har)
		checkHAR(t, har)
		if len(c.Messages) != 1 {
			t.Fatalf("messages %d", len(c.Messages))
		}
		m := c.Messages[0]
		if want := []string{"html-form", "post", "html-form", "post"}; !reflect.DeepEqual(wheres(m), want) || m.RoleIndex != signinsim.SupervisorRole {
			t.Errorf("places %v (want %v), roleIndex %q", wheres(m), want, m.RoleIndex)
		}
		var chooser []string
		for _, p := range c.Pages {
			if p.RoleChooser {
				chooser = p.RoleOptions
			}
		}
		if !reflect.DeepEqual(chooser, []string{fixture.DefaultRole, signinsim.SupervisorRole}) {
			t.Errorf("role chooser offers %v", chooser)
		}
		keep(t, har, "role-chooser")
	})
	t.Run("popup", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "popup")
		if code != 0 || d.Outcome != "succeeded" || !strings.Contains(progress, "a new window or popup opened") || !strings.Contains(progress, "Connect reached") {
			t.Errorf("exit %d, outcome %q", code, d.Outcome)
		}
		c := readBack(t, har)
		checkHAR(t, har)
		if len(c.Messages) != 1 {
			t.Fatalf("messages %d", len(c.Messages))
		}
		if _, ok := c.Messages[0].PostedToSignIn(); !ok {
			t.Errorf("the popup's POST to AWS sign-in is not in the HAR")
		}
		// The embedding page and the popup are both in the HAR, in pages
		// of their own.
		b, _ := os.ReadFile(har)
		var h struct {
			Log struct {
				Pages []struct {
					ID, Title string
				}
				Entries []struct {
					Pageref string
					Request struct{ URL string }
					Target  string `json:"_target"`
				}
			}
		}
		json.Unmarshal(b, &h)
		targets := map[string]bool{}
		app := false
		for _, e := range h.Log.Entries {
			targets[e.Target] = true
			app = app || e.Request.URL == signinsim.AppURL
		}
		if !app || len(targets) != 2 || len(h.Log.Pages) < 4 {
			t.Errorf("app page recorded: %v; %d targets; pages %v", app, len(targets), h.Log.Pages)
		}
	})
	// Streams' frame on the older domain, the popup's sign-in landing on
	// the new one: told apart in record's HAR by the frame's
	// Sec-Fetch-Dest and the popup's own tab.
	t.Run("ccp-domain", func(t *testing.T) {
		code, _, d, har := run(t, exe, "ccp-domain")
		if code != 1 || len(d.Findings) == 0 || d.Findings[0].ID != "ccp.domain_mismatch" || slices.Contains(d.findingIDs(), "connect.ccp_no_session") {
			t.Fatalf("exit %d, findings %v, symptoms %v", code, d.findingIDs(), d.symptomIDs())
		}
		if f := d.Findings[0]; !strings.Contains(strings.Join(f.Fix.Steps, "\n"), `ccpUrl: "`+signinsim.CCPURL+`"`) {
			t.Errorf("fix steps %q", f.Fix.Steps)
		}
		c := readBack(t, har)
		checkHAR(t, har)
		windows := map[string]bool{}
		framed := 0
		for _, p := range c.Pages {
			windows[p.Window] = true
			if p.InFrame() && strings.HasPrefix(p.URL, "https://example-corp.awsapps.com/connect/") {
				framed++
			}
		}
		// The frame's three hops (the CCP, /auth/refresh, the login page);
		// Chromium now and then reports no request headers for the last.
		if len(windows) != 2 || windows[""] || framed < 2 || len(c.Windows) != 2 {
			t.Errorf("page windows %v, %d framed CCP pages, windows %+v", windows, framed, c.Windows)
		}
		keep(t, har, "ccp-domain")
	})
	t.Run("ccp-refused", func(t *testing.T) {
		code, progress, d, har := run(t, exe, "ccp-refused")
		if code != 1 || !strings.Contains(progress, "the browser refused to show https://example-corp.my.connect.aws in a frame of agent.example.com (Content-Security-Policy frame-ancestors)") {
			t.Errorf("exit %d", code)
		}
		if len(d.Findings) == 0 || d.Findings[0].ID != "ccp.origin_not_approved" || !slices.Contains(d.symptomIDs(), "ccp.frame_refused") {
			t.Fatalf("findings %v, symptoms %v", d.findingIDs(), d.symptomIDs())
		}
		f := d.Findings[0]
		if cmds := strings.Join(f.Fix.Commands, "\n"); !strings.Contains(cmds, `aws connect associate-approved-origin --instance-id INSTANCE-ID --region REGION --cli-input-json '{"Origin":"https://agent.example.com"}'`) {
			t.Errorf("fix commands:\n%s", cmds)
		}
		var ev []string
		for _, e := range f.Evidence {
			ev = append(ev, e.What+": "+e.Value)
		}
		if !slices.Contains(ev, "origin of the page embedding the CCP: https://agent.example.com") || !strings.Contains(strings.Join(ev, "\n"), "frame-ancestors 'self' "+signinsim.ApprovedOrigin) {
			t.Errorf("evidence %v", ev)
		}
		c := readBack(t, har)
		checkHAR(t, har)
		var refused []string
		for _, r := range c.Reports {
			if r.FrameRefused() {
				refused = append(refused, r.Source+" "+r.URL+" in "+r.FrameURL)
			}
		}
		if want := []string{"log https://example-corp.my.connect.aws/ in https://agent.example.com/", "audits https://example-corp.my.connect.aws/ in https://agent.example.com/"}; !reflect.DeepEqual(refused, want) {
			t.Errorf("browser reports %v, want %v", refused, want)
		}
		keep(t, har, "ccp-refused")
	})
	t.Run("timeout", func(t *testing.T) {
		// A page that goes nowhere: the sign-in never starts, and
		// --timeout ends the recording, which is written and diagnosed.
		start := time.Now()
		code, progress, d, har := run(t, exe, "success", "--timeout", "3s", "--start", signinsim.AppURL+"nowhere")
		if code != 1 || d.Outcome != "no-saml" || !strings.Contains(progress, "--timeout 3s passed") || time.Since(start) > 15*time.Second {
			t.Errorf("exit %d, outcome %q", code, d.Outcome)
		}
		if c := readBack(t, har); len(c.Messages) != 0 {
			t.Errorf("messages %d", len(c.Messages))
		}
	})
}

// keep writes the recording into capture's test data with
// -update-recordings.
func keep(t *testing.T, har, name string) {
	if !*updateRecordings {
		return
	}
	b, err := os.ReadFile(har)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "..", "internal", "capture", "testdata", "record")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".har"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkHAR holds the recorded HAR to what Chromium's own export has
// (internal/capture/testdata/chromium): HAR 1.2, pages each entry refers
// to, entries with their request, response, timings whose sum is the
// entry's time, and POST bodies with both their text and their fields.
func checkHAR(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, problem := range harProblems(b) {
		t.Errorf("%s: %s", filepath.Base(file), problem)
	}
}

// The checks above pass on Chromium's own export: they hold the
// recording to what a browser writes, not to what the recorder does.
func TestChromiumExportPassesTheHARChecks(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "internal", "capture", "testdata", "chromium", "*.har"))
	if len(files) < 2 {
		t.Fatalf("Chromium's exports not found: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if p := harProblems(b); len(p) > 0 {
			t.Errorf("%s: %v", f, p)
		}
	}
	// And they find what is wrong.
	if p := harProblems([]byte(`{"log":{"version":"1.2","pages":[],"entries":[{"pageref":"page_9","startedDateTime":"x","time":5,"request":{"method":"POST","url":"https://a/","headers":[],"postData":{"mimeType":"application/x-www-form-urlencoded","text":"a=1&b=2","params":[{"name":"a","value":"1"}]}},"response":{"status":200,"headers":[],"content":{"mimeType":"text/html"}},"timings":{"blocked":-1,"dns":-1,"connect":-1,"send":1,"wait":1,"receive":1,"ssl":-1}}]}}`)); len(p) < 4 {
		t.Errorf("a broken HAR passes: %v", p)
	}
}

// harProblems lists what a HAR lacks of a browser's export.
func harProblems(b []byte) []string {
	var h struct {
		Log struct {
			Version string `json:"version"`
			Creator struct {
				Name string `json:"name"`
			} `json:"creator"`
			Pages []struct {
				ID              string `json:"id"`
				StartedDateTime string `json:"startedDateTime"`
				Title           string `json:"title"`
				PageTimings     *struct {
					OnContentLoad *float64 `json:"onContentLoad"`
					OnLoad        *float64 `json:"onLoad"`
				} `json:"pageTimings"`
			} `json:"pages"`
			Entries []struct {
				Pageref         string  `json:"pageref"`
				StartedDateTime string  `json:"startedDateTime"`
				Time            float64 `json:"time"`
				Request         struct {
					Method      string            `json:"method"`
					URL         string            `json:"url"`
					HTTPVersion string            `json:"httpVersion"`
					Headers     []json.RawMessage `json:"headers"`
					QueryString []json.RawMessage `json:"queryString"`
					Cookies     []json.RawMessage `json:"cookies"`
					PostData    *struct {
						MimeType string `json:"mimeType"`
						Text     string `json:"text"`
						Params   []struct {
							Name  string `json:"name"`
							Value string `json:"value"`
						} `json:"params"`
					} `json:"postData"`
				} `json:"request"`
				Response struct {
					Status      *int              `json:"status"`
					Headers     []json.RawMessage `json:"headers"`
					RedirectURL *string           `json:"redirectURL"`
					Content     struct {
						MimeType string `json:"mimeType"`
						Size     *int   `json:"size"`
					} `json:"content"`
				} `json:"response"`
				Timings map[string]float64 `json:"timings"`
			} `json:"entries"`
		} `json:"log"`
	}
	var out []string
	if err := json.Unmarshal(b, &h); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	l := h.Log
	if l.Version != "1.2" {
		out = append(out, "version "+l.Version)
	}
	if len(l.Pages) == 0 || len(l.Entries) == 0 {
		out = append(out, "no pages or no entries")
	}
	pages := map[string]bool{}
	for _, p := range l.Pages {
		if _, err := time.Parse(time.RFC3339Nano, p.StartedDateTime); err != nil || p.ID == "" || p.Title == "" || p.PageTimings == nil || p.PageTimings.OnLoad == nil || p.PageTimings.OnContentLoad == nil {
			out = append(out, "page without id, time, title or timings: "+p.ID)
		}
		pages[p.ID] = true
	}
	posts := 0
	for i, e := range l.Entries {
		at := func(s string) { out = append(out, "entry "+itoa(i)+": "+s) }
		if !pages[e.Pageref] {
			at("pageref " + e.Pageref + " is no page")
		}
		if _, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err != nil {
			at("startedDateTime " + e.StartedDateTime)
		}
		if u, err := url.Parse(e.Request.URL); err != nil || u.Host == "" || e.Request.Method == "" || e.Request.HTTPVersion == "" || e.Request.Headers == nil || e.Request.QueryString == nil || e.Request.Cookies == nil {
			at("request without method, URL, httpVersion, headers, queryString or cookies")
		}
		if e.Response.Status == nil || e.Response.Headers == nil || e.Response.RedirectURL == nil || e.Response.Content.MimeType == "" || e.Response.Content.Size == nil {
			at("response without status, headers, redirectURL or content")
		}
		sum := 0.0
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
			v, ok := e.Timings[k]
			if !ok {
				at("no timings." + k)
			}
			if v < 0 && v != -1 || (v == -1 && (k == "send" || k == "wait" || k == "receive")) {
				at("timings." + k + " is " + ftoa(v))
			}
			if v > 0 {
				sum += v
			}
		}
		if _, ok := e.Timings["ssl"]; !ok {
			at("no timings.ssl")
		}
		if math.Abs(sum-e.Time) > 0.01 {
			at("time " + ftoa(e.Time) + " is not the sum of its timings, " + ftoa(sum))
		}
		if e.Request.Method == "POST" {
			posts++
			pd := e.Request.PostData
			if pd == nil || pd.Text == "" || pd.MimeType == "" {
				at("a POST without its body")
				continue
			}
			if strings.HasPrefix(pd.MimeType, "application/x-www-form-urlencoded") {
				var fields []string
				for _, p := range pd.Params {
					fields = append(fields, url.QueryEscape(p.Name)+"="+p.Value)
				}
				if strings.Join(fields, "&") != pd.Text {
					at("postData.params do not spell postData.text")
				}
			}
		}
	}
	return out
}

var signatureValue = regexp.MustCompile(`<ds:SignatureValue>([^<]*)</ds:SignatureValue>`)

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
