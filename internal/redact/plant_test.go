package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
)

// A carrier is a way a capture carries a secret: text holds it as free
// text does (a script, a body, a title), pair as a field's name and value
// (a query parameter, a cookie, a header, a form or JSON field). variant
// picks one of its spellings.
type carrier struct {
	name     string
	variants int
	text     func(s string, v int) string
	pair     func(s string, v int) (string, string)
}

var (
	passwordNames = []string{"password", "Passwd", "pf.pass", "userPassword", "j_password", "Ecom_Password", "kennwort", "credentials[passcode]", "IDToken2", "pass", "Mot_de_passe", "otp"}
	tokenNames    = []string{"access_token", "id_token", "code", "SAMLart", "SigninToken", "X-Amz-Security-Token", "X-Amz-Signature", "AuthState", "client_secret", "refresh_token", "state", "csrf_token"}
	jsonNames     = []string{"accessToken", "password", "csrfToken", "sessionId", "apiKey", "SecretAccessKey", "xsrf"}
	htmlTags      = []string{
		`<input type="password" name="pw" value="%s">`, `<meta name="csrf-token" content="%s">`, `<textarea name="password">%s</textarea>`,
		`<input autocomplete="current-password" value='%s'>`, `<div data-access-token="%s"></div>`, `<INPUT TYPE=PASSWORD VALUE=%s>`,
	}
	scripts = []string{
		`var csrf='%s';`, `window["token"] = "%s";`, `xhr.setRequestHeader("X-CSRF-Token", "%s");`,
		`localStorage.setItem('id_token', '%s');`, `window.accessToken = "%s";`, `const cfg = {"access_token":"%s"};`,
	}
	awsLines = []string{"AWS_SECRET_ACCESS_KEY=%s", "aws_session_token = %s", "[default]\naws_secret_access_key = %s"}
)

var carriers = []carrier{
	{"password field", len(passwordNames), func(s string, v int) string { return passwordNames[v] + "=" + s },
		func(s string, v int) (string, string) { return passwordNames[v], s }},
	{"token parameter", len(tokenNames), func(s string, v int) string { return "https://app.example.com/cb?x=1&" + tokenNames[v] + "=" + s },
		func(s string, v int) (string, string) { return tokenNames[v], s }},
	{"JSON credential", len(jsonNames), func(s string, v int) string { return `{"` + jsonNames[v] + `":"` + s + `"}` },
		func(s string, v int) (string, string) { return jsonNames[v], s }},
	{"HTML control", len(htmlTags), func(s string, v int) string { return fmt.Sprintf(htmlTags[v], s) },
		func(s string, v int) (string, string) { return "page", fmt.Sprintf(htmlTags[v], s) }},
	{"script assignment", len(scripts), func(s string, v int) string { return fmt.Sprintf(scripts[v], s) },
		func(s string, v int) (string, string) { return "script", fmt.Sprintf(scripts[v], s) }},
	{"JWT", 1, func(s string, _ int) string { return "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0." + s },
		func(s string, _ int) (string, string) { return "t", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0." + s }},
	{"Authorization", 1, func(s string, _ int) string { return "Authorization: Bearer " + s },
		func(s string, _ int) (string, string) { return "Authorization", "Bearer " + s }},
	{"URL user info", 1, func(s string, _ int) string { return "https://jane:" + s + "@proxy.example.com/x" },
		func(s string, _ int) (string, string) { return "next", "https://jane:" + s + "@proxy.example.com/x" }},
	{"AWS credentials", len(awsLines), func(s string, v int) string { return fmt.Sprintf(awsLines[v], s) },
		func(s string, _ int) (string, string) { return "AWS_SECRET_ACCESS_KEY", s }},
	{"SAML signature", 4, func(_ string, v int) string { return signedForm(v) },
		func(_ string, v int) (string, string) {
			if v%2 == 0 {
				return "SAMLResponse", signedForm(1)
			}
			return "wresult", signedForm(v)
		}},
}

var (
	signedOnce sync.Once
	signedXML  []byte
	signedSigs [][]byte
)

// signed is a signed SAML response and its signature values.
func signed() ([]byte, [][]byte) {
	signedOnce.Do(func() {
		at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
		signedXML = fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at, SignAssertion: true, SignResponse: true}.XML()
		for _, m := range regexp.MustCompile(`<ds:SignatureValue>([^<]+)</ds:SignatureValue>`).FindAllSubmatch(signedXML, -1) {
			signedSigs = append(signedSigs, m[1])
		}
	})
	return signedXML, signedSigs
}

// signedForm is the signed response as XML (0), base64 (1), base64
// wrapped at 76 columns (2), or XML with its SignatureValues as CDATA (3).
func signedForm(v int) string {
	xml, _ := signed()
	b64 := base64.StdEncoding.EncodeToString(xml)
	switch v % 4 {
	case 1:
		return b64
	case 2:
		var w strings.Builder
		for i := 0; i < len(b64); i += 76 {
			w.WriteString(b64[i:min(i+76, len(b64))] + "\r\n")
		}
		return w.String()
	case 3:
		return regexp.MustCompile(`(<ds:SignatureValue>)([^<]+)(</ds:SignatureValue>)`).ReplaceAllString(string(xml), "$1<![CDATA[$2]]>$3")
	}
	return string(xml)
}

// A position is a place in a HAR; it puts a carrier's text or pair there.
type position struct {
	name string
	put  func(h *plantHAR, text, n, v string)
}

// plantHAR is a HAR of one entry, built as maps so that any member can be
// set.
type plantHAR struct {
	log, entry, req, resp map[string]any
}

func newPlantHAR() *plantHAR {
	req := map[string]any{"method": "POST", "url": "https://idp.example.org/p", "httpVersion": "HTTP/1.1", "headers": []any{}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0}
	resp := map[string]any{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{}, "content": map[string]any{"size": 0, "mimeType": "text/html"}, "redirectURL": "", "headersSize": -1, "bodySize": -1}
	entry := map[string]any{"startedDateTime": "2026-11-20T09:00:00.000Z", "time": 1, "request": req, "response": resp, "cache": map[string]any{}, "timings": map[string]any{"send": 0, "wait": 1, "receive": 0}}
	log := map[string]any{"version": "1.2", "creator": map[string]any{"name": "WebInspector", "version": "537.36"}, "pages": []any{}, "entries": []any{entry}}
	return &plantHAR{log: log, entry: entry, req: req, resp: resp}
}

func (h *plantHAR) bytes() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]any{"log": h.log})
	return b.Bytes()
}

