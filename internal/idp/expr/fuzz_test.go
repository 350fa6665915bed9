package expr

import (
	"errors"
	"testing"
)

// Neither evaluator panics, and every failure is one of the kinds.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		`String.toLowerCase(user.login)`,
		`"DOMAIN" + "\" + String.toLowerCase(String.substringBefore(user.login, '@'))`,
		`user.a == "x" AND !user.b ? 'y' : String.join(",", user.a, "b")`,
		`String.substring(user.a, String.len(user.a) - 2, String.len(user.a))`,
		`ToUppercase(ExtractMailPrefix(user.mail))`,
		`Join(user.givenname, ".", user.surname)`,
		`'it''s`, `((((`, `String.replace("aa", "a", "aa")`,
	} {
		f.Add(s)
	}
	env := Vars{"user.login": "Jane.Doe@example.com", "user.a": "abc", "user.b": "true", "user.mail": "j@x", "user.givenname": "J", "user.surname": "D"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, eval := range []func(string, Env) (string, error){EvalOkta, EvalEntra} {
			if _, err := eval(s, env); err != nil && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownFunction) && !errors.Is(err, ErrUnbound) && !errors.Is(err, ErrNotModelled) {
				t.Errorf("%q: an error of no kind: %v", s, err)
			}
		}
	})
}
