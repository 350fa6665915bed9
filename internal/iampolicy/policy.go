// Package iampolicy evaluates IAM policies offline, the way IAM's documented
// evaluation logic does for one request: an explicit Deny wins, then an
// Allow, else the request is implicitly denied. It handles Action/NotAction,
// Resource/NotResource and Principal/NotPrincipal with wildcards, policy
// variables, and the common condition operators. It is honest about what it
// cannot know: a condition on a key whose value is unknown makes the verdict
// Undetermined, with the reason.
//
// It is written here because no maintained Go library evaluates IAM policies
// with an "undetermined" outcome (the AWS SDK only calls the remote
// simulator); see docs/findings.md for how its verdicts are used.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one policy statement. Element values are normalised to
// lists; Present records which of the optional elements were given.
type Statement struct {
	Index        int
	Sid          string
	Effect       string
	Principal    map[string][]string // "*" is stored as {"*": ["*"]}
	NotPrincipal map[string][]string
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition is operator → key → values.
	Condition map[string]map[string][]string
	has       map[string]bool
}

// Has reports whether the statement has the element (Action, NotAction,
// Resource, NotResource, Principal, NotPrincipal, Condition).
func (s Statement) Has(element string) bool { return s.has[element] }

// Parse reads a policy document. Documents from the IAM API are
// URL-encoded (RFC 3986); Parse undoes that first when needed.
func Parse(doc string) (*Policy, error) {
	doc = strings.TrimSpace(doc)
	if strings.HasPrefix(doc, "%7B") || strings.HasPrefix(doc, "%7b") {
		d, err := url.PathUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("policy document: URL-decoding: %w", err)
		}
		doc = d
	}
	var raw struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	var stmts []json.RawMessage
	switch {
	case len(raw.Statement) == 0:
		return nil, fmt.Errorf("policy document has no Statement")
	case raw.Statement[0] == '[':
		if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
			return nil, fmt.Errorf("policy document: Statement: %w", err)
		}
	default:
		stmts = []json.RawMessage{raw.Statement}
	}
	if len(stmts) == 0 {
		return nil, fmt.Errorf("policy document has an empty Statement")
	}
	p := &Policy{Version: raw.Version}
	for i, s := range stmts {
		st, err := parseStatement(s)
		if err != nil {
			return nil, fmt.Errorf("policy document: statement %d: %w", i+1, err)
		}
		st.Index = i
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// ParseJSON reads a policy given as a decoded JSON value (the AWS CLI
// prints documents as objects) or as a string.
func ParseJSON(v json.RawMessage) (*Policy, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return Parse(s)
	}
	return Parse(string(v))
}

func parseStatement(b json.RawMessage) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return Statement{}, err
	}
	st := Statement{has: map[string]bool{}}
	for k, v := range m {
		st.has[k] = true
		var err error
		switch k {
		case "Sid":
			err = json.Unmarshal(v, &st.Sid)
		case "Effect":
			err = json.Unmarshal(v, &st.Effect)
		case "Action":
			st.Action, err = stringList(v)
		case "NotAction":
			st.NotAction, err = stringList(v)
		case "Resource":
			st.Resource, err = stringList(v)
		case "NotResource":
			st.NotResource, err = stringList(v)
		case "Principal":
			st.Principal, err = principal(v)
		case "NotPrincipal":
			st.NotPrincipal, err = principal(v)
		case "Condition":
			st.Condition, err = condition(v)
		}
		if err != nil {
			return st, fmt.Errorf("%s: %w", k, err)
		}
	}
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return st, fmt.Errorf("the Effect must be Allow or Deny, not %q", st.Effect)
	}
	return st, nil
}

// stringList reads "x" or ["x", "y"]; numbers and booleans become strings.
func stringList(v json.RawMessage) ([]string, error) {
	var one any
	if err := json.Unmarshal(v, &one); err != nil {
		return nil, err
	}
	switch x := one.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, scalar(e))
		}
		return out, nil
	case nil:
		return nil, nil
	default:
		return []string{scalar(x)}, nil
	}
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%f", x), "0"), ".")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func principal(v json.RawMessage) (map[string][]string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return map[string][]string{"*": {s}}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for k, raw := range m {
		l, err := stringList(raw)
		if err != nil {
			return nil, err
		}
		out[k] = l
	}
	return out, nil
}

func condition(v json.RawMessage) (map[string]map[string][]string, error) {
	var m map[string]map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	out := map[string]map[string][]string{}
	for op, keys := range m {
		out[op] = map[string][]string{}
		for k, raw := range keys {
			l, err := stringList(raw)
			if err != nil {
				return nil, err
			}
			out[op][k] = l
		}
	}
	return out, nil
}
