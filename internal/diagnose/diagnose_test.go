package diagnose_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

const (
	acct     = fixture.DefaultAccount
	instance = fixture.DefaultInstance
	region   = fixture.DefaultRegion
	rsn      = "jane.doe@example.com"
)

var at = time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)

// scenario is one sign-in: the response the IdP sends, how it is posted,
// how it ends, and the AWS data at hand.
type scenario struct {
	resp    fixture.Response
	relay   *string
	postAt  time.Duration // after IssueInstant
	outcome fixture.Outcome
	acs     string
	steps   func([]fixture.Step) []fixture.Step
	aws     map[string]string
	// spKey decrypts an encrypted assertion (--sp-key).
	spKey *fixture.Key
}

func base() scenario {
	return scenario{
		resp:    fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, SignAssertion: true},
		postAt:  time.Second,
		outcome: fixture.NotOnboarded,
		aws:     map[string]string{},
	}
}

func (s scenario) run(t *testing.T) *diagnose.Result {
	t.Helper()
	issued := at.Add(-s.postAt)
	s.resp.IssueInstant = issued
	if s.acs != "" {
		s.resp.Destination = s.acs
	}
	relay := fixture.RelayState()
	if s.relay != nil {
		relay = *s.relay
	}
	steps := fixture.SignIn(s.resp.XML(), relay, at, s.outcome)
	// The IdP served its page at the capture's time, by its own clock: the
	// clock that stamped IssueInstant (postAt is how far it is behind).
	steps[0].ServerDate = issued
	if s.acs != "" {
		for i := range steps {
			if steps[i].URL == "https://signin.aws.amazon.com/saml" {
				steps[i].URL = s.acs
			}
		}
	}
	if s.steps != nil {
		steps = s.steps(steps)
	}
	opts := capture.Options{}
	if s.spKey != nil {
		opts.SPKey = s.spKey.Private
	}
	r := signin.NewReader(opts)
	if err := r.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, steps))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for name, data := range s.aws {
		if err := set.Load(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
}

func ids(res *diagnose.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID+"("+f.Severity+")")
	}
	return out
}

func find(res *diagnose.Result, id string) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].ID == id {
			return &res.Findings[i]
		}
	}
	return nil
}

// AWS CLI outputs, shaped as the CLI prints them.

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", "    ")
	return string(b)
}

func usersJSON(names ...string) string {
	var l []map[string]string
	for i, n := range names {
		id := fmt.Sprintf("0000000%d-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
		l = append(l, map[string]string{"Id": id, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/agent/" + id, "Username": n, "LastModifiedRegion": region})
	}
	return js(map[string]any{"UserSummaryList": l})
}

func instanceJSON(idm string) string {
	return js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance, "IdentityManagementType": idm, "InstanceAlias": "example-corp", "InstanceStatus": "ACTIVE"}})
}

const roleARN = "arn:aws:iam::" + acct + ":role/ConnectAgents"

func trustDoc(aud ...string) map[string]any {
	var a any = aud
	if len(aud) == 1 {
		a = aud[0]
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": fixture.DefaultProvider}, "Action": "sts:AssumeRoleWithSAML",
		"Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": a}}}}}
}

func federationDoc(reg string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "connect:GetFederationToken",
		"Resource": "arn:aws:connect:" + reg + ":" + acct + ":instance/" + instance + "/user/${aws:userid}"}}}
}

