package secret_test

import (
	"testing"

	"github.com/samldoctor/samldoctor/internal/secret"
)

// MaskText's output, byte for byte: what goes is exactly the value, what
// stays is everything else.
func TestMaskTextExact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"password=Zq1&user=jane", "password=REDACTED&user=jane"},
		{"https://jane:Zq1@proxy.example.com/x", "https://REDACTED@proxy.example.com/x"},
		{"see https://jane:Zq1@proxy.example.com and https://@host", "see https://REDACTED@proxy.example.com and https://@host"},
		{"<SessionToken>Zq1</SessionToken>", "<SessionToken>REDACTED</SessionToken>"},
		{`<sts:SecretAccessKey xmlns:sts="x">Zq1</sts:SecretAccessKey>`, `<sts:SecretAccessKey xmlns:sts="x">REDACTED</sts:SecretAccessKey>`},
		{"<SessionToken>Zq1", "<SessionToken>REDACTED"},
		{`"password":"a\"Zq1"`, `"password":"REDACTED"`},
		{`password="Zq1`, `password="REDACTED`},
		{"accessToken:\r\n  \"Zq1\"", "accessToken:\r\n  \"REDACTED\""},
		{`("token", "Zq1")`, `("token", "REDACTED")`},
		{"code%3DZq1", "code%3DREDACTED"},
		{"a%2526code%253DZq1", "a%2526code%253DREDACTED"},
		// Escapes whose hex digits are each boundary of [0-9a-fA-F]
		// separate names.
		{"%0Asid=Zq1", "%0Asid=REDACTED"},
		{"%9Fsid=Zq1", "%9Fsid=REDACTED"},
		{"%a0sid=Zq1", "%a0sid=REDACTED"},
		{"%f9sid=Zq1", "%f9sid=REDACTED"},
		{"%A0sid=Zq1", "%A0sid=REDACTED"},
		{"%F9sid=Zq1", "%F9sid=REDACTED"},
		{`\u0026sid=Zq1`, `\u0026sid=REDACTED`},
		{`\x26sid=Zq1`, `\x26sid=REDACTED`},
		// Elements whose names start with each boundary of [a-zA-Z_].
		{"<aToken>Zq1</aToken>", "<aToken>REDACTED</aToken>"},
		{"<zToken>Zq1</zToken>", "<zToken>REDACTED</zToken>"},
		{"<AToken>Zq1</AToken>", "<AToken>REDACTED</AToken>"},
		{"<ZToken>Zq1</ZToken>", "<ZToken>REDACTED</ZToken>"},
		{"<_token>Zq1</_token>", "<_token>REDACTED</_token>"},
	} {
		if got := secret.MaskText(tt.in); got != tt.want {
			t.Errorf("MaskText(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// Near misses MaskText keeps byte for byte: a name that is a credential's
// only without the letter or digit before it (each boundary of the name
// characters), a colon after a name only '=' makes a credential
// (code%3A400, as "Status Code: 400"), comparisons and scope operators,
// empty user info, tags that are not closed or close themselves, and
// texts cut right after a name, an escape or a quote.
func TestMaskTextKeeps(t *testing.T) {
	for _, in := range []string{
		"asid=1", "zsid=1", "Asid=1", "Zsid=1", "0sid=1", "9sid=1",
		"code%3A400", "code%3a400", "Status Code: 400",
		"if (token == other) {}", "Token::Value", "sid::x",
		"https://@host/",
		"<SessionToken", "<SessionToken/>", "<SessionToken >",
		"password=", "password:", "accessToken:\n", `("token"`, `setItem("token", `, "a %4", "a %25A", `a \u004`, `a \x4`, `"`, "%", `\`,
	} {
		if got := secret.MaskText(in); got != in {
			t.Errorf("MaskText changed %q\n→ %q", in, got)
		}
	}
}

// MaskURL masks the credentials of a query and of a fragment, also when
// the URL is nothing but them.
func TestMaskURLEdges(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"?code=Zq1", "?code=REDACTED"},
		{"https://a/cb#access_token=Zq1&state=x", "https://a/cb#access_token=REDACTED&state=REDACTED"},
		{"https://a/?#code=Zq1", "https://a/?#code=REDACTED"},
		{"https://a/?x=1#code=Zq1", "https://a/?x=1#code=REDACTED"},
		{"https://a/path", "https://a/path"},
	} {
		if got := secret.MaskURL(tt.in, nil); got != tt.want {
			t.Errorf("MaskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// MaskTags on tags of every first letter, tags right after another,
// spaces around '=', and tags cut at each point of their grammar; near
// misses: a '<' before what is not a letter is no tag.
func TestMaskTagsEdges(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`<a data-token="Zq1">`, `<a data-token="REDACTED">`},
		{`<z data-token="Zq1">`, `<z data-token="REDACTED">`},
		{`<A data-token="Zq1">`, `<A data-token="REDACTED">`},
		{`<Z data-token="Zq1">`, `<Z data-token="REDACTED">`},
		{`<b><input type=password value=Zq1>`, `<b><input type=password value=REDACTED>`},
		{`<input type = password value = "Zq1">`, `<input type = password value = "REDACTED">`},
		{`<textarea name=password>Zq1`, `<textarea name=password>REDACTED`},
		{`<input type=password value=Zq1`, `<input type=password value=REDACTED`},
		{`<input type=password value=`, `<input type=password value=`},
		{`<input type=password value `, `<input type=password value `},
		{`<input type=password value`, `<input type=password value`},
		{`<input `, `<input `},
		{`a<`, `a<`},
		{`<@ data-token="Zq1">`, `<@ data-token="Zq1">`},
		{"<` data-token=\"Zq1\">", "<` data-token=\"Zq1\">"},
		{`<{ data-token="Zq1">`, `<{ data-token="Zq1">`},
		{`<[ data-token="Zq1">`, `<[ data-token="Zq1">`},
	} {
		if got := secret.MaskTags(tt.in); got != tt.want {
			t.Errorf("MaskTags(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// The decoders MaskTags and redact use: JavaScript escapes (cut ones and
// a trailing backslash kept as written), percent-encoding (a broken
// escape kept, the rest decoded).
func TestUnescapers(t *testing.T) {
	for in, want := range map[string]string{
		`\u0041`: "A", `\x41`: "A", `\u00e9`: "é", `a\"b`: `a"b`, `a\nb`: "a b",
		`a\`: `a\`, `\u004`: `u004`, `\x4`: `x4`, `\q`: "q",
	} {
		if got := secret.UnescapeJS(in); got != want {
			t.Errorf("UnescapeJS(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"%41": "A", "a+b": "a b", "%zz%41": "%zzA", "100%": "100%"} {
		if got := secret.UnescapeURL(in); got != want {
			t.Errorf("UnescapeURL(%q) = %q, want %q", in, got, want)
		}
	}
	if got := secret.EscapeJS("<a href=\"x\">'\\\n"); got != `\u003ca href=\"x\"\u003e\'\\\n` {
		t.Errorf("EscapeJS = %q", got)
	}
}
