package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// An agent application embeds the CCP with Amazon Connect Streams: its
// page frames the CCP (ccpUrl, /ccp-v2), and when the frame has no
// Connect session Streams opens a login popup (loginUrl: with SAML, the
// IdP's URL for the Connect app); the sign-in in the popup ends on
// Connect, the frame, refreshed every few seconds, then finds the
// session, and Streams closes the popup when loginPopupAutoClose is set
// (Streams' Documentation.md, "SAML Authentication"). What the capture
// shows of that is read here: the frame's loads, the popup, where the
// federation landed, the CSP the CCP answered with, sign-in pages
// loaded inside frames.

// Symptoms of the embedded CCP besides the frame refused (frameRefused)
// and the frame without a session (errorpage.CCPNoSession).
const (
	// signinFramed: AWS sign-in or the IdP was loaded inside a frame and
	// refused by the browser (X-Frame-Options, frame-ancestors).
	signinFramed = "ccp.signin_framed"
	// popupOpen: the login popup's sign-in reached Connect, yet the CCP
	// frame did not get the session or the popup stayed open.
	popupOpen = "ccp.login_popup_open"
)

// popupSlack is how long after the frame's CCP loads a login popup may
// still make requests before it counts as left open: Streams closes it
// on the frame's acknowledgement (CCP_ACK_TIMEOUT is 3 s).
const popupSlack = 10 * time.Second

// frameLoad is one load of the CCP in a frame: its request and the hops
// that followed it (Connect's /auth/refresh, its login page).
type frameLoad struct {
	pages []capture.Page
	// embed is the origin of the page embedding the frame.
	embed  string
	window string
	// session: the load ended on the CCP (200); noSession: on Connect's
	// login page.
	session, noSession bool
}

func (l frameLoad) first() capture.Page { return l.pages[0] }
func (l frameLoad) last() capture.Page  { return l.pages[len(l.pages)-1] }
func (l frameLoad) host() string        { return hostOfURL(l.first().URL) }

// landing is a Connect federation sending the browser on to Connect.
type landing struct {
	page   capture.Page
	host   string
	window string
}

// popup is a tab or popup other than the one embedding the CCP, opened
// after it, in which the sign-in went (the Streams login popup).
type popup struct {
	window   string
	span     capture.Window
	pages    []capture.Page
	landings []landing
}

// embedding is what the capture shows of the CCP embedded in an agent
// application.
type embedding struct {
	loads    []frameLoad
	landings []landing
	popups   []popup
	// embed is the origin of the page embedding the CCP, host the
	// CCP's host as the frames load it (Streams' ccpUrl).
	embed, host string
	// csp are the frame-ancestors the CCP answered the frame with (the
	// latest answer that has them), from cspPage.
	csp     [][]string
	cspPage capture.Page
	// refused are the browser's reports refusing the CCP's frame.
	refused []capture.BrowserReport
	// framed are sign-in pages (IdP, AWS sign-in) loaded in a frame and
	// refused; framedReports the browser's reports of it.
	framed        []capture.Page
	framedReports []capture.BrowserReport
	// policy is the referrer policy the page embedding the CCP set, when
	// the capture shows one; withheld says it sent Connect no origin: the
	// frame's requests carried no Referer, and the policy sends none
	// cross-origin (no-referrer, same-origin).
	policy   *capture.ReferrerPolicy
	withheld bool
}

func windowKey(file, id string) string { return file + "\x00" + id }

// embedOrigin is the origin of the page that made a request, when it is
// not on the sign-in path (an agent application, not the IdP, AWS or
// Connect).
func embedOrigin(p capture.Page) string {
	o := p.ReferrerOrigin
	if o == "" || (signin.Rules{}).Stage(o+"/") != "" {
		return ""
	}
	return o
}

// framedCCP reports whether a request for the CCP was made by a frame:
// its Sec-Fetch-Dest says so, or, when the browser sent none, it came
// from a page off the sign-in path.
func framedCCP(p capture.Page) bool {
	if p.Stage != signin.StageConnect || !fix.IsCCPPath(pathOf(p.URL)) {
		return false
	}
	return p.InFrame() || p.FetchDest == "" && embedOrigin(p) != ""
}

