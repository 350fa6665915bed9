// Package redact writes a HAR that is safe to attach to a support ticket:
// cookie and credential headers, passwords in login forms, tokens in URLs,
// bodies and JSON, and the SignatureValue of every SAML message (so the
// assertion can no longer be replayed) are removed, and everything the
// diagnosis reads is kept. The HAR is streamed entry by entry.
package redact

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
	"github.com/samldoctor/samldoctor/internal/secret"
)

// Stats counts what was removed.
type Stats struct {
	Entries    int
	Headers    int
	Cookies    int
	Params     int
	Signatures int
	Bodies     int
	JWTs       int
	// Opaque counts values removed whole because they looked like SAML
	// (or a long base64 blob) and could not be read: what cannot be
	// checked is not kept.
	Opaque int
	// Truncated says where an input that ends early stopped; the entries
	// before it were written.
	Truncated string
}

func (s Stats) String() string {
	out := fmt.Sprintf("%s: removed %d header values, %d cookies, %d credential fields, %d SAML signature values, %d JWT signatures; %d bodies too large to keep",
		capture.CountEntries(s.Entries), s.Headers, s.Cookies, s.Params, s.Signatures, s.JWTs, s.Bodies)
	if s.Opaque > 0 {
		out += fmt.Sprintf("; %d values that looked like SAML or encoded data and could not be read, removed whole", s.Opaque)
	}
	return out
}

// HAR reads a HAR from in and writes the redacted HAR to out.
func HAR(name string, in io.Reader, out io.Writer) (Stats, error) {
	r := &redactor{}
	d := jsonscan.NewDecoder(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<20)
	if k, err := d.Peek(); err != nil || k != jsonscan.Object {
		return r.stats, fmt.Errorf("%s: not a HAR (expected a JSON object)", name)
	}
	sawEntries := false
	log := func() error {
		return streamObject(d, w, 1, map[string]func() error{
			"entries": func() error {
				sawEntries = true
				return r.items(d, w, "entry", readEntry, r.entry)
			},
			// The browser's reports samldoctor record keeps.
			"_browserReports": func() error {
				if k, _ := d.Peek(); k != jsonscan.Array {
					return stream(d, w, 2)
				}
				return r.items(d, w, "report", readNode, r.report)
			},
		})
	}
	err := streamObject(d, w, 0, map[string]func() error{"log": log})
	if err != nil && jsonscan.IsTruncated(err) && r.stats.Entries > 0 {
		// The file ends early: the entries read were written, redacted,
		// and every bracket closed as the readers returned; the caller
		// says where it ended.
		var te *jsonscan.TruncatedError
		errors.As(err, &te)
		r.stats.Truncated = fmt.Sprintf("%s ends early at byte %d; the %s before it were redacted and written, what came after is not in the output", name, te.Offset, capture.CountEntries(r.stats.Entries))
		err = nil
	}
	w.WriteByte('\n')
	if err != nil {
		return r.stats, fmt.Errorf("%s: %w", name, err) // jsonscan errors say the byte
	}
	if !sawEntries {
		return r.stats, fmt.Errorf("%s: not a HAR (no log.entries)", name)
	}
	return r.stats, w.Flush()
}

// items reads the array d is at one element at a time, redacts it with
// fix and writes it: one element is held at a time. what names an
// element in errors.
func (r *redactor) items(d *jsonscan.Decoder, w *bufio.Writer, what string, read func(*jsonscan.Decoder) (*node, error), fix func(*node)) error {
	w.WriteByte('[')
	err := d.ReadArray(func(i int) error {
		n, err := read(d)
		if err != nil {
			return fmt.Errorf("%s %d: %w", what, i, err)
		}
		fix(n)
		if what == "entry" {
			r.stats.Entries++
		}
		if i > 0 {
			w.WriteByte(',')
		}
		return writeNode(w, n)
	})
	w.WriteByte(']')
	return err
}

type redactor struct {
	stats Stats
}

func (r *redactor) entry(e *node) {
	req, resp := e.get("request"), e.get("response")
	if u := req.get("url"); u != nil {
		u.set(r.url(u.text()))
	}
	r.headers(req.get("headers"))
	r.cookies(req.get("cookies"))
	r.nameValues(req.get("queryString"), false)
	if pd := req.get("postData"); pd != nil {
		r.postData(pd)
	}
	r.headers(resp.get("headers"))
	r.cookies(resp.get("cookies"))
	if u := resp.get("redirectURL"); u != nil {
		u.set(r.url(u.text()))
	}
	if c := resp.get("content"); c != nil {
		r.content(c)
	}
	// Chrome's WebSocket frames can carry anything; they are dropped.
	for i, m := range e.members {
		if m.key == "_webSocketMessages" {
			e.members[i].val = &node{kind: jsonscan.Array}
		}
	}
}

