package diagnose_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

const evilName = "evil@example.com"

// diagnoseXML diagnoses a capture of xml posted to AWS sign-in, ending as
// out, with the AWS outputs given (file name → content).
func diagnoseXML(t *testing.T, xml []byte, out fixture.Outcome, aws map[string]string) *diagnose.Result {
	t.Helper()
	r := signin.NewReader(capture.Options{})
	if err := r.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, out)))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for name, data := range aws {
		if err := set.Load(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return diagnoseChecked(t, diagnose.Input{Capture: r.Finish(), AWS: set})
}

// mentions reports the findings other than skip whose title, detail or
// fix names s.
func mentions(res *diagnose.Result, s, skip string) []string {
	var out []string
	for _, f := range res.Findings {
		if f.ID == skip {
			continue
		}
		text := f.Title + " " + f.Detail
		if f.Fix != nil {
			text += " " + f.Fix.Summary + " " + report.Render(*f.Fix).IdP + " " + strings.Join(report.Render(*f.Fix).Commands, " ") + " " + strings.Join(report.Render(*f.Fix).Steps, " ")
		}
		if strings.Contains(text, s) {
			out = append(out, f.ID)
		}
	}
	return out
}

// A wrapped message (XSW1-8: an unsigned assertion naming evil@example.com
// beside or around the signed one naming the agent) is judged on the
// signed assertion; the wrapping is an error whatever AWS answered, first,
// and a possible attack when the capture shows AWS accepted it (a
// "success" exits 1).
func TestWrappedMessageJudgedOnSignedAssertion(t *testing.T) {
	resp := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time1)}
	outcomes := []struct {
		name     string
		out      fixture.Outcome
		accepted bool
	}{
		{"success", fixture.Success, true},
		{"not onboarded", fixture.NotOnboarded, true},
		{"invalid SAML response", fixture.InvalidSAMLPage, false},
	}
	aws := map[string]string{"users.json": usersJSON("someone.else@example.com"), "instance.json": instanceJSON("SAML")}
	for shape := fixture.XSW1; shape <= fixture.XSW8; shape++ {
		xml := fixture.Wrapped(shape, resp, evilName)
		for _, o := range outcomes {
			t.Run(fmt.Sprintf("XSW%d %s", shape, o.name), func(t *testing.T) {
				res := diagnoseXML(t, xml, o.out, aws)
				if res.Subject.RoleSessionName != rsn || res.Subject.NameID != rsn {
					t.Errorf("judged on %q / %q, want the signed assertion's %q", res.Subject.RoleSessionName, res.Subject.NameID, rsn)
				}
				f := find(res, "saml.signature_wrapping")
				if f == nil || f.Severity != diagnose.Error || f.Downgraded != "" {
					t.Fatalf("wrapping not an error: %+v; %v", f, ids(res))
				}
				if res.Findings[0].ID != "saml.signature_wrapping" {
					t.Errorf("first finding %s, want the wrapping: %v", res.Findings[0].ID, ids(res))
				}
				if got := strings.Contains(f.Title, "may be an attack"); got != o.accepted {
					t.Errorf("possible attack said %v, want %v: %q", got, o.accepted, f.Title)
				}
				if o.accepted && (f.Fix == nil || !strings.Contains(strings.Join(report.Render(*f.Fix).Steps, " "), "Keep the capture")) {
					t.Errorf("accepted wrapping: fix %+v", f.Fix)
				}
				if m := mentions(res, evilName, "saml.signature_wrapping"); len(m) > 0 {
					t.Errorf("findings follow the unsigned assertion: %v", m)
				}
				if !strings.Contains(fmt.Sprint(f.Evidence), evilName) || !strings.Contains(fmt.Sprint(f.Evidence), "assertion judged") {
					t.Errorf("the wrapping's evidence does not name both assertions: %+v", f.Evidence)
				}
				if !res.Failed() {
					t.Errorf("not failed (exit 0): %s", res.Verdict)
				}
				if strings.Contains(res.Verdict, "found no error") {
					t.Errorf("verdict %q", res.Verdict)
				}
			})
		}
	}
	// Near miss: the same response, signed and not wrapped, that AWS
	// accepted: no error, the sign-in succeeded; and Connect's "not
	// onboarded" is judged on the agent.
	signedResp := resp
	signedResp.SignAssertion = true
	res := diagnoseXML(t, signedResp.XML(), fixture.Success, aws)
	if res.Failed() || find(res, "saml.signature_wrapping") != nil {
		t.Errorf("a genuine success: failed %v, %v", res.Failed(), ids(res))
	}
	res = diagnoseXML(t, signedResp.XML(), fixture.NotOnboarded, aws)
	if f := find(res, "connect.user_not_found"); f == nil || res.Findings[0].ID != "connect.user_not_found" || !strings.Contains(strings.Join(report.Render(*f.Fix).Commands, " "), rsn) {
		t.Errorf("genuine not onboarded: %v", ids(res))
	}
}

const time1 = 1e9 // one second, in time.Duration's units

