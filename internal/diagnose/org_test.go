package diagnose_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// AWS Organizations outputs, shaped as the AWS CLI prints them
// (https://docs.aws.amazon.com/cli/latest/reference/organizations/).

const (
	orgID   = "o-a1b2c3d4e5"
	mgmt    = "999988887777"
	ouID    = "ou-ab12-11111111"
	rootID  = "r-ab12"
	rcpType = "RESOURCE_CONTROL_POLICY"
	scpType = "SERVICE_CONTROL_POLICY"
)

func orgSummary(id, name, typ string) map[string]any {
	if strings.HasPrefix(id, "p-") && strings.Contains(id, "FullAWSAccess") {
		return map[string]any{"Id": id, "Arn": "arn:aws:organizations::aws:policy/" + strings.ToLower(typ) + "/" + id, "Name": name, "Type": typ, "AwsManaged": true,
			"Description": "Allows access to every operation"}
	}
	return map[string]any{"Id": id, "Arn": "arn:aws:organizations::" + mgmt + ":policy/" + orgID + "/" + strings.ToLower(typ) + "/" + id, "Name": name, "Type": typ, "AwsManaged": false}
}

// describePolicyJSON is aws organizations describe-policy: the policy's
// summary and its content, a JSON document in a string.
func describePolicyJSON(id, name, typ string, doc map[string]any) string {
	content, _ := json.Marshal(doc)
	return js(map[string]any{"Policy": map[string]any{"PolicySummary": orgSummary(id, name, typ), "Content": string(content)}})
}

// forTargetJSON is aws organizations list-policies-for-target.
func forTargetJSON(typ string, ids ...string) string {
	var l []any
	for _, id := range ids {
		name := strings.TrimPrefix(id, "p-")
		l = append(l, orgSummary(id, name, typ))
	}
	return js(map[string]any{"Policies": l})
}

// parentsJSON is aws organizations list-parents.
func parentsJSON(id, typ string) string {
	return js(map[string]any{"Parents": []any{map[string]any{"Id": id, "Type": typ}}})
}

// orgFiles are the outputs of an organization whose account sits in one
// OU under the root, with the given policies of a type attached to the
// account, the OU and the root; and the documents of the custom ones.
func orgFiles(typ string, account, ou, root []string, docs map[string]map[string]any) map[string]string {
	short := "scp"
	if typ == rcpType {
		short = "rcp"
	}
	files := map[string]string{
		"org-parents-" + acct + ".json":                    parentsJSON(ouID, "ORGANIZATIONAL_UNIT"),
		"org-parents-" + ouID + ".json":                    parentsJSON(rootID, "ROOT"),
		"org-" + short + "-for-target-" + acct + ".json":   forTargetJSON(typ, account...),
		"org-" + short + "-for-target-" + ouID + ".json":   forTargetJSON(typ, ou...),
		"org-" + short + "-for-target-" + rootID + ".json": forTargetJSON(typ, root...),
	}
	for id, doc := range docs {
		files["org-policy-"+id+".json"] = describePolicyJSON(id, strings.TrimPrefix(id, "p-"), typ, doc)
	}
	return files
}

// perimeterRCP is the identity-perimeter shape that denies every SAML
// sign-in: no AWS principal makes one, so aws:PrincipalOrgID is absent
// and StringNotEqualsIfExists holds.
func perimeterRCP(actions any) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": actions, "Resource": "*",
		"Condition": map[string]any{
			"StringNotEqualsIfExists": map[string]any{"aws:PrincipalOrgID": orgID},
			"BoolIfExists":            map[string]any{"aws:PrincipalIsAWSService": "false"},
		}}}}
}

// awsSampleActions are the actions of AWS's identity-perimeter RCP
// example (aws-samples/data-perimeter-policy-examples): no
// sts:AssumeRoleWithSAML.
var awsSampleActions = []string{"s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole", "sts:DecodeAuthorizationMessage",
	"sts:GetAccessKeyInfo", "sts:GetFederationToken", "sts:GetServiceBearerToken", "sts:GetSessionToken", "sts:SetContext"}

