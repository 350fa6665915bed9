package expr

import (
	"strconv"
	"strings"
)

// Okta Expression Language, the subset its reference documents
// (https://developer.okta.com/docs/reference/okta-expression-language/):
// SpEL-based, so a string literal is '...' or "..." with the quote doubled
// inside it and no backslash escapes (the reference's own example writes a
// backslash as "\").

// Okta is a parsed Okta expression.
type Okta struct {
	root *node
	vars []string
}

type nodeKind int

const (
	nString nodeKind = iota
	nInt
	nBool
	nNull
	nVar
	nCall
	nUnary // !
	nBinary
	nTernary
)

type node struct {
	kind nodeKind
	s    string // literal, variable or function name, operator
	i    int
	b    bool
	args []*node
}

// ParseOkta reads an Okta expression.
func ParseOkta(src string) (*Okta, error) {
	if len(src) > MaxLen {
		return nil, errorf(ErrSyntax, "the expression is %d bytes, more than Okta's %d-character limit", len(src), MaxLen)
	}
	toks, err := lexOkta(src)
	if err != nil {
		return nil, err
	}
	p := &oktaParser{toks: toks, seen: map[string]bool{}}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, errorf(ErrSyntax, "unexpected %s at offset %d", t, t.at)
	}
	return &Okta{root: n, vars: p.vars}, nil
}

// Vars are the variables the expression reads, in order of first use.
func (o *Okta) Vars() []string { return o.vars }

// EvalOkta parses and evaluates an Okta expression that must yield a
// string (an attribute statement's value, an application username).
func EvalOkta(src string, env Env) (string, error) {
	o, err := ParseOkta(src)
	if err != nil {
		return "", err
	}
	return o.Eval(env)
}

// Eval evaluates the expression; it must yield a string.
func (o *Okta) Eval(env Env) (string, error) {
	v, err := evalOkta(o.root, env)
	if err != nil {
		return "", err
	}
	if v.kind != vString {
		return "", errorf(ErrNotModelled, "the expression yields %s, not a string", v.kind)
	}
	return v.s, nil
}

// Lexer.

type tokKind int

const (
	tEOF tokKind = iota
	tString
	tInt
	tIdent
	tPunct
)

type token struct {
	kind tokKind
	s    string
	i    int
	at   int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return "string " + strconv.Quote(t.s)
	case tInt:
		return "number " + strconv.Itoa(t.i)
	}
	return strconv.Quote(t.s)
}

