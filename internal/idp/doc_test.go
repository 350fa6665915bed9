package idp

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/idps.md from products/")

// docs/idps.md is generated from the product files, so that it always says
// what the code does.
func TestDocIsCurrent(t *testing.T) {
	var b strings.Builder
	b.WriteString(`# Identity providers samldoctor recognises

samldoctor names the product that produced a SAML response from evidence in the capture, and
gives the fixes that are made at the IdP in that product's own words and places. This page is
generated from ` + "`internal/idp/products/*.json`" + ` (one file per product: its evidence rules
and its fix steps, each with the documentation it was taken from); correct a product there, then
run ` + "`go test ./internal/idp -run Doc -update`" + `.

## How the product is decided

Each rule that matches adds its weight: **3** settles it alone (an issuer format, an IdP host,
a certificate subject only that product uses), **2** and **1** only together with others (an ID
style, a port, attribute names several products use). A product is named when it has at least
3 points and leads every other by at least 2; otherwise the JSON says ` + "`\"product\": \"unknown\"`" + `
with the reason, and the fixes stay generic. Evidence kinds: ` + "`issuer`" + ` (Response and Assertion
Issuer, and the entityID of ` + "`--idp-metadata`" + `), ` + "`host`" + ` and ` + "`url`" + ` (the IdP pages in the
capture: the page that posted the SAMLResponse, pages that received a SAMLRequest), ` + "`cert`" + `
(the signing certificate's subject), ` + "`attribute`" + ` (attribute names), ` + "`id`" + ` (message IDs),
` + "`wrapped`" + ` (a SOAP envelope), ` + "`error-page`" + ` (the product's own error text on a page: weight 3).

## Error pages

When the IdP stops a sign-in itself (the agent is not assigned, no application matches, a
policy asks for MFA), it shows its own error page and sends no SAML. Each product's error texts
below are searched in the visible text of IdP pages (and of any HTML page, for self-hosted
products), then in the pages' script data (Entra ID renders its message from it). The first
text of a product that matches is the finding, under the cause it names: ` + "`idp.user_not_assigned`" + `,
` + "`idp.reply_url_mismatch`" + `, ` + "`idp.app_not_found`" + `, ` + "`idp.authentication_required`" + `, ` + "`idp.error`" + `.

## Fix kinds

| kind | used for findings |
|---|---|
| rolesessionname | aws.session_name_missing, aws.session_name_invalid, connect.user_not_found |
| rolesessionname-case | connect.username_case_mismatch (with the product's lower/upper-case transformation when one yields the Connect user name) |
| role | aws.role_missing, aws.role_malformed, aws.role_multiple, iam.role_not_found, iam.provider_not_found, connect.role_changed |
| audience | saml.audience_invalid, idp.app_not_found |
| acs | saml.recipient_invalid, idp.reply_url_mismatch |
| relaystate | aws.relay_state_missing, aws.relay_state_invalid |
| metadata | iam.issuer_mismatch, iam.cert_not_in_provider, saml.cert_expired |
| signing | saml.unsigned |
| signing-algorithm | saml.weak_algorithm |
| nameid | saml.nameid_missing |
| assignment | saml.status_failed, idp.user_not_assigned |
| clock | saml.idp_clock_skew, and saml.expired / saml.not_yet_valid / saml.stale_issue_instant when the clock explains them (self-hosted products only: a cloud IdP keeps its own time) |
`)
	for _, p := range Products {
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\nEvidence:\n\n| kind | pattern | weight | meaning |\n|---|---|---|---|\n", p.Name, p.ID)
		for _, c := range p.Clues {
			fmt.Fprintf(&b, "| %s | `%s` | %d | %s |\n", c.Kind, strings.ReplaceAll(c.Pattern, "|", `\|`), c.Weight, c.Says)
		}
		if len(p.Errors) > 0 {
			b.WriteString("\nError pages:\n\n| cause | text | meaning |\n|---|---|---|\n")
			for _, e := range p.Errors {
				where := ""
				if e.OnHost {
					where = " (on the product's own hosts only)"
				}
				fmt.Fprintf(&b, "| %s | `%s`%s | [%s](%s) |\n", e.ID, strings.ReplaceAll(e.Pattern, "|", `\|`), where, e.Says, e.Docs)
			}
		}
		b.WriteString("\nFixes (values in `{{...}}` are filled in from the sign-in):\n\n")
		for _, k := range FixKinds {
			f, ok := p.Fixes[k]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "- **%s** ([source](%s)):\n", k, f.Docs)
			for _, s := range f.Steps {
				fmt.Fprintf(&b, "  - %s\n", strings.ReplaceAll(s, "|", `\|`))
			}
			if f.Expr != "" {
				fmt.Fprintf(&b, "  - the expression printed and checked (%s): `%s`\n", p.Language, strings.ReplaceAll(f.Expr, "|", `\|`))
			}
		}
		if vars := p.variables(); p.Language != "" && len(vars) > 0 {
			b.WriteString("\nExpression variables, bound to what the capture shows for the check:\n\n| variable | its value is | variant | assumes |\n|---|---|---|---|\n")
			for _, vr := range vars {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", vr.Name, sourceWords(vr.Source), orAny(vr.Variant), vr.Assumes)
			}
		}
	}
	want := b.String()
	path := filepath.Join("..", "..", "docs", "idps.md")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/idps.md is stale: run go test ./internal/idp -run Doc -update")
	}
}

func TestDetectNeedsEnoughEvidence(t *testing.T) {
	tests := []struct {
		obs  []Observation
		want string
	}{
		{nil, Unknown},
		{[]Observation{{Kind: "id", Value: "id123456789012345678"}}, Unknown}, // one weak Okta hint
		{[]Observation{{Kind: "issuer", Value: "https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/"}}, "entra"},
		{[]Observation{{Kind: "host", Value: "example.okta.com"}, {Kind: "host", Value: "login.microsoftonline.com"}}, Unknown}, // a tie
		{[]Observation{{Kind: "issuer", Value: "https://idp.example.com:9031/x"}, {Kind: "id", Value: "OyDuc8VO_V6Pfe-C.4yXC2hKLQ0"}}, "ping"},
		// Any 27-character ID looks like PingFederate's; that alone must not
		// outweigh an AD FS issuer, nor name Ping.
		{[]Observation{{Kind: "issuer", Value: "http://fs.example.com/adfs/services/trust"}, {Kind: "id", Value: "_resp0123456789abcdef000001"}}, "adfs"},
		{[]Observation{{Kind: "id", Value: "OyDuc8VO_V6Pfe-C.4yXC2hKLQ0"}}, Unknown},
	}
	for i, tt := range tests {
		d := Detect(tt.obs)
		if d.Product != tt.want {
			t.Errorf("%d: %s (%s), want %s", i, d.Product, d.Reason, tt.want)
		}
		if d.Product == Unknown && d.Reason == "" {
			t.Errorf("%d: unknown without a reason", i)
		}
	}
}

func orAny(s string) string {
	if s == "" {
		return "any"
	}
	return s
}