func nv(n, v string) map[string]any { return map[string]any{"name": n, "value": v} }

func appendTo(m map[string]any, key string, v any) { m[key] = append(m[key].([]any), v) }

func (h *plantHAR) body(mime, text string) {
	h.resp["content"] = map[string]any{"size": len(text), "mimeType": mime, "text": text}
}

func (h *plantHAR) post(mime, text string, params ...any) {
	pd := map[string]any{"mimeType": mime, "text": text}
	if len(params) > 0 {
		pd["params"] = params
	}
	h.req["postData"] = pd
}

func query(n, v string) string { return url.QueryEscape(n) + "=" + url.QueryEscape(v) }

var positions = []position{
	{"URL query", func(h *plantHAR, _, n, v string) {
		h.req["url"] = "https://idp.example.org/p?" + query(n, v) + "&x=1"
		appendTo(h.req, "queryString", nv(n, v))
	}},
	{"URL fragment", func(h *plantHAR, _, n, v string) { h.req["url"] = "https://idp.example.org/p#x=1&" + query(n, v) }},
	{"URL carrying the text", func(h *plantHAR, text, _, _ string) {
		h.req["url"] = "https://idp.example.org/p?next=" + url.QueryEscape(text)
	}},
	{"queryString", func(h *plantHAR, _, n, v string) { appendTo(h.req, "queryString", nv(n, v)) }},
	{"request header", func(h *plantHAR, _, n, v string) { appendTo(h.req, "headers", nv(n, v)) }},
	{"request header text", func(h *plantHAR, text, _, _ string) { appendTo(h.req, "headers", nv("X-Debug-Info", text)) }},
	{"Referer", func(h *plantHAR, _, n, v string) {
		appendTo(h.req, "headers", nv("Referer", "https://idp.example.org/login?"+query(n, v)))
	}},
	{":path", func(h *plantHAR, _, n, v string) { appendTo(h.req, "headers", nv(":path", "/login?"+query(n, v))) }},
	{"Cookie header", func(h *plantHAR, _, n, v string) { appendTo(h.req, "headers", nv("Cookie", "lang=en; "+n+"="+v)) }},
	{"request cookies", func(h *plantHAR, _, n, v string) { appendTo(h.req, "cookies", nv(n, v)) }},
	{"Set-Cookie", func(h *plantHAR, _, n, v string) {
		appendTo(h.resp, "headers", nv("Set-Cookie", n+"="+v+"; Path=/; Secure"))
	}},
	{"Set-Cookie joined", func(h *plantHAR, _, n, v string) {
		appendTo(h.resp, "headers", nv("set-cookie", "a=b; Expires=Wed, 21 Oct 2026 07:28:00 GMT, "+n+"="+v+"; Path=/\nc=d"))
	}},
	{"response cookies", func(h *plantHAR, _, n, v string) { appendTo(h.resp, "cookies", nv(n, v)) }},
	{"response header text", func(h *plantHAR, text, _, _ string) { appendTo(h.resp, "headers", nv("X-Note", text)) }},
	{"Location and redirectURL", func(h *plantHAR, _, n, v string) {
		u := "https://app.example.com/cb?" + query(n, v)
		appendTo(h.resp, "headers", nv("Location", u))
		h.resp["redirectURL"] = u
	}},
	{"form text and params", func(h *plantHAR, _, n, v string) {
		h.post("application/x-www-form-urlencoded", "user=jane&"+query(n, v), nv("user", "jane"), nv(url.QueryEscape(n), url.QueryEscape(v)))
	}},
	{"form text", func(h *plantHAR, _, n, v string) {
		h.post("application/x-www-form-urlencoded", "user=jane&"+query(n, v))
	}},
	{"form params decoded", func(h *plantHAR, _, n, v string) { h.post("application/x-www-form-urlencoded", "", nv(n, v)) }},
	{"form field holding the text", func(h *plantHAR, text, _, _ string) {
		h.post("application/x-www-form-urlencoded", query("note", text), nv("note", url.QueryEscape(text)))
	}},
	{"JSON request field", func(h *plantHAR, _, n, v string) {
		b, _ := json.Marshal(map[string]any{"user": "jane", n: v})
		h.post("application/json", string(b))
	}},
	{"JSON request text", func(h *plantHAR, text, _, _ string) {
		b, _ := json.Marshal(map[string]any{"note": text})
		h.post("application/json;charset=UTF-8", string(b))
	}},
	{"multipart", func(h *plantHAR, text, n, v string) {
		h.post("multipart/form-data; boundary=XyZ", "--XyZ\r\nContent-Disposition: form-data; name=\""+n+"\"\r\n\r\n"+v+
			"\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"+text+"\r\n--XyZ--\r\n")
	}},
	{"plain request body", func(h *plantHAR, text, _, _ string) { h.post("text/plain", text) }},
	{"HTML page", func(h *plantHAR, text, _, _ string) {
		h.body("text/html; charset=utf-8", "<!DOCTYPE html><html><head><title>Sign in</title></head><body><p>"+text+"</p><script>"+text+"</script></body></html>")
	}},
	{"HTML form field", func(h *plantHAR, _, n, v string) {
		h.body("text/html", `<html><body><form method="post"><input type="hidden" name="`+html.EscapeString(n)+`" value="`+html.EscapeString(v)+`"></form></body></html>`)
	}},
	{"JSON answer field", func(h *plantHAR, _, n, v string) {
		b, _ := json.Marshal(map[string]any{"ok": true, "data": map[string]any{n: v}})
		h.body("application/json", string(b))
	}},
	{"JSON answer text", func(h *plantHAR, text, _, _ string) {
		b, _ := json.Marshal(map[string]any{"items": []any{"x", text}})
		h.body("application/json", string(b))
	}},
	{"script file", func(h *plantHAR, text, _, _ string) {
		h.body("application/javascript", "(function(){\n"+text+"\n})();")
	}},
	{"XML answer", func(h *plantHAR, text, _, _ string) {
		h.body("text/xml", "<r><note>"+html.EscapeString(text)+"</note></r>")
	}},
	{"plain answer", func(h *plantHAR, text, _, _ string) { h.body("text/plain", text) }},
	{"base64 HTML answer", func(h *plantHAR, text, _, _ string) {
		h.resp["content"] = map[string]any{"mimeType": "text/html", "encoding": "base64", "text": base64.StdEncoding.EncodeToString([]byte("<html><body>" + text + "</body></html>"))}
	}},
	{"base64 JSON answer", func(h *plantHAR, _, n, v string) {
		b, _ := json.Marshal(map[string]any{n: v})
		h.resp["content"] = map[string]any{"mimeType": "application/json", "encoding": "base64", "text": base64.StdEncoding.EncodeToString(b)}
	}},
	{"base64 answer of no type", func(h *plantHAR, text, _, _ string) {
		h.resp["content"] = map[string]any{"mimeType": "", "encoding": "base64", "text": base64.StdEncoding.EncodeToString([]byte(text))}
	}},
	{"page title", func(h *plantHAR, text, _, _ string) {
		h.log["pages"] = []any{map[string]any{"startedDateTime": "2026-11-20T09:00:00.000Z", "id": "page_1", "title": text, "pageTimings": map[string]any{}}}
	}},
	{"page title URL", func(h *plantHAR, _, n, v string) {
		h.log["pages"] = []any{map[string]any{"id": "page_1", "title": "https://app.example.com/cb?" + query(n, v)}}
	}},
	{"_initiator", func(h *plantHAR, text, n, v string) {
		u := "https://idp.example.org/app.js?" + query(n, v)
		h.entry["_initiator"] = map[string]any{"type": "script", "url": u, "stack": map[string]any{"description": text, "callFrames": []any{map[string]any{"functionName": "f", "url": u, "lineNumber": 1}}}}
	}},
	{"WebSocket message", func(h *plantHAR, text, n, v string) {
		b, _ := json.Marshal(map[string]any{n: v})
		h.entry["_webSocketMessages"] = []any{map[string]any{"type": "send", "time": 1, "opcode": 1, "data": text}, map[string]any{"type": "receive", "time": 2, "opcode": 1, "data": string(b)}}
	}},
	{"comments", func(h *plantHAR, text, _, _ string) { h.entry["comment"] = text; h.log["comment"] = text }},
	{"fields of other tools", func(h *plantHAR, text, n, v string) {
		h.entry["_custom"] = text
		h.log["_other"] = map[string]any{"list": []any{text, map[string]any{n: v}}}
	}},
	{"browser report", func(h *plantHAR, text, n, v string) {
		h.log["_browserReports"] = []any{map[string]any{"source": "log", "url": "https://idp.example.org/?" + query(n, v), "text": text}}
	}},
}

