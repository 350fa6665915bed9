package audit_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

var now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

const instance = fixture.DefaultInstance

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func provider(arn string, keys ...*fixture.Key) string {
	var certs []string
	for _, k := range keys {
		certs = append(certs, fmt.Sprintf(`<KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`, base64.StdEncoding.EncodeToString(k.DER)))
	}
	md := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/t/"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
		strings.Join(certs, "") + `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/t/saml2"/></IDPSSODescriptor></EntityDescriptor>`
	return js(map[string]any{"SAMLMetadataDocument": md, "SAMLProviderArn": arn, "CreateDate": "2024-03-11T09:30:00Z", "ValidUntil": "2124-03-11T09:30:00Z"})
}

func users(names ...string) string {
	var l []map[string]string
	for i, n := range names {
		id := fmt.Sprintf("%08d-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
		l = append(l, map[string]string{"Id": id, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance + "/agent/" + id, "Username": n})
	}
	return js(map[string]any{"UserSummaryList": l})
}

func load(t *testing.T, files map[string]string) *evidence.Set {
	t.Helper()
	s := evidence.NewSet()
	for n, d := range files {
		if err := s.Load(n, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func find(res *audit.Result, id string) *audit.Finding {
	for i := range res.Findings {
		if res.Findings[i].ID == id {
			return &res.Findings[i]
		}
	}
	return nil
}

// wantAffects checks that each finding id of want is there and affects
// exactly its names.
func wantAffects(t *testing.T, res *audit.Result, want map[string][]string) {
	t.Helper()
	for id, w := range want {
		f := find(res, id)
		if f == nil {
			t.Errorf("no %s", id)
			continue
		}
		if got := names(f); !slices.Equal(got, w) {
			t.Errorf("%s affects %v, want %v", id, got, w)
		}
	}
}

func names(f *audit.Finding) []string {
	var out []string
	for _, a := range f.Affected {
		out = append(out, a.Name)
	}
	return out
}

// Signing certificates: expiring within 30 days is a warning, expired an
// error, unless another certificate of the provider stays valid (a
// rollover); one valid for 60 more days is quiet.
func TestCertificates(t *testing.T) {
	day := 24 * time.Hour
	soon := fixture.NewKey("Soon", now.Add(-300*day), now.Add(10*day))
	gone := fixture.NewKey("Gone", now.Add(-300*day), now.Add(-2*day))
	fine := fixture.NewKey("Fine", now.Add(-300*day), now.Add(60*day))
	for _, c := range []struct {
		name string
		keys []*fixture.Key
		want string // severity, "" for none
	}{
		{"expiring", []*fixture.Key{soon}, diagnose.Warning},
		{"expired", []*fixture.Key{gone}, diagnose.Error},
		{"expired beside a valid one", []*fixture.Key{gone, fine}, diagnose.Warning},
		{"valid", []*fixture.Key{fine}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := audit.Run(audit.Input{AWS: load(t, map[string]string{"p.json": provider("arn:aws:iam::111122223333:saml-provider/EntraID", c.keys...)}), Now: now})
			f := find(res, "iam.cert_expiring")
			if c.want == "" {
				if f != nil {
					t.Errorf("reported: %s", f.Title)
				}
				return
			}
			if f == nil || f.Severity != c.want || !strings.Contains(report.Render(*f.Fix).Commands[0], "--saml-provider-arn arn:aws:iam::111122223333:saml-provider/EntraID") || f.Affected[0].Kind != "saml-provider" {
				t.Fatalf("%+v", f)
			}
			if res.Failed() != (c.want == diagnose.Error) {
				t.Errorf("failed %v", res.Failed())
			}
		})
	}
}

// The IdP's users against the Connect users.
func TestUsers(t *testing.T) {
	aws := load(t, map[string]string{
		"users.json":    users("Jane.Doe@example.com", "john.smith@example.com", "JOHN.SMITH@example.com", "old.agent@example.com"),
		"instance.json": js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance, "IdentityManagementType": "SAML"}}),
	})
	csv := "id,userPrincipalName,displayName,mail\n" +
		"1,jane.doe@example.com,Jane Doe,jane.doe@example.com\n" +
		"2,john.smith@example.com,John Smith,john.smith@example.com\n" +
		"3,new.agent@example.com,New Agent,\n" +
		"4,x,X,\n"
	u, err := audit.ReadIdPUsers("entra.csv", strings.NewReader(csv), "", "none")
	if err != nil || u.Format != "entra" || u.Field != "userPrincipalName" || len(u.Users) != 4 {
		t.Fatalf("%v %+v", err, u)
	}
	res := audit.Run(audit.Input{AWS: aws, IdPUsers: u, Now: now})
	want := map[string][]string{
		"connect.username_case_mismatch": {"jane.doe@example.com"},
		"connect.user_not_found":         {"new.agent@example.com"},
		"aws.session_name_invalid":       {"x"},
		"connect.duplicate_users":        {"john.smith@example.com", "JOHN.SMITH@example.com"},
		"connect.user_without_idp_user":  {"JOHN.SMITH@example.com", "old.agent@example.com"},
	}
	wantAffects(t, res, want)
	if find(res, "connect.instance_not_saml") != nil || len(res.Findings) != len(want) {
		var ids []string
		for _, f := range res.Findings {
			ids = append(ids, f.ID)
		}
		t.Errorf("findings %v", ids)
	}
	if res.Summary.Errors != 2 || res.Summary.AgentsAtRisk != 2 || res.Findings[0].Severity != diagnose.Error {
		t.Errorf("summary %+v", res.Summary)
	}
	// Every Connect user is the lower-case form of what the IdP sends: the
	// fix is the lower-case transformation.
	if f := find(res, "connect.username_case_mismatch"); strings.Contains(f.Fix.Summary, "lower-case transformation") {
		t.Errorf("a lower-case transformation proposed for Jane.Doe: %s", f.Fix.Summary)
	}
	lowered, _ := audit.ReadIdPUsers("entra.csv", strings.NewReader(csv), "", "lower")
	if res := audit.Run(audit.Input{AWS: aws, IdPUsers: lowered, Now: now}); find(res, "connect.username_case_mismatch") == nil {
		t.Error("lower-cased names still differ from Jane.Doe only by case: want the mismatch")
	}
}

