package expr

import (
	"strconv"
	"strings"
)

// Microsoft Entra ID's claim transformations, as the SAML claims
// customization page and the claims-mapping policy reference define them
// (https://learn.microsoft.com/en-us/entra/identity-platform/saml-claims-customization#claim-transformations,
// https://learn.microsoft.com/en-us/entra/identity-platform/reference-claims-mapping-policy-type#claims-transformation).
//
// The portal builds a claim from fields, not text: Source Transformation,
// a Transformation, its Parameter 1 (a user attribute, or the output of
// the transformation before it) and its other parameters; at most two
// transformations chained. The text form here writes that chain as calls,
// innermost first: ToUppercase(ExtractMailPrefix(user.mail)) is
// ExtractMailPrefix() of user.mail, then ToUppercase() of its output. A
// bare attribute (user.userprincipalname) is Source Attribute. A constant
// is written in double quotes (the portal takes it without).

// Entra is a claim's source: an attribute, or a chain of transformations.
type Entra struct {
	// Attribute is the claim's source attribute (Source Attribute), or
	// the first transformation's Parameter 1.
	Attribute string
	// Steps are the transformations in the order Entra applies them.
	Steps []EntraStep
}

// EntraStep is one transformation and its parameters beyond the input.
type EntraStep struct {
	Func string
	// Params are the parameters after the input (Join's separator and
	// second parameter), each an attribute or, quoted, a constant.
	Params []EntraArg
}

// EntraArg is an attribute (user.surname) or a constant.
type EntraArg struct {
	Attribute string
	Constant  string
}

// MaxEntraSteps is the most transformations a claim can chain: "You can
// apply a maximum of two transformations to a claim."
const MaxEntraSteps = 2

// entraFuncs: each transformation's parameters after the input.
var entraFuncs = map[string][]string{
	"ToLowercase":       nil,
	"ToUppercase":       nil,
	"ExtractMailPrefix": nil,
	"Join":              {"Separator", "Parameter 2"},
}

// ParseEntra reads a claim source in the text form.
func ParseEntra(src string) (*Entra, error) {
	if len(src) > MaxLen {
		return nil, errorf(ErrSyntax, "the expression is %d bytes, more than %d", len(src), MaxLen)
	}
	p := &entraParser{src: src}
	e := &Entra{}
	if err := p.source(e, 0); err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.src) {
		return nil, errorf(ErrSyntax, "unexpected %q at offset %d", p.src[p.i:min(len(p.src), p.i+10)], p.i)
	}
	return e, nil
}

type entraParser struct {
	src string
	i   int
}

func (p *entraParser) space() {
	for p.i < len(p.src) && p.src[p.i] == ' ' {
		p.i++
	}
}

func (p *entraParser) name() string {
	p.space()
	j := p.i
	for j < len(p.src) && (isIdentPart(p.src[j]) || p.src[j] == '.') && p.src[j] != '$' {
		j++
	}
	s := p.src[p.i:j]
	p.i = j
	return s
}

