package iampolicy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Context is what is known of a request's condition keys. Key names are
// case-insensitive. A key neither in Values nor in Absent is unknown.
type Context struct {
	Values map[string][]string
	Absent map[string]bool
}

// NewContext returns an empty context.
func NewContext() Context {
	return Context{Values: map[string][]string{}, Absent: map[string]bool{}}
}

// Set records a key's values.
func (c Context) Set(key string, values ...string) {
	k := strings.ToLower(key)
	c.Values[k] = values
	delete(c.Absent, k)
}

// SetAbsent records that the key is not in the request.
func (c Context) SetAbsent(key string) {
	k := strings.ToLower(key)
	c.Absent[k] = true
	delete(c.Values, k)
}

// SetAbsentPrefix records that no key beginning with prefix is in the
// request but the ones set: the tags of a principal or resource known in
// full ("aws:ResourceTag/").
func (c Context) SetAbsentPrefix(prefix string) {
	c.Absent[strings.ToLower(prefix)+"*"] = true
}

// Get returns a key's values; inRequest is false when the key is not in
// the request, and known false when that is not known either.
func (c Context) Get(key string) (values []string, inRequest, known bool) {
	v, st := c.lookup(key)
	return v, st == present, st != unknown
}

type keyState int

const (
	unknown keyState = iota
	present
	absent
)

func (c Context) lookup(key string) ([]string, keyState) {
	k := strings.ToLower(key)
	if v, ok := c.Values[k]; ok {
		return v, present
	}
	if c.Absent[k] {
		return nil, absent
	}
	for a := range c.Absent {
		if strings.HasSuffix(a, "*") && strings.HasPrefix(k, a[:len(a)-1]) {
			return nil, absent
		}
	}
	return nil, unknown
}

// Principal is who makes the request, for policies with a Principal
// element (trust policies): Type is "AWS", "Federated" or "Service".
type Principal struct {
	Type string
	ID   string
}

// Request is one request to evaluate.
type Request struct {
	Action    string
	Resource  string // "" when the policy is a trust policy (no Resource)
	Principal *Principal
	Context   Context
}

// Decision is the outcome of an evaluation.
type Decision string

// Decisions, named as IAM's policy simulator names them, plus undetermined.
const (
	Allowed      Decision = "allowed"
	ExplicitDeny Decision = "explicitDeny"
	ImplicitDeny Decision = "implicitDeny"
	Undetermined Decision = "undetermined"
)

// Named is a policy with the name used in reports.
type Named struct {
	Name   string
	Policy *Policy
}

// StatementRef names a statement.
type StatementRef struct {
	Policy string
	Sid    string
	Index  int
	Effect string
	// Why is set for statements whose applicability is unknown.
	Why string
}

func (r StatementRef) String() string {
	s := fmt.Sprintf("%s statement %d", r.Policy, r.Index+1)
	if r.Sid != "" {
		s += fmt.Sprintf(" (%s)", r.Sid)
	}
	return s
}

// Result is an evaluation's outcome and the statements behind it.
type Result struct {
	Decision Decision
	Allow    []StatementRef
	Deny     []StatementRef
	// Unknown are statements whose applicability could not be settled.
	Unknown []StatementRef
}

// Reasons lists why the result is undetermined.
func (r Result) Reasons() []string {
	var out []string
	for _, u := range r.Unknown {
		out = append(out, u.String()+": "+u.Why)
	}
	return out
}

// Evaluate applies IAM's evaluation logic for one request to policies of
// one kind (identity policies, or one resource policy).
func Evaluate(policies []Named, req Request) Result {
	var res Result
	for _, np := range policies {
		for _, st := range np.Policy.Statements {
			ref := StatementRef{Policy: np.Name, Sid: st.Sid, Index: st.Index, Effect: st.Effect}
			ok, why := applies(st, req)
			switch {
			case why != "":
				ref.Why = why
				res.Unknown = append(res.Unknown, ref)
			case ok && st.Effect == "Deny":
				res.Deny = append(res.Deny, ref)
			case ok:
				res.Allow = append(res.Allow, ref)
			}
		}
	}
	unknownDeny, unknownAllow := false, false
	for _, u := range res.Unknown {
		if u.Effect == "Deny" {
			unknownDeny = true
		} else {
			unknownAllow = true
		}
	}
	switch {
	case len(res.Deny) > 0:
		res.Decision = ExplicitDeny
	case unknownDeny:
		res.Decision = Undetermined
	case len(res.Allow) > 0:
		res.Decision = Allowed
	case unknownAllow:
		res.Decision = Undetermined
	default:
		res.Decision = ImplicitDeny
	}
	return res
}

