package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

const okta = "arn:aws:iam::" + acct + ":saml-provider/Okta"

func stmt(effect string, principal map[string]any, actions ...string) map[string]any {
	return map[string]any{"Effect": effect, "Principal": principal, "Action": actions}
}

func fed(p ...string) map[string]any { return map[string]any{"Federated": p} }

// The trust policy's fix changes the statement that can carry this
// provider, named by its place counted from 1: a statement that trusts
// another provider gets this one beside it, never a Deny, nor one whose
// principal is not Federated; the denial's evidence says which
// statements trust whom, of the Allow statements with a Federated
// principal only. A missing sts:TagSession is added to the statement
// that trusts the provider, wherever it stands.
func TestTrustEditNamesTheStatement(t *testing.T) {
	awsRoot := map[string]any{"AWS": "arn:aws:iam::" + acct + ":root"}
	tag := [][2]string{{assertion.AttrPrincipalTag + "Department", "Sales"}}
	aud := map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}
	withAud := func(m map[string]any) map[string]any { m["Condition"] = aud; return m }
	tests := []struct {
		name      string
		statement []any
		attrs     [][2]string
		edit      string
		why, not  string
	}{
		{"another provider", []any{stmt("Allow", fed(okta), "sts:AssumeRoleWithSAML")}, nil,
			"add " + fixture.DefaultProvider + " to statement 1's Federated principals (beside " + okta + ")",
			"statement 1 trusts " + okta + ", not " + fixture.DefaultProvider, ""},
		{"after a statement for an AWS principal", []any{stmt("Allow", awsRoot, "sts:AssumeRoleWithSAML"), stmt("Allow", fed(okta), "sts:AssumeRoleWithSAML")}, nil,
			"add " + fixture.DefaultProvider + " to statement 2's Federated principals (beside " + okta + ")",
			"statement 2 trusts " + okta, "statement 1 trusts"},
		{"after a Deny", []any{stmt("Deny", fed(okta), "sts:AssumeRoleWithSAML"), stmt("Allow", fed(okta), "sts:AssumeRoleWithSAML")}, nil,
			"add " + fixture.DefaultProvider + " to statement 2's Federated principals (beside " + okta + ")",
			"statement 2 trusts " + okta, "statement 1 trusts"},
		{"TagSession, statement 2", []any{stmt("Allow", awsRoot, "sts:AssumeRole"), withAud(stmt("Allow", fed(fixture.DefaultProvider), "sts:AssumeRoleWithSAML"))}, tag,
			"add sts:TagSession to statement 2's actions", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.resp.Attributes = tt.attrs
			s.aws["iam.json"] = authJSON("ConnectAgents", map[string]any{"Version": "2012-10-17", "Statement": tt.statement}, federationDoc(region))
			res := s.run(t)
			f := find(res, "iam.trust_policy_denies")
			if f == nil || f.Fix == nil || len(f.Fix.Changes) != 1 {
				t.Fatalf("no trust fix: %v", ids(res))
			}
			if got := flat(f.Fix.Changes[0]).Edit; got != tt.edit {
				t.Errorf("edit %q\nwant %q", got, tt.edit)
			}
			var ev []string
			for _, e := range f.Evidence {
				ev = append(ev, e.Value)
			}
			all := strings.Join(ev, " | ")
			if tt.why != "" && !strings.Contains(all, tt.why) {
				t.Errorf("evidence %q lacks %q", all, tt.why)
			}
			if tt.not != "" && strings.Contains(all, tt.not) {
				t.Errorf("evidence %q names %q", all, tt.not)
			}
		})
	}
}

// A trust statement whose condition the assertion fails is quoted in the
// denial's evidence by its place counted from 1, its key, operator and
// values.
func TestTrustDenialQuotesTheCondition(t *testing.T) {
	s := base()
	s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://eu-west-2.signin.aws.amazon.com/saml"), federationDoc(region))
	f := find(s.run(t), "iam.trust_policy_denies")
	if f == nil {
		t.Fatal("no iam.trust_policy_denies")
	}
	want := "statement 1 requires SAML:aud StringEquals in [https://eu-west-2.signin.aws.amazon.com/saml]"
	for _, e := range f.Evidence {
		if strings.Contains(e.Value, want) {
			return
		}
	}
	t.Errorf("no evidence says %q: %+v", want, f.Evidence)
}
