package assertion_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

const (
	agent = "jane.doe@example.com"
	evil  = "evil@example.com"
)

// wrappedCases are the XSW1-8 permutations of a response signed here,
// with an unsigned evil assertion beside or around the genuine one.
func wrappedCases() []signed {
	base := fixture.Response{NameID: agent, RoleSessionName: []string{agent}}
	var out []signed
	for shape := fixture.XSW1; shape <= fixture.XSW8; shape++ {
		out = append(out, signed{name: fmt.Sprintf("XSW%d", shape), xml: fixture.Wrapped(shape, base, evil), cert: fixture.TestKey().DER})
	}
	return out
}

func nameOf(a *assertion.Assertion) string {
	if a == nil || a.Subject == nil || a.Subject.NameID == nil {
		return ""
	}
	return a.Subject.NameID.Value
}

// The assertion to judge a wrapped message on is the signed one, both
// by the document's shape (Parse) and once its signatures are verified
// (Judge); the AWS view is built from it.
func TestJudgeWrapped(t *testing.T) {
	for _, c := range wrappedCases() {
		t.Run(c.name, func(t *testing.T) {
			m, err := assertion.Parse(c.xml)
			if err != nil {
				t.Fatal(err)
			}
			if got := nameOf(m.Consumed()); got != agent {
				t.Errorf("by shape: %q (%s), want the signed assertion's %q", got, m.AWS.Assertion, agent)
			}
			if m.AWS.RoleSessionName != agent {
				t.Errorf("AWS view: RoleSessionName %q", m.AWS.RoleSessionName)
			}
			vs, _ := verified(t, c)
			if got := nameOf(assertion.Judge(m, vs)); got != agent {
				t.Errorf("judged: %q, want %q; verdicts %+v", got, agent, vs)
			}
			for _, v := range vs {
				if v.Status == assertion.SigInvalid && v.Signed == "" {
					t.Errorf("signature on %s: %s (%s), and the content it signed not found", v.Covers, v.Status, v.Reason)
				}
			}
		})
	}
	// Near misses: an unwrapped signed response is judged on its only
	// assertion, with nothing moved; an unsigned one with two assertions
	// on the first (nothing tells them apart).
	c := signed{name: "unwrapped", xml: fixture.Response{NameID: agent, RoleSessionName: []string{agent}, SignAssertion: true}.XML(), cert: fixture.TestKey().DER}
	m, _ := assertion.Parse(c.xml)
	vs, _ := verified(t, c)
	if a := assertion.Judge(m, vs); a == nil || a.Path != "/Response/Assertion" || vs[0].Signed != "" || vs[0].Status != assertion.SigValid {
		t.Errorf("unwrapped: judged %v, verdicts %+v", a, vs)
	}
}

// The corpus's wrapped messages (crewjam's XSW permutations and its
// CVE-2022-41912 shape, python3-saml's) are judged on the assertion a
// signature covers, never on the unsigned one placed where AWS reads.
func TestJudgeCorpus(t *testing.T) {
	dir := corpusDir(t)
	for _, tt := range []struct {
		file string
		// judged is the path of the assertion to judge on.
		judged string
	}{
		{"crewjam-saml/TestXswPermutationOneIsRejected_response.b64", "/Response/Signature/Response/Assertion"},
		{"crewjam-saml/TestXswPermutationTwoIsRejected_response.b64", "/Response/Response/Assertion"},
		{"crewjam-saml/TestXswPermutationThreeIsRejected_response.b64", "/Response/Assertion[2]"},
		{"crewjam-saml/TestXswPermutationFourIsRejected_response.b64", "/Response/Assertion/Assertion"},
		{"crewjam-saml/TestXswPermutationFiveIsRejected_response.b64", "/Response/Assertion[2]"},
		{"crewjam-saml/TestXswPermutationSixIsRejected_response.b64", "/Response/Assertion/Signature/Assertion"},
		{"crewjam-saml/TestXswPermutationNineIsRejected_response.b64", "/Response/xsw_wrapper/Assertion"},
		// The signature sits in the first assertion, whose ID the
		// second (admin@evil.com) shares: the first is the signed one.
		{"crewjam-saml/TestSPMultipleAssertions.xml", "/Response/Assertion[1]"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			xml := readValue(t, filepath.Join(dir, tt.file))
			m, err := assertion.Parse(xml)
			if err != nil {
				t.Fatal(err)
			}
			vs := assertion.Verify(xml, m, nil)
			if a := assertion.Judge(m, vs); a == nil || a.Path != tt.judged {
				t.Errorf("judged %v, want %s (by shape %s)", a, tt.judged, m.AWS.Assertion)
			}
		})
	}
}

// On the wrapped messages, xmlsec1 (which resolves a reference by ID
// wherever the element is) and samldoctor agree on what is intact: where
// xmlsec1 verifies a signature that samldoctor calls invalid for its place
// (a wrapping shape), samldoctor has found the intact signed content.
func TestWrappedAgreesWithXmlsec1(t *testing.T) {
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("SAMLDOCTOR_XMLSEC1") == "1" {
			t.Fatal("SAMLDOCTOR_XMLSEC1=1 but xmlsec1 is not installed (apt-get install xmlsec1)")
		}
		t.Skip("xmlsec1 is not installed (apt-get install xmlsec1); .ci/run installs it and requires this test")
	}
	dir := t.TempDir()
	for n, c := range wrappedCases() {
		t.Run(c.name, func(t *testing.T) {
			vs, der := verified(t, c)
			for i, v := range vs {
				ok, out := xmlsec1Verify(t, xmlsec, dir, n, c.xml, der, i)
				switch {
				case v.Status == assertion.SigValid && !ok:
					t.Errorf("signature %d on %s: samldoctor valid, xmlsec1 not:\n%s", i+1, v.Covers, out)
				case v.Status != assertion.SigValid && ok && v.Signed == "":
					t.Errorf("signature %d on %s: samldoctor %s (%s) and found no intact content; xmlsec1 verifies it", i+1, v.Covers, v.Status, v.Reason)
				}
			}
		})
	}
}