// The lower-case transformation a case mismatch calls for is checked on
// every IdP user: it fixes the agents it is for, and names the agent it
// would stop, who signs in today under a name with capitals.
func TestCaseFixChecked(t *testing.T) {
	aws := load(t, map[string]string{"users.json": users("jane.doe@example.com", "Mary.Major@example.com")})
	csv := "userPrincipalName\nJane.Doe@example.com\nMary.Major@example.com\n"
	u, _ := audit.ReadIdPUsers("entra.csv", strings.NewReader(csv), "", "none")
	f := find(audit.Run(audit.Input{AWS: aws, IdPUsers: u, Now: now}), "connect.username_case_mismatch")
	if f == nil || !strings.Contains(f.Fix.Summary, "lower-case transformation") {
		t.Fatalf("%+v", f)
	}
	if ck := f.Fix.Check; ck.Result != fix.Passes || len(ck.Breaks) != 1 || !strings.Contains(ck.Breaks[0], `"mary.major@example.com"`) || !strings.Contains(ck.Breaks[0], "entra.csv line 3") {
		t.Errorf("check %+v", ck)
	}
	// Without Mary, it breaks no one.
	u, _ = audit.ReadIdPUsers("entra.csv", strings.NewReader("userPrincipalName\nJane.Doe@example.com\n"), "", "none")
	if ck := find(audit.Run(audit.Input{AWS: aws, IdPUsers: u, Now: now}), "connect.username_case_mismatch").Fix.Check; ck.Result != fix.Passes || len(ck.Breaks) != 0 {
		t.Errorf("check %+v", ck)
	}
}

// Without the whole user list, a name not found is not said to be absent.
func TestUsersPartialList(t *testing.T) {
	aws := load(t, map[string]string{"search.json": js(map[string]any{"Users": []any{}, "ApproximateTotalCount": 0})})
	u, _ := audit.ReadIdPUsers("entra.csv", strings.NewReader("userPrincipalName\nnew.agent@example.com\n"), "", "none")
	if res := audit.Run(audit.Input{AWS: aws, IdPUsers: u, Now: now}); find(res, "connect.user_not_found") != nil {
		t.Error("user_not_found from a search that named no one")
	}
}

// The exports recognised by their header, and the others.
func TestReadIdPUsers(t *testing.T) {
	for _, c := range []struct {
		name, data, field, format, column, first string
		err                                      string
	}{
		{"okta", "Username,First name,Last name,Primary email,Status\njane.doe@example.com,Jane,Doe,jane@example.com,ACTIVE\n", "", "okta", "Username", "jane.doe@example.com", ""},
		{"google", "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]\nJane,Doe,jane.doe@example.com,Active\n", "", "google", "Email Address [Required]", "jane.doe@example.com", ""},
		{"entra with BOM", "\ufeffuserPrincipalName,displayName\njane.doe@example.com,Jane Doe\n", "", "entra", "\ufeffuserPrincipalName", "jane.doe@example.com", ""},
		{"other csv, named", "login,name\njdoe,Jane\n", "login", "csv", "login", "jdoe", ""},
		{"other csv", "login,name\njdoe,Jane\n", "", "", "", "", "name the column with --session-name-field"},
		{"json", `[{"login":"jdoe"},{"login":"asmith"}]`, "login", "json", "login", "jdoe", ""},
		{"json without field", `[{"login":"jdoe"}]`, "", "", "", "", "needs --session-name-field"},
		{"bad quote", "userPrincipalName\n\"jane\n", "", "", "", "", "line 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := audit.ReadIdPUsers("users", strings.NewReader(c.data), c.field, "none")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "users: ") {
					t.Errorf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || u.Format != c.format || u.Field != c.column || u.Users[0].SessionName != c.first {
				t.Errorf("%v %+v", err, u)
			}
		})
	}
	if _, err := audit.ReadIdPUsers("u", strings.NewReader("a\nb\n"), "a", "upper"); err == nil {
		t.Error("an unknown transform accepted")
	}
}

// CloudTrail's records: failures grouped under their cause, agents bound
// to one role who now sign in with another.
func TestTrail(t *testing.T) {
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	role := func(n string) string { return "arn:aws:iam::111122223333:role/" + n }
	arw := func(agent, r, code, msg string, m int) *evidence.Event {
		return &evidence.Event{Name: "AssumeRoleWithSAML", Source: "sts.amazonaws.com", RoleSessionName: agent, Username: agent, RoleARN: r, ErrorCode: code, ErrorMsg: msg, Time: at(m)}
	}
	gft := func(agent, r, code string, m int) *evidence.Event {
		return &evidence.Event{Name: "GetFederationToken", Source: "connect.amazonaws.com", IdentityARN: "arn:aws:sts::111122223333:assumed-role/" + strings.TrimPrefix(r, "arn:aws:iam::111122223333:role/") + "/" + agent, SessionIssuerARN: r, ErrorCode: code, Time: at(m)}
	}
	// Two workers' aggregates, merged.
	w1, w2 := audit.NewTrail(), audit.NewTrail()
	for _, e := range []*evidence.Event{
		arw("ann", role("ConnectAgents"), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 1),
		gft("bob", role("ConnectAgents"), "AccessDeniedException", 2),
		arw("cat", role("ConnectAgents"), "SomethingNewException", "Something new", 3),
		// dan was bound to ConnectAgents, and now signs in with ConnectAgentsV2.
		gft("dan", role("ConnectAgents"), "", 4),
		arw("dan", role("ConnectAgentsV2"), "", "", 50),
		// eve: the same role; fay: a new role before her first federation.
		gft("eve", role("ConnectAgents"), "", 5),
		arw("eve", role("ConnectAgents"), "", "", 51),
		arw("fay", role("ConnectAgentsV2"), "", "", 1),
		gft("fay", role("ConnectAgents"), "", 6),
		// hal: bound to ConnectAgents, federates later with ConnectAgentsV2
		// (no AssumeRoleWithSAML record read).
		gft("hal", role("ConnectAgents"), "", 7),
		gft("hal", role("ConnectAgentsV2"), "", 60),
	} {
		w1.Add(e)
	}
	// ivy: a record that disagrees with itself (lookup-events' Username
	// says eve, its session is ivy's): the session is the agent.
	mixed := gft("ivy", role("ConnectAgents"), "", 8)
	mixed.Username = "eve"
	w1.Add(mixed)
	w1.Add(arw("ivy", role("ConnectAgentsV2"), "", "", 70))
	w2.Add(arw("gus", role("ConnectAgents"), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 0))
	w1.Merge(w2)
	res := audit.Run(audit.Input{Trail: w1, Now: now})
	want := map[string][]string{
		"iam.trust_policy_denies":     {"ann", "gus"},
		"iam.federation_token_denied": {"bob"},
		"trail.unexplained_failure":   {"cat"},
		"connect.role_changed":        {"dan", "hal", "ivy"},
	}
	wantAffects(t, res, want)
	if len(res.Findings) != len(want) {
		t.Errorf("%d findings", len(res.Findings))
	}
	f := find(res, "iam.trust_policy_denies")
	if !strings.Contains(f.Title, "2 sign-ins failed AssumeRoleWithSAML with AccessDenied (role ConnectAgents): 2 agents, from 2026-11-29T09:00:00Z to 2026-11-29T09:01:00Z") {
		t.Errorf("title %q", f.Title)
	}
	if res.Summary.FailedSignIns != 4 || res.Summary.FailedAgents != 4 || res.Summary.AgentsAtRisk != 3 {
		t.Errorf("summary %+v", res.Summary)
	}
}

