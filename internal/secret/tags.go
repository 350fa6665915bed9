package secret

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaskTags masks the credentials of the HTML tags written in s, wherever
// they stand: in a page, and equally in a JSON string, a script's string,
// a comment, an attribute, a URL. It does not follow HTML's parsing
// contexts (a page's parser does that, in redact), so a tag inside a
// <script>, a <!-- comment --> or a value is looked at too: it fails
// closed. A tag is a credential's when its type is password, its
// autocomplete names a password or a one-time code, or its name, id,
// property, itemprop or http-equiv is a credential's name (IsParam:
// <meta name="csrf-token">); its value and content are masked, and the
// text of such a <textarea>. An attribute named like a credential
// (data-token="x") is masked in any tag. Tags are found as written raw
// (<input), escaped for JavaScript or JSON (\u003cinput, with \" quotes),
// for HTML (&lt;input, &quot;) or percent-encoded (%3Cinput); a masked
// tag is written back in the same escaping. Two passes, each linear:
// the first reads tags as HTML does (a '>' in a quoted value is part of
// it); the second as if no tag could hold another, so that one written
// inside another (<iframe srcdoc="&lt;input ...">) or after a stray quote
// (<a title="<input type=password value=x>) is read as a tag too.
func MaskTags(s string) string { return maskTags(maskTags(s, false), true) }