func authJSON(roleName string, trust, inline map[string]any) string {
	role := map[string]any{"Path": "/", "RoleName": roleName, "RoleId": "AROAYZ2EXAMPLE5AGENT", "Arn": "arn:aws:iam::" + acct + ":role/" + roleName,
		"CreateDate": "2024-03-11T09:40:12Z", "AssumeRolePolicyDocument": trust, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{}}
	if inline != nil {
		role["RolePolicyList"] = []any{map[string]any{"PolicyName": "ConnectFederation", "PolicyDocument": inline}}
	}
	return js(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": []any{role}, "Policies": []any{}})
}

func providerJSON(entityID string, certDER []byte) string {
	return js(map[string]any{"SAMLMetadataDocument": fixture.IdPMetadata(entityID, certDER), "CreateDate": "2024-03-11T09:30:00Z", "ValidUntil": "2124-03-11T09:30:00Z"})
}

// providerWith is get-saml-provider output with the fields of IAM's
// assertion encryption (AssertionEncryptionMode, SAMLProviderUUID,
// PrivateKeyList) set as given.
func providerWith(fields map[string]any) string {
	out := map[string]any{"SAMLMetadataDocument": fixture.IdPMetadata(fixture.DefaultIssuer, fixture.TestKey().DER), "CreateDate": "2024-03-11T09:30:00Z", "ValidUntil": "2124-03-11T09:30:00Z"}
	maps.Copy(out, fields)
	return js(out)
}

// providerID is the test provider's SAMLProviderUUID.
const providerID = "SAMLSPD9IMTW2LM46J042K"

func eventsJSON(roleName, roleID string) string {
	rec := map[string]any{"eventVersion": "1.09", "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "awsRegion": region,
		"userIdentity": map[string]any{"type": "AssumedRole", "principalId": roleID + ":" + rsn, "arn": "arn:aws:sts::" + acct + ":assumed-role/" + roleName + "/" + rsn,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": roleID, "arn": "arn:aws:iam::" + acct + ":role/" + roleName}}},
		"requestParameters": map[string]any{"InstanceId": instance}}
	b, _ := json.Marshal(rec)
	return js(map[string]any{"Events": []any{map[string]any{"EventId": "e1", "EventName": "GetFederationToken", "EventTime": "2026-10-14T07:58:03Z", "EventSource": "connect.amazonaws.com", "Username": rsn, "CloudTrailEvent": string(b)}}})
}

func str(s string) *string { return &s }

// TestCauses gives each cause id a case that produces it and a near miss
// that must not.
// causeCase is a scenario that produces a cause, and a near miss that
// must not.
type causeCase struct {
	id       string
	produce  func(*scenario)
	nearMiss func(*scenario)
	// explains is the symptom the produced finding must explain.
	explains string
}

var (
	otherKey   = fixture.NewKey("rotated IdP certificate", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
	expiredKey = fixture.NewKey("expired IdP certificate", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
)

// causeCases are the cases of TestCauses, also the failing scenarios the
// fix property test runs.
func causeCases() []causeCase {
	return append([]causeCase{
		{"capture.no_saml",
			func(s *scenario) {
				s.steps = func(st []fixture.Step) []fixture.Step { return st[2:] }
			}, func(s *scenario) {}, "connect.not_onboarded"},
		{"capture.no_outcome",
			func(s *scenario) {
				s.steps = func(st []fixture.Step) []fixture.Step { st[1].Status, st[1].Location = -1, ""; return st[:2] }
			}, func(s *scenario) {}, ""},
		{"capture.body_missing",
			func(s *scenario) {
				s.steps = func(st []fixture.Step) []fixture.Step { st[2].Body = ""; return st }
			}, func(s *scenario) {}, ""},
		{"saml.malformed",
			func(s *scenario) {
				s.outcome = fixture.InvalidSAMLPage
				s.steps = func(st []fixture.Step) []fixture.Step { st[1].Form[0][1] = "PHNhbWxwOl!!!"; return st[1:] }
			}, func(s *scenario) { s.outcome = fixture.InvalidSAMLPage }, "signin.invalid_saml_response"},
		{"saml.status_failed",
			func(s *scenario) {
				s.outcome = fixture.InvalidSAMLPage
				s.resp.StatusCode, s.resp.StatusMessage, s.resp.NoAssertion = "urn:oasis:names:tc:SAML:2.0:status:Responder", "User is not assigned to the application", true
			}, func(s *scenario) { s.outcome = fixture.InvalidSAMLPage }, "signin.invalid_saml_response"},
		{"saml.unsigned",
			func(s *scenario) { s.resp.SignAssertion = false }, func(s *scenario) { s.resp.SignAssertion, s.resp.SignResponse = false, true }, ""},
		{"saml.expired",
			func(s *scenario) { s.resp.Validity, s.postAt = time.Minute, 2*time.Minute },
			func(s *scenario) { s.resp.Validity, s.postAt = time.Minute, 30*time.Second }, ""},
		{"saml.not_yet_valid",
			func(s *scenario) { s.postAt = -10 * time.Minute }, func(s *scenario) { s.postAt = -30 * time.Second }, ""},
		{"saml.stale_issue_instant",
			func(s *scenario) { s.resp.Validity, s.postAt = 10*time.Minute, 6*time.Minute },
			func(s *scenario) { s.resp.Validity, s.postAt = 10*time.Minute, 4*time.Minute }, ""},
		{"saml.audience_invalid",
			func(s *scenario) { s.resp.Audience = "https://signin.aws.amazon.com/saml#2" },
			func(s *scenario) { s.resp.Audience = "urn:amazon:webservices" }, ""},
		{"saml.recipient_invalid",
			func(s *scenario) { s.resp.Recipient = "https://idp.example.com/acs" },
			func(s *scenario) { s.acs = "https://ap-southeast-2.signin.aws.amazon.com/saml" }, ""},
		{"saml.nameid_missing",
			func(s *scenario) { s.resp.NameID = "" }, func(s *scenario) {}, ""},
		{"aws.role_missing",
			func(s *scenario) {
				s.outcome = fixture.InvalidSAMLPage
				s.resp.RoleAttrName = "https://aws.amazon.com/SAML/Attributes/role"
			}, func(s *scenario) { s.outcome = fixture.InvalidSAMLPage }, "signin.invalid_saml_response"},
		{"aws.role_malformed",
			func(s *scenario) { s.resp.Roles = []string{roleARN} },
			func(s *scenario) { s.resp.Roles = []string{fixture.DefaultProvider + "," + roleARN} }, ""},
		{"aws.role_multiple",
			func(s *scenario) {
				s.resp.Roles = []string{roleARN + "," + fixture.DefaultProvider, "arn:aws:iam::" + acct + ":role/Other," + fixture.DefaultProvider}
			}, func(s *scenario) {}, ""},
		{"aws.session_name_missing",
			func(s *scenario) { s.resp.RoleSessionName, s.outcome = nil, fixture.SessionNameMissing },
			func(s *scenario) { s.outcome = fixture.SessionNameMissing }, "signin.role_session_name_required"},
		{"aws.session_name_invalid",
			func(s *scenario) { s.resp.RoleSessionName = []string{"Jane Doe"} },
			func(s *scenario) { s.resp.RoleSessionName = []string{"jane_doe-1.x@example.com"} }, ""},
		{"aws.session_duration_invalid",
			func(s *scenario) { s.resp.SessionDuration = "50000" }, func(s *scenario) { s.resp.SessionDuration = "43200" }, ""},
		{"aws.relay_state_missing",
			func(s *scenario) { s.relay = str("") }, func(s *scenario) {}, ""},
		{"aws.relay_state_invalid",
			func(s *scenario) { s.relay = str("https://us-east-1.console.aws.amazon.com/console/home") },
			func(s *scenario) { s.relay = str(fixture.RelayState() + "?destination=%2Fccp-v2&new_domain=true") }, ""},
		{"saml.signature_invalid",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Response signature invalid"}
				s.steps = func(st []fixture.Step) []fixture.Step {
					xml, _ := base64.StdEncoding.DecodeString(st[1].Form[0][1])
					xml = bytes.Replace(xml, []byte(">"+rsn+"</AttributeValue>"), []byte(">admin@example.com</AttributeValue>"), 1)
					st[1].Form[0][1] = base64.StdEncoding.EncodeToString(xml)
					return st[1:]
				}
			}, func(s *scenario) { s.outcome = fixture.Outcome{SignInError: "Response signature invalid"} }, "signin.signature_invalid"},
		{"saml.weak_algorithm",
			func(s *scenario) { s.resp.SHA1 = true }, func(s *scenario) {}, ""},
		{"saml.cert_expired",
			func(s *scenario) { s.resp.Key = expiredKey }, func(s *scenario) {}, ""},
		{"iam.provider_not_found",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Specified provider doesn't exist."}
				s.aws["p.json"] = js(map[string]any{"SAMLProviderList": []any{map[string]string{"Arn": "arn:aws:iam::" + acct + ":saml-provider/entraid"}}})
			}, func(s *scenario) {
				s.aws["p.json"] = js(map[string]any{"SAMLProviderList": []any{map[string]string{"Arn": fixture.DefaultProvider}}})
			}, "signin.provider_not_found"},
		{"iam.issuer_mismatch",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Failed to assume role: Issuer not present in specified provider"}
				s.aws["prov.json"] = providerJSON("https://sts.windows.net/ffffffff-0000-4000-8000-123456789abc/", fixture.TestKey().DER)
			}, func(s *scenario) { s.aws["prov.json"] = providerJSON(fixture.DefaultIssuer, fixture.TestKey().DER) }, "signin.issuer_not_in_provider"},
		{"iam.cert_not_in_provider",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)"}
				s.aws["prov.json"] = providerJSON(fixture.DefaultIssuer, otherKey.DER)
			}, func(s *scenario) { s.aws["prov.json"] = providerJSON(fixture.DefaultIssuer, fixture.TestKey().DER) }, "signin.signature_invalid"},
		{"iam.encryption_required",
			func(s *scenario) {
				s.outcome = fixture.InvalidSAMLPage
				s.aws["prov.json"] = providerWith(map[string]any{"AssertionEncryptionMode": "Required", "SAMLProviderUUID": providerID})
			}, func(s *scenario) {
				s.aws["prov.json"] = providerWith(map[string]any{"AssertionEncryptionMode": "Allowed", "SAMLProviderUUID": providerID})
			}, "signin.invalid_saml_response"},
		{"iam.provider_signin_url",
			func(s *scenario) {
				s.acs = "https://signin.aws.amazon.com/saml/acs/SAMLSPQ7XK2M4N8P1R3T5V"
				s.aws["prov.json"] = providerWith(map[string]any{"AssertionEncryptionMode": "Allowed", "SAMLProviderUUID": providerID})
			}, func(s *scenario) {
				s.acs = "https://signin.aws.amazon.com/saml/acs/" + providerID
				s.aws["prov.json"] = providerWith(map[string]any{"AssertionEncryptionMode": "Allowed", "SAMLProviderUUID": providerID})
			}, ""},
		{"iam.role_not_found",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML"}
				s.aws["iam.json"] = authJSON("connectagents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
			}, func(s *scenario) {
				s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
			}, "signin.not_authorized_assume_role"},
		{"iam.trust_policy_denies",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML"}
				s.acs = "https://ap-southeast-2.signin.aws.amazon.com/saml"
				s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
			}, func(s *scenario) {
				s.acs = "https://ap-southeast-2.signin.aws.amazon.com/saml"
				s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml", "https://ap-southeast-2.signin.aws.amazon.com/saml"), federationDoc(region))
			}, "signin.not_authorized_assume_role"},
		{"iam.federation_token_denied",
			func(s *scenario) {
				s.outcome = fixture.AccessDeniedAdmin
				s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc("us-east-1"))
			}, func(s *scenario) {
				s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
			}, "connect.access_denied_admin"},
		{"connect.instance_not_saml",
			func(s *scenario) { s.aws["i.json"] = instanceJSON("CONNECT_MANAGED") },
			func(s *scenario) { s.aws["i.json"] = instanceJSON("SAML") }, "connect.not_onboarded"},
		{"connect.user_not_found",
			func(s *scenario) { s.aws["u.json"] = usersJSON("john.smith@example.com", "admin") },
			func(s *scenario) { s.aws["u.json"] = usersJSON("john.smith@example.com", rsn) }, "connect.not_onboarded"},
		{"connect.username_case_mismatch",
			func(s *scenario) { s.aws["u.json"] = usersJSON("Jane.Doe@example.com") },
			func(s *scenario) { s.aws["u.json"] = usersJSON(rsn) }, "connect.not_onboarded"},
		{"connect.role_changed",
			func(s *scenario) {
				s.outcome = fixture.BadRequest
				s.aws["ct.json"] = eventsJSON("ConnectAgentsLegacy", "AROAYZ2EXAMPLE1LEGACY")
			}, func(s *scenario) { s.aws["ct.json"] = eventsJSON("ConnectAgents", "AROAYZ2EXAMPLE5AGENT") }, "connect.bad_request"},
	}, moreCauseCases()...)
}

