package expr

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	oktaEL       = "https://developer.okta.com/docs/reference/okta-expression-language/"
	oktaUsername = "https://support.okta.com/help/s/article/Configuring-Custom-Username-Format-for-SAML-Applications"
	entraSAML    = "https://learn.microsoft.com/en-us/entra/identity-platform/saml-claims-customization#claim-transformations"
	entraPolicy  = "https://learn.microsoft.com/en-us/entra/identity-platform/reference-claims-mapping-policy-type#claims-transformation"
)

// The vendors' own examples, input and output as their pages give them.
func TestOktaDocumentedExamples(t *testing.T) {
	// The reference's sample user for its Popular Expressions table.
	winston := Vars{"user.firstName": "Winston", "user.lastName": "Churchill", "user.email": "winston.churchill@gmail.com", "user.login": "winston.churchill@gmail.com"}
	tests := []struct {
		doc, expr string
		env       Vars
		want      string
	}{
		// String Functions table.
		{oktaEL, `String.append("This is", " a test")`, nil, "This is a test"},
		{oktaEL, `String.join(",", "This", "is", "a", "test")`, nil, "This,is,a,test"},
		{oktaEL, `String.join("", "This", "is", "a", "test")`, nil, "Thisisatest"},
		{oktaEL, `String.removeSpaces("This is a test")`, nil, "Thisisatest"},
		{oktaEL, `String.replace("This is a test", "is", "at")`, nil, "That at a test"},
		{oktaEL, `String.replaceFirst("This is a test", "is", "at")`, nil, "That is a test"},
		{oktaEL, `String.stringSwitch("This is a test", "default", "key1", "value1")`, nil, "default"},
		{oktaEL, `String.stringSwitch("This is a test", "default", "test", "value1")`, nil, "value1"},
		{oktaEL, `String.stringSwitch("First match wins", "default", "absent", "value1", "wins", "value2", "match", "value3")`, nil, "value2"},
		{oktaEL, `String.stringSwitch("Substrings count", "default", "ring", "value1")`, nil, "value1"},
		{oktaEL, `String.substring("This is a test", 2, 9)`, nil, "is is a"},
		{oktaEL, `String.substringAfter("abc@okta.com", "@")`, nil, "okta.com"},
		{oktaEL, `String.substringBefore("abc@okta.com", "@")`, nil, "abc"},
		{oktaEL, `String.toUpperCase("This")`, nil, "THIS"},
		{oktaEL, `String.toLowerCase("ThiS")`, nil, "this"},
		// The deprecated forms' table.
		{oktaEL, `toUpperCase(source.firstName)`, Vars{"source.firstName": "Alexander"}, "ALEXANDER"},
		{oktaEL, `toLowerCase(source.firstName)`, Vars{"source.firstName": "AlexANDER"}, "alexander"},
		{oktaEL, `substringBefore(user.email, '@')`, Vars{"user.email": "alex@okta.com"}, "alex"},
		{oktaEL, `substringAfter(user.email, '@')`, Vars{"user.email": "alex@okta.com"}, "okta.com"},
		{oktaEL, `substring(source.firstName, 1, 4)`, Vars{"source.firstName": "Alexander"}, "lex"},
		// Popular Expressions (its "w.churchhill" row is a typo of the
		// page's: toLowerCase("Churchill") is churchill).
		{oktaEL, `user.firstName`, winston, "Winston"},
		{oktaEL, `user.firstName + user.lastName`, winston, "WinstonChurchill"},
		{oktaEL, `user.firstName + "." + user.lastName`, winston, "Winston.Churchill"},
		{oktaEL, `substring(user.firstName, 0, 1) + user.lastName`, winston, "WChurchill"},
		{oktaEL, `substring(user.firstName, 0, 1) + substring(user.lastName, 0, 6)`, winston, "WChurch"},
		{oktaEL, `toUpperCase(substringBefore( substringAfter(user.email, "@"), ".")) + "\" + substringBefore( user.email, "@")`, winston, `GMAIL\winston.churchill`},
		{oktaEL, `toUpperCase(substringBefore( substringAfter(user.email, "@"), ".")) + "\" + toLowerCase(substring( user.firstName, 0, 1)) + toLowerCase(user.lastName)`, winston, `GMAIL\wchurchill`},
		{oktaEL, `"XDOMAIN\" + toLowerCase(substring( user.firstName, 0, 1)) + toLowerCase(user.lastName)`, winston, `XDOMAIN\wchurchill`},
		// Conditional expressions: the middle-initial sample.
		{oktaEL, `user.firstName + " " + (String.len(user.middleInitial) == 0 ? "" : (String.substring(user.middleInitial, 0, 1) + ". ")) + user.lastName`,
			Vars{"user.firstName": "Winston", "user.lastName": "Churchill", "user.middleInitial": "Leonard"}, "Winston L. Churchill"},
		{oktaEL, `user.firstName + " " + (String.len(user.middleInitial) == 0 ? "" : (String.substring(user.middleInitial, 0, 1) + ". ")) + user.lastName`,
			Vars{"user.firstName": "Winston", "user.lastName": "Churchill", "user.middleInitial": ""}, "Winston Churchill"},
		// Okta's support article on custom username formats: domain DOMAIN
		// and username ExampleUser@example.com give DOMAIN\exampleuser.
		{oktaUsername, `"DOMAIN" + "\" + String.toLowerCase(String.substringBefore(user.login, '@'))`, Vars{"user.login": "ExampleUser@example.com"}, `DOMAIN\exampleuser`},
	}
	for _, tt := range tests {
		got, err := EvalOkta(tt.expr, tt.env)
		if err != nil || got != tt.want {
			t.Errorf("%s (%s) = %q, %v; want %q", tt.expr, tt.doc, got, err, tt.want)
		}
	}
}

