//go:build ignore

// gen writes the field-failure fixtures in this folder: captures of
// sign-ins that failed the way public reports describe, built from the
// texts and headers AWS and the IdP vendors document, each with the AWS
// CLI outputs that settle its cause (aws-data/NAME). Run it from the
// repository root: go run testdata/field/gen.go (the signed captures
// change at each run, their IDs and key being random).
package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

const (
	dir      = "testdata/field"
	acct     = fixture.DefaultAccount
	region   = fixture.DefaultRegion
	instance = fixture.DefaultInstance
	orgID    = "o-a1b2c3d4e5"
	mgmt     = "999988887777"
	ouID     = "ou-ab12-11111111"
	rootID   = "r-ab12"
)

var at = time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)

func main() {
	signed := func(r fixture.Response) []byte {
		r.IssueInstant, r.SignAssertion, r.SignResponse = at.Add(-time.Second), true, true
		if r.NameID == "" {
			r.NameID = "jane.doe@example.com"
		}
		if r.RoleSessionName == nil {
			r.RoleSessionName = []string{"jane.doe@example.com"}
		}
		return r.XML()
	}
	entra := fixture.Response{}

	// An RCP of the identity-perimeter shape, on the account's OU, denies
	// every SAML sign-in; the role's trust policy allows it.
	har("rcp-denies", fixture.SignIn(signed(entra), fixture.RelayState(), at, fixture.Outcome{SignInError: "Not authorized to perform sts:AssumeRoleWithSAML (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied; Request ID: 7b6f9c2e-0000-4000-8000-000000000001; Proxy: null). Please try again."}))
	account("rcp-denies")
	org("rcp-denies", "RESOURCE_CONTROL_POLICY", "p-RCPFullAWSAccess", map[string]any{"p-rcp4perimeter": map[string]any{"name": "IdentityPerimeter", "target": ouID, "doc": map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*", "Action": []string{"s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:*"}, "Resource": "*",
			"Condition": map[string]any{"StringNotEqualsIfExists": map[string]any{"aws:PrincipalOrgID": orgID}, "BoolIfExists": map[string]any{"aws:PrincipalIsAWSService": "false"}}}}}}})

	// An SCP that denies everything outside two Regions (global services
	// exempted) stops connect:GetFederationToken in the instance's.
	har("scp-denies", fixture.SignIn(signed(entra), fixture.RelayState(), at, fixture.AccessDeniedAdmin))
	account("scp-denies")
	org("scp-denies", "SERVICE_CONTROL_POLICY", "p-FullAWSAccess", map[string]any{"p-scp4regions": map[string]any{"name": "DenyOutsideApprovedRegions", "target": ouID, "doc": map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "DenyAllOutsideApprovedRegions", "Effect": "Deny",
			"NotAction": []string{"iam:*", "organizations:*", "route53:*", "sts:*", "support:*", "cloudfront:*"}, "Resource": "*",
			"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:RequestedRegion": []string{"us-east-1", "eu-west-1"}}}}}}}})

	// A PrincipalTag of the user's groups, joined, longer than 256
	// characters: "Unable to validate tags".
	teams := ":" + strings.Repeat("contact-centre-team-", 14) + ":"
	har("tags-invalid", fixture.SignIn(signed(fixture.Response{Attributes: [][2]string{
		{"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Department", "Contact Centre"},
		{"https://aws.amazon.com/SAML/Attributes/PrincipalTag:GithubTeams", teams}}}), fixture.RelayState(), at,
		fixture.Outcome{SignInError: "Unable to validate tags (Service: AWSSecurityToken; Status Code: 400; Error Code: ValidationError; Request ID: 0f3c2b1a-0000-4000-8000-000000000000; Proxy: null). Please try again."}))

	// IAM Identity Center refuses a user not assigned to the Amazon
	// Connect application (its access portal's "No access" message).
	har("iic-not-assigned", []fixture.Step{{Time: at, Method: "GET", URL: "https://example-corp.awsapps.com/start/#/saml/custom/Amazon%20Connect", Status: 200, Mime: "text/html; charset=utf-8",
		Body: `<!DOCTYPE html><html lang="en"><head><title>AWS access portal</title></head><body><div id="app"><div class="awsui-alert-type-error">` +
			`<h2>An error occurred while signing in to Amazon Connect</h2><h3>No access</h3>` +
			`<p>Confirm with your administrator that you have access to Amazon Connect and that your primary email address is assigned in IAM Identity Center.</p></div></div></body></html>`}})

	// AD FS IdP-initiated sign-on from the loginToRp link: no RelayState
	// is posted and the agent lands in the AWS console.
	adfs := fixture.Response{Issuer: "http://sts.example-corp.com/adfs/services/trust", NameID: "EXAMPLE\\jane.doe"}
	resp := signed(adfs)
	b64 := base64.StdEncoding.EncodeToString(resp)
	start := "https://sts.example-corp.com/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices"
	har("adfs-no-relaystate", []fixture.Step{
		{Time: at.Add(-2 * time.Second), Method: "GET", URL: start, Status: 200, Mime: "text/html; charset=utf-8", Body: fixture.AutoPostPage("https://signin.aws.amazon.com/saml", b64, "")},
		{Time: at.Add(400 * time.Millisecond), Method: "POST", URL: "https://signin.aws.amazon.com/saml", Form: [][2]string{{"SAMLResponse", b64}}, Status: 302,
			Location: "https://console.aws.amazon.com/console/home?region=us-east-1"},
		{Time: at.Add(900 * time.Millisecond), Method: "GET", URL: "https://console.aws.amazon.com/console/home?region=us-east-1", Status: 200, Mime: "text/html",
			Body: "<html><head><title>AWS Management Console</title></head><body><div id=\"app\"></div></body></html>"},
	})

	// Okta's AWS Account Federation app sends no Role: the user's only
	// AWS group is for a role named with a period, which the default
	// Group Filter drops.
	okta := fixture.Response{Issuer: "http://www.okta.com/exk1a2b3c4d5e6f7g8h9", Roles: []string{}}
	oktaResp := base64.StdEncoding.EncodeToString(signed(okta))
	oktaSSO := "https://example-corp.okta.com/app/amazon_aws/exk1a2b3c4d5e6f7g8h9/sso/saml"
	har("okta-role-missing", []fixture.Step{
		{Time: at.Add(-3 * time.Second), Method: "GET", URL: "https://example-corp.okta.com/home/amazon_aws/0oa1b2c3d4e5f6g7h8i9/272", Status: 302, Location: oktaSSO},
		{Time: at.Add(-2 * time.Second), Method: "GET", URL: oktaSSO, Status: 200, Mime: "text/html;charset=utf-8", Body: fixture.AutoPostPage("https://signin.aws.amazon.com/saml", oktaResp, fixture.RelayState())},
		{Time: at.Add(400 * time.Millisecond), Method: "POST", URL: "https://signin.aws.amazon.com/saml", Form: [][2]string{{"SAMLResponse", oktaResp}, {"RelayState", fixture.RelayState()}},
			Status: 200, Mime: "text/html;charset=UTF-8", Body: fixture.SignInErrorPage(fixture.InvalidSAMLPage.SignInError)},
	})
	write("okta-role-missing/iam.json", authDetails(
		role("Connect.Agents", "AROAYZ2EXAMPLE7OKTA1", trust("arn:aws:iam::"+acct+":saml-provider/Okta"), true)))
	write("okta-role-missing/saml-providers.json", map[string]any{"SAMLProviderList": []any{map[string]any{"Arn": "arn:aws:iam::" + acct + ":saml-provider/Okta", "CreateDate": "2024-03-11T09:30:00+00:00", "ValidUntil": "2124-03-11T09:30:00+00:00"}}})

	// Entra ID's AWS Single-Account Access app, the agent assigned
	// without an AWS role: no Role claim. The Connect role trusts two
	// providers, so Entra's role import skipped it.
	entraStart := "https://myapps.microsoft.com/signin/AWS%20Single-Account%20Access/9a8b7c6d-0000-4000-8000-123456789abc?tenantId=0a1b2c3d-0000-4000-8000-123456789abc"
	noRole := fixture.Response{Roles: []string{}}
	steps := fixture.SignIn(signed(noRole), fixture.RelayState(), at, fixture.InvalidSAMLPage)
	har("entra-role-missing", append([]fixture.Step{{Time: at.Add(-3 * time.Second), Method: "GET", URL: entraStart, Status: 302, Location: steps[0].URL}}, steps...))
	write("entra-role-missing/iam.json", authDetails(
		role("ConnectAgents", "AROAYZ2EXAMPLE5AGENT", trust(fixture.DefaultProvider, "arn:aws:iam::"+acct+":saml-provider/EntraIDLegacy"), true)))
	write("entra-role-missing/saml-provider.json", fixture.GetSAMLProvider("SAMLSPD9IMTW2LM46J042K"))
	write("entra-role-missing/saml-providers.json", map[string]any{"SAMLProviderList": []any{
		map[string]any{"Arn": fixture.DefaultProvider, "CreateDate": "2024-03-11T09:30:00+00:00", "ValidUntil": "2124-03-11T09:30:00+00:00"},
		map[string]any{"Arn": "arn:aws:iam::" + acct + ":saml-provider/EntraIDLegacy", "CreateDate": "2023-01-11T09:30:00+00:00", "ValidUntil": "2123-01-11T09:30:00+00:00"}}})
}

