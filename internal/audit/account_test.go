package audit_test

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/trail"
)

// The fixture account: one Connect instance (SAML) and one that is not,
// four SAML providers (their get-saml-provider outputs without ARN, as
// the AWS CLI writes them), six roles, six Connect users, the IdP's users in
// each of the three exports, and a week of CloudTrail log files. Every
// check of the audit has a case in it, beside near misses that must stay
// quiet:
//
//   - providers: EntraID's certificate expires in 10 days (warning) and
//     the IdP's metadata has a new one IAM lacks; OktaOld's expired
//     (error) and it requires encryption without a key; Fine's is valid
//     for 300 days and Allowed without a key (quiet);
//   - roles: ConnectAgents' GetFederationToken statement names us-east-1
//     (a near miss); ConnectSupervisors trusts EntraID only through
//     eu-west-2's endpoint; ConnectLegacy (global endpoint, right
//     statement) and AppRole (trusts EC2) are quiet; BillingReadOnly
//     (EntraID) and PartnerViewOnly (a partner's provider), console roles
//     CloudTrail shows signed in to the console only, are not judged for
//     Connect (information, no fix);
//   - users: john.smith matches only up to case; ann.lee has two Connect
//     users differing by case; kim.park and kpark are one person (one
//     e-mail); new.agent has no Connect user; "x" is no RoleSessionName;
//     admin has no IdP user; jane.doe matches (quiet);
//   - CloudTrail: a trust-policy failure, a GetFederationToken denial, an
//     assertion not yet valid, a replayed one, an error no rule knows, an
//     agent whose role changed; successes, console sign-ins (jane's last,
//     with the billing role), another service's events, a failure before
//     --since and a digest file quiet.
const (
	acct       = "111122223333"
	instanceID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	otherInst  = "ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee"
)

var accountNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type account struct {
	// aws holds the AWS CLI's outputs as it writes them (get-saml-provider
	// without an ARN); fake the same with the ARNs the fake AWS serves by.
	aws, fake, trail, metadata string
	exports                    map[string]string // format: file
	events                     []map[string]any  // lookup-events' Events, for the live run
}

