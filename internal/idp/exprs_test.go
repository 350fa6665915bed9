package idp

import (
	"errors"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/idp/expr"
)

const rsn = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"

// The step prints the expression the check evaluates: rendered from the
// product's template with the source's variable, evaluated with the
// variables bound to what was sent.
func TestWithExpression(t *testing.T) {
	tests := []struct {
		name, product, kind, variant, source, transform string
		sent                                            Sent
		expr, value, step                               string
		assumes                                         []string
	}{
		{"Entra: RoleSessionName's own source, lower-cased", "entra", "rolesessionname-case", "", rsn, "lower",
			Sent{"NameID": "Jane.Doe@example.com", rsn: "Jane.Doe@example.com"},
			"ToLowercase(user.userprincipalname)", "jane.doe@example.com", "Set Source to Transformation, Transformation to ToLowercase(), Parameter 1 to user.userprincipalname: the claim is then ToLowercase(user.userprincipalname)",
			[]string{"the Unique User Identifier (Name ID) claim keeps its default source, user.userprincipalname", "the RoleSessionName claim keeps the source Microsoft's AWS tutorial gives it, user.userprincipalname"}},
		{"Entra: the mail claim, upper-cased", "entra", "rolesessionname-case", "", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "upper",
			Sent{"NameID": "x@example.com", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "Jane@example.com"},
			"ToUppercase(user.mail)", "JANE@EXAMPLE.COM", "Parameter 1 to user.mail", []string{"the claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress keeps its default source, user.mail"}},
		{"Entra: a copy of the NameID", "entra", "rolesessionname", "", "NameID", "",
			Sent{"NameID": "jane@example.com"}, "user.userprincipalname", "jane@example.com", "Source attribute to user.userprincipalname (it sends",
			[]string{"the Unique User Identifier (Name ID) claim keeps its default source, user.userprincipalname"}},
		{"Okta custom app: the NameID's value, through appuser.userName", "okta", "rolesessionname-case", "", rsn, "lower",
			Sent{"NameID": "Jane.Doe@example.com", rsn: "Jane.Doe@example.com"},
			"String.toLowerCase(appuser.userName)", "jane.doe@example.com", "Set the Value of https://aws.amazon.com/SAML/Attributes/RoleSessionName to String.toLowerCase(appuser.userName)",
			[]string{"the app's Name ID is its Application username (Okta's default)"}},
		{"Okta AWS Account Federation app: the Application username format", "okta", "rolesessionname-case", "aws-account-federation", rsn, "upper",
			Sent{"NameID": "x", rsn: "Jane.Doe@example.com"},
			"String.toUpperCase(user.login)", "JANE.DOE@EXAMPLE.COM", "set Application username format to Custom and the expression to String.toUpperCase(user.login); Save.",
			[]string{"the AWS Account Federation app's Application username format is Okta username (user.login) today"}},
	}
	for _, tt := range tests {
		v := WithExpression(tt.product, tt.kind, Values{Source: tt.source, SourceValue: tt.sent[tt.source], CaseTransform: tt.transform, Variant: tt.variant, ConnectUser: "U"}, tt.sent)
		if v.Expr != tt.expr {
			t.Errorf("%s: expression %q, want %q", tt.name, v.Expr, tt.expr)
			continue
		}
		env := &Env{Bindings: Lookup(tt.product).Bind(tt.variant, tt.sent)}
		got, err := Evaluate(tt.product, v.Expr, env)
		if err != nil || got != tt.value {
			t.Errorf("%s: %s = %q, %v; want %q", tt.name, v.Expr, got, err, tt.value)
		}
		if a := strings.Join(env.Assumes(), "; "); a != strings.Join(tt.assumes, "; ") {
			t.Errorf("%s: assumes %q", tt.name, a)
		}
		steps, _, _ := Steps(tt.product, tt.kind, v)
		if !strings.Contains(strings.Join(steps, "\n"), tt.step) {
			t.Errorf("%s: the steps do not print %q:\n%s", tt.name, tt.step, strings.Join(steps, "\n"))
		}
	}
}

