package diagnose_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/fixture/simplesaml"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The SimpleSAMLphp end-to-end tests: a real SimpleSAMLphp signs an agent
// in (internal/fixture/simplesaml), and samldoctor diagnoses the capture
// of that sign-in against AWS evidence built here for its IdP.

const (
	sspRole     = "arn:aws:iam::" + acct + ":role/ConnectAgent"
	sspProvider = "arn:aws:iam::" + acct + ":saml-provider/SSP"
)

// sspAgent is a SimpleSAMLphp user whose attributes send AWS's Role (the
// ConnectAgent role of the SSP provider) and RoleSessionName, the session
// name being its uid (the NameID too).
func sspAgent(name, uid string) simplesaml.User {
	return simplesaml.User{Name: name, Password: "pw-" + name, Attributes: map[string][]string{
		"uid": {uid}, "mail": {strings.ToLower(uid) + "@example.com"},
		"https://aws.amazon.com/SAML/Attributes/Role":            {sspRole + "," + sspProvider},
		"https://aws.amazon.com/SAML/Attributes/RoleSessionName": {uid},
	}}
}

// startSSP starts SimpleSAMLphp with AWS's SP entry (persistent NameID
// from uid) holding extra, and the users.
func startSSP(t *testing.T, extra string, users ...simplesaml.User) *simplesaml.IdP {
	t.Helper()
	return simplesaml.Start(t, simplesaml.Config{Users: users, SP: simplesaml.SP{
		NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", NameIDAttribute: "uid", Extra: extra}})
}

// sspAWS is the AWS evidence for the IdP's agents: the SAML provider SSP
// holding metadata (the IdP's own, unless another is given), the role
// ConnectAgent trusting it for AWS sign-in with the federation policy,
// the SAML instance, and the Connect users named.
func sspAWS(metadata []byte, connectUsers ...string) map[string]string {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
		"Principal": map[string]any{"Federated": sspProvider}, "Action": "sts:AssumeRoleWithSAML",
		"Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}}}}
	return map[string]string{
		"provider.json": js(map[string]any{"SAMLMetadataDocument": string(metadata), "CreateDate": "2024-03-11T09:30:00Z",
			"ValidUntil": "2124-03-11T09:30:00Z", "SAMLProviderArn": sspProvider}),
		"iam.json":      authJSON("ConnectAgent", trust, federationDoc(region)),
		"instance.json": instanceJSON("SAML"),
		"users.json":    usersJSON(connectUsers...),
	}
}

// diagnoseSSP diagnoses r's sign-in, the browser's steps at SimpleSAMLphp
// then AWS sign-in and Connect ending as out, against aws.
func diagnoseSSP(t *testing.T, r *simplesaml.Response, out fixture.Outcome, aws map[string]string) *diagnose.Result {
	t.Helper()
	rd := signin.NewReader(capture.Options{})
	if err := rd.Read("simplesamlphp.har", bytes.NewReader(fixture.HAR(fixture.Chrome, r.Capture(out)))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for name, data := range aws {
		if err := set.Load(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: rd.Finish(), AWS: set})
}

// A sign-in SimpleSAMLphp signed, against AWS evidence that agrees with
// it, is diagnosed as passing: signatures valid against the provider's
// metadata, the role and provider from its Role value, the product named.
func TestSimpleSAMLphpSignInPasses(t *testing.T) {
	idp := startSSP(t, "", sspAgent("jdoe", "JDoe"))
	r := idp.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState())
	res := diagnoseSSP(t, r, fixture.Success, sspAWS(idp.Metadata(), "JDoe"))
	if res.Outcome != "succeeded" || res.HasErrors() {
		t.Fatalf("outcome %s, findings %v", res.Outcome, ids(res))
	}
	s := res.Subject
	if s.Issuer != idp.EntityID() || s.NameID != "JDoe" || s.RoleSessionName != "JDoe" || s.RoleArn != sspRole || s.ProviderArn != sspProvider {
		t.Errorf("subject %+v", s)
	}
	if len(res.Signatures) != 2 {
		t.Errorf("%d signatures", len(res.Signatures))
	}
	for _, v := range res.Signatures {
		if v.Status != "valid" {
			t.Errorf("signature over %s: %s (%s)", v.Covers, v.Status, v.Reason)
		}
	}
	if res.IdP == nil || res.IdP.Product != "simplesamlphp" {
		t.Errorf("IdP product %+v", res.IdP)
	}

	// Near miss: the provider holds another IdP's certificate.
	other := diagnoseSSP(t, r, fixture.InvalidSAMLPage, sspAWS([]byte(fixture.IdPMetadata(idp.EntityID(), fixture.TestKey().DER)), "JDoe"))
	if f := firstErrorOf(other); f == nil || f.ID != "iam.cert_not_in_provider" {
		t.Errorf("with another certificate in the provider: findings %v", ids(other))
	}
}

// sspEntries is the PHP array entries of the SP entry that a fix's
// SimpleSAMLphp steps give ('authproc' => [...], 'audience' => [...],),
// verbatim, for simplesaml.SP.Extra: what an administrator would paste.
func sspEntries(t *testing.T, fx *diagnose.Fix) string {
	t.Helper()
	if report.Render(*fx).IdPProduct != "SimpleSAMLphp" {
		t.Fatalf("the fix's steps are for %q, not SimpleSAMLphp:\n%s", report.Render(*fx).IdPProduct, fixText(fx))
	}
	var out []string
	for _, step := range report.Render(*fx).IdPSteps {
		for _, key := range []string{"'authproc' => [", "'audience' => ["} {
			for rest := step; ; {
				i := strings.Index(rest, key)
				if i < 0 {
					break
				}
				n := phpArrayEnd(rest[i+len(key)-1:])
				if n < 0 {
					t.Fatalf("unbalanced PHP in the step %q", step)
				}
				out = append(out, rest[i:i+len(key)-1+n]+",")
				rest = rest[i+len(key)-1+n:]
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("no SP entry options in the steps:\n%s", strings.Join(report.Render(*fx).IdPSteps, "\n"))
	}
	return strings.Join(out, "\n")
}

// phpArrayEnd is the length of the PHP array literal s starts with ("[",
// brackets inside quoted strings skipped), or -1.
func phpArrayEnd(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[':
			depth++
		case c == ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// The fixes samldoctor prints for SimpleSAMLphp, applied to the real
// product: each case signs in through a SimpleSAMLphp whose SP entry is
// wrong, diagnoses it, pastes the first fix's rendered options into the
// entry, signs in again, and the diagnosis passes. The near miss of each
// is the diagnosis before the fix: it fails.
func TestSimpleSAMLphpRenderedFixesPass(t *testing.T) {
	const (
		roleAttr    = "https://aws.amazon.com/SAML/Attributes/Role"
		sessionAttr = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	)
	cases := []struct {
		name string
		// id is the finding the broken entry gives.
		id      string
		user    func() simplesaml.User
		sp      simplesaml.SP
		connect string
		failed  fixture.Outcome
		check   func(t *testing.T, res *diagnose.Result)
	}{
		{name: "case mismatch", id: "connect.username_case_mismatch", connect: "jdoe", failed: fixture.NotOnboarded,
			user: func() simplesaml.User { return sspAgent("jdoe", "JDoe") },
			check: func(t *testing.T, res *diagnose.Result) {
				if res.Subject.RoleSessionName != "jdoe" || res.Subject.NameID != "JDoe" {
					t.Errorf("subject %+v", res.Subject)
				}
			}},
		{name: "missing RoleSessionName", id: "aws.session_name_missing", connect: "JDoe", failed: fixture.SessionNameMissing,
			user: func() simplesaml.User { u := sspAgent("jdoe", "JDoe"); delete(u.Attributes, sessionAttr); return u },
			check: func(t *testing.T, res *diagnose.Result) {
				if res.Subject.RoleSessionName != "JDoe" {
					t.Errorf("subject %+v", res.Subject)
				}
			}},
		{name: "Role attribute misnamed", id: "aws.role_missing", connect: "JDoe", failed: fixture.InvalidSAMLPage,
			user: func() simplesaml.User {
				u := sspAgent("jdoe", "JDoe")
				u.Attributes["https://aws.amazon.com/SAML/Attributes/role"] = u.Attributes[roleAttr]
				delete(u.Attributes, roleAttr)
				return u
			},
			check: func(t *testing.T, res *diagnose.Result) {
				if res.Subject.RoleArn != sspRole || res.Subject.ProviderArn != sspProvider {
					t.Errorf("subject %+v", res.Subject)
				}
			}},
		{name: "wrong audience", id: "saml.audience_invalid", connect: "JDoe", failed: fixture.InvalidSAMLPage,
			user: func() simplesaml.User { return sspAgent("jdoe", "JDoe") },
			sp:   simplesaml.SP{EntityID: "urn:amazon:connect"},
			check: func(t *testing.T, res *diagnose.Result) {
				if res.Subject.RoleSessionName != "JDoe" {
					t.Errorf("subject %+v", res.Subject)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := c.sp
			sp.NameIDFormat, sp.NameIDAttribute = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "uid"
			broken := simplesaml.Start(t, simplesaml.Config{Users: []simplesaml.User{c.user()}, SP: sp})
			r := broken.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState())
			res := diagnoseSSP(t, r, c.failed, sspAWS(broken.Metadata(), c.connect))
			f := firstErrorOf(res)
			if f == nil || f.ID != c.id || f.Fix == nil {
				t.Fatalf("before: findings %v, want %s first", ids(res), c.id)
			}
			if f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes {
				t.Errorf("before: the fix's own check %+v", f.Fix.Check)
			}
			sp.Extra = sspEntries(t, f.Fix)
			fixed := simplesaml.Start(t, simplesaml.Config{Users: []simplesaml.User{c.user()}, SP: sp})
			res = diagnoseSSP(t, fixed.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.Success, sspAWS(fixed.Metadata(), c.connect))
			if res.Outcome != "succeeded" || res.HasErrors() {
				t.Fatalf("after pasting\n%s\ninto the SP entry: outcome %s, findings %v", sp.Extra, res.Outcome, ids(res))
			}
			c.check(t, res)
		})
	}
}

// An application-wide lower-casing stops an agent whose Connect user has
// capitals: samldoctor lists that agent (CloudTrail shows BSmith signing
// in) under that fix's breaks and gives it after the change for this agent
// alone; SimpleSAMLphp with the application-wide fix pasted does send
// bsmith, which Connect does not know, while jdoe, the agent fixed,
// passes. The agent-only change, made in the user store, passes and
// leaves BSmith as he is.
func TestSimpleSAMLphpApplicationWideFixBreaksAnotherAgent(t *testing.T) {
	users := []simplesaml.User{sspAgent("jdoe", "JDoe"), sspAgent("bsmith", "BSmith")}
	aws := sspAWS(nil, "jdoe", "BSmith")
	aws["events.json"] = sspEvents("BSmith")
	broken := startSSP(t, "", users...)
	aws["provider.json"] = sspAWS(broken.Metadata())["provider.json"]
	res := diagnoseSSP(t, broken.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.NotOnboarded, aws)
	f := firstErrorOf(res)
	if f == nil || f.ID != "connect.username_case_mismatch" || f.Fix == nil || f.Fix.Check == nil {
		t.Fatalf("before: findings %v", ids(res))
	}
	// First: this agent only, breaking no one.
	if c := f.Fix.Changes; len(c) != 1 || flat(c[0]).Scope != fix.ScopeAgent || len(f.Fix.Check.Breaks) > 0 || f.Fix.Check.Result != fix.Passes {
		t.Fatalf("first fix %+v checked %+v", c, f.Fix.Check)
	}
	var wide *diagnose.Fix
	for i, alt := range f.Alternatives {
		if len(alt.Changes) == 1 && flat(alt.Changes[0]).Scope == fix.ScopeApplication && flat(alt.Changes[0]).Transform == "lower" {
			wide = &f.Alternatives[i]
		}
	}
	if wide == nil {
		t.Fatalf("no application-wide alternative: %+v", f.Alternatives)
	}
	if !slices.ContainsFunc(wide.Check.Breaks, func(b string) bool { return strings.Contains(b, "BSmith") && strings.Contains(b, `"bsmith"`) }) {
		t.Errorf("breaks %q do not name BSmith", wide.Check.Breaks)
	}

	fixed := startSSP(t, sspEntries(t, wide), users...)
	aws["provider.json"] = sspAWS(fixed.Metadata())["provider.json"]
	res = diagnoseSSP(t, fixed.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.Success, aws)
	if res.HasErrors() {
		t.Errorf("jdoe after the fix: findings %v", ids(res))
	}
	res = diagnoseSSP(t, fixed.SignIn(t, "bsmith", "pw-bsmith", fixture.RelayState()), fixture.NotOnboarded, aws)
	if f := firstErrorOf(res); f == nil || f.ID != "connect.username_case_mismatch" || res.Subject.RoleSessionName != "bsmith" {
		t.Errorf("BSmith after the fix: session %q, findings %v", res.Subject.RoleSessionName, ids(res))
	}

	// The agent-only change, as its step says: this agent's value in the
	// user store becomes the Connect user name.
	if !strings.Contains(strings.Join(report.Render(*f.Fix).IdPSteps, " "), "give this agent (JDoe) the value jdoe") {
		t.Errorf("agent-only steps: %q", report.Render(*f.Fix).IdPSteps)
	}
	jdoe := sspAgent("jdoe", "JDoe")
	jdoe.Attributes["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = []string{"jdoe"}
	own := startSSP(t, "", jdoe, sspAgent("bsmith", "BSmith"))
	aws["provider.json"] = sspAWS(own.Metadata())["provider.json"]
	if res := diagnoseSSP(t, own.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.Success, aws); res.HasErrors() {
		t.Errorf("jdoe after the agent-only change: %v", ids(res))
	}
	if res := diagnoseSSP(t, own.SignIn(t, "bsmith", "pw-bsmith", fixture.RelayState()), fixture.Success, aws); res.HasErrors() || res.Subject.RoleSessionName != "BSmith" {
		t.Errorf("BSmith after the agent-only change: %q %v", res.Subject.RoleSessionName, ids(res))
	}
}

// sspEvents is lookup-events output: each agent's successful
// GetFederationToken through the role ConnectAgent.
func sspEvents(agents ...string) string {
	var evs []any
	for i, a := range agents {
		rec := map[string]any{"eventVersion": "1.09", "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "awsRegion": region,
			"userIdentity": map[string]any{"type": "AssumedRole", "principalId": "AROAYZ2EXAMPLE5AGENT:" + a, "arn": "arn:aws:sts::" + acct + ":assumed-role/ConnectAgent/" + a,
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAYZ2EXAMPLE5AGENT", "arn": sspRole}}},
			"requestParameters": map[string]any{"InstanceId": instance}}
		b, _ := json.Marshal(rec)
		evs = append(evs, map[string]any{"EventId": fmt.Sprintf("e%d", i+1), "EventName": "GetFederationToken", "EventTime": "2026-10-14T07:58:03Z",
			"EventSource": "connect.amazonaws.com", "Username": a, "CloudTrailEvent": string(b)})
	}
	return js(map[string]any{"Events": evs})
}

func firstErrorOf(res *diagnose.Result) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].Severity == diagnose.Error {
			return &res.Findings[i]
		}
	}
	return nil
}