// Intersect combines identity policies with a permissions boundary: a
// request is allowed only when both allow it.
func Intersect(identity, boundary Result) Result {
	out := identity
	switch {
	case identity.Decision == ExplicitDeny || boundary.Decision == ExplicitDeny:
		out.Decision = ExplicitDeny
	case identity.Decision == Allowed && boundary.Decision == Allowed:
		out.Decision = Allowed
	case identity.Decision == ImplicitDeny || boundary.Decision == ImplicitDeny:
		out.Decision = ImplicitDeny
	default:
		out.Decision = Undetermined
	}
	out.Deny = append(append([]StatementRef{}, identity.Deny...), boundary.Deny...)
	out.Unknown = append(append([]StatementRef{}, identity.Unknown...), boundary.Unknown...)
	return out
}

// applies reports whether a statement applies to the request; why is set
// when that cannot be known.
func applies(st Statement, req Request) (bool, string) {
	if req.Principal != nil {
		if st.Has("Principal") && !principalMatches(st.Principal, *req.Principal) {
			return false, ""
		}
		if st.Has("NotPrincipal") && principalMatches(st.NotPrincipal, *req.Principal) {
			return false, ""
		}
	}
	switch {
	case st.Has("Action"):
		if !anyGlob(st.Action, req.Action, false) {
			return false, ""
		}
	case st.Has("NotAction"):
		if anyGlob(st.NotAction, req.Action, false) {
			return false, ""
		}
	}
	if req.Resource != "" {
		switch {
		case st.Has("Resource"):
			ok, why := resourceMatches(st.Resource, req)
			if why != "" || !ok {
				return false, why
			}
		case st.Has("NotResource"):
			ok, why := resourceMatches(st.NotResource, req)
			if why != "" {
				return false, why
			}
			if ok {
				return false, ""
			}
		}
	}
	for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
		for _, key := range slices.Sorted(maps.Keys(st.Condition[op])) {
			ok, why := conditionHolds(op, key, st.Condition[op][key], req.Context)
			if why != "" {
				return false, why
			}
			if !ok {
				return false, ""
			}
		}
	}
	return true, ""
}

func principalMatches(p map[string][]string, who Principal) bool {
	if v, ok := p["*"]; ok && len(v) > 0 && v[0] == "*" {
		return true
	}
	for _, id := range p[who.Type] {
		if id == "*" || id == who.ID {
			return true
		}
	}
	return false
}

func resourceMatches(patterns []string, req Request) (bool, string) {
	unknownWhy := ""
	for _, p := range patterns {
		sub, state, why := substitute(p, req.Context)
		switch state {
		case unknown:
			unknownWhy = why
			continue
		case absent:
			continue
		}
		if glob(sub, req.Resource, false) {
			return true, ""
		}
	}
	return false, unknownWhy
}

// substitute replaces policy variables (${aws:userid}, ${saml:sub},
// ${aws:PrincipalTag/x}, ${key, 'default'}, ${*}, ${?}, ${$}).
func substitute(s string, ctx Context) (string, keyState, string) {
	if !strings.Contains(s, "${") {
		return s, present, ""
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), present, ""
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), present, ""
		}
		b.WriteString(s[:i])
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		switch expr {
		case "*", "?", "$":
			// The escapes for literal characters; a literal '*' or '?' in
			// a pattern would be a wildcard here, which is as close as
			// glob matching gets.
			b.WriteString(expr)
			continue
		}
		key, def, hasDef := strings.Cut(expr, ",")
		key = strings.TrimSpace(key)
		vals, state := ctx.lookup(key)
		switch {
		case state == present && len(vals) > 0:
			b.WriteString(vals[0])
		case hasDef && state != unknown:
			b.WriteString(strings.Trim(strings.TrimSpace(def), "'"))
		case state == unknown:
			return "", unknown, fmt.Sprintf("the value of ${%s} is not known", key)
		default:
			return "", absent, ""
		}
	}
}