// Every error AWS documents for AssumeRoleWithSAML (STS API reference,
// Errors) and Connect's GetFederationToken (Connect API reference,
// Errors), and the messages CloudTrail records with them, has its cause;
// trail.unexplained_failure is left for the truly unknown.
func TestFailureRules(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/ConnectAgents"
	for _, c := range []struct {
		event, code, msg, id, severity string
	}{
		// STS AssumeRoleWithSAML's documented errors.
		{"AssumeRoleWithSAML", "ExpiredToken", "Token expired", "saml.expired", diagnose.Error},
		{"AssumeRoleWithSAML", "ExpiredTokenException", "", "saml.expired", diagnose.Error},
		{"AssumeRoleWithSAML", "IDPRejectedClaim", "The identity provider reported that authentication failed", "saml.status_failed", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "Something AWS checked", "trail.assertion_invalid", diagnose.Error},
		{"AssumeRoleWithSAML", "MalformedPolicyDocument", "Session tag key is invalid", "trail.policy_malformed", diagnose.Error},
		{"AssumeRoleWithSAML", "PackedPolicyTooLarge", "Packed policy consumes 112% of allotted space", "trail.session_tags_too_large", diagnose.Error},
		{"AssumeRoleWithSAML", "RegionDisabledException", "STS is not activated in this region for account:111122223333", "trail.region_disabled", diagnose.Error},
		// What CloudTrail records, by message.
		{"AssumeRoleWithSAML", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", "iam.trust_policy_denies", diagnose.Error},
		{"AssumeRoleWithSAML", "AccessDenied", "Not authorized to perform sts:TagSession", "iam.trust_policy_denies", diagnose.Error},
		{"AssumeRoleWithSAML", "AccessDenied", "", "iam.trust_policy_denies", diagnose.Error},
		{"AssumeRoleWithSAML", "AuthSamlAssertionReplayedException", "", "trail.assertion_replayed", diagnose.Warning},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "The SAML assertion was already used", "trail.assertion_replayed", diagnose.Warning},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "Issuer not present in specified provider", "iam.issuer_mismatch", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "Response signature invalid", "iam.cert_not_in_provider", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "RoleSessionName is required in AuthnResponse", "aws.session_name_missing", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "RoleSessionName in AuthnResponse must match [\\w+=,.@-]*", "aws.session_name_invalid", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "Specified provider doesn't exist", "iam.provider_not_found", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "The SAML assertion is not yet valid", "saml.not_yet_valid", diagnose.Error},
		{"AssumeRoleWithSAML", "InvalidIdentityToken", "Assertion has expired", "saml.expired", diagnose.Error},
		// Connect GetFederationToken's documented errors.
		{"GetFederationToken", "AccessDeniedException", "User is not authorized to access this resource", "iam.federation_token_denied", diagnose.Error},
		{"GetFederationToken", "DuplicateResourceException", "A resource with the specified name already exists", "connect.duplicate_users", diagnose.Error},
		{"GetFederationToken", "InternalServiceException", "", "trail.service_error", diagnose.Warning},
		{"GetFederationToken", "InvalidParameterException", "One or more of the specified parameters are not valid", "aws.relay_state_invalid", diagnose.Error},
		{"GetFederationToken", "InvalidRequestException", "The request is not valid", "trail.federation_request_invalid", diagnose.Error},
		{"GetFederationToken", "ResourceNotFoundException", "The specified resource was not found", "connect.instance_not_found", diagnose.Error},
		{"GetFederationToken", "ResourceNotFoundException", "User not found", "connect.user_not_found", diagnose.Error},
		{"GetFederationToken", "UserNotFoundException", "No user with the specified credentials was found", "connect.user_not_found", diagnose.Error},
		// The unknown stays unexplained.
		{"AssumeRoleWithSAML", "ThrottlingException", "Rate exceeded", "trail.unexplained_failure", diagnose.Error},
		{"GetFederationToken", "SomethingNewException", "", "trail.unexplained_failure", diagnose.Error},
	} {
		t.Run(c.code+" "+c.msg, func(t *testing.T) {
			tr := audit.NewTrail()
			e := &evidence.Event{Name: c.event, ErrorCode: c.code, ErrorMsg: c.msg, Time: now, RoleSessionName: "ann", RoleARN: role}
			if c.event == "GetFederationToken" {
				e.RoleARN, e.IdentityARN, e.SessionIssuerARN = "", "arn:aws:sts::111122223333:assumed-role/ConnectAgents/ann", role
			}
			tr.Add(e)
			res := audit.Run(audit.Input{Trail: tr, Now: now})
			if len(res.Findings) != 1 {
				t.Fatalf("%+v", res.Findings)
			}
			f := res.Findings[0]
			if f.ID != c.id || f.Severity != c.severity || len(f.Affected) != 1 || f.Affected[0].Name != "ann" {
				t.Errorf("%s %s: %s, want %s %s", f.ID, f.Severity, f.Title, c.id, c.severity)
			}
			if _, ok := catalog.Lookup(f.ID); !ok {
				t.Errorf("%s is not in the catalog", f.ID)
			}
			if f.Fix == nil || f.Fix.Summary == "" || !strings.HasPrefix(f.Detail, "CloudTrail recorded these failures: ") || len(f.Detail) < 60 {
				t.Errorf("no cause or fix: %+v", f)
			}
		})
	}
}

