package diagnose_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The first fix of each shipped example passes its check, and is exactly
// the change the evidence calls for.
func TestExampleFixes(t *testing.T) {
	tests := []struct {
		name   string
		change fix.Change
		// inFix must be in the fix's text (commands, files, IdP steps).
		inFix    []string
		notInFix []string
	}{
		{"not-onboarded", fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "Jane.Doe@example.com", Scope: fix.ScopeAgent}, []string{`send "Jane.Doe@example.com"`}, []string{"delete-user"}},
		{"access-denied", fix.EditStatement{Role: "ConnectAgents", Policy: "ConnectFederation", Statement: 1, Edit: "Region us-east-1 → ap-southeast-2"}, []string{"--policy-name ConnectFederation", "arn:aws:connect:ap-southeast-2:111122223333:instance/" + instance + "/user/${aws:userid}"}, []string{"arn:aws:connect:us-east-1", "AmazonConnectFederation"}},
		{"bad-request", fix.SendRoles{Scope: fix.ScopeAgent, Roles: []string{"arn:aws:iam::111122223333:role/ConnectAgentsLegacy,arn:aws:iam::111122223333:saml-provider/EntraID"}}, // ConnectAgentsLegacy trusts the provider already: its trust
			// policy is not rewritten, and the IdP step names it.
			[]string{"Value is arn:aws:iam::111122223333:role/ConnectAgentsLegacy,"}, []string{"update-assume-role-policy", "role/ConnectAgents,", "delete-user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := diagnoseExample(t, readExample(t, tt.name+".har"), tt.name)
			fx := res.Findings[0].Fix
			if fx.Check == nil || fx.Check.Result != fix.Passes || len(fx.Check.Breaks) > 0 {
				t.Fatalf("first fix's check: %+v", fx.Check)
			}
			if len(fx.Changes) != 1 {
				t.Fatalf("changes %+v, want one", fx.Changes)
			}
			got := fx.Changes[0]
			if !sameChange(got, tt.change) {
				t.Errorf("change %+v, want %+v", got, tt.change)
			}
			text := fixText(fx) + "\n" + strings.Join(report.Render(*fx).IdPSteps, "\n")
			for _, want := range tt.inFix {
				if !strings.Contains(text, want) {
					t.Errorf("fix lacks %q:\n%s", want, text)
				}
			}
			for _, bad := range tt.notInFix {
				if strings.Contains(text, bad) {
					t.Errorf("fix has %q:\n%s", bad, text)
				}
			}
			// The fixes that delete a user come after, and say so.
			for _, alt := range res.Findings[0].Alternatives {
				if slices.ContainsFunc(alt.Changes, func(c fix.Change) bool { return c.Kind() == fix.KindRecreateUser }) && len(alt.Check.Breaks) == 0 {
					t.Errorf("recreating a user breaks nothing? %+v", alt.Check)
				}
			}
		})
	}
}

func sameChange(a, b fix.Change) bool {
	fa, fb := flat(a), flat(b)
	// The document and the user are the evidence's; the instance is the
	// sign-in's.
	fa.Document, fa.User, fa.Region, fa.Instance = nil, nil, "", ""
	fb.Document, fb.User, fb.Region, fb.Instance = nil, nil, "", ""
	aj, _ := json.Marshal(fa)
	bj, _ := json.Marshal(fb)
	return a.Kind() == b.Kind() && string(aj) == string(bj)
}

