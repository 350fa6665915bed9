package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// withheld is an agent application whose page sets a referrer policy
// that sends no origin cross-origin: the CCP frame's request carries no
// Referer, and Connect answers it with frame-ancestors that cannot name
// the page (amazon-connect-streams#1026: 'self' only).
func withheld(hdr, meta string) fixture.Streams {
	s := healthy()
	s.FrameAncestors, s.NoReferer = "'self'", true
	if hdr != "" {
		s.AppHeaders = [][2]string{{"Referrer-Policy", hdr}}
	}
	if meta != "" {
		s.AppBody = `<html><head><meta name="referrer" content="` + meta + `"></head><body><div id="ccp"></div></body></html>`
	}
	return s
}

func fixKinds(f *diagnose.Fix) string {
	var k []string
	for _, c := range f.Changes {
		k = append(k, string(c.Kind()))
	}
	return strings.Join(k, "+")
}

// The embedding page's referrer policy that sends Connect no origin is
// evidence of ccp.origin_not_approved, fixed by the page's policy (and
// the approval when the approved origins lack the origin), each checked
// against the frame.
func TestReferrerPolicyWithholdsOrigin(t *testing.T) {
	const approved = `{"Origins":["` + app + `"]}`
	const others = `{"Origins":["https://other.example.com"]}`
	for _, tt := range []struct {
		name     string
		s        fixture.Streams
		aws      []string
		fix      string
		result   string
		alts     []string // kind/result of each alternative
		evidence string
	}{
		{"header, origin approved", withheld("no-referrer", ""), []string{approved}, "app.set_referrer_policy", fix.Passes,
			nil, `no-referrer (Referrer-Policy header "no-referrer")`},
		{"meta, origin approved", withheld("", "no-referrer"), []string{approved}, "app.set_referrer_policy", fix.Passes,
			nil, `no-referrer (<meta name="referrer"> content "no-referrer")`},
		{"same-origin, origin not approved", withheld("same-origin", ""), []string{others}, "app.set_referrer_policy+connect.associate_approved_origin", fix.Passes,
			[]string{"connect.associate_approved_origin/still_fails"}, `same-origin (Referrer-Policy header "same-origin")`},
		{"approved origins unknown", withheld("no-referrer", ""), nil, "app.set_referrer_policy", fix.NotChecked,
			[]string{"app.set_referrer_policy+connect.associate_approved_origin/passes", "connect.associate_approved_origin/still_fails"}, "no-referrer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := diagnoseStreams(t, fixture.Chrome, tt.s, tt.aws...)
			f := find(res, "ccp.origin_not_approved")
			if f == nil {
				t.Fatalf("findings %v, symptoms %+v", ids(res), res.Symptoms)
			}
			if !strings.Contains(f.Title, "referrer policy") || !strings.Contains(f.Title, app) {
				t.Errorf("title %q", f.Title)
			}
			if got := fixKinds(f.Fix); got != tt.fix || f.Fix.Check == nil || f.Fix.Check.Result != tt.result {
				t.Errorf("fix %s, check %+v", got, f.Fix.Check)
			}
			if steps := strings.Join(report.Render(*f.Fix).Steps, "\n"); !strings.Contains(steps, "Referrer-Policy: strict-origin-when-cross-origin") || !strings.Contains(steps, `add_header Referrer-Policy "strict-origin-when-cross-origin" always;`) {
				t.Errorf("steps %s", steps)
			}
			var alts []string
			for _, a := range f.Alternatives {
				alts = append(alts, fixKinds(&a)+"/"+string(a.Check.Result))
			}
			if strings.Join(alts, " ") != strings.Join(tt.alts, " ") {
				t.Errorf("alternatives %v, want %v", alts, tt.alts)
			}
			found := false
			for _, e := range f.Evidence {
				found = found || e.What == "the embedding page's referrer policy" && strings.Contains(e.Value, tt.evidence) && strings.HasPrefix(e.Where, "agent.har entry 0 (")
			}
			if !found {
				t.Errorf("evidence %+v", f.Evidence)
			}
		})
	}
}

// Near misses: a policy that sends the origin cross-origin is no cause
// (the frame's request names the page; a refusal is the approval's), and
// a healthy frame under a no-referrer page that still sent its Referer
// (the frame's own referrerpolicy) is quiet.
func TestReferrerPolicySendsOrigin(t *testing.T) {
	for _, policy := range []string{"strict-origin-when-cross-origin", "origin", "strict-origin"} {
		t.Run(policy, func(t *testing.T) {
			s := healthy()
			s.AppHeaders = [][2]string{{"Referrer-Policy", policy}}
			s.FrameAncestors = "'self' https://approved.example.com"
			res := diagnoseStreams(t, fixture.Chrome, s)
			f := find(res, "ccp.origin_not_approved")
			if f == nil || strings.Contains(f.Title, "referrer") || fixKinds(f.Fix) != "connect.associate_approved_origin" || f.Fix.Check.Result != fix.Passes {
				t.Fatalf("findings %v: %+v", ids(res), f)
			}
			for _, e := range f.Evidence {
				if strings.Contains(e.What, "referrer") {
					t.Errorf("evidence %+v", e)
				}
			}
			s.FrameAncestors = "'self' " + app
			if res := diagnoseStreams(t, fixture.Chrome, s); res.HasErrors() {
				t.Errorf("healthy frame: findings %v", ids(res))
			}
		})
	}
	t.Run("no-referrer, the frame still sent its Referer", func(t *testing.T) {
		s := healthy()
		s.AppHeaders = [][2]string{{"Referrer-Policy", "no-referrer"}}
		if res := diagnoseStreams(t, fixture.Chrome, s); res.HasErrors() {
			t.Errorf("findings %v", ids(res))
		}
	})
}
