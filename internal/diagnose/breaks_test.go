package diagnose

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/signin"
)

const (
	acct      = fixture.DefaultAccount
	instance  = fixture.DefaultInstance
	region    = fixture.DefaultRegion
	otherInst = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"
	oldADFS   = "arn:aws:iam::" + acct + ":saml-provider/OldADFS"
)

// judged is a run that has judged the example sign-in against the AWS
// data, so its harm checks can be called on changes.
func judged(t *testing.T, aws ...string) *run {
	t.Helper()
	return judgedAs(t, "jane.doe@example.com", aws...)
}

// judgedAs is judged for a sign-in whose NameID and RoleSessionName are
// session.
func judgedAs(t *testing.T, session string, aws ...string) *run {
	t.Helper()
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: session, RoleSessionName: []string{session}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
	cr := signin.NewReader(capture.Options{})
	if err := cr.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.AccessDeniedAdmin)))); err != nil {
		t.Fatal(err)
	}
	set := evidence.NewSet()
	for i, a := range aws {
		if err := set.Load("aws"+string(rune('a'+i))+".json", []byte(a)); err != nil {
			t.Fatal(err)
		}
	}
	r := newRun(Input{Capture: cr.Finish(), AWS: set})
	r.observeSymptoms()
	if !r.chooseMessage() {
		t.Fatal("no message")
	}
	r.stages()
	return r
}

func doc(t *testing.T, v any) *iampolicy.Policy {
	t.Helper()
	b, _ := json.Marshal(v)
	p, err := iampolicy.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func authDetails(trust, inline any) string {
	return jsonOf(map[string]any{"RoleDetailList": []any{map[string]any{"Path": "/", "RoleName": "ConnectAgents", "RoleId": "AROAYZ2EXAMPLE5AGENT",
		"Arn": "arn:aws:iam::" + acct + ":role/ConnectAgents", "AssumeRolePolicyDocument": trust,
		"RolePolicyList": []any{map[string]any{"PolicyName": "ConnectFederation", "PolicyDocument": inline}}, "AttachedManagedPolicies": []any{}}},
		"UserDetailList": []any{}, "GroupDetailList": []any{}, "Policies": []any{}})
}

func trustFor(providers ...string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": providers},
		"Action": "sts:AssumeRoleWithSAML", "Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}}}}
}

func allow(resources ...string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "connect:GetFederationToken", "Resource": resources}}}
}

func userRes(reg, inst string) string {
	return "arn:aws:connect:" + reg + ":" + acct + ":instance/" + inst + "/user/${aws:userid}"
}

func event(name, session, role, principalArn, inst string) map[string]any {
	rec := map[string]any{"eventName": name, "awsRegion": region,
		"userIdentity": map[string]any{"type": "AssumedRole", "principalId": "AROAYZ2EXAMPLE5AGENT:" + session, "arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + session,
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"arn": "arn:aws:iam::" + acct + ":role/" + role}}},
		"requestParameters": map[string]any{"InstanceId": inst, "roleArn": "arn:aws:iam::" + acct + ":role/" + role, "principalArn": principalArn, "roleSessionName": session}}
	return map[string]any{"EventId": name + session, "EventName": name, "EventTime": "2026-10-14T07:58:03Z", "Username": session, "CloudTrailEvent": jsonOf(rec)}
}

func events(e ...map[string]any) string { return jsonOf(map[string]any{"Events": e}) }

func hasBreak(l []string, s string) bool {
	for _, b := range l {
		if strings.Contains(b, s) {
			return true
		}
	}
	return false
}