// sameResource compares two URLs as the capture shows them (queries may
// be masked): host and path.
func sameResource(a, b string) bool {
	return hostOfURL(a) == hostOfURL(b) && strings.TrimSuffix(pathOf(a), "/") == strings.TrimSuffix(pathOf(b), "/")
}

// redirects reports whether a page of a frame's load sends it on.
func redirects(p capture.Page) bool { return p.Status >= 300 && p.Status < 400 }

// nextHop reports whether q is the hop a redirect p sent its frame to:
// the URL of its Location, or, when the capture's Location is not that
// (a recorder that gave a hop the headers of the one before it), the
// frame's next request to the same host within a moment.
func nextHop(p, q capture.Page) bool {
	if p.Location != "" && !sameResource(p.Location, p.URL) {
		return sameResource(p.Location, q.URL)
	}
	return q.InFrame() && hostOfURL(q.URL) == hostOfURL(p.URL) && q.Time.Sub(p.Time) >= 0 && q.Time.Sub(p.Time) < 2*time.Second
}

func isLoginPath(path string) bool {
	return strings.HasPrefix(path, "/connect/login") || strings.HasPrefix(path, "/login")
}

// readEmbedding reads the embedded CCP from a capture; nil when no CCP
// was loaded in a frame.
func readEmbedding(c *capture.Capture) *embedding {
	e := &embedding{}
	used := map[int]bool{}
	pages := c.Pages
	for i, p := range pages {
		if used[i] || !framedCCP(p) {
			continue
		}
		l := frameLoad{pages: []capture.Page{p}, embed: embedOrigin(p), window: windowKey(p.File, p.Window)}
		cur := p
		for j := i + 1; j < len(pages) && redirects(cur); j++ {
			q := pages[j]
			if used[j] || windowKey(q.File, q.Window) != l.window || !nextHop(cur, q) {
				continue
			}
			used[j] = true
			l.pages = append(l.pages, q)
			cur = q
		}
		last := l.last()
		l.session = last.Status == 200 && fix.IsCCPPath(pathOf(last.URL))
		l.noSession = isLoginPath(pathOf(last.URL)) || redirects(last) && isLoginPath(pathOf(last.Location))
		for _, q := range l.pages {
			if q.FrameAncestors != nil {
				e.csp, e.cspPage = q.FrameAncestors, q
			}
		}
		if e.embed == "" {
			e.embed = l.embed
		}
		e.loads = append(e.loads, l)
	}
	for _, p := range pages {
		if p.InFrame() && (p.Stage == signin.StageIdP || p.Stage == signin.StageSignIn || p.Stage == signin.StageFederation) && framingRefused(p, orX(embedOrigin(p), e.embed)) != "" {
			e.framed = append(e.framed, p)
			e.embed = orX(e.embed, embedOrigin(p))
		}
	}
	for _, b := range c.Reports {
		st := (signin.Rules{}).Stage(b.URL)
		if b.FrameRefused() && (st == signin.StageIdP || st == signin.StageSignIn || st == signin.StageFederation) {
			e.framedReports = append(e.framedReports, b)
			e.embed = orX(e.embed, originOf(b.PageURL))
		}
	}
	for _, p := range pages {
		if p.Stage == signin.StageFederation && p.Status >= 300 && p.Status < 400 && isConnectApp(p.Location) {
			e.landings = append(e.landings, landing{page: p, host: hostOfURL(p.Location), window: windowKey(p.File, p.Window)})
		}
	}
	if len(e.loads) == 0 {
		if len(e.framed) == 0 && len(e.framedReports) == 0 {
			return nil
		}
		return e // a sign-in framed by the application itself
	}
	e.host = e.loads[len(e.loads)-1].host()
	embedding := map[string]bool{}
	for _, l := range e.loads {
		embedding[l.window] = true
	}
	start := e.loads[0].first().Time
	for _, w := range c.Windows {
		key := windowKey(w.File, w.ID)
		if embedding[key] || w.First.Before(start) {
			continue
		}
		pu := popup{window: key, span: w}
		for _, p := range pages {
			if windowKey(p.File, p.Window) != key {
				continue
			}
			pu.pages = append(pu.pages, p)
		}
		for _, l := range e.landings {
			if l.window == key {
				pu.landings = append(pu.landings, l)
			}
		}
		if len(pu.landings) > 0 {
			e.popups = append(e.popups, pu)
		}
	}
	e.refused = refusedCCP(c)
	if e.embed == "" {
		// The frames told no origin: the browser's report names the page
		// that framed the CCP.
		for _, b := range e.refused {
			if o := originOf(b.FrameURL); o != "" && !isConnectApp(o) {
				e.embed = o
				break
			}
		}
	}
	e.readPolicy(c)
	return e
}