// report redacts one of the browser's reports samldoctor record keeps:
// the URLs it names and quotes, and credentials in its text.
func (r *redactor) report(rep *node) {
	for _, k := range []string{"url", "frameUrl", "pageUrl"} {
		if u := rep.get(k); u != nil {
			u.set(r.url(u.text()))
		}
	}
	if t := rep.get("text"); t != nil {
		t.set(r.freeText(quotedURL.ReplaceAllStringFunc(t.text(), func(q string) string { return "'" + r.url(q[1:len(q)-1]) + "'" })))
	}
}

// quotedURL is a URL a browser's message quotes.
var quotedURL = regexp.MustCompile(`'(https?://[^'\s]*)'`)

// url masks credential parameters and a SAMLResponse's signature.
func (r *redactor) url(u string) string {
	out := secret.MaskURL(u, func(name, value string) (string, bool) {
		if isSAMLField(name) {
			if v, ok := r.samlValue(value, false); ok {
				return url.QueryEscape(v), true
			}
		}
		if dv, err := url.QueryUnescape(value); err == nil {
			if nv := r.field(dv); nv != dv {
				return url.QueryEscape(nv), true
			}
		}
		return "", false
	})
	if out != u {
		r.stats.Params++
	}
	return r.jwts(out)
}

func (r *redactor) jwts(s string) string {
	out := secret.MaskJWTs(s)
	if out != s {
		r.stats.JWTs += strings.Count(out, "."+secret.Marker)
	}
	return out
}

func (r *redactor) headers(h *node) {
	if h == nil {
		return
	}
	for _, it := range h.items {
		name, val := it.get("name").text(), it.get("value")
		if val == nil {
			continue
		}
		switch n := strings.ToLower(strings.TrimSpace(name)); {
		case n == "set-cookie" || n == "set-cookie2":
			val.set(secret.MaskSetCookie(val.text()))
			r.stats.Headers++
		case strings.Contains(n, "cookie"):
			val.set(secret.MaskCookie(val.text()))
			r.stats.Headers++
		case secret.IsHeader(n) || secret.IsParam(n) && !isSAMLField(name):
			// A header named as a credential's field is one too.
			val.set(secret.Marker)
			r.stats.Headers++
		case n == "location" || n == "referer" || n == "content-location" || n == ":path":
			val.set(r.url(val.text()))
		default:
			val.set(r.jwts(val.text()))
		}
	}
}

func (r *redactor) cookies(c *node) {
	if c == nil {
		return
	}
	for _, it := range c.items {
		if v := it.get("value"); v != nil {
			v.set(secret.Marker)
			r.stats.Cookies++
		}
	}
}

// nameValues redacts a HAR name/value list (queryString, postData.params);
// encoded says whether the values are still URL-encoded.
func (r *redactor) nameValues(l *node, encoded bool) {
	if l == nil {
		return
	}
	for _, it := range l.items {
		name, val := it.get("name").text(), it.get("value")
		if val == nil {
			continue
		}
		switch {
		case isSAMLField(name):
			v := val.text()
			wasEncoded := strings.Contains(v, "%")
			if nv, ok := r.samlValue(v, false); ok {
				if wasEncoded && nv != secret.Marker {
					nv = url.QueryEscape(nv)
				}
				val.set(nv)
			}
		case secret.IsParam(name):
			val.set(secret.Marker)
			r.stats.Params++
		case encoded:
			// Chrome keeps form values URL-encoded: the value is looked
			// at decoded, and written back encoded when it changed.
			v := val.text()
			if dv, err := url.QueryUnescape(v); err == nil && dv != v {
				if nv := r.field(dv); nv != dv {
					val.set(url.QueryEscape(nv))
				}
				continue
			}
			val.set(r.field(v))
		default:
			val.set(r.field(val.text()))
		}
	}
}

func (r *redactor) postData(pd *node) {
	mime := strings.ToLower(pd.get("mimeType").text())
	r.nameValues(pd.get("params"), true)
	t := pd.get("text")
	if t == nil || t.cut || t.text() == "" {
		return
	}
	text := t.text()
	switch {
	case strings.Contains(mime, "multipart/"):
		t.set(r.multipart(pd.get("mimeType").text(), text)) // the boundary is case-sensitive
	case strings.Contains(mime, "json") || strings.HasPrefix(strings.TrimSpace(text), "{"):
		t.set(r.jsonText(text))
	case strings.Contains(mime, "x-www-form-urlencoded") || strings.Contains(text, "SAMLResponse="):
		t.set(r.form(text))
	case strings.Contains(mime, "xml") || strings.HasPrefix(strings.TrimSpace(text), "<"):
		t.set(r.xmlText(text))
	default:
		t.set(r.freeText(text))
	}
}