// moreCauseCases are the causes of Organizations' policies, session tags
// and the IdP products' pitfalls.
func moreCauseCases() []causeCase {
	return append(orgCauseCases(), tagCauseCases()...)
}

func TestCauses(t *testing.T) {
	for _, tt := range causeCases() {
		t.Run(tt.id, func(t *testing.T) {
			s := base()
			tt.produce(&s)
			res := s.run(t)
			f := find(res, tt.id)
			if f == nil {
				t.Fatalf("%s not produced; findings: %v", tt.id, ids(res))
			}
			if len(f.Evidence) == 0 {
				t.Errorf("%s has no evidence", tt.id)
			}
			for _, e := range f.Evidence {
				if e.Where == "" {
					t.Errorf("%s: evidence %q says not where it was seen", tt.id, e.What)
				}
			}
			if f.Severity == diagnose.Error && (f.Fix == nil || f.Fix.Summary == "") && !explainedByFix(res, f) {
				t.Errorf("%s: an error without a fix", tt.id)
			}
			if tt.explains != "" {
				if !contains(f.Explains, tt.explains) {
					t.Errorf("%s explains %v, want %s", tt.id, f.Explains, tt.explains)
				}
				if res.Findings[0].ID != tt.id {
					t.Errorf("the root cause %s is not first: %v", tt.id, ids(res))
				}
			}
			n := base()
			tt.nearMiss(&n)
			if nres := n.run(t); find(nres, tt.id) != nil {
				t.Errorf("near miss produced %s: %v", tt.id, ids(nres))
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// A browser that saves the POST to AWS sign-in without its form body
// leaves no SAMLResponse: the finding points at that POST, says what its
// answer shows, and asks for the value itself, not for the same capture
// again. A capture that starts after the POST gets the generic advice.
func TestNoSAMLWhenThePostLostItsBody(t *testing.T) {
	lost := base()
	lost.steps = func(st []fixture.Step) []fixture.Step {
		st[0].Body = "" // the IdP's auto-post page, not saved either
		st[1].Form = nil
		return st
	}
	f := find(lost.run(t), "capture.no_saml")
	if f == nil {
		t.Fatal("no capture.no_saml")
	}
	var post *diagnose.Evidence
	for i, e := range f.Evidence {
		if strings.Contains(e.What, "without its form body") {
			post = &f.Evidence[i]
		}
	}
	if post == nil || !strings.Contains(post.Where, "entry 1 (POST https://signin.aws.amazon.com/saml") {
		t.Fatalf("evidence does not point at the POST: %+v", f.Evidence)
	}
	if !strings.Contains(f.Detail, "AWS sign-in accepted the message") || !strings.Contains(f.Fix.Summary, "SAML-tracer") {
		t.Errorf("detail %q / fix %q", f.Detail, f.Fix.Summary)
	}

	late := base()
	late.steps = func(st []fixture.Step) []fixture.Step { return st[2:] }
	f = find(late.run(t), "capture.no_saml")
	if f == nil {
		t.Fatal("no capture.no_saml")
	}
	for _, e := range f.Evidence {
		if strings.Contains(e.What, "without its form body") {
			t.Errorf("a capture without the POST blames a missing body: %+v", e)
		}
	}
	if !strings.Contains(f.Fix.Summary, "Capture the whole sign-in again") {
		t.Errorf("fix %q", f.Fix.Summary)
	}
}

func TestHealthySignInHasNoError(t *testing.T) {
	s := base()
	s.outcome = fixture.Success
	s.resp.SignResponse = true
	s.aws = map[string]string{
		"u.json":   usersJSON(rsn, "john.smith@example.com"),
		"i.json":   instanceJSON("SAML"),
		"iam.json": authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region)),
		"p.json":   js(map[string]any{"SAMLProviderList": []any{map[string]string{"Arn": fixture.DefaultProvider}}}),
		"sp.json":  providerJSON(fixture.DefaultIssuer, fixture.TestKey().DER),
		"ct.json":  eventsJSON("ConnectAgents", "AROAYZ2EXAMPLE5AGENT"),
	}
	res := s.run(t)
	if res.HasErrors() || res.Outcome != "succeeded" {
		t.Errorf("outcome %s, findings %v", res.Outcome, ids(res))
	}
	for _, f := range res.Findings {
		if f.Severity == diagnose.Warning {
			t.Errorf("warning on a healthy sign-in: %s %s", f.ID, f.Title)
		}
	}
	if !strings.Contains(res.Verdict, "signed in to Amazon Connect") {
		t.Errorf("verdict = %q", res.Verdict)
	}
}

// The three errors of the Amazon Connect troubleshooting page, from the
// shipped examples: with the AWS data the root cause comes first with a
// fix that works; without it the symptom is named with the command that
// would settle it.
func TestSeedErrors(t *testing.T) {
	tests := []struct {
		name, symptom, cause, needs string
		fx, command                 []string
		verdict                     string
	}{
		{"not-onboarded", "connect.not_onboarded", "connect.username_case_mismatch", "needs.connect_users",
			[]string{`make the RoleSessionName attribute send "Jane.Doe@example.com"`},
			[]string{"aws connect list-users --region ap-southeast-2 --instance-id " + instance},
			"It has Jane.Doe@example.com, and user names are case sensitive."},
		{"access-denied", "connect.access_denied_admin", "iam.federation_token_denied", "needs.role_policies",
			[]string{"aws iam put-role-policy --role-name ConnectAgents --policy-name ConnectFederation --policy-document file://connect-federation.json",
				`"Resource": "arn:aws:connect:ap-southeast-2:111122223333:instance/` + instance + `/user/${aws:userid}"`, "Region us-east-1 → ap-southeast-2"},
			[]string{"aws iam get-role --role-name ConnectAgents > role.json", "aws iam list-role-policies --role-name ConnectAgents", "aws iam list-attached-role-policies --role-name ConnectAgents"},
			"but it names Region us-east-1, not ap-southeast-2: correct that statement"},
		{"bad-request", "connect.bad_request", "connect.role_changed", "needs.cloudtrail",
			[]string{"send the Role value arn:aws:iam::111122223333:role/ConnectAgentsLegacy,arn:aws:iam::111122223333:saml-provider/EntraID and no other"},
			[]string{"aws cloudtrail lookup-events --region ap-southeast-2 --lookup-attributes AttributeKey=EventName,AttributeValue=GetFederationToken"},
			"signed in to Connect before as role ConnectAgentsLegacy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readExample(t, tt.name+".har")
			res := diagnoseExample(t, c, tt.name)
			if len(res.Symptoms) != 1 || res.Symptoms[0].ID != tt.symptom {
				t.Fatalf("symptoms = %+v", res.Symptoms)
			}
			if res.Findings[0].ID != tt.cause || !contains(res.Findings[0].Explains, tt.symptom) {
				t.Fatalf("first finding %s explaining %v, want %s: %v", res.Findings[0].ID, res.Findings[0].Explains, tt.cause, ids(res))
			}
			fx := fixText(res.Findings[0].Fix)
			for _, want := range tt.fx {
				if !strings.Contains(fx, want) {
					t.Errorf("fix lacks %q:\n%s", want, fx)
				}
			}
			for _, bad := range []string{"—", "aws create-user", "REGION", "ACCOUNT-ID", "INSTANCE-ID"} {
				if strings.Contains(fx, bad) {
					t.Errorf("fix contains %q:\n%s", bad, fx)
				}
			}
			if !strings.Contains(res.Verdict, tt.verdict) {
				t.Errorf("verdict = %q, want it to say %q", res.Verdict, tt.verdict)
			}

			bare := diagnoseChecked(t, diagnose.Input{Capture: c})
			if len(bare.Symptoms) != 1 || bare.Symptoms[0].ID != tt.symptom {
				t.Fatalf("without AWS data, symptoms = %+v", bare.Symptoms)
			}
			n := find(bare, tt.needs)
			if n == nil {
				t.Fatalf("without AWS data, no %s: %v", tt.needs, ids(bare))
			}
			for _, want := range tt.command {
				if !strings.Contains(fixText(n.Fix), want) {
					t.Errorf("%s lacks %q:\n%s", tt.needs, want, fixText(n.Fix))
				}
			}
			if bare.HasErrors() {
				t.Errorf("without AWS data nothing is known to be wrong, yet: %v", ids(bare))
			}
		})
	}
}

// diagnoseChecked runs a diagnosis and checks what every finding of every
// test owes its reader: evidence, each piece saying what and where it was
// seen, and a fix when it is an error.
func diagnoseChecked(t *testing.T, in diagnose.Input) *diagnose.Result {
	t.Helper()
	res := diagnose.Run(in)
	checkAgainstCatalog(t, res)
	for _, f := range res.Findings {
		if len(f.Evidence) == 0 {
			t.Errorf("%s has no evidence", f.ID)
		}
		for _, e := range f.Evidence {
			if e.What == "" || e.Where == "" {
				t.Errorf("%s: evidence %+v says not what or where it was seen", f.ID, e)
			}
		}
		if f.Severity == diagnose.Error && (f.Fix == nil || f.Fix.Summary == "") && !explainedByFix(res, &f) {
			t.Errorf("%s: an error without a fix", f.ID)
		}
	}
	return res
}

func fixText(f *diagnose.Fix) string {
	if f == nil {
		return ""
	}
	out := append([]string{f.Summary, report.Render(*f).IdP}, report.Render(*f).Commands...)
	for _, file := range report.Render(*f).Files {
		out = append(out, file.Content)
	}
	return strings.Join(append(out, report.Render(*f).Steps...), "\n")
}

// diagnoseExample diagnoses a shipped example capture with its AWS data.
func diagnoseExample(t *testing.T, c *capture.Capture, name string) *diagnose.Result {
	t.Helper()
	set := evidence.NewSet()
	if err := set.LoadPaths([]string{filepath.Join("..", "..", "examples", "aws-data", name)}); err != nil {
		t.Fatal(err)
	}
	return diagnoseChecked(t, diagnose.Input{Capture: c, AWS: set})
}

func readExample(t *testing.T, name string) *capture.Capture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read(name, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

// HAR files written by Firefox and Chromium themselves
// (internal/capture/testdata, made by tools/firefoxhar and
// tools/chromehar) with the not-onboarded AWS data: the same root cause as
// the shipped Chrome-style example, the IdP recognised, both signatures
// verified against the provider that holds the recording's certificate.
func TestRealBrowserCaptures(t *testing.T) {
	for _, browser := range []string{"firefox", "chromium"} {
		t.Run(browser, func(t *testing.T) {
			dir := filepath.Join("..", "capture", "testdata", browser)
			name := filepath.Join(dir, "not-onboarded.har")
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			r := signin.NewReader(capture.Options{})
			if err := r.Read(name, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
			paths := []string{filepath.Join(dir, "not-onboarded.saml-provider.json")}
			for _, f := range []string{"iam.json", "instance.json", "jane.json", "saml-providers.json", "users.json"} {
				paths = append(paths, filepath.Join("..", "..", "examples", "aws-data", "not-onboarded", f))
			}
			set := evidence.NewSet()
			if err := set.LoadPaths(paths); err != nil {
				t.Fatal(err)
			}
			res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
			if len(res.Findings) == 0 || res.Findings[0].ID != "connect.username_case_mismatch" {
				t.Fatalf("findings %v", ids(res))
			}
			if res.IdP.Product != "entra" {
				t.Errorf("IdP %s (%s)", res.IdP.Product, res.IdP.Reason)
			}
			if len(res.Signatures) != 2 {
				t.Errorf("%d signatures, want the Response's and the Assertion's", len(res.Signatures))
			}
			for _, v := range res.Signatures {
				if v.Status != "valid" {
					t.Errorf("signature on %s: %s %s", v.Covers, v.Status, v.Detail)
				}
			}
		})
	}
}

// Every signature-wrapping response in the corpus is flagged, whatever
// certificate it is checked with.
func TestCorpusXSWIsFlagged(t *testing.T) {
	dir := fixture.CorpusDir(t)
	for _, f := range []string{"crewjam-saml/TestXswPermutationOneIsRejected_response.b64", "crewjam-saml/TestXswPermutationThreeIsRejected_response.b64",
		"crewjam-saml/TestXswPermutationSevenIsRejected_response.b64", "python3-saml/invalids_signature_wrapping_attack.xml.base64",
		"crewjam-saml/TestXswPermutationTwoIsRejected_response.b64", "crewjam-saml/TestXswPermutationFourIsRejected_response.b64",
		"crewjam-saml/TestXswPermutationFiveIsRejected_response.b64", "crewjam-saml/TestXswPermutationSixIsRejected_response.b64",
		"crewjam-saml/TestXswPermutationEightIsRejected_response.b64", "crewjam-saml/TestXswPermutationNineIsRejected_response.b64",
		"crewjam-saml/TestSPMultipleAssertions.xml"} {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			r := signin.NewReader(capture.Options{})
			if err := r.Read(f, bytes.NewReader(b)); err != nil {
				t.Fatal(err)
			}
			res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish()})
			if f := find(res, "saml.signature_wrapping"); f == nil || f.Severity != diagnose.Error {
				t.Errorf("not flagged: %v", ids(res))
			}
		})
	}
	// A genuine signed response is not.
	b, err := os.ReadFile(filepath.Join(dir, "python3-saml/valid_response.xml.base64"))
	if err != nil {
		t.Fatal(err)
	}
	r := signin.NewReader(capture.Options{})
	r.Read("valid", bytes.NewReader(b))
	if res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish()}); find(res, "saml.signature_wrapping") != nil || find(res, "saml.signature_invalid") != nil {
		t.Errorf("a valid response flagged: %v", ids(res))
	}
}

