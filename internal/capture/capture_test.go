package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

var at = time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)

func read(t *testing.T, name string, data []byte) *capture.Capture {
	t.Helper()
	r := signin.NewReader(capture.Options{})
	if err := r.Read(name, bytes.NewReader(data)); err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return r.Finish()
}

func readErr(data []byte) error {
	r := signin.NewReader(capture.Options{})
	return r.Read("bad.har", bytes.NewReader(data))
}

// healthy is a signed Entra-style response for the default instance.
func healthy(mod func(*fixture.Response)) []byte {
	r := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, SessionDuration: "43200", IssueInstant: at.Add(-time.Second), SignAssertion: true}
	if mod != nil {
		mod(&r)
	}
	return r.XML()
}

// summary is what must not depend on the browser that wrote the HAR.
type summary struct {
	Type, Binding, RelayState, RoleIndex string
	XML                                  string
	AWS                                  string
	Wheres                               []string
}

func summarize(c *capture.Capture) []summary {
	var out []summary
	for _, m := range c.Messages {
		aws, _ := json.Marshal(m.AWS)
		s := summary{Type: m.Type, Binding: m.Binding, RelayState: m.RelayState, RoleIndex: m.RoleIndex, XML: string(m.XML), AWS: string(aws)}
		for _, p := range m.Seen {
			s.Wheres = append(s.Wheres, p.Where)
		}
		out = append(out, s)
	}
	return out
}

func TestChromeAndFirefoxGiveTheSameMessages(t *testing.T) {
	tests := []struct {
		name    string
		xml     []byte
		relay   string
		outcome fixture.Outcome
	}{
		{"not onboarded", healthy(nil), fixture.RelayState(), fixture.NotOnboarded},
		{"relay state with destination", healthy(nil), fixture.RelayState() + "?destination=%2Fccp-v2%2Fchat&new_domain=true", fixture.Success},
		{"two roles, plus signs in values", healthy(func(r *fixture.Response) {
			r.Roles = []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::111122223333:saml-provider/EntraID,arn:aws:iam::111122223333:role/Admins+Ops"}
			r.RoleSessionName = []string{"first+last@example.com"}
		}), fixture.RelayState(), fixture.AccessDeniedAdmin},
		{"sign-in error", healthy(func(r *fixture.Response) { r.RoleSessionName = nil }), fixture.RelayState(), fixture.SessionNameMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := fixture.SignIn(tt.xml, tt.relay, at, tt.outcome)
			chrome := read(t, "chrome.har", fixture.HAR(fixture.Chrome, steps))
			firefox := read(t, "firefox.har", fixture.HAR(fixture.Firefox, steps))
			cs, fs := summarize(chrome), summarize(firefox)
			if len(cs) != 1 {
				t.Fatalf("Chrome: %d messages, want 1", len(cs))
			}
			if !reflect.DeepEqual(cs, fs) {
				t.Errorf("Chrome and Firefox differ:\nchrome:  %+v\nfirefox: %+v", cs, fs)
			}
			if got := chrome.Messages[0].RelayState; got != tt.relay {
				t.Errorf("RelayState = %q, want %q", got, tt.relay)
			}
			if !bytes.Equal(chrome.Messages[0].XML, tt.xml) {
				t.Errorf("decoded XML differs from the response sent")
			}
			if len(chrome.Pages) != len(firefox.Pages) {
				t.Errorf("pages: Chrome %d, Firefox %d", len(chrome.Pages), len(firefox.Pages))
			}
			for i := range chrome.Pages {
				if i < len(firefox.Pages) && !reflect.DeepEqual(chrome.Pages[i].Errors, firefox.Pages[i].Errors) {
					t.Errorf("page %d errors: Chrome %v, Firefox %v", i, chrome.Pages[i].Errors, firefox.Pages[i].Errors)
				}
			}
		})
	}
}

