package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Secrets planted in every place real captures carry them. Each is unique
// so that any survivor is found by a plain search.
var secrets = map[string]string{
	"cookie":          "SESSIONCOOKIEVALUE0001",
	"set-cookie":      "SETCOOKIEVALUE0002",
	"authorization":   "BEARERTOKENVALUE0003",
	"amz-token":       "AMZSECURITYTOKEN0004",
	"cookies-array":   "COOKIEARRAYVALUE0005",
	"oidc-code":       "OIDCCODEVALUE0006",
	"access-token":    "ACCESSTOKENVALUE0007",
	"password":        "Hunter2Password0008",
	"entra-flowtoken": "FLOWTOKENVALUE0009",
	"okta-password":   "OktaPassword0010",
	"session-token":   "SESSIONTOKENJSON0011",
	"id-token-input":  "IDTOKENINPUT0012",
	"location-token":  "LOCATIONTOKEN0013",
	"csrf":            "CSRFHEADER0014",
	"h2-path":         "HTTP2PATHCODE0016",
}

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.JWTSIGNATUREPART0015"

func seeded(t *testing.T) ([]byte, []byte) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true, SignResponse: true}.XML()
	steps := fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)
	login := []fixture.Step{
		{Time: at.Add(-10 * time.Second), Method: "POST", URL: "https://login.microsoftonline.com/common/login",
			ReqHeaders: [][2]string{{"Cookie", "ESTSAUTH=" + secrets["cookie"] + "; buid=x"}, {"Authorization", "Bearer " + secrets["authorization"]}, {"X-CSRF-Token", secrets["csrf"]}},
			Form:       [][2]string{{"login", "jane.doe@example.com"}, {"passwd", secrets["password"]}, {"flowToken", secrets["entra-flowtoken"]}},
			Status:     302, Location: "https://login.microsoftonline.com/kmsi?code=" + secrets["location-token"],
			RespHeaders: [][2]string{{"Set-Cookie", "ESTSAUTHPERSISTENT=" + secrets["set-cookie"] + "; path=/; secure; HttpOnly"}, {"x-amz-security-token", secrets["amz-token"]}}},
		// Chrome records HTTP/2 requests with their pseudo-headers: :path
		// repeats the query, :authority is only the host.
		{Time: at.Add(-9500 * time.Millisecond), Method: "GET", URL: "https://login.microsoftonline.com/kmsi?code=" + secrets["h2-path"],
			ReqHeaders: [][2]string{{":authority", "login.microsoftonline.com"}, {":method", "GET"}, {":path", "/kmsi?code=" + secrets["h2-path"]}, {":scheme", "https"}},
			Status:     200, Mime: "text/html", Body: "<html></html>"},
		{Time: at.Add(-9 * time.Second), Method: "GET", URL: "https://app.example.com/cb?code=" + secrets["oidc-code"] + "&state=abc#access_token=" + secrets["access-token"],
			Status: 200, Mime: "text/html", Body: `<form method="post" action="https://app.example.com/cb"><input type="hidden" name="id_token" value="` + secrets["id-token-input"] + `"/></form><script>var t="` + jwt + `";</script>`},
		{Time: at.Add(-8 * time.Second), Method: "GET", URL: "https://example.okta.com/api/v1/authn", Status: 200, Mime: "application/json",
			Body: `{"status":"SUCCESS","sessionToken":"` + secrets["session-token"] + `","_embedded":{"user":{"profile":{"login":"jane.doe@example.com"}}}}`},
	}
	steps = append(login, steps...)
	har := fixture.HAR(fixture.Chrome, steps)
	// An Okta JSON login POST, and HAR cookie arrays, which the fixture
	// writer leaves empty.
	har = bytes.Replace(har, []byte(`"cookies":[]`), []byte(`"cookies":[{"name":"sid","value":"`+secrets["cookies-array"]+`"}]`), 1)
	okta := `{"startedDateTime":"2026-11-20T08:59:50.000Z","time":1,"request":{"method":"POST","url":"https://example.okta.com/api/v1/authn","headers":[],"postData":{"mimeType":"application/json","text":"{\"username\":\"jane\",\"password\":\"` + secrets["okta-password"] + `\"}"}},"response":{"status":200,"headers":[],"content":{"size":0,"mimeType":"application/json"}}},`
	har = bytes.Replace(har, []byte(`"entries":[`), []byte(`"entries":[`+okta), 1)
	return har, xml
}

