package capture

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"github.com/samldoctor/samldoctor/internal/samlvalue"
	"github.com/samldoctor/samldoctor/internal/secret"
)

// The form and query fields that carry SAML.
var samlFields = []string{"SAMLResponse", "SAMLRequest"}

// process finds messages and pages in one entry. Nothing of the entry is
// kept after it returns except the (small) records it makes.
func (r *Reader) process(file string, e *entry) {
	if e.urlCut {
		r.warn(file, e, "the URL is longer than %d bytes and was cut", maxURL)
	}
	r.seeWindow(file, e)
	base := Place{File: file, Entry: e.index, Time: e.started, ServerDate: e.serverDate(), Method: e.method, URL: r.displayURL(e.url), Status: e.status}

	// Redirect binding (and SAML in any URL query).
	if q := rawQuery(e.url); q != "" {
		if vals, err := url.ParseQuery(q); err == nil {
			for _, f := range samlFields {
				for _, v := range vals[f] {
					p := base
					p.Where = "query"
					p.RelayState = vals.Get("RelayState")
					r.addValue(file, e, f, []byte(v), p)
				}
			}
		}
	}

	// POST bodies.
	if strings.EqualFold(e.method, "POST") {
		if e.postTextCut {
			r.warn(file, e, "the POST body is longer than %d bytes; only params were read", maxPostText)
		}
		form := r.postForm(file, e)
		if e.tracerSAML != "" {
			// SAML-tracer's "mask values" profile hashes POST values; its
			// stored copy of the message stands in for a value that no
			// longer decodes.
			for _, name := range samlFields {
				for i, v := range form[name] {
					if _, err := samlvalue.Decode([]byte(v)); err != nil {
						form[name][i] = e.tracerSAML
					}
				}
			}
		}
		r.fromForm(file, e, form, "post")
	}

	// SAML-tracer's own decoded copy, when the form value was not kept
	// (its "mask values" export profile hashes POST values).
	if e.tracerSAML != "" && !r.entryHasMessage(file, e.index) {
		p := base
		p.Where = "saml-tracer"
		typ := "SAMLResponse"
		if head := e.tracerSAML[:min(len(e.tracerSAML), 512)]; strings.Contains(head, "Request") && !strings.Contains(head, "Response") {
			typ = "SAMLRequest"
		}
		r.addValue(file, e, typ, []byte(e.tracerSAML), p)
	}

	// Response bodies: the IdP's auto-post page and AWS's pages.
	host := hostOf(e.url)
	stage := r.stage(e.url)
	var page *Page
	body := e.bodyBytes()
	if e.bodyCut {
		r.warn(file, e, "the response body is longer than %d bytes and was not searched", maxBody)
	}
	if len(body) > 0 && (bytes.Contains(body, []byte("SAML")) || bytes.Contains(body, []byte("saml"))) {
		for _, f := range htmlForms(body, r.choiceField()) {
			found := false
			for _, name := range samlFields {
				for _, v := range f.fields[name] {
					p := base
					p.Where = "html-form"
					p.FormAction = resolve(e.url, f.action)
					p.RelayState = first(f.fields["RelayState"])
					p.RoleChooser = len(f.roleOptions) > 0
					r.addValue(file, e, name, []byte(v), p)
					found = true
					if name == "SAMLResponse" && stage == "" {
						r.idpHosts[host] = true
					}
				}
			}
			if found || len(f.roleOptions) > 0 {
				if page == nil {
					page = r.newPage(file, e, stage)
				}
				if len(f.roleOptions) > 0 {
					page.RoleChooser = true
					page.RoleOptions = append(page.RoleOptions, f.roleOptions...)
				}
			}
		}
	}
	if strings.EqualFold(e.method, "GET") || strings.EqualFold(e.method, "POST") {
		if q := rawQuery(e.url); strings.Contains(q, "SAMLRequest=") {
			r.idpHosts[host] = true
		}
	}

	// Known error texts on AWS and Connect pages (not in the scripts
	// and styles the pages load, which can carry the same texts).
	// Pages off the path are searched too when they are HTML documents:
	// a self-hosted IdP's error page is known by its text, not its host.
	if len(body) > 0 && !isSubresource(e) && (stage != "" || strings.Contains(strings.ToLower(e.mime), "html")) {
		if ms := r.opts.Path.Errors(e.url, body, stage); len(ms) > 0 {
			if page == nil {
				page = r.newPage(file, e, stage)
			}
			page.Errors = append(page.Errors, ms...)
		}
	}
	r.seeReferrerPolicy(file, e, stage, body)
	if page == nil && r.isPathResponse(e, stage) {
		page = r.newPage(file, e, stage)
	}
	if page != nil {
		if len(r.pages) < maxPageCandidates || page.Stage != "" || len(page.Errors) > 0 && len(r.pages) < 2*maxPageCandidates {
			r.pages = append(r.pages, *page)
		}
	}
}

