package diagnose_test

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// The behaviours of the issue on fixes as read (IdP steps built from what
// the IdP is seen to send, with their scope), each with a near miss.

const sspIssuer = "https://idp.example.com/simplesaml/saml2/idp/metadata.php"

// sspScenario is a sign-in through SimpleSAMLphp: the agent started from
// its IdP-initiated link for the SP entry urn:amazon:webservices, and it
// sends uid (which also feeds the NameID) and no mail.
func sspScenario(uid string) scenario {
	s := base()
	s.resp.Issuer = sspIssuer
	s.resp.NameID, s.resp.NameIDFormat = uid, "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	s.resp.RoleSessionName = []string{uid}
	s.resp.Attributes = [][2]string{{"uid", uid}, {"displayName", "Jane Doe"}}
	s.steps = func(st []fixture.Step) []fixture.Step {
		st[0].URL = "https://idp.example.com/simplesaml/saml2/idp/SSOService.php?spentityid=urn:amazon:webservices&RelayState=" + fixture.RelayState()
		return st
	}
	return s
}

func firstFix(t *testing.T, res *diagnose.Result, id string) (*diagnose.Finding, *diagnose.Fix) {
	t.Helper()
	f := find(res, id)
	if f == nil || f.Fix == nil {
		t.Fatalf("no %s with a fix: %v", id, ids(res))
	}
	return f, f.Fix
}

func steps(fx *diagnose.Fix) string { return strings.Join(report.Render(*fx).IdPSteps, "\n") }

// 1. A case mismatch transforms the value already sent, only where it is
// present, and never an attribute the IdP does not send.
func TestCaseMismatchTransformsWhatIsSent(t *testing.T) {
	s := sspScenario("JDoe")
	s.aws["u.json"] = usersJSON("jdoe")
	res := s.run(t)
	_, fx := firstFix(t, res, "connect.username_case_mismatch")
	if report.Render(*fx).IdPProduct != "SimpleSAMLphp" {
		t.Fatalf("product %q", report.Render(*fx).IdPProduct)
	}
	want := []string{
		"In metadata/saml20-sp-remote.php, in the entry 'urn:amazon:webservices' (the AWS application: the filter runs for every user who signs in to it), add to its 'authproc' array a core:PHP filter, after the filters that build the attributes, that lower-cases the value of https://aws.amazon.com/SAML/Attributes/RoleSessionName (JDoe for this agent) into RoleSessionName, only where that value is present:",
		`'authproc' => [95 => ['class' => 'core:PHP', 'code' => 'if (isset($attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"][0])) { $attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = [strtolower($attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"][0])]; }']],`,
		"It then sends jdoe for this agent.",
	}
	if !slices.Equal(report.Render(*fx).IdPSteps, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", steps(fx), strings.Join(want, "\n"))
	}
	if fx.Check == nil || fx.Check.Result != fix.Passes {
		t.Errorf("check %+v", fx.Check)
	}
	if c := fx.Changes[0]; flat(c).Source != "https://aws.amazon.com/SAML/Attributes/RoleSessionName" || flat(c).Transform != "lower" || flat(c).Scope != fix.ScopeApplication {
		t.Errorf("change %+v", c)
	}
	// Near miss: the names agree; nothing to change.
	s = sspScenario("JDoe")
	s.aws["u.json"] = usersJSON("JDoe")
	if f := find(s.run(t), "connect.username_case_mismatch"); f != nil {
		t.Errorf("names that agree reported: %+v", f)
	}
}