// The property: for every failing scenario, the first error's first fix is
// checked; when the check says it passes, making the same change in the
// scenario's own inputs (a new response from the IdP, edited AWS CLI
// outputs) and diagnosing the whole capture again leaves no error. The
// re-diagnosis goes through the fixture, not through the checker's model
// of the change, so the two are held against each other.
func TestFirstFixesHold(t *testing.T) {
	for _, tt := range causeCases() {
		t.Run(tt.id, func(t *testing.T) {
			// Without the page of the old outcome, every stage's error
			// counts (a capture that stopped earlier would make later
			// errors warnings).
			s := base()
			tt.produce(&s)
			endAtSignIn(&s)
			res := s.run(t)
			i := slices.IndexFunc(res.Findings, func(f diagnose.Finding) bool { return f.Severity == diagnose.Error })
			if i < 0 {
				return // not a failing scenario
			}
			root := res.Findings[i]
			fx := root.Fix
			if fx == nil || fx.Check == nil {
				t.Fatalf("%s: no checked fix", root.ID)
			}
			switch fx.Check.Result {
			case fix.NotChecked:
				t.Logf("%s: not checked: %s", root.ID, fx.Check.Why)
				if fx.Check.Why == "" {
					t.Errorf("%s: not checked without a reason: %+v", root.ID, fx.Check)
				}
				return
			case fix.StillFails:
				t.Fatalf("%s: the first fix does not pass its own check: %s", root.ID, fx.Check.Why)
			}
			if want, ok := firstChanges[tt.id]; !ok || changeKeys(fx.Changes) != want {
				t.Errorf("%s: first fix %s, want %s", root.ID, changeKeys(fx.Changes), want)
			}
			after := s
			after.aws = map[string]string{}
			for k, v := range s.aws {
				after.aws[k] = v
			}
			for _, c := range fx.Changes {
				if !applyToScenario(t, &after, c) {
					t.Fatalf("%s: change %s cannot be made in the fixture", root.ID, c.Kind())
				}
			}
			endAtSignIn(&after)
			again := after.run(t)
			for _, f := range again.Findings {
				if f.Severity == diagnose.Error && f.Stage != catalog.StageCapture {
					t.Errorf("%s: after %v the sign-in still has %s: %s", root.ID, kinds(fx.Changes), f.ID, f.Title)
				}
			}
		})
	}
}

// firstChanges are the exact first fix of each scenario whose fix is a
// change: which value, which role, which statement, which Region.
var firstChanges = map[string]string{
	"saml.expired":                   "idp.sync_clock 2m0s",
	"saml.not_yet_valid":             "idp.sync_clock -10m0s",
	"saml.stale_issue_instant":       "idp.sync_clock 6m0s",
	"saml.audience_invalid":          "idp.set_audience urn:amazon:webservices",
	"saml.recipient_invalid":         "idp.set_acs https://signin.aws.amazon.com/saml",
	"aws.role_missing":               "idp.send_roles " + roleARN + "," + fixture.DefaultProvider,
	"aws.session_name_missing":       "idp.set_attribute RoleSessionName=" + rsn,
	"aws.session_name_invalid":       "idp.set_attribute RoleSessionName=" + rsn,
	"iam.provider_not_found":         "idp.send_roles " + roleARN + ",arn:aws:iam::" + acct + ":saml-provider/entraid",
	"iam.issuer_mismatch":            "iam.update_saml_metadata " + fixture.DefaultProvider,
	"iam.cert_not_in_provider":       "iam.update_saml_metadata " + fixture.DefaultProvider,
	"iam.encryption_required":        "idp.encrypt_assertion " + fixture.DefaultProvider + "; idp.set_acs https://signin.aws.amazon.com/saml/acs/" + providerID,
	"iam.role_not_found":             "idp.send_roles arn:aws:iam::" + acct + ":role/connectagents," + fixture.DefaultProvider,
	"iam.trust_policy_denies":        "iam.update_trust_policy ConnectAgents: add https://ap-southeast-2.signin.aws.amazon.com/saml to statement 1's SAML:aud values (StringEquals), which now hold https://signin.aws.amazon.com/saml",
	"iam.federation_token_denied":    "iam.edit_statement ConnectAgents/ConnectFederation#1: Region us-east-1 → ap-southeast-2",
	"connect.user_not_found":         "connect.create_user " + rsn,
	"connect.username_case_mismatch": "idp.set_attribute RoleSessionName=Jane.Doe@example.com",
	"connect.role_changed":           "idp.send_roles " + legacyARN + "," + fixture.DefaultProvider,
	"iam.rcp_denies":                 "organizations.update_policy p-rcpperimeter: statement 1: exempt SAML sign-ins through EntraID with the condition StringNotEqualsIfExists saml:doc 111122223333/EntraID (saml:doc is ACCOUNT/PROVIDER-NAME of the IAM SAML provider)",
	"iam.scp_denies":                 "organizations.update_policy p-scpregions: statement 1: add connect:GetFederationToken to the actions it exempts (NotAction)",
	"aws.session_tags_invalid":       "idp.drop_session_tags GithubTeams/",
}

