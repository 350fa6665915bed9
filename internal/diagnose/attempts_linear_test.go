package diagnose

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// profilePairQuadratic is twoProfiles' choice of pair as it was made
// before (every pair compared).
func profilePairQuadratic(as []Attempt, person func(*signin.Subject) string) (Attempt, Attempt, bool) {
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
	person := func(s *signin.Subject) string { return s.NameID }
	pick := func(xs ...string) string { return xs[rng.Intn(len(xs))] }
	found := 0
	for i := range 50000 {
		var as []Attempt
		for k := range rng.Intn(9) {
			a := Attempt{Index: k + 1, Outcome: pick("reached_connect", "failed", "failed", "unknown")}
			if rng.Intn(8) > 0 {
				a.Subject = &signin.Subject{NameID: pick("jane", "john"), RoleSessionName: pick("jane", "jane@x"), RoleArn: pick("r1", "r2"), Issuer: pick("i1", "i2")}
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

// manyEnds is a capture of n sign-ins as signin.Attempts sees them: for
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
		subs := signin.Attempts(c)
		if len(subs) != n {
			done <- fmt.Errorf("%d attempts, want %d", len(subs), n)
			return
		}
		as := make([]Attempt, n)
		for i, sub := range subs {
			s := sub.Capture
			if len(s.Pages) != 3 || len(s.Messages) != 1 || len(s.Messages[0].Seen) != 2 {
				done <- fmt.Errorf("attempt %d: %d pages, %d messages", i, len(s.Pages), len(s.Messages))
				return
			}
			// All one profile, all failed, but the last: no pair.
			as[i] = Attempt{Index: i + 1, Outcome: "failed", Subject: &signin.Subject{NameID: "jane@example.com", RoleSessionName: "jane", Issuer: "i"}}
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