// readPolicy finds the referrer policy of the page embedding the CCP:
// the latest document of the frames' tab, loaded before the first frame,
// that set one (of the embedding origin, when known); and whether it sent
// Connect no origin.
func (e *embedding) readPolicy(c *capture.Capture) {
	first := e.loads[0]
	for i := range c.ReferrerPolicies {
		p := &c.ReferrerPolicies[i]
		if windowKey(p.File, p.Window) != first.window || p.FetchDest == "iframe" || p.FetchDest == "frame" ||
			!p.Time.IsZero() && !first.first().Time.IsZero() && p.Time.After(first.first().Time) || e.embed != "" && p.Origin() != e.embed {
			continue
		}
		if e.policy == nil || !p.Time.Before(e.policy.Time) {
			e.policy = p
		}
	}
	if e.policy == nil || e.policy.SendsOrigin() {
		return
	}
	for _, l := range e.loads {
		for _, p := range l.pages {
			if p.ReferrerOrigin != "" {
				return // the frame's request told Connect the origin after all
			}
		}
	}
	e.withheld = true
	e.embed = orX(e.embed, e.policy.Origin())
}

// framingRefused says why the browser refuses to show a page in a frame
// of the page at origin ("" when it does not, or the capture does not
// say): its X-Frame-Options or its CSP's frame-ancestors.
func framingRefused(p capture.Page, origin string) string {
	switch {
	case p.XFrameOptions == "DENY":
		return "X-Frame-Options: DENY"
	case p.XFrameOptions == "SAMEORIGIN" && (origin == "" || !strings.EqualFold(originOf(p.URL), origin)):
		return "X-Frame-Options: SAMEORIGIN"
	}
	if origin != "" {
		if ok, known := p.FrameAllowed(origin); known && !ok {
			return "Content-Security-Policy: frame-ancestors " + joinPolicies(p.FrameAncestors)
		}
	}
	return ""
}

func joinPolicies(l [][]string) string {
	var s []string
	for _, p := range l {
		s = append(s, strings.Join(p, " "))
	}
	return strings.Join(s, " / ")
}

// cspRefuses reports whether the CCP's own answer refuses the embedding
// origin (its frame-ancestors are the instance's approved origins).
func (e *embedding) cspRefuses() bool {
	if e.embed == "" || e.csp == nil {
		return false
	}
	ok, known := (capture.Page{URL: e.cspPage.URL, FrameAncestors: e.csp}).FrameAllowed(e.embed)
	return known && !ok
}

// alias is the instance alias a Connect host names, and its domain
// ("my.connect.aws", "awsapps.com", "govcloud.connect.aws").
func alias(host string) (string, string) {
	a, domain, _ := strings.Cut(strings.ToLower(host), ".")
	return a, domain
}

// ccpURLOn is Streams' ccpUrl for an instance's host: /ccp-v2/ on
// ALIAS.my.connect.aws, /connect/ccp-v2/ on the older ALIAS.awsapps.com.
func ccpURLOn(host string) string {
	if _, d := alias(host); d == "awsapps.com" {
		return "https://" + host + "/connect/ccp-v2/"
	}
	return "https://" + host + "/ccp-v2/"
}

