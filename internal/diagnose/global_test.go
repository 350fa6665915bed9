package diagnose_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// globalScenario is a sign-in through Amazon Connect Global Resiliency's
// endpoint: posted to the URL, no RelayState, the Audience and Recipient
// the endpoint, sent on to Connect.
func globalScenario(postURL string, trust map[string]any) scenario {
	s := base()
	s.acs = postURL
	s.resp.Audience = "https://" + instance + "." + region + ".sign-in.connect.aws/saml"
	none := ""
	s.relay = &none
	s.outcome = fixture.Success
	s.steps = func(st []fixture.Step) []fixture.Step {
		if len(st) < 4 {
			return st // an error page at the POST
		}
		st[1].Location = "https://example-corp.my.connect.aws/ccp-v2/"
		return append(st[:2], st[3]) // no console federation: straight to Connect
	}
	s.aws = map[string]string{"auth.json": authJSON("ConnectAgents", trust, federationDoc(region))}
	return s
}

func likeTrust(pattern string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": fixture.DefaultProvider},
		"Action": "sts:AssumeRoleWithSAML", "Condition": map[string]any{"StringLike": map[string]any{"SAML:aud": pattern}}}}}
}

func TestGlobalResiliency(t *testing.T) {
	gr := awsarn.GlobalSignInURL(instance, region, acct, "ConnectAgents", "EntraID", "/connect/ccp-v2")
	grBase := "https://" + instance + "." + region + ".sign-in.connect.aws/saml"

	t.Run("as AWS documents it", func(t *testing.T) {
		res := globalScenario(gr, likeTrust(grBase+"*")).run(t)
		if res.Outcome != "succeeded" || res.Failed() {
			t.Fatalf("outcome %s, findings %v", res.Outcome, ids(res))
		}
		for _, f := range res.Findings {
			if f.Severity == diagnose.Error || strings.HasPrefix(f.ID, "aws.relay_state") || f.ID == "saml.audience_invalid" || f.ID == "saml.recipient_invalid" {
				t.Errorf("finding on a documented Global Resiliency sign-in: %s %s", f.ID, f.Title)
			}
		}
		if s := res.Subject; s.InstanceID != instance || s.Region != region || s.Account != acct {
			t.Errorf("subject %+v", s)
		}
	})

	// A trust policy written for the usual endpoint: widened in place to
	// StringLike, keeping the value it allows today.
	t.Run("trust for the usual endpoint", func(t *testing.T) {
		s := globalScenario(gr, trustDoc("https://signin.aws.amazon.com/saml"))
		s.outcome = fixture.InvalidSAMLPage
		res := s.run(t)
		f := find(res, "iam.trust_policy_denies")
		if f == nil || f.Fix == nil || f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes {
			t.Fatalf("findings %v; %+v", ids(res), f)
		}
		doc := ""
		for _, file := range report.Render(*f.Fix).Files {
			doc += file.Content
		}
		if !strings.Contains(doc, `"StringLike"`) || !strings.Contains(doc, `"`+grBase+`*"`) || !strings.Contains(doc, `"https://signin.aws.amazon.com/saml"`) || strings.Contains(doc, `"StringEquals"`) {
			t.Errorf("trust policy written:\n%s", doc)
		}
	})

	// The URL names another role than the assertion's Role attribute.
	t.Run("role in the URL", func(t *testing.T) {
		wrong := awsarn.GlobalSignInURL(instance, region, acct, "ConnectAgentsOld", "EntraID", "/connect/ccp-v2")
		s := globalScenario(wrong, likeTrust(grBase+"*"))
		s.outcome = fixture.InvalidSAMLPage
		res := s.run(t)
		f := find(res, "aws.global_resiliency_mismatch")
		if f == nil || !strings.Contains(f.Title, `role is "ConnectAgentsOld", not "ConnectAgents"`) {
			t.Fatalf("findings %v; %+v", ids(res), f)
		}
		if len(f.Fix.Changes) != 1 || flat(f.Fix.Changes[0]).Value != gr || f.Fix.Check.Result != fix.Passes {
			t.Errorf("fix %+v, check %+v", f.Fix.Changes, f.Fix.Check)
		}
	})

	// The usual AWS audience is not the Global Resiliency endpoint's.
	t.Run("usual audience", func(t *testing.T) {
		s := globalScenario(gr, likeTrust(grBase+"*"))
		s.resp.Audience = "urn:amazon:webservices"
		s.outcome = fixture.InvalidSAMLPage
		res := s.run(t)
		if f := find(res, "saml.audience_invalid"); f == nil || f.Severity != diagnose.Error || !strings.Contains(f.Title, grBase) {
			t.Fatalf("findings %v", ids(res))
		}
	})
}

