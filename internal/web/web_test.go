package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
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

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
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
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, field := range []string{"aws", "idp-users", "trail", "capture"} {
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
	zw.Write([]byte(`{"Records":[{"eventTime":"2026-11-28T09:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithSAML","userIdentity":{"type":"SAMLUser","userName":"sam.lee@example.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ConnectAgents","roleSessionName":"sam.lee@example.com"}}]}`))
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