// The IdP's current metadata against the providers that trust it: a new
// certificate IAM lacks is said; one it holds, an expired one, or a
// provider of another IdP, are not.
func TestMetadataAgainstProviders(t *testing.T) {
	day := 24 * time.Hour
	old := fixture.NewKey("Old", now.Add(-300*day), now.Add(300*day))
	next := fixture.NewKey("Next", now.Add(-day), now.Add(700*day))
	gone := fixture.NewKey("Gone", now.Add(-700*day), now.Add(-day))
	md := func(keys ...*fixture.Key) *evidence.Metadata {
		var certs []string
		for _, k := range keys {
			certs = append(certs, fmt.Sprintf(`<KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`, base64.StdEncoding.EncodeToString(k.DER)))
		}
		m, err := assertion.ParseMetadata([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sts.windows.net/t/"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
			strings.Join(certs, "") + `</IDPSSODescriptor></EntityDescriptor>`))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, c := range []struct {
		name string
		idp  []*fixture.Key
		want bool
	}{
		{"rollover: a new certificate", []*fixture.Key{old, next}, true},
		{"the same certificate", []*fixture.Key{old}, false},
		{"an expired one the provider lacks", []*fixture.Key{old, gone}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			set := load(t, map[string]string{"p.json": provider("arn:aws:iam::111122223333:saml-provider/EntraID", old)})
			set.IdPMetadata = md(c.idp...)
			f := find(audit.Run(audit.Input{AWS: set, Now: now}), "iam.cert_not_in_provider")
			if (f != nil) != c.want {
				t.Fatalf("found %v, want %v", f != nil, c.want)
			}
			if f != nil && (!strings.Contains(f.Evidence[0].Value, "CN=Next") || !strings.Contains(report.Render(*f.Fix).Commands[0], "saml-provider/EntraID")) {
				t.Errorf("%+v", f)
			}
		})
	}
}

// A provider that requires encryption and holds no key fails every
// sign-in; one with a key, or that only allows it, is quiet.
func TestEncryptionKeys(t *testing.T) {
	for _, c := range []struct {
		mode string
		keys []any
		want bool
	}{{"Required", []any{}, true}, {"Required", []any{map[string]any{"KeyId": "k1", "Timestamp": "2026-01-01T00:00:00Z"}}, false}, {"Allowed", []any{}, false}} {
		p := js(map[string]any{"SAMLMetadataDocument": `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"/>`, "SAMLProviderArn": "arn:aws:iam::111122223333:saml-provider/EntraID",
			"AssertionEncryptionMode": c.mode, "PrivateKeyList": c.keys, "SAMLProviderUUID": "SAMLSPD9IMTW2LM46J042K"})
		res := audit.Run(audit.Input{AWS: load(t, map[string]string{"p.json": p}), Now: now})
		if got := find(res, "iam.no_decryption_key") != nil; got != c.want {
			t.Errorf("%s with %d keys: found %v", c.mode, len(c.keys), got)
		}
	}
}

// One person with two Connect users (describe-user's IdentityInfo).
func TestTwoUsersOnePerson(t *testing.T) {
	du := func(id, name, first, last, email string) string {
		return js(map[string]any{"User": map[string]any{"Id": id, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance + "/agent/" + id, "Username": name,
			"IdentityInfo": map[string]any{"FirstName": first, "LastName": last, "Email": email}}})
	}
	res := audit.Run(audit.Input{Now: now, AWS: load(t, map[string]string{
		"a.json": du("1", "jane.doe@example.com", "Jane", "Doe", ""),
		"b.json": du("2", "jdoe@example.com", "Jane", "Doe", ""),
		"c.json": du("3", "jane.smith@example.com", "Jane", "Smith", ""),
	})})
	f := find(res, "idp.multiple_profiles")
	if f == nil || !slices.Equal(names(f), []string{"jane.doe@example.com", "jdoe@example.com"}) {
		t.Fatalf("%+v", f)
	}
}