// after are the frame loads that started after t.
func (e *embedding) after(t time.Time) []frameLoad {
	var out []frameLoad
	for _, l := range e.loads {
		if !l.first().Time.Before(t) {
			out = append(out, l)
		}
	}
	return out
}

// observeEmbedded records what the agent saw of the embedded CCP: a frame
// the CCP's CSP refuses (when the browser's own report is not in the
// capture), a sign-in page refused inside a frame, a login popup whose
// sign-in reached Connect but did not close.
func (r *run) observeEmbedded() {
	e := readEmbedding(r.in.Capture)
	if e == nil {
		return
	}
	if len(e.refused) == 0 && e.cspRefuses() {
		sym := Symptom{ID: frameRefused, Text: "The browser refused to show the Contact Control Panel inside the agent application's page (Content-Security-Policy frame-ancestors).",
			Evidence: []Evidence{{What: "the CCP's Content-Security-Policy", Value: "frame-ancestors " + joinPolicies(e.csp) + " (does not name " + e.embed + ")", Where: pageWhere(e.cspPage)}}}
		r.res.Symptoms = append(r.res.Symptoms, sym)
		r.symptoms[frameRefused] = true
	}
	if len(e.framed) > 0 || len(e.framedReports) > 0 {
		sym := Symptom{ID: signinFramed, Text: "The sign-in page (the identity provider or AWS sign-in) was loaded inside a frame of the agent application, and the browser refused to show it there."}
		for _, p := range e.framed {
			sym.Evidence = append(sym.Evidence, Evidence{What: "sign-in page loaded in a frame", Value: p.URL + " (" + framingRefused(p, orX(embedOrigin(p), e.embed)) + ")", Where: pageWhere(p)})
		}
		for _, b := range e.framedReports {
			sym.Evidence = append(sym.Evidence, Evidence{What: "browser report", Value: b.Text, Where: reportWhere(b)})
		}
		r.res.Symptoms = append(r.res.Symptoms, sym)
		r.symptoms[signinFramed] = true
	}
	if pu, why := e.stuckPopup(); pu != nil {
		sym := Symptom{ID: popupOpen, Text: "The login popup's sign-in reached Amazon Connect, but the popup did not close: " + why + "."}
		for _, l := range pu.landings {
			sym.Evidence = append(sym.Evidence, Evidence{What: "the popup's federation sent it to", Value: l.page.Location, Where: pageWhere(l.page)})
		}
		sym.Evidence = append(sym.Evidence, Evidence{What: "popup open", Value: fmt.Sprintf("%s to %s, %d requests", pu.span.First.UTC().Format(time.RFC3339), pu.span.Last.UTC().Format(time.RFC3339), pu.span.Entries),
			Where: pu.span.File + " " + windowWords(pu.span.ID)})
		r.res.Symptoms = append(r.res.Symptoms, sym)
		r.symptoms[popupOpen] = true
	}
}

func windowWords(id string) string {
	if id == "" {
		return "(the file's only window)"
	}
	return "window " + id
}

// Why a login popup did not close.
const (
	popupLeftOpen  = "it was still open %s after the frame's CCP loaded with the session"
	popupAgain     = "it signed in again"
	popupNoSession = "the CCP's frame, loaded again after it, still had no session"
	popupRefused   = "the browser refused to show the CCP's frame"
)