func TestEncryptedAssertion(t *testing.T) {
	sp := fixture.NewKey("IAM SAML provider encryption key", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
	wrong := fixture.NewKey("another key", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
	xml := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time.Second), SignAssertion: true, SignResponse: true, EncryptFor: sp}.XML()
	har := fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded))
	run := func(key *fixture.Key, aws ...string) *diagnose.Result {
		opts := capture.Options{}
		if key != nil {
			opts.SPKey = key.Private
		}
		r := signin.NewReader(opts)
		if err := r.Read("enc.har", bytes.NewReader(har)); err != nil {
			t.Fatal(err)
		}
		set := evidence.NewSet()
		set.Load("u.json", []byte(usersJSON("Jane.Doe@example.com")))
		for i, a := range aws {
			if err := set.Load(fmt.Sprintf("aws%d.json", i), []byte(a)); err != nil {
				t.Fatal(err)
			}
		}
		return diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
	}
	// Without the key: what can and cannot be checked.
	res := run(nil)
	if f := find(res, "saml.encrypted"); f == nil || f.Severity != diagnose.Info {
		t.Fatalf("without a key: %v", ids(res))
	}
	// With the key: decrypted and diagnosed as usual; both signatures
	// (the Response's over the encrypted form, the assertion's over the
	// plaintext) verify.
	res = run(sp)
	if find(res, "saml.encrypted") != nil || res.Findings[0].ID != "connect.username_case_mismatch" {
		t.Fatalf("with the key: %v", ids(res))
	}
	if len(res.Signatures) != 2 {
		t.Fatalf("signatures: %+v", res.Signatures)
	}
	for _, v := range res.Signatures {
		if v.Status != "valid-embedded-only" {
			t.Errorf("signature on %s: %s %s %s", v.Covers, v.Status, v.Reason, v.Detail)
		}
	}
	// The provider holds no private key: IAM cannot decrypt. With a key
	// listed, or the list not in the output, nothing is said.
	for _, tt := range []struct {
		provider string
		want     bool
	}{
		{providerWith(map[string]any{"AssertionEncryptionMode": "Required", "SAMLProviderUUID": providerID, "PrivateKeyList": []any{}}), true},
		{providerWith(map[string]any{"AssertionEncryptionMode": "Required", "SAMLProviderUUID": providerID, "PrivateKeyList": []any{map[string]any{"KeyId": "AKFOOBAR1234567890", "Timestamp": "2024-03-11T09:30:00Z"}}}), false},
		{providerWith(map[string]any{"SAMLProviderUUID": providerID}), false},
	} {
		res = run(sp, tt.provider)
		if got := find(res, "iam.no_decryption_key") != nil; got != tt.want {
			t.Errorf("provider %s: iam.no_decryption_key %v, want %v: %v", tt.provider[:80], got, tt.want, ids(res))
		}
		// Posted to the shared endpoint, not the provider's own URL.
		if f := find(res, "iam.provider_signin_url"); f == nil || !strings.Contains(f.Fix.Summary, "/saml/acs/"+providerID) {
			t.Errorf("encrypted assertion at the shared endpoint: %v", ids(res))
		}
	}
	// With the wrong key: an error that says so.
	res = run(wrong)
	// An error; a warning here, since the capture shows AWS decrypted it
	// (Connect answered), so only the key given is wrong.
	if f := find(res, "saml.encrypted"); f == nil || f.Severity != diagnose.Warning || !strings.Contains(f.Downgraded, "passed this stage") {
		t.Fatalf("with the wrong key: %v", ids(res))
	}
}