// testdata/firefox and testdata/chromium hold HAR files written by the
// browsers themselves (tools/firefoxhar: Firefox 153's HAR export;
// tools/chromehar: Chromium 156's developer tools' HAR writer) of the same
// kind of sign-in, and testdata/record the HAR samldoctor record wrote of
// it (redacted, as it writes by default; go test ./tools/internal/signinsim
// -run TestRecord -update-recordings). Each gives the messages a
// Chrome-style fixture HAR of the same response gives.
func TestRealBrowserHARs(t *testing.T) {
	for browser, creator := range map[string]string{"firefox": "Firefox", "chromium": "WebInspector", "record": "samldoctor record"} {
		t.Run(browser, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", browser, "not-onboarded.har"))
			if err != nil {
				t.Fatal(err)
			}
			real := read(t, browser+".har", b)
			if src := real.Sources[0]; src.Format != capture.FormatHAR || !strings.HasPrefix(src.Creator, creator) || src.Truncated != nil {
				t.Fatalf("source %+v", src)
			}
			if len(real.Messages) != 1 || len(real.Warnings) != 0 {
				t.Fatalf("messages %+v, warnings %+v", summarize(real), real.Warnings)
			}
			m := real.Messages[0]
			post, ok := m.PostedToSignIn()
			if !ok || post.Time.IsZero() {
				t.Fatalf("not posted to AWS, or no time: %+v", m.Seen)
			}
			steps := fixture.SignIn(m.XML, fixture.RelayState(), post.Time, fixture.NotOnboarded)
			chrome := read(t, "chrome.har", fixture.HAR(fixture.Chrome, steps))
			if cs, rs := summarize(chrome), summarize(real); !reflect.DeepEqual(cs, rs) {
				t.Errorf("fixture and %s differ:\nfixture: %+v\n%s: %+v", browser, cs, browser, rs)
			}
			if m.AWS == nil || len(m.AWS.Roles) != 1 || m.AWS.Roles[0].RoleArn != fixture.DefaultRole || m.RelayState != fixture.RelayState() {
				t.Errorf("AWS view %+v, relay state %q", m.AWS, m.RelayState)
			}
			var errs []string
			for _, p := range real.Pages {
				for _, e := range p.Errors {
					errs = append(errs, p.Stage+":"+e.ID)
				}
			}
			if want := []string{"connect-federation:connect.not_onboarded"}; !reflect.DeepEqual(errs, want) {
				t.Errorf("error pages %v, want %v", errs, want)
			}
		})
	}
}

// The role chooser, as the browsers recorded it: the agent picked the
// second role on AWS's page, whose form posts the response again with
// roleIndex.
func TestRealBrowserRoleChooser(t *testing.T) {
	const supervisors = "arn:aws:iam::111122223333:role/Supervisors"
	for _, browser := range []string{"firefox", "chromium", "record"} {
		t.Run(browser, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", browser, "role-chooser.har"))
			if err != nil {
				t.Fatal(err)
			}
			c := read(t, browser+".har", b)
			if len(c.Messages) != 1 {
				t.Fatalf("messages %+v", summarize(c))
			}
			m := c.Messages[0]
			var wheres []string
			for _, p := range m.Seen {
				wheres = append(wheres, p.Where)
			}
			if want := []string{"html-form", "post", "html-form", "post"}; !reflect.DeepEqual(wheres, want) || m.RoleIndex != supervisors {
				t.Errorf("places %v (want %v), roleIndex %q", wheres, want, m.RoleIndex)
			}
			var chooser *capture.Page
			var errs []string
			for i, p := range c.Pages {
				if p.RoleChooser {
					chooser = &c.Pages[i]
				}
				for _, e := range p.Errors {
					errs = append(errs, e.ID)
				}
				if strings.Contains(p.URL, "favicon") {
					t.Errorf("an icon on the timeline: %s", p.URL)
				}
			}
			if chooser == nil || !reflect.DeepEqual(chooser.RoleOptions, []string{fixture.DefaultRole, supervisors}) {
				t.Errorf("role chooser page %+v", chooser)
			}
			if !reflect.DeepEqual(errs, []string{"connect.access_denied_admin"}) {
				t.Errorf("error pages %v", errs)
			}
		})
	}
}

// What pages load (scripts, styles, icons, images) is not a step of the
// sign-in, even on AWS's hosts and even when a script carries an error
// text.
func TestSubresourcesAreNotPages(t *testing.T) {
	steps := fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.Success)
	fed := "https://" + fixture.DefaultRegion + ".console.aws.amazon.com"
	steps = append(steps,
		fixture.Step{Time: at.Add(time.Second), Method: "GET", URL: "https://signin.aws.amazon.com/favicon.ico", Status: 404, Mime: "text/html", Body: "<html>Not found</html>"},
		fixture.Step{Time: at.Add(time.Second), Method: "GET", URL: fed + "/connect/static/app.3f2a.js", Status: 200, Mime: "text/javascript",
			Body: `var m={notOnboarded:"Access Denied. Your account has been authenticated, but has not been onboarded to this application."};`},
		fixture.Step{Time: at.Add(time.Second), Method: "GET", URL: fed + "/connect/i18n/strings.json?v=2", Status: 200, Mime: "application/javascript",
			Body: `{"denied":"Access denied, Please contact your AWS account administrator for assistance."}`},
		fixture.Step{Time: at.Add(time.Second), Method: "GET", URL: fed + "/connect/static/logo.svg", Status: 200, Mime: "image/svg+xml", Body: "<svg/>"},
	)
	c := read(t, "x.har", fixture.HAR(fixture.Chrome, steps))
	for _, p := range c.Pages {
		if strings.Contains(p.URL, "favicon") || strings.Contains(p.URL, "/static/") || strings.Contains(p.URL, "i18n") {
			t.Errorf("a subresource on the timeline: %s %s", p.Method, p.URL)
		}
		if len(p.Errors) > 0 {
			t.Errorf("error text taken from %s: %+v", p.URL, p.Errors)
		}
	}
	if len(c.Pages) < 3 {
		t.Errorf("the sign-in's own pages are gone: %+v", c.Pages)
	}
}

