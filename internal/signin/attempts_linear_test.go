package signin

import (
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
)

// splitAttemptsQuadratic is Attempts as it was before it was made
// linear (each attempt scanned every page and message): the reference the
// linear one must agree with.
func splitAttemptsQuadratic(c *capture.Capture) []*capture.Capture {
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
	stableSortEnds(ends)
	starts := make([]position, len(ends))
	for k := 1; k < len(ends); k++ {
		starts[k] = ends[k].at
		prev := ends[k-1].at
		for _, p := range c.Pages {
			pp := pagePos(p)
			if !prev.before(pp) || !pp.before(starts[k]) {
				continue
			}
			if p.Stage == StageIdP {
				starts[k] = pp
				break
			}
		}
	}
	in := func(k int, at position) bool {
		if k > 0 && at.before(starts[k]) {
			return false
		}
		return k == len(ends)-1 || at.before(starts[k+1])
	}
	var out []*capture.Capture
	for k, e := range ends {
		sub := &capture.Capture{Sources: c.Sources, Warnings: c.Warnings, Pages: []capture.Page{}, Messages: []*capture.Message{}}
		for _, p := range c.Pages {
			if in(k, pagePos(p)) {
				sub.Pages = append(sub.Pages, p)
			}
		}
		if e.msg != nil {
			m := *e.msg
			m.Seen = nil
			for _, p := range e.msg.Seen {
				if in(k, placePos(p)) {
					m.Seen = append(m.Seen, p)
				}
			}
			sub.Messages = append(sub.Messages, &m)
		}
		for _, other := range c.Messages {
			if other != e.msg && other.Type != "SAMLResponse" && len(other.Seen) > 0 && in(k, placePos(other.Seen[0])) {
				sub.Messages = append(sub.Messages, other)
			}
		}
		out = append(out, sub)
	}
	return out
}

func stableSortEnds(ends []end) {
	for i := 1; i < len(ends); i++ {
		for j := i; j > 0 && ends[j].at.before(ends[j-1].at); j-- {
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
}

// randomCapture is a capture of pages and messages at random positions
// (times that tie, two files, entries out of order), with replays of one
// response, IdP error pages, requests and responses seen twice.
func randomCapture(rng *rand.Rand) *capture.Capture {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	pos := func() (string, time.Time, int) {
		return []string{"a.har", "b.har"}[rng.Intn(2)], t0.Add(time.Duration(rng.Intn(30)) * time.Second), rng.Intn(40)
	}
	c := &capture.Capture{}
	for range rng.Intn(25) {
		f, at, e := pos()
		p := capture.Page{File: f, Time: at, Entry: e, Stage: []string{StageIdP, StageSignIn, StageFederation}[rng.Intn(3)], URL: fmt.Sprint("https://p/", len(c.Pages))}
		if p.Stage == StageIdP && rng.Intn(4) == 0 {
			p.Errors = []capture.ErrorMark{{ID: errorpage.IdPErrorPage}}
		}
		c.Pages = append(c.Pages, p)
	}
	for i := range rng.Intn(8) {
		m := &capture.Message{Type: []string{"SAMLResponse", "SAMLResponse", "SAMLRequest"}[rng.Intn(3)], RelayState: fmt.Sprint("m", i)}
		for range 1 + rng.Intn(3) {
			f, at, e := pos()
			m.Seen = append(m.Seen, capture.Place{File: f, Time: at, Entry: e, Where: []string{"post", "post", "html-form"}[rng.Intn(3)], SignIn: rng.Intn(5) > 0, RoleIndex: []string{"", "", "1"}[rng.Intn(3)]})
		}
		c.Messages = append(c.Messages, m)
	}
	return c
}

// The linear Attempts cuts every capture as the quadratic one did, and
// each attempt's Response is its own SAMLResponse, the first message.
func TestSplitAttemptsAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	split := 0
	for i := range 20000 {
		c := randomCapture(rng)
		as := Attempts(c)
		got, want := capturesOf(as), splitAttemptsQuadratic(c)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("capture %d: split differs\ncapture %+v\ngot  %s\nwant %s", i, c, describeSplit(got), describeSplit(want))
		}
		for k, a := range as {
			if a.Response != nil && (len(a.Capture.Messages) == 0 || a.Response != a.Capture.Messages[0] || a.Response.Type != "SAMLResponse") {
				t.Fatalf("capture %d, attempt %d: Response is not the attempt's first message", i, k)
			}
			if a.Response == nil && slices.ContainsFunc(a.Capture.Messages, func(m *capture.Message) bool { return m.Type == "SAMLResponse" }) {
				t.Fatalf("capture %d, attempt %d: no Response, but a SAMLResponse of its own", i, k)
			}
		}
		if len(got) > 2 {
			split++
		}
	}
	if split < 1000 {
		t.Fatalf("only %d captures split in three or more: the generator tests little", split)
	}
}

// capturesOf is the attempts' captures; nil for none.
func capturesOf(as []Attempt) []*capture.Capture {
	if as == nil {
		return nil
	}
	out := make([]*capture.Capture, len(as))
	for k, a := range as {
		out[k] = a.Capture
	}
	return out
}

func describeSplit(subs []*capture.Capture) string {
	var b strings.Builder
	for k, s := range subs {
		fmt.Fprintf(&b, "[%d:", k)
		for _, p := range s.Pages {
			b.WriteString(" " + p.URL)
		}
		for _, m := range s.Messages {
			fmt.Fprintf(&b, " %s/%d", m.RelayState, len(m.Seen))
		}
		b.WriteString("]")
	}
	return b.String()
}

// manyEnds is a capture of n sign-ins as Attempts sees them: for
// each, the IdP's page, the POST of its own response, and AWS's answer.
func manyEnds(n int) *capture.Capture {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	c := &capture.Capture{}
	for i := range n {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		c.Pages = append(c.Pages,
			capture.Page{File: "c.har", Entry: 3 * i, Time: at, Stage: StageIdP},
			capture.Page{File: "c.har", Entry: 3*i + 1, Time: at.Add(time.Second), Stage: StageSignIn},
			capture.Page{File: "c.har", Entry: 3*i + 2, Time: at.Add(2 * time.Second), Stage: StageFederation})
		c.Messages = append(c.Messages, &capture.Message{Type: "SAMLResponse", Seen: []capture.Place{
			{File: "c.har", Entry: 3 * i, Time: at, Where: "html-form"},
			{File: "c.har", Entry: 3*i + 1, Time: at.Add(time.Second), Where: "post", SignIn: true}}})
	}
	return c
}

// Cutting a capture of 50,000 sign-ins into attempts is linear: each
// attempt once scanned every page and message (8,000 sign-ins took 25 s to
// diagnose). The guard fails at a hundred times the linear cost.
func TestAttemptsLinear(t *testing.T) {
	const n = 50_000
	c := manyEnds(n)
	done := make(chan error)
	go func() {
		as := Attempts(c)
		if len(as) != n {
			done <- fmt.Errorf("%d attempts, want %d", len(as), n)
			return
		}
		for i, a := range as {
			s := a.Capture
			if len(s.Pages) != 3 || len(s.Messages) != 1 || len(s.Messages[0].Seen) != 2 || a.Response != s.Messages[0] {
				done <- fmt.Errorf("attempt %d: %d pages, %d messages", i, len(s.Pages), len(s.Messages))
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("50,000 sign-ins took over 20 s to cut into attempts: it is no longer linear")
	}
}