// form redacts an application/x-www-form-urlencoded body in place, field
// by field, keeping every other byte.
func (r *redactor) form(s string) string {
	fields := strings.Split(s, "&")
	for i, f := range fields {
		k, v, has := strings.Cut(f, "=")
		if !has {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		switch {
		case isSAMLField(name):
			if nv, ok := r.samlValue(v, false); ok {
				fields[i] = k + "=" + url.QueryEscape(nv)
			}
		case secret.IsParam(name):
			fields[i] = k + "=" + secret.Marker
			r.stats.Params++
		default:
			if dv, err := url.QueryUnescape(v); err == nil {
				if nv := r.field(dv); nv != dv {
					fields[i] = k + "=" + url.QueryEscape(nv)
				}
			}
		}
	}
	return r.jwts(strings.Join(fields, "&"))
}

// jsonText redacts credential fields in a JSON document.
func (r *redactor) jsonText(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return r.freeText(s)
	}
	v = r.jsonValue(v)
	// Written as found: '<' stays '<' (encoding/json would write
	// \u003c), so that what looks at the text later sees tags as tags.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return r.freeText(s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (r *redactor) jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if isScalar(e) && secret.IsParam(k) {
				x[k] = secret.Marker
				r.stats.Params++
				continue
			}
			if !isScalar(e) && !isSAMLField(k) && secret.IsSecretName(k) {
				// "credentials": {...}: everything in it.
				x[k] = r.maskAll(e)
				continue
			}
			if isSAMLField(k) {
				if s, ok := e.(string); ok {
					if nv, ok := r.samlValue(s, false); ok {
						x[k] = nv
					}
				}
				continue
			}
			x[k] = r.jsonValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = r.jsonValue(e)
		}
		return x
	case string:
		return r.field(x)
	}
	return v
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

// maskAll replaces every string and number in v.
func (r *redactor) maskAll(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = r.maskAll(e)
		}
	case []any:
		for i, e := range x {
			x[i] = r.maskAll(e)
		}
	case string, float64:
		r.stats.Params++
		return secret.Marker
	}
	return v
}

// xmlSecret matches the text of a credential element in XML: STS's
// AssumeRoleWithSAML answer (SecretAccessKey, SessionToken), passwords.
var xmlSecret = regexp.MustCompile(`(?i)(<(?:[\w.-]+:)?(?:SecretAccessKey|SessionToken|AccessKeyId|Password|ClientSecret|AccessToken|RefreshToken|IdToken)\b[^>]*>)([^<]+)(<)`)

// freeText masks credentials written in other text (secret.MaskText).
func (r *redactor) freeText(s string) string {
	out := secret.MaskText(s)
	if out != s {
		r.stats.Params += strings.Count(out, secret.Marker) - strings.Count(s, secret.Marker)
	}
	return out
}

// xmlText redacts an XML document: credential elements, the
// SignatureValue of any SAML it holds (a SOAP/ECP answer), credential
// assignments and JWTs.
func (r *redactor) xmlText(s string) string {
	out := xmlSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := xmlSecret.FindStringSubmatch(m)
		r.stats.Params++
		return sub[1] + secret.Marker + sub[3]
	})
	b, n := SignatureValues([]byte(out), assertion.RedactedSignature)
	r.stats.Signatures += n
	return r.freeText(string(b))
}

// multipart redacts a multipart/form-data body part by part, as form
// fields are; a body that does not parse as the parts its type names is
// removed whole.
func (r *redactor) multipart(mime, text string) string {
	_, params, err := mimeParse(mime)
	boundary := params["boundary"]
	if err != nil || boundary == "" || !strings.Contains(text, "--"+boundary) {
		r.stats.Opaque++
		return secret.Marker
	}
	parts := strings.Split(text, "--"+boundary)
	for i, p := range parts {
		head, body, ok := cutBlankLine(p)
		if !ok {
			continue
		}
		name := ""
		if m := partName.FindStringSubmatch(head); m != nil {
			name = m[1]
		}
		nl := "\r\n"
		if !strings.HasSuffix(body, "\r\n") {
			nl = "\n"
		}
		value := r.fieldValue(name, strings.TrimSuffix(body, nl), false)
		if strings.HasSuffix(body, nl) {
			value += nl
		}
		parts[i] = head + value
	}
	return strings.Join(parts, "--"+boundary)
}

