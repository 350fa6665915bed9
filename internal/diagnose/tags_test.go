package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// tagsInvalid is STS's answer to session tags it refuses, as AWS sign-in
// shows it.
var tagsInvalid = fixture.Outcome{SignInError: "Unable to validate tags (Service: AWSSecurityToken; Status Code: 400; Error Code: ValidationError; Request ID: 0f3c2b1a-0000-4000-8000-000000000000; Proxy: null). Please try again."}

func tag(key, value string) [2]string { return [2]string{assertion.AttrPrincipalTag + key, value} }

// tagCauseCases are the session-tag causes for TestCauses.
func tagCauseCases() []causeCase {
	return []causeCase{
		{"aws.session_tags_invalid",
			func(s *scenario) {
				s.outcome = tagsInvalid
				s.resp.Attributes = [][2]string{tag("Department", "Contact Centre"), tag("GithubTeams", ":"+strings.Repeat("team-", 60)+":")}
			}, func(s *scenario) {
				s.resp.Attributes = [][2]string{tag("Department", "Contact Centre"), tag("GithubTeams", strings.Repeat("t", 256))}
			}, "signin.tags_invalid"},
	}
}

// Each of STS's limits, judged from the assertion alone, and the value
// just inside each limit staying quiet.
func TestSessionTagLimits(t *testing.T) {
	many := func(n int) [][2]string {
		var out [][2]string
		for i := range n {
			out = append(out, tag("Tag"+string(rune('A'+i/26))+string(rune('a'+i%26)), "v"))
		}
		return out
	}
	tests := []struct {
		name  string
		attrs [][2]string
		want  string // in the title; "" for none
	}{
		{"51 tags", many(51), "sends 51 session tags; STS takes at most 50"},
		{"50 tags", many(50), ""},
		{"key of 129", [][2]string{tag(strings.Repeat("k", 129), "v")}, "is 129 characters long; STS takes at most 128"},
		{"key of 128", [][2]string{tag(strings.Repeat("k", 128), "v")}, ""},
		{"value of 257", [][2]string{tag("Teams", strings.Repeat("é", 257))}, "is 257 characters long; STS takes at most 256"},
		{"value of 256 characters, more bytes", [][2]string{tag("Teams", strings.Repeat("é", 256))}, ""},
		{"transitive key not sent", [][2]string{tag("Project", "Alpha"), {assertion.AttrTransitiveTagKeys, "CostCenter"}}, "TransitiveTagKeys names CostCenter, which is not a session tag the assertion sends"},
		{"transitive key sent", [][2]string{tag("Project", "Alpha"), {assertion.AttrTransitiveTagKeys, "Project"}}, ""},
		{"a character STS refuses", [][2]string{tag("Teams", "a;b")}, "has characters STS does not take"},
		{"the characters STS takes", [][2]string{tag("Teams", "Team A/B: x=y+z @corp_1.-")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.resp.Attributes = tt.attrs
			f := find(s.run(t), "aws.session_tags_invalid")
			if tt.want == "" {
				if f != nil {
					t.Fatalf("near miss produced %s", f.Title)
				}
				return
			}
			if f == nil || !strings.Contains(f.Title, tt.want) {
				t.Fatalf("finding %+v, want title with %q", f, tt.want)
			}
			if f.Fix == nil || f.Fix.Check == nil {
				t.Fatalf("no checked fix")
			}
		})
	}
}

// The value's length is shown, the tag is dropped by the fix, and with
// the role's policies known, a tag they use is named as what the change
// breaks; more than 50 tags drop the ones no policy uses.
func TestSessionTagsFix(t *testing.T) {
	long := ":" + strings.Repeat("team-", 60) + ":"
	s := base()
	s.outcome = tagsInvalid
	s.resp.Attributes = [][2]string{tag("GithubTeams", long)}
	res := s.run(t)
	f := find(res, "aws.session_tags_invalid")
	if f == nil || res.Findings[0].ID != f.ID {
		t.Fatalf("not the root cause: %v", ids(res))
	}
	if !strings.Contains(evText(f), "value of PrincipalTag:GithubTeams, 302 characters (the limit is 256)") || !strings.Contains(evText(f), "… (302 characters)") {
		t.Errorf("evidence:\n%s", evText(f))
	}
	if f.Fix.Check.Result != fix.Passes || !strings.Contains(report.Render(*f.Fix).IdP, "stop sending the session tag PrincipalTag:GithubTeams") {
		t.Errorf("fix %q %+v", report.Render(*f.Fix).IdP, f.Fix.Check)
	}

	// 52 tags, one used by the trust policy: the two dropped are unused.
	s = base()
	s.outcome = tagsInvalid
	var attrs [][2]string
	for i := range 52 {
		attrs = append(attrs, tag("T"+string(rune('a'+i/26))+string(rune('a'+i%26)), "v"))
	}
	s.resp.Attributes = attrs
	trust := trustDoc("https://signin.aws.amazon.com/saml")
	st := trust["Statement"].([]any)[0].(map[string]any)
	st["Action"] = []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}
	st["Condition"].(map[string]any)["StringLike"] = map[string]any{"aws:RequestTag/Tbz": "*"}
	s.aws["iam.json"] = authJSON("ConnectAgents", trust, federationDoc(region))
	f = find(s.run(t), "aws.session_tags_invalid")
	if f == nil || f.Fix.Check.Result != fix.Passes {
		t.Fatalf("finding %+v, check %+v", f, f.Fix.Check)
	}
	if got := strings.Join(flat(f.Fix.Changes[0]).Tags, ","); got != "Tby,Tbx" && got != "Tbx,Tby" {
		t.Errorf("dropped %s, want the last two unused (Tbx, Tby)", got)
	}
}