func TestAutoPostPageAndPostAreOneMessage(t *testing.T) {
	c := read(t, "x.har", fixture.HAR(fixture.Chrome, fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.NotOnboarded)))
	if len(c.Messages) != 1 {
		t.Fatalf("%d messages, want 1", len(c.Messages))
	}
	m := c.Messages[0]
	if len(m.Seen) != 2 {
		t.Fatalf("%d places, want 2: %+v", len(m.Seen), m.Seen)
	}
	if m.Seen[0].Where != "html-form" || m.Seen[0].Entry != 0 || m.Seen[0].FormAction != "https://signin.aws.amazon.com/saml" {
		t.Errorf("first place = %+v, want the IdP's form in entry 0 posting to AWS sign-in", m.Seen[0])
	}
	if m.Seen[1].Where != "post" || m.Seen[1].Entry != 1 {
		t.Errorf("second place = %+v, want the POST in entry 1", m.Seen[1])
	}
	if _, ok := m.PostedToSignIn(); !ok {
		t.Error("PostedToAWS = false")
	}
	// The pages along the path: IdP, AWS sign-in redirect, Connect error.
	var stages []string
	for _, p := range c.Pages {
		stages = append(stages, p.Stage)
	}
	if want := []string{"idp", "aws-signin", "connect-federation"}; !reflect.DeepEqual(stages, want) {
		t.Errorf("stages = %v, want %v", stages, want)
	}
	last := c.Pages[len(c.Pages)-1]
	if len(last.Errors) != 1 || last.Errors[0].ID != "connect.not_onboarded" {
		t.Errorf("Connect page errors = %+v, want connect.not_onboarded", last.Errors)
	}
	if c.Pages[1].Location != fixture.RelayState() {
		t.Errorf("sign-in redirect = %q", c.Pages[1].Location)
	}
}

// Okta writes its auto-post page with every URL character as a
// hexadecimal entity, '+' and '=' in the value included; the form action
// may carry the default port. It is still the message that was posted.
func TestAutoPostPageWithEntities(t *testing.T) {
	xml := healthy(nil)
	b64 := base64.StdEncoding.EncodeToString(xml)
	ent := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			if strings.ContainsRune(":/+=?&%", c) {
				fmt.Fprintf(&b, "&#x%x;", c)
			} else {
				b.WriteRune(c)
			}
		}
		return b.String()
	}
	page := `<!DOCTYPE html><html><body><form id="appForm" action="` + ent("https://signin.aws.amazon.com:443/saml") + `" method="POST">` +
		`<input name="SAMLResponse" type="hidden" value="` + ent(b64) + `"/><input name="RelayState" type="hidden" value="` + ent(fixture.RelayState()) + `"/></form></body></html>`
	if !strings.Contains(page, "&#x2b;") && !strings.Contains(page, "&#x3d;") {
		t.Fatal("the test value has neither '+' nor '='")
	}
	steps := fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)
	steps[0].URL, steps[0].Body = "https://example.okta.com/app/amazon_aws/exk1a2b3c4d5e6f7g8h9/sso/saml", page
	c := read(t, "okta.har", fixture.HAR(fixture.Chrome, steps))
	if len(c.Messages) != 1 || !bytes.Equal(c.Messages[0].XML, xml) {
		t.Fatalf("want one message, the response; got %+v", summarize(c))
	}
	m := c.Messages[0]
	if len(m.Seen) != 2 || m.Seen[0].Where != "html-form" || m.Seen[0].FormAction != "https://signin.aws.amazon.com:443/saml" || m.RelayState != fixture.RelayState() {
		t.Errorf("places %+v, relay state %q", m.Seen, m.RelayState)
	}
}

func TestRoleChooser(t *testing.T) {
	xml := healthy(func(r *fixture.Response) {
		r.Roles = []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::111122223333:role/Supervisors," + fixture.DefaultProvider}
	})
	b64 := base64.StdEncoding.EncodeToString(xml)
	steps := fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)
	// AWS answers the first POST with the role chooser; the user picks the
	// second role and the page posts again with roleIndex.
	steps[1].Status, steps[1].Location, steps[1].Mime = 200, "", "text/html"
	steps[1].Body = fixture.RoleChooserPage(b64, []string{fixture.DefaultRole, "arn:aws:iam::111122223333:role/Supervisors"})
	second := fixture.Step{Time: at.Add(5 * time.Second), Method: "POST", URL: "https://signin.aws.amazon.com/saml", Status: 302, Location: fixture.RelayState(),
		Form: [][2]string{{"RelayState", ""}, {"SAMLResponse", b64}, {"roleIndex", "arn:aws:iam::111122223333:role/Supervisors"}}}
	steps = append(steps[:2], append([]fixture.Step{second}, steps[2:]...)...)
	for _, b := range []fixture.Browser{fixture.Chrome, fixture.Firefox} {
		c := read(t, "chooser.har", fixture.HAR(b, steps))
		if len(c.Messages) != 1 {
			t.Fatalf("%d messages, want 1", len(c.Messages))
		}
		m := c.Messages[0]
		if len(m.Seen) != 4 {
			t.Errorf("%d places, want 4 (IdP form, POST, chooser page, chooser POST): %+v", len(m.Seen), m.Seen)
		}
		if m.RoleIndex != "arn:aws:iam::111122223333:role/Supervisors" {
			t.Errorf("RoleIndex = %q", m.RoleIndex)
		}
		if m.RelayState != fixture.RelayState() {
			t.Errorf("RelayState = %q; the first POST to AWS carried the relay state", m.RelayState)
		}
		chooser := false
		for _, p := range c.Pages {
			if p.RoleChooser && len(p.RoleOptions) == 2 {
				chooser = true
			}
		}
		if !chooser {
			t.Error("no page marked as the role chooser with 2 options")
		}
	}
}

