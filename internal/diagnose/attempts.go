package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Attempt is one sign-in in a capture: a SAMLResponse posted to AWS
// sign-in, with the pages that led to it and the answers that followed,
// up to the next attempt.
type Attempt struct {
	Index   int // from 1
	Started time.Time
	// Outcome is "reached_connect", "failed" or "unknown".
	Outcome  string
	Subject  *Subject
	Symptoms []string
	Verdict  string
	// Result is the attempt's own diagnosis.
	Result *Result
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

// splitAttempts cuts a capture into its sign-ins: one per SAMLResponse
// POST to AWS sign-in (a role chooser's second POST of the same response
// is the same sign-in), and one per IdP error page. Each holds the IdP
// pages since the previous sign-in's answers, its POST or error page, and
// the answers up to the next sign-in. A capture with at most one such end
// is one attempt: nil.
func splitAttempts(c *capture.Capture) []*capture.Capture {
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
		if p.Stage == signin.StageIdP {
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
	for k, e := range ends {
		out[k] = &capture.Capture{Sources: c.Sources, Warnings: c.Warnings, Pages: []capture.Page{}, Messages: []*capture.Message{}}
		if e.msg != nil {
			m := *e.msg
			m.Seen = nil
			out[k].Messages = append(out[k].Messages, &m)
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
	return out
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

// runAttempts diagnoses each sign-in of a capture that holds several, and
// returns the last one's result with the others summarised.
func runAttempts(in Input, subs []*capture.Capture) *Result {
	var attempts []Attempt
	var last *Result
	for i, sub := range subs {
		sin := in
		sin.Capture = sub
		res := runOne(sin)
		a := Attempt{Index: i + 1, Result: res, Subject: res.Subject, Verdict: res.Verdict}
		if res.Subject != nil {
			a.Started = res.Subject.At
		} else if p, _, ok := lastIdPError(sub.Pages); ok {
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
	person := func(s *Subject) string {
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
func profilePair(as []Attempt, person func(*Subject) string) (a, b Attempt, found bool) {
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

func describeProfile(s *Subject) string {
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
func changed(a, b *Subject) string {
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