// Near misses: no variable holds the source (the prose stays, and no
// expression is printed), two sources disagree about a default (the
// variable is left unbound), a product with no expressions.
func TestWithExpressionNearMisses(t *testing.T) {
	// Okta's custom app: an attribute statement whose value nothing else
	// shows.
	v := WithExpression("okta", "rolesessionname-case", Values{Source: "email", SourceValue: "Jane@x", CaseTransform: "lower"}, Sent{"NameID": "jdoe", "email": "Jane@x"})
	if v.Expr != "" || v.SourceVar != "" {
		t.Errorf("an unknown statement's expression: %+v", v)
	}
	steps, _, _ := Steps("okta", "rolesessionname-case", v)
	if !strings.Contains(strings.Join(steps, "\n"), "Wrap the expression of the Value of the attribute statement email") {
		t.Errorf("the prose step is gone:\n%s", strings.Join(steps, "\n"))
	}
	// The federation app's NameID is not its username expression's input.
	if v := WithExpression("okta", "rolesessionname-case", Values{Source: "NameID", CaseTransform: "lower", Variant: "aws-account-federation"}, Sent{"NameID": "Jane"}); v.Expr != "" {
		t.Errorf("appuser.userName in the username format itself: %q", v.Expr)
	}
	// Entra: the NameID and RoleSessionName both claim to be the UPN by
	// default, with different values: at least one default is not so.
	sent := Sent{"NameID": "jdoe@example.com", rsn: "JDoe"}
	if v := WithExpression("entra", "rolesessionname-case", Values{Source: rsn, CaseTransform: "lower"}, sent); v.Expr != "" {
		t.Errorf("a variable in conflict is printed: %q", v.Expr)
	}
	env := &Env{Bindings: Lookup("entra").Bind("", sent)}
	if _, err := Evaluate("entra", "ToLowercase(user.userprincipalname)", env); !errors.Is(err, expr.ErrUnbound) {
		t.Errorf("a variable in conflict evaluates: %v", err)
	}
	if !strings.Contains(env.Why("user.userprincipalname"), `would hold both "jdoe@example.com" and "JDoe"`) {
		t.Errorf("why: %s", env.Why("user.userprincipalname"))
	}
	if v := WithExpression("simplesamlphp", "rolesessionname-case", Values{Source: rsn, CaseTransform: "lower"}, Sent{rsn: "X"}); v.Expr != "" {
		t.Errorf("SimpleSAMLphp has no expression template: %q", v.Expr)
	}
	if _, err := Evaluate("simplesamlphp", "x", expr.Vars{}); !errors.Is(err, expr.ErrNotModelled) {
		t.Errorf("a product with no expression language: %v", err)
	}
}

// Every expression template renders to an expression its language
// parses, for every case transformation the steps name.
func TestExpressionTemplatesParse(t *testing.T) {
	n := 0
	for _, p := range Products {
		for kind, f := range p.Fixes {
			if f.Expr == "" {
				continue
			}
			if p.Language == "" {
				t.Errorf("%s %s: an expression with no language", p.ID, kind)
			}
			for _, ct := range []string{"lower", "upper"} {
				e, ok := p.Expression(kind, Values{CaseTransform: ct, SourceVar: "user.x"})
				if !ok {
					t.Errorf("%s %s %s: no expression", p.ID, kind, ct)
					continue
				}
				var err error
				switch p.Language {
				case "entra":
					_, err = expr.ParseEntra(e)
				case "okta":
					_, err = expr.ParseOkta(e)
				}
				if err != nil {
					t.Errorf("%s %s: %q: %v", p.ID, kind, e, err)
				}
				n++
			}
		}
	}
	if n < 8 {
		t.Errorf("only %d expressions", n)
	}
}