func lexOkta(src string) ([]token, error) {
	var out []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(src[j:], c)
				if k < 0 {
					return nil, errorf(ErrSyntax, "the string that starts at offset %d is not closed", i)
				}
				b.WriteString(src[j : j+k])
				j += k + 1
				if j < len(src) && src[j] == c { // a doubled quote is one quote
					b.WriteByte(c)
					j++
					continue
				}
				break
			}
			out = append(out, token{kind: tString, s: b.String(), at: i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9' {
				return nil, errorf(ErrNotModelled, "the number at offset %d has a fraction", i)
			}
			n, err := strconv.Atoi(src[i:j])
			if err != nil || n > 1<<30 {
				return nil, errorf(ErrNotModelled, "the number at offset %d is too large", i)
			}
			out = append(out, token{kind: tInt, i: n, at: i})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			out = append(out, token{kind: tIdent, s: src[i:j], at: i})
			i = j
		default:
			two := ""
			if i+1 < len(src) {
				two = src[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				out = append(out, token{kind: tPunct, s: two, at: i})
				i += 2
				continue
			}
			if strings.IndexByte("().,+-?:!<>", c) < 0 {
				return nil, errorf(ErrSyntax, "unexpected character %q at offset %d", c, i)
			}
			out = append(out, token{kind: tPunct, s: string(c), at: i})
			i++
		}
	}
	return append(out, token{kind: tEOF, at: len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// Parser: recursive descent. depth counts nesting (parentheses, call
// arguments, ternary branches, !), each a fixed number of frames, and is
// bounded by MaxDepth.

type oktaParser struct {
	toks []token
	pos  int
	vars []string
	seen map[string]bool
}

func (p *oktaParser) peek() token { return p.toks[p.pos] }

func (p *oktaParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *oktaParser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.s == s
}

// isWord is a keyword operator (AND, OR; SpEL takes any case).
func (p *oktaParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tIdent && strings.EqualFold(t.s, w)
}

func (p *oktaParser) expect(s string) error {
	if !p.isPunct(s) {
		t := p.peek()
		return errorf(ErrSyntax, "expected %q, found %s at offset %d", s, t, t.at)
	}
	p.next()
	return nil
}

func deeper(depth int) error {
	if depth >= MaxDepth {
		return errorf(ErrSyntax, "the expression nests more than %d deep", MaxDepth)
	}
	return nil
}

// expr := or ('?' expr ':' expr)?
func (p *oktaParser) expr(depth int) (*node, error) {
	if err := deeper(depth); err != nil {
		return nil, err
	}
	c, err := p.or(depth)
	if err != nil {
		return nil, err
	}
	if !p.isPunct("?") {
		return c, nil
	}
	p.next()
	a, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	if err := p.expect(":"); err != nil {
		return nil, err
	}
	b, err := p.expr(depth + 1)
	if err != nil {
		return nil, err
	}
	return &node{kind: nTernary, args: []*node{c, a, b}}, nil
}

// binary parses a left-associative level: operand (op operand)*, where
// op is one of ops (punctuation) or words (AND, OR).
func (p *oktaParser) binary(depth int, operand func(int) (*node, error), ops []string, words map[string]string) (*node, error) {
	l, err := operand(depth)
	if err != nil {
		return nil, err
	}
	for {
		op := ""
		for _, o := range ops {
			if p.isPunct(o) {
				op = o
			}
		}
		for w, o := range words {
			if p.isWord(w) {
				op = o
			}
		}
		if op == "" {
			return l, nil
		}
		p.next()
		r, err := operand(depth)
		if err != nil {
			return nil, err
		}
		l = &node{kind: nBinary, s: op, args: []*node{l, r}}
	}
}

func (p *oktaParser) or(depth int) (*node, error) {
	return p.binary(depth, p.and, []string{"||"}, map[string]string{"OR": "||"})
}

func (p *oktaParser) and(depth int) (*node, error) {
	return p.binary(depth, p.equality, []string{"&&"}, map[string]string{"AND": "&&"})
}

func (p *oktaParser) equality(depth int) (*node, error) {
	return p.binary(depth, p.relation, []string{"==", "!="}, nil)
}

func (p *oktaParser) relation(depth int) (*node, error) {
	return p.binary(depth, p.additive, []string{"<", ">", "<=", ">="}, nil)
}

func (p *oktaParser) additive(depth int) (*node, error) {
	return p.binary(depth, p.unary, []string{"+", "-"}, nil)
}

// unary := '!' unary | primary
func (p *oktaParser) unary(depth int) (*node, error) {
	if err := deeper(depth); err != nil {
		return nil, err
	}
	if p.isPunct("!") {
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nUnary, s: "!", args: []*node{x}}, nil
	}
	return p.primary(depth)
}

// primary := string | int | true | false | null | '(' expr ')' |
// name ('.' name)* ('(' args ')')?
func (p *oktaParser) primary(depth int) (*node, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &node{kind: nString, s: t.s}, nil
	case tInt:
		return &node{kind: nInt, i: t.i}, nil
	case tPunct:
		if t.s == "(" {
			x, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		}
		return nil, errorf(ErrSyntax, "unexpected %s at offset %d", t, t.at)
	case tEOF:
		return nil, errorf(ErrSyntax, "the expression ends where a value is expected")
	}
	switch t.s {
	case "true", "false":
		return &node{kind: nBool, b: t.s == "true"}, nil
	case "null":
		return &node{kind: nNull}, nil
	}
	name := t.s
	for p.isPunct(".") {
		p.next()
		n := p.next()
		if n.kind != tIdent {
			return nil, errorf(ErrSyntax, "expected a name after %q, found %s at offset %d", name+".", n, n.at)
		}
		name += "." + n.s
	}
	if !p.isPunct("(") {
		if !p.seen[name] {
			p.seen[name] = true
			p.vars = append(p.vars, name)
		}
		return &node{kind: nVar, s: name}, nil
	}
	p.next()
	call := &node{kind: nCall, s: name}
	if p.isPunct(")") {
		p.next()
		return call, nil
	}
	for {
		a, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		call.args = append(call.args, a)
		if p.isPunct(",") {
			p.next()
			continue
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if p.isPunct(".") {
			return nil, errorf(ErrNotModelled, "a property of %s's result (%s(...).x) is not modelled", name, name)
		}
		return call, nil
	}
}

// Values.

type valueKind int

const (
	vNull valueKind = iota
	vString
	vInt
	vBool
)

func (k valueKind) String() string {
	return [...]string{"null", "a string", "a number", "a boolean"}[k]
}

type value struct {
	kind valueKind
	s    string
	i    int
	b    bool
}

func str(s string) (value, error) {
	if len(s) > MaxValue {
		return value{}, errorf(ErrNotModelled, "a value longer than %d bytes", MaxValue)
	}
	return value{kind: vString, s: s}, nil
}

func evalOkta(n *node, env Env) (value, error) {
	switch n.kind {
	case nString:
		return value{kind: vString, s: n.s}, nil
	case nInt:
		return value{kind: vInt, i: n.i}, nil
	case nBool:
		return value{kind: vBool, b: n.b}, nil
	case nNull:
		return value{}, nil
	case nVar:
		s, ok := env.Lookup(n.s)
		if !ok {
			return value{}, errorf(ErrUnbound, "%s: the capture does not show its value", n.s)
		}
		return value{kind: vString, s: s}, nil
	case nUnary:
		x, err := evalOkta(n.args[0], env)
		if err != nil {
			return value{}, err
		}
		if x.kind != vBool {
			return value{}, errorf(ErrNotModelled, "! of %s", x.kind)
		}
		return value{kind: vBool, b: !x.b}, nil
	case nTernary:
		c, err := evalOkta(n.args[0], env)
		if err != nil {
			return value{}, err
		}
		if c.kind != vBool {
			return value{}, errorf(ErrNotModelled, "a condition that is %s, not a boolean", c.kind)
		}
		if c.b {
			return evalOkta(n.args[1], env)
		}
		return evalOkta(n.args[2], env)
	case nBinary:
		return evalBinary(n, env)
	case nCall:
		f, ok := oktaFuncs[n.s]
		if !ok {
			return value{}, errorf(ErrUnknownFunction, "%s is not an Okta Expression Language function samldoctor knows", n.s)
		}
		if len(n.args) < f.min || f.max >= 0 && len(n.args) > f.max {
			return value{}, errorf(ErrSyntax, "%s takes %s, not %d", n.s, f.arity(), len(n.args))
		}
		args := make([]value, len(n.args))
		for i, a := range n.args {
			v, err := evalOkta(a, env)
			if err != nil {
				return value{}, err
			}
			args[i] = v
		}
		return f.fn(n.s, args)
	}
	return value{}, errorf(ErrSyntax, "unknown node")
}

func evalBinary(n *node, env Env) (value, error) {
	l, err := evalOkta(n.args[0], env)
	if err != nil {
		return value{}, err
	}
	switch n.s {
	case "&&", "||": // short-circuit, as SpEL does
		if l.kind != vBool {
			return value{}, errorf(ErrNotModelled, "%s of %s", n.s, l.kind)
		}
		if n.s == "&&" && !l.b || n.s == "||" && l.b {
			return l, nil
		}
		r, err := evalOkta(n.args[1], env)
		if err != nil {
			return value{}, err
		}
		if r.kind != vBool {
			return value{}, errorf(ErrNotModelled, "%s of %s", n.s, r.kind)
		}
		return r, nil
	}
	r, err := evalOkta(n.args[1], env)
	if err != nil {
		return value{}, err
	}
	switch n.s {
	case "+":
		switch {
		case l.kind == vString && r.kind == vString:
			return str(l.s + r.s)
		case l.kind == vInt && r.kind == vInt:
			return value{kind: vInt, i: l.i + r.i}, nil
		case l.kind == vString && r.kind == vInt:
			return str(l.s + strconv.Itoa(r.i))
		case l.kind == vInt && r.kind == vString:
			return str(strconv.Itoa(l.i) + r.s)
		}
		return value{}, errorf(ErrNotModelled, "%s + %s", l.kind, r.kind)
	case "-", "<", ">", "<=", ">=":
		if l.kind != vInt || r.kind != vInt {
			return value{}, errorf(ErrNotModelled, "%s %s %s", l.kind, n.s, r.kind)
		}
		switch n.s {
		case "-":
			return value{kind: vInt, i: l.i - r.i}, nil
		case "<":
			return value{kind: vBool, b: l.i < r.i}, nil
		case ">":
			return value{kind: vBool, b: l.i > r.i}, nil
		case "<=":
			return value{kind: vBool, b: l.i <= r.i}, nil
		}
		return value{kind: vBool, b: l.i >= r.i}, nil
	case "==", "!=":
		if l.kind != r.kind && l.kind != vNull && r.kind != vNull {
			return value{}, errorf(ErrNotModelled, "comparing %s with %s", l.kind, r.kind)
		}
		return value{kind: vBool, b: (l == r) == (n.s == "==")}, nil
	}
	return value{}, errorf(ErrSyntax, "unknown operator %s", n.s)
}

// Functions, from the reference's String Functions table (and the
// deprecated unqualified forms it lists).

type oktaFunc struct {
	min, max int // max -1: variadic
	fn       func(name string, args []value) (value, error)
}

func (f oktaFunc) arity() string {
	switch {
	case f.max < 0:
		return "at least " + strconv.Itoa(f.min) + " arguments"
	case f.min == f.max:
		return strconv.Itoa(f.min) + " arguments"
	}
	return strconv.Itoa(f.min) + " to " + strconv.Itoa(f.max) + " arguments"
}

var oktaFuncs map[string]oktaFunc

func init() {
	oktaFuncs = map[string]oktaFunc{
		"String.toLowerCase":     {1, 1, caseFunc(lowerASCII)},
		"String.toUpperCase":     {1, 1, caseFunc(upperASCII)},
		"String.substringBefore": {2, 2, substringAround(true)},
		"String.substringAfter":  {2, 2, substringAround(false)},
		"String.append":          {2, 2, appendFunc},
		"String.join":            {1, -1, joinFunc},
		"String.len":             {1, 1, lenFunc},
		"String.removeSpaces":    {1, 1, removeSpaces},
		"String.replace":         {3, 3, replaceFunc(-1)},
		"String.replaceFirst":    {3, 3, replaceFunc(1)},
		"String.stringContains":  {2, 2, containsFunc},
		"String.stringSwitch":    {2, -1, switchFunc},
		"String.substring":       {3, 3, substringFunc},
		// Deprecated, still listed.
		"toLowerCase":     {1, 1, caseFunc(lowerASCII)},
		"toUpperCase":     {1, 1, caseFunc(upperASCII)},
		"substringBefore": {2, 2, substringAround(true)},
		"substringAfter":  {2, 2, substringAround(false)},
		"substring":       {3, 3, substringFunc},
	}
}

// strings returns the arguments as strings; null and other kinds are not
// modelled (Okta does not document what a function makes of them).
func stringArgs(name string, args []value) ([]string, error) {
	out := make([]string, len(args))
	for i, a := range args {
		if a.kind != vString {
			return nil, errorf(ErrNotModelled, "%s with argument %d %s, not a string", name, i+1, a.kind)
		}
		out[i] = a.s
	}
	return out, nil
}

func caseFunc(f func(string) string) func(string, []value) (value, error) {
	return func(name string, args []value) (value, error) {
		s, err := stringArgs(name, args)
		if err != nil {
			return value{}, err
		}
		if !isASCII(s[0]) {
			return value{}, errorf(ErrNotModelled, "%s of %q, beyond ASCII, where Java's case mapping depends on the locale", name, s[0])
		}
		return value{kind: vString, s: f(s[0])}, nil
	}
}

// substringAround: the reference documents the separator found
// (substringBefore("abc@okta.com", "@") is abc); what Okta gives when it
// is absent, or empty, it does not say.
func substringAround(before bool) func(string, []value) (value, error) {
	return func(name string, args []value) (value, error) {
		s, err := stringArgs(name, args)
		if err != nil {
			return value{}, err
		}
		if s[1] == "" {
			return value{}, errorf(ErrNotModelled, "%s with an empty search string", name)
		}
		a, b, ok := strings.Cut(s[0], s[1])
		if !ok {
			return value{}, errorf(ErrNotModelled, "%s(%q, %q): the search string is absent, and Okta does not document the result", name, s[0], s[1])
		}
		if before {
			return value{kind: vString, s: a}, nil
		}
		return value{kind: vString, s: b}, nil
	}
}

func appendFunc(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	return str(s[0] + s[1])
}

func joinFunc(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	n := 0
	for _, x := range s[1:] {
		n += len(x) + len(s[0])
		if n > MaxValue {
			return value{}, errorf(ErrNotModelled, "a value longer than %d bytes", MaxValue)
		}
	}
	return str(strings.Join(s[1:], s[0]))
}

func lenFunc(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	if !isASCII(s[0]) {
		return value{}, errorf(ErrNotModelled, "%s of %q: Java counts UTF-16 units", name, s[0])
	}
	return value{kind: vInt, i: len(s[0])}, nil
}

func removeSpaces(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	if strings.ContainsAny(s[0], "\t\n\r\v\f") || !isASCII(s[0]) {
		return value{}, errorf(ErrNotModelled, "%s of %q: only the space character is documented", name, s[0])
	}
	return value{kind: vString, s: strings.ReplaceAll(s[0], " ", "")}, nil
}

// replaceFunc: the reference's example replaces every occurrence
// (replace("This is a test", "is", "at") is "That at a test"); whether
// the match is a regular expression it does not say, so a match or
// replacement with a character special to Java's regular expressions is
// not modelled.
func replaceFunc(n int) func(string, []value) (value, error) {
	return func(name string, args []value) (value, error) {
		s, err := stringArgs(name, args)
		if err != nil {
			return value{}, err
		}
		if s[1] == "" || strings.ContainsAny(s[1], `\^$.|?*+()[]{}`) || strings.ContainsAny(s[2], `\$`) {
			return value{}, errorf(ErrNotModelled, "%s with %q and %q: only a plain match is modelled", name, s[1], s[2])
		}
		if c := strings.Count(s[0], s[1]); c > 0 && len(s[0])+c*len(s[2]) > MaxValue {
			return value{}, errorf(ErrNotModelled, "a value longer than %d bytes", MaxValue)
		}
		return str(strings.Replace(s[0], s[1], s[2], n))
	}
}

func containsFunc(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	return value{kind: vBool, b: strings.Contains(s[0], s[1])}, nil
}

// switchFunc: the first key, in argument order, found in the input gives
// its value ("First match wins", "Substrings count"), else the default.
func switchFunc(name string, args []value) (value, error) {
	s, err := stringArgs(name, args)
	if err != nil {
		return value{}, err
	}
	pairs := s[2:]
	if len(pairs)%2 != 0 {
		return value{}, errorf(ErrSyntax, "%s takes key-value pairs after the default", name)
	}
	for i := 0; i < len(pairs); i += 2 {
		if strings.Contains(s[0], pairs[i]) {
			return value{kind: vString, s: pairs[i+1]}, nil
		}
	}
	return value{kind: vString, s: s[1]}, nil
}

func substringFunc(name string, args []value) (value, error) {
	if args[0].kind != vString || args[1].kind != vInt || args[2].kind != vInt {
		return value{}, errorf(ErrNotModelled, "%s takes a string and two numbers", name)
	}
	s, from, to := args[0].s, args[1].i, args[2].i
	if !isASCII(s) {
		return value{}, errorf(ErrNotModelled, "%s of %q: Java counts UTF-16 units", name, s)
	}
	if from < 0 || to < from || to > len(s) {
		return value{}, errorf(ErrNotModelled, "%s(%q, %d, %d): out of range", name, s, from, to)
	}
	return value{kind: vString, s: s[from:to]}, nil
}
