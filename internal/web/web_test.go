package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
	"github.com/samldoctor/samldoctor/internal/web"
)

func start(t testing.TB, mod func(*web.Server)) (*httptest.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(ln.Addr().String())
	if mod != nil {
		mod(s)
	}
	srv := httptest.NewUnstartedServer(s)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, ln.Addr().String()
}

func example(t *testing.T, parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "examples"}, parts...)...)
}

// form builds a multipart upload of files by field name.
func form(t *testing.T, files map[string][]string) (*bytes.Buffer, string) {
	return formWith(t, nil, files)
}

// formWith builds a multipart upload of values (sent first, as the page
// does) and files by field name.
func formWith(t *testing.T, values map[string]string, files map[string][]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range slices.Sorted(maps.Keys(values)) {
		mw.WriteField(k, values[k])
	}
	for _, field := range []string{"aws", "idp-metadata", "idp-users", "idp-assignments", "trail", "capture"} {
		for _, f := range files[field] {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			w, _ := mw.CreateFormFile(field, filepath.Base(f))
			w.Write(b)
		}
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func post(t *testing.T, url, origin string, body io.Reader, ctype string) *http.Response {
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", ctype)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func awsFiles(t *testing.T, scenario string) []string {
	files, _ := filepath.Glob(example(t, "aws-data", scenario, "*.json"))
	return files
}

func TestPageAndHeaders(t *testing.T) {
	srv, _ := start(t, nil)
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "samldoctor") {
		t.Fatalf("GET / = %d", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Security-Policy"); got != web.CSP || !strings.Contains(got, "default-src 'none'") {
		t.Errorf("CSP = %q", got)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if resp.Header.Get(h) != want {
			t.Errorf("%s = %q", h, resp.Header.Get(h))
		}
	}
	// The page loads nothing from anywhere else.
	for _, f := range []string{"index.html", "app.js", "app.css"} {
		b, err := os.ReadFile(filepath.Join("static", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?i)(src|href)=["']?([^"' >]+)|url\(([^)]+)\)|@import`).FindAllStringSubmatch(string(b), -1) {
			if ref := m[2] + m[3]; strings.Contains(ref, "//") || m[0] == "@import" {
				t.Errorf("%s loads %q", f, m[0])
			}
		}
	}
}

func TestDiagnoseUpload(t *testing.T) {
	srv, addr := start(t, nil)
	body, ctype := form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}, "aws": awsFiles(t, "not-onboarded")})
	resp := post(t, srv.URL+"/api/diagnose", "http://"+addr, body, ctype)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out web.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Verdict, "It has Jane.Doe@example.com, and user names are case sensitive.") || out.Findings[0].ID != "connect.username_case_mismatch" {
		t.Errorf("verdict %q, first finding %s", out.Verdict, out.Findings[0].ID)
	}
	// The example response carries two signatures; the page gets both, emptied.
	if len(out.XML) != len(out.Messages) || strings.Count(out.XML[0], "SignatureValue>(removed)</") != 2 {
		t.Errorf("XML: %d for %d messages, first: %.300s", len(out.XML), len(out.Messages), out.XML[0])
	}
	if regexp.MustCompile(`SignatureValue>[A-Za-z0-9+/=]{20,}`).MatchString(strings.Join(out.XML, "")) {
		t.Error("a signature value reached the page")
	}
}

func TestRefusals(t *testing.T) {
	srv, addr := start(t, func(s *web.Server) { s.MaxUpload = 4 << 10 })
	port := addr[strings.LastIndexByte(addr, ':'):]
	// DNS rebinding: a foreign Host.
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "attacker.example" + port
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}
	// localhost spellings of the same loopback address are the server's own.
	req, _ = http.NewRequest("GET", srv.URL+"/", nil)
	req.Host = "localhost" + port
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("localhost Host: %d", resp.StatusCode)
	}
	// Cross-site posts, and posts without an Origin.
	for _, origin := range []string{"http://attacker.example", "null", ""} {
		body, ctype := form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}})
		if resp := post(t, srv.URL+"/api/diagnose", origin, body, ctype); resp.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %q: %d", origin, resp.StatusCode)
		}
	}
	// The size limit, with a message that says what to do.
	body, ctype := form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}})
	resp = post(t, srv.URL+"/api/diagnose", "http://"+addr, body, ctype)
	var e struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(e.Error, "larger than 0 MiB") && !strings.Contains(e.Error, "larger than") {
		t.Errorf("over the limit: %d %q", resp.StatusCode, e.Error)
	}
	// No capture at all.
	empty, ctype := form(t, nil)
	_, addr2 := srv, addr
	resp = post(t, srv.URL+"/api/diagnose", "http://"+addr2, empty, ctype)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no capture: %d", resp.StatusCode)
	}
}