// isPathResponse reports whether a response is worth listing on the
// timeline: a document, a redirect or an error, on AWS, Connect or (later
// filtered) an IdP host.
func (r *Reader) isPathResponse(e *entry, stage string) bool {
	if isSubresource(e) {
		return false
	}
	if e.status >= 300 && e.status < 400 {
		return true
	}
	m := strings.ToLower(e.mime)
	if strings.Contains(m, "html") {
		return true
	}
	if stage != "" && (e.status >= 400 || e.status == 0) && (stage == "aws-signin" || stage == "connect-federation") {
		return true
	}
	return stage == "aws-signin" || stage == "connect-federation"
}

// isSubresource reports whether an entry is something a page loads
// (script, style, image, font, icon) rather than a page of the sign-in.
func isSubresource(e *entry) bool {
	switch e.resourceType {
	case "document", "":
	default:
		return true
	}
	m := strings.ToLower(e.mime)
	for _, p := range []string{"image/", "font/", "text/css", "javascript", "application/wasm"} {
		if strings.HasPrefix(m, p) || strings.Contains(m, p) {
			return true
		}
	}
	path := strings.ToLower(stripQuery(e.url))
	for _, ext := range []string{".ico", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".css", ".js", ".mjs", ".map", ".woff", ".woff2", ".ttf", ".eot"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

// originOf is the origin of the first of the URLs that has one: only the
// scheme and host, as a Referer's path and query can carry tokens.
func originOf(urls ...string) string {
	for _, s := range urls {
		if u, err := url.Parse(s); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
			return u.Scheme + "://" + u.Host
		}
	}
	return ""
}

func (r *Reader) newPage(file string, e *entry, stage string) *Page {
	p := &Page{
		File: file, Entry: e.index, Time: e.started, ServerDate: e.serverDate(),
		Method: e.method, URL: r.displayURL(e.url), Stage: stage, Status: e.status, StatusText: e.statusText,
		Location: r.displayURL(e.location()), MimeType: e.mime, host: hostOf(e.url),
		ReferrerOrigin: originOf(header(e.reqHdrs, "Referer"), header(e.reqHdrs, "Origin")),
		FetchDest:      strings.ToLower(strings.TrimSpace(header(e.reqHdrs, "Sec-Fetch-Dest"))),
		FrameAncestors: frameAncestors(e.respHdrs),
		XFrameOptions:  strings.ToUpper(strings.TrimSpace(header(e.respHdrs, "X-Frame-Options"))),
		Window:         r.window(e.pageref, e.target),
	}
	switch {
	case e.bodyCut:
		p.Body = "too-large"
	case e.bodyPresent && e.body != "":
		p.Body = "present"
	case e.bodyPresent:
		p.Body = "missing"
	case e.mime != "" && !interestingMime(e.mime):
		p.Body = "skipped"
	default:
		p.Body = "missing"
	}
	if strings.EqualFold(e.method, "POST") {
		p.Form = "missing"
		if e.postText != "" || e.postTextCut || len(e.postParams) > 0 {
			p.Form = "present"
		}
	}
	return p
}

// maxWindows bounds the tabs and popups remembered per capture.
const maxWindows = 1000

// seeWindow counts an entry in its tab or popup's span.
func (r *Reader) seeWindow(file string, e *entry) {
	key := [2]string{file, r.window(e.pageref, e.target)}
	i, ok := r.windows[key]
	if !ok {
		if len(r.windows) >= maxWindows {
			return
		}
		i = len(r.capture.Windows)
		r.windows[key] = i
		r.capture.Windows = append(r.capture.Windows, Window{File: file, ID: key[1]})
	}
	w := &r.capture.Windows[i]
	w.Entries++
	if t := e.started; !t.IsZero() {
		if w.First.IsZero() || t.Before(w.First) {
			w.First = t
		}
		if t.After(w.Last) {
			w.Last = t
		}
	}
}

// window names the tab or popup of an entry or report: the target of
// its HAR page (samldoctor record names each page's tab or popup), else
// the target that made it.
func (r *Reader) window(pageref, target string) string {
	if w := r.pageWindow[pageref]; w != "" {
		return w
	}
	return target
}

func (r *Reader) entryHasMessage(file string, idx int) bool {
	for _, m := range r.capture.Messages {
		for _, p := range m.Seen {
			if p.File == file && p.Entry == idx {
				return true
			}
		}
	}
	return false
}

func (r *Reader) warn(file string, e *entry, format string, args ...any) {
	r.capture.Warnings = append(r.capture.Warnings, Warning{File: file, Entry: e.index, Message: fmt.Sprintf(format, args...)})
}

// postForm returns the form fields of a POST. postData.text is what went on
// the wire; postData.params is the browser's parse of it (Chrome keeps the
// values URL-encoded, Firefox decodes them, SAML-tracer decodes them). When
// both exist the text wins and a disagreement is reported.
func (r *Reader) postForm(file string, e *entry) map[string][]string {
	var fromText map[string][]string
	if e.postText != "" && !e.postTextCut {
		if f, ok := parseFormBody(e.postText); ok {
			fromText = f
		}
	}
	var fromParams map[string][]string
	if len(e.postParams) > 0 {
		fromParams = map[string][]string{}
		for _, p := range e.postParams {
			v := p.value
			if !e.paramsDecode {
				v = decodeParam(p.name, v)
			}
			fromParams[p.name] = append(fromParams[p.name], v)
		}
	}
	if fromText != nil && fromParams != nil {
		for _, name := range []string{"SAMLResponse", "SAMLRequest", "RelayState"} {
			a, b := first(fromText[name]), first(fromParams[name])
			if a != "" && b != "" && !sameValue(name, a, b) {
				r.warn(file, e, "postData.text and postData.params disagree on %s; the text (what was sent) is used", name)
			}
		}
		return fromText
	}
	if fromText != nil {
		return fromText
	}
	return fromParams
}

// sameValue compares two captures of one field by what they decode to.
func sameValue(name, a, b string) bool {
	if a == b {
		return true
	}
	if name == "RelayState" {
		return false
	}
	da, err1 := samlvalue.Decode([]byte(a))
	db, err2 := samlvalue.Decode([]byte(b))
	return err1 == nil && err2 == nil && bytes.Equal(da.XML, db.XML)
}

// decodeParam URL-decodes a HAR postData.params value once when it is still
// encoded (Chrome). SAML values are left to samlvalue, which undoes any
// encoding itself; RelayState must be decoded exactly once, and only when it
// is still encoded, or its own %2F escapes would be lost.
func decodeParam(name, v string) string {
	if name == "SAMLResponse" || name == "SAMLRequest" {
		return v
	}
	if strings.Contains(v, "://") || !strings.Contains(v, "%") {
		return v
	}
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// parseFormBody parses an application/x-www-form-urlencoded body, keeping
// SAML values raw (samlvalue decodes them) and decoding the rest once.
func parseFormBody(s string) (map[string][]string, bool) {
	if !strings.Contains(s, "=") || strings.HasPrefix(strings.TrimSpace(s), "<") {
		return nil, false
	}
	out := map[string][]string{}
	for _, part := range strings.Split(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		name = strings.TrimSpace(name)
		if name != "SAMLResponse" && name != "SAMLRequest" {
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
		}
		out[name] = append(out[name], v)
	}
	return out, len(out) > 0
}

// fromForm records the SAML values of a posted form.
func (r *Reader) fromForm(file string, e *entry, form map[string][]string, where string) {
	if form == nil {
		return
	}
	for _, name := range samlFields {
		for _, v := range form[name] {
			p := Place{File: file, Entry: e.index, Time: e.started, ServerDate: e.serverDate(), Method: e.method,
				URL: r.displayURL(e.url), Where: where, Status: e.status,
				RelayState: first(form["RelayState"]), RoleIndex: first(form[r.choiceField()])}
			r.addValue(file, e, name, []byte(v), p)
		}
	}
}

func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

// form is one HTML form's SAML-relevant content.
type form struct {
	action      string
	fields      map[string][]string
	roleOptions []string
}

// htmlForms finds forms and their inputs with the HTML tokenizer, which
// decodes character references in attribute values as a browser would.
func htmlForms(body []byte, choice string) []form {
	z := html.NewTokenizer(bytes.NewReader(body))
	var forms []form
	cur := -1
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		switch string(name) {
		case "form":
			f := form{fields: map[string][]string{}}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "action" {
					f.action = string(v)
				}
			}
			forms = append(forms, f)
			cur = len(forms) - 1
		case "input", "textarea":
			var n, v, typ string
			for hasAttr {
				var k, val []byte
				k, val, hasAttr = z.TagAttr()
				switch string(k) {
				case "name":
					n = string(val)
				case "value":
					v = string(val)
				case "type":
					typ = strings.ToLower(string(val))
				}
			}
			if string(name) == "textarea" {
				if z.Next() == html.TextToken {
					v = string(z.Text())
				}
			}
			if n == "" {
				continue
			}
			if cur < 0 {
				forms = append(forms, form{fields: map[string][]string{}})
				cur = 0
			}
			if n == choice && choice != "" && typ == "radio" {
				forms[cur].roleOptions = append(forms[cur].roleOptions, v)
				continue
			}
			forms[cur].fields[n] = append(forms[cur].fields[n], v)
		}
	}
	return forms
}

