package samlvalue

import (
	"bytes"
	stdxml "encoding/xml"
	"errors"
	"io"
	"net/url"
	"strings"
)

// Carried is a SAML value found in what was copied around it: a form body
// (SAMLResponse=...&RelayState=..., the HTTP-POST binding as a browser's
// network panel shows it) or a URL whose query holds it (the HTTP-Redirect
// binding).
type Carried struct {
	// Field is SAMLResponse or SAMLRequest.
	Field string
	// Value is the field's value as carried (still URL-encoded: Decode
	// undoes it).
	Value []byte
	// In says where it was: "a form body" or "a URL's query".
	In         string
	RelayState string
}

// Unwrap finds the SAML value in a copied form body or URL; ok is false
// when raw is neither (a bare value, XML).
func Unwrap(raw []byte) (c Carried, ok bool) {
	t := strings.TrimSpace(string(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	if !strings.Contains(t, "SAMLResponse=") && !strings.Contains(t, "SAMLRequest=") || strings.HasPrefix(t, "<") {
		return c, false
	}
	query, in := t, "a form body"
	if low := strings.ToLower(t); strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "http://") || strings.HasPrefix(t, "/") {
		_, q, found := strings.Cut(t, "?")
		if !found {
			return c, false
		}
		q, _, _ = strings.Cut(q, "#")
		query, in = q, "a URL's query"
	}
	for part := range strings.SplitSeq(query, "&") {
		k, v, _ := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		switch k {
		case "SAMLResponse", "SAMLRequest":
			if c.Field == "" || c.Field == "SAMLRequest" && k == "SAMLResponse" {
				c.Field, c.Value = k, []byte(strings.TrimSpace(v))
			}
		case "RelayState":
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
			c.RelayState = v
		}
	}
	c.In = in
	return c, c.Field != "" && len(c.Value) > 0
}

// EndsEarly reports whether XML stops before its root element closes, as
// a value copied only in part does; open names the element it stops in.
// XML that is wrong in another way is not reported.
func EndsEarly(doc []byte) (open string, ok bool) {
	d := stdxml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(stack) > 0 {
				return stack[len(stack)-1], true
			}
			return "", false
		}
		var se *stdxml.SyntaxError
		if err != nil {
			if errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF") {
				if len(stack) > 0 {
					return stack[len(stack)-1], true
				}
				return "", true
			}
			return "", false
		}
		switch t := tok.(type) {
		case stdxml.StartElement:
			name := t.Name.Local
			if t.Name.Space != "" {
				name = t.Name.Space + ":" + name
			}
			stack = append(stack, name)
		case stdxml.EndElement:
			if len(stack) == 0 {
				return "", false
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return "", false // the root closed
			}
		}
	}
}

// CopyWhole says how to copy a SAMLResponse whole, for a value that ends
// early.
const CopyWhole = "Copy it whole: in the browser's developer tools (F12), Network tab, select the POST to https://signin.aws.amazon.com/saml, open Payload (Chrome, Edge) or Request (Firefox), choose view source, and copy the entire SAMLResponse value; or save the sign-in as a HAR and give samldoctor the file, which avoids copying by hand."