// 4. A missing RoleSessionName is copied from the attribute that holds the
// Connect user name (core:AttributeCopy keeps the original, where
// core:AttributeMap would rename it).
func TestMissingSessionNameCopiesASentAttribute(t *testing.T) {
	s := sspScenario("JDoe")
	s.resp.RoleSessionName, s.outcome = nil, fixture.SessionNameMissing
	s.aws["u.json"] = usersJSON("JDoe")
	endAtSignIn(&s)
	res := s.run(t)
	_, fx := firstFix(t, res, "aws.session_name_missing")
	text := steps(fx)
	for _, w := range []string{`'authproc' => [90 => ['class' => 'core:AttributeCopy', 'uid' => 'https://aws.amazon.com/SAML/Attributes/RoleSessionName']],`, "copies uid, which sends JDoe for this agent,"} {
		if !strings.Contains(text, w) {
			t.Errorf("steps lack %q:\n%s", w, text)
		}
	}
	for _, bad := range []string{"mail", "core:AttributeMap'"} {
		if strings.Contains(text, bad) {
			t.Errorf("steps have %q:\n%s", bad, text)
		}
	}
	if c := fx.Changes[0]; flat(c).Source != "uid" || flat(c).Transform != "" || fx.Check.Result != fix.Passes {
		t.Errorf("change %+v checked %+v", c, fx.Check)
	}
	// Near miss: the Connect user is named like nothing the IdP sends:
	// no mapping is made up; the agent's own value is set.
	s = sspScenario("JDoe")
	s.resp.RoleSessionName, s.outcome = nil, fixture.SessionNameMissing
	s.resp.NameID = "a1b2c3"
	s.aws["u.json"] = usersJSON("jane.doe")
	endAtSignIn(&s)
	res = s.run(t)
	_, fx = firstFix(t, res, "aws.session_name_missing")
	if len(fx.Changes) > 0 && flat(fx.Changes[0]).Source != "" {
		t.Errorf("a source made up: %+v", fx.Changes[0])
	}
}

// 2. Role values are replaced, never added to (core:AttributeAdd would
// keep the wrong one), for whom the evidence is about: this agent's role
// ARN corrected for this agent alone; a misnamed Role attribute, the
// application's mapping, for every user.
func TestRoleValuesReplaced(t *testing.T) {
	produce := func(id string) func(*scenario) {
		for _, c := range causeCases() {
			if c.id == id {
				return c.produce
			}
		}
		t.Fatalf("no case %s", id)
		return nil
	}
	s := sspScenario("JDoe")
	produce("iam.role_not_found")(&s)
	_, fx := firstFix(t, s.run(t), "iam.role_not_found")
	want := `'authproc' => [96 => ['class' => 'core:PHP', 'code' => 'if (($attributes["uid"][0] ?? null) === "JDoe") { $attributes["https://aws.amazon.com/SAML/Attributes/Role"] = ["arn:aws:iam::` + acct + `:role/connectagents,` + fixture.DefaultProvider + `"]; }']],`
	text := steps(fx)
	if !strings.Contains(text, want) || !strings.Contains(text, "Only this agent (JDoe) changes.") || flat(fx.Changes[0]).Scope != fix.ScopeAgent {
		t.Errorf("agent-scoped replace:\n%s", text)
	}
	if strings.Contains(text, "'class' => 'core:AttributeAdd'") {
		t.Errorf("steps add to the Role values:\n%s", text)
	}
	// Near miss: the attribute's name is the application's mapping.
	s = sspScenario("JDoe")
	s.outcome = fixture.InvalidSAMLPage
	s.resp.RoleAttrName = "https://aws.amazon.com/SAML/Attributes/role"
	endAtSignIn(&s)
	_, fx = firstFix(t, s.run(t), "aws.role_missing")
	text = steps(fx)
	if c := fx.Changes[0]; c.Kind() != fix.KindSendRoles || flat(c).Scope != fix.ScopeApplication {
		t.Errorf("change %+v", c)
	}
	if !strings.Contains(text, `'code' => '$attributes["https://aws.amazon.com/SAML/Attributes/Role"] = ["`+roleARN+","+fixture.DefaultProvider+`"];'`) || strings.Contains(text, "Only this agent") {
		t.Errorf("application-wide replace:\n%s", text)
	}
}

