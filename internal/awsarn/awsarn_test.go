package awsarn

import (
	"strings"
	"testing"
)

func TestParseRolePair(t *testing.T) {
	tests := []struct {
		in, role, provider, err string
	}{
		{"arn:aws:iam::111122223333:role/Connect,arn:aws:iam::111122223333:saml-provider/Entra", "Connect", "Entra", ""},
		{"arn:aws:iam::111122223333:saml-provider/Entra,arn:aws:iam::111122223333:role/path/to/Connect", "Connect", "Entra", ""},
		{"arn:aws-us-gov:iam::111122223333:role/C,arn:aws-us-gov:iam::111122223333:saml-provider/E", "C", "E", ""},
		{"arn:aws:iam::111122223333:role/C", "", "", "exactly two"},
		{"arn:aws:iam::111122223333:role/C,arn:aws:iam::111122223333:role/D", "", "", "no SAML provider"},
		{"arn:aws:iam::111122223333:role/C,arn:aws:iam::444455556666:saml-provider/E", "", "", "same account"},
		{"arn:aws:iam::1111:role/C,arn:aws:iam::1111:saml-provider/E", "", "", "12 digits"},
		{"arn:aws:iam::111122223333:role/has space,arn:aws:iam::111122223333:saml-provider/E", "", "", "not a valid role name"},
		{"arn:aws:iam:us-east-1:111122223333:role/C,arn:aws:iam::111122223333:saml-provider/E", "", "", "no Region"},
	}
	for _, tt := range tests {
		p, err := ParseRolePair(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || p.Role.Name != tt.role || p.Provider.Name != tt.provider {
			t.Errorf("%s: %+v, %v", tt.in, p, err)
		}
	}
	p, _ := ParseRolePair("arn:aws:iam::111122223333:role/a/b/C,arn:aws:iam::111122223333:saml-provider/E")
	if p.Role.Path != "/a/b/" {
		t.Errorf("path = %q", p.Role.Path)
	}
}

func TestParseSignIn(t *testing.T) {
	tests := []struct {
		in, partition, region string
		ok                    bool
		providerID            string
	}{
		{"https://signin.aws.amazon.com/saml", "aws", "", true, ""},
		{"https://signin.aws.amazon.com/saml/acs/SAMLSPD9IMTW2LM46J042K", "aws", "", true, "SAMLSPD9IMTW2LM46J042K"},
		{"https://eu-west-2.signin.aws.amazon.com/saml/acs/SAMLSPD9IMTW2LM46J042K", "aws", "eu-west-2", true, "SAMLSPD9IMTW2LM46J042K"},
		{"https://signin.aws.amazon.com/saml/acs/", "", "", false, ""},
		{"https://signin.aws.amazon.com:443/saml", "aws", "", true, ""},
		{"https://signin.aws.amazon.com:8443/saml", "", "", false, ""},
		{"https://signin.aws.amazon.com/saml/acs/SAMLSP/../x", "", "", false, ""},
		{"https://eu-west-2.signin.aws.amazon.com/saml", "aws", "eu-west-2", true, ""},
		{"https://signin.aws.amazon.com/static/saml", "aws", "", true, ""},
		{"https://signin.amazonaws-us-gov.com/saml", "aws-us-gov", "", true, ""},
		{"https://signin.amazonaws.cn/saml", "aws-cn", "", true, ""},
		{"http://signin.aws.amazon.com/saml", "", "", false, ""},
		{"https://signin.aws.amazon.com.evil.com/saml", "", "", false, ""},
		// Amazon Connect Global Resiliency's sign-in endpoint.
		{"https://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws/saml?&instanceId=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&accountId=111122223333&role=ConnectAgents&idp=EntraID&destination=/connect/ccp-v2", "aws", "us-west-2", true, ""},
		{"https://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws/saml", "aws", "us-west-2", true, ""},
		{"https://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws.evil.com/saml", "", "", false, ""},
		{"https://not-an-id.us-west-2.sign-in.connect.aws/saml", "", "", false, ""},
		{"https://evil.com/signin.aws.amazon.com/saml", "", "", false, ""},
	}
	for _, tt := range tests {
		s, ok := ParseSignIn(tt.in)
		if ok != tt.ok || s.Partition != tt.partition || s.Region != tt.region || s.ProviderID != tt.providerID {
			t.Errorf("%s: %+v %v", tt.in, s, ok)
		}
	}
}

func TestParseRelayState(t *testing.T) {
	tests := []struct {
		in, kind, region, instance, dest string
		newDomain                        bool
		problem                          string
	}{
		{"https://us-east-1.console.aws.amazon.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "connect-federation", "us-east-1", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "", false, ""},
		{"https://eu-west-2.console.aws.amazon.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee?destination=%2Fccp-v2%2Fchat&new_domain=true", "connect-federation", "eu-west-2", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "/ccp-v2/chat", true, ""},
		{"https://eu-west-2.console.aws.amazon.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee?destination=%2Fccp-v2%2Fchat%26new_domain=true", "connect-federation", "eu-west-2", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "/ccp-v2/chat", true, ""},
		{"https://console.amazonaws-us-gov.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "connect-federation", "", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "", false, ""},
		{"https://us-east-1.console.aws.amazon.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee?destination=%2Fconnect%2Fccp-v2&new_domain=true", "connect-federation", "us-east-1", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "/connect/ccp-v2", true, "must not start with /connect"},
		{"https://console.aws.amazon.com/connect/federate/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "connect-federation", "", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "", false, "has no Region"},
		{"https://us-east-1.console.aws.amazon.com/connect/federate/MyInstance", "connect-federation", "us-east-1", "MyInstance", "", false, "not a Connect instance ID"},
		{"https://us-east-1.console.aws.amazon.com/console/home", "aws-console", "us-east-1", "", "", false, "not a Connect federation URL"},
		{"https://corp.my.connect.aws/ccp-v2", "connect-app", "", "", "", false, "instance's own domain"},
		{"https://corp.govcloud.connect.aws/ccp-v2", "connect-app", "", "", "", false, "instance's own domain"},
		{"some-token", "other", "", "", "", false, "not an absolute URL"},
	}
	for _, tt := range tests {
		rs := ParseRelayState(tt.in)
		if rs.Kind != tt.kind || rs.Region != tt.region || rs.InstanceID != tt.instance || rs.Destination != tt.dest || rs.NewDomain != tt.newDomain {
			t.Errorf("%s: %+v", tt.in, rs)
		}
		got := strings.Join(rs.Problems, "; ")
		if (tt.problem == "") != (got == "") || !strings.Contains(got, tt.problem) {
			t.Errorf("%s: problems %q, want %q", tt.in, got, tt.problem)
		}
	}
}

func TestConnectAppHost(t *testing.T) {
	for _, c := range []struct {
		host      string
		connect   bool
		partition string
	}{
		{"corp.my.connect.aws", true, ""},
		{"corp.awsapps.com", true, ""},
		{"corp.govcloud.connect.aws", true, "aws-us-gov"},
		{"CORP.GOVCLOUD.CONNECT.AWS", true, "aws-us-gov"},
		{"govcloud.connect.aws.example.com", false, ""},
		{"signin.aws.amazon.com", false, ""},
	} {
		if got := IsConnectAppHost(c.host); got != c.connect {
			t.Errorf("IsConnectAppHost(%s) = %v", c.host, got)
		}
		if got := ConnectAppPartition(c.host); got != c.partition {
			t.Errorf("ConnectAppPartition(%s) = %q", c.host, got)
		}
	}
}

func TestGlobalSignIn(t *testing.T) {
	u := GlobalSignInURL("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "us-west-2", "111122223333", "ConnectAgents", "EntraID", "/connect/ccp-v2")
	if u != "https://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws/saml?&instanceId=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&accountId=111122223333&role=ConnectAgents&idp=EntraID&destination=/connect/ccp-v2" {
		t.Errorf("URL %s", u)
	}
	s, ok := ParseSignIn(u)
	g := s.Global
	if !ok || g == nil || g.Base != "https://aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws/saml" || g.InstanceID != g.QueryInstanceID ||
		g.AccountID != "111122223333" || g.RoleName != "ConnectAgents" || g.ProviderName != "EntraID" || g.Destination != "/connect/ccp-v2" || g.Region != "us-west-2" {
		t.Errorf("%v %+v", ok, g)
	}
	if !IsSignInHost("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.us-west-2.sign-in.connect.aws") {
		t.Error("the Global Resiliency host is not a sign-in host")
	}
}

func TestSameRole(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"arn:aws:iam::111122223333:role/ConnectAgents", "arn:aws:iam::111122223333:role/ConnectAgents", true},
		{"arn:aws:iam::111122223333:role/connect/ConnectAgents", "arn:aws:iam::111122223333:role/ConnectAgents", true},
		{"arn:aws:iam::111122223333:role/ConnectAgents", "arn:aws:iam::444455556666:role/ConnectAgents", false},
		{"arn:aws:iam::111122223333:role/ConnectAgents", "arn:aws:iam::111122223333:role/ConnectAgentsV2", false},
		{"arn:aws:iam::111122223333:role/ConnectAgents", "arn:aws-us-gov:iam::111122223333:role/ConnectAgents", false},
		{"not an arn", "arn:aws:iam::111122223333:role/ConnectAgents", false},
		{"", "x", false},
	} {
		if got := SameRole(c.a, c.b); got != c.want {
			t.Errorf("SameRole(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
