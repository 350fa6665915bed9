package diagnose

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// ccpChain finds the pages of an embedded CCP (Amazon Connect Streams)
// that had no Connect session: a request for the CCP (/ccp-v2), then
// Connect's session refresh (/auth/refresh), then its login page
// (/connect/login), in that order; the refresh may be missing from the
// capture. It returns the pages of the chain.
func ccpChain(pages []capture.Page) []capture.Page {
	var chain []capture.Page
	for _, p := range pages {
		if p.Stage != signin.StageConnect {
			continue
		}
		path := pathOf(p.URL)
		switch {
		case strings.Contains(path, "/ccp-v2"):
			chain = []capture.Page{p} // the latest load of the CCP starts it
		case len(chain) > 0 && strings.Contains(path, "/auth/refresh"):
			chain = append(chain, p)
		case len(chain) > 0 && strings.HasPrefix(path, "/connect/login"):
			return append(chain, p)
		default:
			continue
		}
		if strings.HasPrefix(pathOf(p.Location), "/connect/login") {
			return chain
		}
	}
	return nil
}

// unresolvedCCPChain is ccpChain when the CCP did not load with a
// session after it in the same tab: with SAML, Streams' first load finds
// no session, its login popup signs the agent in, and the next load has
// it.
func unresolvedCCPChain(pages []capture.Page) []capture.Page {
	chain := ccpChain(pages)
	if chain == nil {
		return nil
	}
	first, last := chain[0], chain[len(chain)-1]
	for _, p := range pages {
		if p.Stage == signin.StageConnect && p.Time.After(last.Time) && p.Status == 200 && fix.IsCCPPath(pathOf(p.URL)) &&
			windowKey(p.File, p.Window) == windowKey(first.File, first.Window) && (p.InFrame() || first.FetchDest == "") && hostOfURL(p.URL) == hostOfURL(first.URL) {
			return nil
		}
	}
	return chain
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// observeCCP records the embedded CCP's missing session as a symptom.
func (r *run) observeCCP() {
	chain := unresolvedCCPChain(r.in.Capture.Pages)
	if chain == nil {
		return
	}
	s, _ := errorpage.Lookup(errorpage.CCPNoSession)
	sym := Symptom{ID: s.ID, Text: s.Text}
	for _, p := range chain {
		v := fmt.Sprintf("%s %s", p.Method, p.URL)
		if p.Location != "" {
			v += " → " + p.Location
		}
		sym.Evidence = append(sym.Evidence, Evidence{What: "CCP page", Value: v, Where: pageWhere(p)})
	}
	r.res.Symptoms = append(r.res.Symptoms, sym)
	r.symptoms[s.ID] = true
}

// checkCCP explains an embedded CCP without a Connect session. When the
// capture shows the agent's sign-in reaching Connect, the session exists
// but the CCP's frame cannot use it: the browser keeps the CCP's cookies
// from a frame inside another site (third-party cookies), or the site is
// not an approved origin. Without such a sign-in, the agent had not
// signed in through the IdP first.
func (r *run) checkCCP() {
	if !r.symptoms[errorpage.CCPNoSession] || r.has(idDomainMismatch) || r.has(idPopupStuck) || r.has(idSigninInFrame) {
		return // the frame has no session for a reason the capture shows (embedded.go)
	}
	chain := unresolvedCCPChain(r.in.Capture.Pages)
	embed := ""
	for _, p := range chain {
		if p.ReferrerOrigin != "" && !isConnectApp(p.ReferrerOrigin) {
			embed = p.ReferrerOrigin
			break
		}
	}
	signedIn := r.reachedConnect()
	ccp := chain[0]
	last := chain[len(chain)-1]
	ev := []Evidence{{What: "CCP request", Value: ccp.URL, Where: pageWhere(ccp)},
		{What: "sent to Connect's login page", Value: orX(last.Location, last.URL), Where: pageWhere(last)}}
	if embed != "" {
		ev = append(ev, Evidence{What: "page embedding the CCP", Value: embed, Where: pageWhere(ccp)})
	}
	inID, _ := r.ccpInstance(hostOfURL(ccp.URL))
	instance := orX(inID, "INSTANCE-ID")
	origin := orX(embed, "https://YOUR-APP-ORIGIN")
	cookies := Fix{Summary: "Let the CCP's frame use its session: allow third-party cookies for the Connect domain (" + hostOfURL(ccp.URL) + ") in the agents' browsers, by policy where the browsers are managed.",
		After: []string{"Chrome and Edge: Settings > Privacy and security > Third-party cookies > Sites allowed to use third-party cookies: add the agent application's site, " + origin + ". Managed browsers: add \"https://" + hostOfURL(ccp.URL) + "," + origin + "\" to the CookiesAllowedForUrls policy (the CCP's site, allowed its cookies when embedded in the application's).",
			"Firefox: Settings > Privacy & Security > Cookies and Site Data > Manage Exceptions: allow https://" + hostOfURL(ccp.URL) + ".",
			"Safari: Settings > Privacy: turn off Prevent cross-site tracking for the agents' profile, or serve the agent application so that the CCP is not cross-site."},
		Check: &fix.Check{Result: fix.NotChecked, Why: "the browser's cookie settings are not in the evidence; capture again after the change"}}
	approved := *r.approveFix(fmt.Sprintf("Approve the origin of the page that embeds the CCP (%s) for instance %s.", origin, instance), origin, hostOfURL(ccp.URL))
	approved.Check = &fix.Check{Result: fix.NotChecked, Why: "the instance's approved origins are not in the evidence: list-approved-origins shows whether " + origin + " is among them"}
	if l := r.aws.OriginsOf(inID); inID != "" && l != nil {
		approved.Check.Why = "whether the browser withholds the frame's cookies is not in the evidence"
		if l.Has(origin) {
			approved.Check = &fix.Check{Result: fix.StillFails, Why: origin + " is already an approved origin (" + l.Source.String() + "): approving it changes nothing"}
		}
	}
	login := Fix{Summary: "Sign the agent in through the identity provider before the CCP loads: in Amazon Connect Streams, set loginUrl to the IdP's sign-in URL for the Amazon Connect application and loginPopup to true, so the CCP opens it when there is no session.",
		After: []string{"In the page's connect.core.initCCP(container, {...}) call, set ccpUrl to https://" + hostOfURL(ccp.URL) + "/ccp-v2/, loginUrl to the IdP's user access URL for the Amazon Connect app, and loginPopup: true (loginPopupAutoClose: true).",
			"Or have agents start from the IdP's app portal, then open the agent application in the same browser."},
		Check: &fix.Check{Result: fix.NotChecked, Why: "how the agent application starts the CCP is not in the evidence"}}
	f := Finding{ID: "connect.ccp_no_session", Severity: Error, Evidence: ev, Explains: []string{errorpage.CCPNoSession, popupOpen}}
	if signedIn {
		f.Title = "The embedded CCP cannot use the agent's Connect session: the browser keeps it from the CCP's frame"
		f.Detail = "The capture shows the sign-in reaching Amazon Connect, yet the CCP inside the agent application was sent to Connect's login page: its frame had no session cookie. Browsers that block third-party cookies withhold Connect's cookies from a frame inside another site; an origin that is not approved is refused by the instance."
		f.Fix, f.Alternatives = &cookies, []Fix{approved}
	} else {
		f.Title = "The embedded CCP found no Connect session: the agent had not signed in through the identity provider"
		f.Detail = "The CCP (Amazon Connect Streams) was loaded and Connect sent it to its login page: there was no Connect session in this browser. With SAML, a session only comes from a sign-in through the identity provider; the capture holds none."
		f.Fix, f.Alternatives = &login, []Fix{cookies, approved}
	}
	r.add(f)
}

// reachedConnect reports whether the capture shows a sign-in reaching
// Connect: the federation sending the browser on to Connect.
func (r *run) reachedConnect() bool {
	for _, p := range r.in.Capture.Pages {
		if p.Stage == signin.StageFederation && p.Status >= 300 && p.Status < 400 && isConnectApp(p.Location) {
			return true
		}
	}
	return false
}

func (r *run) subjectInstance() string {
	if r.subject != nil {
		return r.subject.InstanceID
	}
	return ""
}

func (r *run) subjectRegion() string {
	if r.subject != nil {
		return r.subject.Region
	}
	return ""
}

// frameRefused is the symptom of a CCP frame the browser refused to show
// (samldoctor record keeps the browser's reports): the agent saw an
// empty frame or the browser's error page in the agent application.
const frameRefused = "ccp.frame_refused"

// refusedCCP are the browser's reports refusing a Connect frame because
// of its Content-Security-Policy frame-ancestors.
func refusedCCP(c *capture.Capture) []capture.BrowserReport {
	var out []capture.BrowserReport
	for _, b := range c.Reports {
		if b.Directive == "frame-ancestors" && (signin.Rules{}).Stage(b.URL) == signin.StageConnect {
			out = append(out, b)
		}
	}
	return out
}

func reportWhere(b capture.BrowserReport) string {
	s := fmt.Sprintf("%s browser report %d (%s", b.File, b.Index, b.Source)
	if !b.Time.IsZero() {
		s += ", " + b.Time.UTC().Format(time.RFC3339)
	}
	if b.FrameURL != "" {
		s += ", in " + b.FrameURL
	}
	return s + ")"
}

// observeFrameRefused records the browser refusing the CCP's frame as
// what the agent saw.
func (r *run) observeFrameRefused() {
	reps := refusedCCP(r.in.Capture)
	if len(reps) == 0 {
		return
	}
	sym := Symptom{ID: frameRefused, Text: "The browser refused to show the Contact Control Panel inside the agent application's page (Content-Security-Policy frame-ancestors)."}
	for _, b := range reps {
		sym.Evidence = append(sym.Evidence, Evidence{What: "browser report", Value: b.Text, Where: reportWhere(b)})
	}
	r.res.Symptoms = append(r.res.Symptoms, sym)
	r.symptoms[frameRefused] = true
}

// originOf is a URL's origin: scheme, host and port, as the browser
// compares it with frame-ancestors and Connect with its approved origins.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// checkFrameRefused explains a CCP frame refused by frame-ancestors:
// Connect lists the instance's approved origins there, and the page
// embedding the CCP is not among them. The browser's own report says so
// (samldoctor record keeps it); without one, the CCP's answer in the
// frame does: its Content-Security-Policy.
func (r *run) checkFrameRefused() {
	if !r.symptoms[frameRefused] {
		return
	}
	reps := refusedCCP(r.in.Capture)
	e := readEmbedding(r.in.Capture)
	embed, host := "", ""
	var ev []Evidence
	for _, b := range reps {
		if embed == "" {
			embed, host = originOf(b.FrameURL), hostOfURL(b.URL)
		}
		ev = append(ev, Evidence{What: "the browser refused the CCP's frame", Value: b.Text, Where: reportWhere(b)})
	}
	if e != nil {
		embed, host = orX(embed, e.embed), orX(host, e.host)
		if e.csp != nil && e.cspRefuses() {
			ev = append(ev, Evidence{What: "the CCP's Content-Security-Policy", Value: "frame-ancestors " + joinPolicies(e.csp), Where: pageWhere(e.cspPage)})
		}
	}
	for _, p := range r.in.Capture.Pages {
		if p.Stage == signin.StageConnect && hostOfURL(p.URL) == host {
			ev = append(ev, Evidence{What: "CCP request", Value: p.URL, Where: pageWhere(p)})
			break
		}
	}
	if embed != "" {
		where := ""
		switch {
		case len(reps) > 0:
			where = reportWhere(reps[0])
		case e != nil && e.withheld:
			where = policyWhere(e.policy)
		case e != nil:
			where = pageWhere(e.loads[0].first())
		}
		ev = append(ev, Evidence{What: "origin of the page embedding the CCP", Value: embed, Where: where})
	}
	instance, _ := r.ccpInstance(host)
	origin := orX(embed, "https://YOUR-APP-ORIGIN")
	var list *evidence.ApprovedOrigins
	if instance != "" {
		list = r.aws.OriginsOf(instance)
	}
	if list != nil {
		ev = append(ev, Evidence{What: "the instance's approved origins", Value: orX(strings.Join(list.Origins, ", "), "none"), Where: list.Source.String()})
	}
	fx := r.approveFix(fmt.Sprintf("Approve the origin of the page that embeds the CCP, %s, for instance %s.", origin, orX(instance, "INSTANCE-ID")), origin, host)
	if embed == "" {
		fx.Check = &fix.Check{Result: fix.NotChecked, Why: "the origin of the page embedding the CCP is not in the capture"}
	}
	detail := "Amazon Connect sends the Contact Control Panel with a Content-Security-Policy whose frame-ancestors are the instance's approved origins. " +
		"The browser compared the page embedding the CCP with them and refused the frame, so the CCP never loaded in the agent application. " +
		"The origin must be approved exactly as the browser sees it: scheme, host and port, without a path."
	if e != nil && e.withheld {
		r.withheldOrigin(e, list, ev, fx, origin, host)
		return
	}
	if list != nil && list.Has(origin) {
		detail += " The approved origins read include it: the list may be another instance's, or Connect did not know the embedding page's origin (its Referrer-Policy: no-referrer sends none; strict-origin-when-cross-origin does)."
	}
	r.add(Finding{ID: "ccp.origin_not_approved", Severity: Error,
		Title:    fmt.Sprintf("The browser refused to show the CCP inside %s: that origin is not an approved origin of the Connect instance", origin),
		Detail:   detail,
		Evidence: ev, Explains: []string{frameRefused, popupOpen},
		Fix: fx})
}

// policyWhere is where a referrer policy was seen: the document's entry.
func policyWhere(p *capture.ReferrerPolicy) string {
	s := fmt.Sprintf("%s entry %d (GET %s", p.File, p.Entry, p.URL)
	if !p.Time.IsZero() {
		s += ", " + p.Time.UTC().Format(time.RFC3339)
	}
	return s + ")"
}

// referrerFix is the policy the fix sets: it sends the origin, never the
// path, cross-origin, and is the browsers' default.
const referrerFix = "strict-origin-when-cross-origin"

// withheldOrigin explains a refused CCP frame whose embedding page's
// referrer policy sent Connect no origin: Connect matches the frame's
// Referer against the approved origins, and without one its
// frame-ancestors cannot name the page, approved or not
// (amazon-connect-streams#1026). The fix is the page's policy, with the
// origin approved too when the approved origins read lack it.
func (r *run) withheldOrigin(e *embedding, list *evidence.ApprovedOrigins, ev []Evidence, approve *Fix, origin, host string) {
	p := e.policy
	policyWhere := policyWhere(p)
	ev = append(ev, Evidence{What: "the embedding page's referrer policy", Value: fmt.Sprintf("%s (%s %q)", p.Policy, map[string]string{"header": "Referrer-Policy header", "meta": "<meta name=\"referrer\"> content"}[p.From], p.Value), Where: policyWhere},
		Evidence{What: "the CCP frame's request", Value: "sent without Referer or Origin", Where: pageWhere(e.loads[0].first())})
	summary := fmt.Sprintf("Answer the page that embeds the CCP (%s) with Referrer-Policy: %s, so that the CCP frame's request tells Connect its origin.", p.URL, referrerFix)
	changes := []fix.Change{fix.SetReferrerPolicy{Value: referrerFix}}
	approved := list != nil && list.Has(origin)
	if list != nil && !approved {
		instance, region := r.ccpInstance(host)
		summary = fmt.Sprintf("Answer the page that embeds the CCP (%s) with Referrer-Policy: %s, and approve its origin, %s, for instance %s.", p.URL, referrerFix, origin, orX(instance, "INSTANCE-ID"))
		changes = append(changes, fix.AssociateApprovedOrigin{Value: origin, Connect: fix.Connect{Instance: instance, Region: region}})
	}
	fx := r.newFix(summary, changes...)
	if list == nil {
		instance, region := r.ccpInstance(host)
		fx.Reads = append(fx.Reads, fmt.Sprintf("aws connect list-approved-origins --instance-id %s --region %s", q(orX(instance, "INSTANCE-ID")), q(orX(region, "REGION"))))
	}
	var alts []Fix
	if list == nil {
		// Whether the origin is approved is not in the evidence: both
		// changes together are the checked fix.
		instance, region := r.ccpInstance(host)
		both := r.newFix(fmt.Sprintf("Set the Referrer-Policy and approve %s for instance %s as well: both together whatever the approved origins hold.", origin, orX(instance, "INSTANCE-ID")),
			fix.SetReferrerPolicy{Value: referrerFix}, fix.AssociateApprovedOrigin{Value: origin, Connect: fix.Connect{Instance: instance, Region: region}})
		alts = append(alts, *both)
	}
	if !approved {
		alts = append(alts, *approve)
	}
	title := fmt.Sprintf("The browser refused to show the CCP inside %s: the page's referrer policy (%s) sends Connect no origin to match with the approved origins", origin, p.Policy)
	detail := "Amazon Connect answers the CCP's frame with a Content-Security-Policy whose frame-ancestors name the embedding page's origin only when the frame's request tells it that origin (its Referer) and the origin is approved. " +
		"The page that embeds the CCP sets the referrer policy " + p.Policy + ", with which the browser sends no Referer with a cross-origin request (" + map[string]string{"no-referrer": "no-referrer sends none at all", "same-origin": "same-origin sends one to its own origin only"}[p.Policy] + "), so Connect cannot match it and the browser refuses the frame. " +
		"strict-origin-when-cross-origin (the browsers' default), strict-origin or origin send the origin, never the path."
	if approved {
		detail += " The approved origins read include " + origin + ": approving it again changes nothing."
	}
	r.add(Finding{ID: "ccp.origin_not_approved", Severity: Error, Title: title, Detail: detail,
		Evidence: ev, Explains: []string{frameRefused, popupOpen}, Fix: fx, Alternatives: alts})
}