// 3. A wrong audience keeps the SP entry (and the IdP-initiated link the
// capture shows) and adds AWS's audience to it.
func TestAudienceKeepsTheEntryAndItsLink(t *testing.T) {
	s := sspScenario("JDoe")
	s.resp.Audience = "urn:amazon:connect"
	s.steps = func(st []fixture.Step) []fixture.Step {
		st[0].URL = "https://idp.example.com/simplesaml/saml2/idp/SSOService.php?spentityid=urn:amazon:connect"
		return st
	}
	res := s.run(t)
	_, fx := firstFix(t, res, "saml.audience_invalid")
	want := []string{
		"Keep the entry 'urn:amazon:connect' as it is (its key is the entity ID in the IdP-initiated link the agent started from, https://idp.example.com/simplesaml/saml2/idp/SSOService.php?spentityid=urn:amazon:connect): add to it 'audience' => ['urn:amazon:webservices'], so that its assertions' AudienceRestriction names urn:amazon:webservices as well as 'urn:amazon:connect'.",
		"Renaming the entry instead would break that link and every bookmark of it.",
	}
	if !slices.Equal(report.Render(*fx).IdPSteps, want) {
		t.Errorf("steps:\n%s", steps(fx))
	}
	// Near miss: AWS's own audience is not a problem.
	s = sspScenario("JDoe")
	s.resp.Audience = "urn:amazon:webservices"
	if f := find(s.run(t), "saml.audience_invalid"); f != nil {
		t.Errorf("AWS's audience reported: %+v", f)
	}
}

// 6. A person who has a Connect user under their NameID's name is never
// told to create another one.
func TestExistingUserIsNotCreatedAgain(t *testing.T) {
	s := base()
	s.resp.RoleSessionName = []string{"jdoe"}
	s.aws["u.json"] = usersJSON(rsn, "someone.else@example.com")
	res := s.run(t)
	f, fx := firstFix(t, res, "connect.user_not_found")
	if c := fx.Changes; len(c) != 1 || c[0].Kind() != fix.KindSetAttribute || flat(c[0]).Value != rsn || flat(c[0]).Source != fix.SourceNameID {
		t.Errorf("first fix %+v", c)
	}
	for _, alt := range append([]diagnose.Fix{*fx}, f.Alternatives...) {
		if strings.Contains(fixText(&alt), "create-user") {
			t.Errorf("create-user offered for a person with a user:\n%s", fixText(&alt))
		}
	}
	// Near miss: no user under the NameID's name: creating one is right.
	s = base()
	s.resp.RoleSessionName = []string{"jdoe"}
	s.aws["u.json"] = usersJSON("someone.else@example.com")
	_, fx = firstFix(t, s.run(t), "connect.user_not_found")
	if !strings.Contains(fixText(fx), "create-user") {
		t.Errorf("no create-user when the user is missing:\n%s", fixText(fx))
	}
}

// 5. When CloudTrail binds the agent to another role, the first fix sends
// that role, the headline says so, and giving the picked role the
// permission does not pass: its next sign-in would be "Bad Request".
func TestBoundRoleDecidesTheFix(t *testing.T) {
	s := base()
	s.outcome = fixture.AccessDeniedAdmin
	s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), nil)
	s.aws["ct.json"] = eventsJSON("ConnectAgentsLegacy", "AROAYZ2EXAMPLE1LEGACY")
	res := s.run(t)
	f, fx := firstFix(t, res, "iam.federation_token_denied")
	if c := fx.Changes; len(c) != 1 || c[0].Kind() != fix.KindSendRoles || !strings.HasPrefix(flat(c[0]).Roles[0], legacyARN+",") {
		t.Fatalf("first fix %+v", c)
	}
	if !strings.Contains(res.Verdict, fx.Summary) || strings.Contains(res.Verdict, "Add the permission") {
		t.Errorf("verdict %q is not the first fix %q", res.Verdict, fx.Summary)
	}
	seen := false
	for _, alt := range f.Alternatives {
		for _, c := range alt.Changes {
			if c.Kind() == fix.KindPutRolePolicy {
				seen = true
				if alt.Check.Result == fix.Passes {
					t.Errorf("giving the picked role the permission passes although the user is bound to another: %+v", alt.Check)
				}
			}
		}
	}
	if !seen {
		t.Errorf("no alternative that gives the picked role the permission: %+v", f.Alternatives)
	}
	// Near miss: no binding in CloudTrail; the permission is the fix.
	s = base()
	s.outcome = fixture.AccessDeniedAdmin
	s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), nil)
	res = s.run(t)
	_, fx = firstFix(t, res, "iam.federation_token_denied")
	if c := fx.Changes; len(c) != 1 || c[0].Kind() != fix.KindPutRolePolicy || fx.Check.Result != fix.Passes {
		t.Errorf("first fix %+v, check %+v", c, fx.Check)
	}
}

