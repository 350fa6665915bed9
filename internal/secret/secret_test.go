package secret_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/secret"
)

// Field names as identity providers' login forms, APIs and SDKs write
// them, and near misses that name no credential and must be kept.
func TestIsParam(t *testing.T) {
	for _, name := range []string{
		"password", "PASSWORD", "Passwd", "passwd", "pwd", "pass", "pf.pass", // PingFederate
		"userPassword", "UserPassword", "j_password", "Ecom_Password", "okta-signin-password",
		"credentials.passcode", "credentials[password]", "IDToken2", "password-confirm", "password#2",
		"newPass", "pass1", "PIN", "newPin", "otp_code", "otc", "sap-password", "kennwort", "Mot_de_passe",
		"contraseña", "пароль", "AWS_SECRET_ACCESS_KEY", "aws_session_token", "SigninToken",
		"X-Amz-Security-Token", "X-Amz-Signature", "access_token", "client_secret", "SAMLart", "samlart",
		"AuthState", "f.req", "apiKey", "subscription-key", "JSESSIONID", "PHPSESSID", "passphrase",
		"code", "state", "answer", "pw", "userPwd", "XMLPass", "secretQuestionAnswer",
		// Only the fragment rule finds these: one word, no camelCase.
		"userpassword", "newpassword", "oldpwd", "clientsecret", "mysessionid",
	} {
		if !secret.IsParam(name) {
			t.Errorf("%q is not taken for a credential", name)
		}
	}
	for _, name := range []string{
		"username", "UserName", "login", "loginfmt", "email", "RelayState", "SAMLResponse", "SigAlg",
		"IsPassive", "passive", "ForceAuthn", "bypassCache", "compass", "spinner", "keyboard", "AuthMethod",
		"SessionIndex", "client_id", "redirect_uri", "response_type", "scope", "Destination", "Action",
		"hpgrequestid", "Kmsi", "monkey", "passport",
	} {
		if secret.IsParam(name) {
			t.Errorf("%q is taken for a credential", name)
		}
	}
}

// IsSecretName takes the names that say they are credentials, not those
// that only may carry one in a URL.
func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"userPassword": true, "pf.pass": true, "aws_session_token": true, "SecretAccessKey": true,
		"Code": false, "state": false, "Status": false, "name": false,
	} {
		if got := secret.IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v", name, got)
		}
	}
}

func TestIsHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Cookie": true, "set-cookie": true, "Authorization": true, "X-Amz-Security-Token": true,
		"X-Api-Key": true, "Ocp-Apim-Subscription-Key": true, "X-Session-Id": true, "x-csrf-token": true,
		":path": false, ":authority": false, "WWW-Authenticate": false, "Content-Type": false,
		"Location": false, "User-Agent": false,
	} {
		if got := secret.IsHeader(name); got != want {
			t.Errorf("IsHeader(%q) = %v", name, got)
		}
	}
}

