package iampolicy

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Clone returns a deep copy of the policy, so that a copy can be edited
// while the original stays as AWS has it.
func (p *Policy) Clone() *Policy {
	if p == nil {
		return nil
	}
	c := &Policy{Version: p.Version, Statements: make([]Statement, len(p.Statements))}
	for i, st := range p.Statements {
		c.Statements[i] = st.Clone()
	}
	return c
}

// Clone returns a deep copy of the statement.
func (s Statement) Clone() Statement {
	c := s
	c.Principal = cloneMap(s.Principal)
	c.NotPrincipal = cloneMap(s.NotPrincipal)
	c.Action = slices.Clone(s.Action)
	c.NotAction = slices.Clone(s.NotAction)
	c.Resource = slices.Clone(s.Resource)
	c.NotResource = slices.Clone(s.NotResource)
	if s.Condition != nil {
		c.Condition = map[string]map[string][]string{}
		for op, keys := range s.Condition {
			c.Condition[op] = cloneMap(keys)
		}
	}
	c.has = maps.Clone(s.has)
	return c
}

func cloneMap(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	c := make(map[string][]string, len(m))
	for k, v := range m {
		c[k] = slices.Clone(v)
	}
	return c
}

// NewStatement returns a statement with the elements that are set (a
// non-empty list or map) marked as present, as Parse would mark them.
func NewStatement(st Statement) Statement {
	st.has = map[string]bool{"Effect": true}
	mark := func(name string, present bool) {
		if present {
			st.has[name] = true
		}
	}
	mark("Sid", st.Sid != "")
	mark("Principal", len(st.Principal) > 0)
	mark("NotPrincipal", len(st.NotPrincipal) > 0)
	mark("Action", len(st.Action) > 0)
	mark("NotAction", len(st.NotAction) > 0)
	mark("Resource", len(st.Resource) > 0)
	mark("NotResource", len(st.NotResource) > 0)
	mark("Condition", len(st.Condition) > 0)
	return st
}

// Mark records that the statement has an element (after an edit added it).
func (s *Statement) Mark(element string) {
	if s.has == nil {
		s.has = map[string]bool{}
	}
	s.has[element] = true
}

// Document writes the policy as an indented JSON policy document, with the
// elements in the order AWS's examples use and one-value lists written as a
// single string, ready for `aws iam ... --policy-document file://...`.
func (p *Policy) Document() string {
	type stmt struct {
		Sid          string                    `json:"Sid,omitempty"`
		Effect       string                    `json:"Effect"`
		Principal    any                       `json:"Principal,omitempty"`
		NotPrincipal any                       `json:"NotPrincipal,omitempty"`
		Action       any                       `json:"Action,omitempty"`
		NotAction    any                       `json:"NotAction,omitempty"`
		Resource     any                       `json:"Resource,omitempty"`
		NotResource  any                       `json:"NotResource,omitempty"`
		Condition    map[string]map[string]any `json:"Condition,omitempty"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: p.Version}
	if doc.Version == "" {
		doc.Version = "2012-10-17"
	}
	for _, s := range p.Statements {
		o := stmt{Sid: s.Sid, Effect: s.Effect, Principal: principalValue(s.Principal), NotPrincipal: principalValue(s.NotPrincipal),
			Action: listValue(s.Action), NotAction: listValue(s.NotAction), Resource: listValue(s.Resource), NotResource: listValue(s.NotResource)}
		if len(s.Condition) > 0 {
			o.Condition = map[string]map[string]any{}
			for op, keys := range s.Condition {
				o.Condition[op] = map[string]any{}
				for k, v := range keys {
					o.Condition[op][k] = listValue(v)
				}
			}
		}
		doc.Statement = append(doc.Statement, o)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc) // only strings, lists and maps: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

func listValue(l []string) any {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

func principalValue(m map[string][]string) any {
	if len(m) == 0 {
		return nil
	}
	if v, ok := m["*"]; ok && len(m) == 1 {
		return listValue(v)
	}
	out := map[string]any{}
	for k, v := range m {
		out[k] = listValue(v)
	}
	return out
}
