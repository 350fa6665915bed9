package signin

import (
	"slices"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
)

// Attempt is one sign-in of a capture: the SAMLResponse posted to AWS
// sign-in (or the identity provider's error page) that ends it, with the
// pages that led to it and the answers that followed, up to the next
// attempt.
type Attempt struct {
	// Capture is the attempt alone: its pages and messages, with the
	// whole capture's sources and warnings. SubjectOf(Capture) is the
	// sign-in AWS judged in it.
	Capture *capture.Capture
	// Response is the SAMLResponse the attempt posted to AWS sign-in, the
	// message AWS judged (the first of Capture.Messages, with the places
	// of it that fall in this attempt); nil when the identity provider's
	// error page ended the attempt.
	Response *capture.Message
}

// position orders pages and places in the capture.
type position struct {
	file  string
	time  time.Time
	entry int
}

func (p position) before(q position) bool {
	if !p.time.IsZero() && !q.time.IsZero() && !p.time.Equal(q.time) {
		return p.time.Before(q.time)
	}
	if p.file != q.file {
		return p.file < q.file
	}
	return p.entry < q.entry
}

func pagePos(p capture.Page) position   { return position{p.File, p.Time, p.Entry} }
func placePos(p capture.Place) position { return position{p.File, p.Time, p.Entry} }

// end is what ends one sign-in: a SAMLResponse posted to AWS sign-in, or
// an identity provider's error page (the IdP stopped it; no SAML follows).
type end struct {
	msg   *capture.Message // nil for an error page
	place capture.Place
	at    position
}

// Attempts cuts a capture into its sign-ins: one per SAMLResponse POST to
// AWS sign-in (a role chooser's second POST of the same response is the
// same sign-in), and one per IdP error page. Each holds the IdP pages
// since the previous sign-in's answers, its POST or error page, and the
// answers up to the next sign-in. A capture with at most one such end is
// one attempt: nil. The cut is linear in the capture's pages and places
// (bar the sorts).
func Attempts(c *capture.Capture) []Attempt {
	var ends []end
	for _, m := range c.Messages {
		if m.Type != "SAMLResponse" {
			continue
		}
		for _, p := range m.Seen {
			if p.Where == "post" && p.SignIn && p.RoleIndex == "" {
				ends = append(ends, end{msg: m, place: p, at: placePos(p)})
			}
		}
	}
	for _, p := range c.Pages {
		if p.Stage == StageIdP && hasIdPError(p) {
			ends = append(ends, end{at: pagePos(p)})
		}
	}
	if len(ends) < 2 {
		return nil
	}
	slices.SortStableFunc(ends, func(a, b end) int { return cmpPos(a.at, b.at) })
	// Where each attempt starts: at the first IdP page after the previous
	// end, else at its own end. The IdP pages are sorted once by
	// position; the pages between two ends are a run of them, and the
	// runs of different attempts do not overlap, so this is linear.
	type idpPage struct {
		at    position
		index int // in c.Pages: the first in the capture's order wins
	}
	var idps []idpPage
	for i, p := range c.Pages {
		if p.Stage == StageIdP {
			idps = append(idps, idpPage{pagePos(p), i})
		}
	}
	slices.SortStableFunc(idps, func(a, b idpPage) int { return cmpPos(a.at, b.at) })
	starts := make([]position, len(ends))
	starts[0] = position{}
	for k := 1; k < len(ends); k++ {
		starts[k] = ends[k].at
		prev := ends[k-1].at
		lo, _ := slices.BinarySearchFunc(idps, prev, func(p idpPage, t position) int {
			if prev.before(p.at) {
				return 1
			}
			return -1
		})
		best := -1
		for _, p := range idps[lo:] {
			if !p.at.before(starts[k]) {
				break
			}
			if prev.before(p.at) && (best < 0 || p.index < idps[best].index) {
				best = lo
			}
			lo++
		}
		if best >= 0 {
			starts[k] = idps[best].at
		}
	}
	// attemptOf is the attempt a position falls in: the last whose start
	// is not after it.
	attemptOf := func(at position) int {
		k, _ := slices.BinarySearchFunc(starts[1:], at, func(s, t position) int {
			if t.before(s) {
				return 1
			}
			return -1
		})
		return k
	}
	out := make([]*capture.Capture, len(ends))
	as := make([]Attempt, len(ends))
	for k, e := range ends {
		out[k] = &capture.Capture{Sources: c.Sources, Warnings: c.Warnings, Pages: []capture.Page{}, Messages: []*capture.Message{}}
		as[k].Capture = out[k]
		if e.msg != nil {
			m := *e.msg
			m.Seen = nil
			out[k].Messages = append(out[k].Messages, &m)
			as[k].Response = &m
		}
	}
	for _, p := range c.Pages {
		k := attemptOf(pagePos(p))
		out[k].Pages = append(out[k].Pages, p)
	}
	// Each end's message keeps the places that fall in its attempt; the
	// other messages go to the attempt of their first place.
	ended := map[*capture.Message]bool{}
	for _, e := range ends {
		if e.msg != nil {
			ended[e.msg] = true
		}
	}
	for _, m := range c.Messages {
		if ended[m] {
			for _, p := range m.Seen {
				k := attemptOf(placePos(p))
				if ends[k].msg == m {
					own := out[k].Messages[0]
					own.Seen = append(own.Seen, p)
				}
			}
			continue
		}
		if m.Type != "SAMLResponse" && len(m.Seen) > 0 {
			k := attemptOf(placePos(m.Seen[0]))
			out[k].Messages = append(out[k].Messages, m)
		}
	}
	return as
}

// cmpPos orders positions as before does.
func cmpPos(a, b position) int {
	if a.before(b) {
		return -1
	}
	if b.before(a) {
		return 1
	}
	return 0
}

func hasIdPError(p capture.Page) bool {
	for _, e := range p.Errors {
		if e.ID == errorpage.IdPErrorPage {
			return true
		}
	}
	return false
}
