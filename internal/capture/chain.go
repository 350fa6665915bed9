package capture

import (
	"fmt"
	"net/url"
	"strings"
)

// chainCheck notices a SAML-tracer export that lost requests: SAML-tracer
// is known to drop requests when it exports, which leaves redirects to
// URLs the export never requests, or a POST with no page before it.
type chainCheck struct {
	// last is the last entry that requested each URL (without fragment).
	last      map[string]int
	redirects []chainRedirect
	firstPost int // the first entry when it is a POST; -1 otherwise
	seen      int
	lastEntry int
}

type chainRedirect struct {
	entry  int
	target string
}

// maxChainURLs bounds what the check holds: past it, it stops.
const maxChainURLs = 100000

func (c *chainCheck) see(e *entry) {
	if c.seen == 0 {
		c.firstPost = -1
		if strings.EqualFold(e.method, "POST") {
			c.firstPost = e.index
		}
	}
	c.seen++
	c.lastEntry = e.index
	if len(c.last) >= maxChainURLs {
		return
	}
	c.last[chainKey(e.url)] = e.index
	if e.status >= 300 && e.status < 400 && e.status != 304 {
		if loc := e.location(); loc != "" {
			if t := resolve(e.url, loc); strings.HasPrefix(t, "http") {
				c.redirects = append(c.redirects, chainRedirect{e.index, chainKey(t)})
			}
		}
	}
}

func chainKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// checkChain warns, once per file, when the export does not chain.
func (r *Reader) checkChain(file string, c *chainCheck) {
	if c.seen == 0 || len(c.last) >= maxChainURLs {
		return
	}
	// A redirect in the last entry was not followed before the export
	// was made: that is where the recording stopped, not a lost entry.
	lost := func(rd chainRedirect) bool {
		at, ok := c.last[rd.target]
		return rd.entry != c.lastEntry && (!ok || at <= rd.entry)
	}
	var broken []string
	first, n := -1, 0
	for _, rd := range c.redirects {
		if lost(rd) {
			n++
			if first < 0 {
				first = rd.entry
			}
			if len(broken) < 3 {
				broken = append(broken, fmt.Sprintf("entry %d → %s", rd.entry, r.displayURL(rd.target)))
			}
		}
	}
	const why = "SAML-tracer is known to drop requests when it exports, so entries may be missing; a HAR saved from the browser's developer tools (Network tab, Preserve log) holds them all"
	if len(broken) > 0 {
		r.capture.Warnings = append(r.capture.Warnings, Warning{File: file, Entry: first, Code: WarnEntriesLost,
			Message: fmt.Sprintf("the export does not chain: %d redirect(s) lead to URLs it never requests (%s); %s", n, strings.Join(broken, ", "), why)})
	}
	if c.firstPost >= 0 {
		r.capture.Warnings = append(r.capture.Warnings, Warning{File: file, Entry: c.firstPost, Code: WarnEntriesLost,
			Message: "the export starts with a POST, with no page before it that sent it; " + why})
	}
}
