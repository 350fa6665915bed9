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
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"

	"github.com/samldoctor/samldoctor/internal/assertion"
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
}

func (s Stats) String() string {
	return fmt.Sprintf("%d entries: removed %d header values, %d cookies, %d credential fields, %d SAML signature values, %d JWT signatures; %d bodies too large to keep",
		s.Entries, s.Headers, s.Cookies, s.Params, s.Signatures, s.JWTs, s.Bodies)
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
	err := copyObject(d, w, "log", func() error {
		return copyObject(d, w, "entries", func() error {
			sawEntries = true
			w.WriteByte('[')
			err := d.ReadArray(func(i int) error {
				e, err := readNode(d)
				if err != nil {
					return fmt.Errorf("entry %d: %w", i, err)
				}
				r.entry(e)
				r.stats.Entries++
				if i > 0 {
					w.WriteByte(',')
				}
				return writeNode(w, e)
			})
			w.WriteByte(']')
			return err
		})
	})
	w.WriteByte('\n')
	if err != nil {
		return r.stats, fmt.Errorf("%s: %w", name, err) // jsonscan errors say the byte
	}
	if !sawEntries {
		return r.stats, fmt.Errorf("%s: not a HAR (no log.entries)", name)
	}
	return r.stats, w.Flush()
}