func (p *entraParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

// source := attribute | Func '(' source (',' arg)* ')'
func (p *entraParser) source(e *Entra, depth int) error {
	if depth > MaxEntraSteps {
		return errorf(ErrSyntax, "more than %d transformations chained: Entra applies at most %d to a claim", MaxEntraSteps, MaxEntraSteps)
	}
	at := p.i
	n := p.name()
	if n == "" {
		if p.i < len(p.src) && p.src[p.i] == '"' {
			return errorf(ErrNotModelled, "a constant as the claim's source at offset %d", p.i)
		}
		return errorf(ErrSyntax, "expected an attribute or a transformation at offset %d", at)
	}
	if !p.punct('(') {
		if !validAttribute(n) {
			return errorf(ErrSyntax, "%q is not a user attribute (user.name)", n)
		}
		e.Attribute = n
		return nil
	}
	params, ok := entraFuncs[n]
	if !ok {
		return errorf(ErrUnknownFunction, "%s() is not an Entra ID claim transformation samldoctor knows", n)
	}
	if err := p.source(e, depth+1); err != nil {
		return err
	}
	st := EntraStep{Func: n}
	for range params {
		if !p.punct(',') {
			return errorf(ErrSyntax, "%s() takes Parameter 1, %s", n, strings.Join(params, ", "))
		}
		a, err := p.arg()
		if err != nil {
			return err
		}
		st.Params = append(st.Params, a)
	}
	if !p.punct(')') {
		return errorf(ErrSyntax, "%s() takes %d parameters; expected ')' at offset %d", n, len(params)+1, p.i)
	}
	e.Steps = append(e.Steps, st)
	return nil
}

// arg := attribute | '"' constant '"'
func (p *entraParser) arg() (EntraArg, error) {
	p.space()
	if p.i < len(p.src) && p.src[p.i] == '"' {
		j := strings.IndexByte(p.src[p.i+1:], '"')
		if j < 0 {
			return EntraArg{}, errorf(ErrSyntax, "the constant that starts at offset %d is not closed", p.i)
		}
		c := p.src[p.i+1 : p.i+1+j]
		p.i += j + 2
		return EntraArg{Constant: c}, nil
	}
	n := p.name()
	if !validAttribute(n) {
		return EntraArg{}, errorf(ErrSyntax, "expected an attribute or a quoted constant at offset %d", p.i)
	}
	return EntraArg{Attribute: n}, nil
}

// validAttribute: user.name (the attributes the portal lists are all
// user.*: user.userprincipalname, user.mail, user.onpremisessamaccountname,
// user.extensionattribute1...).
func validAttribute(n string) bool {
	rest, ok := strings.CutPrefix(n, "user.")
	return ok && rest != "" && !strings.Contains(rest, ".")
}

// String writes the chain in the text form.
func (e *Entra) String() string {
	s := e.Attribute
	for _, st := range e.Steps {
		args := []string{s}
		for _, a := range st.Params {
			args = append(args, a.String())
		}
		s = st.Func + "(" + strings.Join(args, ", ") + ")"
	}
	return s
}

func (a EntraArg) String() string {
	if a.Attribute != "" {
		return a.Attribute
	}
	return strconv.Quote(a.Constant)
}

// Form says how the portal's fields are set for the chain, in the words
// of its Manage claim page: "Source to Attribute, Source attribute to
// user.mail", or "Source to Transformation, Transformation to
// ToLowercase(), Parameter 1 to user.userprincipalname".
func (e *Entra) Form() string {
	if len(e.Steps) == 0 {
		return "Source to Attribute, Source attribute to " + e.Attribute
	}
	s := "Source to Transformation"
	for i, st := range e.Steps {
		if i == 0 {
			s += ", Transformation to " + st.Func + "(), Parameter 1 to " + e.Attribute
		} else {
			s += "; then Add transformation: Transformation to " + st.Func + "() (its Parameter 1 is the first's output)"
		}
		for j, a := range st.Params {
			v := a.Attribute
			if v == "" {
				v = a.Constant
			}
			s += ", " + entraFuncs[st.Func][j] + " to " + v
		}
	}
	return s
}

// Vars are the attributes the chain reads.
func (e *Entra) Vars() []string {
	out := []string{e.Attribute}
	for _, st := range e.Steps {
		for _, a := range st.Params {
			if a.Attribute != "" && !contains(out, a.Attribute) {
				out = append(out, a.Attribute)
			}
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// EvalEntra parses and evaluates a claim source.
func EvalEntra(src string, env Env) (string, error) {
	e, err := ParseEntra(src)
	if err != nil {
		return "", err
	}
	return e.Eval(env)
}

// Eval applies the chain to the attributes' values.
func (e *Entra) Eval(env Env) (string, error) {
	lookup := func(a string) (string, error) {
		v, ok := env.Lookup(a)
		if !ok {
			return "", errorf(ErrUnbound, "%s: the capture does not show its value", a)
		}
		return v, nil
	}
	s, err := lookup(e.Attribute)
	if err != nil {
		return "", err
	}
	for _, st := range e.Steps {
		var params []string
		for _, a := range st.Params {
			v := a.Constant
			if a.Attribute != "" {
				if v, err = lookup(a.Attribute); err != nil {
					return "", err
				}
			}
			params = append(params, v)
		}
		if s, err = entraApply(st.Func, s, params); err != nil {
			return "", err
		}
	}
	return s, nil
}

func entraApply(f, s string, params []string) (string, error) {
	switch f {
	case "ToLowercase", "ToUppercase":
		if !isASCII(s) {
			return "", errorf(ErrNotModelled, "%s() of %q, beyond ASCII, where .NET's case mapping and others differ", f, s)
		}
		if f == "ToLowercase" {
			return lowerASCII(s), nil
		}
		return upperASCII(s), nil
	case "ExtractMailPrefix":
		// "Extracts the local part of an email address. For example,
		// mail:foo@bar.com results in output claim:foo. If no @ sign is
		// present, then the original input string is returned."
		switch strings.Count(s, "@") {
		case 0:
			return s, nil
		case 1:
			return s[:strings.IndexByte(s, '@')], nil
		}
		return "", errorf(ErrNotModelled, "ExtractMailPrefix() of %q, with more than one @", s)
	case "Join":
		// "Joins input strings by using a separator in between. For
		// example, string1:foo@bar.com, string2:sandbox, separator:.
		// results in output claim:foo@bar.com.sandbox." (The Name ID
		// claim's Join drops the input's domain first; these are
		// attribute claims.)
		if len(s)+len(params[0])+len(params[1]) > MaxValue {
			return "", errorf(ErrNotModelled, "a value longer than %d bytes", MaxValue)
		}
		return s + params[0] + params[1], nil
	}
	return "", errorf(ErrUnknownFunction, "%s()", f)
}
