package diagnose

import (
	"errors"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/idp/expr"
)

// For a SaaS IdP the admin types an expression (an Entra claim
// transformation, an Okta attribute statement's value): the product's
// step prints it, rendered from the product's data (idp.WithExpression,
// in report's productSteps), and the check evaluates that same expression
// as the vendor documents it (internal/idp/expr), with the product's
// variables bound to what the capture shows. A step whose expression
// yields another value fails its check; one that reads a value the
// capture does not show is not checked.

// applyChecked applies the fix's changes to w (fix.ApplyAll), then checks
// the product's expressions for them: the check of the first that fails.
func (r *run) applyChecked(w *fix.World, f *Fix) *fix.Check {
	if ck := fix.ApplyAll(w, f.Changes); ck != nil {
		return ck
	}
	return r.checkProductExprs(w, f)
}

// checkProductExprs checks each RoleSessionName change of the fix
// against the expression the product's step has the admin type, once the
// changes are applied to w: the check that fails (nil when none does),
// with what the binding of the expressions' variables assumes added to
// w's assumptions.
func (r *run) checkProductExprs(w *fix.World, f *Fix) *fix.Check {
	if r.res.IdP == nil {
		return nil
	}
	for _, c := range f.Changes {
		sa, ok := c.(fix.SetAttribute)
		if !ok || sa.Attribute != assertion.AttrRoleSessionName {
			continue
		}
		assumes, err := checkProductExpr(r.res.IdP.Product, r.idpVariant(), sa, r.sentValues())
		if err != nil {
			return fix.Failed(err)
		}
		w.Assumptions = append(w.Assumptions, assumes...)
	}
	return nil
}

// sessionNameKind is the kind of product steps a RoleSessionName change
// takes, as report's renderer picks it.
func sessionNameKind(c fix.SetAttribute) string {
	switch {
	case c.Source == "":
		return "rolesessionname-profile"
	case c.Transform != "":
		return "rolesessionname-case"
	}
	return "rolesessionname"
}

// checkProductExpr renders the product's expression for a RoleSessionName
// change, given the product's application variant and what the IdP sent,
// and evaluates it: nil when it yields the change's Value (with what its
// variables' binding assumes), a wrong change when it yields something
// else or is not a valid expression, not modelled when it reads a value
// the capture does not show or an operation the documentation leaves
// open. A product with no expression for the change has its steps in
// words, checked as the change itself: nil.
func checkProductExpr(product, variant string, c fix.SetAttribute, sent idp.Sent) ([]string, error) {
	p := idp.Lookup(product)
	if p == nil {
		return nil, nil
	}
	v := idp.WithExpression(product, sessionNameKind(c), idp.Values{Source: c.Source, SourceValue: sent[c.Source], CaseTransform: c.Transform, ConnectUser: c.Value, Scope: string(c.Scope), Variant: variant}, sent)
	if v.Expr == "" {
		return nil, nil
	}
	env := &idp.Env{Bindings: p.Bind(variant, sent)}
	got, err := idp.Evaluate(product, v.Expr, env)
	detail := func(kind error) string { return strings.TrimPrefix(err.Error(), kind.Error()+": ") }
	switch {
	case errors.Is(err, expr.ErrUnbound):
		why := detail(expr.ErrUnbound)
		for name, b := range env.Bindings {
			if b.Conflict != "" && strings.Contains(v.Expr, name) {
				why = env.Why(name)
			}
		}
		return nil, fix.NotModelled("%s's step has the admin type %s, and %s", p.Name, v.Expr, why)
	case errors.Is(err, expr.ErrNotModelled):
		return nil, fix.NotModelled("%s's step has the admin type %s: %s", p.Name, v.Expr, detail(expr.ErrNotModelled))
	case err != nil:
		return nil, fix.Wrong("%s's step has the admin type %s, which %s rejects: %v", p.Name, v.Expr, p.Name, err)
	case got != c.Value:
		return nil, fix.Wrong("%s's step has the admin type %s, which yields %q for this agent, not %q", p.Name, v.Expr, got, c.Value)
	}
	return env.Assumes(), nil
}

// sentValues is what the IdP is seen to send for this agent in the judged
// assertion: the NameID and each attribute sent once with one value.
func (r *run) sentValues() idp.Sent {
	out := idp.Sent{}
	if r.assert == nil {
		return out
	}
	if v, ok := fix.SentValue(r.assert, fix.SourceNameID); ok {
		out[fix.SourceNameID] = v
	}
	for _, at := range r.assert.Attributes {
		if v, ok := fix.SentValue(r.assert, at.Name); ok && len(at.Values) == 1 {
			out[at.Name] = v
		}
	}
	return out
}
