package idp

import "testing"

// Each product's error texts, as its documentation gives them, name the
// cause; the first specific rule wins over the product's generic one.
func TestFindErrors(t *testing.T) {
	for _, c := range []struct {
		host, text, product, cause, code string
	}{
		{"login.microsoftonline.com", "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted ('assigned') access.", "entra", "idp.user_not_assigned", "AADSTS50105"},
		{"login.microsoftonline.com", "AADSTS50011: The redirect URI 'https://signin.aws.amazon.com/saml' specified in the request does not match the redirect URIs configured for the application.", "entra", "idp.reply_url_mismatch", "AADSTS50011"},
		{"login.microsoftonline.com", "AADSTS700016: Application with identifier 'urn:amazon:webservices' was not found in the directory 'Contoso'.", "entra", "idp.app_not_found", "AADSTS700016"},
		{"login.microsoftonline.com", "AADSTS75011: Authentication method 'X509, MultiFactor' by which the user authenticated with the service doesn't match requested authentication method 'Password, ProtectedTransport'.", "entra", "idp.authentication_required", "AADSTS75011"},
		{"login.microsoftonline.com", "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the application.", "entra", "idp.authentication_required", "AADSTS50076"},
		{"login.microsoftonline.com", "AADSTS53003: Access has been blocked by Conditional Access policies.", "entra", "idp.error", "AADSTS53003"},
		{"example.okta.com", "You are not allowed to access this app. To request access, contact an admin.", "okta", "idp.user_not_assigned", "not allowed to access this app"},
		{"example.okta.com", "User is not assigned to the client application.", "okta", "idp.user_not_assigned", "User is not assigned to the client application"},
		{"accounts.google.com", "Error: app_not_configured_for_user Service is not configured for this user.", "google", "idp.app_not_found", "app_not_configured_for_user"},
		{"accounts.google.com", "Error: app_not_enabled_for_user Service is not enabled for this user.", "google", "idp.user_not_assigned", "app_not_enabled_for_user"},
		{"sts.example.com", "An error occurred. Contact your administrator for more information. Activity ID: 00000000-0000-0000-3f00-0080000000e5", "adfs", "idp.error", "Activity ID: 00000000-0000-0000-3f00-0080000000e5"},
		{"sso.example.com", "We are sorry... Invalid requester", "keycloak", "idp.app_not_found", "Invalid requester"},
		{"idp.example.com", "SimpleSAMLphp error: METADATANOTFOUND Unable to locate metadata for 'urn:amazon:webservices'", "simplesamlphp", "idp.app_not_found", "METADATANOTFOUND"},
		{"sso.example.com", "Unexpected System Error. Sorry for the inconvenience. Please contact your administrator for assistance and provide the reference number below. Reference# kwlqbn", "ping", "idp.error", "Unexpected System Error"},
		{"d-9067a1b2c3.awsapps.com", "It's not you, it's us. We couldn't complete your request right now.", "iam-identity-center", "idp.error", "It's not you, it's us"},
		{"d-9067a1b2c3.awsapps.com", "I get an It's not you, it is us error", "iam-identity-center", "idp.error", "It's not you, it is us"},
		{"example-corp.awsapps.com", "An error occurred while signing in to Amazon Connect No access Confirm with your administrator that you have access to Amazon Connect and that your primary email address is assigned in IAM Identity Center.", "iam-identity-center", "idp.user_not_assigned", "Confirm with your administrator that you have access to"},
	} {
		ms := FindErrors(c.host, c.text)
		if len(ms) == 0 {
			t.Errorf("%s: nothing found in %q", c.product, c.text)
			continue
		}
		m := ms[0]
		if m.Product != c.product || m.Cause != c.cause || m.Code != c.code || m.Docs == "" {
			t.Errorf("%q: got %s %s %q, want %s %s %q", c.text, m.Product, m.Cause, m.Code, c.product, c.cause, c.code)
		}
	}
	// Generic texts count only on the product's own hosts.
	if ms := FindErrors("www.example.com", "No access. Confirm with your administrator that you have access to Amazon Connect."); len(ms) != 0 {
		t.Errorf("IAM Identity Center's No access matched elsewhere: %+v", ms)
	}
	if ms := FindErrors("www.example.com", "It's not you, it's us."); len(ms) != 0 {
		t.Errorf("IAM Identity Center's text matched elsewhere: %+v", ms)
	}
}

// Every error text a product shows on any host is gated by words taken
// from its pattern, so that ordinary pages are not searched; and the gate
// lets each documented text through.
func TestErrorGate(t *testing.T) {
	for _, p := range Products {
		for _, e := range p.Errors {
			if !e.OnHost && e.words == nil {
				t.Errorf("%s: %q has no words to gate it by: mark it onHost or give it a longer literal", p.ID, e.Pattern)
			}
		}
	}
	if MayShowError("www.example.com", []byte("<html><body><p>An ordinary page about nothing in particular.</p></body></html>")) {
		t.Error("an ordinary page passes the gate")
	}
	if !MayShowError("login.microsoftonline.com", []byte(`<script>$Config={"strServiceExceptionMessage":"AADSTS50105: Your administrator..."}</script>`)) {
		t.Error("an Entra error page is gated out")
	}
	if !MayShowError("d-9067a1b2c3.awsapps.com", []byte(`<p>It&#39;s not you, it&#39;s us.</p>`)) || MayShowError("www.example.com", []byte(`<p>It&#39;s not you, it&#39;s us.</p>`)) {
		t.Error("IAM Identity Center's ungated text: on its hosts only")
	}
}