func TestRedirectBinding(t *testing.T) {
	req := fixture.AuthnRequest("https://signin.aws.amazon.com/saml", "urn:amazon:webservices", at)
	u := "https://idp.example.com/sso/saml?SAMLRequest=" + url.QueryEscape(req) + "&RelayState=" + url.QueryEscape(fixture.RelayState())
	har := fixture.HAR(fixture.Chrome, []fixture.Step{{Time: at, Method: "GET", URL: u, Status: 200, Mime: "text/html", Body: "<html>login</html>"}})
	c := read(t, "redirect.har", har)
	if len(c.Messages) != 1 {
		t.Fatalf("%d messages, want 1", len(c.Messages))
	}
	m := c.Messages[0]
	if m.Type != "SAMLRequest" || m.Binding != "HTTP-Redirect" || m.Parsed.Kind != "AuthnRequest" {
		t.Errorf("got %s %s %s, want SAMLRequest HTTP-Redirect AuthnRequest", m.Type, m.Binding, m.Parsed.Kind)
	}
	if !reflect.DeepEqual(m.Encoding, []string{"base64", "deflate", "xml"}) {
		t.Errorf("encoding = %v", m.Encoding)
	}
	if m.RelayState != fixture.RelayState() {
		t.Errorf("RelayState = %q", m.RelayState)
	}
	if strings.Contains(m.Seen[0].URL, req[:20]) {
		t.Errorf("the URL shown still carries the SAML value: %s", m.Seen[0].URL)
	}
	if len(c.Pages) != 1 || c.Pages[0].Stage != "idp" {
		t.Errorf("pages = %+v, want the IdP page", c.Pages)
	}
}

func TestPostDataVariants(t *testing.T) {
	xml := healthy(nil)
	b64 := base64.StdEncoding.EncodeToString(xml)
	enc := url.QueryEscape(b64)
	relayEnc := url.QueryEscape(fixture.RelayState() + "?destination=%2Fccp-v2")
	entry := func(postData string) []byte {
		return []byte(`{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-11-20T09:00:01.000Z","request":{"method":"POST","url":"https://signin.aws.amazon.com/saml","postData":` + postData + `},"response":{"status":302,"headers":[],"content":{"size":0}}}]}}`)
	}
	tests := []struct{ name, postData string }{
		{"text only", `{"mimeType":"application/x-www-form-urlencoded","text":"SAMLResponse=` + enc + `&RelayState=` + relayEnc + `"}`},
		{"encoded params only (Chrome)", `{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"SAMLResponse","value":"` + enc + `"},{"name":"RelayState","value":"` + relayEnc + `"}]}`},
		{"decoded params only (Firefox)", `{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"SAMLResponse","value":"` + b64 + `"},{"name":"RelayState","value":"` + fixture.RelayState() + `?destination=%2Fccp-v2"}]}`},
		{"base64 with line breaks", `{"mimeType":"application/x-www-form-urlencoded","text":"SAMLResponse=` + url.QueryEscape(wrap(b64, 76)) + `&RelayState=` + relayEnc + `"}`},
		{"unpadded base64", `{"mimeType":"application/x-www-form-urlencoded","text":"SAMLResponse=` + strings.TrimRight(b64, "=") + `&RelayState=` + relayEnc + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "p.har", entry(tt.postData))
			if len(c.Messages) != 1 {
				t.Fatalf("%d messages, want 1", len(c.Messages))
			}
			m := c.Messages[0]
			if !bytes.Equal(m.XML, xml) {
				t.Errorf("XML differs (decode error %q)", m.DecodeError)
			}
			if want := fixture.RelayState() + "?destination=%2Fccp-v2"; m.RelayState != want {
				t.Errorf("RelayState = %q, want %q", m.RelayState, want)
			}
			if rs := signin.RelayState(m); rs == nil || rs.Destination != "/ccp-v2" {
				t.Errorf("parsed RelayState = %+v, want destination /ccp-v2", rs)
			}
		})
	}
}

func wrap(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\r\n")
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}

