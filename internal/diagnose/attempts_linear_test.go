package diagnose

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// splitAttemptsQuadratic is splitAttempts as it was before it was made
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
		if p.Stage == signin.StageIdP && hasIdPError(p) {
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
			if p.Stage == signin.StageIdP {
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
		p := capture.Page{File: f, Time: at, Entry: e, Stage: []string{signin.StageIdP, signin.StageSignIn, signin.StageFederation}[rng.Intn(3)], URL: fmt.Sprint("https://p/", len(c.Pages))}
		if p.Stage == signin.StageIdP && rng.Intn(4) == 0 {
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

// The linear splitAttempts cuts every capture as the quadratic one did.
func TestSplitAttemptsAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	split := 0
	for i := range 20000 {
		c := randomCapture(rng)
		got, want := splitAttempts(c), splitAttemptsQuadratic(c)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("capture %d: split differs\ncapture %+v\ngot  %s\nwant %s", i, c, describeSplit(got), describeSplit(want))
		}
		if len(got) > 2 {
			split++
		}
	}
	if split < 1000 {
		t.Fatalf("only %d captures split in three or more: the generator tests little", split)
	}
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

// profilePairQuadratic is twoProfiles' choice of pair as it was made
// before (every pair compared).
func profilePairQuadratic(as []Attempt, person func(*Subject) string) (Attempt, Attempt, bool) {
	for i, a := range as {
		for _, b := range as[i+1:] {
			if a.Subject == nil || b.Subject == nil || person(a.Subject) != person(b.Subject) {
				continue
			}
			ok, bad := a, b
			if a.Outcome != "reached_connect" {
				ok, bad = b, a
			}
			if ok.Outcome != "reached_connect" || bad.Outcome != "failed" {
				continue
			}
			x, y := ok.Subject, bad.Subject
			sameIssuer := x.Issuer == y.Issuer
			if x.RoleSessionName == y.RoleSessionName && x.RoleArn == y.RoleArn && sameIssuer {
				continue
			}
			if sameIssuer && bad.Index < ok.Index {
				continue
			}
			return a, b, true
		}
	}
	return Attempt{}, Attempt{}, false
}

// The linear pair search picks the pair the quadratic one picked.
func TestProfilePairAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(19))
	person := func(s *Subject) string { return s.NameID }
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	found := 0
	for i := range 50000 {
		var as []Attempt
		for k := range rng.Intn(9) {
			a := Attempt{Index: k + 1, Outcome: pick("reached_connect", "failed", "failed", "unknown")}
			if rng.Intn(8) > 0 {
				a.Subject = &Subject{NameID: pick("jane", "john"), RoleSessionName: pick("jane", "jane@x"), RoleArn: pick("r1", "r2"), Issuer: pick("i1", "i2")}
			}
			as = append(as, a)
		}
		ga, gb, gok := profilePair(as, person)
		wa, wb, wok := profilePairQuadratic(as, person)
		if gok != wok || ga.Index != wa.Index || gb.Index != wb.Index {
			t.Fatalf("case %d: got %d,%d %v; want %d,%d %v", i, ga.Index, gb.Index, gok, wa.Index, wb.Index, wok)
		}
		if gok {
			found++
		}
	}
	if found < 5000 {
		t.Fatalf("only %d cases had a pair", found)
	}
}

// manyEnds is a capture of n sign-ins as splitAttempts sees them: for
// each, the IdP's page, the POST of its own response, and AWS's answer.
func manyEnds(n int) *capture.Capture {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	c := &capture.Capture{}
	for i := range n {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		c.Pages = append(c.Pages,
			capture.Page{File: "c.har", Entry: 3 * i, Time: at, Stage: signin.StageIdP},
			capture.Page{File: "c.har", Entry: 3*i + 1, Time: at.Add(time.Second), Stage: signin.StageSignIn},
			capture.Page{File: "c.har", Entry: 3*i + 2, Time: at.Add(2 * time.Second), Stage: signin.StageFederation})
		c.Messages = append(c.Messages, &capture.Message{Type: "SAMLResponse", Seen: []capture.Place{
			{File: "c.har", Entry: 3 * i, Time: at, Where: "html-form"},
			{File: "c.har", Entry: 3*i + 1, Time: at.Add(time.Second), Where: "post", SignIn: true}}})
	}
	return c
}

// Cutting a capture of 50,000 sign-ins into attempts and comparing them
// is linear: each attempt once scanned every page and message, and every
// pair of attempts was compared (8,000 sign-ins took 25 s to diagnose).
// The guard fails at a hundred times the linear cost.
func TestAttemptsLinear(t *testing.T) {
	const n = 50_000
	c := manyEnds(n)
	done := make(chan error)
	go func() {
		subs := splitAttempts(c)
		if len(subs) != n {
			done <- fmt.Errorf("%d attempts, want %d", len(subs), n)
			return
		}
		as := make([]Attempt, n)
		for i, s := range subs {
			if len(s.Pages) != 3 || len(s.Messages) != 1 || len(s.Messages[0].Seen) != 2 {
				done <- fmt.Errorf("attempt %d: %d pages, %d messages", i, len(s.Pages), len(s.Messages))
				return
			}
			// All one profile, all failed, but the last: no pair.
			as[i] = Attempt{Index: i + 1, Outcome: "failed", Subject: &Subject{NameID: "jane@example.com", RoleSessionName: "jane", Issuer: "i"}}
		}
		as[n-1].Outcome = "reached_connect"
		if f := twoProfiles(as); f != nil {
			done <- fmt.Errorf("a pair of profiles in one profile: %s", f.Title)
			return
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