// copyObject copies the JSON object d is at to w, except that for the key
// named into it calls descend, which copies that key's value itself.
func copyObject(d *jsonscan.Decoder, w *bufio.Writer, into string, descend func() error) error {
	w.WriteByte('{')
	first := true
	err := d.ReadObject(func(key string) error {
		if !first {
			w.WriteByte(',')
		}
		first = false
		writeString(w, key)
		w.WriteByte(':')
		if key == into {
			return descend()
		}
		n, err := readNode(d)
		if err != nil {
			return err
		}
		return writeNode(w, n)
	})
	w.WriteByte('}')
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

// url masks credential parameters and a SAMLResponse's signature.
func (r *redactor) url(u string) string {
	out := secret.MaskURL(u, func(name, value string) (string, bool) {
		if name == "SAMLResponse" {
			if v, ok := r.samlValue(value, false); ok {
				return url.QueryEscape(v), true
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
		switch n := strings.ToLower(name); {
		case n == "cookie":
			val.set(maskCookies(val.text(), "; "))
			r.stats.Headers++
		case n == "set-cookie":
			val.set(maskSetCookie(val.text()))
			r.stats.Headers++
		case secret.IsHeader(n):
			val.set(secret.Marker)
			r.stats.Headers++
		case n == "location" || n == "referer" || n == "content-location" || n == ":path":
			val.set(r.url(val.text()))
		default:
			val.set(r.jwts(val.text()))
		}
	}
}

// maskCookies keeps cookie names, for diagnosis, and removes the values.
func maskCookies(s, sep string) string {
	parts := strings.Split(s, ";")
	for i, p := range parts {
		name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[i] = name + "=" + secret.Marker
	}
	return strings.Join(parts, sep)
}

func maskSetCookie(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		first, attrs, _ := strings.Cut(line, ";")
		name, _, _ := strings.Cut(first, "=")
		l := strings.TrimSpace(name) + "=" + secret.Marker
		if attrs != "" {
			l += ";" + attrs
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
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
		case name == "SAMLResponse":
			v := val.text()
			wasEncoded := strings.Contains(v, "%")
			if nv, ok := r.samlValue(v, false); ok {
				if wasEncoded {
					nv = url.QueryEscape(nv)
				}
				val.set(nv)
			}
		case secret.IsParam(name):
			val.set(secret.Marker)
			r.stats.Params++
		default:
			val.set(r.jwts(val.text()))
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
	case strings.Contains(mime, "json") || strings.HasPrefix(strings.TrimSpace(text), "{"):
		t.set(r.jsonText(text))
	case strings.Contains(mime, "x-www-form-urlencoded") || strings.Contains(text, "SAMLResponse="):
		t.set(r.form(text))
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
		case name == "SAMLResponse":
			if nv, ok := r.samlValue(v, false); ok {
				fields[i] = k + "=" + url.QueryEscape(nv)
			}
		case secret.IsParam(name):
			fields[i] = k + "=" + secret.Marker
			r.stats.Params++
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
	b, err := json.Marshal(v)
	if err != nil {
		return r.freeText(s)
	}
	return string(b)
}

func (r *redactor) jsonValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if _, isStr := e.(string); isStr && secret.IsParam(k) {
				x[k] = secret.Marker
				r.stats.Params++
				continue
			}
			if k == "SAMLResponse" {
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
		return r.jwts(x)
	}
	return v
}

var freeTextSecret = regexp.MustCompile(`(?i)("?(?:password|passwd|pwd|client_secret|access_token|refresh_token|id_token|session_?token|api_?key)"?\s*[:=]\s*"?)([^"&\s,}]+)`)

// freeText masks credential-looking assignments and JWTs in other text.
func (r *redactor) freeText(s string) string {
	out := freeTextSecret.ReplaceAllStringFunc(s, func(m string) string {
		sub := freeTextSecret.FindStringSubmatch(m)
		r.stats.Params++
		return sub[1] + secret.Marker
	})
	return r.jwts(out)
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
		raw, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return
		}
		if !strings.Contains(mime, "html") && !strings.Contains(mime, "json") && !strings.Contains(mime, "text") && !strings.Contains(mime, "xml") && !strings.Contains(mime, "javascript") {
			return // images, fonts: nothing to redact
		}
		body = string(raw)
	}
	switch {
	case strings.Contains(mime, "html") || strings.HasPrefix(strings.TrimSpace(body), "<"):
		body = r.html(body)
	case strings.Contains(mime, "json"):
		body = r.jsonText(body)
	default:
		body = r.freeText(body)
	}
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	t.set(body)
}

// html rewrites SAMLResponse and credential inputs; every other token is
// copied byte for byte.
func (r *redactor) html(s string) string {
	if !strings.Contains(s, "input") && !strings.Contains(s, "INPUT") {
		return r.jwts(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := string(z.Raw())
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.WriteString(raw)
			continue
		}
		tok := z.Token()
		if tok.Data != "input" {
			b.WriteString(raw)
			continue
		}
		name := ""
		for _, a := range tok.Attr {
			if a.Key == "name" {
				name = a.Val
			}
		}
		changed := false
		for i, a := range tok.Attr {
			if a.Key != "value" {
				continue
			}
			switch {
			case name == "SAMLResponse":
				if nv, ok := r.samlValue(a.Val, false); ok {
					tok.Attr[i].Val, changed = nv, true
				}
			case secret.IsParam(name):
				tok.Attr[i].Val, changed = secret.Marker, true
				r.stats.Params++
			}
		}
		if changed {
			b.WriteString(tok.String())
		} else {
			b.WriteString(raw)
		}
	}
	return r.jwts(b.String())
}

var signatureValueRE = regexp.MustCompile(`(<(?:[\w.-]+:)?SignatureValue\b[^>]*>)[^<]*(</(?:[\w.-]+:)?SignatureValue>)`)

// SignatureValues replaces the text of every SignatureValue element in xml
// with marker, keeping everything else byte for byte, and says how many it
// replaced. Without its signature values an assertion cannot be replayed.
func SignatureValues(xml []byte, marker string) ([]byte, int) {
	n := 0
	out := signatureValueRE.ReplaceAllFunc(xml, func(m []byte) []byte {
		n++
		sub := signatureValueRE.FindSubmatch(m)
		return append(append(append([]byte{}, sub[1]...), marker...), sub[2]...)
	})
	return out, n
}

// samlValue removes the SignatureValue of every signature in a SAML value
// and returns it encoded as before (base64, DEFLATE for the redirect
// binding). Everything else in the XML is kept byte for byte.
func (r *redactor) samlValue(v string, deflated bool) (string, bool) {
	dec, err := samlvalue.Decode([]byte(v))
	if err != nil {
		if errors.Is(err, samlvalue.ErrTooLarge) {
			return secret.Marker, true
		}
		return "", false
	}
	xml, n := SignatureValues(dec.XML, assertion.RedactedSignature)
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
