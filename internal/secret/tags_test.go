package secret_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/secret"
)

// Credential tags wherever they are written and however escaped: each
// secret (Zq1, Zq2) goes, and the rest of the tag stays.
func TestMaskTags(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// Raw, in any position a JSON value or a script can hold one.
		{`<input type=password value=Zq1>`, `<input type=password value=REDACTED>`},
		{`<INPUT TYPE="Password" NAME="pf.pass" VALUE='Zq1'/>`, `<INPUT TYPE="Password" NAME="pf.pass" VALUE='REDACTED'/>`},
		{`<input name="pf.pass" value="Zq1">`, `<input name="pf.pass" value="REDACTED">`},
		{`<input autocomplete="current-password" value="Zq1">`, `<input autocomplete="current-password" value="REDACTED">`},
		{`<input autocomplete="one-time-code" id="otp" value="Zq1">`, `<input autocomplete="one-time-code" id="otp" value="REDACTED">`},
		{`<meta name="csrf-token" content="Zq1">`, `<meta name="csrf-token" content="REDACTED">`},
		{`<meta property="_csrf" content="Zq1" />`, `<meta property="_csrf" content="REDACTED" />`},
		{`<div data-access-token="Zq1" data-user="jane">`, `<div data-access-token="REDACTED" data-user="jane">`},
		{`<textarea name="password">Zq1</textarea>`, `<textarea name="password">REDACTED</textarea>`},
		{`<!-- <input type="password" value="Zq1"> -->`, `<!-- <input type="password" value="REDACTED"> -->`},
		{`document.write('<input type="password" value="Zq1">')`, `document.write('<input type="password" value="REDACTED">')`},
		// A JSON string's text as written, quotes escaped.
		{`"<input type=\"password\" value=\"Zq1\">"`, `"<input type=\"password\" value=\"REDACTED\">"`},
		// Escaped for JSON or JavaScript, for HTML, for URLs.
		{`"\u003cinput type=\"password\" value=\"Zq1\"\u003e"`, `"\u003cinput type=\"password\" value=\"REDACTED\"\u003e"`},
		{`'\x3cmeta name=\'csrf-token\' content=\'Zq1\'\x3e'`, `'\u003cmeta name=\'csrf-token\' content=\'REDACTED\'\u003e'`},
		{`<iframe srcdoc="&lt;input type=&quot;password&quot; value=&quot;Zq1&quot;&gt;">`, `<iframe srcdoc="&lt;input type=&#34;password&#34; value=&#34;REDACTED&#34;&gt;">`},
		{`https://a/?page=%3Cinput%20type%3Dpassword%20value%3DZq1%3E&x=1`, `https://a/?page=%3Cinput+type%3Dpassword+value%3DREDACTED%3E&x=1`},
		// A tag without its '>' runs to the end.
		{`<input type="password" value="Zq1`, `<input type="password" value="REDACTED`},
	} {
		if got := secret.MaskTags(tt.in); got != tt.want {
			t.Errorf("MaskTags(%s)\n = %s\nwant %s", tt.in, got, tt.want)
		}
		if got := secret.MaskText(tt.in); strings.Contains(got, "Zq1") {
			t.Errorf("MaskText(%s) = %s", tt.in, got)
		}
	}
	// Near misses: tags of no credential, and text that only looks like one.
	for _, in := range []string{
		`<input type="text" name="username" value="jane">`,
		`<input type="hidden" name="SAMLResponse" value="PHNhbWxw">`,
		`<input type="hidden" name="RelayState" value="https://example-corp.my.connect.aws/">`,
		`<meta name="viewport" content="width=device-width">`,
		`<label for="password">Password</label> <input type="password" name="password" value="">`,
		`<p class="password-hint">Your password must have 12 characters.</p>`,
		`if (a<b && c > d) { return "<b>bold</b>"; }`,
		`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>jane</saml:AttributeValue></saml:Attribute>`,
		`x &lt; y &amp;&amp; 100%3Cthings`,
		`<input type="password" value="REDACTED">`,
	} {
		if got := secret.MaskTags(in); got != in {
			t.Errorf("MaskTags changed a text without a credential:\n%s\n→ %s", in, got)
		}
	}
}

// Credentials a script sets, as scripts write them; each secret goes.
func TestMaskTextScripts(t *testing.T) {
	for _, in := range []string{
		`var csrf='Zq1';`,
		`const CSRF = "Zq1"; self.xsrf = 'Zq2';`,
		`window.token = "Zq1";`,
		`window["token"] = "Zq1"; obj['access_token'] = 'Zq2';`,
		`var d = {"access_token":"Zq1"};`,
		`xhr.setRequestHeader("X-CSRF-Token", "Zq1"); localStorage.setItem('id_token', 'Zq2');`,
		`sessionStorage.setItem( "refreshToken" , "Zq1" )`,
		"const session = {\n  accessToken:\n    \"Zq1\"\n};",
		`{&#34;csrfToken&#34;:&#34;Zq1&#34;}`,
		`{\u0022access_token\u0022:\u0022Zq1\u0022}`,
		`<div data-state='{"xsrfToken":"Zq1"}'>`,
	} {
		got := secret.MaskText(in)
		for _, s := range []string{"Zq1", "Zq2"} {
			if strings.Contains(in, s) && strings.Contains(got, s) {
				t.Errorf("%s survived in %q\n→ %q", s, in, got)
			}
		}
	}
	// Near misses: ordinary words and code stay readable.
	for _, in := range []string{
		`var retries = 3; var passive = true; function go() { return retries > 0; }`,
		`var fields = ["password", "username"];`,
		`alert("Wrong password, try again");`,
		`el.setAttribute("type", "password"); el.setAttribute("placeholder", "Enter your password");`,
		`document.getElementById("password").focus();`,
		`addEventListener("tokenexpired", refresh)`,
		"Password:\nForgot it? Ask your help desk.",
		`if (token === null || csrf == undefined) { login(); }`,
		`window.title = "Sign in to your account";`,
	} {
		if got := secret.MaskText(in); got != in {
			t.Errorf("MaskText changed a text without a credential:\n%q\n→ %q", in, got)
		}
	}
}