// maskTags is one pass of MaskTags; blind says a tag ends at the next
// '>' or the start of another tag, quoted or not.
func maskTags(s string, blind bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		k := strings.IndexAny(s[i:], `<\&%`)
		if k < 0 {
			break
		}
		i += k
		st, n := opener(s, i)
		if n == 0 {
			i++
			continue
		}
		end := st.tagEnd(s, i+n, blind)
		tag := st.decode(s[i:end])
		masked, textarea := maskTag(tag, blind)
		if masked != tag {
			b.Grow(len(s))
			b.WriteString(s[last:i])
			b.WriteString(st.encode(masked))
			last = end
		}
		i = end
		if textarea {
			// The text of a credential's text area, up to the next tag.
			to := i
			for to < len(s) {
				if _, n := opener(s, to); n > 0 || strings.HasPrefix(s[to:], st.open) {
					break
				}
				to++
			}
			if v := s[i:to]; strings.TrimSpace(v) != "" && !IsMasked(strings.TrimSpace(v)) {
				b.Grow(len(s))
				b.WriteString(s[last:i])
				b.WriteString(Marker)
				last = to
			}
			i = to
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// escaping is how a tag is written: raw, or escaped for JavaScript,
// HTML or URLs.
type escaping struct {
	open   string   // the '<' as written, for finding the next tag
	closes []string // the forms of '>' that end a tag
	decode func(string) string
	encode func(string) string
}

var (
	rawTag = &escaping{open: "<", decode: func(s string) string { return s }, encode: func(s string) string { return s }}
	jsTag  = &escaping{open: `\u003c`, closes: []string{`\u003e`, `\u003E`, `\x3e`, `\x3E`, ">"}, decode: UnescapeJS, encode: EscapeJS}
	entTag = &escaping{open: "&lt;", closes: []string{"&gt;", "&#62;", "&#x3e;", "&#x3E;", ">"}, decode: html.UnescapeString, encode: html.EscapeString}
	urlTag = &escaping{open: "%3C", closes: []string{"%3E", "%3e", ">"}, decode: UnescapeURL, encode: url.QueryEscape}
)

// openers are the ways a tag's '<' is written.
var openers = []struct {
	form string
	st   *escaping
}{
	{"<", rawTag}, {`\u003c`, jsTag}, {`\u003C`, jsTag}, {`\x3c`, jsTag}, {`\x3C`, jsTag},
	{"&lt;", entTag}, {"&#60;", entTag}, {"&#x3c;", entTag}, {"&#x3C;", entTag},
	{"%3C", urlTag}, {"%3c", urlTag},
}

// opener says whether a tag starts at s[i] (a '<' in some escaping and a
// letter), and the length of its '<'.
func opener(s string, i int) (*escaping, int) {
	for _, o := range openers {
		if strings.HasPrefix(s[i:], o.form) {
			j := i + len(o.form)
			if j < len(s) && isLetter(s[j]) {
				return o.st, len(o.form)
			}
			return nil, 0
		}
	}
	return nil, 0
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// tagEnd is the offset after the tag whose name starts at s[j]: after
// its '>' (the end of s when there is none).
func (e *escaping) tagEnd(s string, j int, blind bool) int {
	if e == rawTag {
		_, _, end := parseAttrs(s, j-1, blind)
		return end
	}
	end, endLen := len(s), 0
	for _, c := range e.closes {
		if k := strings.Index(s[j:], c); k >= 0 && j+k < end {
			end, endLen = j+k, len(c)
		}
	}
	return end + endLen
}

// attr is one attribute of a tag: its key, its value as written, and
// where the value stands in the tag (vFrom == vTo: no value).
type attr struct {
	key, val   string
	vFrom, vTo int
}

// parseAttrs reads the tag at s[i] ('<'), as HTML's tokenizer does: its
// name, its attributes, and the offset after its '>' (the end of s when
// it has none). blind ends the tag, and a quoted value, at the next '>'
// or the start of another tag too.
func parseAttrs(s string, i int, blind bool) (name string, attrs []attr, end int) {
	stop := func(j int) bool {
		switch s[j] {
		case '>':
			return true
		case '<', '\\', '&', '%':
			_, n := opener(s, j)
			return blind && n > 0
		}
		return false
	}
	j := i + 1
	for j < len(s) && !isSpace(s[j]) && s[j] != '/' && !stop(j) {
		j++
	}
	name = strings.ToLower(s[i+1 : j])
	for {
		for j < len(s) && (isSpace(s[j]) || s[j] == '/') {
			j++
		}
		if j >= len(s) {
			return name, attrs, len(s)
		}
		if s[j] == '>' {
			return name, attrs, j + 1
		}
		if stop(j) {
			return name, attrs, j
		}
		k := j + 1 // a key may start with '='
		for k < len(s) && !isSpace(s[k]) && s[k] != '/' && s[k] != '=' && !stop(k) {
			k++
		}
		a := attr{key: strings.ToLower(s[j:k])}
		j = k
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '=' {
			j++
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if q := attrQuote(s, j); q != "" {
				// "x", 'x', or \"x\" as a JSON or JavaScript string
				// holds it.
				a.vFrom = j + len(q)
				e := strings.Index(s[a.vFrom:], q)
				if e < 0 {
					a.vTo = len(s)
				} else {
					a.vTo = a.vFrom + e
				}
				if blind {
					for k := a.vFrom; k < a.vTo; k++ {
						if stop(k) {
							a.vTo = k
							break
						}
					}
				}
				j = min(len(s), a.vTo+len(q))
				if a.vTo < len(s) && !strings.HasPrefix(s[a.vTo:], q) {
					j = a.vTo // cut at '>' or a tag: not a quote to skip
				}
			} else {
				a.vFrom = j
				for j < len(s) && !isSpace(s[j]) && !stop(j) {
					j++
				}
				a.vTo = j
			}
			a.val = html.UnescapeString(s[a.vFrom:a.vTo])
		} else {
			a.vFrom, a.vTo = j, j
		}
		attrs = append(attrs, a)
	}
}

// attrQuote is the quote an attribute value starts with at s[j], or "".
func attrQuote(s string, j int) string {
	switch {
	case j >= len(s):
		return ""
	case s[j] == '"' || s[j] == '\'':
		return s[j : j+1]
	case s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\''):
		return s[j : j+2]
	}
	return ""
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// maskTag masks the credentials of one raw tag; textarea says it opens
// a credential's text area.
func maskTag(tag string, blind bool) (string, bool) {
	name, attrs, _ := parseAttrs(tag, 0, blind)
	secretTag := false
	for _, a := range attrs {
		v := strings.ToLower(strings.TrimSpace(a.val))
		switch a.key {
		case "type":
			secretTag = secretTag || v == "password"
		case "autocomplete":
			secretTag = secretTag || strings.Contains(v, "password") || strings.Contains(v, "one-time-code")
		case "name", "id", "property", "itemprop", "http-equiv":
			secretTag = secretTag || (v != "samlresponse" && v != "samlrequest" && IsParam(a.val))
		}
	}
	var b strings.Builder
	last := 0
	for _, a := range attrs {
		mask := false
		switch {
		case a.key == "value" || a.key == "content":
			mask = secretTag
		case a.key != "name" && a.key != "type":
			mask = IsSecretName(strings.TrimPrefix(a.key, "data-"))
		}
		v := strings.TrimSpace(tag[a.vFrom:a.vTo])
		if !mask || v == "" || IsMasked(v) {
			continue
		}
		b.WriteString(tag[last:a.vFrom])
		b.WriteString(Marker)
		last = a.vTo
	}
	if last == 0 {
		return tag, secretTag && name == "textarea"
	}
	b.WriteString(tag[last:])
	return b.String(), secretTag && name == "textarea"
}

// UnescapeJS decodes the escapes of a JavaScript or JSON string
// (\uXXXX, \xXX, \", \n as a space), leaving what is not one.
func UnescapeJS(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		case 'x':
			if i+2 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
					b.WriteRune(rune(r))
					i += 2
					continue
				}
			}
			b.WriteByte('x')
		case 'n', 'r', 't', 'f':
			b.WriteByte(' ')
		default:
			b.WriteByte(s[i]) // \" \' \\ \/
		}
	}
	return b.String()
}

// EscapeJS writes s as the inside of a JavaScript or JSON string.
func EscapeJS(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '"', '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString(`\u003c`)
		case '>':
			b.WriteString(`\u003e`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// UnescapeURL decodes percent-encoding and '+', leaving an escape that
// is not one as it is.
func UnescapeURL(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
			continue
		}
		if s[i] == '+' {
			b.WriteByte(' ')
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
