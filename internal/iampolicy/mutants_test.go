package iampolicy

import (
	"strings"
	"testing"
)

// A statement is named as people count them, from 1, with its Sid when
// it has one: the text findings quote.
func TestStatementRefString(t *testing.T) {
	for _, tt := range []struct {
		ref  StatementRef
		want string
	}{
		{StatementRef{Policy: "trust policy", Index: 0, Sid: "AllowEntra"}, "trust policy statement 1 (AllowEntra)"},
		{StatementRef{Policy: "inline ConnectFederation", Index: 2}, "inline ConnectFederation statement 3"},
	} {
		if got := tt.ref.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// "Principal": "*" names every principal, the SAML provider too; a
// Federated principal that is another provider (the near miss) does not.
func TestPrincipalWildcard(t *testing.T) {
	const provider = "arn:aws:iam::111122223333:saml-provider/EntraID"
	req := Request{Action: "sts:AssumeRoleWithSAML", Principal: &Principal{Type: "Federated", ID: provider}, Context: NewContext()}
	for doc, want := range map[string]Decision{
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRoleWithSAML"}]}`:                                                          Allowed,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"*"},"Action":"sts:AssumeRoleWithSAML"}]}`:                                            Allowed,
		`{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML"}]}`: ImplicitDeny,
	} {
		if got := Evaluate([]Named{{Name: "trust", Policy: mustParse(t, doc)}}, req).Decision; got != want {
			t.Errorf("%s: %s, want %s", doc, got, want)
		}
	}
}

// An empty policy variable ${} names no key: its value is not known, so
// the statement is undetermined, not matched as the literal text.
func TestEmptyVariable(t *testing.T) {
	p := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:ap-southeast-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/user/${}"}]}`)
	res := Evaluate([]Named{{Name: "p", Policy: p}}, federationRequest())
	if res.Decision != Undetermined || !strings.Contains(strings.Join(res.Reasons(), " "), "${} is not known") {
		t.Errorf("decision %s, reasons %v", res.Decision, res.Reasons())
	}
}

// A bad statement is named by its place, counted from 1.
func TestParseErrorNamesTheStatement(t *testing.T) {
	_, err := Parse(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)
	if err == nil || !strings.HasPrefix(err.Error(), "policy document: statement 2: ") {
		t.Errorf("err = %v", err)
	}
}
