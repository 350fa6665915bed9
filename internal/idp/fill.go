package idp

import (
	"fmt"
	"strconv"
	"strings"
)

// fill renders one fix step: the subset of text/template's syntax the
// products' steps use ({{.Field}}, {{if .Field}}, {{if eq .Field "x"}},
// {{else if ...}}, {{else}}, {{end}}), with an unknown field an error as
// text/template's missingkey=error makes it.
//
// It is not text/template because that package evaluates fields by
// reflection (reflect.Value.MethodByName), which makes the linker keep
// every exported method of every type in the binary: with the AWS SDK's
// Connect client (hundreds of operations) that was 27 MB of a 47 MB
// samldoctor. fill_test.go checks every product step renders as
// text/template renders it.
func fill(tmpl string, v Values) (string, error) {
	var b strings.Builder
	rest := tmpl
	// stack holds, for each open {{if}}, whether its branch is being
	// written and whether a branch of it was already taken.
	type frame struct{ on, taken, parentOn bool }
	var stack []frame
	on := true
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			break
		}
		if on {
			b.WriteString(rest[:i])
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return "", fmt.Errorf("unclosed action in %q", tmpl)
		}
		action := strings.TrimSpace(rest[i+2 : i+j])
		rest = rest[i+j+2:]
		switch {
		case strings.HasPrefix(action, "."):
			s, err := v.field(action)
			if err != nil {
				return "", err
			}
			if on {
				b.WriteString(s)
			}
		case strings.HasPrefix(action, "if "):
			t, err := v.cond(action[3:])
			if err != nil {
				return "", err
			}
			stack = append(stack, frame{on: on && t, taken: t, parentOn: on})
			on = on && t
		case action == "else" || strings.HasPrefix(action, "else if "):
			if len(stack) == 0 {
				return "", fmt.Errorf("{{%s}} without {{if}} in %q", action, tmpl)
			}
			f := &stack[len(stack)-1]
			t := true
			if c, ok := strings.CutPrefix(action, "else if "); ok {
				var err error
				if t, err = v.cond(c); err != nil {
					return "", err
				}
			}
			t = t && !f.taken
			f.taken = f.taken || t
			f.on = f.parentOn && t
			on = f.on
		case action == "end":
			if len(stack) == 0 {
				return "", fmt.Errorf("{{end}} without {{if}} in %q", tmpl)
			}
			on = stack[len(stack)-1].parentOn
			stack = stack[:len(stack)-1]
		default:
			return "", fmt.Errorf("unsupported action {{%s}} in %q", action, tmpl)
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("{{if}} without {{end}} in %q", tmpl)
	}
	if on {
		b.WriteString(rest)
	}
	return b.String(), nil
}

// cond evaluates an if's pipeline: ".Field" (true when not empty) or
// `eq .Field "literal"`.
func (v Values) cond(p string) (bool, error) {
	p = strings.TrimSpace(p)
	if strings.HasPrefix(p, ".") {
		s, err := v.field(p)
		return s != "", err
	}
	args, ok := strings.CutPrefix(p, "eq ")
	if !ok {
		return false, fmt.Errorf("unsupported condition %q", p)
	}
	name, lit, ok := strings.Cut(strings.TrimSpace(args), " ")
	if !ok {
		return false, fmt.Errorf("unsupported condition %q", p)
	}
	s, err := v.field(name)
	if err != nil {
		return false, err
	}
	want, err := strconv.Unquote(strings.TrimSpace(lit))
	if err != nil {
		return false, fmt.Errorf("unsupported condition %q", p)
	}
	return s == want, nil
}

// field is the value of .Name.
func (v Values) field(name string) (string, error) {
	switch name {
	case ".RoleSessionName":
		return v.RoleSessionName, nil
	case ".ConnectUser":
		return v.ConnectUser, nil
	case ".CaseTransform":
		return v.CaseTransform, nil
	case ".RolePair":
		return v.RolePair, nil
	case ".RoleArn":
		return v.RoleArn, nil
	case ".ProviderArn":
		return v.ProviderArn, nil
	case ".Account":
		return v.Account, nil
	case ".ACS":
		return v.ACS, nil
	case ".Audience":
		return v.Audience, nil
	case ".RelayState":
		return v.RelayState, nil
	case ".RelayStateEncoded":
		return v.RelayStateEncoded, nil
	case ".RelayStateDoubleEncoded":
		return v.RelayStateDoubleEncoded, nil
	case ".ClockOffset":
		return v.ClockOffset, nil
	case ".Source":
		return v.Source, nil
	case ".SourceValue":
		return v.SourceValue, nil
	case ".SourceExpr":
		return v.SourceExpr, nil
	case ".Scope":
		return v.Scope, nil
	case ".AgentAttr":
		return v.AgentAttr, nil
	case ".AgentValue":
		return v.AgentValue, nil
	case ".SPEntity":
		return v.SPEntity, nil
	case ".SPEntityEncoded":
		return v.SPEntityEncoded, nil
	case ".StartLink":
		return v.StartLink, nil
	case ".Variant":
		return v.Variant, nil
	case ".SourceVar":
		return v.SourceVar, nil
	case ".Expr":
		return v.Expr, nil
	case ".ExprForm":
		return v.ExprForm, nil
	}
	return "", fmt.Errorf("no field %s in the step's values", name)
}