// stuckPopup is a login popup whose sign-in reached Connect but that did
// not close, with what shows it (one of the popup… texts): after its
// landing, it stayed open well after the frame's CCP loaded, it signed
// in again, the frame still went to Connect's login page, or the browser
// refused the frame.
func (e *embedding) stuckPopup() (*popup, string) {
	for i := range e.popups {
		pu := &e.popups[i]
		later := e.after(pu.landings[0].page.Time)
		for _, l := range later {
			if l.session && pu.span.Last.After(l.last().Time.Add(popupSlack)) {
				return pu, fmt.Sprintf(popupLeftOpen, roundDur(pu.span.Last.Sub(l.last().Time)))
			}
		}
		switch {
		case len(pu.landings) > 1 || len(e.popups) > 1:
			return pu, popupAgain
		case len(later) > 0 && later[len(later)-1].noSession:
			return pu, popupNoSession
		case len(e.refused) > 0 || e.cspRefuses():
			return pu, popupRefused
		}
	}
	return nil, ""
}

// leftOpen reports whether the popup stayed open after the frame had
// the session: what loginPopupAutoClose prevents.
func leftOpen(why string) bool { return strings.HasPrefix(why, "it was still open") }

// checkEmbedded explains what the agent saw of the embedded CCP when the
// capture shows why: the frames load the CCP on another host than the
// sign-in landed on (the other domain of the same instance, or another
// instance), a sign-in page loaded inside a frame, a login popup left
// open after the frame had its session.
func (r *run) checkEmbedded() {
	e := readEmbedding(r.in.Capture)
	if e == nil {
		return
	}
	w := r.embedWorldOf(e)
	causes := r.embeddedCauses(w)
	loadEv := func() []Evidence {
		var ev []Evidence
		for _, l := range e.loads {
			if !l.noSession {
				continue
			}
			ev = append(ev, Evidence{What: "the CCP's frame loaded", Value: l.first().URL, Where: pageWhere(l.first())},
				Evidence{What: "sent to Connect's login page", Value: orX(l.last().Location, l.last().URL), Where: pageWhere(l.last())})
			break
		}
		if e.embed != "" && len(e.loads) > 0 {
			ev = append(ev, Evidence{What: "page embedding the CCP", Value: e.embed, Where: pageWhere(e.loads[0].first())})
		}
		return ev
	}
	popupEv := func() []Evidence {
		pu, why := e.stuckPopup()
		if pu == nil {
			return nil
		}
		return []Evidence{{What: "login popup", Value: fmt.Sprintf("%s (%d requests, %s to %s)", why, pu.span.Entries, pu.span.First.UTC().Format(time.RFC3339), pu.span.Last.UTC().Format(time.RFC3339)),
			Where: pu.span.File + " " + windowWords(pu.span.ID)}}
	}
	explains := []string{errorpage.CCPNoSession, popupOpen}
	if slices.Contains(causes, idDomainMismatch) || slices.Contains(causes, idPopupStuck) {
		if l, ok := w.mismatch(); ok {
			ev := append(loadEv(), Evidence{What: "the sign-in's federation sent the browser to", Value: l.page.Location, Where: pageWhere(l.page)})
			ev = append(ev, popupEv()...)
			fx := r.newFix(fmt.Sprintf("Load the CCP on the host the sign-in lands on: set ccpUrl to %s.", ccpURLOn(l.host)), fix.SetCCPURL{Value: ccpURLOn(l.host)})
			if a, _ := alias(l.host); a == firstOf(alias(e.host)) {
				r.add(Finding{ID: "ccp.domain_mismatch", Severity: Error,
					Title: fmt.Sprintf("The agent application frames the CCP on %s, but the sign-in lands on %s: the Connect session is on the other domain", e.host, l.host),
					Detail: "Amazon Connect serves an instance on ALIAS.my.connect.aws and, for instances created before 2022, on ALIAS.awsapps.com/connect as well. The SAML federation sets the session's cookies on the host it sends the browser to (ALIAS.my.connect.aws when the RelayState says new_domain=true), and cookies are per host: a CCP frame on the other domain has no session, goes to Connect's login page, and Streams signs in again, in a loop. " +
						"Streams' ccpUrl must be on the domain the federation uses.",
					Evidence: ev, Explains: explains, Fix: fx})
			} else {
				fx.Summary = fmt.Sprintf("Load the CCP of the instance the sign-in lands on (ccpUrl %s), or sign in through the IdP application whose RelayState federates into the instance of %s.", ccpURLOn(l.host), e.host)
				r.add(Finding{ID: "ccp.login_popup_stuck", Severity: Error,
					Title:    fmt.Sprintf("The login popup signs in to another Connect instance (%s) than the CCP the agent application frames (%s)", l.host, e.host),
					Detail:   "Streams closes its login popup once the CCP's frame finds a Connect session. The sign-in in the popup (loginUrl: the IdP's app, its RelayState) federates into the instance at " + l.host + ", while ccpUrl names " + e.host + ": the frame never has that instance's session, so the popup stays open and Streams opens it again.",
					Evidence: ev, Explains: explains, Fix: fx,
					Alternatives: []Fix{{Summary: "Or keep ccpUrl and set loginUrl to the IdP's sign-in URL for the application that federates into the instance of " + e.host + " (its RelayState https://REGION.console.aws.amazon.com/connect/federate/INSTANCE-ID).",
						Check: &fix.Check{Result: fix.NotChecked, Why: "which IdP application federates into the instance of " + e.host + " is not in the evidence"}}}})
			}
		}
	}
	if slices.Contains(causes, idSigninInFrame) {
		var ev []Evidence
		for _, p := range e.framed {
			ev = append(ev, Evidence{What: "sign-in page loaded in a frame", Value: p.URL, Where: pageWhere(p)},
				Evidence{What: "it refuses frames", Value: framingRefused(p, orX(embedOrigin(p), e.embed)), Where: pageWhere(p)})
		}
		for _, b := range e.framedReports {
			ev = append(ev, Evidence{What: "the browser refused the frame", Value: b.Text, Where: reportWhere(b)})
		}
		if e.embed != "" && len(e.loads) > 0 {
			ev = append(ev, Evidence{What: "page embedding the CCP", Value: e.embed, Where: pageWhere(e.loads[0].first())})
		}
		r.add(Finding{ID: "ccp.signin_in_frame", Severity: Error,
			Title:    "The sign-in was loaded inside a frame of the agent application, which AWS sign-in and the identity provider refuse",
			Detail:   "AWS sign-in (X-Frame-Options: DENY) and identity providers refuse to be shown in another site's frame, so a sign-in started inside the CCP's frame or a hidden frame never completes. Amazon Connect Streams signs the agent in through a popup instead (loginPopup), with loginUrl the IdP's URL for the Connect app, and closes it once the CCP's frame has the session (loginPopupAutoClose).",
			Evidence: ev, Explains: []string{signinFramed, errorpage.CCPNoSession},
			Fix: r.newFix("Sign the agent in through Streams' login popup, not a frame: loginPopup: true and loginPopupAutoClose: true, with loginUrl the IdP's URL for the Amazon Connect app.", fix.SetLoginPopup{})})
	}
	if _, why := e.stuckPopup(); slices.Contains(causes, idPopupStuck) && leftOpen(why) && !r.has(idPopupStuck) {
		ev := append(popupEv(), Evidence{What: "the popup's federation sent it to", Value: e.popups[0].landings[0].page.Location, Where: pageWhere(e.popups[0].landings[0].page)})
		for _, l := range e.loads {
			if l.session {
				ev = append(ev, Evidence{What: "the CCP's frame loaded with the session", Value: l.last().URL, Where: pageWhere(l.last())})
				break
			}
		}
		r.add(Finding{ID: "ccp.login_popup_stuck", Severity: Error,
			Title:    "The login popup stayed open after the CCP's frame had the session: Streams' loginPopupAutoClose is not set",
			Detail:   "Streams closes its login popup when the CCP's frame acknowledges that it loaded, but only with loginPopupAutoClose: true (or loginOptions.autoClose); without it, the popup stays open on Connect's page, a second CCP the agent must close by hand.",
			Evidence: ev, Explains: []string{popupOpen},
			Fix: r.newFix("Have Streams close the login popup: loginPopupAutoClose: true in the agent application's initCCP call.", fix.SetLoginPopup{})})
	}
}
