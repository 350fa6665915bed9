package diagnose_test

import (
	"strings"
	"testing"
)

// An output that names no account (list-role-policies) read beside
// another account's files and none of the sign-in's is set aside with
// them: it is that account's as likely as the sign-in's. The near miss:
// beside the sign-in's own get-role, it is the sign-in's role's.
func TestOtherAccountUnattributed(t *testing.T) {
	role := func(account string) string {
		return `{"Role":{"Path":"/","RoleName":"ConnectAgents","RoleId":"AROAEXAMPLE","Arn":"arn:aws:iam::` + account + `:role/ConnectAgents","CreateDate":"2024-03-11T09:40:12Z",` +
			`"AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::` + account + `:saml-provider/EntraID"},"Action":"sts:AssumeRoleWithSAML"}]}}}`
	}
	names := `{"PolicyNames":["ConnectFederation"]}`
	s := base()
	s.aws = map[string]string{"b/role.json": role("444455556666"), "b/role-policies.json": names}
	res := s.run(t)
	f := find(res, "aws.evidence_other_account")
	if f == nil {
		t.Fatalf("no aws.evidence_other_account: %v", ids(res))
	}
	var aside bool
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.What, "names no account") && strings.HasPrefix(e.Where, "b/role-policies.json") {
			aside = true
		}
	}
	if !aside {
		t.Errorf("b/role-policies.json not said to be set aside: %+v", f.Evidence)
	}
	for _, f := range res.Findings {
		if strings.HasPrefix(f.ID, "iam.") {
			t.Errorf("judged across accounts: %s %s", f.ID, f.Title)
		}
	}

	// Near miss: the sign-in's own role beside it.
	s.aws = map[string]string{"a/role.json": role(acct), "a/role-policies.json": names}
	res = s.run(t)
	if find(res, "aws.evidence_other_account") != nil {
		t.Errorf("the sign-in's own data set aside: %v", ids(res))
	}
}