// signin.SubjectOf finds the sign-in a diagnosis would judge, without judging it.
func TestSubjectOf(t *testing.T) {
	c := readExample(t, "bad-request.har")
	s := signin.SubjectOf(c)
	full := diagnose.Run(diagnose.Input{Capture: c}).Subject
	if s == nil || *s != *full || s.RoleSessionName != rsn || s.InstanceID != instance || s.Region != region {
		t.Errorf("SubjectOf %+v, the diagnosis's %+v", s, full)
	}
	r := signin.NewReader(capture.Options{})
	r.Read("empty.har", strings.NewReader(`{"log":{"entries":[]}}`))
	if signin.SubjectOf(r.Finish()) != nil {
		t.Error("a subject without a SAMLResponse")
	}
}

// explainedByFix reports whether a finding without a fix of its own is
// explained by an earlier finding that has one (the same change).
func explainedByFix(res *diagnose.Result, f *diagnose.Finding) bool {
	if f.ExplainedBy == "" {
		return false
	}
	for i := range res.Findings {
		g := &res.Findings[i]
		if g == f || g.ID == f.ID && g.Title == f.Title {
			return false // not earlier
		}
		if g.ID == f.ExplainedBy {
			return g.Fix != nil && g.Fix.Summary != ""
		}
	}
	return false
}
