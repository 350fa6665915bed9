package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Connect's "Session expired" page comes from a visit to Connect without
// a session: the agent opened Connect directly (connect.direct_login), or
// the session ended. A session ends 12 hours after the sign-in (AWS
// Knowledge Center: "Sessions expire after 12 hours"; the authentication
// profile's MaxSessionDuration), or earlier when the instance's
// authentication profile signs the agent out (session inactivity, IP
// ranges). When the agent signed in is what tells them apart: the
// federation in the capture, or the agent's GetFederationToken in
// CloudTrail.

// defaultSession is Connect's session length.
const defaultSession = 12 * time.Hour

// sessionSlack is how far short of the session's length a sign-out still
// counts as its end: the browser's clock and AWS's differ, and the page
// is seen after the session ended.
const sessionSlack = 2 * time.Minute

// expiredPage is the first Connect page that showed "Session expired".
func expiredPage(pages []capture.Page) (capture.Page, bool) {
	for _, p := range pages {
		for _, e := range p.Errors {
			if e.ID == "connect.session_expired" || e.ID == errorpage.SessionExpired12h {
				return p, true
			}
		}
	}
	return capture.Page{}, false
}

// signedInAt is when the agent last signed in to the instance before t:
// the capture's latest federation to Connect, else the agent's latest
// successful GetFederationToken in CloudTrail; with the evidence.
func (r *run) signedInAt(t time.Time, instance string) (time.Time, []Evidence) {
	var at time.Time
	var ev []Evidence
	for _, p := range r.in.Capture.Pages {
		if p.Stage == signin.StageFederation && p.Status >= 300 && p.Status < 400 && isConnectApp(p.Location) && p.Time.Before(t) && p.Time.After(at) {
			at, ev = p.Time, []Evidence{{What: "the sign-in's federation to Connect", Value: p.Location, Where: pageWhere(p)}}
		}
	}
	if !at.IsZero() {
		return at, ev
	}
	agent, who := "", ""
	if r.subject != nil && r.subject.RoleSessionName != "" {
		agent, who = r.subject.RoleSessionName, "the agent's"
	} else {
		// Without the sign-in's message, the agent is known only when
		// CloudTrail shows one agent federating into the instance.
		for _, e := range r.aws.Events {
			if s := sessionOf(e.IdentityARN); e.Name == "GetFederationToken" && e.ErrorCode == "" && s != "" && (instance == "" || e.InstanceID == "" || e.InstanceID == instance) {
				if agent != "" && agent != s {
					return time.Time{}, nil
				}
				agent, who = s, "the only agent's (CloudTrail shows no other federating into the instance)"
			}
		}
	}
	var last *evidence.Event
	for _, e := range r.aws.Events {
		if e.Name != "GetFederationToken" || e.ErrorCode != "" || sessionOf(e.IdentityARN) != agent || agent == "" || !e.Time.Before(t) {
			continue
		}
		if instance != "" && e.InstanceID != "" && e.InstanceID != instance {
			continue
		}
		if last == nil || e.Time.After(last.Time) {
			last = e
		}
	}
	if last == nil {
		return time.Time{}, nil
	}
	return last.Time, []Evidence{{What: who + " last sign-in to Connect (GetFederationToken)", Value: fmt.Sprintf("%s, %s (event %s)", agent, last.Time.UTC().Format(time.RFC3339), last.ID), Where: last.File.String()}}
}

