package diagnose_test

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
)

const anotherInstance = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"

func federationWith(action string, resources []string, cond map[string]any) map[string]any {
	st := map[string]any{"Effect": "Allow", "Action": action, "Resource": resources}
	if cond != nil {
		st["Condition"] = cond
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
}

func usersOf(reg, inst string) string {
	return "arn:aws:connect:" + reg + ":" + acct + ":instance/" + inst + "/user/${aws:userid}"
}

func federationFinding(res *diagnose.Result) *diagnose.Finding {
	for _, id := range []string{"iam.federation_token_denied", "iam.federation_token_undetermined"} {
		if f := find(res, id); f != nil {
			return f
		}
	}
	return nil
}

// connect:GetFederationToken is judged with what the sign-in sends: the
// session tags of the assertion (aws:PrincipalTag/...), and
// aws:SourceIdentity absent when none is sent. A condition on them holds
// or fails as it will at AWS, with no "cannot be settled" in between.
func TestFederationContextFromTheAssertion(t *testing.T) {
	tagCond := map[string]any{"StringEquals": map[string]any{"aws:PrincipalTag/Department": "Sales"}}
	noSource := map[string]any{"Null": map[string]any{"aws:SourceIdentity": "true"}}
	for _, tt := range []struct {
		name   string
		attrs  [][2]string
		cond   map[string]any
		denied bool
	}{
		{"the tag the condition wants", [][2]string{{assertion.AttrPrincipalTag + "Department", "Sales"}}, tagCond, false},
		{"another tag value", [][2]string{{assertion.AttrPrincipalTag + "Department", "Support"}}, tagCond, true},
		{"no SourceIdentity sent", nil, noSource, false},
		{"a SourceIdentity sent", [][2]string{{assertion.AttrSourceIdentity, rsn}}, noSource, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.resp.Attributes = tt.attrs
			s.aws["iam.json"] = authJSON("ConnectAgents", trustWith("sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"), federationWith("connect:GetFederationToken", []string{usersOf(region, instance)}, tt.cond))
			f := federationFinding(s.run(t))
			switch {
			case tt.denied && (f == nil || f.ID != "iam.federation_token_denied"):
				t.Errorf("want iam.federation_token_denied, got %+v", f)
			case !tt.denied && f != nil:
				t.Errorf("the policy allows it, yet %s: %s", f.ID, f.Title)
			}
		})
	}
}

// Without the role's ID, aws:userid is a placeholder, and the evidence
// says so; with it (the near miss), it does not.
func TestFederationRoleIDPlaceholder(t *testing.T) {
	for _, known := range []bool{true, false} {
		s := base()
		iam := authJSON("ConnectAgents", trustWith("sts:AssumeRoleWithSAML"), federationWith("connect:GetFederationToken", []string{usersOf("us-east-1", instance)}, nil))
		if !known {
			iam = strings.Replace(iam, `"RoleId": "AROAYZ2EXAMPLE5AGENT",`, "", 1)
		}
		s.aws["iam.json"] = iam
		f := federationFinding(s.run(t))
		if f == nil {
			t.Fatalf("known %v: no federation finding", known)
		}
		placeholder := strings.Contains(f.Evidence[0].Value, "aws:userid uses a placeholder")
		if placeholder == known {
			t.Errorf("role ID known %v, placeholder said %v: %q", known, placeholder, f.Evidence[0].Value)
		}
	}
}

// A statement meant to allow connect:GetFederationToken is corrected in
// place when its action is misspelt by up to three letters; an action of
// another name (the near miss) is not taken for it.
func TestFederationNearAction(t *testing.T) {
	for _, tt := range []struct {
		action string
		near   bool
	}{{"connect:GtFedrationTokn", true}, {"connect:DescribeUser", false}} {
		s := base()
		s.aws["iam.json"] = authJSON("ConnectAgents", trustWith("sts:AssumeRoleWithSAML"), federationWith(tt.action, []string{usersOf(region, instance)}, nil))
		f := find(s.run(t), "iam.federation_token_denied")
		if f == nil || f.Fix == nil || len(f.Fix.Changes) == 0 {
			t.Fatalf("%s: no fix", tt.action)
		}
		c := f.Fix.Changes[0]
		if got := c.Kind() == fix.KindEditStatement && flat(c).Edit == "Action "+tt.action+" → connect:GetFederationToken"; got != tt.near {
			t.Errorf("%s: change %s %q", tt.action, c.Kind(), flat(c).Edit)
		}
	}
}

// A resource naming another instance that the evidence shows exists is
// kept beside the corrected one (that instance's agents sign in too); an
// instance not known to exist, or a resource whose Region is also wrong
// (a mistake, not another instance in use), is replaced.
func TestFederationKeepsAnotherInstance(t *testing.T) {
	other := js(map[string]any{"Instance": map[string]any{"Id": anotherInstance, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + anotherInstance, "IdentityManagementType": "SAML"}})
	for _, tt := range []struct {
		name     string
		resource string
		known    bool
		kept     bool
	}{
		{"another instance that exists", usersOf(region, anotherInstance), true, true},
		{"an instance not in the evidence", usersOf(region, anotherInstance), false, false},
		{"another instance, wrong Region too", usersOf("us-east-1", anotherInstance), true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.aws["iam.json"] = authJSON("ConnectAgents", trustWith("sts:AssumeRoleWithSAML"), federationWith("connect:GetFederationToken", []string{tt.resource}, nil))
			if tt.known {
				s.aws["describe-instance-other.json"] = other
			}
			f := find(s.run(t), "iam.federation_token_denied")
			if f == nil || f.Fix == nil || len(f.Fix.Changes) == 0 || flat(f.Fix.Changes[0]).Document == nil {
				t.Fatalf("no statement fix: %+v", f)
			}
			res := flat(f.Fix.Changes[0]).Document.Statements[0].Resource
			want := []string{usersOf(region, instance)}
			if tt.kept {
				want = []string{tt.resource, usersOf(region, instance)}
			}
			if strings.Join(res, " ") != strings.Join(want, " ") {
				t.Errorf("resources %v, want %v", res, want)
			}
		})
	}
}
