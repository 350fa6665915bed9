package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Attempt is the diagnosis of one sign-in of a capture that holds several
// (signin.Attempts cuts the capture).
type Attempt struct {
	Index   int // from 1
	Started time.Time
	// Outcome is "reached_connect", "failed" or "unknown".
	Outcome  string
	Subject  *signin.Subject
	Symptoms []string
	Verdict  string
	// Result is the attempt's own diagnosis.
	Result *Result
}

// runAttempts diagnoses each sign-in of a capture that holds several, and
// returns the last one's result with the others summarised.
func runAttempts(in Input, subs []signin.Attempt) *Result {
	var attempts []Attempt
	var last *Result
	for i, sub := range subs {
		sin := in
		sin.Capture = sub.Capture
		res := runOne(sin)
		a := Attempt{Index: i + 1, Result: res, Subject: res.Subject, Verdict: res.Verdict}
		if res.Subject != nil {
			a.Started = res.Subject.At
		} else if p, _, ok := lastIdPError(sub.Capture.Pages); ok {
			a.Started = p.Time
		}
		switch res.Outcome {
		case "succeeded":
			a.Outcome = "reached_connect"
		case "failed":
			a.Outcome = "failed"
		default:
			a.Outcome = "unknown"
		}
		for _, s := range res.Symptoms {
			a.Symptoms = append(a.Symptoms, s.ID)
		}
		attempts = append(attempts, a)
		last = res
	}
	last.Attempts = attempts
	if f := twoProfiles(attempts); f != nil {
		fromCatalog(f)
		if last.Outcome == "succeeded" {
			// It works through this profile; the other still fails.
			f.Severity, f.Explains = Warning, nil
		}
		last.Findings = append([]Finding{*f}, last.Findings...)
	}
	last.Verdict = last.Verdict + " " + attemptsLine(attempts)
	return last
}

// twoProfiles finds one person signing in through two IdP profiles: two
// attempts by the same person (the same NameID, or the same user name
// before the @) with different issuers, RoleSessionNames or roles, one
// reaching Connect and one failing. A failure after a success is not a
// fix made in between, nor is a different issuer; a success after a
// failure with the same issuer is (attemptsLine says what changed).
func twoProfiles(as []Attempt) *Finding {
	person := func(s *signin.Subject) string {
		if s.NameID != "" {
			return "nameid:" + strings.ToLower(s.NameID)
		}
		local, _, _ := strings.Cut(strings.ToLower(s.RoleSessionName), "@")
		return "name:" + local
	}
	a, b, found := profilePair(as, person)
	if !found {
		return nil
	}
	ok, bad := a, b
	if a.Outcome != "reached_connect" {
		ok, bad = b, a
	}
	x, y := ok.Subject, bad.Subject
	sameIssuer := x.Issuer == y.Issuer
	if sameIssuer && x.RoleSessionName == y.RoleSessionName {
		// One application that sent another role the second time (its
		// role mapping changed between the attempts): one profile, judged
		// attempt by attempt.
		return nil
	}
	var diff []string
	if !sameIssuer {
		diff = append(diff, fmt.Sprintf("issuer %q and %q", y.Issuer, x.Issuer))
	}
	if x.RoleSessionName != y.RoleSessionName {
		diff = append(diff, fmt.Sprintf("RoleSessionName %q and %q", y.RoleSessionName, x.RoleSessionName))
	}
	if x.RoleArn != y.RoleArn {
		diff = append(diff, fmt.Sprintf("role %s and %s", y.RoleArn, x.RoleArn))
	}
	ev := func(a Attempt, what string) Evidence {
		return Evidence{What: fmt.Sprintf("attempt %d (%s)", a.Index, what),
			Value: fmt.Sprintf("issuer %s, RoleSessionName %q, role %s", a.Subject.Issuer, a.Subject.RoleSessionName, a.Subject.RoleArn), Where: fmt.Sprintf("the SAMLResponse posted to %s at %s", a.Subject.PostedTo, a.Subject.At.UTC().Format(time.RFC3339))}
	}
	// Only what differs is to be made the same.
	var same []string
	if x.RoleSessionName != y.RoleSessionName {
		same = append(same, fmt.Sprintf("its RoleSessionName send %q", x.RoleSessionName))
	}
	if x.RoleArn != y.RoleArn && x.RoleArn != "" {
		same = append(same, "its Role send "+x.RoleArn)
	}
	idpText := fmt.Sprintf("remove the agent from the application (or app role) that sends %s", describeProfile(y))
	if len(same) > 0 {
		idpText += ", or make " + strings.Join(same, " and ")
	}
	fx := &Fix{Summary: fmt.Sprintf("Remove the agent's extra assignment (the profile that sends %s), or make it send what the working one sends: %s.", describeProfile(y), describeProfile(x)),
		IdPText: (idpText + "."),
		Check:   &fix.Check{Result: fix.NotChecked, Why: "which assignment to keep is the identity provider administrator's choice"}}
	// The failing profile's product, in its own terms, when what it sends
	// settles the source: its NameID is the working profile's
	// RoleSessionName.
	if d := bad.Result.IdP; d != nil && d.Product != idp.Unknown && x.RoleSessionName != y.RoleSessionName && y.NameID == x.RoleSessionName {
		v := idp.Values{RoleSessionName: y.RoleSessionName, ConnectUser: x.RoleSessionName, Source: fix.SourceNameID, SourceValue: y.NameID,
			Scope: string(fix.ScopeApplication), AgentValue: y.NameID, SPEntity: "urn:amazon:webservices"}
		fx.Product, fx.ProductKind, fx.IdPValues = d, "rolesessionname", v
	}
	return &Finding{ID: "idp.multiple_profiles", Severity: Error,
		Title: fmt.Sprintf("The agent signs in through two IdP profiles: one sends %s and reaches Connect, the other fails", describeProfile(x)),
		Detail: "The same person (" + strings.TrimPrefix(strings.TrimPrefix(person(x), "nameid:"), "name:") + ") signed in twice with different " + strings.Join(diff, ", ") +
			": two applications or two assignments at the identity provider. Connect matches RoleSessionName to one user, so only the profile that sends that user's name works.",
		Evidence: []Evidence{ev(ok, "reached Connect"), ev(bad, "failed")},
		Explains: bad.Symptoms,
		Fix:      fx}
}

