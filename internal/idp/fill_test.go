package idp

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"text/template"
)

// Every product step renders through fill exactly as text/template (with
// missingkey=error) renders it, for values that take every branch.
func TestFillMatchesTextTemplate(t *testing.T) {
	full := Values{RoleSessionName: "jane.doe@example.com", ConnectUser: "Jane.Doe@example.com", RolePair: "arn:aws:iam::111122223333:role/R,arn:aws:iam::111122223333:saml-provider/P",
		RoleArn: "arn:aws:iam::111122223333:role/R", ProviderArn: "arn:aws:iam::111122223333:saml-provider/P", Account: "111122223333",
		ACS: "https://signin.aws.amazon.com/saml", Audience: "urn:amazon:webservices", RelayState: "https://x/?a=b&c",
		RelayStateEncoded: "https%3A%2F%2Fx", RelayStateDoubleEncoded: "https%253A", ClockOffset: "2h0m0s behind AWS's"}
	var sets []Values
	for _, ct := range []string{"", "lower", "upper", "Lower"} {
		v := full
		v.CaseTransform = ct
		sets = append(sets, v)
	}
	for _, src := range []string{"NameID", "uid"} {
		for _, scope := range []string{"agent", "application"} {
			v := full
			v.Source, v.SourceValue, v.Scope, v.AgentAttr, v.AgentValue, v.SPEntity, v.Variant = src, "JDoe", scope, "uid", "JDoe", "urn:amazon:webservices", "aws-account-federation"
			sets = append(sets, v)
		}
	}
	for _, ct := range []string{"lower", "upper"} {
		v := full
		v.CaseTransform, v.Source, v.SourceValue, v.SourceVar, v.Expr, v.ExprForm = ct, "NameID", "JDoe", "user.login", "String.toLowerCase(user.login)", "Source to Transformation"
		sets = append(sets, v)
		v.Variant = "aws-account-federation"
		sets = append(sets, v)
	}
	sets = append(sets, Values{}, Values{ConnectUser: "x", CaseTransform: "upper"})
	n := 0
	for _, p := range load() {
		for kind, f := range p.Fixes {
			for i, s := range append(slices.Clone(f.Steps), f.Expr) {
				tt := template.Must(template.New("step").Option("missingkey=error").Parse(s))
				for _, v := range sets {
					var want bytes.Buffer
					if err := tt.Execute(&want, v); err != nil {
						t.Fatalf("%s %s step %d: text/template: %v", p.ID, kind, i, err)
					}
					got, err := fill(s, v)
					if err != nil {
						t.Fatalf("%s %s step %d: %v", p.ID, kind, i, err)
					}
					if got != want.String() {
						t.Errorf("%s %s step %d with %+v:\nfill:          %q\ntext/template: %q", p.ID, kind, i, v, got, want.String())
					}
					n++
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d renderings compared", n)
	}
}

// Nested and chained conditions, and what text/template refuses.
func TestFill(t *testing.T) {
	v := Values{ConnectUser: "U", CaseTransform: "upper"}
	for _, c := range []struct{ in, want string }{
		{`a{{if .ConnectUser}}[{{.ConnectUser}}]{{end}}b`, "a[U]b"},
		{`{{if .RoleArn}}x{{else}}y{{end}}`, "y"},
		{`{{if eq .CaseTransform "lower"}}L{{else if eq .CaseTransform "upper"}}U{{else}}N{{end}}`, "U"},
		{`{{if eq .CaseTransform "upper"}}1{{else if eq .CaseTransform "upper"}}2{{else}}3{{end}}`, "1"},
		{`{{if .RoleArn}}{{if .ConnectUser}}both{{end}}{{else}}{{if .ConnectUser}}user only{{end}}{{end}}.`, "user only."},
		{`no actions`, "no actions"},
	} {
		got, err := fill(c.in, v)
		if err != nil || got != c.want {
			t.Errorf("fill(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{`{{.NoSuchField}}`, `{{if .ConnectUser}}open`, `{{end}}`, `{{else}}`, `{{printf "%s" .ACS}}`, `{{.ACS`, `{{if eq .ACS lower}}x{{end}}`} {
		if got, err := fill(bad, v); err == nil {
			t.Errorf("fill(%q) = %q, want an error", bad, got)
		}
		if tt, err := template.New("x").Option("missingkey=error").Parse(bad); err == nil {
			if err := tt.Execute(&bytes.Buffer{}, v); err == nil && !strings.Contains(bad, "printf") {
				t.Errorf("text/template accepts %q: the near miss is not one", bad)
			}
		}
	}
}

// Every field of Values can be named in a step.
func TestFillKnowsEveryField(t *testing.T) {
	rt := reflect.TypeOf(Values{})
	for i := range rt.NumField() {
		if _, err := (Values{}).field("." + rt.Field(i).Name); err != nil {
			t.Errorf("field %s: %v", rt.Field(i).Name, err)
		}
	}
}
