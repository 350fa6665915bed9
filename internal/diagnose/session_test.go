package diagnose_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// expiredStep is Connect's "Session expired" page (AWS Knowledge Center,
// "resolve session expired errors").
func expiredStep(when time.Time, twelve bool) fixture.Step {
	msg := "Your session has expired. Please log in again to continue."
	if twelve {
		msg += " Sessions expire after 12 hours."
	}
	return fixture.Step{Time: when, Method: "GET", URL: "https://example-corp.my.connect.aws/ccp-v2/", Status: 200, Mime: "text/html; charset=utf-8",
		Body: fixture.ConnectErrorPage("Session expired", msg)}
}

// fedEventsJSON is lookup-events output of the agent's successful
// GetFederationToken calls at the times given.
func fedEventsJSON(agent string, times ...time.Time) string {
	var evs []any
	for i, when := range times {
		rec := map[string]any{"eventVersion": "1.09", "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "awsRegion": region, "eventTime": when.UTC().Format(time.RFC3339),
			"userIdentity": map[string]any{"type": "AssumedRole", "principalId": "AROAEXAMPLE:" + agent, "arn": "arn:aws:sts::" + acct + ":assumed-role/ConnectAgents/" + agent,
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + acct + ":role/ConnectAgents"}}},
			"requestParameters": map[string]any{"InstanceId": instance}}
		b, _ := json.Marshal(rec)
		evs = append(evs, map[string]any{"EventId": "fed-" + string(rune('a'+i)), "EventName": "GetFederationToken", "EventTime": when.UTC().Format(time.RFC3339), "EventSource": "connect.amazonaws.com", "Username": agent, "CloudTrailEvent": string(b)})
	}
	return js(map[string]any{"Events": evs})
}

func profileJSON(inactivity int, allowed ...string) string {
	p := map[string]any{"Id": "ap-1", "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/authentication-profile/ap-1", "Name": "Agents", "IsDefault": true,
		"AllowedIps": allowed, "BlockedIps": []string{}, "MaxSessionDuration": 720}
	if inactivity > 0 {
		p["SessionInactivityDuration"], p["SessionInactivityHandlingEnabled"] = inactivity, true
	}
	return js(map[string]any{"AuthenticationProfile": p})
}

// "Session expired" after the session's 12 hours is the session's end,
// told from a direct visit (connect.direct_login) by when the agent
// signed in: in the capture, or in CloudTrail.
func TestSessionMaxDuration(t *testing.T) {
	page := at.Add(12*time.Hour + 20*time.Minute)
	t.Run("sign-in in the capture", func(t *testing.T) {
		res := diagnoseSteps(t, nil, signInSteps(rsn, "", at, fixture.Success), []fixture.Step{expiredStep(page, true)})
		f := find(res, "connect.session_max_duration")
		if f == nil || res.Findings[0].ID != "connect.session_max_duration" || find(res, "connect.direct_login") != nil || !res.Failed() {
			t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
		}
		if !strings.Contains(f.Title, "12h") || f.Fix.Check.Result != fix.NotChecked || len(f.Explains) != 2 {
			t.Errorf("title %q, explains %v, check %+v", f.Title, f.Explains, f.Fix.Check)
		}
	})
	t.Run("sign-in in CloudTrail", func(t *testing.T) {
		res := diagnoseSteps(t, map[string]string{"ct.json": fedEventsJSON(rsn, page.Add(-20*time.Hour), page.Add(-13*time.Hour))}, []fixture.Step{expiredStep(page, true)})
		f := find(res, "connect.session_max_duration")
		if f == nil || find(res, "connect.direct_login") != nil || find(res, "capture.no_saml") != nil {
			t.Fatalf("findings %v", ids(res))
		}
		if ev := f.Evidence[0]; !strings.Contains(ev.Value, rsn+", "+page.Add(-13*time.Hour).UTC().Format(time.RFC3339)) || !strings.Contains(ev.What, "only agent") {
			t.Errorf("evidence %+v", ev)
		}
	})
	// The near miss: no sign-in in the capture or CloudTrail: opened
	// directly, the finding it always was; the 12-hour text alone does
	// not say the session ended (Connect shows it on a direct visit too).
	res := diagnoseSteps(t, nil, []fixture.Step{expiredStep(page, true)})
	if find(res, "connect.direct_login") == nil || find(res, "connect.session_max_duration") != nil || find(res, "connect.auth_profile_signout") != nil {
		t.Errorf("direct visit: findings %v", ids(res))
	}
	// Two agents in CloudTrail, no capture of the sign-in: whose session
	// it was is not known.
	two := fedEventsJSON(rsn, page.Add(-13*time.Hour))
	other := fedEventsJSON("john.roe@example.com", page.Add(-2*time.Hour))
	res = diagnoseSteps(t, map[string]string{"a.json": two, "b.json": other}, []fixture.Step{expiredStep(page, false)})
	if find(res, "connect.session_max_duration") != nil || find(res, "connect.auth_profile_signout") != nil {
		t.Errorf("two agents: findings %v", ids(res))
	}
}

// Signed out before the session's end: the authentication profile's
// inactivity and IP-range settings are the causes it can show.
func TestAuthProfileSignout(t *testing.T) {
	page := at.Add(3 * time.Hour)
	steps := func() [][]fixture.Step {
		return [][]fixture.Step{signInSteps(rsn, "", at, fixture.Success), {expiredStep(page, false)}}
	}
	t.Run("inactivity", func(t *testing.T) {
		res := diagnoseSteps(t, map[string]string{"profile.json": profileJSON(30)}, steps()...)
		f := find(res, "connect.auth_profile_signout")
		if f == nil || f.Severity != diagnose.Warning || find(res, "connect.session_max_duration") != nil {
			t.Fatalf("findings %v", ids(res))
		}
		if !strings.Contains(f.Detail, "SessionInactivityDuration 30m0s") || strings.Contains(f.Detail, "AllowedIps") {
			t.Errorf("detail %q", f.Detail)
		}
	})
	t.Run("IP ranges", func(t *testing.T) {
		res := diagnoseSteps(t, map[string]string{"profile.json": profileJSON(0, "203.0.113.0/24")}, steps()...)
		if f := find(res, "connect.auth_profile_signout"); f == nil || !strings.Contains(f.Detail, "AllowedIps 203.0.113.0/24") {
			t.Fatalf("findings %v", ids(res))
		}
	})
	t.Run("no profile", func(t *testing.T) {
		res := diagnoseSteps(t, nil, steps()...)
		f := find(res, "connect.auth_profile_signout")
		if f == nil || f.Severity != diagnose.Info || !strings.Contains(strings.Join(report.Render(*f.Fix).Commands, "\n"), "aws connect list-authentication-profiles --instance-id "+instance) {
			t.Fatalf("findings %v %+v", ids(res), f)
		}
	})
	// The near miss: a profile that signs no one out early.
	res := diagnoseSteps(t, map[string]string{"profile.json": profileJSON(0)}, steps()...)
	if find(res, "connect.auth_profile_signout") != nil || find(res, "connect.session_max_duration") != nil {
		t.Errorf("findings %v", ids(res))
	}
}