func read(t *testing.T, har []byte) *capture.Capture {
	r := signin.NewReader(capture.Options{ShowSecrets: true})
	if err := r.Read("x.har", bytes.NewReader(har)); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

func TestSeededSecretsAreRemoved(t *testing.T) {
	har, xml := seeded(t)
	for name, s := range secrets {
		if !bytes.Contains(har, []byte(s)) && !bytes.Contains(har, []byte(url.QueryEscape(s))) {
			t.Fatalf("the seed %s is not in the input HAR", name)
		}
	}
	var out bytes.Buffer
	stats, err := redact.HAR("x.har", bytes.NewReader(har), &out)
	if err != nil {
		t.Fatal(err)
	}
	red := out.Bytes()
	if !json.Valid(red) {
		t.Fatal("the redacted HAR is not valid JSON")
	}
	// Search the HAR as written, and every base64 body decoded.
	hay := string(red)
	for _, m := range regexp.MustCompile(`"text":"([A-Za-z0-9+/=]{16,})"`).FindAllStringSubmatch(hay, -1) {
		if b, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			hay += string(b)
		}
	}
	for name, s := range secrets {
		if strings.Contains(hay, s) {
			t.Errorf("%s survived redaction", name)
		}
	}
	if !strings.Contains(hay, `{"name":":authority","value":"login.microsoftonline.com"}`) {
		t.Error("the :authority pseudo-header (the host) was removed")
	}
	if strings.Contains(hay, "JWTSIGNATUREPART0015") || !strings.Contains(hay, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.REDACTED") {
		t.Error("the JWT's signature survived, or its header and payload were lost")
	}
	// No signature value of the SAML response survives, in any place.
	sigs := regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`).FindAllSubmatch(xml, -1)
	if len(sigs) != 2 {
		t.Fatalf("%d signatures in the fixture", len(sigs))
	}
	c := read(t, red)
	for _, m := range c.Messages {
		for _, s := range sigs {
			if bytes.Contains(m.XML, s[1]) {
				t.Errorf("a SignatureValue survived in the message seen at %+v", m.Seen[0])
			}
		}
	}
	for _, s := range sigs {
		if strings.Contains(hay, string(s[1][:40])) {
			t.Error("a SignatureValue survived in the HAR")
		}
	}
	if stats.Signatures != 6 || stats.Cookies == 0 || stats.Headers < 4 {
		t.Errorf("stats = %+v", stats)
	}
	// What diagnosis reads is kept: names, the cookie names, the RelayState.
	for _, keep := range []string{"jane.doe@example.com", "ESTSAUTH=REDACTED", fixture.RelayState(), "has not been onboarded"} {
		if !strings.Contains(hay, keep) && !strings.Contains(hay, url.QueryEscape(keep)) {
			t.Errorf("%q was lost", keep)
		}
	}
}

func findingIDs(res *diagnose.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if !strings.HasPrefix(f.ID, "saml.signature") {
			out = append(out, f.ID+"/"+f.Severity)
		}
	}
	sort.Strings(out)
	return out
}

// connectUsers is the example instance's user list: Jane.Doe@example.com.
func connectUsers() *evidence.Set {
	s := evidence.NewSet()
	s.Load("users.json", []byte(`{"UserSummaryList":[{"Id":"u1","Arn":"arn:aws:connect:ap-southeast-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/agent/u1","Username":"Jane.Doe@example.com"}]}`))
	return s
}

func TestDiagnosisIsUnchanged(t *testing.T) {
	har, _ := seeded(t)
	var out bytes.Buffer
	if _, err := redact.HAR("x.har", bytes.NewReader(har), &out); err != nil {
		t.Fatal(err)
	}
	before := diagnose.Run(diagnose.Input{Capture: read(t, har), AWS: connectUsers()})
	after := diagnose.Run(diagnose.Input{Capture: read(t, out.Bytes()), AWS: connectUsers()})
	if a, b := findingIDs(before), findingIDs(after); strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("findings differ:\nbefore %v\nafter  %v", a, b)
	}
	if before.Verdict != after.Verdict {
		t.Errorf("verdict differs:\n%s\n%s", before.Verdict, after.Verdict)
	}
	redacted := false
	for _, f := range after.Findings {
		if f.ID == "saml.signature_redacted" {
			redacted = true
		}
	}
	if !redacted {
		t.Error("the redacted capture does not say its signatures cannot be checked")
	}
	for _, v := range after.Signatures {
		if v.Status != "redacted" {
			t.Errorf("signature on %s: %s, want redacted", v.Covers, v.Status)
		}
	}
}

// HAR files written by Firefox and Chromium themselves: redaction keeps
// the diagnosis, masks the signatures, and keeps what is not a secret
// (Chromium's HTTP/2 :authority pseudo-header, the host).
func TestRealBrowserHARs(t *testing.T) {
	for _, browser := range []string{"firefox", "chromium"} {
		t.Run(browser, func(t *testing.T) {
			har, err := os.ReadFile(filepath.Join("..", "capture", "testdata", browser, "not-onboarded.har"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			stats, err := redact.HAR(browser+".har", bytes.NewReader(har), &out)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Signatures == 0 {
				t.Errorf("no signature masked: %+v", stats)
			}
			if browser == "chromium" && stats.Headers != 0 {
				t.Errorf("headers removed from a capture without credentials: %+v", stats)
			}
			before := diagnose.Run(diagnose.Input{Capture: read(t, har), AWS: connectUsers()})
			after := diagnose.Run(diagnose.Input{Capture: read(t, out.Bytes()), AWS: connectUsers()})
			if before.Findings[0].ID != "connect.username_case_mismatch" || after.Findings[0].ID != before.Findings[0].ID || after.Verdict != before.Verdict {
				t.Errorf("before %v, after %v", findingIDs(before), findingIDs(after))
			}
		})
	}
}

func TestNotAHAR(t *testing.T) {
	for _, in := range []string{`[1,2]`, `{"requests":[]}`, `{"log":{"entries":[{"request":`} {
		var out bytes.Buffer
		if _, err := redact.HAR("in.json", strings.NewReader(in), &out); err == nil || !strings.HasPrefix(err.Error(), "in.json") {
			t.Errorf("%s: err = %v", in, err)
		}
	}
}

// The browser's reports samldoctor record keeps (log._browserReports)
// are redacted too: the URLs they name and quote, and credentials in
// their text; what the diagnosis reads of them stays.
func TestBrowserReportsRedacted(t *testing.T) {
	in := `{"log":{"version":"1.2","entries":[],"_browserReports":[{"source":"log","kind":"x-frame-options",` +
		`"url":"https://idp.example.com/sso?code=REPORTCODE0101","frameUrl":"https://agent.example.com/?access_token=REPORTTOKEN0102","pageUrl":"https://agent.example.com/",` +
		`"text":"Refused to display 'https://idp.example.com/sso?code=REPORTCODE0101' in a frame because it set 'X-Frame-Options' to 'deny'. password=REPORTPASS0103"},` +
		`{"source":"log","kind":"content-security-policy","directive":"frame-ancestors","url":"https://example-corp.my.connect.aws/","frameUrl":"https://agent.example.com/",` +
		`"text":"Framing 'https://example-corp.my.connect.aws/' violates the following Content Security Policy directive: \"frame-ancestors 'self'\"."}]}}`
	var out bytes.Buffer
	if _, err := redact.HAR("in.har", strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"REPORTCODE0101", "REPORTTOKEN0102", "REPORTPASS0103"} {
		if strings.Contains(out.String(), s) {
			t.Errorf("%s survived: %s", s, out.String())
		}
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("out.har", &out); err != nil {
		t.Fatal(err)
	}
	reps := r.Finish().Reports
	if len(reps) != 2 || !reps[1].FrameRefused() || reps[1].URL != "https://example-corp.my.connect.aws/" || reps[1].FrameURL != "https://agent.example.com/" || !strings.Contains(reps[0].Text, "X-Frame-Options") {
		t.Errorf("reports after redaction: %+v", reps)
	}
}