func TestEntraDocumentedExamples(t *testing.T) {
	tests := []struct {
		doc, expr string
		env       Vars
		want      string
	}{
		// "ExtractMailPrefix() ... For example, joe_smith instead of
		// joe_smith@contoso.com."
		{entraSAML, `ExtractMailPrefix(user.mail)`, Vars{"user.mail": "joe_smith@contoso.com"}, "joe_smith"},
		// "mail:foo@bar.com results in output claim:foo. If no @ sign is
		// present, then the original input string is returned."
		{entraPolicy, `ExtractMailPrefix(user.mail)`, Vars{"user.mail": "foo@bar.com"}, "foo"},
		{entraPolicy, `ExtractMailPrefix(user.onpremisessamaccountname)`, Vars{"user.onpremisessamaccountname": "jdoe"}, "jdoe"},
		// "string1:foo@bar.com, string2:sandbox, separator:. results in
		// output claim:foo@bar.com.sandbox."
		{entraPolicy, `Join(user.mail, ".", "sandbox")`, Vars{"user.mail": "foo@bar.com"}, "foo@bar.com.sandbox"},
		// "you could first extract the email prefix of the user.mail.
		// Then, make the string upper case."
		{entraSAML, `ToUppercase(ExtractMailPrefix(user.mail))`, Vars{"user.mail": "joe_smith@contoso.com"}, "JOE_SMITH"},
		{entraSAML, `ToLowercase(user.userprincipalname)`, Vars{"user.userprincipalname": "Jane.Doe@Example.com"}, "jane.doe@example.com"},
		{entraSAML, `ToUppercase(user.userprincipalname)`, Vars{"user.userprincipalname": "Jane.Doe@Example.com"}, "JANE.DOE@EXAMPLE.COM"},
		{entraSAML, `user.userprincipalname`, Vars{"user.userprincipalname": "Jane.Doe@Example.com"}, "Jane.Doe@Example.com"},
		{entraSAML, `Join(user.givenname, ".", user.surname)`, Vars{"user.givenname": "Jane", "user.surname": "Doe"}, "Jane.Doe"},
	}
	for _, tt := range tests {
		got, err := EvalEntra(tt.expr, tt.env)
		if err != nil || got != tt.want {
			t.Errorf("%s (%s) = %q, %v; want %q", tt.expr, tt.doc, got, err, tt.want)
		}
		e, err := ParseEntra(tt.expr)
		if err != nil || e.String() != tt.expr {
			t.Errorf("%s: String() = %q, %v", tt.expr, e, err)
		}
	}
}