// The query for AWS's engines, and its result read back: the same
// findings as from the log files.
func TestTrailSQLAndResult(t *testing.T) {
	since := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	q, err := audit.TrailSQL("athena", "", since)
	// Athena's table is AWS's with partition projection: the window's
	// partitions only, and the header says what that scans.
	if err != nil || !strings.Contains(q, "FROM cloudtrail_logs_pp") || !strings.Contains(q, "WHERE \"timestamp\" >= '2026/11/22'\n    AND eventtime >= '2026-11-22T00:00:00Z'") ||
		!strings.Contains(q, "json_extract_scalar(requestparameters, '$.roleArn')") || !strings.Contains(q, "-- Scans: the partitions of the ") || !strings.Contains(q, "'federated'") {
		t.Errorf("athena: %v\n%s", err, q)
	}
	q, err = audit.TrailSQL("cloudtrail-lake", "eds-1234", since)
	if err != nil || !strings.Contains(q, "FROM eds-1234") || !strings.Contains(q, "WHERE eventTime >= '2026-11-22T00:00:00Z'") || strings.Contains(q, "timestamp") || !strings.Contains(q, "element_at(requestParameters, 'roleArn')") {
		t.Errorf("lake: %v\n%s", err, q)
	}
	if _, err := audit.TrailSQL("cloudtrail-lake", "", since); err == nil {
		t.Error("lake without a data store")
	}
	if _, err := audit.TrailSQL("bigquery", "", since); err == nil {
		t.Error("an unknown engine")
	}
	// Athena writes every value quoted, with a header.
	result := `"kind","eventname","errorcode","role","agent","failures","first","last","message"
"failure","AssumeRoleWithSAML","AccessDenied","arn:aws:iam::111122223333:role/ConnectAgents","ann","2","2026-11-29T09:01:00Z","2026-11-29T09:05:00Z","Not authorized to perform sts:AssumeRoleWithSAML"
"failure","AssumeRoleWithSAML","AccessDenied","arn:aws:iam::111122223333:role/ConnectAgents","gus","1","2026-11-29T09:00:00Z","2026-11-29T09:00:00Z","Not authorized to perform sts:AssumeRoleWithSAML"
"failure","GetFederationToken","AccessDeniedException","arn:aws:iam::111122223333:role/ConnectAgents","bob","1","2026-11-29 09:02:00.000","2026-11-29 09:02:00.000",""
"bound","GetFederationToken","","arn:aws:iam::111122223333:role/ConnectAgents","dan","0","2026-11-29T09:04:00Z","2026-11-29T09:04:00Z",""
"latest","AssumeRoleWithSAML","","arn:aws:iam::111122223333:role/ConnectAgentsV2","dan","0","2026-11-29T09:50:00Z","2026-11-29T09:50:00Z",""
"bound","GetFederationToken","","arn:aws:iam::111122223333:role/ConnectAgents","eve","0","2026-11-29T09:05:00Z","2026-11-29T09:05:00Z",""
"latest","AssumeRoleWithSAML","","arn:aws:iam::111122223333:role/ConnectAgents","eve","0","2026-11-29T09:51:00Z","2026-11-29T09:51:00Z",""
`
	tr, err := audit.ReadTrailResult("result.csv", strings.NewReader(result))
	if err != nil {
		t.Fatal(err)
	}
	res := audit.Run(audit.Input{Trail: tr, Now: now})
	for id, w := range map[string][]string{"iam.trust_policy_denies": {"ann", "gus"}, "iam.federation_token_denied": {"bob"}, "connect.role_changed": {"dan"}} {
		if f := find(res, id); f == nil || !slices.Equal(names(f), w) {
			t.Errorf("%s: %+v", id, f)
		}
	}
	if f := find(res, "iam.trust_policy_denies"); !strings.Contains(f.Title, "3 sign-ins failed") || res.Summary.FailedSignIns != 4 {
		t.Errorf("%s; summary %+v", f.Title, res.Summary)
	}
	for _, bad := range []string{"kind,eventname\nfailure,x\n", `"kind","eventname","errorcode","role","agent","failures","first","last","message"` + "\n" + `"failure","A","B","r","a","x","2026-11-29T09:00:00Z","2026-11-29T09:00:00Z",""` + "\n"} {
		if _, err := audit.ReadTrailResult("bad.csv", strings.NewReader(bad)); err == nil || !strings.HasPrefix(err.Error(), "bad.csv: ") {
			t.Errorf("err %v", err)
		}
	}
}

// CloudTrail's event history (lookup-events output, or --aws) is judged as
// the log files are.
func TestLookupEvents(t *testing.T) {
	rec := `{"eventName":"AssumeRoleWithSAML","eventSource":"sts.amazonaws.com","errorCode":"AccessDenied","errorMessage":"Not authorized to perform sts:AssumeRoleWithSAML","userIdentity":{"type":"SAMLUser","userName":"jane.doe@example.com"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ConnectAgents","roleSessionName":"jane.doe@example.com"}}`
	out := js(map[string]any{"Events": []any{map[string]any{"EventId": "e1", "EventName": "AssumeRoleWithSAML", "EventTime": "2026-11-28T09:00:00Z", "EventSource": "sts.amazonaws.com", "CloudTrailEvent": rec}}})
	res := audit.Run(audit.Input{AWS: load(t, map[string]string{"events.json": out}), Now: now})
	if f := find(res, "iam.trust_policy_denies"); f == nil || !slices.Equal(names(f), []string{"jane.doe@example.com"}) || res.Summary.FailedSignIns != 1 {
		t.Errorf("%+v; %+v", f, res.Summary)
	}
}

func TestInferSessionName(t *testing.T) {
	csv := "id,upn,mail\n1,jdoe@corp.example.com,Jane.Doe@example.com\n2,asmith@corp.example.com,a.smith@example.com\n"
	for _, c := range []struct{ rsn, field, transform string }{
		{"a.smith@example.com", "mail", "none"},
		{"jane.doe@example.com", "mail", "lower"},
		{"jdoe@corp.example.com", "upn", "none"},
	} {
		f, tr, _, err := audit.InferSessionName(strings.NewReader(csv), c.rsn)
		if err != nil || f != c.field || tr != c.transform {
			t.Errorf("%s: %s %s %v", c.rsn, f, tr, err)
		}
	}
	if _, _, _, err := audit.InferSessionName(strings.NewReader(csv), "nobody@example.com"); err == nil {
		t.Error("inferred from no row")
	}
}

// Every role that trusts a SAML provider, judged for every instance as
// diagnose judges a sign-in's role: the near miss named, the statement
// corrected in place; a role whose policies allow it is quiet.
func TestRolesFederation(t *testing.T) {
	for _, c := range []struct {
		example string
		want    bool
	}{{"access-denied", true}, {"not-onboarded", false}} {
		set := evidence.NewSet()
		if err := set.LoadPaths([]string{filepath.Join("..", "..", "examples", "aws-data", c.example)}); err != nil {
			t.Fatal(err)
		}
		f := find(audit.Run(audit.Input{AWS: set, Now: now}), "iam.federation_token_denied")
		if (f != nil) != c.want {
			t.Fatalf("%s: found %v", c.example, f != nil)
		}
		if f != nil && (!strings.Contains(f.Title, "names Region us-east-1, not ap-southeast-2") || f.Affected[0].Name != "arn:aws:iam::111122223333:role/ConnectAgents" ||
			!strings.Contains(report.Render(*f.Fix).Files[0].Content, "arn:aws:connect:ap-southeast-2:111122223333:instance/")) {
			t.Errorf("%s: %+v", c.example, f)
		}
		// The fix is judged again with the corrected statement.
		if f != nil && (f.Fix.Check.Result != fix.Passes || !strings.Contains(f.Fix.Check.Why, "may call connect:GetFederationToken") || len(f.Fix.Check.Breaks) > 0) {
			t.Errorf("%s: check %+v", c.example, f.Fix.Check)
		}
	}
}

