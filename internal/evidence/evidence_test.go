package evidence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
)

func TestRecognisesAWSCLIOutputs(t *testing.T) {
	tests := []struct{ kind, json string }{
		{"aws connect list-users", `{"UserSummaryList":[{"Id":"u1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/agent/u1","Username":"jane"}]}`},
		{"aws connect search-users", `{"Users":[{"Id":"u1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/agent/u1","Username":"jane","SecurityProfileIds":["sp"]}],"ApproximateTotalCount":1}`},
		{"aws connect describe-user", `{"User":{"Id":"u1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/agent/u1","Username":"jane"}}`},
		{"aws connect describe-instance", `{"Instance":{"Id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","IdentityManagementType":"SAML"}}`},
		{"aws connect list-instances", `{"InstanceSummaryList":[{"Id":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","IdentityManagementType":"SAML"}]}`},
		{"aws iam get-account-authorization-details", `{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","RoleId":"AROA1","AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/P"},"Action":"sts:AssumeRoleWithSAML"}]},"RolePolicyList":[],"AttachedManagedPolicies":[]}],"Policies":[]}`},
		{"aws iam get-role", `{"Role":{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","RoleId":"AROA1","AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22arn%3Aaws%3Aiam%3A%3A111122223333%3Asaml-provider%2FP%22%7D%2C%22Action%22%3A%22sts%3AAssumeRoleWithSAML%22%7D%5D%7D"}}`},
		{"aws iam get-role-policy", `{"RoleName":"R","PolicyName":"P","PolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:GetFederationToken","Resource":"*"}]}}`},
		{"aws iam list-role-policies", `{"PolicyNames":["P"]}`},
		{"aws iam list-attached-role-policies", `{"AttachedPolicies":[{"PolicyName":"M","PolicyArn":"arn:aws:iam::111122223333:policy/M"}]}`},
		{"aws iam get-policy", `{"Policy":{"PolicyName":"M","Arn":"arn:aws:iam::111122223333:policy/M","DefaultVersionId":"v3"}}`},
		{"aws iam get-policy-version", `{"PolicyVersion":{"Document":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}},"VersionId":"v3","IsDefaultVersion":true}}`},
		{"aws iam get-saml-provider", `{"SAMLMetadataDocument":"<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp\"><IDPSSODescriptor/></EntityDescriptor>","CreateDate":"2024-01-01T00:00:00Z","ValidUntil":"2124-01-01T00:00:00Z"}`},
		{"aws iam list-saml-providers", `{"SAMLProviderList":[{"Arn":"arn:aws:iam::111122223333:saml-provider/P","ValidUntil":"2124-01-01T00:00:00Z","CreateDate":"2024-01-01T00:00:00Z"}]}`},
		{"aws connect describe-authentication-profile", `{"AuthenticationProfile":{"Id":"ap1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/authentication-profile/ap1","Name":"Default","IsDefault":true,"MaxSessionDuration":720}}`},
		{"aws connect list-approved-origins", `{"Origins":["https://agent.example.com"]}`},
		{"aws connect list-authentication-profiles", `{"AuthenticationProfileSummaryList":[{"Id":"ap1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/authentication-profile/ap1","Name":"Default","IsDefault":true,"LastModifiedTime":"2026-01-01T00:00:00Z"}]}`},
		{"aws cloudtrail lookup-events", `{"Events":[{"EventId":"e","EventName":"AssumeRoleWithSAML","EventTime":"2026-10-01T00:00:00Z","EventSource":"sts.amazonaws.com","CloudTrailEvent":"{\"eventName\":\"AssumeRoleWithSAML\",\"requestParameters\":{\"roleArn\":\"arn:aws:iam::111122223333:role/R\",\"roleSessionName\":\"jane\"}}"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			s := NewSet()
			if err := s.Load("out.json", []byte(tt.json)); err != nil {
				t.Fatal(err)
			}
			if len(s.Sources) != 1 || s.Sources[0].Kind != tt.kind {
				t.Errorf("sources = %+v, want %s", s.Sources, tt.kind)
			}
			if s.Empty() {
				t.Error("the set is empty after loading")
			}
		})
	}
}

func TestLoadedFacts(t *testing.T) {
	s := NewSet()
	s.Load("role.json", []byte(`{"Role":{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","RoleId":"AROA1","AssumeRolePolicyDocument":"%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRoleWithSAML%22%7D%5D%7D"}}`))
	s.Load("inline.json", []byte(`{"RoleName":"R","PolicyName":"P","PolicyDocument":{"Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"}]}}`))
	r := s.RoleByName("R")
	if r == nil || r.ID != "AROA1" || r.Trust == nil || len(r.Trust.Statements) != 1 || r.Inline["P"] == nil {
		t.Fatalf("role = %+v", r)
	}
	s.Load("users.json", []byte(`{"UserSummaryList":[{"Id":"u1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/agent/u1","Username":"jane"}],"NextToken":"abc"}`))
	ul := s.Users["aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"]
	if ul == nil || ul.Complete || len(ul.Users) != 1 {
		t.Errorf("a list-users page with NextToken must not count as complete: %+v", ul)
	}
	s.Load("ct.json", []byte(`{"Events":[{"EventId":"e","EventName":"GetFederationToken","CloudTrailEvent":"{\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROA1:jane\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/R/jane\",\"sessionContext\":{\"sessionIssuer\":{\"arn\":\"arn:aws:iam::111122223333:role/R\"}}},\"requestParameters\":{\"InstanceId\":\"i\"},\"errorCode\":\"AccessDeniedException\"}"}]}`))
	e := s.Events[0]
	if e.SessionIssuerARN != "arn:aws:iam::111122223333:role/R" || e.PrincipalID != "AROA1:jane" || e.InstanceID != "i" || e.ErrorCode != "AccessDeniedException" {
		t.Errorf("event = %+v", e)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	tests := []struct{ data, want string }{
		{`{"Something":"else"}`, "not an AWS CLI output samldoctor knows (its top-level keys are [Something]); it reads the JSON output of: aws connect list-users"},
		{"{\n\"a\": 1,\n}", "not JSON output of the AWS CLI: line 3"},
	}
	for _, tt := range tests {
		err := NewSet().Load("x.json", []byte(tt.data))
		if err == nil || !strings.HasPrefix(err.Error(), "x.json: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"PolicyNames":[]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(`not read`), 0o644)
	s := NewSet()
	if err := s.LoadPaths([]string{dir}); err != nil || len(s.Sources) != 1 {
		t.Fatalf("err %v, sources %+v", err, s.Sources)
	}
	if err := NewSet().LoadPaths([]string{filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v", err)
	}
	empty := t.TempDir()
	if err := NewSet().LoadPaths([]string{empty}); err == nil || !strings.Contains(err.Error(), "no .json files") {
		t.Errorf("err = %v", err)
	}
}

func TestParseMetadata(t *testing.T) {
	md, err := assertion.ParseMetadata([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"><EntityDescriptor entityID="a"><IDPSSODescriptor><KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor><EntityDescriptor entityID="b"/></EntitiesDescriptor>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := md.EntityIDs(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("entity IDs = %v", got)
	}
	if len(md.Entities[0].SigningCerts) != 0 {
		t.Error("an encryption key counted as a signing key")
	}
	if _, err := assertion.ParseMetadata([]byte(`<x/>`)); err == nil {
		t.Error("no error for XML without an EntityDescriptor")
	}
}

// describe-authentication-profile's settings that sign an agent out, and
// list-approved-origins, with the instance each is about.
func TestConnectAuthSettings(t *testing.T) {
	const inst = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	s := NewSet()
	if err := s.Load("profile.json", []byte(`{"AuthenticationProfile":{"Id":"ap1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/`+inst+`/authentication-profile/ap1","Name":"Agents","IsDefault":true,
		"AllowedIps":["203.0.113.0/24"],"BlockedIps":[],"CreatedTime":"2025-01-01T00:00:00Z","LastModifiedTime":1763000000,"LastModifiedRegion":"eu-west-2",
		"PeriodicSessionDuration":60,"MaxSessionDuration":720,"SessionInactivityDuration":30,"SessionInactivityHandlingEnabled":true}}`)); err != nil {
		t.Fatal(err)
	}
	p := s.AuthProfileOf(inst)
	if p == nil || p.InstanceID != inst || p.MaxSession.Hours() != 12 || p.Inactivity.Minutes() != 30 || p.InactivitySignOut == nil || !*p.InactivitySignOut ||
		len(p.AllowedIps) != 1 || p.LastModified.Unix() != 1763000000 {
		t.Fatalf("profile %+v", p)
	}
	if s.AuthProfileOf("11111111-2222-4333-8444-555555555555") != nil {
		t.Error("another instance's profile")
	}
	// An older output, without the inactivity settings.
	s.Load("old.json", []byte(`{"AuthenticationProfile":{"Id":"ap2","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/11111111-2222-4333-8444-555555555555/authentication-profile/ap2","IsDefault":true}}`))
	if p := s.AuthProfileOf("11111111-2222-4333-8444-555555555555"); p == nil || p.InactivitySignOut != nil || p.MaxSession != 0 {
		t.Errorf("old profile %+v", p)
	}

	if err := s.Load("origins.json", []byte(`{"Origins":["https://agent.example.com","https://crm.example.net:8443"],"NextToken":"x"}`)); err != nil {
		t.Fatal(err)
	}
	o := s.OriginsOf(inst)
	if o == nil || !o.Partial || !o.Has("https://agent.example.com/") || o.Has("https://agent.example.com:8443") || o.Has("http://agent.example.com") || !o.Has("https://crm.example.net:8443") {
		t.Errorf("origins %+v", o)
	}
	s.Load("origins-2.json", []byte(`{"Origins":[]}`))
	if s.OriginsOf(inst) != nil {
		t.Error("two lists that name no instance: neither is known to be its")
	}

	// list-authentication-profiles: the instance from the profiles' ARNs,
	// or as collect names it; a page with NextToken is partial.
	if err := s.Load("profiles.json", []byte(`{"AuthenticationProfileSummaryList":[{"Id":"ap1","Arn":"arn:aws:connect:eu-west-2:111122223333:instance/`+inst+`/authentication-profile/ap1","Name":"Agents","IsDefault":true,"LastModifiedTime":1763000000}],"NextToken":"n"}`)); err != nil {
		t.Fatal(err)
	}
	s.Load("profiles-2.json", []byte(`{"AuthenticationProfileSummaryList":[],"InstanceId":"11111111-2222-4333-8444-555555555555"}`))
	if l := s.AuthProfileLists; len(l) != 2 || l[0].InstanceID != inst || !l[0].Partial || len(l[0].Profiles) != 1 || !l[0].Profiles[0].IsDefault ||
		l[1].InstanceID != "11111111-2222-4333-8444-555555555555" || l[1].Partial || l[1].Source.Kind != "aws connect list-authentication-profiles" {
		t.Errorf("profile lists %+v", l)
	}
}