func TestTextAndParamsDisagree(t *testing.T) {
	a := base64.StdEncoding.EncodeToString(healthy(nil))
	b := base64.StdEncoding.EncodeToString(healthy(func(r *fixture.Response) { r.RoleSessionName = []string{"other"} }))
	har := `{"log":{"entries":[{"startedDateTime":"2026-11-20T09:00:01Z","request":{"method":"POST","url":"https://signin.aws.amazon.com/saml","postData":{"text":"SAMLResponse=` + url.QueryEscape(a) + `","params":[{"name":"SAMLResponse","value":"` + url.QueryEscape(b) + `"}]}},"response":{"status":302}}]}}`
	c := read(t, "d.har", []byte(har))
	if len(c.Messages) != 1 || c.Messages[0].AWS.RoleSessionName != "jane.doe@example.com" {
		t.Fatalf("want the message from postData.text")
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Message, "disagree") {
		t.Errorf("warnings = %+v, want one about the disagreement", c.Warnings)
	}
}

func TestEncodingsOfTheFile(t *testing.T) {
	har := fixture.HAR(fixture.Chrome, fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.NotOnboarded))
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(har)
	w.Close()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, har, "", "  "); err != nil {
		t.Fatal(err)
	}
	tests := map[string][]byte{
		"one line":        har,
		"byte-order mark": append([]byte("\xef\xbb\xbf"), har...),
		"gzip":            gz.Bytes(),
		"pretty-printed":  pretty.Bytes(),
		"CRLF and indent": bytes.ReplaceAll(pretty.Bytes(), []byte("\n"), []byte("\r\n")),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			c := read(t, "x.har", data)
			if len(c.Messages) != 1 || len(c.Messages[0].Seen) != 2 || len(c.Pages) != 3 {
				t.Errorf("%d messages, %d pages; want 1 message seen twice and 3 pages", len(c.Messages), len(c.Pages))
			}
			if c.Sources[0].Format != capture.FormatHAR || c.Sources[0].Entries != 3 {
				t.Errorf("source = %+v", c.Sources[0])
			}
		})
	}
}

func TestTruncatedHAR(t *testing.T) {
	har := fixture.HAR(fixture.Chrome, fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.NotOnboarded))
	// Cut inside the last entry (the Connect page).
	cut := bytes.LastIndex(har, []byte("Access Denied"))
	c := read(t, "cut.har", har[:cut])
	src := c.Sources[0]
	if src.Truncated == nil {
		t.Fatal("not reported as truncated")
	}
	if src.Entries != 2 || len(c.Messages) != 1 {
		t.Errorf("entries %d, messages %d; want the 2 complete entries and their message", src.Entries, len(c.Messages))
	}
	if !strings.Contains(src.Truncated.Message, "inside entry 2") || src.Truncated.Offset != int64(cut) {
		t.Errorf("truncation = %+v, want inside entry 2 at byte %d", src.Truncated, cut)
	}
	// Cut before any entry is complete: an error naming the place.
	err := readErr(har[:40])
	var ie *capture.InputError
	if !errors.As(err, &ie) || ie.Offset != 40 {
		t.Errorf("err = %v, want an InputError at byte 40", err)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"not a HAR", `{"hello":"world"}`, "neither a HAR"},
		{"entries an object", `{"log":{"entries":{"0":{"request":{}}}}}`, "log.entries is a JSON object, not an array of entries"},
		{"entries a string", `{"log":{"entries":"none"}}`, "log.entries is a JSON string"},
		{"requests an object", `{"requests":{"0":{}}}`, "requests is a JSON object, not an array"},
		{"syntax error in entry", `{"log":{"entries":[{"request":{"method":"GET",}}]}}`, "entry 0: byte 46"},
		{"empty", ``, "empty"},
		{"not SAML", `hello world, this is not base64!`, "not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readErr([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.har") {
				t.Errorf("err = %v, want it to name the file", err)
			}
		})
	}
}

// A Date header years from the request's start is not the server's clock:
// it is dropped rather than turned into a skew of centuries. A clock hours
// off is kept.
func TestImplausibleServerDate(t *testing.T) {
	tests := []struct {
		date time.Time
		want time.Time
	}{
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}},
		{time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
		{at.Add(-3 * time.Hour), at.Add(-3 * time.Hour)},
		{at.AddDate(2, 0, 0), at.AddDate(2, 0, 0)},
	}
	for _, tt := range tests {
		steps := fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.Success)
		for i := range steps {
			steps[i].ServerDate = tt.date
		}
		c := read(t, "x.har", fixture.HAR(fixture.Chrome, steps))
		if len(c.Pages) == 0 {
			t.Fatal("no pages")
		}
		for _, p := range c.Pages {
			if !p.ServerDate.Equal(tt.want) {
				t.Errorf("Date %v: server date = %v, want %v", tt.date, p.ServerDate, tt.want)
			}
		}
	}
}