// profilePair is the first pair (a, b), a before b, in the order of a
// then b, of attempts by the same person where one reached Connect and
// the other failed with another profile, unless the failure came first
// with the same issuer (a fix made between them). It is one pass from the
// end: for each person, the earliest later failure of each profile and
// success of each issuer are kept two at a time (the earliest, and the
// earliest that differs from it), which is all a pair needs.
func profilePair(as []Attempt, person func(*signin.Subject) string) (a, b Attempt, found bool) {
	type later struct{ failed, reached earliest2 }
	byPerson := map[string]*later{}
	best := [2]int{-1, -1}
	for i := len(as) - 1; i >= 0; i-- {
		x := as[i]
		if x.Subject == nil || (x.Outcome != "reached_connect" && x.Outcome != "failed") {
			continue
		}
		who := person(x.Subject)
		l := byPerson[who]
		if l == nil {
			l = &later{earliest2{one: -1, two: -1}, earliest2{one: -1, two: -1}}
			byPerson[who] = l
		}
		profile := x.Subject.RoleSessionName + "\x00" + x.Subject.RoleArn + "\x00" + x.Subject.Issuer
		if x.Outcome == "reached_connect" {
			// A later failure of another profile.
			if j := l.failed.other(profile); j >= 0 {
				best = [2]int{i, j}
			}
			l.reached.add(i, x.Subject.Issuer)
		} else {
			// A later success through another issuer: with the same
			// issuer, it is a fix made in between.
			if j := l.reached.other(x.Subject.Issuer); j >= 0 {
				best = [2]int{i, j}
			}
			l.failed.add(i, profile)
		}
	}
	if best[0] < 0 {
		return Attempt{}, Attempt{}, false
	}
	return as[best[0]], as[best[1]], true
}

// earliest2 holds, of the items added from the last to the first, the
// earliest (one) and the earliest whose key differs from one's (two).
type earliest2 struct {
	one, two       int // -1 when none
	oneKey, twoKey string
}

func (e *earliest2) add(i int, key string) {
	if e.one >= 0 && e.oneKey != key {
		e.two, e.twoKey = e.one, e.oneKey
	}
	e.one, e.oneKey = i, key
}

// other is the earliest item whose key is not key, or -1.
func (e *earliest2) other(key string) int {
	if e.one >= 0 && e.oneKey != key {
		return e.one
	}
	if e.two >= 0 && e.twoKey != key {
		return e.two
	}
	return -1
}

func describeProfile(s *signin.Subject) string {
	return fmt.Sprintf("RoleSessionName %q (issuer %s)", s.RoleSessionName, s.Issuer)
}

// attemptsLine says in one sentence what the attempts showed, and what
// changed before a later one succeeded.
func attemptsLine(as []Attempt) string {
	var parts []string
	for _, a := range as {
		when := ""
		if !a.Started.IsZero() {
			when = " at " + a.Started.UTC().Format("15:04:05")
		}
		what := "ended without an answer in the capture"
		switch a.Outcome {
		case "reached_connect":
			what = "reached Amazon Connect"
		case "failed":
			what = "failed"
			if len(a.Symptoms) > 0 {
				what += " (" + strings.Join(a.Symptoms, ", ") + ")"
			}
		}
		parts = append(parts, fmt.Sprintf("attempt %d of %d%s %s", a.Index, len(as), when, what))
	}
	s := "The capture holds " + fmt.Sprint(len(as)) + " sign-ins: " + strings.Join(parts, "; ") + "."
	if n := len(as); n > 1 && as[n-1].Outcome == "reached_connect" && as[n-2].Outcome != "reached_connect" {
		if ch := changed(as[n-2].Subject, as[n-1].Subject); ch != "" {
			s += " Between the last two, " + ch + "."
		}
	}
	return s
}

// changed says what differs between two sign-ins' subjects.
func changed(a, b *signin.Subject) string {
	if a == nil || b == nil {
		return ""
	}
	var d []string
	add := func(what, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("the %s changed from %q to %q", what, x, y))
		}
	}
	add("RoleSessionName", a.RoleSessionName, b.RoleSessionName)
	add("role", a.RoleArn, b.RoleArn)
	add("issuer (IdP)", a.Issuer, b.Issuer)
	if len(d) == 0 && !a.At.IsZero() && !b.At.IsZero() {
		d = append(d, fmt.Sprintf("nothing in the message changed, only the time (%s later): the fix was made in AWS or Connect", roundDur(b.At.Sub(a.At))))
	}
	return strings.Join(d, ", ")
}
