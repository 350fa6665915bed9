package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

// A sign-in in AWS GovCloud (US): AWS sign-in at signin.amazonaws-us-gov.com,
// the console's federation at console.amazonaws-us-gov.com, Connect at
// ALIAS.govcloud.connect.aws. It is read in the GovCloud partition and its
// arrival in Connect is seen.
func TestGovCloudSignIn(t *testing.T) {
	acs := "https://signin.amazonaws-us-gov.com/saml"
	relay := "https://console.amazonaws-us-gov.com/connect/federate/" + fixture.DefaultInstance
	role := "arn:aws-us-gov:iam::111122223333:role/ConnectAgents"
	provider := "arn:aws-us-gov:iam::111122223333:saml-provider/EntraID"
	xml := fixture.Response{NameID: rsn, RoleSessionName: []string{rsn}, IssueInstant: at, SignAssertion: true,
		Destination: acs, Audience: "urn:amazon:webservices:govcloud", Roles: []string{role + "," + provider}}.XML()
	steps := fixture.SignIn(xml, relay, at, fixture.Success)
	for i := range steps {
		for _, r := range [][2]string{{"https://signin.aws.amazon.com/saml", acs}, {"example-corp.my.connect.aws", "example-corp.govcloud.connect.aws"}} {
			steps[i].URL = strings.ReplaceAll(steps[i].URL, r[0], r[1])
			steps[i].Location = strings.ReplaceAll(steps[i].Location, r[0], r[1])
			steps[i].Body = strings.ReplaceAll(steps[i].Body, r[0], r[1])
		}
	}
	res := diagnoseSteps(t, nil, steps)
	if res.Outcome != "succeeded" || res.Failed() {
		t.Fatalf("outcome %s, findings %v", res.Outcome, ids(res))
	}
	s := res.Subject
	if s == nil || s.Partition != "aws-us-gov" || s.Region != "us-gov-west-1" || s.PostedTo != acs {
		t.Fatalf("subject %+v", s)
	}
	for _, f := range res.Findings {
		if f.Severity == "error" {
			t.Errorf("error finding on a GovCloud sign-in that worked: %s %s", f.ID, f.Title)
		}
	}
}