// changeKeys writes changes in a few words each, for comparison.
func changeKeys(cs []fix.Change) string {
	var out []string
	for _, c := range cs {
		k := string(c.Kind()) + " "
		switch c := c.(type) {
		case fix.SyncIdPClock:
			k += c.Offset.Round(time.Minute).String()
		case fix.SetAttribute:
			k += strings.TrimPrefix(c.Attribute, "https://aws.amazon.com/SAML/Attributes/") + "=" + c.Value
		case fix.SendRoles:
			k += strings.Join(c.Roles, " ")
		case fix.UpdateTrustPolicy:
			k += c.Role + ": " + c.Edit
		case fix.EditStatement:
			k += fmt.Sprintf("%s/%s#%d: %s", c.Role, c.Policy, c.Statement, c.Edit)
		case fix.CreateUser, fix.RecreateUser:
			k += flat(c).UserName
		case fix.UpdateProviderMetadata, fix.EncryptAssertion, fix.CreateProvider, fix.AddPrivateKey:
			k += flat(c).Provider
		case fix.UpdateOrgPolicy:
			k += c.Policy + ": " + c.Edit
		case fix.DropSessionTags:
			k += strings.Join(c.Tags, ",") + "/" + strings.Join(c.TransitiveKeys, ",")
		default:
			k += flat(c).Value
		}
		out = append(out, k)
	}
	return strings.Join(out, "; ")
}

func kinds(cs []fix.Change) []fix.Kind {
	var out []fix.Kind
	for _, c := range cs {
		out = append(out, c.Kind())
	}
	return out
}

// endAtSignIn makes the capture end with AWS sign-in accepting the
// response: no page of the old outcome is observed, so every stage is
// judged on the evidence alone.
func endAtSignIn(s *scenario) {
	prev := s.steps
	s.steps = func(st []fixture.Step) []fixture.Step {
		if prev != nil {
			st = prev(st)
		}
		for i := range st {
			if st[i].Method == "POST" {
				st[i].Status, st[i].Location, st[i].Body, st[i].Mime = 302, fixture.RelayState(), "", ""
				return st[:i+1]
			}
		}
		return st
	}
}

