package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// caseMismatch is a sign-in through a product whose RoleSessionName (and
// NameID) is the Connect user's name in another case.
func caseMismatch(issuer, startURL string) scenario {
	s := base()
	s.resp.Issuer = issuer
	s.resp.NameID, s.resp.RoleSessionName = "Jane.Doe@example.com", []string{"Jane.Doe@example.com"}
	s.aws["u.json"] = usersJSON(rsn)
	s.steps = func(st []fixture.Step) []fixture.Step { st[0].URL = startURL; return st }
	return s
}

const (
	oktaIssuer    = "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"
	oktaCustom    = "https://example.okta.com/app/example_connect/exk1/sso/saml"
	oktaFederated = "https://example.okta.com/home/amazon_aws/0oa1b2c3d4/272"
	entraStart    = "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2"
)

// The SaaS products' case fix prints an expression, and the check
// evaluates that expression, as the vendor documents it, against the
// captured values: it yields the Connect user's name, so the check
// passes, saying what the binding of its variables assumes.
func TestProductExpressionIsChecked(t *testing.T) {
	for _, tt := range []struct {
		name, issuer, start, expr, assumes string
	}{
		{"Entra ID", fixture.DefaultIssuer, entraStart, "ToLowercase(user.userprincipalname)", "the RoleSessionName claim keeps the source Microsoft's AWS tutorial gives it"},
		{"Okta, a custom SAML app", oktaIssuer, oktaCustom, "String.toLowerCase(appuser.userName)", "the app's Name ID is its Application username"},
		{"Okta, the AWS Account Federation app", oktaIssuer, oktaFederated, "String.toLowerCase(user.login)", "Application username format is Okta username (user.login) today"},
	} {
		_, fx := firstFix(t, caseMismatch(tt.issuer, tt.start).run(t), "connect.username_case_mismatch")
		if !strings.Contains(steps(fx), tt.expr) {
			t.Errorf("%s: the steps do not print %s:\n%s", tt.name, tt.expr, steps(fx))
		}
		if c := flat(fx.Changes[0]); c.Transform != "lower" || c.Value != rsn || fx.Check.Result != fix.Passes || !strings.Contains(fx.Check.Why, "(assuming ") || !strings.Contains(fx.Check.Why, tt.assumes) {
			t.Errorf("%s: change %+v checked %+v", tt.name, c, fx.Check)
		}
	}
}

// withExpr replaces a product's expression template for one test: the
// near misses are templates that do not do what the fix says.
func withExpr(t *testing.T, product, kind, tmpl string) {
	p := idp.Lookup(product)
	f := p.Fixes[kind]
	old := f.Expr
	f.Expr = tmpl
	p.Fixes[kind] = f
	t.Cleanup(func() { f.Expr = old; p.Fixes[kind] = f })
}

// Near misses: a template that names the wrong case function, one that
// reads an attribute the capture does not send, one with a function the
// language does not have. None passes, whatever the abstract change says
// (its transformation is right); the printed step shows the expression
// that failed.
func TestWrongProductExpressionFails(t *testing.T) {
	for _, tt := range []struct {
		name, issuer, start, kind, tmpl, printed, result, why string
	}{
		{"Entra: ToUppercase for a lower-case need", fixture.DefaultIssuer, entraStart, "rolesessionname-case",
			`ToUppercase({{.SourceVar}})`, `ToUppercase(user.userprincipalname)`, fix.StillFails, `ToUppercase(user.userprincipalname), which yields "JANE.DOE@EXAMPLE.COM" for this agent, not "jane.doe@example.com"`},
		{"Entra: a claim the capture does not send", fixture.DefaultIssuer, entraStart, "rolesessionname-case",
			`ToLowercase(user.mail)`, `ToLowercase(user.mail)`, fix.NotChecked, "user.mail: the capture does not show its value"},
		{"Entra: ExtractMailPrefix drops the domain", fixture.DefaultIssuer, entraStart, "rolesessionname-case",
			`ToLowercase(ExtractMailPrefix({{.SourceVar}}))`, `ToLowercase(ExtractMailPrefix(user.userprincipalname))`, fix.StillFails, `yields "jane.doe" for this agent`},
		{"Okta: toUpperCase for a lower-case need", oktaIssuer, oktaCustom, "rolesessionname-case",
			`String.toUpperCase({{.SourceVar}})`, `String.toUpperCase(appuser.userName)`, fix.StillFails, `String.toUpperCase(appuser.userName), which yields "JANE.DOE@EXAMPLE.COM"`},
		{"Okta: user.email, which the capture does not show", oktaIssuer, oktaCustom, "rolesessionname-case",
			`String.toLowerCase(user.email)`, `String.toLowerCase(user.email)`, fix.NotChecked, "user.email: the capture does not show its value"},
		{"Okta: a function the language does not have", oktaIssuer, oktaCustom, "rolesessionname-case",
			`String.lowerCase({{.SourceVar}})`, `String.lowerCase(appuser.userName)`, fix.StillFails, "unknown function: String.lowerCase"},
		{"Okta: substringBefore a separator that is not there", oktaIssuer, oktaFederated, "rolesessionname-case",
			`String.toLowerCase(String.substringBefore({{.SourceVar}}, "#"))`, `String.toLowerCase(String.substringBefore(user.login, "#"))`, fix.NotChecked, "the search string is absent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			withExpr(t, productOf(tt.issuer), tt.kind, tt.tmpl)
			res := caseMismatch(tt.issuer, tt.start).run(t)
			f := find(res, "connect.username_case_mismatch")
			if f == nil || f.Fix == nil {
				t.Fatalf("no case-mismatch fix: %v", ids(res))
			}
			var fx *diagnose.Fix
			for _, x := range append([]diagnose.Fix{*f.Fix}, f.Alternatives...) {
				if len(x.Changes) == 1 && flat(x.Changes[0]).Transform != "" {
					fx = &x
				}
			}
			if fx == nil {
				t.Fatalf("no case transformation among the fixes")
			}
			if fx.Check.Result != tt.result || !strings.Contains(fx.Check.Why, tt.why) {
				t.Errorf("checked %s: %s\nwant %s with %q", fx.Check.Result, fx.Check.Why, tt.result, tt.why)
			}
			if !strings.Contains(steps(fx), tt.printed) || !strings.Contains(fx.Check.Why, "type "+tt.printed) {
				t.Errorf("the printed step is not the expression checked:\n%s", steps(fx))
			}
		})
	}
}

func productOf(issuer string) string {
	if issuer == oktaIssuer {
		return "okta"
	}
	return "entra"
}