// regionSCP denies everything outside two Regions but global services:
// the SCP example of AWS's "Deny access to AWS based on the requested
// AWS Region".
func regionSCP(regions ...string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "DenyAllOutsideApprovedRegions", "Effect": "Deny",
		"NotAction": []string{"iam:*", "organizations:*", "route53:*", "sts:*", "support:*", "cloudfront:*"}, "Resource": "*",
		"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": regions}}}}}
}

func withOrg(s *scenario, files map[string]string) {
	for k, v := range files {
		s.aws[k] = v
	}
}

// orgCauseCases are the Organizations causes for TestCauses.
func orgCauseCases() []causeCase {
	trustOK := func(s *scenario) {
		s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
	}
	return []causeCase{
		{"iam.rcp_denies",
			func(s *scenario) {
				s.outcome = fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied)"}
				trustOK(s)
				withOrg(s, orgFiles(rcpType, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess", "p-rcpperimeter"}, []string{"p-RCPFullAWSAccess"},
					map[string]map[string]any{"p-rcpperimeter": perimeterRCP("sts:*")}))
			}, func(s *scenario) {
				trustOK(s)
				withOrg(s, orgFiles(rcpType, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess", "p-rcpperimeter"}, []string{"p-RCPFullAWSAccess"},
					map[string]map[string]any{"p-rcpperimeter": perimeterRCP(awsSampleActions)}))
			}, "signin.not_authorized_assume_role"},
		{"iam.scp_denies",
			func(s *scenario) {
				s.outcome = fixture.AccessDeniedAdmin
				trustOK(s)
				withOrg(s, orgFiles(scpType, []string{"p-FullAWSAccess"}, []string{"p-FullAWSAccess", "p-scpregions"}, []string{"p-FullAWSAccess"},
					map[string]map[string]any{"p-scpregions": regionSCP("us-east-1", "eu-west-1")}))
			}, func(s *scenario) {
				trustOK(s)
				withOrg(s, orgFiles(scpType, []string{"p-FullAWSAccess"}, []string{"p-FullAWSAccess", "p-scpregions"}, []string{"p-FullAWSAccess"},
					map[string]map[string]any{"p-scpregions": regionSCP("us-east-1", region)}))
			}, "connect.access_denied_admin"},
	}
}