func TestSAMLTracerExport(t *testing.T) {
	xml := healthy(nil)
	b64 := base64.StdEncoding.EncodeToString(xml)
	current := `{"requests":[{"method":"POST","url":"https://signin.aws.amazon.com/saml","requestId":"request-1-POST-x","requestHeaders":[{"name":"Content-Type","value":"application/x-www-form-urlencoded"}],` +
		`"post":[["SAMLResponse",` + js(b64) + `],["RelayState",` + js(fixture.RelayState()) + `]],"protocol":"SAML-P","saml":` + js(string(xml)) +
		`,"responseStatus":302,"responseStatusText":"HTTP/1.1 302 Found","responseHeaders":[{"name":"Date","value":"Fri, 20 Nov 2026 09:00:01 GMT"},{"name":"Location","value":` + js(fixture.RelayState()) + `}]}],"timestamp":"2026-11-20T09:05:00.000Z"}`
	legacy := `{"requests":[{"id":"1","method":"POST","url":"https://signin.aws.amazon.com/saml","requestHeaders":[["Content-Type","application/x-www-form-urlencoded"]],` +
		`"post":[["SAMLResponse","hashed-value"]],"saml":` + js(string(xml)) + `,"responseStatus":302,"responseHeaders":[["Date","Fri, 20 Nov 2026 09:00:01 GMT"]]}]}`
	for name, data := range map[string]string{"current": current, "legacy, masked values": legacy} {
		t.Run(name, func(t *testing.T) {
			c := read(t, "tracer.json", []byte(data))
			if c.Sources[0].Format != capture.FormatTracer {
				t.Errorf("format = %s", c.Sources[0].Format)
			}
			var found bool
			for _, m := range c.Messages {
				if bytes.Equal(m.XML, xml) {
					found = true
					if !m.Seen[0].ServerDate.Equal(at) {
						t.Errorf("server date = %v, want %v", m.Seen[0].ServerDate, at)
					}
				}
			}
			if !found {
				t.Errorf("the response was not found; messages: %+v", summarize(c))
			}
		})
	}
}

func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestBareValues(t *testing.T) {
	xml := healthy(nil)
	b64 := base64.StdEncoding.EncodeToString(xml)
	tests := map[string]string{
		"xml":               string(xml),
		"base64":            b64,
		"url-encoded":       url.QueryEscape(b64),
		"wrapped base64":    wrap(b64, 64) + "\n",
		"form body":         "SAMLResponse=" + url.QueryEscape(b64) + "&RelayState=" + url.QueryEscape(fixture.RelayState()),
		"double-encoded":    url.QueryEscape(url.QueryEscape(b64)),
		"spaces for pluses": strings.ReplaceAll(b64, "+", " "),
	}
	for name, v := range tests {
		t.Run(name, func(t *testing.T) {
			c := read(t, "value.txt", []byte(v))
			if len(c.Messages) != 1 || !bytes.Equal(c.Messages[0].XML, xml) {
				t.Fatalf("want the response back; got %+v", summarize(c))
			}
			if c.Sources[0].Format != capture.FormatValue {
				t.Errorf("format = %s", c.Sources[0].Format)
			}
		})
	}
}

func TestLargeBodies(t *testing.T) {
	big := strings.Repeat("QUFB", 3<<20) // 12 MiB of base64, as an image body
	steps := fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.NotOnboarded)
	img := fixture.Step{Time: at.Add(-time.Second), Method: "GET", URL: "https://cdn.example.com/logo.png", Status: 200, Mime: "image/png", Body: big}
	page := fixture.Step{Time: at.Add(-time.Second), Method: "GET", URL: "https://portal.example.com/", Status: 200, Mime: "text/html", Body: "<html>" + big + "</html>"}
	c := read(t, "big.har", fixture.HAR(fixture.Chrome, append([]fixture.Step{img, page}, steps...)))
	if len(c.Messages) != 1 || len(c.Messages[0].Seen) != 2 {
		t.Fatalf("the sign-in was not found among large bodies")
	}
	warned := false
	for _, w := range c.Warnings {
		if w.Entry == 1 && strings.Contains(w.Message, "not searched") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning for the HTML body over the limit: %+v", c.Warnings)
	}
}

// corpusDir is the shared test corpus; tests skip when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := fixture.CorpusDir(t)
	return dir
}