// A trust policy that stops trusting a provider the old one trusted (and
// CloudTrail shows in use) breaks those sign-ins; one that keeps it does
// not.
func TestTrustBreaks(t *testing.T) {
	r := judged(t, authDetails(trustFor(fixture.DefaultProvider, oldADFS), allow(userRes(region, instance))),
		events(event("AssumeRoleWithSAML", "john.smith@example.com", "ConnectAgents", oldADFS, "")))
	narrower := fix.UpdateTrustPolicy{Role: "ConnectAgents", Document: doc(t, trustFor(fixture.DefaultProvider))}
	if b := r.trustBreaks(narrower); !hasBreak(b, "through "+oldADFS) || !hasBreak(b, "CloudTrail shows 1") {
		t.Errorf("dropping a provider in use: %v", b)
	}
	same := fix.UpdateTrustPolicy{Role: "ConnectAgents", Document: doc(t, trustFor(oldADFS, fixture.DefaultProvider))}
	if b := r.trustBreaks(same); len(b) > 0 {
		t.Errorf("keeping both providers breaks %v", b)
	}
}

// Identity policies: a change that drops another instance that exists, or
// a federation CloudTrail shows working, breaks it; one that widens access
// to other instances or other users says so; the documented policy does
// neither.
func TestFederationBreaks(t *testing.T) {
	other := jsonOf(map[string]any{"Instance": map[string]any{"Id": otherInst, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + otherInst, "IdentityManagementType": "SAML"}})
	r := judged(t, authDetails(trustFor(fixture.DefaultProvider), allow(userRes(region, otherInst))), other,
		events(event("GetFederationToken", "john.smith@example.com", "ConnectAgents", "", "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")))
	check := func(name string, c fix.Change, want ...string) {
		t.Helper()
		w := r.newWorld()
		if err := c.Apply(w); err != nil {
			t.Fatal(err)
		}
		role := ""
		switch c := c.(type) {
		case fix.PutRolePolicy:
			role = c.Role
		case fix.EditStatement:
			role = c.Role
		}
		b := r.federationBreaks(role, w)
		for _, s := range want {
			if !hasBreak(b, s) {
				t.Errorf("%s: breaks %v, want %q", name, b, s)
			}
		}
		if len(want) == 0 && len(b) > 0 {
			t.Errorf("%s: breaks %v", name, b)
		}
	}
	check("replacing the other instance", fix.EditStatement{Role: "ConnectAgents", Policy: "ConnectFederation", Statement: 1, Document: doc(t, allow(userRes(region, instance)))}, "on instance "+otherInst)
	check("keeping it", fix.EditStatement{Role: "ConnectAgents", Policy: "ConnectFederation", Statement: 1, Document: doc(t, allow(userRes(region, otherInst), userRes(region, instance)))})
	check("a wildcard", fix.PutRolePolicy{Role: "ConnectAgents", Policy: "Everything", Document: doc(t, allow("arn:aws:connect:*:"+acct+":instance/*/user/*"))}, "other Connect instances", "other users of the instance")
	check("the documented policy", fix.PutRolePolicy{Role: "ConnectAgents", Policy: "AmazonConnectFederation", Document: doc(t, allow(userRes(region, instance)))})

	// CloudTrail shows john.smith federating into a third instance under
	// a policy that allowed every instance; narrowing it to this one
	// breaks that.
	r = judged(t, authDetails(trustFor(fixture.DefaultProvider), allow("arn:aws:connect:"+region+":"+acct+":instance/*/user/${aws:userid}")),
		events(event("GetFederationToken", "john.smith@example.com", "ConnectAgents", "", "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")))
	check("narrowing below CloudTrail", fix.EditStatement{Role: "ConnectAgents", Policy: "ConnectFederation", Statement: 1, Document: doc(t, allow(userRes(region, instance)))}, "john.smith@example.com on instance cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee")
}