// applyToScenario makes a change in the scenario's inputs, as the admin
// would: at the IdP (the response it sends) or in AWS (the outputs that
// describe the account afterwards).
func applyToScenario(t *testing.T, s *scenario, c fix.Change) bool {
	t.Helper()
	switch c := c.(type) {
	case fix.SetAttribute:
		switch c.Attribute {
		case assertion.AttrRoleSessionName:
			// The IdP sends its source's value through the transformation:
			// the source and the label, not the value the change
			// promises, decide what AWS gets. No source: the agent's own
			// value is set.
			v := c.Value
			if c.Source != "" {
				src, ok := scenarioSent(s, c.Source)
				if !ok {
					t.Fatalf("the change's source %q is not sent", c.Source)
				}
				v = src
			}
			if c.Transform != "" {
				how := map[string]func(string) string{"lower": strings.ToLower, "upper": strings.ToUpper}[c.Transform]
				if how == nil {
					t.Fatalf("transformation %q", c.Transform)
				}
				v = how(v)
			}
			s.resp.RoleSessionName = []string{v}
		case assertion.AttrSessionDuration:
			s.resp.SessionDuration = c.Value
		default:
			return false
		}
	case fix.SendRoles:
		s.resp.Roles, s.resp.RoleAttrName = c.Roles, ""
	case fix.SetAudience:
		s.resp.Audience = c.Value
	case fix.SetACS:
		s.acs, s.resp.Recipient = c.Value, c.Value
	case fix.SetRelayState:
		s.relay = &c.Value
	case fix.DropSessionTags:
		s.resp.Attributes = slices.DeleteFunc(slices.Clone(s.resp.Attributes), func(a [2]string) bool {
			k, ok := strings.CutPrefix(a[0], assertion.AttrPrincipalTag)
			return ok && slices.Contains(c.Tags, k) || a[0] == assertion.AttrTransitiveTagKeys && slices.Contains(c.TransitiveKeys, a[1])
		})
	case fix.UpdateOrgPolicy:
		for name, data := range s.aws {
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatal(err)
			}
			p, _ := m["Policy"].(map[string]any)
			if sum, _ := p["PolicySummary"].(map[string]any); sum != nil && sum["Id"] == c.Policy {
				p["Content"] = c.Document.Document()
				s.aws[name] = js(m)
				return true
			}
		}
		return false
	case fix.SyncIdPClock:
		s.postAt -= c.Offset
	case fix.EncryptAssertion:
		k := fixture.NewKey("IAM SAML provider encryption key", time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC))
		s.resp.EncryptFor, s.spKey = k, k
	case fix.EditStatement, fix.PutRolePolicy, fix.UpdateTrustPolicy:
		if flat(c).Managed {
			return false
		}
		var doc any
		if err := json.Unmarshal([]byte(flat(c).Document.Document()), &doc); err != nil {
			t.Fatal(err)
		}
		return editAWS(t, s, "RoleDetailList", func(m map[string]any) {
			for _, r := range m["RoleDetailList"].([]any) {
				role := r.(map[string]any)
				if role["RoleName"] != flat(c).Role {
					continue
				}
				if c.Kind() == fix.KindUpdateTrustPolicy {
					role["AssumeRolePolicyDocument"] = doc
					continue
				}
				list, _ := role["RolePolicyList"].([]any)
				list = slices.DeleteFunc(list, func(p any) bool { return p.(map[string]any)["PolicyName"] == flat(c).Policy })
				role["RolePolicyList"] = append(list, map[string]any{"PolicyName": flat(c).Policy, "PolicyDocument": doc})
			}
		})
	case fix.UpdateProviderMetadata:
		key := s.resp.Key
		if key == nil {
			key = fixture.TestKey()
		}
		issuer := s.resp.Issuer
		if issuer == "" {
			issuer = fixture.DefaultIssuer
		}
		return editAWS(t, s, "SAMLMetadataDocument", func(m map[string]any) { m["SAMLMetadataDocument"] = fixture.IdPMetadata(issuer, key.DER) })
	case fix.CreateProvider:
		return editAWS(t, s, "SAMLProviderList", func(m map[string]any) {
			m["SAMLProviderList"] = append(m["SAMLProviderList"].([]any), map[string]any{"Arn": c.Provider})
		})
	case fix.SetEncryptionMode:
		return editAWS(t, s, "SAMLMetadataDocument", func(m map[string]any) { m["AssertionEncryptionMode"] = c.Value })
	case fix.AddPrivateKey:
		return editAWS(t, s, "SAMLMetadataDocument", func(m map[string]any) {
			m["PrivateKeyList"] = []any{map[string]any{"KeyId": "AKFIXTURE", "Timestamp": "2026-11-20T00:00:00Z"}}
		})
	case fix.CreateUser, fix.RecreateUser:
		ok := editAWS(t, s, "UserSummaryList", func(m map[string]any) {
			list := m["UserSummaryList"].([]any)
			if flat(c).User != nil {
				list = slices.DeleteFunc(list, func(u any) bool { return u.(map[string]any)["Username"] == flat(c).User.Username })
			}
			m["UserSummaryList"] = append(list, map[string]any{"Id": "99999999-1a3d-4e5f-8a9b-0c1d2e3f4a5b", "Username": flat(c).UserName,
				"Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/agent/99999999-1a3d-4e5f-8a9b-0c1d2e3f4a5b"})
		})
		if ok && c.Kind() == fix.KindRecreateUser {
			// The new user has no earlier federation.
			editAWS(t, s, "Events", func(m map[string]any) {
				m["Events"] = slices.DeleteFunc(m["Events"].([]any), func(e any) bool { return e.(map[string]any)["Username"] == flat(c).User.Username })
			})
		}
		return ok
	default:
		return false
	}
	return true
}

// editAWS edits the scenario's AWS CLI output that has the key.
func editAWS(t *testing.T, s *scenario, key string, edit func(map[string]any)) bool {
	for name, data := range s.aws {
		var m map[string]any
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m[key]; !ok {
			continue
		}
		edit(m)
		s.aws[name] = js(m)
		return true
	}
	return false
}