func TestCorpusDecodes(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	type want struct {
		roles    int
		accounts int
		rsn      string
	}
	aws := map[string]want{
		"gimme-aws-creds/okta_classic_aws_roles.b64":           {5, 2, "john.doe@mycorp.com"},
		"gimme-aws-creds/okta_oie_aws_roles_prettyprinted.b64": {2, 1, "test@example.com"},
		"saml2aws/aad_SAMLResponse.xml":                        {2, 2, "exampleuser@exampledomain.com"},
		"saml2aws/adfs_assertion.xml":                          {2, 1, "wolfeidau@example.com"},
		"saml2aws/shibboleth_ecp_soap_response_success.xml":    {1, 1, "user@example.com"},
		"aws-google-auth/valid-response.xml":                   {3, 1, "first.last@example.com"},
		"aws-google-auth/saml-response-too-late.xml":           {3, 1, "first.last@example.com"},
		"saml2aws/pingfed_assertion_no_namespaces.xml":         {5, 3, ""},
	}
	n := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(f, ".pem") || strings.HasSuffix(f, ".cert") || strings.HasSuffix(f, "README.md") {
			continue
		}
		n++
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := read(t, rel, data)
			if len(c.Messages) != 1 {
				t.Fatalf("%d messages", len(c.Messages))
			}
			m := c.Messages[0]
			if m.DecodeError != "" || m.ParseError != "" || m.Parsed.Kind != "Response" {
				t.Fatalf("decode %q parse %q kind %q", m.DecodeError, m.ParseError, m.Parsed.Kind)
			}
			w, hasAWS := aws[rel]
			if !hasAWS {
				if m.AWS != nil && len(m.AWS.Roles) > 0 {
					t.Errorf("unexpected AWS roles: %+v", m.AWS.Roles)
				}
				return
			}
			if m.AWS == nil || len(m.AWS.Roles) != w.roles {
				t.Fatalf("AWS view %+v, want %d roles", m.AWS, w.roles)
			}
			accounts := map[string]bool{}
			for _, r := range m.AWS.Roles {
				if r.Problem != "" || r.RoleArn == "" || r.ProviderArn == "" {
					t.Errorf("role %+v not split", r)
				}
				accounts[strings.Split(r.RoleArn, ":")[4]] = true
			}
			if len(accounts) != w.accounts {
				t.Errorf("%d accounts, want %d", len(accounts), w.accounts)
			}
			if w.rsn != "" && m.AWS.RoleSessionName != w.rsn {
				t.Errorf("RoleSessionName = %q, want %q", m.AWS.RoleSessionName, w.rsn)
			}
			// Wrapped in a HAR the same message comes out.
			steps := []fixture.Step{{Time: at, Method: "POST", URL: "https://signin.aws.amazon.com/saml", Status: 302, Form: [][2]string{{"SAMLResponse", base64.StdEncoding.EncodeToString(m.XML)}}}}
			for _, b := range []fixture.Browser{fixture.Chrome, fixture.Firefox} {
				h := read(t, "wrapped.har", fixture.HAR(b, steps))
				if len(h.Messages) != 1 || !bytes.Equal(h.Messages[0].XML, m.XML) {
					t.Errorf("wrapped in a HAR (%v) the message was not found", b)
				}
			}
		})
	}
	if n < 20 {
		t.Errorf("only %d corpus files", n)
	}
}

func TestSecretsInURLsAreMasked(t *testing.T) {
	steps := fixture.SignIn(healthy(nil), fixture.RelayState(), at, fixture.Success)
	steps[0].URL = "https://idp.example.com/cb?code=OIDCCODE123&state=STATE456&id_token=eyJhbGciOi.eyJzdWIi.SIG#access_token=ACCESS789"
	har := fixture.HAR(fixture.Chrome, steps)
	for _, show := range []bool{false, true} {
		r := signin.NewReader(capture.Options{ShowSecrets: show})
		if err := r.Read("s.har", bytes.NewReader(har)); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(r.Finish())
		for _, secret := range []string{"OIDCCODE123", "STATE456", "ACCESS789", "secret.sig"} {
			if got := strings.Contains(string(out), secret); got != show {
				t.Errorf("ShowSecrets=%v: %s present=%v", show, secret, got)
			}
		}
	}
}

// The role chooser shows one response in four places (the IdP's form,
// the POST, AWS's page of roles, the pick's POST): it is decoded once.
func TestValueDecodedOnce(t *testing.T) {
	for _, browser := range []string{"firefox", "chromium", "record"} {
		b, err := os.ReadFile(filepath.Join("testdata", browser, "role-chooser.har"))
		if err != nil {
			t.Fatal(err)
		}
		var c *capture.Capture
		n := capture.CountDecodes(func() { c = read(t, browser+".har", b) })
		if len(c.Messages) != 1 || len(c.Messages[0].Seen) != 4 || n != 1 {
			t.Errorf("%s: %d messages seen %d times, %d decodes", browser, len(c.Messages), len(c.Messages[0].Seen), n)
		}
	}
}

// tracerExport writes steps as a SAML-tracer export (its current format).
func tracerExport(steps []fixture.Step) []byte {
	var reqs []string
	for i, s := range steps {
		hdr := `[{"name":"Date","value":"Fri, 20 Nov 2026 09:00:01 GMT"}`
		if s.Location != "" {
			hdr += `,{"name":"Location","value":` + js(s.Location) + `}`
		}
		hdr += `]`
		post := ""
		if len(s.Form) > 0 {
			var f []string
			for _, kv := range s.Form {
				f = append(f, `[`+js(kv[0])+`,`+js(kv[1])+`]`)
			}
			post = `,"post":[` + strings.Join(f, ",") + `]`
		}
		status := s.Status
		if status == 0 {
			status = 200
		}
		reqs = append(reqs, fmt.Sprintf(`{"method":%s,"url":%s,"requestId":"request-%d","requestHeaders":[]%s,"responseStatus":%d,"responseHeaders":%s}`,
			js(s.Method), js(s.URL), i, post, status, hdr))
	}
	return []byte(`{"requests":[` + strings.Join(reqs, ",") + `],"timestamp":"2026-11-20T09:05:00.000Z"}`)
}