// planted builds the HAR with the carrier's secret s at the position,
// the text between filler.
func planted(c carrier, variant int, p position, s, filler string) []byte {
	h := newPlantHAR()
	text := c.text(s, variant)
	if filler != "" {
		text = filler + "\n" + text + "\n" + filler
	}
	n, v := c.pair(s, variant)
	p.put(h, text, n, v)
	return h.bytes()
}

var b64Runs = regexp.MustCompile(`(?:[A-Za-z0-9+/_-]|%2[BbFf]|\\r\\n|\r\n){16,}={0,2}`)

// survivor says where the redacted HAR out still holds secret s (or, for
// the signature carrier, a signature value), or "".
func survivor(out []byte, s string, sigs bool) string {
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		return "the output is not JSON"
	}
	found := ""
	var look func(where, x string, depth int)
	look = func(where, x string, depth int) {
		if found != "" || depth > 3 {
			return
		}
		if sigs {
			if w := signatureIn(x); w != "" {
				found = where + ": a SignatureValue " + w
				return
			}
			_, all := signed()
			for _, sv := range all {
				if strings.Contains(x, string(sv[:32])) {
					found = where + ": a signature value"
					return
				}
			}
		} else if strings.Contains(x, s) {
			found = where
			return
		}
		if u, err := url.QueryUnescape(x); err == nil && u != x {
			look(where+" (URL-decoded)", u, depth+1)
		}
		if u := html.UnescapeString(x); u != x {
			look(where+" (HTML-decoded)", u, depth+1)
		}
		for _, run := range b64Runs.FindAllString(x, -1) {
			run = strings.NewReplacer(`\r\n`, "", "\r\n", "", "%2B", "+", "%2b", "+", "%2F", "/", "%2f", "/").Replace(run)
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
				if d, err := enc.DecodeString(run); err == nil {
					look(where+" (base64)", string(d), depth+1)
					break
				}
			}
		}
	}
	walkStrings(v, func(x string) { look("a string", x, 0) })
	return found
}

