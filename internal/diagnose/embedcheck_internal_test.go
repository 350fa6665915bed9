package diagnose

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// A change to the embedded CCP is checked against the frames: one that
// names something else than the capture's failure does not pass.
func TestEmbeddedChangesChecked(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "jane", RoleSessionName: []string{"jane"}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
	s := fixture.Streams{At: at, App: "https://agents.example.com", CCPURL: "https://example-corp.awsapps.com/connect/ccp-v2/",
		SignIn: fixture.LandOn(fixture.SignIn(xml, fixture.RelayState(), at, fixture.Success), "https://example-corp.my.connect.aws/ccp-v2/"),
		Extra: []fixture.Step{{Time: at.Add(2 * time.Second), Method: "GET", URL: "https://example-corp.awsapps.com/connect/ccp-v2/", Status: 200, Mime: "text/html", Body: "<html></html>",
			ReqHeaders:  [][2]string{{"Sec-Fetch-Dest", "iframe"}, {"Referer", "https://agents.example.com/"}},
			RespHeaders: [][2]string{{"Content-Security-Policy", "frame-ancestors 'self' https://approved.example.com"}}, Window: "TAB", Type: "document"}}}
	cr := signin.NewReader(capture.Options{})
	if err := cr.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, s.Steps()))); err != nil {
		t.Fatal(err)
	}
	res := Run(Input{Capture: cr.Finish()})
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.ID)
	}
	if !strings.Contains(strings.Join(ids, " "), "ccp.domain_mismatch") || !strings.Contains(strings.Join(ids, " "), "ccp.origin_not_approved") {
		t.Fatalf("findings %v", ids)
	}
	r := newRun(Input{Capture: cr.Finish()})
	r.observeSymptoms()
	for _, tt := range []struct {
		name    string
		changes []fix.Change
		result  string
		why     string
	}{
		{"the ccpUrl alone: the origin is still refused", []fix.Change{fix.SetCCPURL{Value: "https://example-corp.my.connect.aws/ccp-v2/"}}, fix.StillFails, "ccp.origin_not_approved"},
		{"both", []fix.Change{fix.SetCCPURL{Value: "https://example-corp.my.connect.aws/ccp-v2/"}, fix.AssociateApprovedOrigin{Value: "https://agents.example.com"}}, fix.Passes, ""},
		{"another host than Connect's", []fix.Change{fix.SetCCPURL{Value: "https://agents.example.com/ccp-v2/"}}, fix.StillFails, "AWS would refuse"},
		{"another origin approved", []fix.Change{fix.AssociateApprovedOrigin{Value: "https://agents.example.com:8443"}}, fix.StillFails, "does not do what it says"},
		{"an origin with a path", []fix.Change{fix.AssociateApprovedOrigin{Value: "https://agents.example.com/desk"}}, fix.NotChecked, "scheme, host and port"},
		{"mixed with a change elsewhere", []fix.Change{fix.SetCCPURL{Value: "https://example-corp.my.connect.aws/ccp-v2/"}, fix.SetRelayState{Value: "x"}}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &Fix{Changes: tt.changes}
			ok := r.checkEmbeddedFix(f)
			if tt.result == "" {
				if ok {
					t.Errorf("checked as an embedded change: %+v", f.Check)
				}
				return
			}
			if !ok || f.Check.Result != tt.result || !strings.Contains(f.Check.Why, tt.why) {
				t.Errorf("check %+v", f.Check)
			}
		})
	}
}