// 8. Recreating a user is safe to paste: never a delete beside a create
// that still has placeholders, and a create that fails deletes nothing.
func TestRecreateUserIsSafeToPaste(t *testing.T) {
	recreate := func(res *diagnose.Result) *diagnose.Fix {
		f := find(res, "connect.username_case_mismatch")
		if f == nil {
			t.Fatalf("no case mismatch: %v", ids(res))
		}
		for i, alt := range f.Alternatives {
			for _, c := range alt.Changes {
				if c.Kind() == fix.KindRecreateUser {
					return &f.Alternatives[i]
				}
			}
		}
		t.Fatalf("no recreate alternative")
		return nil
	}
	// Only list-users: the settings are unknown.
	s := base()
	s.aws["u.json"] = usersJSON("Jane.Doe@example.com")
	fx := recreate(s.run(t))
	for _, cmd := range report.Render(*fx).Commands {
		if strings.Contains(cmd, "delete-user") {
			t.Errorf("delete-user printed before the settings are known: %q", report.Render(*fx).Commands)
		}
	}
	if len(report.Render(*fx).Commands) != 1 || !strings.Contains(report.Render(*fx).Commands[0], "describe-user") {
		t.Errorf("commands %q, want describe-user alone", report.Render(*fx).Commands)
	}
	// Near miss: describe-user given: the create is filled, and it comes
	// first, chained to the delete.
	res := diagnoseExample(t, readExample(t, "not-onboarded.har"), "not-onboarded")
	fx = recreate(res)
	if len(report.Render(*fx).Commands) != 1 {
		t.Fatalf("commands %q", report.Render(*fx).Commands)
	}
	create, del, ok := strings.Cut(report.Render(*fx).Commands[0], " && ")
	if !ok || !strings.HasPrefix(create, "aws connect create-user ") || !strings.HasPrefix(del, "aws connect delete-user ") || strings.Contains(create, "-ID") {
		t.Errorf("command %q, want a filled create-user && delete-user", report.Render(*fx).Commands[0])
	}
}

// 9. A new inline policy never takes the name of one the role has:
// put-role-policy would replace it and drop its statements.
func TestNewPolicyNameIsUnused(t *testing.T) {
	other := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}}
	withInline := func(name string) string {
		role := map[string]any{"Path": "/", "RoleName": "ConnectAgents", "RoleId": "AROAYZ2EXAMPLE5AGENT", "Arn": roleARN,
			"CreateDate": "2024-03-11T09:40:12Z", "AssumeRolePolicyDocument": trustDoc("https://signin.aws.amazon.com/saml"),
			"RolePolicyList": []any{map[string]any{"PolicyName": name, "PolicyDocument": other}}, "AttachedManagedPolicies": []any{}}
		return js(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": []any{role}, "Policies": []any{}})
	}
	for _, tt := range []struct{ existing, want string }{
		{"AmazonConnectFederation", "AmazonConnectFederation2"},
		{"S3Read", "AmazonConnectFederation"}, // near miss: the usual name is free
	} {
		s := base()
		s.outcome = fixture.AccessDeniedAdmin
		s.aws["iam.json"] = withInline(tt.existing)
		_, fx := firstFix(t, s.run(t), "iam.federation_token_denied")
		c := fx.Changes[0]
		if c.Kind() != fix.KindPutRolePolicy || flat(c).Policy != tt.want || len(fx.Check.Breaks) != 0 || fx.Check.Result != fix.Passes {
			t.Errorf("with %s: change %s %s, check %+v", tt.existing, c.Kind(), flat(c).Policy, fx.Check)
		}
		if !strings.Contains(strings.Join(report.Render(*fx).Commands, "\n"), "--policy-name "+tt.want+" ") {
			t.Errorf("with %s: commands %q", tt.existing, report.Render(*fx).Commands)
		}
	}
}