// With Global Resiliency the agent must be in a traffic distribution
// group; the fix adds the user to the instance's default group.
func TestTrafficDistributionGroup(t *testing.T) {
	gr := awsarn.GlobalSignInURL(instance, region, acct, "ConnectAgents", "EntraID", "/connect/ccp-v2")
	grBase := "https://" + instance + "." + region + ".sign-in.connect.aws/saml"
	userID := "00000000-1a3d-4e5f-8a9b-0c1d2e3f4a5b" // usersJSON's first user
	groups := js(map[string]any{"TrafficDistributionGroupSummaryList": []any{
		map[string]any{"Id": "tdg-0001", "Arn": "arn:aws:connect:" + region + ":" + acct + ":traffic-distribution-group/tdg-0001", "Name": "Default", "IsDefault": true,
			"InstanceArn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance}}})
	members := func(ids ...string) string {
		var l []any
		for _, id := range ids {
			l = append(l, map[string]any{"UserId": id})
		}
		return js(map[string]any{"TrafficDistributionGroupUserSummaryList": l})
	}
	run := func(files map[string]string) *diagnose.Result {
		s := globalScenario(gr, likeTrust(grBase+"*"))
		s.outcome = fixture.NotOnboarded
		s.steps = func(st []fixture.Step) []fixture.Step {
			// Sent on to the instance's domain, which shows the error.
			st[1].Location = "https://example-corp.my.connect.aws/ccp-v2/"
			st[2].URL = st[1].Location
			return st
		}
		s.aws["users.json"] = usersJSON(rsn, "john.smith@example.com")
		for k, v := range files {
			s.aws[k] = v
		}
		return s.run(t)
	}

	res := run(map[string]string{"groups.json": groups, "members.json": members("00000001-1a3d-4e5f-8a9b-0c1d2e3f4a5b")})
	f := find(res, "connect.not_in_traffic_distribution_group")
	if f == nil || f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes || !slices.Contains(f.Explains, "connect.not_onboarded") {
		t.Fatalf("findings %v; %+v %+v", ids(res), f, f.Fix.Check)
	}
	want := "aws connect associate-traffic-distribution-group-user --region " + region + " --instance-id " + instance + " --traffic-distribution-group-id tdg-0001 --user-id " + userID
	if len(report.Render(*f.Fix).Commands) != 1 || report.Render(*f.Fix).Commands[0] != want {
		t.Errorf("commands %q, want %q", report.Render(*f.Fix).Commands, want)
	}

	if res := run(map[string]string{"groups.json": groups, "members.json": members(userID)}); find(res, "connect.not_in_traffic_distribution_group") != nil {
		t.Errorf("a member reported: %v", ids(res))
	}
	// The AWS CLI's output does not name its group: the command says
	// where to find the ID.
	res = run(map[string]string{"members.json": members()})
	if f := find(res, "connect.not_in_traffic_distribution_group"); f == nil || !strings.Contains(report.Render(*f.Fix).Commands[0], "TRAFFIC-DISTRIBUTION-GROUP-ID") || len(report.Render(*f.Fix).Steps) == 0 {
		t.Errorf("findings %v", ids(res))
	}
	// Not a Global Resiliency sign-in: groups do not matter.
	s := base()
	s.aws = map[string]string{"users.json": usersJSON(rsn), "members.json": members()}
	if res := s.run(t); find(res, "connect.not_in_traffic_distribution_group") != nil {
		t.Errorf("reported for a sign-in through the usual endpoint: %v", ids(res))
	}
}

// With Global Resiliency the agent must exist in every replica (same
// instance ID, another Region).
func TestUserInReplica(t *testing.T) {
	gr := awsarn.GlobalSignInURL(instance, region, acct, "ConnectAgents", "EntraID", "/connect/ccp-v2")
	grBase := "https://" + instance + "." + region + ".sign-in.connect.aws/saml"
	const replica = "ap-northeast-1"
	inst := js(map[string]any{"Instance": map[string]any{"Id": instance, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance, "IdentityManagementType": "SAML"},
		"ReplicationConfiguration": map[string]any{"SourceRegion": region, "GlobalSignInEndpoint": grBase, "ReplicationStatusSummaryList": []any{
			map[string]any{"Region": region, "ReplicationStatus": "INSTANCE_REPLICATION_COMPLETE"},
			map[string]any{"Region": replica, "ReplicationStatus": "INSTANCE_REPLICATION_COMPLETE"}}}})
	list := func(reg string, names ...string) string {
		var l []map[string]string
		for _, n := range names {
			// A replica's users keep their IDs.
			i := 0
			if n != rsn {
				i = 1
			}
			id := fmt.Sprintf("0000000%d-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
			l = append(l, map[string]string{"Id": id, "Arn": "arn:aws:connect:" + reg + ":" + acct + ":instance/" + instance + "/agent/" + id, "Username": n})
		}
		return js(map[string]any{"UserSummaryList": l})
	}
	run := func(replicaUsers string) *diagnose.Result {
		s := globalScenario(gr, likeTrust(grBase+"*"))
		s.outcome = fixture.NotOnboarded
		s.steps = func(st []fixture.Step) []fixture.Step {
			st[1].Location = "https://example-corp.my.connect.aws/ccp-v2/"
			st[2].URL = st[1].Location
			return st
		}
		s.aws["instance.json"] = inst
		s.aws["users-source.json"] = list(region, rsn, "john.smith@example.com")
		if replicaUsers != "" {
			s.aws["users-replica.json"] = replicaUsers
		}
		return s.run(t)
	}

	res := run(list(replica, "john.smith@example.com"))
	f := find(res, "connect.user_not_in_replica")
	if f == nil || !slices.Contains(f.Explains, "connect.not_onboarded") || f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes {
		t.Fatalf("findings %v; %+v", ids(res), f)
	}
	if len(report.Render(*f.Fix).Commands) != 1 || !strings.HasPrefix(report.Render(*f.Fix).Commands[0], "aws connect create-user --region "+replica+" --instance-id "+instance+" --username "+rsn) {
		t.Errorf("commands %q", report.Render(*f.Fix).Commands)
	}
	// In both: quiet. The replica's users not read: not known, quiet.
	for name, replicaUsers := range map[string]string{"in both": list(replica, rsn, "john.smith@example.com"), "replica not read": ""} {
		if res := run(replicaUsers); find(res, "connect.user_not_in_replica") != nil {
			t.Errorf("%s: reported: %v", name, ids(res))
		}
	}
}
