package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// runArgv runs a printed command in bash with a stand-in aws on PATH and
// returns the argv each aws call received.
func runArgv(t *testing.T, command string) [][]string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to run the printed command: ", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "aws"), []byte("#!/bin/sh\nprintf '%s\\0' \"$@\" >> \"$ARGS\"\nprintf '\\n' >> \"$ARGS\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	args := filepath.Join(dir, "args")
	cmd := exec.Command(bash, "-c", command)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "ARGS="+args)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %s: %v", command, out, err)
	}
	b, err := os.ReadFile(args)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, c := range strings.Split(strings.TrimSuffix(string(b), "\x00\n"), "\x00\n") {
		calls = append(calls, strings.Split(c, "\x00"))
	}
	return calls
}

// option is the value of an option in an argv, written "--name VALUE" or
// "--name=VALUE"; ok is false when it is missing.
func option(argv []string, name string) (string, bool) {
	for i, a := range argv {
		if a == name && i+1 < len(argv) {
			return argv[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// The AWS CLI's shorthand grammar for a flat structure (awscli/shorthand.py,
// ShorthandParser): a key, '=', a value of _FIRST_VALUE's characters with
// "\," read as a comma and the blanks around it dropped; after a comma, a
// value that is not followed by '=' makes the value a list.
var (
	shorthandFirst  = regexp.MustCompile(`^((\\,)|[!#-&(-+\--<>-Z\\-z|-\x{ffff}])((\\,)|[\s!#-&(-+\--\\^-|~-\x{ffff}])*`)
	shorthandSecond = regexp.MustCompile(`^((\\,)|[!#-&(-+\--<>-Z\\-z|-\x{ffff}])((\\,)|[\s!#-&(-+\--<>-\x{ffff}])*`)
)

func parseShorthand(s string) (map[string]any, error) {
	out := map[string]any{}
	i := 0
	ws := func() {
		for i < len(s) && strings.ContainsRune(" \t\n\r\v\f", rune(s[i])) {
			i++
		}
	}
	expect := func(c byte) error {
		ws()
		if i >= len(s) || s[i] != c {
			return fmt.Errorf("expected %q at %d of %q", c, i, s)
		}
		i++
		ws()
		return nil
	}
	value := func(re *regexp.Regexp) (string, bool) {
		m := re.FindString(s[i:])
		i += len(m)
		return strings.TrimRightFunc(strings.ReplaceAll(m, `\,`, ","), unicode.IsSpace), m != ""
	}
	for {
		start := i
		for i < len(s) && strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.#/:", rune(s[i])) {
			i++
		}
		key := s[start:i]
		if err := expect('='); err != nil {
			return nil, err
		}
		if i < len(s) && strings.ContainsRune(`[{'"`, rune(s[i])) {
			return nil, fmt.Errorf("not a flat value at %d of %q", i, s)
		}
		first, _ := value(shorthandFirst)
		var v any = first
		ws()
		if i < len(s) && s[i] == ',' {
			list := []string{first}
			comma := i
			i++
			ws()
			for {
				second, ok := value(shorthandSecond)
				ws()
				if ok && i >= len(s) {
					list = append(list, second)
					break
				}
				if ok && s[i] == ',' {
					list = append(list, second)
					comma = i
					i++
					ws()
					continue
				}
				i = comma // the next key: back to its comma
				break
			}
			if len(list) > 1 {
				v = list
			}
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("key %s twice in %q", key, s)
		}
		out[key] = v
		if i >= len(s) {
			return out, nil
		}
		if err := expect(','); err != nil {
			return nil, err
		}
	}
}

// structure is a structure option as the AWS CLI reads it: JSON when it
// starts with '{', else its shorthand.
func structure(t *testing.T, raw string) map[string]any {
	t.Helper()
	if strings.HasPrefix(strings.TrimSpace(raw), "{") {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return m
	}
	m, err := parseShorthand(raw)
	if err != nil {
		t.Fatalf("the CLI's shorthand refuses %q: %v", raw, err)
	}
	return m
}

// The create-user a recreate prints, pasted into bash, gives the AWS CLI
// each value of describe-user exactly, whatever it holds: quotes, shell
// syntax, the shorthand's own syntax, blanks around it, a trailing
// backslash (which would swallow the next field as "\,"), characters
// beyond U+FFFF, values starting with '-' or '['. Plain values keep the
// readable shorthand.
func TestCreateUserValuesReachAWS(t *testing.T) {
	for _, tt := range []struct {
		value     string
		shorthand bool
	}{
		{"Jane", true}, // near misses: the shorthand stays
		{"Mary Ann", true},
		{"José María", true},
		{"李小龍", true},
		{"a;b|c&d$(touch pwned)`id`", true},
		{" Lead", false},
		{"Trail ", false},
		{"nbsp\u00a0", false},
		{"   ", false},
		{`back\`, false},
		{`a\,b`, false},
		{`quo"te`, false},
		{"O'Brien", false},
		{"a,b", false},
		{"a=b", false},
		{"{x}", false},
		{"[y]", false},
		{"Smile😀", false},
		{strings.Repeat("long,value=", 500), false},
	} {
		u := &evidence.User{ID: "11111111-2222-4333-8444-555555555555", Username: "jane", FirstName: tt.value, LastName: "L" + tt.value, Email: tt.value, SecondaryEmail: "s" + tt.value, Mobile: tt.value, Detailed: true,
			Tags:               map[string]string{"cost center " + tt.value: tt.value},
			SecurityProfileIDs: []string{"sp-1", tt.value}, RoutingProfileID: tt.value, HierarchyGroupID: "-" + tt.value,
			PhoneConfig: map[string]any{"PhoneType": "DESK_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": float64(1000000), "DeskPhoneNumber": tt.value}}
		if strings.TrimSpace(tt.value) == "" {
			u.SecurityProfileIDs = []string{"sp-1"}
		}
		fx := diagnose.NewFix(nil, "s", fix.RecreateUser{Connect: fix.Connect{Region: "us-east-1", Instance: "inst-1"}, User: u, UserName: "jane.doe"})
		cmds := Render(*fx).Commands
		if len(cmds) != 1 {
			t.Fatalf("%q: commands %q", tt.value, cmds)
		}
		calls := runArgv(t, cmds[0])
		if len(calls) != 2 || calls[0][1] != "create-user" || calls[1][1] != "delete-user" {
			t.Fatalf("%q: calls %q", tt.value, calls)
		}
		argv := calls[0]
		raw, _ := option(argv, "--identity-info")
		if got := !strings.HasPrefix(raw, "{"); got != tt.shorthand {
			t.Errorf("%q: --identity-info %q, shorthand %v, want %v", tt.value, raw, got, tt.shorthand)
		}
		wantInfo := map[string]any{"FirstName": u.FirstName, "LastName": u.LastName, "Email": u.Email, "SecondaryEmail": u.SecondaryEmail, "Mobile": u.Mobile}
		if got := structure(t, raw); !maps.Equal(got, wantInfo) {
			t.Errorf("%q: identity %q read as %q, want %q", tt.value, raw, got, wantInfo)
		}
		phone, _ := option(argv, "--phone-config")
		got := structure(t, phone)
		if tt.shorthand { // the shorthand's values are strings; the CLI converts them by the model
			if want := map[string]any{"PhoneType": "DESK_PHONE", "AutoAccept": "false", "AfterContactWorkTimeLimit": "1000000", "DeskPhoneNumber": tt.value}; !maps.Equal(got, want) {
				t.Errorf("%q: phone %q read as %q, want %q", tt.value, phone, got, want)
			}
		} else if !reflect.DeepEqual(got, u.PhoneConfig) {
			t.Errorf("%q: phone %q read as %v, want %v", tt.value, phone, got, u.PhoneConfig)
		}
		var tags map[string]string
		if raw, _ := option(argv, "--tags"); json.Unmarshal([]byte(raw), &tags) != nil || !maps.Equal(tags, u.Tags) {
			t.Errorf("%q: tags %q, want %v", tt.value, raw, u.Tags)
		}
		if rp, _ := option(argv, "--routing-profile-id"); rp != tt.value {
			t.Errorf("%q: routing profile %q", tt.value, rp)
		}
		if h, _ := option(argv, "--hierarchy-group-id"); h != "-"+tt.value {
			t.Errorf("%q: hierarchy group %q", tt.value, h)
		}
		i := slices.Index(argv, "--security-profile-ids")
		var sps []string
		for _, a := range argv[i+1:] {
			if strings.HasPrefix(a, "--") {
				break
			}
			sps = append(sps, a)
		}
		if len(sps) == 1 && strings.HasPrefix(sps[0], "[") {
			if err := json.Unmarshal([]byte(sps[0]), &sps); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(sps, u.SecurityProfileIDs) {
			t.Errorf("%q: security profiles %q, want %q", tt.value, sps, u.SecurityProfileIDs)
		}
	}
}

// The shorthand oracle reads what the AWS CLI reads (checked against
// aws-cli 1.45's ShorthandParser): a value after a comma that no '='
// follows makes a list, a trailing backslash escapes the comma after it.
func TestShorthandOracle(t *testing.T) {
	for in, want := range map[string]map[string]any{
		"FirstName=Jane,LastName=Doe": {"FirstName": "Jane", "LastName": "Doe"},
		"FirstName=Doe, Jr.":          {"FirstName": []string{"Doe", "Jr."}},
		`FirstName=a\,LastName=b`:     {"FirstName": "a,LastName=b"},
		"FirstName= Jane ,LastName=x": {"FirstName": "Jane", "LastName": "x"},
	} {
		got, err := parseShorthand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	if _, err := parseShorthand("FirstName=Smile😀"); err == nil {
		t.Error("a character beyond U+FFFF is read")
	}
}

// A value from the evidence that starts with file://, fileb://, http://
// or https:// is read by the AWS CLI as a file to load (or, in version 1,
// a URL to fetch) and its content sent instead: no command is printed with
// one, and the step says why. An ARN or an ID prints its command.
func TestNoCommandLoadsAFile(t *testing.T) {
	doc, err := iampolicy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if err != nil {
		t.Fatal(err)
	}
	user := func(id string) *evidence.User {
		return &evidence.User{ID: id, Username: "jane", Detailed: true, SecurityProfileIDs: []string{"sp-1"}, RoutingProfileID: "rp-1"}
	}
	for _, tt := range []struct {
		c    fix.Change
		want bool
	}{
		{fix.DeleteUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, User: user("file:///home/admin/.aws/credentials")}, false},
		{fix.RecreateUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, User: &evidence.User{ID: "u", Username: "jane", Detailed: true, RoutingProfileID: "fileb://key.pem"}, UserName: "jane.doe"}, false},
		{fix.AddTrafficGroupUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, User: user("u"), Value: "http://169.254.169.254/latest/meta-data/"}, false},
		{fix.UpdateOrgPolicy{Policy: "https://example.com/p", Type: evidence.SCP, Document: doc}, false},
		{fix.UpdateOrgPolicy{Policy: "p-abcd1234", Type: evidence.SCP, Document: doc}, true},
		{fix.DeleteUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, User: user("11111111-2222-4333-8444-555555555555")}, true}, // near miss
		{fix.AddTrafficGroupUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, User: user("u"), Value: "arn:aws:connect:us-east-1:111122223333:traffic-distribution-group/tdg"}, true},
	} {
		r := Render(diagnose.Fix{Changes: []fix.Change{tt.c}})
		if got := len(r.Commands) == 1; got != tt.want {
			t.Errorf("%T: commands %q, want a command %v", tt.c, r.Commands, tt.want)
		}
		said := slices.ContainsFunc(r.Steps, func(s string) bool { return strings.Contains(s, "No command is printed for it") })
		if said == tt.want {
			t.Errorf("%T: steps %q", tt.c, r.Steps)
		}
	}
}

// The origin an approved-origin fix approves reaches AWS as written: AWS
// CLI version 1 fetches an option's value that starts with https:// and
// sends the page it gets, so the origin goes in --cli-input-json.
func TestApprovedOriginReachesAWS(t *testing.T) {
	for _, origin := range []string{"https://agents.example.com", "http://localhost:8080", "https://o'brien.example.com"} {
		r := Render(diagnose.Fix{Changes: []fix.Change{fix.AssociateApprovedOrigin{Connect: fix.Connect{Region: "eu-west-2", Instance: "i-1"}, Value: origin}}})
		if len(r.Commands) != 1 || strings.Contains(r.Commands[0], "--origin") {
			t.Fatalf("commands %q", r.Commands)
		}
		argv := runArgv(t, r.Commands[0])[0]
		raw, _ := option(argv, "--cli-input-json")
		var in map[string]string
		if err := json.Unmarshal([]byte(raw), &in); err != nil || !maps.Equal(in, map[string]string{"Origin": origin}) {
			t.Errorf("%s: --cli-input-json %q", origin, raw)
		}
		if id, _ := option(argv, "--instance-id"); id != "i-1" {
			t.Errorf("%s: argv %q", origin, argv)
		}
		if reg, _ := option(argv, "--region"); reg != "eu-west-2" {
			t.Errorf("%s: argv %q", origin, argv)
		}
	}
}

// A user name starting with '-' (RoleSessionName and Connect both take
// one) is given as --username=-NAME, which the CLI does not read as an
// option of its own; a plain name keeps "--username NAME".
func TestDashValueIsNoOption(t *testing.T) {
	for _, name := range []string{"-agent", "agent"} {
		r := Render(diagnose.Fix{Changes: []fix.Change{fix.CreateUser{Connect: fix.Connect{Region: "us-east-1", Instance: "i"}, UserName: name}}})
		argv := runArgv(t, r.Commands[0])[0]
		if got, _ := option(argv, "--username"); got != name {
			t.Errorf("%s: argv %q", name, argv)
		}
		if plain := slices.Contains(argv, "--username"); plain != (name == "agent") {
			t.Errorf("%s: argv %q", name, argv)
		}
	}
}

// A change whose maker gave no scope renders as fix.Scoped makes it (the
// scope the check and the JSON use): the words and the product's steps
// name whom it reaches. An agent-scoped change says so.
func TestUnscopedChangeRendersItsScope(t *testing.T) {
	c := fix.SetAttribute{Attribute: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", Value: "jane", Source: "uid"}
	mk := func(c fix.Change) Rendered {
		return Render(diagnose.Fix{Changes: []fix.Change{c}, Product: &idp.Detection{Product: "simplesamlphp", Name: "SimpleSAMLphp"}, Sent: map[string]string{"uid": "jane"}})
	}
	bare, scoped := mk(c), mk(fix.Scoped(c))
	if !reflect.DeepEqual(bare, scoped) || !strings.Contains(bare.IdP, "for every user of the application") {
		t.Errorf("unscoped %+v\nscoped %+v", bare, scoped)
	}
	c.Scope = fix.ScopeAgent
	if agent := mk(c); !strings.Contains(agent.IdP, "for this agent only") {
		t.Errorf("agent %+v", agent)
	}
}

// The read-only commands written into steps take their values as one
// shell word too.
func TestStepCommandsQuoteTheirValues(t *testing.T) {
	for role, want := range map[string]string{
		"Connect Agents;rm -rf": "aws iam list-role-policies --role-name 'Connect Agents;rm -rf'",
		"ConnectAgents":         "aws iam list-role-policies --role-name ConnectAgents", // near miss
	} {
		r := Render(diagnose.Fix{Changes: []fix.Change{fix.PutRolePolicy{Role: role, Policy: "P", Document: &iampolicy.Policy{}}}})
		if !slices.ContainsFunc(r.Steps, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("%s: steps %q", role, r.Steps)
		}
	}
}