func TestRedactedDownload(t *testing.T) {
	srv, addr := start(t, nil)
	f, err := os.Open(example(t, "bad-request.har"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, outcome, status, msg := redactFile(t, srv, addr, f, "bad-request.har", 4<<20)
	if status != 200 {
		t.Fatalf("status %d: %s", status, msg)
	}
	if outcome["name"] != "bad-request.redacted.har" {
		t.Errorf("name = %q", outcome["name"])
	}
	if !json.Valid(b) {
		t.Fatal("not JSON")
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("redacted.har", bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	c := r.Finish()
	if len(c.Messages) != 1 || !bytes.Contains(c.Messages[0].XML, []byte(assertion.RedactedSignature)) {
		t.Error("the download still carries the signature values")
	}
}

// The audit view's endpoint: AWS outputs, the IdP's users and a gzipped
// CloudTrail log file, judged as audit does.
func TestAuditUpload(t *testing.T) {
	srv, addr := start(t, nil)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "111122223333_CloudTrail_us-east-1_x.json.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	// An hour ago: within the default --since of 7 days.
	zw.Write([]byte(`{"Records":[{"eventTime":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + `","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithSAML","userIdentity":{"type":"SAMLUser","userName":"sam.lee@example.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ConnectAgents","roleSessionName":"sam.lee@example.com"}}]}`))
	zw.Close()
	os.WriteFile(logFile, buf.Bytes(), 0o644)
	body, ctype := form(t, map[string][]string{"aws": awsFiles(t, "not-onboarded"), "idp-users": {filepath.Join("..", "..", "examples", "idp-users", "entra-users.csv")}, "trail": {logFile}})
	resp := post(t, srv.URL+"/api/audit", "http://"+addr, body, ctype)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var out report.AuditJSON
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range out.Findings {
		ids = append(ids, f.ID)
	}
	// At risk: jane.doe (her Connect user differs by case) and sam.lee,
	// whom CloudTrail shows failing to sign in and who has no Connect user.
	if out.Summary.AgentsAtRisk != 2 || out.Summary.FailedSignIns != 1 || !slices.Contains(ids, "connect.username_case_mismatch") || !slices.Contains(ids, "iam.trust_policy_denies") || !slices.Contains(ids, "connect.user_not_found") {
		t.Errorf("summary %+v, findings %v", out.Summary, ids)
	}
	// Nothing to audit.
	body, ctype = form(t, map[string][]string{})
	if resp := post(t, srv.URL+"/api/audit", "http://"+addr, body, ctype); resp.StatusCode != 400 {
		t.Errorf("empty upload: status %d", resp.StatusCode)
	}
}

// The page's audit options are the command line's: the export's
// session-name column, its transform and filter, CloudTrail's period and
// the IdP's metadata. Each with a near miss: without it, the audit says
// otherwise. Errors name the page's controls, not the flags.
func TestAuditOptions(t *testing.T) {
	srv, addr := start(t, nil)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	audit := func(values map[string]string, files map[string][]string) (report.AuditJSON, int, string) {
		t.Helper()
		body, ctype := formWith(t, values, files)
		resp := post(t, srv.URL+"/api/audit", "http://"+addr, body, ctype)
		b, _ := io.ReadAll(resp.Body)
		var out report.AuditJSON
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
		}
		return out, resp.StatusCode, string(b)
	}
	ids := func(a report.AuditJSON) []string {
		var out []string
		for _, f := range a.Findings {
			out = append(out, f.ID)
		}
		return out
	}
	aws := awsFiles(t, "not-onboarded")

	// A CSV of no known IdP: its column is named on the page.
	other := write("people.csv", "login,dept\nJane.Doe@example.com,CC\nbob@example.com,Sales\n")
	_, status, msg := audit(nil, map[string][]string{"aws": aws, "idp-users": {other}})
	if status != 400 || !strings.Contains(msg, "“Session-name column”") || strings.Contains(msg, "--session-name-field") {
		t.Errorf("unknown export without a column: %d %s", status, msg)
	}
	res, status, msg := audit(map[string]string{"session-name-field": "login"}, map[string][]string{"aws": aws, "idp-users": {other}})
	if status != 200 || slices.Contains(ids(res), "connect.username_case_mismatch") || !slices.Contains(ids(res), "connect.user_not_found") {
		t.Errorf("with the column: %d %v %s", status, ids(res), msg)
	}
	// Lower-cased by the IdP: Jane.Doe@example.com arrives as
	// jane.doe@example.com, which Connect's user matches only up to case.
	res, _, _ = audit(map[string]string{"session-name-field": "login", "session-name-transform": "lower"}, map[string][]string{"aws": aws, "idp-users": {other}})
	if !slices.Contains(ids(res), "connect.username_case_mismatch") {
		t.Errorf("lower-cased: %v", ids(res))
	}
	// The filter keeps the contact centre's rows: bob is no agent.
	res, _, _ = audit(map[string]string{"session-name-field": "login", "idp-users-filter": "dept=CC"}, map[string][]string{"aws": aws, "idp-users": {other}})
	if slices.Contains(ids(res), "connect.user_not_found") || !slices.ContainsFunc(res.Scope, func(s string) bool { return strings.Contains(s, "dept=CC, 1 users") }) {
		t.Errorf("filtered: %v, read %q", ids(res), res.Scope)
	}
	// An option after a file is refused: the options settle how the
	// files are read.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("idp-users", "people.csv")
	fw.Write([]byte("login\nx@example.com\n"))
	mw.WriteField("session-name-field", "login")
	mw.Close()
	if resp := post(t, srv.URL+"/api/audit", "http://"+addr, &buf, mw.FormDataContentType()); resp.StatusCode != 400 {
		t.Errorf("option after a file: status %d", resp.StatusCode)
	}

	// CloudTrail's period: a failure ten days ago is outside the default
	// 7 days and inside 30.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[{"eventTime":"` + time.Now().Add(-10*24*time.Hour).UTC().Format(time.RFC3339) + `","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithSAML","userIdentity":{"type":"SAMLUser","userName":"sam.lee@example.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ConnectAgents","roleSessionName":"sam.lee@example.com"}}]}`))
	zw.Close()
	logFile := write("111122223333_CloudTrail_us-east-1_x.json.gz", gz.String())
	res, _, _ = audit(nil, map[string][]string{"aws": aws, "trail": {logFile}})
	if res.Summary.FailedSignIns != 0 {
		t.Errorf("default period: %+v", res.Summary)
	}
	res, _, _ = audit(map[string]string{"since": "30d"}, map[string][]string{"aws": aws, "trail": {logFile}})
	if res.Summary.FailedSignIns != 1 {
		t.Errorf("30 days: %+v", res.Summary)
	}
	if _, status, msg := audit(map[string]string{"since": "a week"}, map[string][]string{"aws": aws}); status != 400 || !strings.Contains(msg, "“CloudTrail period”") || strings.Contains(msg, "--since") {
		t.Errorf("bad period: %d %s", status, msg)
	}

	// The IdP's metadata: a signing certificate the provider lacks.
	key := fixture.NewKey("new Entra ID signing key", time.Now().Add(-time.Hour), time.Now().Add(365*24*time.Hour))
	md := write("idp-metadata.xml", fixture.IdPMetadata("https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/", key.DER))
	res, _, _ = audit(nil, map[string][]string{"aws": aws, "idp-metadata": {md}})
	if !slices.Contains(ids(res), "iam.cert_not_in_provider") {
		t.Errorf("with the IdP's metadata: %v", ids(res))
	}
	res, _, _ = audit(nil, map[string][]string{"aws": aws})
	if slices.Contains(ids(res), "iam.cert_not_in_provider") {
		t.Errorf("without it: %v", ids(res))
	}
}

// The page's controls are labelled with the words report.Web uses for
// them: each label is on the page.
func TestPageLabels(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("static", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ReplaceAll(string(b), "&hellip;", "…")
	for _, l := range report.PageLabels {
		if !strings.Contains(page, ">"+l) && !strings.Contains(page, "> "+l) {
			t.Errorf("no control labelled %q on the page", l)
		}
	}
}