var partName = regexp.MustCompile(`(?i)content-disposition:[^\n]*\bname="([^"]*)"`)

// cutBlankLine splits a MIME part at the blank line after its headers,
// keeping the separator with the headers.
func cutBlankLine(p string) (head, body string, ok bool) {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := strings.Index(p, sep); i >= 0 {
			return p[:i+len(sep)], p[i+len(sep):], true
		}
	}
	return "", "", false
}

// isSAMLField names the fields that carry SAML messages.
func isSAMLField(name string) bool {
	return name == "SAMLResponse" || name == "SAMLRequest"
}

// base64Blob is a value that is nothing but base64 or base64url.
var base64Blob = regexp.MustCompile(`^[A-Za-z0-9+/_-]{200,}={0,2}$`)

// field redacts a value of any other field: a SAML message carried under
// another name has its signatures removed, a long base64 blob that cannot
// be read is removed whole (it may hold one), JWTs lose their signature.
func (r *redactor) field(v string) string {
	t := strings.TrimSpace(v)
	if len(t) >= 200 && base64Blob.MatchString(strings.ReplaceAll(strings.ReplaceAll(t, "\r", ""), "\n", "")) {
		if dec, err := samlvalue.Decode([]byte(t)); err == nil && looksSAML(dec.XML) {
			if nv, ok := r.samlValue(t, false); ok {
				return nv
			}
		}
		if raw, err := decodeAny(t); err == nil && utf8.Valid(raw) && !bytes.Contains(raw, []byte("SignatureValue")) && secret.MaskText(string(raw)) == string(raw) {
			return r.jwts(v) // readable text without a signature or credential: nothing to hide here
		}
		r.stats.Opaque++
		return secret.Marker
	}
	if strings.Contains(v, "SignatureValue") {
		// XML that holds a signature, under any name: its signature
		// values go, or the whole value when they cannot be reached.
		b, n, _, left := signatureValues([]byte(v), assertion.RedactedSignature)
		if left {
			r.stats.Opaque++
			return secret.Marker
		}
		r.stats.Signatures += n
		v = string(b)
	}
	// A SAML message's base64 among other text.
	return r.freeText(base64Runs(v))
}

func decodeAny(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}

func looksSAML(xml []byte) bool {
	return bytes.Contains(xml, []byte("urn:oasis:names:tc:SAML")) || bytes.Contains(xml, []byte("SignatureValue"))
}

func textual(mime string) bool {
	for _, t := range []string{"html", "json", "text", "xml", "javascript", "ecmascript", "x-www-form-urlencoded"} {
		if strings.Contains(mime, t) {
			return true
		}
	}
	return false
}

// content redacts a response body: SAML forms and credential inputs in
// HTML, credential fields in JSON, JWTs anywhere. Bodies over the limit
// were already dropped when read.
func (r *redactor) content(c *node) {
	t := c.get("text")
	if t == nil {
		return
	}
	if t.cut {
		r.stats.Bodies++
		return
	}
	body := t.text()
	if body == "" {
		return
	}
	mime := strings.ToLower(c.get("mimeType").text())
	b64 := strings.EqualFold(c.get("encoding").text(), "base64")
	if b64 {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
		if err != nil {
			// Not base64 after all: the text is redacted as it is.
			b64 = false
		} else if !utf8.Valid(raw) && !textual(mime) {
			return // images, fonts: nothing to redact
		} else {
			body = string(raw)
		}
	}
	head := strings.ToLower(body[:min(len(body), 4096)])
	switch {
	case strings.Contains(mime, "html") || strings.Contains(head, "<html") || strings.Contains(head, "<form") || strings.Contains(head, "<!doctype html"):
		// XHTML too: an auto-post page can start with <?xml.
		body = r.xmlText(r.html(body))
	case strings.Contains(mime, "xml") || strings.HasPrefix(strings.TrimSpace(body), "<"):
		body = r.xmlText(body)
	case strings.Contains(mime, "json") || strings.HasPrefix(strings.TrimSpace(body), "{") || strings.HasPrefix(strings.TrimSpace(body), "["):
		body = r.jsonText(body)
	default:
		body = r.freeText(body)
	}
	if b64 {
		// The safety net under the rules looks at the decoded body; the
		// base64 it is written in hides it from the one at write time.
		body = base64.StdEncoding.EncodeToString([]byte(lastLook(body)))
	}
	t.set(body)
}