func TestMaskSetCookie(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a=1; Path=/; Secure", "a=REDACTED; Path=/; Secure"},
		// CFNetwork (Safari) joins cookies with commas; the comma in an
		// Expires date does not start a cookie.
		{"ESTSAUTH=s1; path=/; secure, buid=s2; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/, fpc=s3",
			"ESTSAUTH=REDACTED; path=/; secure, buid=REDACTED; expires=Wed, 21 Oct 2026 07:28:00 GMT; path=/, fpc=REDACTED"},
		// One cookie a line, as Chrome and Firefox join repeated headers.
		{"a=s1; path=/\nb=s2; HttpOnly\r\nc=s3", "a=REDACTED; path=/\nb=REDACTED; HttpOnly\r\nc=REDACTED"},
		// A cookie without a name, and an attribute no browser defines.
		{"s4; path=/", "REDACTED; path=/"},
		{"a=s5; x-token=s6; Max-Age=3600", "a=REDACTED; x-token=REDACTED; Max-Age=3600"},
	} {
		if got := secret.MaskSetCookie(c.in); got != c.want {
			t.Errorf("MaskSetCookie(%q)\n= %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestMaskCookie(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ESTSAUTH=s1; buid=s2", "ESTSAUTH=REDACTED; buid=REDACTED"},
		{"a=s1, b=s2\nc=s3", "a=REDACTED, b=REDACTED\nc=REDACTED"},
		{"s4", "REDACTED"},
	} {
		if got := secret.MaskCookie(c.in); got != c.want {
			t.Errorf("MaskCookie(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://a/cb?code=s1&state=s2&x=1#access_token=s3&token_type=Bearer",
			"https://a/cb?code=REDACTED&state=REDACTED&x=1#access_token=REDACTED&token_type=REDACTED"},
		{"https://a/?SAMLart=s4&RelayState=r", "https://a/?SAMLart=REDACTED&RelayState=r"},
		{"https://a/login?pf.pass=s5&pf.username=jane", "https://a/login?pf.pass=REDACTED&pf.username=jane"},
		{"https://a/no-query", "https://a/no-query"},
	} {
		if got := secret.MaskURL(c.in, nil); got != c.want {
			t.Errorf("MaskURL(%q)\n= %q\nwant %q", c.in, got, c.want)
		}
	}
}

// Credentials written in text: each case plants s1..s9, none of which may
// survive; the near misses must come back unchanged.
func TestMaskText(t *testing.T) {
	for _, in := range []string{
		"AWS_ACCESS_KEY_ID=AKIAZq1\nAWS_SECRET_ACCESS_KEY=Zq2\nAWS_SESSION_TOKEN=Zq3",
		"[default]\naws_secret_access_key = Zq1\naws_session_token = Zq2",
		`{"accessToken": "Zq1", "user": {"password":"Zq2 with spaces"}}`,
		`var cfg = {idToken: 'Zq1', refresh_token: "Zq2"}; window.pf_pass="Zq3";`,
		`location.href = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=Zq1&Destination=x"`,
		`{"url":"https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=Zq1&X-Amz-Signature=Zq2"}`,
		`"https://a/cb\u0026code=Zq1\u0026x=1"`,
		`https://a/?next=https%3A%2F%2Fb%2F%3Fcode%3DZq1%26x%3D1`,
		`https://a/?next=https%253A%252F%252Fb%252F%253Fcode%253DZq1`,
		`<a href="/login.php?a=1&amp;AuthState=_Zq1%3Ahttps%3A%2F%2Fidp">x</a>`,
		`https://app.example.com/cb#access_token=Zq1&expires_in=3600`,
		`see https://jane:Zq1@proxy.example.com/x and ftp://Zq2@files.example.com`,
		`<Credentials><AccessKeyId>Zq1</AccessKeyId><SecretAccessKey>Zq2</SecretAccessKey><SessionToken>Zq3</SessionToken></Credentials>`,
		`curl -H "Authorization: Bearer Zq1" https://a`,
		"f.req=%5B%5B%22Zq1%22%5D%5D&at=x",
		`\"password\":\"Zq1\"`,
		`&quot;client_secret&quot;:&quot;Zq1&quot;`,
		"token:Zq1",
		`{"jwt":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.Zq1Zq1Zq1Zq1Zq1"}`,
	} {
		got := secret.MaskText(in)
		for _, s := range []string{"Zq1", "Zq2", "Zq3"} {
			if strings.Contains(in, s) && strings.Contains(got, s) {
				t.Errorf("%s survived in %q\n→ %q", s, in, got)
			}
		}
		if !strings.Contains(got, secret.Marker) {
			t.Errorf("nothing masked in %q", in)
		}
	}
	for _, in := range []string{
		"Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)",
		"https://ap-southeast-2.console.aws.amazon.com/connect/federate/aaaaaaaa?destination=%2Fconnect%2Fccp-v2",
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jane</saml:AttributeValue>`,
		`<ds:SignatureValue>REDACTED-BY-SAMLDOCTOR</ds:SignatureValue>`,
		"PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wi+Token==",
		"mailto:jane@example.com; https://host/users/jane@example.com",
		"if (password == confirm) { ok(); } // Password: <input>",
		`<label for="password">Password</label>`,
		"token_type=Bearer", // masked: token_type is a credential's name
	} {
		got := secret.MaskText(in)
		if strings.HasPrefix(in, "token_type") {
			if got != "token_type=REDACTED" {
				t.Errorf("MaskText(%q) = %q", in, got)
			}
			continue
		}
		if got != in {
			t.Errorf("MaskText changed a text without a credential:\n%q\n→ %q", in, got)
		}
	}
}

func TestMaskJWTs(t *testing.T) {
	in := "a eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.SIGNATUREPART b"
	if got := secret.MaskJWTs(in); got != "a eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.REDACTED b" {
		t.Errorf("MaskJWTs = %q", got)
	}
	if in := "eyJhbGciOiJSUzI1NiJ9 is a JWT header alone"; secret.MaskJWTs(in) != in {
		t.Error("a JWT header alone was changed")
	}
}