// An audit's fix is checked by judging again: a corrected statement is not
// enough alone when IAM's simulator shows an SCP denying the call too.
func TestRolesFederationFixChecked(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "access-denied")
	files := map[string]string{}
	for _, n := range []string{"instance.json", "users.json", "iam.json", "simulate-principal-policy.json"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	files["simulate-principal-policy.json"] = strings.Replace(files["simulate-principal-policy.json"], `"AllowedByOrganizations": true`, `"AllowedByOrganizations": false`, 1)
	res := audit.Run(audit.Input{AWS: load(t, files), Now: now})
	f := find(res, "iam.federation_token_denied")
	if f == nil || f.Fix == nil || f.Fix.Check == nil || !strings.Contains(f.Title, "names Region us-east-1") {
		t.Fatalf("%+v", res.Findings)
	}
	if ck := f.Fix.Check; ck.Result != fix.StillFails || !slices.Contains(ck.After, "iam.simulation_disagrees") || !strings.Contains(ck.Why, "service control policy") {
		t.Errorf("a fix an SCP overrides: %+v", ck)
	}
}

// A role's trust policy judged with SAML:aud set to the sign-in endpoints:
// said when neither the global nor the instance Region's passes, quiet
// when one does, or when a key the audit cannot know decides it.
func TestRolesTrust(t *testing.T) {
	inst := js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance, "IdentityManagementType": "SAML"}})
	for _, c := range []struct {
		name string
		cond map[string]any
		want bool
	}{
		{"another Region only", map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://eu-west-2.signin.aws.amazon.com/saml"}}, true},
		{"the instance's Region", map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://ap-southeast-2.signin.aws.amazon.com/saml"}}, false},
		{"global", map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}, false},
		{"the issuer decides", map[string]any{"StringEquals": map[string]any{"SAML:iss": "https://sts.windows.net/t/"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := audit.Run(audit.Input{AWS: load(t, map[string]string{"iam.json": trustingRole(c.cond), "i.json": inst}), Now: now, ConnectRoles: agentsRole})
			// Without evidence that the role is meant for Connect, it is not
			// judged: at most information.
			quiet := audit.Run(audit.Input{AWS: load(t, map[string]string{"iam.json": trustingRole(c.cond), "i.json": inst}), Now: now})
			if len(quiet.Findings) != 1 || quiet.Findings[0].ID != "iam.role_not_for_connect" || quiet.Findings[0].Severity != diagnose.Info {
				t.Errorf("a role nothing shows used for Connect: %+v", quiet.Findings)
			}
			f := find(res, "iam.trust_policy_denies")
			if (f != nil) != c.want {
				t.Fatalf("found %v: %+v", f != nil, res.Findings)
			}
			if f != nil && (len(f.Evidence) != 3 || !strings.Contains(f.Evidence[2].Value, "the IdP sends it to Connect users (a capture)") || f.Fix == nil || len(report.Render(*f.Fix).Files) == 0 || !strings.Contains(report.Render(*f.Fix).Files[0].Content, "https://ap-southeast-2.signin.aws.amazon.com/saml") ||
				!strings.Contains(report.Render(*f.Fix).Files[0].Content, "https://eu-west-2.signin.aws.amazon.com/saml")) {
				t.Errorf("%+v %+v", f, f.Fix)
			}
			// Judged again with the corrected policy, it lets them in; the
			// eu-west-2 endpoint it allowed still is.
			if f != nil && (f.Fix.Check.Result != fix.Passes || len(f.Fix.Check.Breaks) > 0 || !strings.Contains(f.Fix.Check.Why, "lets EntraID's agents in")) {
				t.Errorf("check %+v", f.Fix.Check)
			}
		})
	}
}

// With Global Resiliency (the instance has replicas), agents sign in at
// its global endpoint: a trust policy for the usual endpoint is said, and
// corrected to StringLike on the endpoint's URL; one written as AWS
// documents it is quiet.
func TestRolesTrustGlobalResiliency(t *testing.T) {
	base := "https://" + instance + ".ap-southeast-2.sign-in.connect.aws/saml"
	inst := js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance, "IdentityManagementType": "SAML"},
		"ReplicationConfiguration": map[string]any{"SourceRegion": "ap-southeast-2", "ReplicationStatusSummaryList": []any{map[string]any{"Region": "ap-northeast-1"}}}})
	res := audit.Run(audit.Input{AWS: load(t, map[string]string{"iam.json": trustingRole(map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}), "i.json": inst}), Now: now, ConnectRoles: agentsRole})
	f := find(res, "iam.trust_policy_denies")
	if f == nil || len(report.Render(*f.Fix).Files) == 0 || !strings.Contains(report.Render(*f.Fix).Files[0].Content, `"StringLike"`) || !strings.Contains(report.Render(*f.Fix).Files[0].Content, base+"*") || f.Fix.Check.Result != fix.Passes {
		t.Fatalf("%+v %+v", f, f.Fix.Check)
	}
	res = audit.Run(audit.Input{AWS: load(t, map[string]string{"iam.json": trustingRole(map[string]any{"StringLike": map[string]any{"SAML:aud": base + "*"}}), "i.json": inst}), Now: now, ConnectRoles: agentsRole})
	if f := find(res, "iam.trust_policy_denies"); f != nil {
		t.Errorf("the documented trust policy reported: %s", f.Title)
	}
}

// agentsRole says the IdP sends ConnectAgents to Connect users (as a
// capture of an agent's sign-in would): without it, a role with no policy
// naming Connect is not judged for Connect.
var agentsRole = map[string]string{"arn:aws:iam::111122223333:role/ConnectAgents": "a capture"}

