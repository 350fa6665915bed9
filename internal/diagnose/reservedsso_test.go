package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// A Role value naming an IAM Identity Center permission-set role is
// stopped at S3, and its fix is made at the IdP: its step is the IdP's
// (as before the renderer moved to internal/report), not a step after
// the changes. A federation role of the account is no such finding.
func TestReservedSSORoleFixIsAtTheIdP(t *testing.T) {
	for _, tt := range []struct {
		role string
		want bool
	}{
		{"arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Agents_0123456789abcdef", true},
		{roleARN, false}, // near miss
	} {
		s := base()
		s.resp.Roles = []string{tt.role + "," + fixture.DefaultProvider}
		res := s.run(t)
		f := find(res, "iam.reserved_sso_role")
		if (f != nil) != tt.want {
			t.Fatalf("%s: findings %v", tt.role, ids(res))
		}
		if f == nil {
			continue
		}
		rf := report.Render(*f.Fix)
		if !strings.Contains(rf.IdP, "IAM Identity Center") || !strings.Contains(rf.IdP, "custom SAML 2.0 application") {
			t.Errorf("IdP step %q", rf.IdP)
		}
		for _, st := range rf.Steps {
			if strings.Contains(st, "IAM Identity Center") {
				t.Errorf("the IdP's step is among the steps: %q", rf.Steps)
			}
		}
	}
}