// The portal's fields for a chain, as the step prints them.
func TestEntraForm(t *testing.T) {
	for _, tt := range []struct{ expr, want string }{
		{"user.mail", "Source to Attribute, Source attribute to user.mail"},
		{"ToLowercase(user.userprincipalname)", "Source to Transformation, Transformation to ToLowercase(), Parameter 1 to user.userprincipalname"},
		{`ToUppercase(Join(user.givenname, ".", user.surname))`, "Source to Transformation, Transformation to Join(), Parameter 1 to user.givenname, Separator to ., Parameter 2 to user.surname; then Add transformation: Transformation to ToUppercase() (its Parameter 1 is the first's output)"},
	} {
		e, err := ParseEntra(tt.expr)
		if err != nil || e.Form() != tt.want {
			t.Errorf("%s: Form() = %q, %v; want %q", tt.expr, e.Form(), err, tt.want)
		}
	}
}

// What the documentation does not settle, or the expression does not
// say, is an error of its kind: never a value.
func TestErrors(t *testing.T) {
	deep := strings.Repeat("(", 200) + `"x"` + strings.Repeat(")", 200)
	deepCalls := strings.Repeat("String.toLowerCase(", 100) + `"x"` + strings.Repeat(")", 100)
	tests := []struct {
		okta bool
		expr string
		env  Vars
		want error
	}{
		{true, `String.toLowerCase(user.login)`, nil, ErrUnbound},
		{true, `String.toLowerCase(appuser.userName)`, Vars{"user.login": "x"}, ErrUnbound},
		{true, `String.toLowerCasee(user.login)`, Vars{"user.login": "x"}, ErrUnknownFunction},
		{true, `user.getLinkedObject("manager")`, nil, ErrUnknownFunction},
		{true, `Time.now()`, nil, ErrUnknownFunction},
		{true, `"unterminated`, nil, ErrSyntax},
		{true, `'it''s`, nil, ErrSyntax},
		{true, `String.toLowerCase(user.login`, Vars{"user.login": "x"}, ErrSyntax},
		{true, `user.login +`, Vars{"user.login": "x"}, ErrSyntax},
		{true, `user.login user.email`, nil, ErrSyntax},
		{true, `user.`, nil, ErrSyntax},
		{true, `#{x}`, nil, ErrSyntax},
		{true, deep, nil, ErrSyntax},
		{true, deepCalls, nil, ErrSyntax},
		{true, strings.Repeat("a", MaxLen+1), nil, ErrSyntax},
		{true, `String.toLowerCase()`, nil, ErrSyntax},
		{true, `String.toLowerCase(user.login)`, Vars{"user.login": "\u212Aate"}, ErrNotModelled},
		{true, `String.substringBefore("jdoe", "@")`, nil, ErrNotModelled},
		{true, `String.replace("a.b", ".", "-")`, nil, ErrNotModelled},
		{true, `String.len("x")`, nil, ErrNotModelled}, // a number, not a string
		{true, `null`, nil, ErrNotModelled},
		{true, `user.groupCode == 123 ? 'Sales' : 'Other'`, Vars{"user.groupCode": "123"}, ErrNotModelled},
		{true, `3.141`, nil, ErrNotModelled},
		{false, `ToLowercase(user.userprincipalname)`, nil, ErrUnbound},
		{false, `ToLowercase(user.mail)`, Vars{"user.userprincipalname": "x"}, ErrUnbound},
		{false, `Join(user.givenname, ".", user.surname)`, Vars{"user.givenname": "x"}, ErrUnbound},
		{false, `ToLower(user.mail)`, Vars{"user.mail": "x"}, ErrUnknownFunction},
		{false, `RegexReplace(user.mail)`, Vars{"user.mail": "x"}, ErrUnknownFunction},
		{false, `ToLowercase(ToUppercase(ExtractMailPrefix(user.mail)))`, Vars{"user.mail": "x"}, ErrSyntax},
		{false, strings.Repeat("ToLowercase(", 1000) + "user.mail" + strings.Repeat(")", 1000), nil, ErrSyntax},
		{false, `ToLowercase(user.mail`, nil, ErrSyntax},
		{false, `Join(user.mail, ".)`, nil, ErrSyntax},
		{false, `Join(user.mail)`, nil, ErrSyntax},
		{false, `mail`, nil, ErrSyntax},
		{false, `"constant"`, nil, ErrNotModelled},
		{false, `ToUppercase(user.mail)`, Vars{"user.mail": "stra\u00dfe"}, ErrNotModelled},
		{false, `ExtractMailPrefix(user.mail)`, Vars{"user.mail": `"a@b"@example.com`}, ErrNotModelled},
	}
	for _, tt := range tests {
		var err error
		if tt.okta {
			_, err = EvalOkta(tt.expr, tt.env)
		} else {
			_, err = EvalEntra(tt.expr, tt.env)
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%.60s: error %v, want %v", tt.expr, err, tt.want)
		}
	}
}