// html rewrites SAMLResponse and credential inputs and text areas, and
// the values of tags named like credentials (<meta name="csrf-token"
// content>, <input type="password">, data-token="..."); every other token
// is copied byte for byte. The text and the other attributes (links,
// scripts) are left to the free-text scan of the whole page, which
// looks at every byte of it.
func (r *redactor) html(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	textarea := ""
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				// The tokenizer stopped early (a token too large to
				// hold): the rest is copied, for the free-text scan.
				b.Write(z.Raw())
			}
			break
		}
		raw := z.Raw()
		switch tt {
		case html.TextToken:
			if textarea != "" {
				b.WriteString(r.fieldValue(textarea, html.UnescapeString(string(raw)), true))
			} else {
				b.Write(raw)
			}
			continue
		case html.EndTagToken:
			textarea = ""
			b.Write(raw)
			continue
		case html.StartTagToken, html.SelfClosingTagToken:
		default:
			b.Write(raw)
			continue
		}
		rawCopy := string(raw)
		tok := z.Token()
		name, secretTag := "", false
		for _, a := range tok.Attr {
			switch a.Key {
			case "name":
				name = a.Val
			case "type":
				secretTag = secretTag || strings.EqualFold(strings.TrimSpace(a.Val), "password")
			case "autocomplete":
				v := strings.ToLower(a.Val)
				secretTag = secretTag || strings.Contains(v, "password") || strings.Contains(v, "one-time-code")
			}
			switch a.Key {
			case "name", "id", "property", "itemprop", "http-equiv":
				secretTag = secretTag || (!isSAMLField(a.Val) && secret.IsParam(a.Val))
			}
		}
		if tok.Data == "textarea" && tt == html.StartTagToken {
			textarea = name
			if textarea == "" {
				textarea = "(unnamed)"
			}
			if secretTag {
				textarea = "password"
			}
		}
		changed := false
		for i, a := range tok.Attr {
			nv := a.Val
			switch {
			case a.Key == "value" && tok.Data == "input":
				if secretTag && !isSAMLField(name) {
					nv = r.marker()
				} else {
					nv = r.fieldValue(name, a.Val, false)
				}
			case (a.Key == "value" || a.Key == "content") && secretTag:
				nv = r.marker()
			case a.Key != "name" && a.Key != "type" && secret.IsSecretName(strings.TrimPrefix(a.Key, "data-")):
				nv = r.marker()
			}
			if nv != a.Val {
				tok.Attr[i].Val, changed = nv, true
			}
		}
		if changed {
			b.WriteString(tok.String())
		} else {
			b.WriteString(rawCopy)
		}
	}
	return r.jwts(b.String())
}

func (r *redactor) marker() string {
	r.stats.Params++
	return secret.Marker
}

// fieldValue redacts the value of a form control named name; escape says
// the result goes back into HTML text.
func (r *redactor) fieldValue(name, v string, escape bool) string {
	out := v
	switch {
	case isSAMLField(name):
		if nv, ok := r.samlValue(v, false); ok {
			out = nv
		}
	case secret.IsParam(name):
		out = secret.Marker
		r.stats.Params++
	default:
		out = r.field(v)
	}
	if escape {
		if out == v {
			return html.EscapeString(v)
		}
		return html.EscapeString(out)
	}
	return out
}

// samlValue removes the SignatureValue of every signature in a SAML value
// and returns it encoded as before (base64, DEFLATE for the redirect
// binding). Everything else in the XML is kept byte for byte.
func (r *redactor) samlValue(v string, deflated bool) (string, bool) {
	if strings.TrimSpace(v) == "" {
		return "", false
	}
	dec, err := samlvalue.Decode([]byte(v))
	if err != nil {
		// Not readable, so not checkable: removed whole (fail closed).
		r.stats.Opaque++
		return secret.Marker, true
	}
	xml, n, _, left := signatureValues(dec.XML, assertion.RedactedSignature)
	if err := assertion.CheckDocument(xml); err != nil || left {
		// A corrupt document, or a SignatureValue the rewrite could not
		// reach: what cannot be checked is not kept.
		r.stats.Opaque++
		return secret.Marker, true
	}
	r.stats.Signatures += n
	if dec.Compressed() || deflated {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, flate.BestCompression)
		w.Write(xml)
		w.Close()
		return base64.StdEncoding.EncodeToString(buf.Bytes()), true
	}
	if len(dec.Steps) == 1 && dec.Steps[0] == "xml" {
		return string(xml), true
	}
	return base64.StdEncoding.EncodeToString(xml), true
}

func mimeParse(v string) (string, map[string]string, error) { return mime.ParseMediaType(v) }