// trustingRole is get-account-authorization-details output with one role,
// ConnectAgents, trusting the EntraID provider under cond, and no policy.
func trustingRole(cond map[string]any) string {
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:saml-provider/EntraID"},
		"Action": "sts:AssumeRoleWithSAML", "Condition": cond}}}
	role := map[string]any{"Path": "/", "RoleName": "ConnectAgents", "RoleId": "AROAYZ2EXAMPLE5AGENT", "Arn": "arn:aws:iam::111122223333:role/ConnectAgents",
		"AssumeRolePolicyDocument": trust, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{}}
	return js(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": []any{role}, "Policies": []any{}})
}

// With two SAML instances, a role is judged for the one its policies name:
// a role written for one instance is not wrong for not serving the other.
func TestRolesJudgedForTheirInstance(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "access-denied")
	files := map[string]string{}
	for _, n := range []string{"instance.json", "iam.json"} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		files[n] = string(b)
	}
	other := "99999999-bbbb-cccc-dddd-eeeeeeeeeeee"
	files["other.json"] = js(map[string]any{"Instance": map[string]any{"Id": other, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + other, "IdentityManagementType": "SAML"}})
	res := audit.Run(audit.Input{AWS: load(t, files), Now: now})
	var titles []string
	for _, f := range res.Findings {
		if f.ID == "iam.federation_token_denied" {
			titles = append(titles, f.Title)
		}
	}
	if len(titles) != 1 || !strings.Contains(titles[0], "for instance "+instance) {
		t.Errorf("federation findings %q", titles)
	}
}

// From ListUsers alone (no e-mail, no name, as a live audit reads them),
// one person's two users are known by the IdP users that name them: the
// same e-mail in the export; two people of different names stay apart.
func TestTwoUsersOnePersonFromTheExport(t *testing.T) {
	aws := load(t, map[string]string{"users.json": users("kim.park@example.com", "kpark@example.com", "kim.lee@example.com")})
	csv := "userPrincipalName,givenName,surname,mail\n" +
		"kim.park@example.com,Kim,Park,kim.park@example.com\n" +
		"kpark@example.com,Kimberly,Park,kim.park@example.com\n" +
		"kim.lee@example.com,Kim,Lee,kim.lee@example.com\n"
	u, err := audit.ReadIdPUsers("entra.csv", strings.NewReader(csv), "", "none")
	if err != nil {
		t.Fatal(err)
	}
	f := find(audit.Run(audit.Input{AWS: aws, IdPUsers: u, Now: now}), "idp.multiple_profiles")
	if f == nil || !slices.Equal(names(f), []string{"kim.park@example.com", "kpark@example.com"}) || !strings.Contains(f.Evidence[0].Where, "entra.csv line 2") {
		t.Fatalf("%+v", f)
	}
}

// A get-saml-provider output has no ARN: the provider is named from the
// rest of the evidence, and its command filled; when nothing settles it,
// the finding says which output would.
func TestProviderNamedFromEvidence(t *testing.T) {
	day := 24 * time.Hour
	old := fixture.NewKey("Old", now.Add(-300*day), now.Add(5*day))
	unnamed := func(created string) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(provider("", old)), &m)
		delete(m, "SAMLProviderArn")
		m["CreateDate"] = created
		return js(m)
	}
	list := js(map[string]any{"SAMLProviderList": []any{
		map[string]any{"Arn": "arn:aws:iam::111122223333:saml-provider/EntraID", "CreateDate": "2024-03-11T09:30:00Z", "ValidUntil": "2124-03-11T09:30:00Z"},
		map[string]any{"Arn": "arn:aws:iam::111122223333:saml-provider/Other", "CreateDate": "2024-03-11T09:30:00Z", "ValidUntil": "2124-03-11T09:30:00Z"}}})
	issRole := js(map[string]any{"RoleDetailList": []any{map[string]any{"RoleName": "ConnectAgents", "Arn": "arn:aws:iam::111122223333:role/ConnectAgents", "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{},
		"AssumeRolePolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::111122223333:saml-provider/EntraID"},
			"Action": "sts:AssumeRoleWithSAML", "Condition": map[string]any{"StringEquals": map[string]any{"SAML:iss": "https://sts.windows.net/t/"}}}}}}}})
	for _, c := range []struct {
		name    string
		files   map[string]string
		issuers map[string]string
		arn     string
		how     string
	}{
		{"the file's name", map[string]string{"get-saml-provider-EntraID.json": unnamed("2024-03-11T09:30:00Z"), "l.json": list}, nil,
			"arn:aws:iam::111122223333:saml-provider/EntraID", "named by the file's name"},
		{"its CreateDate", map[string]string{"p.json": unnamed("2025-06-01T00:00:00Z"), "l.json": js(map[string]any{"SAMLProviderList": []any{
			map[string]any{"Arn": "arn:aws:iam::111122223333:saml-provider/EntraID", "CreateDate": "2024-03-11T09:30:00Z"},
			map[string]any{"Arn": "arn:aws:iam::111122223333:saml-provider/New", "CreateDate": "2025-06-01T00:00:00Z"}}})}, nil,
			"arn:aws:iam::111122223333:saml-provider/New", "named by its CreateDate 2025-06-01T00:00:00Z"},
		{"a trust policy's SAML:iss", map[string]string{"p.json": unnamed("2024-03-11T09:30:00Z"), "l.json": list, "iam.json": issRole}, nil,
			"arn:aws:iam::111122223333:saml-provider/EntraID", "named by its entity ID https://sts.windows.net/t/, the SAML:iss role ConnectAgents's trust policy requires"},
		{"a capture's issuer", map[string]string{"p.json": unnamed("2024-03-11T09:30:00Z"), "l.json": list}, map[string]string{"https://sts.windows.net/t/": "arn:aws:iam::111122223333:saml-provider/Other"},
			"arn:aws:iam::111122223333:saml-provider/Other", "named by its entity ID https://sts.windows.net/t/, the issuer of a captured sign-in"},
		{"the one left", map[string]string{"p.json": unnamed("2030-01-01T00:00:00Z"), "e.json": provider("arn:aws:iam::111122223333:saml-provider/EntraID"), "l.json": list}, nil,
			"arn:aws:iam::111122223333:saml-provider/Other", "named by the one provider of l.json"},
		{"nothing settles it", map[string]string{"p.json": unnamed("2024-03-11T09:30:00Z"), "l.json": list}, nil, "", "not named: get-saml-provider's output has no ARN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := audit.Run(audit.Input{AWS: load(t, c.files), Now: now, ProviderIssuers: c.issuers})
			f := find(res, "iam.cert_expiring")
			if f == nil {
				t.Fatalf("%+v", res.Findings)
			}
			last := f.Evidence[len(f.Evidence)-1].Value
			if !strings.HasPrefix(last, c.how) {
				t.Errorf("evidence %q, want %q", last, c.how)
			}
			wantARN, wantName := c.arn, c.arn
			if c.arn == "" {
				wantARN, wantName = "PROVIDER-ARN", "p.json"
			}
			if f.Affected[0].Name != wantName || !strings.Contains(report.Render(*f.Fix).Commands[0], "--saml-provider-arn "+wantARN+" ") {
				t.Errorf("affects %s, command %s", f.Affected[0].Name, report.Render(*f.Fix).Commands[0])
			}
		})
	}
}

