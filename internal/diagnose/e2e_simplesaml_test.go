package diagnose_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/fixture/simplesaml"
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

// The Connect user is jdoe and SimpleSAMLphp sends JDoe: a case mismatch.
// A core:PHP filter in the SP entry that lower-cases RoleSessionName where
// it is sent makes SimpleSAMLphp send jdoe, and the diagnosis passes.
func TestSimpleSAMLphpCaseMismatchFixedInEntry(t *testing.T) {
	aws := sspAWS(nil, "jdoe")
	before := startSSP(t, "", sspAgent("jdoe", "JDoe"))
	aws["provider.json"] = sspAWS(before.Metadata())["provider.json"]
	res := diagnoseSSP(t, before.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.NotOnboarded, aws)
	if f := firstErrorOf(res); f == nil || f.ID != "connect.username_case_mismatch" {
		t.Fatalf("before: findings %v", ids(res))
	}

	const lower = `'authproc' => [50 => ['class' => 'core:PHP', 'code' => '
        $n = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
        if (isset($attributes[$n])) { $attributes[$n] = array_map("strtolower", $attributes[$n]); }
    ']],`
	after := startSSP(t, lower, sspAgent("jdoe", "JDoe"))
	aws["provider.json"] = sspAWS(after.Metadata())["provider.json"]
	res = diagnoseSSP(t, after.SignIn(t, "jdoe", "pw-jdoe", fixture.RelayState()), fixture.Success, aws)
	if res.Outcome != "succeeded" || res.HasErrors() || res.Subject.RoleSessionName != "jdoe" || res.Subject.NameID != "JDoe" {
		t.Fatalf("after: outcome %s, subject %+v, findings %v", res.Outcome, res.Subject, ids(res))
	}
}

func firstErrorOf(res *diagnose.Result) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].Severity == diagnose.Error {
			return &res.Findings[i]
		}
	}
	return nil
}
