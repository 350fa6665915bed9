package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The secrets that survived an earlier redact, each planted where real
// captures carry it.
var leaks = map[string]string{
	"multipart password":  "MultipartPassword0101",
	"form field pass":     "FormPass0102",
	"STS SecretAccessKey": "StsSecretAccessKey0103",
	"STS SessionToken":    "StsSessionToken0104",
	"script accessToken":  "ScriptAccessToken0105",
	"js file idToken":     "JsFileIdToken0106",
	"AuthState":           "_AuthState0107:https://idp.example.org/simplesaml/module.php/core/loginuserpass.php",
}

func leakyHAR(_ *testing.T) ([]byte, [][]byte, []byte) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true, SignResponse: true}.XML()
	sigs := regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`).FindAllSubmatch(xml, -1)
	var sigValues [][]byte
	for _, s := range sigs {
		sigValues = append(sigValues, s[1])
	}
	b64 := base64.StdEncoding.EncodeToString(xml)
	// One corrupt byte: a '!' in the middle of the base64.
	corrupt := b64[:len(b64)/2] + "!" + b64[len(b64)/2+1:]
	multipart := "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\njane\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + leaks["multipart password"] + "\r\n--XyZ--\r\n"
	steps := []fixture.Step{
		{Time: at.Add(-20 * time.Second), Method: "POST", URL: "https://idp.example.org/login", Status: 200, Mime: "text/html", Body: "<html></html>",
			Form: [][2]string{{"user", "jane"}, {"pass", leaks["form field pass"]}}},
		{Time: at.Add(-19 * time.Second), Method: "GET", URL: "https://idp.example.org/simplesaml/module.php/core/loginuserpass.php?AuthState=" + url.QueryEscape(leaks["AuthState"]), Status: 200, Mime: "text/html",
			Body: `<html><script>var config = {clientId: "x"}; window.accessToken = "` + leaks["script accessToken"] + `";</script></html>`},
		{Time: at.Add(-18 * time.Second), Method: "GET", URL: "https://idp.example.org/app.js", Status: 200, Mime: "application/javascript",
			Body: `const session = { idToken: '` + leaks["js file idToken"] + `' };`},
		{Time: at.Add(-17 * time.Second), Method: "POST", URL: "https://sts.amazonaws.com/", Status: 200, Mime: "text/xml",
			Body: `<AssumeRoleWithSAMLResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithSAMLResult><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>` + leaks["STS SecretAccessKey"] + `</SecretAccessKey><SessionToken>` + leaks["STS SessionToken"] + `</SessionToken></Credentials></AssumeRoleWithSAMLResult></AssumeRoleWithSAMLResponse>`},
		// The auto-post page carries the response in a textarea.
		{Time: at.Add(-1 * time.Second), Method: "GET", URL: "https://idp.example.org/sso", Status: 200, Mime: "text/html",
			Body: `<html><body><form method="post" action="https://signin.aws.amazon.com/saml"><textarea name="SAMLResponse">` + b64 + `</textarea><input type="hidden" name="RelayState" value="` + fixture.RelayState() + `"/></form></body></html>`},
		// A POST whose value lost one byte on the way.
		{Time: at, Method: "POST", URL: "https://signin.aws.amazon.com/saml", Status: 200, Mime: "text/html", Body: "<html>Your request included an invalid SAML response.</html>",
			Form: [][2]string{{"SAMLResponse", corrupt}, {"RelayState", fixture.RelayState()}}},
	}
	har := fixture.HAR(fixture.Chrome, steps)
	mp := `{"startedDateTime":"2026-11-20T08:59:30.000Z","time":1,"request":{"method":"POST","url":"https://idp.example.org/upload","headers":[],"postData":{"mimeType":"multipart/form-data; boundary=XyZ","text":` + mustJSON(multipart) + `}},"response":{"status":200,"headers":[],"content":{"size":0,"mimeType":"text/html"}}},`
	har = bytes.Replace(har, []byte(`"entries":[`), []byte(`"entries":[`+mp), 1)
	return har, sigValues, xml
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }

// leaked reports every planted secret or SignatureValue found in the
// redacted HAR, as written or inside any base64 in it.
func leaked(out []byte, sigs [][]byte) []string {
	hay := string(out)
	for _, m := range regexp.MustCompile(`[A-Za-z0-9+/_%-]{40,}={0,2}`).FindAllString(hay, -1) {
		if u, err := url.QueryUnescape(m); err == nil {
			m = u
		}
		if dec, err := samlvalue.Decode([]byte(m)); err == nil {
			hay += string(dec.XML)
		}
	}
	var found []string
	for name, s := range leaks {
		if strings.Contains(hay, s) || strings.Contains(hay, url.QueryEscape(s)) {
			found = append(found, name)
		}
	}
	for _, s := range sigs {
		if strings.Contains(hay, string(s[:40])) {
			found = append(found, "a SignatureValue")
		}
	}
	return found
}

func TestRedactionFailsClosed(t *testing.T) {
	har, sigs, _ := leakyHAR(t)
	for name, s := range leaks {
		if !bytes.Contains(har, []byte(s)) && !bytes.Contains(har, []byte(url.QueryEscape(s))) && !bytes.Contains(har, []byte(strings.ReplaceAll(mustJSON(s), `"`, ""))) {
			t.Fatalf("the seed %s is not in the input", name)
		}
	}
	var out bytes.Buffer
	stats, err := redact.HAR("leaky.har", bytes.NewReader(har), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) {
		t.Fatal("not JSON")
	}
	if l := leaked(out.Bytes(), sigs); len(l) > 0 {
		t.Errorf("survived redaction: %v", l)
	}
	// The corrupt value is in the form's params and in its text.
	if stats.Opaque != 2 || !strings.Contains(stats.String(), "2 values that looked like SAML or encoded data and could not be read, removed whole") {
		t.Errorf("the corrupt value: %+v, %s", stats, stats)
	}
	// The textarea's value is still the response, without its signatures.
	c := read(t, out.Bytes())
	found := false
	for _, m := range c.Messages {
		if len(m.XML) > 0 && bytes.Contains(m.XML, []byte("REDACTED-BY-SAMLDOCTOR")) {
			found = true
		}
	}
	if !found {
		t.Error("the textarea's SAMLResponse is gone, not redacted")
	}
}

