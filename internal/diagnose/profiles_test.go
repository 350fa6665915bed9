package diagnose_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
)

// profileSteps is a sign-in by the person nameID through one IdP profile:
// its issuer and the RoleSessionName it sends.
func profileSteps(nameID, rsn, issuer string, when time.Time, out fixture.Outcome) []fixture.Step {
	xml := fixture.Response{Issuer: issuer, NameID: nameID, RoleSessionName: []string{rsn}, IssueInstant: when.Add(-time.Second), SignAssertion: true}.XML()
	return fixture.SignIn(xml, fixture.RelayState(), when, out)
}

// One person, two IdP profiles: the one that sends the Connect user's
// name works, the other does not. A change made between a failure and a
// success through the same profile is not two profiles, nor are two
// people.
func TestMultipleProfiles(t *testing.T) {
	const jane = "jane.doe@example.com"
	appA, appB := fixture.DefaultIssuer, "https://sts.windows.net/ffffffff-0000-4000-8000-123456789abc/"
	first, second := at, at.Add(90*time.Second)
	users := map[string]string{"u.json": usersJSON(jane)}

	t.Run("works, then fails through the other", func(t *testing.T) {
		res := diagnoseSteps(t, users, profileSteps(jane, jane, appA, first, fixture.Success), profileSteps(jane, "Jane Doe", appB, second, fixture.NotOnboarded))
		f := res.Findings[0]
		if f.ID != "idp.multiple_profiles" || f.Severity != diagnose.Error || !slices.Contains(f.Explains, "connect.not_onboarded") {
			t.Fatalf("first finding %s %s explains %v; all %v", f.ID, f.Severity, f.Explains, ids(res))
		}
		if !strings.Contains(f.Fix.Summary, `"Jane Doe"`) || !strings.Contains(f.Fix.Summary, `"`+jane+`"`) || len(f.Evidence) != 2 {
			t.Errorf("fix %q, evidence %+v", f.Fix.Summary, f.Evidence)
		}
		// In the failing profile's product's terms (both are Entra ID here).
		if report.Render(*f.Fix).IdPProduct == "" || !strings.Contains(strings.Join(report.Render(*f.Fix).IdPSteps, " "), jane) {
			t.Errorf("IdP steps %q (%s)", report.Render(*f.Fix).IdPSteps, report.Render(*f.Fix).IdPProduct)
		}
	})
	t.Run("fails through one, then works through the other", func(t *testing.T) {
		res := diagnoseSteps(t, users, profileSteps(jane, "Jane Doe", appB, first, fixture.NotOnboarded), profileSteps(jane, jane, appA, second, fixture.Success))
		f := find(res, "idp.multiple_profiles")
		if f == nil || f.Severity != diagnose.Warning || len(f.Explains) != 0 || res.Failed() {
			t.Fatalf("findings %v, %+v", ids(res), f)
		}
	})
	t.Run("a fix between two attempts through one profile", func(t *testing.T) {
		res := diagnoseSteps(t, users, profileSteps(jane, "Jane Doe", appA, first, fixture.NotOnboarded), profileSteps(jane, jane, appA, second, fixture.Success))
		if find(res, "idp.multiple_profiles") != nil {
			t.Errorf("a change made between attempts reported as two profiles: %v", ids(res))
		}
	})
	// One application whose role mapping changed between the attempts:
	// the same issuer and RoleSessionName, another role.
	t.Run("one application, another role", func(t *testing.T) {
		other := func(when time.Time, out fixture.Outcome) []fixture.Step {
			xml := fixture.Response{Issuer: appA, NameID: jane, RoleSessionName: []string{jane}, IssueInstant: when.Add(-time.Second), SignAssertion: true,
				Roles: []string{"arn:aws:iam::" + acct + ":role/ConnectAgentsLegacy," + fixture.DefaultProvider}}.XML()
			return fixture.SignIn(xml, fixture.RelayState(), when, out)
		}
		res := diagnoseSteps(t, users, profileSteps(jane, jane, appA, first, fixture.Success), other(second, fixture.BadRequest))
		if f := find(res, "idp.multiple_profiles"); f != nil {
			t.Errorf("one application's role change reported as two profiles: %+v", f)
		}
	})
	t.Run("two people", func(t *testing.T) {
		res := diagnoseSteps(t, users, profileSteps(jane, jane, appA, first, fixture.Success), profileSteps("john.smith@example.com", "john.smith@example.com", appB, second, fixture.NotOnboarded))
		if find(res, "idp.multiple_profiles") != nil {
			t.Errorf("two people reported as one with two profiles: %v", ids(res))
		}
	})
}

// One person with two Connect users (the same first and last name, or the
// same e-mail) is said; the same first name alone is not.
func TestTwoConnectUsersForOnePerson(t *testing.T) {
	user := func(i int, name, first, last, email string) map[string]any {
		id := fmt.Sprintf("0000000%d-1a3d-4e5f-8a9b-0c1d2e3f4a5b", i)
		return map[string]any{"Id": id, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/agent/" + id, "Username": name,
			"IdentityInfo": map[string]any{"FirstName": first, "LastName": last, "Email": email}}
	}
	for _, c := range []struct {
		name  string
		other map[string]any
		want  string
	}{
		{"same name", user(1, "jdoe@example.com", "Jane", "Doe", ""), "the same first and last name, Jane Doe"},
		{"same e-mail", user(1, "jane.d@example.com", "J", "D", "jane.doe@example.com"), "the same e-mail, jane.doe@example.com"},
		{"same first name only", user(1, "jane.smith@example.com", "Jane", "Smith", "jane.smith@example.com"), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var set []string
			for _, u := range []map[string]any{user(0, rsn, "Jane", "Doe", "jane.doe@example.com"), c.other} {
				set = append(set, js(map[string]any{"User": u}))
			}
			res := diagnoseSteps(t, map[string]string{"a.json": set[0], "b.json": set[1], "l.json": usersJSON(rsn, c.other["Username"].(string))},
				signInSteps(rsn, "", at, fixture.Success))
			f := find(res, "idp.multiple_profiles")
			if c.want == "" {
				if f != nil {
					t.Errorf("near miss reported: %s", f.Title)
				}
				return
			}
			if f == nil || f.Severity != diagnose.Warning || !strings.Contains(f.Title, c.want) {
				t.Fatalf("findings %v, %+v", ids(res), f)
			}
		})
	}
}
