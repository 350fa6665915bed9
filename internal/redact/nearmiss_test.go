package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
)

// redactSteps redacts a HAR of steps and returns it, and the response
// bodies of its entries as text.
func redactSteps(t *testing.T, har []byte) (string, []string) {
	t.Helper()
	var out bytes.Buffer
	if _, err := redact.HAR("near.har", bytes.NewReader(har), &out); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Response struct {
					Content struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("redacted HAR is not JSON: %v", err)
	}
	var bodies []string
	for _, e := range doc.Log.Entries {
		bodies = append(bodies, e.Response.Content.Text)
	}
	return out.String(), bodies
}

// A login page: inputs, a script and a text area that are not
// credentials stay; the CSRF token of its meta tag and SimpleSAMLphp's
// AuthState in a link are masked; an ordinary link stays.
func TestLoginPageNearMisses(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	page := `<!DOCTYPE html><html><head><title>Sign in</title>` +
		`<meta name="viewport" content="width=device-width">` +
		`<meta name="csrf-token" content="Csrf7002Value">` +
		`<script>var retries = 3; function go() { return retries > 0; }</script></head><body>` +
		`<form method="post" action="/simplesaml/module.php/core/loginuserpass.php">` +
		`<input type="text" name="username" value="">` +
		`<input type="password" name="password" value="Password7001">` +
		`<textarea name="comment">Ordinary text 7004</textarea>` +
		`<a href="/simplesaml/module.php/core/loginuserpass.php?AuthState=_AuthState7003%3Ahttps%3A%2F%2Fidp.example.org%2Fsso">retry</a>` +
		`<a href="https://idp.example.org/help?lang=en&amp;topic=mfa">Help</a>` +
		`</form></body></html>`
	har := fixture.HAR(fixture.Chrome, []fixture.Step{{Time: at, Method: "GET", URL: "https://idp.example.org/login", Status: 200, Mime: "text/html", Body: page}})
	out, bodies := redactSteps(t, har)
	for _, secret := range []string{"Password7001", "Csrf7002Value", "_AuthState7003"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s survived redaction", secret)
		}
	}
	for _, keep := range []string{
		`<meta name="viewport" content="width=device-width">`,
		`var retries = 3; function go() { return retries > 0; }`,
		`<textarea name="comment">Ordinary text 7004</textarea>`,
		`<a href="https://idp.example.org/help?lang=en&amp;topic=mfa">Help</a>`,
		`<title>Sign in</title>`,
	} {
		if !strings.Contains(bodies[0], keep) {
			t.Errorf("redaction changed what is not a secret: %s", keep)
		}
	}
}

// A SignatureValue written as CDATA is masked and the XML still parses;
// an XHTML auto-post page (starting with <?xml) whose SAMLResponse is
// wrapped at 76 columns keeps no SignatureValue.
func TestSignatureValueNearMisses(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	resp := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true, SignResponse: true}.XML()
	sigRE := regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`)
	var sigs []string
	for _, m := range sigRE.FindAllSubmatch(resp, -1) {
		sigs = append(sigs, string(m[1][:40]))
	}
	if len(sigs) != 2 {
		t.Fatalf("fixture has %d SignatureValues, want 2", len(sigs))
	}
	cdata := sigRE.ReplaceAll(resp, []byte(`<ds:SignatureValue><![CDATA[$1]]></ds:SignatureValue>`))
	b64 := base64.StdEncoding.EncodeToString(resp)
	var wrapped strings.Builder
	for i := 0; i < len(b64); i += 76 {
		wrapped.WriteString(b64[i:min(i+76, len(b64))] + "\n")
	}
	xhtml := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">` + "\n" +
		`<html xmlns="http://www.w3.org/1999/xhtml"><body onload="document.forms[0].submit()">` +
		`<form method="post" action="https://signin.aws.amazon.com/saml"><div>` +
		`<input type="hidden" name="SAMLResponse" value="` + wrapped.String() + `" />` +
		`<input type="hidden" name="RelayState" value="` + fixture.RelayState() + `" />` +
		`</div></form></body></html>`
	har := fixture.HAR(fixture.Chrome, []fixture.Step{
		{Time: at.Add(-time.Second), Method: "POST", URL: "https://idp.example.org/ecp", Status: 200, Mime: "text/xml", Body: string(cdata)},
		{Time: at, Method: "GET", URL: "https://idp.example.org/sso", Status: 200, Mime: "application/xhtml+xml", Body: xhtml},
	})
	out, bodies := redactSteps(t, har)
	if l := leaked([]byte(out), toBytes(sigs)); len(l) > 0 {
		t.Errorf("survived redaction: %v", l)
	}
	if !strings.Contains(bodies[0], "REDACTED-BY-SAMLDOCTOR") {
		t.Error("the CDATA SignatureValue was not rewritten")
	}
	d := xml.NewDecoder(strings.NewReader(bodies[0]))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the redacted ECP answer does not parse: %v", err)
		}
	}
	// The wrapped value, joined and decoded, has no SignatureValue left.
	m := regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`).FindStringSubmatch(bodies[1])
	if m != nil {
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(m[1]), ""))
		if err == nil && sigRE.Match(dec) && !bytes.Contains(dec, []byte("REDACTED-BY-SAMLDOCTOR")) {
			t.Error("the XHTML page's SAMLResponse keeps its SignatureValue")
		}
	}
}

// Page titles and the _initiator URLs Chromium writes are searched too:
// credentials in them are masked, the rest stays.
func TestTitlesAndInitiatorsNearMisses(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	har := fixture.HAR(fixture.Chrome, []fixture.Step{{Time: at, Method: "GET", URL: "https://idp.example.org/app", Status: 200, Mime: "text/plain", Body: "ok"}})
	har = bytes.Replace(har, []byte(`"pages":[]`), []byte(`"pages":[{"startedDateTime":"2026-11-20T09:00:00.000Z","id":"page_1","title":"https://idp.example.org/login?AuthState=_AuthState8001%3Ahttps%3A%2F%2Fidp&lang=en","pageTimings":{}}]`), 1)
	har = bytes.Replace(har, []byte(`"request":{`), []byte(`"_initiator":{"type":"script","url":"https://idp.example.org/cb#access_token=AccessToken8002&view=plain8003"},"request":{`), 1)
	if !bytes.Contains(har, []byte("_AuthState8001")) || !bytes.Contains(har, []byte("AccessToken8002")) {
		t.Fatal("the seeds are not in the input")
	}
	out, _ := redactSteps(t, har)
	for _, secret := range []string{"_AuthState8001", "AccessToken8002"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s survived redaction", secret)
		}
	}
	for _, keep := range []string{"lang=en", "view=plain8003", "https://idp.example.org/login?", "https://idp.example.org/cb#"} {
		if !strings.Contains(out, keep) {
			t.Errorf("redaction removed %q", keep)
		}
	}
}

func toBytes(ss []string) [][]byte {
	var out [][]byte
	for _, s := range ss {
		out = append(out, []byte(s))
	}
	return out
}
