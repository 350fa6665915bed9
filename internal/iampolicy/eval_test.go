package iampolicy

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const userARN = "arn:aws:connect:ap-southeast-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/user/AROAEXAMPLEID:jane.doe@example.com"

func federationRequest() Request {
	ctx := NewContext()
	ctx.Set("aws:userid", "AROAEXAMPLEID:jane.doe@example.com")
	ctx.SetAbsent("aws:username")
	ctx.Set("connect:InstanceId", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
	ctx.Set("aws:RequestedRegion", "ap-southeast-2")
	return Request{Action: "connect:GetFederationToken", Resource: userARN, Context: ctx}
}

func TestIdentityPolicies(t *testing.T) {
	tests := []struct {
		name string
		docs []string
		want Decision
	}{
		{"documented policy", []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":["arn:aws:connect:ap-southeast-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/user/${aws:userid}"]}]}`}, Allowed},
		{"no statement for the action", []string{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"connect:Describe*","Resource":"*"}}`}, ImplicitDeny},
		{"wrong Region", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/user/${aws:userid}"}]}`}, ImplicitDeny},
		{"aws:username is absent for roles", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"arn:aws:connect:ap-southeast-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/user/${aws:username}"}]}`}, ImplicitDeny},
		{"wildcards, action case", []string{`{"Statement":[{"Effect":"Allow","Action":"Connect:Get*","Resource":"arn:aws:connect:*:111122223333:instance/*"}]}`}, Allowed},
		{"instance condition", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*","Condition":{"StringEquals":{"connect:InstanceId":["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]}}}]}`}, Allowed},
		{"wrong instance condition", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*","Condition":{"StringEquals":{"connect:InstanceId":"ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee"}}}]}`}, ImplicitDeny},
		{"explicit deny wins", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, `{"Statement":[{"Effect":"Deny","Action":"connect:GetFederationToken","Resource":"*"}]}`}, ExplicitDeny},
		{"NotAction deny does not cover it", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"connect:*","Resource":"*"}]}`}, Allowed},
		{"NotResource", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:*","NotResource":"arn:aws:connect:*:*:instance/ffff*"}]}`}, Allowed},
		{"unknown key makes it undetermined", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`}, Undetermined},
		{"unknown key in a deny", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:ViaAWSService":"false"}}}]}`}, Undetermined},
		{"IfExists on an absent key", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:username":"x"}}}]}`}, Allowed},
		{"Null true on an absent key", []string{`{"Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*","Condition":{"Null":{"aws:username":"true"}}}]}`}, Allowed},
		{"StringNotEquals on an absent key holds", []string{`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:username":"admin"}}},{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, ExplicitDeny},
		{"region deny (data perimeter)", []string{`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","eu-west-2"]}}}]}`}, ExplicitDeny},
		{"URL-encoded document", []string{`%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22connect%3AGetFederationToken%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D`}, Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []Named
			for i, d := range tt.docs {
				ps = append(ps, Named{Name: "p" + string(rune('1'+i)), Policy: mustParse(t, d)})
			}
			res := Evaluate(ps, federationRequest())
			if res.Decision != tt.want {
				t.Errorf("decision = %s, want %s (%+v)", res.Decision, tt.want, res)
			}
			if res.Decision == Undetermined && len(res.Reasons()) == 0 {
				t.Error("undetermined without a reason")
			}
		})
	}
}

func TestTrustPolicy(t *testing.T) {
	const provider = "arn:aws:iam::111122223333:saml-provider/EntraID"
	trust := func(cond string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+provider+`"},"Action":"sts:AssumeRoleWithSAML"`+cond+`}]}`)
	}
	req := func(recipient string) Request {
		ctx := NewContext()
		ctx.Set("SAML:aud", recipient)
		ctx.Set("saml:iss", "https://sts.windows.net/x/")
		return Request{Action: "sts:AssumeRoleWithSAML", Principal: &Principal{Type: "Federated", ID: provider}, Context: ctx}
	}
	tests := []struct {
		name   string
		policy *Policy
		req    Request
		want   Decision
	}{
		{"console wizard policy", trust(`,"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`), req("https://signin.aws.amazon.com/saml"), Allowed},
		{"regional recipient, global-only policy", trust(`,"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}`), req("https://eu-west-2.signin.aws.amazon.com/saml"), ImplicitDeny},
		{"multi-valued aud", trust(`,"Condition":{"StringEquals":{"SAML:aud":["https://signin.aws.amazon.com/saml","https://eu-west-2.signin.aws.amazon.com/saml"]}}`), req("https://eu-west-2.signin.aws.amazon.com/saml"), Allowed},
		{"other provider", trust(""), Request{Action: "sts:AssumeRoleWithSAML", Principal: &Principal{Type: "Federated", ID: "arn:aws:iam::111122223333:saml-provider/Okta"}, Context: NewContext()}, ImplicitDeny},
		{"TagSession not allowed", trust(""), Request{Action: "sts:TagSession", Principal: &Principal{Type: "Federated", ID: provider}, Context: NewContext()}, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Evaluate([]Named{{Name: "trust", Policy: tt.policy}}, tt.req).Decision; got != tt.want {
				t.Errorf("decision = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBoundary(t *testing.T) {
	id := Evaluate([]Named{{"id", mustParse(t, `{"Statement":{"Effect":"Allow","Action":"connect:*","Resource":"*"}}`)}}, federationRequest())
	b := Evaluate([]Named{{"boundary", mustParse(t, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)}}, federationRequest())
	if got := Intersect(id, b).Decision; got != ImplicitDeny {
		t.Errorf("boundary without the action: %s, want implicitDeny", got)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		p, s string
		ok   bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"arn:aws:connect:*:*:instance/*/user/*", userARN, true}, {"*x", "abc", false}, {"a*b*c", "aXbYc", true},
	}
	for _, tt := range tests {
		if glob(tt.p, tt.s, true) != tt.ok {
			t.Errorf("glob(%q, %q) != %v", tt.p, tt.s, tt.ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{`{`, `{"Statement":[]}`, `{"Statement":{"Effect":"Maybe"}}`} {
		if _, err := Parse(doc); err == nil || !strings.Contains(err.Error(), "policy document") {
			t.Errorf("Parse(%s) err = %v", doc, err)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"arn:${aws:userid}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"}}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		res := Evaluate([]Named{{"p", p}}, federationRequest())
		if res.Decision == "" {
			t.Fatal("no decision")
		}
	})
}
