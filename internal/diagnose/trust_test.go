package diagnose_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// trustWith is a trust policy whose one statement allows the actions for
// the test provider, on the console's audience.
func trustWith(actions ...string) map[string]any {
	d := trustDoc("https://signin.aws.amazon.com/saml")
	d["Statement"].([]any)[0].(map[string]any)["Action"] = actions
	return d
}

// A sign-in that sends session tags needs sts:TagSession in the trust
// policy, and one that sends a SourceIdentity needs sts:SetSourceIdentity
// ("Passing session tags in AWS STS", "sts:SourceIdentity"): AWS refuses
// AssumeRoleWithSAML without them. The fix adds the missing action to the
// statement that trusts the provider, and the check passes.
func TestTrustNeedsTheActionsTheAssertionUses(t *testing.T) {
	tag := [2]string{assertion.AttrPrincipalTag + "Department", "Sales"}
	source := [2]string{assertion.AttrSourceIdentity, rsn}
	tests := []struct {
		name    string
		attrs   [][2]string
		actions []string
		missing []string // nil: the trust policy allows the sign-in
	}{
		{"session tags, AssumeRoleWithSAML only", [][2]string{tag}, []string{"sts:AssumeRoleWithSAML"}, []string{"sts:TagSession"}},
		{"session tags, TagSession allowed", [][2]string{tag}, []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}, nil},
		{"session tags, sts:* allowed", [][2]string{tag}, []string{"sts:*"}, nil},
		{"no session tags", nil, []string{"sts:AssumeRoleWithSAML"}, nil},
		{"SourceIdentity, AssumeRoleWithSAML only", [][2]string{source}, []string{"sts:AssumeRoleWithSAML"}, []string{"sts:SetSourceIdentity"}},
		{"SourceIdentity, SetSourceIdentity allowed", [][2]string{source}, []string{"sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"}, nil},
		{"both, neither allowed", [][2]string{tag, source}, []string{"sts:AssumeRoleWithSAML"}, []string{"sts:TagSession", "sts:SetSourceIdentity"}},
		{"both, TagSession allowed", [][2]string{tag, source}, []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}, []string{"sts:SetSourceIdentity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.resp.Attributes = tt.attrs
			s.aws["iam.json"] = authJSON("ConnectAgents", trustWith(tt.actions...), federationDoc(region))
			res := s.run(t)
			f := find(res, "iam.trust_policy_denies")
			if tt.missing == nil {
				if f != nil {
					t.Fatalf("the trust policy allows %v, yet: %s", tt.actions, f.Title)
				}
				return
			}
			if f == nil {
				t.Fatalf("no iam.trust_policy_denies for missing %v: %v", tt.missing, ids(res))
			}
			if want := strings.Join(tt.missing, " and "); !strings.Contains(f.Title, "does not allow "+want+" ") {
				t.Errorf("title %q does not name %s", f.Title, want)
			}
			if strings.Contains(f.Title, "sts:AssumeRoleWithSAML") {
				t.Errorf("title %q names AssumeRoleWithSAML, which the policy allows", f.Title)
			}
			if f.Fix == nil || len(f.Fix.Changes) != 1 || f.Fix.Changes[0].Kind() != fix.KindUpdateTrustPolicy {
				t.Fatalf("fix %+v is not one trust policy update", f.Fix)
			}
			doc := flat(f.Fix.Changes[0]).Document
			if len(doc.Statements) != 1 {
				t.Fatalf("the fix has %d statements, want the one statement edited", len(doc.Statements))
			}
			for _, act := range append([]string{"sts:AssumeRoleWithSAML"}, tt.missing...) {
				if !slices.Contains(doc.Statements[0].Action, act) {
					t.Errorf("the fixed statement's actions %v lack %s", doc.Statements[0].Action, act)
				}
			}
			ctx := iampolicy.NewContext()
			ctx.Set("SAML:aud", "https://signin.aws.amazon.com/saml")
			for _, act := range tt.missing {
				ev := iampolicy.Evaluate([]iampolicy.Named{{Name: "fixed", Policy: doc}}, iampolicy.Request{Action: act,
					Principal: &iampolicy.Principal{Type: "Federated", ID: fixture.DefaultProvider}, Context: ctx})
				if ev.Decision != iampolicy.Allowed {
					t.Errorf("the fixed policy does not allow %s: %s", act, ev.Decision)
				}
			}
			if f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes || slices.Contains(f.Fix.Check.After, "iam.trust_policy_denies") {
				t.Errorf("the fix's check: %+v", f.Fix.Check)
			}
		})
	}
}
