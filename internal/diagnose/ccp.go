package diagnose

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
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

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// observeCCP records the embedded CCP's missing session as a symptom.
func (r *run) observeCCP() {
	chain := ccpChain(r.in.Capture.Pages)
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
	if !r.symptoms[errorpage.CCPNoSession] {
		return
	}
	chain := ccpChain(r.in.Capture.Pages)
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
	instance, region := orX(r.subjectInstance(), "INSTANCE-ID"), orX(r.subjectRegion(), "REGION")
	origin := orX(embed, "https://YOUR-APP-ORIGIN")
	cookies := Fix{Summary: "Let the CCP's frame use its session: allow third-party cookies for the Connect domain (" + hostOfURL(ccp.URL) + ") in the agents' browsers, by policy where the browsers are managed.",
		Steps: []string{"Chrome and Edge: Settings > Privacy and security > Third-party cookies > Sites allowed to use third-party cookies: add the agent application's site, " + origin + ". Managed browsers: add \"https://" + hostOfURL(ccp.URL) + "," + origin + "\" to the CookiesAllowedForUrls policy (the CCP's site, allowed its cookies when embedded in the application's).",
			"Firefox: Settings > Privacy & Security > Cookies and Site Data > Manage Exceptions: allow https://" + hostOfURL(ccp.URL) + ".",
			"Safari: Settings > Privacy: turn off Prevent cross-site tracking for the agents' profile, or serve the agent application so that the CCP is not cross-site."},
		Check: &Check{Result: CheckNotChecked, Why: "the browser's cookie settings are not in the evidence; capture again after the change"}}
	approved := Fix{Summary: fmt.Sprintf("Approve the origin of the page that embeds the CCP (%s) for instance %s.", origin, instance),
		Commands: []string{
			fmt.Sprintf("aws connect list-approved-origins --instance-id %s --region %s", instance, region),
			fmt.Sprintf("aws connect associate-approved-origin --instance-id %s --origin %s --region %s", instance, origin, region)},
		Check: &Check{Result: CheckNotChecked, Why: "the instance's approved origins are not in the evidence: list-approved-origins shows whether " + origin + " is among them"}}
	login := Fix{Summary: "Sign the agent in through the identity provider before the CCP loads: in Amazon Connect Streams, set loginUrl to the IdP's sign-in URL for the Amazon Connect application and loginPopup to true, so the CCP opens it when there is no session.",
		Steps: []string{"In the page's connect.core.initCCP(container, {...}) call, set ccpUrl to https://" + hostOfURL(ccp.URL) + "/ccp-v2/, loginUrl to the IdP's user access URL for the Amazon Connect app, and loginPopup: true (loginPopupAutoClose: true).",
			"Or have agents start from the IdP's app portal, then open the agent application in the same browser."},
		Check: &Check{Result: CheckNotChecked, Why: "how the agent application starts the CCP is not in the evidence"}}
	f := Finding{ID: "connect.ccp_no_session", Severity: Error, Evidence: ev, Explains: []string{errorpage.CCPNoSession}}
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