// choiceField is the form field the service provider's chooser posts
// (AWS's role chooser: roleIndex); "" without rules.
func (r *Reader) choiceField() string {
	if r.opts.Path == nil {
		return ""
	}
	return r.opts.Path.ChoiceField()
}

// stage is the stage of a URL on the sign-in path (Options.Path); "" for
// other URLs, and for all without rules.
func (r *Reader) stage(raw string) string {
	if r.opts.Path == nil {
		return ""
	}
	return r.opts.Path.Stage(raw)
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func rawQuery(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		q := raw[i+1:]
		if j := strings.IndexByte(q, '#'); j >= 0 {
			q = q[:j]
		}
		return q
	}
	return ""
}

func stripQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

func resolve(base, ref string) string {
	if ref == "" {
		return base
	}
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	u, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return u.String()
}

// displayURL returns a URL fit for output: SAML values (printed decoded
// elsewhere) are replaced by "…", and credential values by "REDACTED"
// unless ShowSecrets is set.
func (r *Reader) displayURL(raw string) string {
	if !strings.ContainsAny(raw, "?#") {
		return raw
	}
	samlOnly := func(name, value string) (string, bool) {
		if name == "SAMLRequest" || name == "SAMLResponse" {
			return "…", true
		}
		return "", false
	}
	if r.opts.ShowSecrets {
		i := strings.IndexByte(raw, '?')
		if i < 0 {
			return raw
		}
		parts := strings.Split(raw[i+1:], "&")
		for k, p := range parts {
			if name, _, ok := strings.Cut(p, "="); ok && (name == "SAMLRequest" || name == "SAMLResponse") {
				parts[k] = name + "=…"
			}
		}
		return raw[:i+1] + strings.Join(parts, "&")
	}
	return secret.MaskURL(raw, samlOnly)
}