func har(name string, steps []fixture.Step) {
	if err := os.WriteFile(filepath.Join(dir, name+".har"), fixture.HAR(fixture.Chrome, steps), 0o644); err != nil {
		panic(err)
	}
}

func write(name string, v any) {
	path := filepath.Join(dir, "aws-data", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		panic(err)
	}
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}

func trust(providers ...string) map[string]any {
	var fed any = providers[0]
	if len(providers) > 1 {
		fed = providers
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": fed},
		"Action": "sts:AssumeRoleWithSAML", "Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}}}}
}

func role(name, id string, trust map[string]any, federation bool) map[string]any {
	r := map[string]any{"Path": "/", "RoleName": name, "RoleId": id, "Arn": "arn:aws:iam::" + acct + ":role/" + name, "CreateDate": "2024-03-11T09:40:12+00:00",
		"AssumeRolePolicyDocument": trust, "InstanceProfileList": []any{}, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{}, "Tags": []any{}}
	if federation {
		r["RolePolicyList"] = []any{map[string]any{"PolicyName": "ConnectFederation", "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{
			map[string]any{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/user/${aws:userid}"}}}}}
	}
	return r
}

func authDetails(roles ...map[string]any) map[string]any {
	l := []any{}
	for _, r := range roles {
		l = append(l, r)
	}
	return map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": l, "Policies": []any{}}
}

// account writes the Connect instance, its agent, the role (which trusts
// the provider and may federate) and the provider.
func account(name string) {
	write(name+"/iam.json", authDetails(role("ConnectAgents", "AROAYZ2EXAMPLE5AGENT", trust(fixture.DefaultProvider), true)))
	write(name+"/saml-provider.json", fixture.GetSAMLProvider("SAMLSPD9IMTW2LM46J042K"))
	write(name+"/instance.json", map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance,
		"IdentityManagementType": "SAML", "InstanceAlias": "example-corp", "InstanceStatus": "ACTIVE"}})
	write(name+"/users.json", map[string]any{"UserSummaryList": []any{map[string]any{"Id": "2f8b4c6e-1a3d-4e5f-8a9b-0c1d2e3f4a5b",
		"Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/agent/2f8b4c6e-1a3d-4e5f-8a9b-0c1d2e3f4a5b", "Username": "jane.doe@example.com", "LastModifiedRegion": region}}})
}

// org writes the account's path (account → OU → root), the policies of a
// type attached at each level (the AWS managed one everywhere, and the
// custom ones where they say) and the custom ones' documents.
func org(name, typ, managed string, custom map[string]any) {
	short := "scp"
	if typ == "RESOURCE_CONTROL_POLICY" {
		short = "rcp"
	}
	write(name+"/org-parents-"+acct+".json", map[string]any{"Parents": []any{map[string]any{"Id": ouID, "Type": "ORGANIZATIONAL_UNIT"}}})
	write(name+"/org-parents-"+ouID+".json", map[string]any{"Parents": []any{map[string]any{"Id": rootID, "Type": "ROOT"}}})
	managedName := strings.TrimPrefix(managed, "p-")
	summary := func(id, pname string) map[string]any {
		if id == managed {
			return map[string]any{"Id": id, "Arn": "arn:aws:organizations::aws:policy/" + strings.ToLower(typ) + "/" + id, "Name": pname,
				"Description": "Allows access to every operation", "Type": typ, "AwsManaged": true}
		}
		return map[string]any{"Id": id, "Arn": "arn:aws:organizations::" + mgmt + ":policy/" + orgID + "/" + strings.ToLower(typ) + "/" + id, "Name": pname, "Type": typ, "AwsManaged": false}
	}
	for _, target := range []string{acct, ouID, rootID} {
		l := []any{summary(managed, managedName)}
		for id, c := range custom {
			m := c.(map[string]any)
			if m["target"] == target {
				l = append(l, summary(id, m["name"].(string)))
			}
		}
		write(name+"/org-"+short+"-for-target-"+target+".json", map[string]any{"Policies": l})
	}
	for id, c := range custom {
		m := c.(map[string]any)
		content, _ := json.Marshal(m["doc"])
		write(name+"/org-policy-"+id+".json", map[string]any{"Policy": map[string]any{"PolicySummary": summary(id, m["name"].(string)), "Content": string(content)}})
	}
}
