// Package expr evaluates the claim expressions of SaaS IdPs, as their
// documentation defines them, so a rendered step can be checked: the
// expression the admin is told to type is evaluated against the values the
// capture shows, and the check compares what it yields with what AWS needs.
//
// Two languages are modelled, each only as far as its vendor documents it:
// Microsoft Entra ID's claim transformations (ToLowercase(), ToUppercase(),
// ExtractMailPrefix(), Join(); at most two chained, as the portal allows)
// and the Okta Expression Language subset used in attribute statements and
// custom username formats (user.* and appuser.* variables, string
// literals, the String functions, +, ==, !=, AND, OR, !, the ternary). What
// the documentation leaves open (a case function beyond ASCII, a
// substringBefore whose separator is absent, a regular expression) is an
// error wrapping ErrNotModelled, never a guess; an unknown function is an
// error wrapping ErrUnknownFunction and a variable the environment does
// not bind one wrapping ErrUnbound, so a check never passes on them.
//
// Both evaluators are bounded: input is at most MaxLen bytes, nesting at
// most MaxDepth, every value at most MaxValue bytes, and the work is
// linear in the input.
package expr

import (
	"errors"
	"fmt"
)

// Env binds a product's variable names (user.userprincipalname,
// user.login, appuser.userName) to the values the capture shows.
type Env interface {
	Lookup(name string) (string, bool)
}

// Vars is an Env from a map.
type Vars map[string]string

// Lookup is the value bound to name.
func (v Vars) Lookup(name string) (string, bool) {
	s, ok := v[name]
	return s, ok
}

// The kinds of error, for errors.Is.
var (
	// ErrSyntax is an expression that is not well formed.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownFunction is a function the language does not have (or
	// this model does not know): it must fail a check, not pass it.
	ErrUnknownFunction = errors.New("unknown function")
	// ErrUnbound is a variable the environment does not bind: the
	// capture does not show its value.
	ErrUnbound = errors.New("unbound variable")
	// ErrNotModelled is an operation whose result the vendor's
	// documentation does not settle.
	ErrNotModelled = errors.New("not modelled")
)

// Limits.
const (
	// MaxLen is the longest expression read: Okta's attribute statement
	// Value field takes at most 1024 characters
	// (https://help.okta.com/en-us/content/topics/apps/define-attribute-statements.htm).
	MaxLen = 1024
	// MaxDepth bounds nesting (parentheses, calls, operators).
	MaxDepth = 32
	// MaxValue bounds every value an evaluation makes.
	MaxValue = 64 << 10
)

func errorf(kind error, format string, a ...any) error {
	return fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, a...))
}

// isASCII reports whether s is ASCII: the products' case functions (.NET's
// and Java's) agree with each other and with Go only there.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