// The RCP denies although the trust policy allows: the trust policy is
// not blamed, the Deny's conditions are explained by what a SAML sign-in
// lacks, and the fix exempts this provider's SAML sign-ins by saml:doc in
// the statement itself, keeping the rest of the RCP.
func TestRCPDeniesSAML(t *testing.T) {
	s := base()
	s.outcome = fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML"}
	s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
	withOrg(&s, orgFiles(rcpType, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess", "p-rcpperimeter"}, []string{"p-RCPFullAWSAccess"},
		map[string]map[string]any{"p-rcpperimeter": perimeterRCP("sts:*")}))
	res := s.run(t)
	if find(res, "iam.trust_policy_denies") != nil {
		t.Errorf("the trust policy is blamed although it allows: %v", ids(res))
	}
	f := find(res, "iam.rcp_denies")
	if f == nil || res.Findings[0].ID != "iam.rcp_denies" {
		t.Fatalf("iam.rcp_denies is not the root cause: %v", ids(res))
	}
	ev := evText(f)
	for _, want := range []string{"RCP rcpperimeter (p-rcpperimeter) statement 1 (EnforceOrgIdentities)", "attached to", ouID,
		rootID + " → " + ouID + " → " + acct, "aws:PrincipalOrgID is not in the request: no AWS principal makes a SAML sign-in",
		"trust policy verdict for sts:AssumeRoleWithSAML"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	fx := f.Fix
	if fx == nil || fx.Check == nil || fx.Check.Result != fix.Passes {
		t.Fatalf("fix %+v", fx)
	}
	text := fixText(fx)
	for _, want := range []string{"aws organizations update-policy --policy-id p-rcpperimeter --content file://rcp-rcpperimeter.json",
		`"saml:doc": "111122223333/EntraID"`, `"aws:PrincipalOrgID": "` + orgID + `"`, `"Action": "sts:*"`, "management account"} {
		if !strings.Contains(text, want) {
			t.Errorf("fix lacks %q:\n%s", want, text)
		}
	}
	if len(fx.Check.Breaks) == 0 || !strings.Contains(fx.Check.Breaks[0], "widens access") || !strings.Contains(fx.Check.Breaks[0], ouID) {
		t.Errorf("breaks %v", fx.Check.Breaks)
	}

	// IAM's policy simulator, which does not evaluate RCPs, allows: the
	// finding says so rather than doubting itself.
	s.aws["sim.json"] = js(map[string]any{"EvaluationResults": []any{map[string]any{"EvalActionName": "sts:AssumeRoleWithSAML", "EvalResourceName": roleARN,
		"EvalDecision": "allowed", "MatchedStatements": []any{}, "MissingContextValues": []any{}}}})
	if f := find(s.run(t), "iam.rcp_denies"); f == nil || !strings.Contains(f.Detail, "it evaluates identity policies and SCPs, not RCPs") {
		t.Errorf("no word on the simulator: %+v", f)
	}
	delete(s.aws, "sim.json")

	// The same RCP listing sts:AssumeRoleWithSAML among other actions
	// loses just that action.
	s.aws["org-policy-p-rcpperimeter.json"] = describePolicyJSON("p-rcpperimeter", "rcpperimeter", rcpType, perimeterRCP(append([]string{"sts:AssumeRoleWithSAML"}, awsSampleActions...)))
	f = find(s.run(t), "iam.rcp_denies")
	if f == nil || f.Fix.Check.Result != fix.Passes || !strings.Contains(f.Fix.Summary, "remove sts:AssumeRoleWithSAML from its actions") {
		t.Fatalf("fix %+v", f)
	}
	if strings.Contains(fixText(f.Fix), "saml:doc") {
		t.Errorf("a listed action is exempted by a condition instead of taken out:\n%s", fixText(f.Fix))
	}
}

// What does not settle an RCP's reach stays quiet: a list-policies output
// (the organization's policies, not the account's), an RCP attached to an
// OU that is not on the account's path, the management account (neither
// SCPs nor RCPs affect it).
func TestRCPNearMisses(t *testing.T) {
	deny := map[string]map[string]any{"p-rcpperimeter": perimeterRCP("sts:*")}
	cases := map[string]struct {
		setup func(*scenario)
		// needs is whether the RCPs are left to read: not when they are
		// known to allow, nor in the management account.
		needs bool
	}{
		"list-policies, not for a target": {func(s *scenario) {
			s.aws["org-rcps.json"] = forTargetJSON(rcpType, "p-RCPFullAWSAccess", "p-rcpperimeter")
			s.aws["org-policy.json"] = describePolicyJSON("p-rcpperimeter", "rcpperimeter", rcpType, perimeterRCP("sts:*"))
		}, true},
		"attached to another OU": {func(s *scenario) {
			withOrg(s, orgFiles(rcpType, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess"}, deny))
			s.aws["org-rcp-for-target-ou-ab12-22222222.json"] = forTargetJSON(rcpType, "p-RCPFullAWSAccess", "p-rcpperimeter")
		}, false},
		"the management account": {func(s *scenario) {
			// The organization's policies are the account's own: their
			// ARNs name it as the one that created them.
			for k, v := range orgFiles(rcpType, []string{"p-RCPFullAWSAccess", "p-rcpperimeter"}, []string{"p-RCPFullAWSAccess"}, []string{"p-RCPFullAWSAccess"}, deny) {
				s.aws[k] = strings.ReplaceAll(v, mgmt, acct)
			}
		}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := base()
			s.outcome = fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML"}
			s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
			tc.setup(&s)
			res := s.run(t)
			if find(res, "iam.rcp_denies") != nil {
				t.Errorf("iam.rcp_denies from what does not settle it: %v", ids(res))
			}
			n := find(res, "needs.org_policies")
			if got := n != nil; got != tc.needs {
				t.Errorf("needs.org_policies %v, want %v: %v", got, tc.needs, ids(res))
			}
			if n != nil {
				for _, c := range report.Render(*n.Fix).Commands {
					if !strings.HasPrefix(c, "aws organizations ") {
						t.Errorf("not a command: %q", c)
					}
				}
			}
		})
	}
}

// An SCP that denies everything outside some Regions stops
// connect:GetFederationToken in the instance's: the fix exempts the
// action in the statement's NotAction, and IAM's simulator, which
// evaluates SCPs, agrees rather than disagrees.
func TestSCPDeniesFederation(t *testing.T) {
	s := base()
	s.outcome = fixture.AccessDeniedAdmin
	s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc("https://signin.aws.amazon.com/saml"), federationDoc(region))
	withOrg(&s, orgFiles(scpType, []string{"p-FullAWSAccess"}, []string{"p-FullAWSAccess", "p-scpregions"}, []string{"p-FullAWSAccess"},
		map[string]map[string]any{"p-scpregions": regionSCP("us-east-1", "eu-west-1")}))
	s.aws["sim.json"] = js(map[string]any{"EvaluationResults": []any{map[string]any{"EvalActionName": "connect:GetFederationToken", "EvalResourceName": "*",
		"EvalDecision": "explicitDeny", "MatchedStatements": []any{}, "MissingContextValues": []any{},
		"OrganizationsDecisionDetail": map[string]any{"AllowedByOrganizations": false}}}})
	res := s.run(t)
	f := find(res, "iam.scp_denies")
	if f == nil || res.Findings[0].ID != "iam.scp_denies" {
		t.Fatalf("iam.scp_denies is not the root cause: %v", ids(res))
	}
	for _, other := range []string{"iam.federation_token_denied", "iam.simulation_disagrees", "iam.federation_token_allowed"} {
		if find(res, other) != nil {
			t.Errorf("%s beside the SCP that explains it: %v", other, ids(res))
		}
	}
	ev := evText(f)
	for _, want := range []string{"SCP scpregions (p-scpregions) statement 1 (DenyAllOutsideApprovedRegions)", "aws:RequestedRegion is " + region, "not allowed by Organizations"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if f.Fix.Check.Result != fix.Passes || !strings.Contains(f.Fix.Summary, "add connect:GetFederationToken to the actions it exempts (NotAction)") {
		t.Fatalf("fix %s: %+v", f.Fix.Summary, f.Fix.Check)
	}

	// An allow-list SCP without Connect at the OU, FullAWSAccess detached
	// there: an implicit deny, fixed by adding the action to that Allow.
	s.aws["org-scp-for-target-"+ouID+".json"] = forTargetJSON(scpType, "p-scpallowlist")
	s.aws["org-policy-p-scpallowlist.json"] = describePolicyJSON("p-scpallowlist", "scpallowlist", scpType, map[string]any{"Version": "2012-10-17",
		"Statement": []any{map[string]any{"Sid": "AllowListed", "Effect": "Allow", "Action": []string{"s3:*", "ec2:*", "iam:*"}, "Resource": "*"}}})
	delete(s.aws, "sim.json")
	res = s.run(t)
	f = find(res, "iam.scp_denies")
	if f == nil || !strings.Contains(f.Title, "No service control policy attached to "+ouID+" allows") {
		t.Fatalf("no implicit deny: %v %+v", ids(res), f)
	}
	if f.Fix.Check.Result != fix.Passes || !strings.Contains(f.Fix.Summary, "statement 1: add connect:GetFederationToken to its actions") {
		t.Fatalf("fix %s: %+v", f.Fix.Summary, f.Fix.Check)
	}
	// With the OU's SCPs unknown nothing is concluded.
	delete(s.aws, "org-scp-for-target-"+ouID+".json")
	if res := s.run(t); find(res, "iam.scp_denies") != nil {
		t.Errorf("an implicit deny concluded from a level not read: %v", ids(res))
	}
}

func evText(f *diagnose.Finding) string {
	var b strings.Builder
	for _, e := range f.Evidence {
		b.WriteString(e.What + " = " + e.Value + " @ " + e.Where + "\n")
	}
	return b.String()
}