func anyGlob(patterns []string, s string, caseSensitive bool) bool {
	for _, p := range patterns {
		if glob(p, s, caseSensitive) {
			return true
		}
	}
	return false
}

// MatchAction reports whether an Action pattern ("sts:*", "connect:Get*")
// covers an action; actions are matched case-insensitively, as IAM does.
func MatchAction(pattern, action string) bool { return glob(pattern, action, false) }

// glob matches s against a pattern with '*' (any run) and '?' (one
// character), as IAM's StringLike and Action/Resource matching do.
func glob(pattern, s string, caseSensitive bool) bool {
	if !caseSensitive {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, v := []rune(pattern), []rune(s)
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// conditionHolds evaluates one operator/key/values triple.
func conditionHolds(op, key string, want []string, ctx Context) (bool, string) {
	set := ""
	if s, rest, ok := strings.Cut(op, ":"); ok && (s == "ForAnyValue" || s == "ForAllValues") {
		set, op = s, rest
	}
	ifExists := strings.HasSuffix(op, "IfExists")
	op = strings.TrimSuffix(op, "IfExists")
	have, state := ctx.lookup(key)
	if op == "Null" {
		if state == unknown {
			return false, fmt.Sprintf("condition Null on %s: whether the key is in the request is not known", key)
		}
		// "true": the key is absent; "false": it is present. Several
		// values are ORed, as for every operator.
		isAbsent := state == absent || len(have) == 0
		for _, w := range want {
			if strings.EqualFold(w, "true") && isAbsent || strings.EqualFold(w, "false") && !isAbsent {
				return true, ""
			}
		}
		return false, ""
	}
	cmp, negated, known := operator(op)
	if !known {
		return false, fmt.Sprintf("condition operator %s is not evaluated offline", op)
	}
	if state == unknown {
		return false, fmt.Sprintf("condition %s on %s: the value of %s is not known offline", op, key, key)
	}
	if state == absent || len(have) == 0 {
		switch {
		case ifExists:
			return true, ""
		case set == "ForAllValues":
			return true, ""
		case set == "ForAnyValue":
			return false, ""
		}
		return negated, ""
	}
	// Policy values may hold variables, in the operators IAM substitutes
	// them in (string, ARN and Bool); elsewhere "${" is literal text.
	var pol []string
	for _, w := range want {
		if !takesVariables(op) {
			pol = append(pol, w)
			continue
		}
		sub, st, why := substitute(w, ctx)
		if st == unknown {
			return false, why
		}
		if st == present {
			pol = append(pol, sub)
		}
	}
	matchOne := func(v string) (bool, string) {
		for _, w := range pol {
			ok, why := cmp(v, w)
			if why != "" {
				return false, why
			}
			if ok {
				return true, ""
			}
		}
		return false, ""
	}
	switch set {
	case "ForAllValues":
		for _, v := range have {
			ok, why := matchOne(v)
			if why != "" {
				return false, why
			}
			if ok == negated {
				return false, ""
			}
		}
		return true, ""
	default: // single-valued, or ForAnyValue
		matched, unmatched := false, false
		for _, v := range have {
			ok, why := matchOne(v)
			if why != "" {
				return false, why
			}
			if ok {
				matched = true
			} else {
				unmatched = true
			}
		}
		switch {
		case set == "ForAnyValue" && negated:
			return unmatched, ""
		case negated:
			return !matched, ""
		}
		return matched, ""
	}
}

// takesVariables reports whether IAM replaces policy variables in the
// operator's values: the String, ARN and Bool operators do; the Numeric,
// Date, Binary and IP address operators do not ("You can not use a policy
// variable with the ... condition operator").
func takesVariables(op string) bool {
	return strings.HasPrefix(op, "String") || strings.HasPrefix(op, "Arn") || op == "Bool"
}

// binaryEquals compares a key's value with a policy value byte for byte,
// both base64-encoded: the policy names the binary value by its base64
// form, and the request context carries binary values the same way (as the
// policy simulator's ContextEntries do). Values that are not base64 match
// nothing.
func binaryEquals(h, w string) (bool, string) {
	a, err1 := base64.StdEncoding.DecodeString(h)
	b, err2 := base64.StdEncoding.DecodeString(w)
	return err1 == nil && err2 == nil && bytes.Equal(a, b), ""
}

// operator returns the comparison behind a condition operator; negated
// operators compare positively and report negated=true.
func operator(op string) (cmp func(have, want string) (bool, string), negated bool, known bool) {
	str := func(fold bool, like bool) func(string, string) (bool, string) {
		return func(h, w string) (bool, string) {
			if like {
				return glob(w, h, !fold), ""
			}
			if fold {
				return strings.EqualFold(h, w), ""
			}
			return h == w, ""
		}
	}
	num := func(test func(a, b float64) bool) func(string, string) (bool, string) {
		return func(h, w string) (bool, string) {
			a, err1 := strconv.ParseFloat(h, 64)
			b, err2 := strconv.ParseFloat(w, 64)
			if err1 != nil || err2 != nil {
				return false, ""
			}
			return test(a, b), ""
		}
	}
	date := func(test func(a, b time.Time) bool) func(string, string) (bool, string) {
		return func(h, w string) (bool, string) {
			a, ok1 := parseDate(h)
			b, ok2 := parseDate(w)
			if !ok1 || !ok2 {
				return false, ""
			}
			return test(a, b), ""
		}
	}
	ip := func(h, w string) (bool, string) {
		addr, err := netip.ParseAddr(h)
		if err != nil {
			return false, ""
		}
		if pfx, err := netip.ParsePrefix(w); err == nil {
			return pfx.Contains(addr), ""
		}
		if a, err := netip.ParseAddr(w); err == nil {
			return a == addr, ""
		}
		return false, ""
	}
	switch op {
	case "StringEquals":
		return str(false, false), false, true
	case "StringNotEquals":
		return str(false, false), true, true
	case "StringEqualsIgnoreCase":
		return str(true, false), false, true
	case "StringNotEqualsIgnoreCase":
		return str(true, false), true, true
	case "StringLike":
		return str(false, true), false, true
	case "StringNotLike":
		return str(false, true), true, true
	case "ArnEquals", "ArnLike":
		return str(false, true), false, true
	case "ArnNotEquals", "ArnNotLike":
		return str(false, true), true, true
	case "Bool":
		return str(true, false), false, true
	case "BinaryEquals":
		return binaryEquals, false, true
	case "NumericEquals":
		return num(func(a, b float64) bool { return a == b }), false, true
	case "NumericNotEquals":
		return num(func(a, b float64) bool { return a == b }), true, true
	case "NumericLessThan":
		return num(func(a, b float64) bool { return a < b }), false, true
	case "NumericLessThanEquals":
		return num(func(a, b float64) bool { return a <= b }), false, true
	case "NumericGreaterThan":
		return num(func(a, b float64) bool { return a > b }), false, true
	case "NumericGreaterThanEquals":
		return num(func(a, b float64) bool { return a >= b }), false, true
	case "DateEquals":
		return date(func(a, b time.Time) bool { return a.Equal(b) }), false, true
	case "DateNotEquals":
		return date(func(a, b time.Time) bool { return a.Equal(b) }), true, true
	case "DateLessThan":
		return date(func(a, b time.Time) bool { return a.Before(b) }), false, true
	case "DateLessThanEquals":
		return date(func(a, b time.Time) bool { return !a.After(b) }), false, true
	case "DateGreaterThan":
		return date(func(a, b time.Time) bool { return a.After(b) }), false, true
	case "DateGreaterThanEquals":
		return date(func(a, b time.Time) bool { return !a.Before(b) }), false, true
	case "IpAddress":
		return ip, false, true
	case "NotIpAddress":
		return ip, true, true
	}
	return nil, false, false
}

func parseDate(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}