// An assignment export settles who is an agent: an assigned user without a
// Connect user is an error; one it does not list is no agent (unless the
// export assigns groups, whose members it does not name: a warning that
// says so); its role column says which roles are Connect roles.
func TestAssignments(t *testing.T) {
	// Entra's users export (Graph's header) and the application's app role
	// assignments (Get-MgServicePrincipalAppRoleAssignedTo | Export-Csv).
	usersCSV := "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled\n" +
		"11111111-0000-4000-8000-000000000001,jane.doe@example.com,Jane Doe,Doe,jane.doe@example.com,Jane,Member,True\n" +
		"11111111-0000-4000-8000-000000000002,sam.lee@example.com,Sam Lee,Lee,sam.lee@example.com,Sam,Member,True\n" +
		"11111111-0000-4000-8000-000000000003,pat.finance@example.com,Pat Finance,Finance,pat.finance@example.com,Pat,Member,True\n"
	graph := "#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphAppRoleAssignment\n" +
		`"AppRoleId","CreatedDateTime","DeletedDateTime","Id","PrincipalDisplayName","PrincipalId","PrincipalType","ResourceDisplayName","ResourceId"` + "\n" +
		`"8c5f3f40-0000-4000-8000-000000000001","11/03/2024 09:30:00","","a1","Jane Doe","11111111-0000-4000-8000-000000000001","User","Amazon Connect","r1"` + "\n" +
		`"8c5f3f40-0000-4000-8000-000000000001","11/03/2024 09:30:00","","a2","Sam Lee","11111111-0000-4000-8000-000000000002","User","Amazon Connect","r1"` + "\n"
	withGroup := graph + `"8c5f3f40-0000-4000-8000-000000000001","11/03/2024 09:30:00","","a3","Contact Centre","22222222-0000-4000-8000-000000000009","Group","Amazon Connect","r1"` + "\n"
	set := func() *evidence.Set { return load(t, map[string]string{"u.json": users("jane.doe@example.com")}) }
	idp, err := audit.ReadIdPUsers("users.csv", strings.NewReader(usersCSV), "", "none")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, export string
		want         map[string][]string // severity: agents without a Connect user
	}{
		{"no assignments", "", map[string][]string{diagnose.Warning: {"sam.lee@example.com", "pat.finance@example.com"}}},
		{"users assigned", graph, map[string][]string{diagnose.Error: {"sam.lee@example.com"}}},
		{"a group assigned too", withGroup, map[string][]string{diagnose.Error: {"sam.lee@example.com"}, diagnose.Warning: {"pat.finance@example.com"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := audit.Input{AWS: set(), IdPUsers: idp, Now: now}
			if c.export != "" {
				as, err := audit.ReadIdPAssignments("assigned.csv", strings.NewReader(c.export), "")
				if err != nil {
					t.Fatal(err)
				}
				in.Assignments = as
			}
			got := map[string][]string{}
			for _, f := range audit.Run(in).Findings {
				if f.ID == "connect.user_not_found" {
					got[f.Severity] = names(&f)
					if f.Severity == diagnose.Warning && c.export == withGroup && !strings.Contains(f.Detail, "assigned.csv assigns 1 groups") {
						t.Errorf("the group assignment is not said: %q", f.Detail)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// Okta's Current Assignments report with the app's role attribute
	// added: the role it names is a Connect role, judged; without it the
	// role is not.
	okta := "User,Login,Application name,Application instance,Application login,Assigned on,Unassigned on,Last login,SAML User Roles\n" +
		"Jane Doe,jane.doe@example.com,Amazon Connect,amazon_aws_connect,jane.doe@example.com,2024-03-11T09:30:00.000Z,,,arn:aws:iam::111122223333:role/ConnectAgents\n"
	as, err := audit.ReadIdPAssignments("okta.csv", strings.NewReader(okta), "Application name=Amazon Connect")
	if err != nil || as.Roles["arn:aws:iam::111122223333:role/ConnectAgents"] != "okta.csv line 2" {
		t.Fatalf("%v %+v", err, as)
	}
	inst := js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance, "IdentityManagementType": "SAML"}})
	files := map[string]string{"iam.json": trustingRole(map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://eu-west-2.signin.aws.amazon.com/saml"}}), "i.json": inst}
	if f := find(audit.Run(audit.Input{AWS: load(t, files), Now: now, Assignments: as}), "iam.trust_policy_denies"); f == nil || !strings.Contains(f.Evidence[len(f.Evidence)-1].Value, "the IdP sends it to Connect users (okta.csv line 2)") {
		t.Errorf("the report's role is not judged: %+v", f)
	}
	if f := find(audit.Run(audit.Input{AWS: load(t, files), Now: now}), "iam.trust_policy_denies"); f != nil {
		t.Errorf("a role nothing shows used for Connect judged: %s", f.Title)
	}
	if _, err := audit.ReadIdPAssignments("x.csv", strings.NewReader("userPrincipalName\njane\n"), ""); err == nil || !strings.Contains(err.Error(), "not an assignment export") {
		t.Errorf("a users export read as assignments: %v", err)
	}
}
