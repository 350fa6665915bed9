package errorpage

import (
	"reflect"
	"testing"
)

func ids(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, body, shown string
		want              []string
	}{
		{"sign-in invalid response", `<h2>Amazon Web Services Sign In</h2><p>Your request included an invalid SAML response. To logout, click <a href="/oauth?Action=logout">here</a></p>`, SignIn, []string{"signin.invalid_saml_response"}},
		{"STS wrapper, escaped", `<p>Specified provider doesn&#39;t exist. (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlManifestNotFoundException)</p>`, SignIn, []string{"signin.provider_not_found"}},
		{"text split by tags and spaces", `<div>RoleSessionName   in <b>AuthnResponse</b>
			must match [a-zA-Z_0-9+=,.@-]{2,64}</div>`, SignIn, []string{"signin.role_session_name_invalid"}},
		{"not onboarded", `<h1>Access Denied</h1><p>Your account has been authenticated, but has not been onboarded to this application.</p>`, Connect, []string{"connect.not_onboarded"}},
		{"bad request", `Bad Request. The request was not valid and could not be processed.`, Connect, []string{"connect.bad_request"}},
		{"access denied admin", `Access denied, Please contact your AWS account administrator for assistance.`, Connect, []string{"connect.access_denied_admin"}},
		{"a Connect text on a sign-in page does not count", `Session Expired`, SignIn, nil},
		{"script strings on a page with text do not count", `<script>var m = "Response has expired";</script><p>Welcome to Amazon Web Services Sign In. Choose an account and a role to continue to the console.</p>`, SignIn, nil},
		{"a script shell's data counts", `<html><body><div id="root"></div><script>window.__DATA__={"error":"Access Denied. Your account has been authenticated, but has not been onboarded to this application.","code":403}</script></body></html>`, Connect, []string{"connect.not_onboarded"}},
		{"JS-escaped apostrophe", `<div id="app"></div><script>render({msg:"Specified provider doesn\u0027t exist."})</script>`, SignIn, []string{"signin.provider_not_found"}},
		{"nothing", `<html><body>Welcome</body></html>`, Connect, nil},
		// STS's texts by their form: another action, an older limit.
		{"sts:TagSession", `<p>Not authorized to perform sts:TagSession (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: 1b2c). Please try again.</p>`, SignIn, []string{"signin.not_authorized_assume_role"}},
		{"sts:SetSourceIdentity, IAM's colon", `<p>User: arn:aws:sts::111122223333:assumed-role/x/y is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::111122223333:role/ConnectAgents</p>`, SignIn, []string{"signin.not_authorized_assume_role"}},
		{"an action of another service is not STS's refusal", `<p>Not authorized to perform iam:PassRole on this resource, please contact your administrator and ask for the permission to be added.</p>`, SignIn, nil},
		{"the 2015 RoleSessionName limit", `<p>RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,32} (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)</p>`, SignIn, []string{"signin.role_session_name_invalid"}},
		{"the validation wording", `<p>1 validation error detected: Value 'Jane Doe' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*</p>`, SignIn, []string{"signin.role_session_name_invalid"}},
		{"RoleSessionName named without a pattern is no such text", `<p>The RoleSessionName must match the Connect user name exactly, as described in the documentation for the application you are signing in to.</p>`, SignIn, nil},
		{"Connect's 12-hour session", `<h1>Session expired</h1><p>Your session has expired. Please log in again to continue. Sessions expire after 12 hours.</p>`, Connect, []string{"connect.session_expired", "connect.session_expired_12h"}},
		{"session expired alone", `<h1>Session Expired</h1><p>Your session has expired. Please log in again to continue.</p>`, Connect, []string{"connect.session_expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(Find([]byte(tt.body), tt.shown)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Find = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExcerptKeepsUTF8(t *testing.T) {
	body := []byte("ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé Response has expired ééé")
	ms := Find(body, SignIn)
	if len(ms) != 1 {
		t.Fatal("no match")
	}
	for _, r := range ms[0].Excerpt {
		if r == '\uFFFD' {
			t.Fatalf("excerpt cut a character: %q", ms[0].Excerpt)
		}
	}
}
