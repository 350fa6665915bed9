package capture

import (
	"bytes"
	"strings"
	"time"

	"golang.org/x/net/html"
)

// ReferrerPolicy is the referrer policy of a document off the sign-in
// path (an agent application's page that frames the CCP), set by its
// Referrer-Policy response header or a <meta name="referrer"> in its body:
// how much of its URL the browser sends with the requests it makes,
// frames included. Only documents that set one are kept.
type ReferrerPolicy struct {
	File   string
	Entry  int
	Time   time.Time
	URL    string
	Window string
	// FetchDest is the document request's Sec-Fetch-Dest ("document" for
	// a tab's page).
	FetchDest string
	// Policy is the policy in effect as the browser reads it: the last
	// token it knows of the header, overridden by a meta element's
	// (legacy values mapped); lower case.
	Policy string
	// From is "header" or "meta"; Value is the header or content as
	// written.
	From, Value string
}

// Origin is the document's origin (scheme, host and port).
func (p ReferrerPolicy) Origin() string { return originOf(p.URL) }

// SendsOrigin reports whether a document with this policy sends its
// origin with a cross-origin request to an HTTPS URL (the CCP's frame):
// every policy does but no-referrer and same-origin (MDN,
// Referrer-Policy; strict-origin and strict-origin-when-cross-origin
// withhold it only on a downgrade to HTTP).
func (p ReferrerPolicy) SendsOrigin() bool {
	return p.Policy != "no-referrer" && p.Policy != "same-origin"
}

// referrerPolicies are the tokens of the Referrer Policy specification.
var referrerPolicies = map[string]bool{
	"no-referrer": true, "no-referrer-when-downgrade": true, "same-origin": true, "origin": true,
	"strict-origin": true, "origin-when-cross-origin": true, "strict-origin-when-cross-origin": true, "unsafe-url": true,
}

// IsReferrerPolicy reports whether v is one of the Referrer Policy
// specification's tokens.
func IsReferrerPolicy(v string) bool { return referrerPolicies[v] }

// headerPolicy reads a Referrer-Policy header (every line of it, joined
// by commas): the last token that is a policy wins, unknown tokens are
// ignored, so that a site may name a new policy before an older one.
func headerPolicy(h []nv) (policy, value string) {
	var vals []string
	for _, x := range h {
		if strings.EqualFold(x.name, "Referrer-Policy") {
			vals = append(vals, x.value)
		}
	}
	value = strings.Join(vals, ", ")
	for _, tok := range strings.Split(value, ",") {
		if t := strings.ToLower(strings.TrimSpace(tok)); referrerPolicies[t] {
			policy = t
		}
	}
	return policy, value
}

// legacyMeta are the meta element's older values (HTML, "Referrer
// policy" of the meta element).
var legacyMeta = map[string]string{"never": "no-referrer", "default": "strict-origin-when-cross-origin",
	"always": "unsafe-url", "origin-when-crossorigin": "origin-when-cross-origin"}

// metaPolicy reads the last <meta name="referrer" content="..."> of an
// HTML body whose content is a policy: each such element sets the
// document's policy as it is parsed, before the page's scripts make the
// frame.
func metaPolicy(body []byte) (policy, value string) {
	// No copy of the body to lower its case: "referrer" in any case but
	// a capital E is found by its tail.
	if !bytes.Contains(body, []byte("eferrer")) && !bytes.Contains(body, []byte("EFERRER")) {
		return "", ""
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return policy, value
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if string(name) != "meta" || !hasAttr {
			continue
		}
		var n, c string
		hasContent := false
		for more := true; more; {
			var k, v []byte
			k, v, more = z.TagAttr()
			switch string(k) {
			case "name":
				n = strings.ToLower(strings.TrimSpace(string(v)))
			case "content":
				c, hasContent = string(v), true
			}
		}
		if n != "referrer" || !hasContent {
			continue
		}
		t := strings.ToLower(strings.TrimSpace(c))
		if l, ok := legacyMeta[t]; ok {
			t = l
		}
		if referrerPolicies[t] {
			policy, value = t, c
		}
	}
}

// maxReferrerPolicies bounds the documents whose policy is kept.
const maxReferrerPolicies = 1000

// seeReferrerPolicy keeps the referrer policy of a document off the
// sign-in path that sets one.
func (r *Reader) seeReferrerPolicy(file string, e *entry, stage string, body []byte) {
	if stage != "" || isSubresource(e) || e.status < 200 || e.status >= 300 || len(r.capture.ReferrerPolicies) >= maxReferrerPolicies {
		return
	}
	dest := strings.ToLower(strings.TrimSpace(header(e.reqHdrs, "Sec-Fetch-Dest")))
	if dest != "" && dest != "document" && dest != "iframe" && dest != "frame" {
		return
	}
	p := ReferrerPolicy{File: file, Entry: e.index, Time: e.started, URL: r.displayURL(e.url), Window: r.window(e.pageref, e.target), FetchDest: dest}
	p.Policy, p.Value = headerPolicy(e.respHdrs)
	if p.Policy != "" {
		p.From = "header"
	}
	if strings.Contains(strings.ToLower(e.mime), "html") {
		if mp, mv := metaPolicy(body); mp != "" {
			p.Policy, p.From, p.Value = mp, "meta", mv
		}
	}
	if p.Policy == "" {
		return
	}
	r.capture.ReferrerPolicies = append(r.capture.ReferrerPolicies, p)
}