// secretFrom makes a secret of the fuzzer's bytes: letters and digits,
// 10 to 40 of them, starting with "Pz" so that no text of the HAR holds
// it by chance.
func secretFrom(b []byte) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	s := []byte("Pz")
	for _, c := range b {
		if len(s) == 40 {
			break
		}
		s = append(s, alnum[int(c)%len(alnum)])
	}
	for len(s) < 10 {
		s = append(s, 'q')
	}
	return string(s)
}

// fillerFrom keeps the printable ASCII of the fuzzer's filler, at most
// 64 bytes.
func fillerFrom(f string) string {
	var b []byte
	for i := 0; i < len(f) && len(b) < 64; i++ {
		if f[i] >= 0x20 && f[i] < 0x7f {
			b = append(b, f[i])
		}
	}
	return string(b)
}

// Every carrier, in every spelling, at every position: none survives
// redact. This is the matrix FuzzPlantedSecrets starts from.
func TestPlantedSecretsEveryPosition(t *testing.T) {
	n := 0
	for _, c := range carriers {
		for v := 0; v < c.variants; v++ {
			for _, p := range positions {
				s := "PzSecret" + fmt.Sprint(1000+n)
				har := planted(c, v, p, s, "")
				if c.name != "SAML signature" && !strings.HasPrefix(p.name, "base64") && !bytes.Contains(har, []byte(s)) {
					t.Fatalf("%s at %s: the secret is not in the input", c.name, p.name)
				}
				var out bytes.Buffer
				if _, err := redact.HAR("plant.har", bytes.NewReader(har), &out); err != nil {
					t.Fatalf("%s (%d) at %s: %v", c.name, v, p.name, err)
				}
				if where := survivor(out.Bytes(), s, c.name == "SAML signature"); where != "" {
					t.Errorf("%s (spelling %d) at %s survived in %s", c.name, v, p.name, where)
				}
				n++
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d HARs planted", n)
	}
	t.Logf("%d carriers × spellings × %d positions: %d HARs, no secret left", len(carriers), len(positions), n)
}

// FuzzPlantedSecrets plants a secret of the fuzzer's choosing, carried in
// any of the ways captures carry one and wrapped in any printable text,
// at any position of a HAR (headers, cookies, query, fragment, form text
// and params, JSON, HTML, base64 bodies, pages' titles, _initiator,
// WebSocket messages, comments, other tools' fields, browser reports),
// and asserts that redact leaves none of it, as written or URL-, HTML-
// or base64-encoded.
func FuzzPlantedSecrets(f *testing.F) {
	for i := range carriers {
		for j := range positions {
			if (i+j)%3 == 0 {
				f.Add([]byte("seed"), uint8(i), uint8(j%7), uint8(j), "")
			}
		}
		f.Add([]byte("x"), uint8(i), uint8(0), uint8(i), `<script> var a = "`)
		f.Add([]byte("y"), uint8(i), uint8(1), uint8(2*i), `&amp; %3D \u0026 <!--`)
	}
	f.Fuzz(func(t *testing.T, sec []byte, kind, variant, pos uint8, filler string) {
		c := carriers[int(kind)%len(carriers)]
		v := int(variant) % c.variants
		p := positions[int(pos)%len(positions)]
		s := secretFrom(sec)
		har := planted(c, v, p, s, fillerFrom(filler))
		var out bytes.Buffer
		if _, err := redact.HAR("plant.har", bytes.NewReader(har), &out); err != nil {
			t.Fatalf("%s at %s: %v", c.name, p.name, err)
		}
		if where := survivor(out.Bytes(), s, c.name == "SAML signature"); where != "" {
			t.Fatalf("%s (spelling %d) at %s, filler %q: %s survived in %s", c.name, v, p.name, fillerFrom(filler), s, where)
		}
	})
}