// An unsigned message is an error whatever AWS answered; one the capture
// shows AWS accepted is a possible attack (or not what AWS received).
func TestUnsignedMessageIsAnErrorWhateverTheOutcome(t *testing.T) {
	unsigned := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time1)}
	for _, o := range []struct {
		out      fixture.Outcome
		accepted bool
	}{{fixture.Success, true}, {fixture.NotOnboarded, true}, {fixture.InvalidSAMLPage, false}} {
		res := diagnoseXML(t, unsigned.XML(), o.out, nil)
		f := find(res, "saml.unsigned")
		if f == nil || f.Severity != diagnose.Error || f.Downgraded != "" || !res.Failed() || res.Findings[0].ID != "saml.unsigned" {
			t.Fatalf("%+v: %+v, %v", o.out, f, ids(res))
		}
		if got := strings.Contains(f.Title, "AWS accepted"); got != o.accepted {
			t.Errorf("%+v: accepted said %v: %q", o.out, got, f.Title)
		}
	}
	// Near miss: signed, and accepted.
	signed := unsigned
	signed.SignResponse = true
	if res := diagnoseXML(t, signed.XML(), fixture.Success, nil); res.Failed() || find(res, "saml.unsigned") != nil {
		t.Errorf("signed success: %v", ids(res))
	}
}

// A digest mismatch is a change after signing, never a certificate
// rotation; a signature by a key the provider does not hold is the
// rotation.
func TestChangedAfterSigningIsNotARotation(t *testing.T) {
	signed := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time1), SignAssertion: true}
	tampered := bytes.Replace(signed.XML(), []byte(">"+rsn+"</AttributeValue>"), []byte(">admin@example.com</AttributeValue>"), 1)
	aws := map[string]string{"prov.json": providerJSON(fixture.DefaultIssuer, fixture.TestKey().DER)}
	res := diagnoseXML(t, tampered, fixture.Outcome{SignInError: "Response signature invalid"}, aws)
	f := find(res, "saml.signature_invalid")
	if f == nil || len(res.Signatures) != 1 || res.Signatures[0].Reason != assertion.ReasonContentChanged {
		t.Fatalf("tampered: %v, %+v", ids(res), res.Signatures)
	}
	if !strings.Contains(f.Detail, "changed the signed XML") || len(report.Render(*f.Fix).Commands) > 0 || find(res, "iam.cert_not_in_provider") != nil {
		t.Errorf("a change after signing reported as a rotation: %q, %+v, %v", f.Detail, f.Fix, ids(res))
	}
	// Near miss: signed with a rotated key the provider does not hold.
	rotated := signed
	rotated.Key = otherKey
	res = diagnoseXML(t, rotated.XML(), fixture.Outcome{SignInError: "Response signature invalid"}, aws)
	if find(res, "iam.cert_not_in_provider") == nil || res.Findings[0].ID != "iam.cert_not_in_provider" {
		t.Errorf("rotation: %v", ids(res))
	}
}

// A rotated signing certificate is found when the Role attribute offers
// several roles of the same provider (the provider is known without the
// role chooser's pick); not when they name different providers.
func TestRotationWithSeveralRolesOfOneProvider(t *testing.T) {
	other := "arn:aws:iam::" + acct + ":role/ConnectSupervisors"
	aws := map[string]string{"prov.json": providerJSON(fixture.DefaultIssuer, otherKey.DER)}
	sent := func(roles ...string) *diagnose.Result {
		r := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at.Add(-time1), SignAssertion: true, Roles: roles}
		return diagnoseXML(t, r.XML(), fixture.Outcome{SignInError: "Response signature invalid"}, aws)
	}
	res := sent(roleARN+","+fixture.DefaultProvider, other+","+fixture.DefaultProvider)
	if f := find(res, "iam.cert_not_in_provider"); f == nil || f.Severity != diagnose.Error || find(res, "needs.saml_provider") != nil {
		t.Errorf("two roles, one provider: %v", ids(res))
	}
	if res.Subject.ProviderArn != fixture.DefaultProvider || res.Subject.RoleArn != "" {
		t.Errorf("subject: provider %q role %q", res.Subject.ProviderArn, res.Subject.RoleArn)
	}
	// Near miss: two providers, no pick: which provider's certificates
	// apply is unknown.
	res = sent(roleARN+","+fixture.DefaultProvider, other+",arn:aws:iam::"+acct+":saml-provider/Okta")
	if find(res, "iam.cert_not_in_provider") != nil || res.Subject.ProviderArn != "" {
		t.Errorf("two providers: %v, provider %q", ids(res), res.Subject.ProviderArn)
	}
}

// RoleSessionName sent twice (two attributes, or two values) is a
// finding, never used silently; once, it is not.
func TestRoleSessionNameSentTwice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		resp  fixture.Response
		title string
	}{
		{"two attributes", fixture.Response{RoleSessionName: []string{rsn}, Attributes: [][2]string{{assertion.AttrRoleSessionName, "jane"}}}, "2 attributes"},
		{"two attributes, same value", fixture.Response{RoleSessionName: []string{rsn}, Attributes: [][2]string{{assertion.AttrRoleSessionName, rsn}}}, "2 attributes"},
		{"two values", fixture.Response{RoleSessionName: []string{rsn, "jane"}}, "2 values"},
		{"once", fixture.Response{RoleSessionName: []string{rsn}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.resp.NameID, tt.resp.SignAssertion, tt.resp.IssueInstant = rsn, true, at.Add(-time1)
			res := diagnoseXML(t, tt.resp.XML(), fixture.NotOnboarded, nil)
			f := find(res, "aws.session_name_invalid")
			if tt.title == "" {
				if f != nil {
					t.Errorf("sent once: %s", f.Title)
				}
				return
			}
			if f == nil || f.Severity != diagnose.Error || !strings.Contains(f.Title, tt.title) || !strings.Contains(fmt.Sprint(f.Evidence), rsn) {
				t.Fatalf("%v: %+v", ids(res), f)
			}
			if res.Findings[0].ID != "aws.session_name_invalid" {
				t.Errorf("not the root cause of not onboarded: %v", ids(res))
			}
		})
	}
}