// inspect does not print SimpleSAMLphp's AuthState either.
func TestInspectMasksAuthState(t *testing.T) {
	har, _, _ := leakyHAR(t)
	r := signin.NewReader(capture.Options{})
	if err := r.Read("leaky.har", bytes.NewReader(har)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := report.WriteInspectJSON(&out, r.Finish()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "_AuthState0107") || strings.Contains(out.String(), url.QueryEscape("_AuthState0107")) {
		t.Error("inspect prints the AuthState")
	}
}

// A HAR cut in the middle of an entry: the entries before the cut are
// written, redacted, as a valid HAR, and the stats say where it ended.
func TestTruncatedHARIsWritten(t *testing.T) {
	har, _ := seeded(t)
	cut := har[:len(har)*3/4]
	var out bytes.Buffer
	stats, err := redact.HAR("cut.har", bytes.NewReader(cut), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) || stats.Entries == 0 || !strings.HasPrefix(stats.Truncated, "cut.har ends early at byte ") {
		t.Fatalf("valid %v, stats %+v", json.Valid(out.Bytes()), stats)
	}
	for name, s := range secrets {
		if bytes.Contains(out.Bytes(), []byte(s)) {
			t.Errorf("%s survived in the truncated HAR's output", name)
		}
	}
	// Nothing of it read: an error, as before.
	if _, err := redact.HAR("cut.har", bytes.NewReader(har[:40]), &out); err == nil {
		t.Error("a HAR cut before its first entry is not an error")
	}
}