// The SpEL basics the statements use: quotes doubled, no backslash
// escapes, AND/OR/!, the ternary, null comparisons.
func TestOktaBasics(t *testing.T) {
	env := Vars{"user.login": "Jane.Doe@example.com", "user.department": "Sales"}
	tests := []struct{ expr, want string }{
		{`'it''s'`, "it's"},
		{`"say ""hi"""`, `say "hi"`},
		{`'a\b'`, `a\b`},
		{`user.department == "Sales" AND !(user.login == "x") ? "S" : "O"`, "S"},
		{`user.department == "Ops" or user.department != "Sales" ? "S" : "O"`, "O"},
		{`user.department == null ? "none" : user.department`, "Sales"},
		{`String.stringContains(user.login, "@") ? String.substringBefore(user.login, "@") : user.login`, "Jane.Doe"},
		{`String.substring(user.login, String.len(user.login) - 11, String.len(user.login))`, "example.com"},
		{`"n" + 1`, "n1"},
	}
	for _, tt := range tests {
		got, err := EvalOkta(tt.expr, env)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.expr, got, err, tt.want)
		}
	}
	o, err := ParseOkta(`String.toLowerCase(user.login) + appuser.userName + user.login`)
	if err != nil || strings.Join(o.Vars(), " ") != "user.login appuser.userName" {
		t.Errorf("Vars = %v, %v", o.Vars(), err)
	}
}

// A long expression and a long value are read in time linear in their
// size; what grows by nesting is cut off.
func TestLinear(t *testing.T) {
	long := strings.Repeat("x", MaxValue/2)
	env := Vars{"user.login": long}
	terms := strings.TrimSuffix(strings.Repeat("user.login+", 60), "+") // 60 terms, 32 KiB each: over MaxValue
	if _, err := EvalOkta(terms, env); !errors.Is(err, ErrNotModelled) {
		t.Errorf("a value over MaxValue: %v", err)
	}
	sum := strings.TrimSuffix(strings.Repeat(`"ab"+`, MaxLen/6), "+")
	start := time.Now()
	got, err := EvalOkta(sum, nil)
	if err != nil || len(got) != 2*(MaxLen/6) {
		t.Errorf("a long sum: %d bytes, %v", len(got), err)
	}
	replace := strings.Repeat(`String.replace(`, 20) + `"aaaaaaaa"` + strings.Repeat(`,"a","aa")`, 20)
	if _, err := EvalOkta(replace, nil); !errors.Is(err, ErrNotModelled) {
		t.Errorf("doubling replacements: %v", err)
	}
	huge := strings.Repeat(`"`, 1<<20)
	if _, err := EvalOkta(huge, nil); !errors.Is(err, ErrSyntax) {
		t.Errorf("1 MiB of quotes: %v", err)
	}
	if _, err := EvalEntra(strings.Repeat("ToLowercase(", 1<<18), nil); !errors.Is(err, ErrSyntax) {
		t.Errorf("a huge Entra chain: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
