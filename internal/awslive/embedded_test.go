package awslive_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

const agentApp = "https://agents.example.com"

// streams is samldoctor record's capture of an agent application
// embedding the CCP (fixture.Streams) after a sign-in through its popup,
// the CCP answering its frame with frame-ancestors.
func streams(frameAncestors string, edit func(*fixture.Streams)) *capture.Capture {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
	s := fixture.Streams{At: at, App: agentApp, CCPURL: "https://example-corp.my.connect.aws/ccp-v2/",
		SignIn: fixture.SignIn(xml, fixture.RelayState(), at, fixture.Success), FrameSession: true, FrameAncestors: frameAncestors}
	if edit != nil {
		edit(&s)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("agent.har", bytes.NewReader(fixture.HAR(fixture.Chrome, s.Steps()))); err != nil {
		panic(err)
	}
	return r.Finish()
}

// diagnoseLive collects the instance's evidence from a fake account
// whose instance approves origins, and diagnoses the capture with it.
func diagnoseLive(t *testing.T, c *capture.Capture, origins []string, deny ...string) (*diagnose.Result, *awsfake.Server) {
	t.Helper()
	w := bigWorld(0)
	w.ApprovedOrigins = origins
	srv := awsfake.New(w)
	t.Cleanup(srv.Close)
	srv.Deny(deny...)
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), awslive.Target{Region: fixture.DefaultRegion, InstanceID: fixture.DefaultInstance})
	set := evidence.NewSet()
	if err := set.LoadBundle("live", b); err != nil {
		t.Fatal(err)
	}
	return diagnose.Run(diagnose.Input{Capture: c, AWS: set}), srv
}

func finding(res *diagnose.Result, id string) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].ID == id {
			return &res.Findings[i]
		}
	}
	return nil
}

// A live diagnosis of an embedded CCP reads the instance's approved
// origins: the refused frame's origin is not among them, and approving
// it passes its check; an origin the live list and the CCP's answer
// both name is no failure (the near miss).
func TestEmbeddedCCPLive(t *testing.T) {
	t.Run("origin not approved", func(t *testing.T) {
		res, srv := diagnoseLive(t, streams("'self' https://approved.example.com", nil), []string{"https://approved.example.com"})
		if srv.Count("connect:ListApprovedOrigins") != 1 {
			t.Errorf("calls %v", srv.Calls())
		}
		f := finding(res, "ccp.origin_not_approved")
		if f == nil || f.Fix == nil || len(f.Fix.Changes) != 1 || f.Fix.Changes[0].Kind() != fix.KindAssociateApprovedOrigin || f.Fix.Check.Result != fix.Passes {
			t.Fatalf("findings %v: %+v", findings(res), f)
		}
		found := false
		for _, e := range f.Evidence {
			found = found || e.What == "the instance's approved origins" && e.Value == "https://approved.example.com" && strings.Contains(e.Where, "live: connect:ListApprovedOrigins")
		}
		if !found {
			t.Errorf("evidence %+v", f.Evidence)
		}
	})
	t.Run("origin approved", func(t *testing.T) {
		res, _ := diagnoseLive(t, streams("'self' "+agentApp, nil), []string{agentApp})
		if res.HasErrors() || finding(res, "ccp.origin_not_approved") != nil {
			t.Errorf("findings %v", findings(res))
		}
	})
	// The page's Referrer-Policy: no-referrer withholds the origin: with
	// the live list approving it, the page's policy alone is the fix,
	// checked; approving the origin again still fails.
	t.Run("approved, withheld by no-referrer", func(t *testing.T) {
		c := streams("'self'", func(s *fixture.Streams) {
			s.NoReferer, s.AppHeaders = true, [][2]string{{"Referrer-Policy", "no-referrer"}}
		})
		res, _ := diagnoseLive(t, c, []string{agentApp})
		f := finding(res, "ccp.origin_not_approved")
		if f == nil || len(f.Fix.Changes) != 1 || f.Fix.Changes[0].Kind() != fix.KindSetReferrerPolicy || f.Fix.Check.Result != fix.Passes ||
			len(f.Alternatives) != 0 || !strings.Contains(f.Detail, "approving it again changes nothing") {
			t.Fatalf("findings %v: %+v", findings(res), f)
		}
	})
	// A refusal is a warning when the capture needs the answer, and
	// information when it does not.
	t.Run("denied", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			c    *capture.Capture
			sev  string
		}{
			{"embedded CCP", streams("'self' https://approved.example.com", nil), diagnose.Warning},
			{"no embedded CCP", readCapture(t, "../../examples/access-denied.har"), diagnose.Info},
		} {
			res, _ := diagnoseLive(t, tt.c, nil, "connect:ListApprovedOrigins")
			var got []string
			for _, f := range res.Findings {
				if f.ID == "aws.call_denied" {
					got = append(got, f.Severity+" "+string(f.Stage)+" "+f.Title)
				}
			}
			want := tt.sev + " S8 embedded CCP Could not call connect:ListApprovedOrigins: AccessDeniedException; whether the page embedding the CCP is an approved origin of the instance is undetermined"
			if len(got) != 1 || got[0] != want {
				t.Errorf("%s: %q, want %q", tt.name, got, want)
			}
		}
		// No session ended in the capture: the profile waits on nothing.
		res, _ := diagnoseLive(t, streams("'self' "+agentApp, nil), nil, "connect:ListAuthenticationProfiles")
		if f := finding(res, "aws.call_denied"); f == nil || f.Severity != diagnose.Info || !strings.Contains(f.Title, "connect:ListAuthenticationProfiles") {
			t.Errorf("profile list denied: %+v", f)
		}
	})
}