// 11. What is printed as a command is a command, with its Region: every
// fix's Commands of every failing scenario is an AWS CLI (or samldoctor)
// command line, and a Connect command names --region.
func TestCommandsAreCommands(t *testing.T) {
	n := 0
	for _, tt := range causeCases() {
		s := base()
		tt.produce(&s)
		res := s.run(t)
		for _, f := range res.Findings {
			fixes := f.Alternatives
			if f.Fix != nil {
				fixes = append([]diagnose.Fix{*f.Fix}, fixes...)
			}
			for _, fx := range fixes {
				for _, c := range report.Render(fx).Commands {
					n++
					if !strings.HasPrefix(c, "aws ") && !strings.HasPrefix(c, "samldoctor ") {
						t.Errorf("%s: %s: not a command: %q", tt.id, f.ID, c)
					}
					if strings.HasPrefix(c, "aws connect ") && !strings.Contains(c, "--region ") {
						t.Errorf("%s: %s: a Connect command without --region: %q", tt.id, f.ID, c)
					}
				}
				for _, st := range report.Render(fx).Steps {
					if strings.Contains(st, "aws connect ") && !strings.Contains(st, "--region") {
						t.Errorf("%s: %s: a Connect command without --region in a step: %q", tt.id, f.ID, st)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d commands seen", n)
	}
}

// shellSafe reports whether a command line runs only the command it shows
// when pasted into bash: outside single quotes, no character that starts
// another command, a substitution or an expansion, except a redirect into
// a file, one && and a trailing comment.
func shellSafe(cmd string) bool {
	cmd, _, _ = strings.Cut(cmd, "   # ")
	cmd = strings.Replace(cmd, " && aws ", " aws ", 1)
	if i := strings.LastIndex(cmd, " > "); i >= 0 && !strings.ContainsAny(cmd[i+3:], " '") {
		cmd = cmd[:i]
	}
	in := false
	for _, c := range cmd {
		switch {
		case c == '\'':
			in = !in
		case in:
		case strings.ContainsRune(";|&$`{}()<>\\\"*?!~#", c), c < 0x20:
			return false
		}
	}
	return !in
}

// A hostile capture's values reach pasted commands only as single words:
// a RoleSessionName with a line break and braces, an embedding origin
// with ;.
func TestCommandsQuoteTheEvidence(t *testing.T) {
	if shellSafe("aws connect create-user --username x;uname") || !shellSafe("aws connect create-user --username 'x;uname' > a.json") {
		t.Fatal("shellSafe does not tell them apart")
	}
	for _, name := range []string{"jane.doe@x\n{touch,/tmp/pwned}\nx", "jane doe;uname", "$(id)@example.com", "jane'doe@example.com"} {
		s := base()
		s.resp.RoleSessionName = []string{name}
		s.aws["u.json"] = usersJSON("Jane.Doe@example.com", "someone@example.com")
		res := s.run(t)
		for _, f := range res.Findings {
			fixes := f.Alternatives
			if f.Fix != nil {
				fixes = append([]diagnose.Fix{*f.Fix}, fixes...)
			}
			for _, fx := range fixes {
				for _, c := range report.Render(fx).Commands {
					if !shellSafe(c) {
						t.Errorf("%q: %s: a command that runs more than itself: %q", name, f.ID, c)
					}
					if strings.ContainsAny(c, "\n\r") {
						t.Errorf("%q: %s: a command over several lines: %q", name, f.ID, c)
					}
				}
			}
		}
	}
	// The renderer itself, given hostile values.
	for _, c := range []fix.Change{fix.CreateUser{UserName: "jane doe;uname"}, fix.AssociateApprovedOrigin{Value: "https://agent.example.com;uname;x"}, fix.UpdateProviderMetadata{Provider: "arn:aws:iam::1:saml-provider/$(id)"}} {
		fx := diagnose.NewFix(nil, "s", c)
		if len(report.Render(*fx).Commands) == 0 {
			t.Fatalf("%s: no command", c.Kind())
		}
		for _, cmd := range report.Render(*fx).Commands {
			if !shellSafe(cmd) || !strings.Contains(cmd, "'") {
				t.Errorf("%s: %q", c.Kind(), cmd)
			}
		}
	}
}

// 5b. A product with no case function (AD FS's claim rule language) is
// never given a case transformation as its first fix: the agent's own
// value comes first, and the transformation is not checked. Near miss:
// Entra ID has ToLowercase(): the transformation stays first.
func TestNoCaseFunctionNoTransformation(t *testing.T) {
	for _, tt := range []struct {
		issuer, host string
		scope        fix.Scope
	}{
		{"http://fs.example.com/adfs/services/trust", "fs.example.com", fix.ScopeAgent},
		{fixture.DefaultIssuer, "login.microsoftonline.com", fix.ScopeApplication},
	} {
		s := base()
		s.resp.Issuer = tt.issuer
		s.resp.NameID, s.resp.RoleSessionName = "Jane.Doe@example.com", []string{"Jane.Doe@example.com"}
		s.aws["u.json"] = usersJSON(rsn)
		s.steps = func(st []fixture.Step) []fixture.Step { st[0].URL = "https://" + tt.host + "/sso/saml"; return st }
		_, fx := firstFix(t, s.run(t), "connect.username_case_mismatch")
		if c := fx.Changes[0]; flat(c).Scope != tt.scope || fx.Check.Result != fix.Passes {
			t.Errorf("%s: first change %+v, check %+v", tt.host, c, fx.Check)
		}
	}
}

// 6b. The agent's Connect user differs from their NameID only in case:
// the IdP is told to send that user's name (a lower-case transformation
// of the NameID), not to create a second user.
func TestExistingUserUpToCase(t *testing.T) {
	s := base()
	s.resp.NameID, s.resp.RoleSessionName = "Jane.Doe@example.com", []string{"JDOE"}
	s.aws["u.json"] = usersJSON(rsn, "someone.else@example.com")
	_, fx := firstFix(t, s.run(t), "connect.user_not_found")
	c := fx.Changes
	if len(c) != 1 || c[0].Kind() != fix.KindSetAttribute || flat(c[0]).Value != rsn || flat(c[0]).Source != fix.SourceNameID || flat(c[0]).Transform != "lower" || fx.Check.Result != fix.Passes {
		t.Errorf("first fix %+v checked %+v", c, fx.Check)
	}
	if strings.Contains(fixText(fx), "create-user") {
		t.Errorf("create-user first:\n%s", fixText(fx))
	}
}

// 13. Okta's AWS Account Federation catalog app sends its Application
// username as RoleSessionName: its case fix is in that setting, not in an
// attribute statement it does not have. Near miss: a custom SAML app.
func TestOktaFederationAppCase(t *testing.T) {
	for _, tt := range []struct {
		path, want, not string
	}{
		{"/home/amazon_aws/0oa1b2c3d4/272", "Application username format to Custom", "Attribute Statements"},
		{"/app/example_connect/exk1/sso/saml", "Attribute Statements", "Application username format to Custom"},
	} {
		s := base()
		s.resp.Issuer = "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"
		s.resp.NameID, s.resp.RoleSessionName = "Jane.Doe@example.com", []string{"Jane.Doe@example.com"}
		s.aws["u.json"] = usersJSON(rsn)
		s.steps = func(st []fixture.Step) []fixture.Step { st[0].URL = "https://example.okta.com" + tt.path; return st }
		_, fx := firstFix(t, s.run(t), "connect.username_case_mismatch")
		text := steps(fx)
		if !strings.Contains(text, tt.want) || strings.Contains(text, tt.not) {
			t.Errorf("%s:\n%s", tt.path, text)
		}
	}
}

// 8b. A user created again keeps what describe-user shows of it: its
// e-mail addresses, mobile number and tags as well as its profiles. The
// printed command is run by bash against a stand-in aws that writes its
// arguments, so what is pasted is what AWS would be sent. Near miss: a
// plain name stays in the CLI's shorthand.
func TestRecreateUserKeepsItsSettings(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to run the printed command: ", err)
	}
	dir := t.TempDir()
	stand := filepath.Join(dir, "aws")
	if err := os.WriteFile(stand, []byte("#!/bin/sh\nprintf '%s\\0' \"$@\" >> \"$ARGS\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	user := evidence.User{ID: "11111111-2222-4333-8444-555555555555", Username: "Jane.Doe@example.com", FirstName: "Jane", Detailed: true,
		Email: "jane.doe@example.com", SecondaryEmail: "jd@example.org", Mobile: "+15555550100",
		Tags:               map[string]string{"team": "billing", "cost center": "42"},
		SecurityProfileIDs: []string{"sp-1"}, RoutingProfileID: "rp-1", PhoneConfig: map[string]any{"PhoneType": "SOFT_PHONE", "AutoAccept": false}}
	for _, tt := range []struct {
		last      string
		shorthand bool
	}{
		{"Doe, Jr.", false},
		{"Doe", true}, // near miss
	} {
		u := user
		u.LastName = tt.last
		fx := diagnose.NewFix(nil, "s", fix.RecreateUser{Connect: fix.Connect{Region: "us-east-1", Instance: "inst-1"}, User: &u, UserName: "jane.doe@example.com"})
		if len(report.Render(*fx).Commands) != 1 {
			t.Fatalf("commands %q", report.Render(*fx).Commands)
		}
		args := filepath.Join(dir, "args")
		os.Remove(args)
		cmd := exec.Command(bash, "-c", report.Render(*fx).Commands[0])
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "ARGS="+args)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		b, err := os.ReadFile(args)
		if err != nil {
			t.Fatal(err)
		}
		argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		flag := func(name string) string {
			for i := 0; i+1 < len(argv); i++ {
				if argv[i] == name && (i == 0 || argv[i-1] != "delete-user") {
					return argv[i+1]
				}
			}
			return ""
		}
		info := map[string]string{}
		if raw := flag("--identity-info"); tt.shorthand {
			for _, kv := range strings.Split(raw, ",") {
				k, v, _ := strings.Cut(kv, "=")
				info[k] = v
			}
		} else if err := json.Unmarshal([]byte(raw), &info); err != nil {
			t.Fatalf("--identity-info %q is neither shorthand nor JSON: %v", raw, err)
		}
		want := map[string]string{"FirstName": "Jane", "LastName": tt.last, "Email": u.Email, "SecondaryEmail": u.SecondaryEmail, "Mobile": u.Mobile}
		if !maps.Equal(info, want) {
			t.Errorf("%s: identity %v, want %v", tt.last, info, want)
		}
		var tags map[string]string
		if err := json.Unmarshal([]byte(flag("--tags")), &tags); err != nil || !maps.Equal(tags, u.Tags) {
			t.Errorf("%s: tags %q, want %v", tt.last, flag("--tags"), u.Tags)
		}
		if argv[0] != "connect" || argv[1] != "create-user" || !slices.Contains(argv, "delete-user") {
			t.Errorf("argv %q", argv)
		}
	}
}