// checkSessionLength explains "Session expired" after a sign-in: the
// session's end, or the authentication profile's sign-out.
func (r *run) checkSessionLength() {
	if !r.symptoms["connect.session_expired"] && !r.symptoms[errorpage.SessionExpired12h] {
		return
	}
	page, ok := expiredPage(r.in.Capture.Pages)
	if !ok || page.Time.IsZero() {
		return
	}
	instance, region := r.ccpInstance(hostOfURL(page.URL))
	at, ev := r.signedInAt(page.Time, instance)
	if at.IsZero() {
		return // no sign-in before it: connect.direct_login, when there is no SAML
	}
	elapsed := page.Time.Sub(at)
	profile := r.aws.AuthProfileOf(instance)
	length, lengthFrom := defaultSession, "Connect's session length"
	if profile != nil && profile.MaxSession > 0 {
		length, lengthFrom = profile.MaxSession, "MaxSessionDuration of the authentication profile "+orX(profile.Name, profile.ID)
	}
	ev = append(ev, Evidence{What: "Session expired page", Value: fmt.Sprintf("%s, %s after the sign-in", page.Time.UTC().Format(time.RFC3339), roundDur(elapsed)), Where: pageWhere(page)})
	explains := []string{"connect.session_expired", errorpage.SessionExpired12h}
	profileCmd := fmt.Sprintf("aws connect list-authentication-profiles --instance-id %s --region %s   # then describe-authentication-profile --authentication-profile-id ID", q(orX(instance, "INSTANCE-ID")), q(orX(region, "REGION")))
	if elapsed >= length-sessionSlack {
		if profile != nil && profile.MaxSession > 0 {
			ev = append(ev, Evidence{What: "session length", Value: roundDur(length), Where: profile.Source.String()})
		}
		r.add(Finding{ID: "connect.session_max_duration", Severity: Error,
			Title:    fmt.Sprintf("The agent's Connect session ended %s after the sign-in: %s is %s", roundDur(elapsed), lengthFrom, roundDur(length)),
			Detail:   "Amazon Connect signs an agent out when the session's length has passed since the sign-in through the identity provider, even during a call, and shows \"Session expired\". The sign-in was not wrong: the session is over. With SAML, a new session only comes from a new sign-in through the identity provider; Connect's own page cannot start one.",
			Evidence: ev, Explains: explains,
			Fix: &Fix{Summary: "Sign in again through the identity provider: sign out of the IdP first if it would reuse its own session, then open the Amazon Connect app from it (not Connect's page or a bookmark of it).",
				After: []string{"Agents whose shifts are longer than " + roundDur(length) + " sign in again through the IdP before the session ends (between calls).",
					"An embedded CCP: Amazon Connect Streams opens its login popup when the session ends (loginPopup, loginUrl the IdP's URL for the Connect app)."},
				Check: &fix.Check{Result: fix.NotChecked, Why: "the session's length is Connect's; a new sign-in is not a change to the identity provider, IAM or Connect"}}})
		return
	}
	// Ended early: what in the authentication profile signs an agent out.
	var causes []string
	sev := Warning
	if profile == nil {
		sev = Info
		causes = append(causes, "the instance's authentication profile is not in the evidence: its session-inactivity and IP-range settings are what signs agents out early ("+profileCmd+")")
	} else {
		if profile.InactivitySignOut != nil && *profile.InactivitySignOut && profile.Inactivity > 0 {
			c := fmt.Sprintf("SessionInactivityHandlingEnabled, SessionInactivityDuration %s", roundDur(profile.Inactivity))
			if profile.Inactivity <= elapsed {
				c += " (no activity for that long signs the agent out)"
			}
			causes = append(causes, c)
		}
		if len(profile.AllowedIps) > 0 || len(profile.BlockedIps) > 0 {
			causes = append(causes, fmt.Sprintf("IP ranges: AllowedIps %s, BlockedIps %s (an agent whose address leaves them is signed out when not on a call)",
				orX(strings.Join(profile.AllowedIps, " "), "none"), orX(strings.Join(profile.BlockedIps, " "), "none")))
		}
		if len(causes) == 0 {
			return // nothing in the profile signs agents out early: the capture does not say why
		}
		ev = append(ev, Evidence{What: "authentication profile " + orX(profile.Name, profile.ID), Value: strings.Join(causes, "; "), Where: profile.Source.String()})
	}
	f := Finding{ID: "connect.auth_profile_signout", Severity: sev,
		Title:    fmt.Sprintf("The agent's Connect session ended %s after the sign-in, before its %s: the authentication profile may have signed the agent out", roundDur(elapsed), roundDur(length)),
		Detail:   "An instance's authentication profile signs agents out after a time without activity (session inactivity) and when their IP address leaves the allowed ranges; Connect then shows \"Session expired\". " + strings.Join(causes, "; ") + ".",
		Evidence: ev, Explains: explains,
		Fix: &Fix{Summary: "Keep agents signed in while they work: an embedded CCP must report the agent's activity (Amazon Connect Streams handles session inactivity); raising SessionInactivityDuration or widening AllowedIps is a security decision for the instance's administrators.",
			Reads: []string{profileCmd},
			After: []string{"In the Amazon Connect console: the instance > Security > Authentication profiles: the session inactivity timeout and the allowed and blocked IP ranges.", "Check the agent's IP address at the time of the sign-out against AllowedIps and BlockedIps (a VPN or a new egress address)."},
			Check: &fix.Check{Result: fix.NotChecked, Why: "whether the agent was inactive or changed IP address is not in the capture"}}}
	if sev == Info {
		f.Title = fmt.Sprintf("The agent's Connect session ended %s after the sign-in, before its %s: the instance's authentication profile would say whether it signed the agent out", roundDur(elapsed), roundDur(length))
	}
	r.add(f)
}