func writeAccount(t *testing.T) *account {
	t.Helper()
	dir := t.TempDir()
	a := &account{aws: filepath.Join(dir, "aws"), fake: filepath.Join(dir, "fake"), trail: filepath.Join(dir, "trail"), metadata: filepath.Join(dir, "idp-metadata.xml"), exports: map[string]string{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var write func(path string, v any)
	write = func(path string, v any) {
		t.Helper()
		m, _ := v.(map[string]any)
		if rel, err := filepath.Rel(a.aws, path); err == nil && !strings.HasPrefix(rel, "..") && (m == nil || m["SAMLMetadataDocument"] == nil) {
			write(filepath.Join(a.fake, rel), v) // the fake's copy
		}
		must(os.MkdirAll(filepath.Dir(path), 0o755))
		b, ok := v.(string)
		if !ok {
			j, err := json.MarshalIndent(v, "", "  ")
			must(err)
			b = string(j)
		}
		must(os.WriteFile(path, []byte(b), 0o644))
	}
	day := 24 * time.Hour
	arnOf := func(kind, name string) string { return "arn:aws:iam::" + acct + ":" + kind + "/" + name }

	// The instances.
	instance := func(id, mgmt string) map[string]any {
		return map[string]any{"Instance": map[string]any{"Id": id, "Arn": "arn:aws:connect:ap-southeast-2:" + acct + ":instance/" + id, "IdentityManagementType": mgmt, "InstanceStatus": "ACTIVE"}}
	}
	write(filepath.Join(a.aws, "instance.json"), instance(instanceID, "SAML"))
	write(filepath.Join(a.aws, "other-instance.json"), instance(otherInst, "CONNECT_MANAGED"))

	// The users, and two described: one person, two users.
	var summaries []map[string]any
	userARN := func(id string) string {
		return "arn:aws:connect:ap-southeast-2:" + acct + ":instance/" + instanceID + "/agent/" + id
	}
	for i, n := range []string{"jane.doe@example.com", "John.Smith@example.com", "ann.lee@example.com", "Ann.Lee@example.com", "kim.park@example.com", "kpark@example.com", "admin", "new.agent@contractor.example.com"} {
		id := fmt.Sprintf("%08d-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
		summaries = append(summaries, map[string]any{"Id": id, "Arn": userARN(id), "Username": n})
		if strings.Contains(n, "park") {
			write(filepath.Join(a.aws, "user-"+id+".json"), map[string]any{"User": map[string]any{"Id": id, "Arn": userARN(id), "Username": n,
				"IdentityInfo": map[string]any{"FirstName": "Kim", "LastName": "Park", "Email": "kim.park@example.com"}}})
		}
	}
	write(filepath.Join(a.aws, "users.json"), map[string]any{"UserSummaryList": summaries})

	// The providers.
	expiring := fixture.NewKey("EntraID 2025", accountNow.Add(-300*day), accountNow.Add(10*day))
	next := fixture.NewKey("EntraID 2026", accountNow.Add(-day), accountNow.Add(700*day))
	expired := fixture.NewKey("Okta 2024", accountNow.Add(-400*day), accountNow.Add(-3*day))
	fine := fixture.NewKey("Fine", accountNow.Add(-60*day), accountNow.Add(300*day))
	partner := fixture.NewKey("Partner", accountNow.Add(-60*day), accountNow.Add(400*day))
	metadata := func(entity string, keys ...*fixture.Key) string {
		var kd string
		for _, k := range keys {
			kd += `<KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(k.DER) + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`
		}
		return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entity + `"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kd +
			`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/></IDPSSODescriptor></EntityDescriptor>`
	}
	var providerList []map[string]any
	for _, p := range []struct {
		name, entity, mode, file, created string
		keys                              []*fixture.Key
	}{
		// get-saml-provider's outputs, which have no ARN: EntraID's file is
		// named after it; OktaOld's CreateDate is its own; Partner's entity
		// ID is the SAML:iss of the role that trusts it; Fine is the one
		// provider left.
		{"EntraID", "https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/", "Allowed", "get-saml-provider-EntraID.json", "2024-03-11T09:30:00Z", []*fixture.Key{expiring}},
		{"OktaOld", "http://www.okta.com/exk1old", "Required", "okta.json", "2023-05-02T10:00:00Z", []*fixture.Key{expired}},
		{"Fine", "https://idp.example.org/saml", "Allowed", "get-saml-provider.json", "2025-01-20T08:00:00Z", []*fixture.Key{fine}},
		{"Partner", "https://partner.example.net/saml", "Allowed", "get-saml-provider (1).json", "2025-01-20T08:00:00Z", []*fixture.Key{partner}},
	} {
		out := map[string]any{"SAMLMetadataDocument": metadata(p.entity, p.keys...), "SAMLProviderUUID": "SAMLSP" + strings.ToUpper(p.name),
			"CreateDate": p.created, "ValidUntil": "2124-03-11T09:30:00Z", "AssertionEncryptionMode": p.mode, "PrivateKeyList": []any{}}
		write(filepath.Join(a.aws, p.file), out)
		out["SAMLProviderArn"] = arnOf("saml-provider", p.name)
		write(filepath.Join(a.fake, "provider-"+p.name+".json"), out)
		providerList = append(providerList, map[string]any{"Arn": arnOf("saml-provider", p.name), "CreateDate": p.created, "ValidUntil": "2124-03-11T09:30:00Z"})
	}
	write(filepath.Join(a.aws, "saml-providers.json"), map[string]any{"SAMLProviderList": providerList})
	write(a.metadata, metadata("https://sts.windows.net/0a1b2c3d-0000-4000-8000-123456789abc/", expiring, next))

	// The roles.
	trust := func(principal map[string]any, aud string) map[string]any {
		st := map[string]any{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithSAML"}
		if aud != "" {
			st["Condition"] = map[string]any{"StringEquals": map[string]any{"SAML:aud": aud}}
		} else {
			st["Action"] = "sts:AssumeRole"
		}
		return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
	}
	federation := func(region string) []any {
		return []any{map[string]any{"PolicyName": "ConnectFederation", "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instanceID + "/user/${aws:userid}"}}}}}
	}
	entra := map[string]any{"Federated": arnOf("saml-provider", "EntraID")}
	partnerTrust := trust(map[string]any{"Federated": arnOf("saml-provider", "Partner")}, "https://signin.aws.amazon.com/saml")
	partnerTrust["Statement"].([]any)[0].(map[string]any)["Condition"].(map[string]any)["StringEquals"].(map[string]any)["SAML:iss"] = "https://partner.example.net/saml"
	inline := func(name string, actions ...string) []any {
		return []any{map[string]any{"PolicyName": name, "PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}}}}
	}
	var roles []any
	for i, r := range []struct {
		name     string
		trust    map[string]any
		policy   []any
		attached []any
	}{
		{"ConnectAgents", trust(entra, "https://ap-southeast-2.signin.aws.amazon.com/saml"), federation("us-east-1"), nil},
		{"ConnectSupervisors", trust(entra, "https://eu-west-2.signin.aws.amazon.com/saml"), federation("ap-southeast-2"), nil},
		{"ConnectLegacy", trust(entra, "https://signin.aws.amazon.com/saml"), federation("ap-southeast-2"), nil},
		{"AppRole", trust(map[string]any{"Service": "ec2.amazonaws.com"}, ""), []any{}, nil},
		// Console roles trusting SAML providers, signed in to the console
		// only: not judged for Connect (no GetFederationToken would be
		// proposed for them).
		{"BillingReadOnly", trust(entra, "https://signin.aws.amazon.com/saml"), inline("BillingView", "aws-portal:ViewBilling", "ce:Get*"),
			[]any{map[string]any{"PolicyName": "Billing", "PolicyArn": "arn:aws:iam::aws:policy/job-function/Billing"}}},
		{"PartnerViewOnly", partnerTrust, inline("ViewOnly", "cloudwatch:Describe*", "s3:List*"), nil},
	} {
		attached := r.attached
		if attached == nil {
			attached = []any{}
		}
		roles = append(roles, map[string]any{"Path": "/", "RoleName": r.name, "RoleId": fmt.Sprintf("AROAYZ2EXAMPLE%06d", i), "Arn": arnOf("role", r.name), "CreateDate": "2024-03-11T09:40:12Z",
			"AssumeRolePolicyDocument": r.trust, "RolePolicyList": r.policy, "AttachedManagedPolicies": attached})
	}
	write(filepath.Join(a.aws, "iam.json"), map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": roles, "Policies": []any{}})

	// The IdP's users, in each of the three exports.
	idpUsers := []struct{ first, last, name string }{
		{"Jane", "Doe", "jane.doe@example.com"}, {"John", "Smith", "john.smith@example.com"}, {"Ann", "Lee", "ann.lee@example.com"},
		{"Kim", "Park", "kim.park@example.com"}, {"Kim", "Park", "kpark@example.com"}, {"New", "Agent", "new.agent@example.com"}, {"X", "X", "x"},
	}
	// Each product's export, with its real header (the documentation they
	// follow is named beside each).
	exports := map[string]*strings.Builder{}
	header := func(format, h string) *strings.Builder {
		b := &strings.Builder{}
		b.WriteString(h + "\n")
		exports[format] = b
		return b
	}
	// Entra "Download users" as written: Graph's property names.
	entraCSV := header("entra", "id,userPrincipalName,displayName,surname,mail,givenName,userType,accountEnabled")
	// Entra "Download users" as documented (learn.microsoft.com,
	// users-bulk-download): userPrincipalName, displayName, surname, mail,
	// givenName, objectId, userType, jobTitle, department, accountEnabled.
	entraDoc := header("entra-documented", "userPrincipalName,displayName,surname,mail,givenName,objectId,userType,jobTitle,department,accountEnabled")
	// Okta, Reports > Users.
	oktaCSV := header("okta", "Username,First name,Last name,Primary email,Status")
	// Okta Password Health (help.okta.com, okta-password-health-report).
	health := header("okta-password-health", "User,Login,Status,Activation date,Authentication Source,Last Login,Last Password Change")
	// Okta Current Assignments (help.okta.com, app-current-assignments-report):
	// who is assigned to which application.
	assigned := header("okta-assignments", "User,Login,Application name,Application instance,Application login,Assigned on,Unassigned on,Last login")
	// An Entra enterprise application's users, exported with Microsoft
	// Graph PowerShell (Get-MgServicePrincipalAppRoleAssignedTo | Export-Csv,
	// Windows PowerShell's #TYPE line first): Graph's appRoleAssignment.
	entraAssigned := header("entra-app-assignments", "#TYPE Microsoft.Graph.PowerShell.Models.MicrosoftGraphAppRoleAssignment\n"+
		`"AppRoleId","CreatedDateTime","DeletedDateTime","Id","PrincipalDisplayName","PrincipalId","PrincipalType","ResourceDisplayName","ResourceId"`)
	// Google Workspace, Users > Download users.
	googleCSV := header("google", "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY]")
	for i, u := range idpUsers {
		fmt.Fprintf(entraCSV, "%08d-7f3d-4c1e-9a8b-1d2e3f4a5b6c,%s,%s %s,%s,%s,%s,Member,True\n", i, u.name, u.first, u.last, u.last, u.name, u.first)
		fmt.Fprintf(entraDoc, "%s,%s %s,%s,%s,%s,%08d-7f3d-4c1e-9a8b-1d2e3f4a5b6c,Member,Agent,Contact Centre,True\n", u.name, u.first, u.last, u.last, u.name, u.first, i)
		fmt.Fprintf(oktaCSV, "%s,%s,%s,%s,ACTIVE\n", u.name, u.first, u.last, u.name)
		fmt.Fprintf(health, "%s %s,%s,ACTIVE,2024-03-11T09:30:00.000Z,OKTA,2026-11-27T08:00:00.000Z,2026-10-01T08:00:00.000Z\n", u.first, u.last, u.name)
		fmt.Fprintf(assigned, "%s %s,%s,Amazon Connect,amazon_aws_connect,%s,2024-03-11T09:30:00.000Z,,2026-11-27T08:00:00.000Z\n", u.first, u.last, u.name, u.name)
		fmt.Fprintf(googleCSV, "%s,%s,%s,Active\n", u.first, u.last, u.name)
		fmt.Fprintf(entraAssigned, `"8c5f3f40-0000-4000-8000-000000000001","11/03/2024 09:30:00","","a%07d","%s %s","%08d-7f3d-4c1e-9a8b-1d2e3f4a5b6c","User","Amazon Connect","5d2c0f70-0000-4000-8000-000000000002"`+"\n", i, u.first, u.last, i)
	}
	// Outside the agents: the directory's others (another department, an
	// agent who left, another application's user), which the filter or the
	// report's Unassigned on leave out.
	fmt.Fprintf(entraDoc, "pat.finance@example.com,Pat Finance,Finance,pat.finance@example.com,Pat,00000099-7f3d-4c1e-9a8b-1d2e3f4a5b6c,Member,Accountant,Finance,True\n")
	fmt.Fprintf(assigned, "Gone Agent,gone.agent@example.com,Amazon Connect,amazon_aws_connect,gone.agent@example.com,2024-03-11T09:30:00.000Z,2026-06-01T09:30:00.000Z,2026-05-30T08:00:00.000Z\n")
	fmt.Fprintf(assigned, "Sam Sales,sam.sales@example.com,Salesforce,salesforce,sam.sales@example.com,2024-03-11T09:30:00.000Z,,2026-11-27T08:00:00.000Z\n")
	for format, b := range exports {
		a.exports[format] = filepath.Join(dir, "idp", format+".csv")
		write(a.exports[format], b.String())
	}

	// A week of CloudTrail.
	type rec = map[string]any
	stsRec := func(agent, role, code, msg string, at time.Time) rec {
		region := "us-east-1" // the global sign-in endpoint
		if agent == "kim.park@example.com" {
			region = "ap-southeast-2" // the instance Region's endpoint
		}
		r := rec{"eventVersion": "1.09", "eventTime": at.Format(time.RFC3339), "eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML", "awsRegion": region,
			"eventID":           fmt.Sprintf("e-%s-%d", agent, at.Unix()),
			"userIdentity":      rec{"type": "SAMLUser", "principalId": "VGVzdA==:" + agent, "userName": agent, "identityProvider": "VGVzdA=="},
			"requestParameters": rec{"roleArn": arnOf("role", role), "principalArn": arnOf("saml-provider", "EntraID"), "roleSessionName": agent}}
		if code != "" {
			r["errorCode"], r["errorMessage"] = code, msg
		}
		return r
	}
	gftRec := func(agent, role, code string, at time.Time) rec {
		r := rec{"eventVersion": "1.09", "eventTime": at.Format(time.RFC3339), "eventSource": "connect.amazonaws.com", "eventName": "GetFederationToken", "awsRegion": "ap-southeast-2",
			"eventID": fmt.Sprintf("g-%s-%d", agent, at.Unix()),
			"userIdentity": rec{"type": "AssumedRole", "arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + agent,
				"sessionContext": rec{"sessionIssuer": rec{"type": "Role", "arn": arnOf("role", role)}}},
			"requestParameters": rec{"InstanceId": instanceID}}
		if code != "" {
			r["errorCode"], r["errorMessage"] = code, "User is not authorized to access this resource"
		}
		return r
	}
	ago := func(d time.Duration) time.Time { return accountNow.Add(-d) }
	partnerRec := func(code string, at time.Time) rec {
		r := stsRec("viewer@partner.example.net", "PartnerViewOnly", code, "", at)
		r["requestParameters"].(rec)["principalArn"] = arnOf("saml-provider", "Partner")
		if code != "" {
			r["errorMessage"] = "Not authorized to perform sts:AssumeRoleWithSAML"
		}
		return r
	}
	records := []rec{
		stsRec("ann.lee@example.com", "ConnectSupervisors", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", ago(2*day)),
		stsRec("ann.lee@example.com", "ConnectSupervisors", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", ago(2*day-time.Minute)),
		gftRec("jane.doe@example.com", "ConnectAgents", "AccessDeniedException", ago(3*day)),
		stsRec("kim.park@example.com", "ConnectAgents", "InvalidIdentityToken", "The SAML assertion is not yet valid", ago(day)),
		stsRec("kim.park@example.com", "ConnectAgents", "SomethingNewException", "Something no rule knows", ago(day-time.Hour)),
		// A page posted twice: the second is refused, the first passed.
		stsRec("jane.doe@example.com", "ConnectAgents", "AuthSamlAssertionReplayedException", "The SAML assertion was already used", ago(4*day-2*time.Second)),
		// john.smith: bound to ConnectAgents, now signs in with ConnectSupervisors.
		stsRec("john.smith@example.com", "ConnectAgents", "", "", ago(5*day)),
		gftRec("john.smith@example.com", "ConnectAgents", "", ago(5*day-time.Second)),
		stsRec("john.smith@example.com", "ConnectSupervisors", "", "", ago(day)),
		// Quiet: jane signs in with the role she was bound to; another
		// service's event; a failure before --since (7 days).
		stsRec("jane.doe@example.com", "ConnectAgents", "", "", ago(4*day)),
		gftRec("jane.doe@example.com", "ConnectAgents", "", ago(4*day-time.Second)),
		stsRec("jane.doe@example.com", "ConnectAgents", "", "", ago(day)),
		{"eventVersion": "1.09", "eventTime": ago(day).Format(time.RFC3339), "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "us-east-1", "eventID": "s3"},
		stsRec("old.agent@example.com", "ConnectAgents", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", ago(20*day)),
		// Console sign-ins only with the console roles (jane's last sign-in
		// is to the billing console, after her Connect one; a partner's
		// sign-in, and one the trust policy refused): quiet.
		stsRec("jane.doe@example.com", "BillingReadOnly", "", "", ago(12*time.Hour)),
		partnerRec("", ago(2*day)),
		partnerRec("AccessDenied", ago(3*day)),
	}
	// Two log files a day, as the trail writes them; a digest beside.
	for i, r := range records {
		at, _ := time.Parse(time.RFC3339, r["eventTime"].(string))
		p := filepath.Join(a.trail, "AWSLogs", acct, "CloudTrail", r["awsRegion"].(string), at.Format("2006/01/02"),
			fmt.Sprintf("%s_CloudTrail_%s_%s_%02d.json.gz", acct, r["awsRegion"], at.Format("20060102T1504Z"), i))
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		f, err := os.Create(p)
		must(err)
		zw := gzip.NewWriter(f)
		must(json.NewEncoder(zw).Encode(map[string]any{"Records": []any{r}}))
		must(zw.Close())
		must(f.Close())
		ct, _ := json.Marshal(r)
		a.events = append(a.events, map[string]any{"EventId": r["eventID"], "EventName": r["eventName"], "EventTime": r["eventTime"], "EventSource": r["eventSource"], "CloudTrailEvent": string(ct)})
	}
	write(filepath.Join(a.trail, "AWSLogs", acct, "CloudTrail-Digest", "us-east-1", "2026", "11", "27", acct+"_CloudTrail-Digest_us-east-1_x.json.gz"), "not a log")
	return a
}

// want is one finding of the fixture account: its id, severity and what
// it affects. offline marks the ones a live read cannot see (say why).
type want struct {
	id, severity string
	affected     []string
}

// accountFindings are the findings the fixture account gives, in the
// audit's order, the same from every export.
var accountFindings = []want{
	{"iam.cert_expiring", diagnose.Error, []string{"arn:aws:iam::111122223333:saml-provider/OktaOld"}},
	{"connect.instance_not_saml", diagnose.Error, []string{otherInst}},
	// A role's fault stops the agents CloudTrail shows signing in with it.
	{"iam.federation_token_denied", diagnose.Error, []string{"arn:aws:iam::111122223333:role/ConnectAgents", "jane.doe@example.com"}},
	{"iam.trust_policy_denies", diagnose.Error, []string{"arn:aws:iam::111122223333:role/ConnectSupervisors", "john.smith@example.com"}},
	{"connect.username_case_mismatch", diagnose.Error, []string{"john.smith@example.com"}},
	{"aws.session_name_invalid", diagnose.Error, []string{"x"}},
	{"iam.trust_policy_denies", diagnose.Error, []string{"ann.lee@example.com"}},
	{"iam.federation_token_denied", diagnose.Error, []string{"jane.doe@example.com"}},
	{"trail.unexplained_failure", diagnose.Error, []string{"kim.park@example.com"}},
	{"saml.not_yet_valid", diagnose.Error, []string{"kim.park@example.com"}},
	{"trail.assertion_replayed", diagnose.Warning, []string{"jane.doe@example.com"}},
	// The console roles: information only, no fix widening their access.
	{"iam.role_not_for_connect", diagnose.Info, []string{"arn:aws:iam::111122223333:role/BillingReadOnly", "arn:aws:iam::111122223333:role/PartnerViewOnly"}},
	{"connect.role_changed", diagnose.Error, []string{"john.smith@example.com"}},
	{"iam.cert_expiring", diagnose.Warning, []string{"arn:aws:iam::111122223333:saml-provider/EntraID"}},
	{"iam.cert_not_in_provider", diagnose.Warning, []string{"arn:aws:iam::111122223333:saml-provider/EntraID"}},
	{"iam.no_decryption_key", diagnose.Error, []string{"arn:aws:iam::111122223333:saml-provider/OktaOld"}},
	{"connect.duplicate_users", diagnose.Warning, []string{"ann.lee@example.com", "Ann.Lee@example.com"}},
	{"idp.multiple_profiles", diagnose.Warning, []string{"kim.park@example.com", "kpark@example.com"}},
	{"connect.user_not_found", diagnose.Warning, []string{"new.agent@example.com"}},
	{"connect.user_without_idp_user", diagnose.Info, []string{"admin", "Ann.Lee@example.com", "new.agent@contractor.example.com"}},
}

func got(res *audit.Result) []want {
	var out []want
	for _, f := range res.Findings {
		w := want{id: f.ID, severity: f.Severity}
		for _, a := range f.Affected {
			w.affected = append(w.affected, a.Name)
		}
		out = append(out, w)
	}
	return out
}

// compare reports the findings that differ from the expected, as sets
// (the order among equals is the audit's to choose).
func compare(t *testing.T, label string, res *audit.Result, expected []want) {
	t.Helper()
	key := func(w want) string {
		a := slices.Clone(w.affected)
		slices.Sort(a)
		return w.id + " " + w.severity + " " + strings.Join(a, ",")
	}
	var g, e []string
	for _, w := range got(res) {
		g = append(g, key(w))
	}
	for _, w := range expected {
		e = append(e, key(w))
	}
	slices.Sort(g)
	slices.Sort(e)
	if !slices.Equal(g, e) {
		var missing, extra []string
		for _, k := range e {
			if !slices.Contains(g, k) {
				missing = append(missing, k)
			}
		}
		for _, k := range g {
			if !slices.Contains(e, k) {
				extra = append(extra, k)
			}
		}
		t.Errorf("%s:\n  missing: %q\n  unexpected: %q", label, missing, extra)
	}
	for _, f := range res.Findings {
		// An agent a role's fault stops is there because CloudTrail shows it.
		if f.Affected[0].Kind == "role" && len(f.Affected) > 1 && f.Affected[1].Kind == "agent" && !strings.Contains(f.Evidence[len(f.Evidence)-1].What, "CloudTrail shows with role") {
			t.Errorf("%s: %s lists agents without CloudTrail's evidence: %+v", label, f.ID, f.Evidence)
		}
		if len(f.Evidence) == 0 || f.Fix == nil || f.Fix.Check == nil || f.Fix.Check.Result == "" {
			t.Errorf("%s: %s has no evidence, fix or check: %+v", label, f.ID, f)
		}
		if f.Count() != len(f.Affected) {
			t.Errorf("%s: %s counts %d, affects %d", label, f.ID, f.Count(), len(f.Affected))
		}
	}
}

func readTrail(t *testing.T, dir string, since time.Time) *audit.Trail {
	t.Helper()
	files, digests, err := trail.Files([]string{dir})
	if err != nil || digests != 1 {
		t.Fatalf("%v, %d digests", err, digests)
	}
	sinks, st, err := trail.Read(context.Background(), files, since, 2, audit.NewTrail, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := audit.NewTrail()
	for _, s := range sinks {
		tr.Merge(s)
	}
	tr.Files, tr.Records, tr.Since = st.Files, st.Records, since
	return tr
}

func readAssignments(t *testing.T, path string) *audit.Assignments {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	as, err := audit.ReadIdPAssignments(path, f, "")
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// exportFilter is the --idp-users-filter each export is read with: the
// documented Entra export holds the whole directory, narrowed to the
// contact centre's department; Okta's assignment report every
// application's, narrowed to Connect's.
var exportFilter = map[string]string{"entra-documented": "department=Contact Centre", "okta-assignments": "Application name=Amazon Connect"}

func readExport(t *testing.T, path string, filter string) *audit.IdPUsers {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := audit.ReadIdPExport(path, f, audit.ExportOptions{Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The fixture account audited offline, from each of the three exports:
// every check says what it should, the near misses nothing.
func TestFixtureAccount(t *testing.T) {
	a := writeAccount(t)
	md, err := os.ReadFile(a.metadata)
	if err != nil {
		t.Fatal(err)
	}
	meta, err := assertion.ParseMetadata(md)
	if err != nil {
		t.Fatal(err)
	}
	since := accountNow.Add(-7 * 24 * time.Hour)
	for _, c := range []struct{ export, format, assignments string }{
		{"entra", "entra", ""}, {"entra-documented", "entra", ""}, {"okta", "okta", ""}, {"okta-password-health", "okta-password-health", ""},
		{"okta-assignments", "okta-assignments", ""}, {"google", "google", ""},
		// Entra's users export beside the application's assignments.
		{"entra", "entra", "entra-app-assignments"},
	} {
		t.Run(c.export+"+"+c.assignments, func(t *testing.T) {
			set := evidence.NewSet()
			if err := set.LoadPaths([]string{a.aws}); err != nil {
				t.Fatal(err)
			}
			set.IdPMetadata = meta
			u := readExport(t, a.exports[c.export], exportFilter[c.export])
			if u.Format != c.format || len(u.Users) != 7 {
				t.Fatalf("%s read as %s, %d users", c.export, u.Format, len(u.Users))
			}
			in := audit.Input{AWS: set, IdPUsers: u, Trail: readTrail(t, a.trail, since), Now: accountNow}
			if c.assignments != "" {
				in.Assignments = readAssignments(t, a.exports[c.assignments])
				if in.Assignments.Format != c.assignments || len(in.Assignments.IDs) != 7 {
					t.Fatalf("%s read as %s, %d users", c.assignments, in.Assignments.Format, len(in.Assignments.IDs))
				}
			}
			res := audit.Run(in)
			// An assignment export says new.agent is an agent: an error,
			// and one more agent at risk; a directory's export, a warning
			// that says the export is the directory's.
			expected, errs, warns, atRisk := accountFindings, 12, 6, 3
			agents := u.Assigned || in.Assignments != nil
			if agents {
				expected = slices.Clone(accountFindings)
				i := slices.IndexFunc(expected, func(w want) bool { return w.id == "connect.user_not_found" })
				expected[i].severity = diagnose.Error
				errs, warns, atRisk = 13, 5, 4
			}
			compare(t, c.export, res, expected)
			if s := res.Summary; s.FailedSignIns != 6 || s.FailedAgents != 3 || s.Errors != errs || s.Warnings != warns || s.AgentsAtRisk != atRisk {
				t.Errorf("summary %+v", s)
			}
			nf := find(res, "connect.user_not_found")
			var near bool
			for _, e := range nf.Evidence {
				near = near || e.What == "similar Connect user of new.agent@example.com" && strings.HasPrefix(e.Value, "new.agent@contractor.example.com (")
			}
			if !near || !strings.HasPrefix(nf.Fix.Summary, "Where a similar Connect user is listed") {
				t.Errorf("the near match in another domain is not listed: %+v", nf.Evidence)
			}
			if directory := strings.Contains(nf.Detail, "lists the directory's users") || strings.Contains(nf.Detail, "narrowed to "+exportFilter[c.export]); directory == agents {
				t.Errorf("%s: %q", c.export, nf.Detail)
			}
			checkProviderCommands(t, res, map[string]string{"EntraID": "the file's name, get-saml-provider-EntraID.json", "OktaOld": "its CreateDate 2023-05-02T10:00:00Z, that of OktaOld in "})
		})
	}
}

// checkProviderCommands checks that each provider finding names its
// provider by ARN, says how the ARN was settled (how, by provider name;
// "" for a provider whose output names it), and fills its command.
func checkProviderCommands(t *testing.T, res *audit.Result, how map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range res.Findings {
		if f.Affected[0].Kind != "saml-provider" {
			continue
		}
		arn := f.Affected[0].Name
		name := arn[strings.LastIndex(arn, "/")+1:]
		seen[name] = true
		if !strings.HasPrefix(arn, "arn:aws:iam::111122223333:saml-provider/") || !strings.Contains(f.Title, "SAML provider "+name) {
			t.Errorf("%s names its provider %q: %s", f.ID, arn, f.Title)
		}
		if len(report.Render(*f.Fix).Commands) == 0 || !strings.Contains(report.Render(*f.Fix).Commands[0], "--saml-provider-arn "+arn+" ") {
			t.Errorf("%s: command %q", f.ID, report.Render(*f.Fix).Commands)
		}
		var said string
		for _, e := range f.Evidence {
			if strings.HasPrefix(e.Value, "named by ") {
				said = e.Value
			}
		}
		if how[name] == "" && said != "" || how[name] != "" && !strings.HasPrefix(said, "named by "+how[name]) {
			t.Errorf("%s of %s: %q, want named by %q", f.ID, name, said, how[name])
		}
	}
	for name := range how {
		if !seen[name] {
			t.Errorf("no finding of provider %s", name)
		}
	}
}

// The same account read live, from a local AWS that speaks AWS's
// protocols and holds the same outputs (its CloudTrail answers
// LookupEvents with the log files' records): the same findings, but for
// what a live read of one instance does not ask for.
func TestFixtureAccountLive(t *testing.T) {
	a := writeAccount(t)
	w, err := awsfake.LoadDir(a.fake)
	if err != nil {
		t.Fatal(err)
	}
	w.Events = a.events
	srv := awsfake.New(w)
	defer srv.Close()
	cfg := aws.Config{Region: "ap-southeast-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
	col := &awslive.Collector{Clients: awslive.NewClients(cfg, awslive.Options{MaxBackoff: 10 * time.Millisecond})}
	since := accountNow.Add(-7 * 24 * time.Hour)
	b := col.CollectAccount(context.Background(), awslive.Target{InstanceID: instanceID, Region: "ap-southeast-2", Since: since})
	if len(b.Denied) > 0 {
		t.Fatalf("denied: %+v", b.Denied)
	}
	set := evidence.NewSet()
	if err := set.LoadBundle("AWS", b); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(a.metadata)
	set.IdPMetadata, _ = assertion.ParseMetadata(md)
	res := audit.Run(audit.Input{AWS: set, IdPUsers: readExport(t, a.exports["entra"], ""), Now: accountNow})
	// A live read is of one instance (--instance-id): the other one is
	// read below. ListUsers gives no e-mail: one person's two users are
	// known by the IdP users that name them.
	var expected []want
	for _, f := range accountFindings {
		if f.id != "connect.instance_not_saml" {
			expected = append(expected, f)
		}
	}
	compare(t, "live", res, expected)
	if s := res.Summary; s.FailedSignIns != 6 || s.FailedAgents != 3 {
		t.Errorf("summary %+v", s)
	}
	// A live read names its providers by ARN.
	checkProviderCommands(t, res, map[string]string{"EntraID": "", "OktaOld": ""})
	// With Okta's assignment report, new.agent is an agent: an error.
	res = audit.Run(audit.Input{AWS: set, IdPUsers: readExport(t, a.exports["okta-assignments"], exportFilter["okta-assignments"]), Now: accountNow})
	if f := find(res, "connect.user_not_found"); f == nil || f.Severity != diagnose.Error || len(f.Affected) != 1 || f.Affected[0].Name != "new.agent@example.com" {
		t.Errorf("live, from the assignment report: %+v", f)
	}
	// The other instance, read live, says it is not SAML.
	b = col.CollectAccount(context.Background(), awslive.Target{InstanceID: otherInst, Region: "ap-southeast-2", Since: since})
	set = evidence.NewSet()
	if err := set.LoadBundle("AWS", b); err != nil {
		t.Fatal(err)
	}
	if f := find(audit.Run(audit.Input{AWS: set, Now: accountNow}), "connect.instance_not_saml"); f == nil || f.Affected[0].Name != otherInst {
		t.Errorf("the other instance live: %+v", f)
	}
}
