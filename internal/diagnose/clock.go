package diagnose

import (
	"fmt"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// maxIdPSkew is how far the IdP's clock may be from AWS's before it is a
// finding: Date headers have one-second resolution, and AWS documents no
// tolerance, so a minute is well clear of measurement noise.
const maxIdPSkew = time.Minute

// formPlace is where the capture saw the IdP's page that carried the
// SAMLResponse (the auto-post form).
func (r *run) formPlace() (capture.Place, bool) {
	for _, p := range r.msg.Seen {
		if p.Where == "html-form" {
			return p, true
		}
	}
	return capture.Place{}, false
}

// formHost is the host of the IdP page that issued the response.
func (r *run) formHost() string {
	if p, ok := r.formPlace(); ok {
		return hostOfURL(p.URL)
	}
	return ""
}

// idpDate is the IdP's own Date header nearest the response: the form
// page's, else the last page of the same host before the POST.
func (r *run) idpDate(form capture.Place) (capture.Page, bool) {
	var best capture.Page
	found := false
	for _, p := range r.in.Capture.Pages {
		if p.Stage != "idp" || p.ServerDate.IsZero() || p.Time.IsZero() || hostOfURL(p.URL) != hostOfURL(form.URL) {
			continue
		}
		if p.File == form.File && p.Entry == form.Entry {
			return p, true
		}
		if r.posted && p.File == r.post.File && p.Entry < r.post.Entry {
			best, found = p, true
		}
	}
	return best, found
}

// checkIdPClock compares the IdP's clock with AWS's: the IdP's own Date
// headers and the response's IssueInstant against AWS's Date header (the
// browser's clock maps one onto the other). An IdP whose clock is behind
// issues assertions that AWS finds expired; ahead, not yet valid.
func (r *run) checkIdPClock() {
	if r.msg == nil || !r.posted || r.parsed == nil || len(r.parsed.Assertions) == 0 {
		return
	}
	form, ok := r.formPlace()
	if !ok || form.Time.IsZero() || r.post.Time.IsZero() {
		return
	}
	// AWS's clock minus the browser's; without AWS's Date header the
	// browser's clock stands in for AWS's.
	var awsOffset time.Duration
	awsWhere := "the browser's clock (the POST has no Date header from AWS)"
	if !r.post.ServerDate.IsZero() {
		awsOffset = r.post.ServerDate.Sub(r.post.Time)
		awsWhere = "AWS's Date header answering " + placeWhere(r.post)
	}
	var ev []Evidence
	var skew time.Duration // how far the IdP's clock is behind AWS's
	basis := ""
	if page, ok := r.idpDate(form); ok {
		skew = awsOffset - page.ServerDate.Sub(page.Time)
		basis = "Date header"
		ev = append(ev, Evidence{What: "the IdP's Date header", Value: fmt.Sprintf("%s, received at %s by the browser's clock", page.ServerDate.UTC().Format(time.RFC3339), page.Time.UTC().Format(time.RFC3339)), Where: pageWhere(page)})
	}
	issued := r.parsed.IssueInstant
	if !issued.Valid() {
		issued = r.parsed.Assertions[0].IssueInstant
	}
	if issued.Valid() {
		iiSkew := awsOffset - issued.Time.Sub(form.Time)
		switch {
		case basis == "":
			// IssueInstant alone: only when the page was posted at once,
			// so the time between issuing and posting is known.
			if r.post.Time.Sub(form.Time) > maxIdPSkew {
				return
			}
			skew, basis = iiSkew, "IssueInstant"
		case abs(iiSkew-skew) > maxIdPSkew:
			issued = nil // the response is older than the IdP's clock says: not the clock
		}
		if issued != nil {
			ev = append(ev, Evidence{What: "IssueInstant, against the time the browser received the IdP's page", Value: fmt.Sprintf("%s, page received %s", issued.Raw, form.Time.UTC().Format(time.RFC3339)), Where: r.at("/Response/@IssueInstant")})
		}
	}
	if basis == "" || abs(skew) <= maxIdPSkew {
		return
	}
	ev = append(ev, Evidence{What: "AWS's clock", Value: fmt.Sprintf("%s at the POST", r.post.Time.Add(awsOffset).UTC().Format(time.RFC3339)), Where: awsWhere})
	dir, effect := "behind", "AWS finds its assertions expired or issued too long ago"
	if skew < 0 {
		dir, effect = "ahead of", "AWS finds its assertions not yet valid"
	}
	detail := fmt.Sprintf("The identity provider stamps its assertions with its own clock, which runs %s %s AWS's, so %s.", roundDur(abs(skew)), dir, effect)
	if basis == "IssueInstant" {
		detail += " This rests on the IssueInstant alone (the IdP's pages carry no Date header): a page replayed from the browser's cache would look the same."
	}
	sev, explains := Warning, []string(nil)
	if r.timesFail(skew) {
		sev, explains = Error, []string{"signin.expired", "signin.redeem_window_passed"}
	}
	sync := fix.SyncIdPClock{Offset: skew}
	r.add(Finding{ID: "saml.idp_clock_skew", Severity: sev,
		Title:    fmt.Sprintf("The identity provider's clock runs %s %s AWS's", roundDur(abs(skew)), dir),
		Detail:   detail,
		Evidence: ev, Explains: explains,
		Fix: r.newFix("Synchronise the identity provider server's clock (NTP); signing in again will fail the same way until then.", sync)})
}

// timesFail reports whether the assertion's window fails at AWS's time
// and would pass with the IdP's clock corrected by skew.
func (r *run) timesFail(skew time.Duration) bool {
	a := r.parsed.Assertions[0]
	at := r.subject.At
	fails := func(shift time.Duration) bool {
		if c := a.Conditions; c != nil {
			if c.NotOnOrAfter.Valid() && !at.Before(c.NotOnOrAfter.Time.Add(shift)) {
				return true
			}
			if c.NotBefore.Valid() && at.Add(time.Minute).Before(c.NotBefore.Time.Add(shift)) {
				return true
			}
		}
		issued := r.parsed.IssueInstant
		if !issued.Valid() {
			issued = a.IssueInstant
		}
		return issued.Valid() && at.Sub(issued.Time.Add(shift)) > 5*time.Minute
	}
	return fails(0) && !fails(skew)
}