// Sending a role other than the one Connect bound the user to, or a case
// transformation that changes other agents' names, is named.
func TestIdPChangeBreaks(t *testing.T) {
	r := judged(t, events(event("GetFederationToken", "jane.doe@example.com", "ConnectAgentsLegacy", "", instance),
		event("GetFederationToken", "John.Smith@example.com", "ConnectAgents", "", instance)))
	b := r.breaks(&Fix{Changes: []fix.Change{fix.SendRoles{Roles: []string{"arn:aws:iam::" + acct + ":role/ConnectAgents," + fixture.DefaultProvider}}}}, r.newWorld())
	if !hasBreak(b, "off role ConnectAgentsLegacy") {
		t.Errorf("moving off the bound role: %v", b)
	}
	b = r.breaks(&Fix{Changes: []fix.Change{fix.SendRoles{Roles: []string{"arn:aws:iam::" + acct + ":role/ConnectAgentsLegacy," + fixture.DefaultProvider}}}}, r.newWorld())
	if len(b) > 0 {
		t.Errorf("sending the bound role breaks %v", b)
	}
	b = r.breaks(&Fix{Changes: []fix.Change{fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "jane.doe@example.com", Source: assertion.AttrRoleSessionName, Transform: "lower", Scope: fix.ScopeApplication}}}, r.newWorld())
	if !hasBreak(b, `would send "john.smith@example.com"`) {
		t.Errorf("lower-casing John.Smith: %v", b)
	}
	// The same value for this agent alone stops no one.
	b = r.breaks(&Fix{Changes: []fix.Change{fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "jane.doe@example.com", Scope: fix.ScopeAgent}}}, r.newWorld())
	if len(b) > 0 {
		t.Errorf("an agent-only change breaks %v", b)
	}
	// A copy of an attribute for the whole application: what it holds for
	// John is not in the evidence, so he may stop.
	b = r.breaks(&Fix{Changes: []fix.Change{fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "jane.doe@example.com", Source: "uid", Scope: fix.ScopeApplication}}}, r.newWorld())
	if !hasBreak(b, "what attribute uid holds for them is not in the evidence") {
		t.Errorf("copying uid for everyone: %v", b)
	}
}

// An application-wide copy of the NameID stops an agent whose NameID
// (CloudTrail's AssumeRoleWithSAML) is not their session name; one whose
// NameID is it signs in as before.
func TestNameIDCopyBreaks(t *testing.T) {
	saml := func(nameID, session string) map[string]any {
		e := event("AssumeRoleWithSAML", session, "ConnectAgents", fixture.DefaultProvider, "")
		e["Username"] = nameID
		return e
	}
	r := judged(t, events(saml("Bob.Smith@example.com", "bsmith"), saml("amy@example.com", "amy@example.com")))
	c := fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "jane.doe@example.com", Source: fix.SourceNameID, Transform: "lower", Scope: fix.ScopeApplication}
	b := r.breaks(&Fix{Changes: []fix.Change{c}}, r.newWorld())
	if !hasBreak(b, `agent bsmith signs in today as "bsmith" (CloudTrail); a lower-case transformation for the whole application would send "bob.smith@example.com"`) {
		t.Errorf("Bob: %v", b)
	}
	if hasBreak(b, "amy@example.com") {
		t.Errorf("Amy, whose NameID is her name: %v", b)
	}
}

// A put-role-policy under the name of a policy the role has replaces it:
// its statements are named under breaks; a new name breaks nothing.
func TestPutRolePolicyReplacing(t *testing.T) {
	for _, tt := range []struct {
		name  string
		broke bool
	}{{"ConnectFederation", true}, {"AmazonConnectFederation", false}} {
		r := judgedAs(t, "jane.doe@example.com", authDetails(trustFor(fixture.DefaultProvider), allow(userRes("us-east-1", instance))))
		fx := &Fix{Changes: []fix.Change{fix.PutRolePolicy{Role: "ConnectAgents", Policy: tt.name, Document: doc(t, allow(userRes(region, instance)))}}}
		r.checkFix(fx)
		if got := hasBreak(fx.Check.Breaks, "replaces role ConnectAgents's inline policy "+tt.name); got != tt.broke {
			t.Errorf("%s: breaks %q", tt.name, fx.Check.Breaks)
		}
	}
}