// roleJSON is one role of get-account-authorization-details.
func roleJSON(name, id string, trust, inline map[string]any) map[string]any {
	role := map[string]any{"Path": "/", "RoleName": name, "RoleId": id, "Arn": "arn:aws:iam::" + acct + ":role/" + name,
		"CreateDate": "2024-03-11T09:40:12Z", "AssumeRolePolicyDocument": trust, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{}}
	if inline != nil {
		role["RolePolicyList"] = []any{map[string]any{"PolicyName": "ConnectFederation", "PolicyDocument": inline}}
	}
	return role
}

func authRoles(roles ...map[string]any) string {
	l := make([]any, len(roles))
	for i, r := range roles {
		l[i] = r
	}
	return js(map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": l, "Policies": []any{}})
}

func providersJSON(arns ...string) string {
	var l []any
	for _, a := range arns {
		l = append(l, map[string]string{"Arn": a})
	}
	return js(map[string]any{"SAMLProviderList": l})
}

func firstError(t *testing.T, res *diagnose.Result) diagnose.Finding {
	t.Helper()
	for _, f := range res.Findings {
		if f.Severity == diagnose.Error {
			return f
		}
	}
	t.Fatalf("no error: %v", ids(res))
	return diagnose.Finding{}
}

func allFixes(f diagnose.Finding) []diagnose.Fix {
	if f.Fix == nil {
		return f.Alternatives
	}
	return append([]diagnose.Fix{*f.Fix}, f.Alternatives...)
}

func mustPass(t *testing.T, f diagnose.Finding) diagnose.Fix {
	t.Helper()
	if f.Fix == nil || f.Fix.Check == nil || f.Fix.Check.Result != fix.Passes || len(f.Fix.Check.Breaks) > 0 {
		t.Fatalf("%s: first fix %+v, check %+v", f.ID, f.Fix, f.Fix.Check)
	}
	return *f.Fix
}

const (
	legacyARN   = "arn:aws:iam::" + acct + ":role/ConnectAgentsLegacy"
	readOnlyARN = "arn:aws:iam::" + acct + ":role/ConnectAgentsReadOnly"
)

// The seven behaviours of "Fixes that are proven", each with a near miss.
func TestFixBehaviours(t *testing.T) {
	globalACS := "https://signin.aws.amazon.com/saml"

	// 1. Bound to another role: send that role (named in the IdP step);
	// its trust policy is left alone when it already trusts the provider,
	// and gains the provider (keeping what it has) when it does not.
	t.Run("role changed", func(t *testing.T) {
		for _, trusts := range []bool{true, false} {
			s := base()
			s.outcome = fixture.BadRequest
			legacyTrust := trustDoc(globalACS)
			if !trusts {
				legacyTrust["Statement"].([]any)[0].(map[string]any)["Principal"] = map[string]any{"Federated": "arn:aws:iam::" + acct + ":saml-provider/OldADFS"}
			}
			s.aws["ct.json"] = eventsJSON("ConnectAgentsLegacy", "AROAYZ2EXAMPLE1LEGACY")
			s.aws["iam.json"] = authRoles(roleJSON("ConnectAgents", "AROAYZ2EXAMPLE5AGENT", trustDoc(globalACS), federationDoc(region)),
				roleJSON("ConnectAgentsLegacy", "AROAYZ2EXAMPLE1LEGACY", legacyTrust, federationDoc(region)))
			res := s.run(t)
			f := firstError(t, res)
			fx := mustPass(t, f)
			if f.ID != "connect.role_changed" || fx.Changes[0].Kind() != fix.KindSendRoles || flat(fx.Changes[0]).Roles[0] != legacyARN+","+fixture.DefaultProvider {
				t.Fatalf("trusts=%v: %s %+v", trusts, f.ID, fx.Changes)
			}
			hasTrust := len(fx.Changes) == 2 && fx.Changes[1].Kind() == fix.KindUpdateTrustPolicy && flat(fx.Changes[1]).Role == "ConnectAgentsLegacy"
			if hasTrust == trusts {
				t.Errorf("trusts=%v: changes %+v", trusts, kinds(fx.Changes))
			}
			if hasTrust {
				doc := flat(fx.Changes[1]).Document.Document()
				if !strings.Contains(doc, "saml-provider/OldADFS") || !strings.Contains(doc, fixture.DefaultProvider) {
					t.Errorf("the trust policy lost a provider or lacks the new one:\n%s", doc)
				}
			}
		}
	})

	// 2. The statement that nearly allows GetFederationToken is corrected
	// in place: the Region, a misspelt action, a resource that stops at
	// the instance; another instance that exists is kept beside it.
	t.Run("near-miss statement", func(t *testing.T) {
		other := "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"
		stmt := func(action, resource string) map[string]any {
			return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": action, "Resource": resource}}}
		}
		userARN := "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/user/${aws:userid}"
		for _, tt := range []struct {
			name, action, resource, edit string
			otherInstanceExists          bool
			wantResources                []string
		}{
			{"region", "connect:GetFederationToken", "arn:aws:connect:us-east-1:" + acct + ":instance/" + instance + "/user/${aws:userid}", "Region us-east-1 → ap-southeast-2", false, []string{userARN}},
			{"action", "connect:GetFederationTokens", userARN, "Action connect:GetFederationTokens → connect:GetFederationToken", false, []string{userARN}},
			{"instance only", "connect:GetFederationToken", "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance, "append /user/${aws:userid}", false, []string{userARN}},
			{"other instance exists", "connect:GetFederationToken", "arn:aws:connect:" + region + ":" + acct + ":instance/" + other + "/user/${aws:userid}", "instance " + other + " → " + instance, true,
				[]string{"arn:aws:connect:" + region + ":" + acct + ":instance/" + other + "/user/${aws:userid}", userARN}},
		} {
			s := base()
			s.outcome = fixture.AccessDeniedAdmin
			s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc(globalACS), stmt(tt.action, tt.resource))
			if tt.otherInstanceExists {
				s.aws["other.json"] = js(map[string]any{"Instance": map[string]any{"Id": other, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + other, "IdentityManagementType": "SAML"}})
				s.aws["i.json"] = instanceJSON("SAML")
			}
			f := firstError(t, s.run(t))
			fx := mustPass(t, f)
			c := fx.Changes[0]
			if f.ID != "iam.federation_token_denied" || c.Kind() != fix.KindEditStatement || flat(c).Policy != "ConnectFederation" || flat(c).Statement != 1 || flat(c).Edit != tt.edit {
				t.Errorf("%s: %s %+v", tt.name, f.ID, c)
				continue
			}
			if got := flat(c).Document.Statements[0].Resource; !slices.Equal(got, tt.wantResources) {
				t.Errorf("%s: resources %v, want %v", tt.name, got, tt.wantResources)
			}
		}
		// Near miss: a statement that allows it gives no finding.
		s := base()
		s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc(globalACS), stmt("connect:GetFederationToken", userARN))
		if res := s.run(t); find(res, "iam.federation_token_denied") != nil {
			t.Errorf("near miss: %v", ids(res))
		}
	})

	// 3. The role chooser: the agent picked the role without the
	// permission; the other role has it and Connect bound the user to it.
	// The fix sends that role; adding the permission to the picked one is
	// an alternative whose check says it then fails with "Bad Request".
	t.Run("role chooser", func(t *testing.T) {
		for _, bound := range []bool{true, false} {
			s := base()
			s.outcome = fixture.AccessDeniedAdmin
			s.resp.Roles = []string{roleARN + "," + fixture.DefaultProvider, readOnlyARN + "," + fixture.DefaultProvider}
			agentsPolicy := federationDoc(region)
			if bound {
				s.aws["ct.json"] = eventsJSON("ConnectAgents", "AROAYZ2EXAMPLE5AGENT")
			} else {
				agentsPolicy = nil
			}
			s.aws["iam.json"] = authRoles(roleJSON("ConnectAgents", "AROAYZ2EXAMPLE5AGENT", trustDoc(globalACS), agentsPolicy),
				roleJSON("ConnectAgentsReadOnly", "AROAYZ2EXAMPLE7RDONLY", trustDoc(globalACS), nil))
			s.steps = pickRole(readOnlyARN)
			res := s.run(t)
			f := firstError(t, res)
			fx := mustPass(t, f)
			if f.ID != "iam.federation_token_denied" || !slices.Contains(f.Explains, "connect.access_denied_admin") {
				t.Fatalf("bound=%v: %v", bound, ids(res))
			}
			sends := fx.Changes[0].Kind() == fix.KindSendRoles
			if sends != bound {
				t.Errorf("bound=%v: first fix %+v", bound, kinds(fx.Changes))
			}
			if bound {
				if flat(fx.Changes[0]).Roles[0] != roleARN+","+fixture.DefaultProvider {
					t.Errorf("sends %v", flat(fx.Changes[0]).Roles)
				}
				for _, alt := range f.Alternatives {
					if alt.Changes[0].Kind() == fix.KindPutRolePolicy && (alt.Check.Result != fix.StillFails || !strings.Contains(alt.Check.Why, string(catalog.StageBinding))) {
						t.Errorf("adding the permission to the picked role: %+v", alt.Check)
					}
				}
			}
		}
	})

	// 4. The Role value names a provider that does not exist; the role
	// trusts one that does: send that one. No fix trusts the missing one.
	t.Run("provider missing", func(t *testing.T) {
		missing := "arn:aws:iam::" + acct + ":saml-provider/EntraIDOld"
		s := base()
		s.outcome = fixture.Outcome{SignInError: "Specified provider doesn't exist."}
		s.resp.Roles = []string{roleARN + "," + missing}
		s.aws["p.json"] = providersJSON(fixture.DefaultProvider)
		s.aws["iam.json"] = authJSON("ConnectAgents", trustDoc(globalACS), federationDoc(region))
		res := s.run(t)
		f := firstError(t, res)
		fx := mustPass(t, f)
		if f.ID != "iam.provider_not_found" || fx.Changes[0].Kind() != fix.KindSendRoles || flat(fx.Changes[0]).Roles[0] != roleARN+","+fixture.DefaultProvider {
			t.Fatalf("%s %+v", f.ID, fx.Changes)
		}
		for _, g := range res.Findings {
			if g.ID == "iam.trust_policy_denies" {
				t.Errorf("a trust policy finding for a provider that does not exist: %s", g.Title)
			}
			for _, x := range allFixes(g) {
				for _, c := range x.Changes {
					if flat(c).Document != nil && strings.Contains(flat(c).Document.Document(), missing) {
						t.Errorf("%s: a fix writes the missing provider into a policy", g.ID)
					}
				}
			}
		}
		s.resp.Roles = nil
		if res := s.run(t); find(res, "iam.provider_not_found") != nil {
			t.Errorf("near miss: %v", ids(res))
		}
	})

	// 5. RoleSessionName is a display name: STS refuses it. The fix sends
	// the value the evidence shows (the Connect user named as the NameID);
	// the user check is not an error (the sign-in stopped before it) and
	// proposes no user Connect would refuse.
	t.Run("display name", func(t *testing.T) {
		s := base()
		s.outcome = fixture.Outcome{SignInError: "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64} (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)"}
		s.resp.RoleSessionName = []string{"Jane Doe"}
		s.aws["u.json"] = usersJSON("john.smith@example.com", rsn)
		res := s.run(t)
		f := firstError(t, res)
		fx := mustPass(t, f)
		if f.ID != "aws.session_name_invalid" || fx.Changes[0].Kind() != fix.KindSetAttribute || flat(fx.Changes[0]).Value != rsn {
			t.Fatalf("%s %+v", f.ID, fx.Changes)
		}
		u := find(res, "connect.user_not_found")
		if u == nil || u.Severity != diagnose.Warning || u.Downgraded == "" {
			t.Fatalf("user check: %+v", u)
		}
		for _, x := range allFixes(*u) {
			for _, c := range x.Changes {
				if c.Kind() == fix.KindCreateUser {
					t.Errorf("proposes creating user %q", flat(c).UserName)
				}
			}
		}
		s.resp.RoleSessionName = []string{rsn}
		if res := s.run(t); find(res, "aws.session_name_invalid") != nil {
			t.Errorf("near miss: %v", ids(res))
		}
	})

	// 6. The IdP's clock is two hours slow (its own Date header says so):
	// the cause is the clock, before the expiry, and the fix syncs it. A
	// page left open ten minutes, with clocks that agree, is not the clock.
	t.Run("IdP clock", func(t *testing.T) {
		s := base()
		s.outcome = fixture.Outcome{SignInError: "Response has expired (Service: AWSSecurityTokenService; Status Code: 400; Error Code: ExpiredTokenException)"}
		s.postAt = 2 * time.Hour
		res := s.run(t)
		f := firstError(t, res)
		fx := mustPass(t, f)
		if f.ID != "saml.idp_clock_skew" || fx.Changes[0].Kind() != fix.KindSyncIdPClock || (flat(fx.Changes[0]).Offset-2*time.Hour).Abs() > 2*time.Second {
			t.Fatalf("%v; first %s %+v", ids(res), f.ID, fx.Changes)
		}
		// The expiry is the clock's consequence: explained by it, its fix
		// not repeated.
		if e := find(res, "saml.expired"); e == nil || e.ExplainedBy != "saml.idp_clock_skew" || e.Fix != nil {
			t.Errorf("saml.expired: %+v", e)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Fix != nil && len(f.Fix.Changes) > 0 && f.Fix.Changes[0].Kind() == fix.KindSyncIdPClock {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the clock's fix is given %d times", n)
		}
		if strings.Contains(fixText(&fx), "lengthen") {
			t.Errorf("the fix lengthens validity: %s", fixText(&fx))
		}
		open := base()
		open.outcome = s.outcome
		open.postAt = 10 * time.Minute
		open.steps = func(st []fixture.Step) []fixture.Step { st[0].Time = at.Add(-10 * time.Minute); return st }
		res = open.run(t)
		if find(res, "saml.idp_clock_skew") != nil || find(res, "saml.expired") == nil {
			t.Errorf("near miss: %v", ids(res))
		}
	})

	// 7. A HAR cut in half: said first, never "no findings", not exit 0.
	t.Run("truncated", func(t *testing.T) {
		s := base()
		whole := fixture.HAR(fixture.Chrome, fixture.SignIn(s.resp.XML(), fixture.RelayState(), at, fixture.NotOnboarded))
		for _, tt := range []struct {
			data []byte
			want bool
		}{{whole[:len(whole)/2], true}, {whole, false}} {
			r := signin.NewReader(capture.Options{})
			if err := r.Read("half.har", bytes.NewReader(tt.data)); err != nil {
				t.Fatal(err)
			}
			res := diagnoseChecked(t, diagnose.Input{Capture: r.Finish()})
			got := find(res, "capture.truncated") != nil
			if got != tt.want {
				t.Fatalf("truncated %v: %v", tt.want, ids(res))
			}
			if tt.want && (!strings.HasPrefix(res.Verdict, "The capture file half.har ends early") || !res.Failed()) {
				t.Errorf("verdict %q, failed %v", res.Verdict, res.Failed())
			}
		}
	})
}

// pickRole turns the sign-in into the AWS role chooser: AWS answers the
// POST with its page of roles, and the agent picks role.
func pickRole(role string) func([]fixture.Step) []fixture.Step {
	return func(st []fixture.Step) []fixture.Step {
		post := st[1]
		chooser := post
		chooser.Status, chooser.Location, chooser.Mime = 200, "", "text/html;charset=UTF-8"
		chooser.Body = fixture.RoleChooserPage(post.Form[0][1], []string{roleARN, role})
		pick := post
		pick.Time = post.Time.Add(5 * time.Second)
		pick.Form = append(slices.Clone(post.Form), [2]string{"roleIndex", role})
		fed := st[2]
		fed.Time = pick.Time.Add(500 * time.Millisecond)
		return []fixture.Step{st[0], chooser, pick, fed}
	}
}

// scenarioSent is what the scenario's IdP sends in source: an attribute
// (RoleSessionName or another), or the NameID.
func scenarioSent(s *scenario, source string) (string, bool) {
	switch source {
	case fix.SourceNameID:
		return s.resp.NameID, s.resp.NameID != ""
	case assertion.AttrRoleSessionName:
		if len(s.resp.RoleSessionName) == 1 {
			return s.resp.RoleSessionName[0], true
		}
		return "", false
	}
	for _, a := range s.resp.Attributes {
		if a[0] == source {
			return a[1], true
		}
	}
	return "", false
}