// SAML-tracer drops requests when it exports: an export whose redirects
// lead to URLs it never requests, or that starts with a POST, is reported
// as possibly missing entries; a whole one is not.
func TestSAMLTracerLostEntries(t *testing.T) {
	steps := []fixture.Step{
		{Method: "GET", URL: "https://launcher.myapps.microsoft.com/api/signin/app?tenantId=t", Status: 302, Location: "https://login.microsoftonline.com/t/saml2?SAMLRequest=x"},
		{Method: "GET", URL: "https://login.microsoftonline.com/t/saml2?SAMLRequest=x", Status: 200},
		{Method: "POST", URL: "https://signin.aws.amazon.com/saml", Form: [][2]string{{"SAMLResponse", "eA=="}}, Status: 302, Location: fixture.RelayState()},
		// The last entry's redirect was not followed before the export.
		{Method: "GET", URL: fixture.RelayState(), Status: 302, Location: "https://example-corp.my.connect.aws/ccp-v2/"},
	}
	warnings := func(c *capture.Capture) string {
		var w []string
		for _, x := range c.Warnings {
			w = append(w, fmt.Sprintf("%d: %s", x.Entry, x.Message))
		}
		return strings.Join(w, "\n")
	}
	if w := warnings(read(t, "whole.json", tracerExport(steps))); strings.Contains(w, "SAML-tracer is known to drop") {
		t.Errorf("a whole export is reported:\n%s", w)
	}
	lost := append([]fixture.Step{steps[0]}, steps[2:]...)
	w := warnings(read(t, "lost.json", tracerExport(lost)))
	if !strings.Contains(w, "0: the export does not chain: 1 redirect(s) lead to URLs it never requests (entry 0 → https://login.microsoftonline.com/t/saml2?SAMLRequest=") {
		t.Errorf("lost entry not reported:\n%s", w)
	}
	w = warnings(read(t, "post.json", tracerExport(steps[2:])))
	if !strings.Contains(w, "0: the export starts with a POST") {
		t.Errorf("a leading POST not reported:\n%s", w)
	}
}

// samldoctor record keeps the browser's own reports of what it blocked
// under log._browserReports: read with the frame and URL they concern.
func TestBrowserReports(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "record", "ccp-refused.har"))
	if err != nil {
		t.Fatal(err)
	}
	c := read(t, "ccp-refused.har", b)
	var got []string
	for _, r := range c.Reports {
		got = append(got, fmt.Sprintf("%s %d %s %s %s in %s (page %s) refused=%v", r.File, r.Index, r.Source, r.Kind, r.URL, r.FrameURL, r.PageURL, r.FrameRefused()))
		if r.Time.IsZero() || !strings.Contains(r.Text, "frame-ancestors") {
			t.Errorf("report %d: time %v, text %q", r.Index, r.Time, r.Text)
		}
	}
	want := []string{
		"ccp-refused.har 0 log content-security-policy https://example-corp.my.connect.aws/ in https://agent.example.com/ (page https://agent.example.com/) refused=true",
		"ccp-refused.har 1 audits content-security-policy https://example-corp.my.connect.aws/ in https://agent.example.com/ (page https://agent.example.com/) refused=true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A browser's export has none; the field is read wherever it is in
	// the log, its URLs masked as every URL shown, its text without
	// control characters.
	if c := read(t, "chromium.har", mustRead(t, filepath.Join("testdata", "chromium", "not-onboarded.har"))); len(c.Reports) != 0 {
		t.Errorf("Chromium's export: %d reports", len(c.Reports))
	}
	har := `{"log":{"version":"1.2","_browserReports":[{"source":"log","kind":"x-frame-options","url":"https://idp.example.com/sso?token=s3cret","frameUrl":"https://example-corp.my.connect.aws/ccp-v2/","text":"Refused to display 'https://idp.example.com/sso?token=s3cret' in a frame because it set 'X-Frame-Options' to 'deny'.\u001b[31m","reasons":["a"]}],"entries":[]}}`
	r := read(t, "xfo.har", []byte(har)).Reports
	if len(r) != 1 || !r[0].FrameRefused() || strings.Contains(r[0].URL+r[0].Text, "s3cret") || strings.ContainsRune(r[0].Text, 0x1b) || r[0].FrameURL != "https://example-corp.my.connect.aws/ccp-v2/" {
		t.Errorf("reports %+v", r)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
