package idp

import (
	"fmt"
	"sort"
	"strings"

	"github.com/samldoctor/samldoctor/internal/idp/expr"
)

// A SaaS product's step that has the admin type an expression (an Entra
// claim transformation, an Okta attribute statement's value) is rendered
// from a machine-readable template, the Fix's Expr, filled from the same
// Values as the step's text, which prints it as {{.Expr}}. The check
// evaluates that expression (package expr) with the product's variables
// bound to what the capture shows (Bind), so what is printed is what was
// checked.

// Sent is what the IdP is seen to send for this agent: each source (an
// attribute's name as sent, or "NameID") and its value.
type Sent map[string]string

// Variable is one of a product's expression variables and the source in
// the capture that shows its value.
type Variable struct {
	Name string `json:"name"`
	// Source is the attribute (its name as sent) or "NameID" whose value
	// the variable holds.
	Source string `json:"source"`
	// Variant limits the binding to an application variant: "custom"
	// (no variant settled: the product's own SAML app) or a
	// Values.Variant ("aws-account-federation"); "" is any.
	Variant string `json:"variant,omitempty"`
	// Assumes is what the binding takes for granted (a default the admin
	// may have changed), said beside the check.
	Assumes string `json:"assumes,omitempty"`
	Docs    string `json:"docs"`
}

func (vr Variable) fits(variant string) bool {
	switch vr.Variant {
	case "":
		return true
	case "custom":
		return variant == ""
	}
	return vr.Variant == variant
}

// variables are the product's bindings: its data's, then one for each
// default claim its Sources name.
func (p *Product) variables() []Variable {
	out := append([]Variable(nil), p.Variables...)
	names := make([]string, 0, len(p.Sources))
	for claim := range p.Sources {
		names = append(names, claim)
	}
	sort.Strings(names)
	for _, claim := range names {
		out = append(out, Variable{Name: p.Sources[claim], Source: claim, Assumes: fmt.Sprintf("the claim %s keeps its default source, %s", claim, p.Sources[claim])})
	}
	return out
}

// Binding is a variable's value and what binding it assumes.
type Binding struct {
	Value   string
	Assumes []string
	// Conflict says why the variable is left unbound: two sources bind
	// it to different values.
	Conflict string
}

// Bind binds the product's variables for the variant to what was sent.
// A variable two sources bind to different values is left unbound (its
// Conflict says why): one of the defaults it assumes is not so.
func (p *Product) Bind(variant string, sent Sent) map[string]*Binding {
	out := map[string]*Binding{}
	for _, vr := range p.variables() {
		val, ok := sent[vr.Source]
		if !ok || !vr.fits(variant) {
			continue
		}
		b := out[vr.Name]
		if b == nil {
			b = &Binding{Value: val}
			out[vr.Name] = b
		}
		if b.Value != val && b.Conflict == "" {
			b.Conflict = fmt.Sprintf("%s would hold both %q and %q (from %s)", vr.Name, b.Value, val, sourceWords(vr.Source))
		}
		if vr.Assumes != "" {
			b.Assumes = append(b.Assumes, vr.Assumes)
		}
	}
	return out
}

func sourceWords(s string) string {
	if s == "NameID" {
		return "the NameID"
	}
	return "attribute " + s
}

// Env is the bindings as an expression environment: a variable in
// conflict is unbound. Used records each variable read.
type Env struct {
	Bindings map[string]*Binding
	Used     []string
}

// Lookup is a bound variable's value.
func (e *Env) Lookup(name string) (string, bool) {
	b := e.Bindings[name]
	if b == nil || b.Conflict != "" {
		return "", false
	}
	for _, u := range e.Used {
		if u == name {
			return b.Value, true
		}
	}
	e.Used = append(e.Used, name)
	return b.Value, true
}

// Assumes is what the variables read take for granted.
func (e *Env) Assumes() []string {
	var out []string
	for _, u := range e.Used {
		for _, a := range e.Bindings[u].Assumes {
			if !contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Why says why a variable is unbound.
func (e *Env) Why(name string) string {
	if b := e.Bindings[name]; b != nil && b.Conflict != "" {
		return b.Conflict
	}
	return "the capture does not show " + name
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// SourceVar is the product's variable that holds source's value for the
// variant: one bound from source itself, else one bound to the same value
// from another source; "" when none is (or it is in conflict).
func (p *Product) SourceVar(variant, source string, sent Sent) string {
	val, ok := sent[source]
	if !ok {
		return ""
	}
	binds := p.Bind(variant, sent)
	for _, vr := range p.variables() {
		if vr.Source == source && vr.fits(variant) && binds[vr.Name] != nil && binds[vr.Name].Conflict == "" {
			return vr.Name
		}
	}
	for _, vr := range p.variables() {
		if b := binds[vr.Name]; b != nil && b.Conflict == "" && b.Value == val {
			return vr.Name
		}
	}
	return ""
}

// Expression is the expression the product's step for kind tells the
// admin to type, filled from v (v.SourceVar names the source's
// variable); ok is false when the product has none for kind, or v names
// no variable.
func (p *Product) Expression(kind string, v Values) (string, bool) {
	f, ok := p.Fixes[kind]
	if !ok || f.Expr == "" || v.SourceVar == "" {
		return "", false
	}
	s, err := fill(f.Expr, v)
	if err != nil || strings.TrimSpace(s) == "" {
		return "", false
	}
	return s, true
}

// WithExpression fills v.SourceVar, v.Expr and v.ExprForm for the
// product's kind of fix from what was sent: the step's text then prints
// the expression the check evaluates. v is returned as it is when the
// product has no expression for kind.
func WithExpression(product, kind string, v Values, sent Sent) Values {
	p := Lookup(product)
	if p == nil || p.Fixes[kind].Expr == "" {
		return v
	}
	v.SourceVar = p.SourceVar(v.Variant, v.Source, sent)
	e, ok := p.Expression(kind, v)
	if !ok {
		v.SourceVar = ""
		return v
	}
	v.Expr = e
	if p.Language == "entra" {
		if c, err := expr.ParseEntra(e); err == nil {
			v.ExprForm = c.Form()
		}
	}
	return v
}

// Evaluate evaluates an expression in the language of the product's
// expressions (Entra's claim transformations, Okta's Expression
// Language).
func Evaluate(productID, expression string, env expr.Env) (string, error) {
	p := Lookup(productID)
	if p == nil {
		return "", fmt.Errorf("%w: no product %q", expr.ErrNotModelled, productID)
	}
	switch p.Language {
	case "entra":
		return expr.EvalEntra(expression, env)
	case "okta":
		return expr.EvalOkta(expression, env)
	}
	return "", fmt.Errorf("%w: %s's expressions are not modelled", expr.ErrNotModelled, p.Name)
}
