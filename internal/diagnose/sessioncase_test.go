package diagnose

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// connectUsers is list-users output naming the users.
func connectUsers(names ...string) string {
	var l []map[string]string
	for i, n := range names {
		id := "0000000" + string(rune('0'+i)) + "-1a3d-4e5f-8a9b-0c1d2e3f4a5b"
		l = append(l, map[string]string{"Id": id, "Arn": "arn:aws:connect:" + region + ":" + acct + ":instance/" + instance + "/agent/" + id, "Username": n})
	}
	return jsonOf(map[string]any{"UserSummaryList": l})
}

// A fix that changes RoleSessionName by a case transformation is checked
// by applying the transformation to what the IdP sends now: the label
// decides what AWS gets, so a change that names the wrong transformation
// for the value it promises does not pass, and the diagnosis's own fix
// for a case mismatch names the one that yields the Connect user name.
func TestCaseTransformationIsApplied(t *testing.T) {
	rsn := assertion.AttrRoleSessionName
	set := func(value, source, how string, scope fix.Scope) *Fix {
		return &Fix{Changes: []fix.Change{fix.SetAttribute{Attribute: rsn, Value: value, Source: source, Transform: how, Scope: scope}}}
	}
	app := fix.ScopeApplication
	tests := []struct {
		name, sent, user string
		fix              *Fix
		result, why      string
	}{
		{"lower, as needed", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", rsn, "lower", app), fix.Passes, ""},
		{"upper, as needed", "Jane.Doe@example.com", "JANE.DOE@EXAMPLE.COM", set("JANE.DOE@EXAMPLE.COM", rsn, "upper", app), fix.Passes, ""},
		{"upper said, lower needed", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", rsn, "upper", app), fix.StillFails,
			`attribute RoleSessionName sends "Jane.Doe@example.com"; a upper-case transformation makes it "JANE.DOE@EXAMPLE.COM", not "jane.doe@example.com"`},
		{"lower said, upper needed", "Jane.Doe@example.com", "JANE.DOE@EXAMPLE.COM", set("JANE.DOE@EXAMPLE.COM", rsn, "lower", app), fix.StillFails,
			`makes it "jane.doe@example.com", not "JANE.DOE@EXAMPLE.COM"`},
		{"a transformation not modelled", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", rsn, "title", app), fix.NotChecked, `"title" is not modelled`},
		// The source must be something the IdP sends.
		{"a source not sent", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "mail", "lower", app), fix.StillFails,
			`the IdP sends no attribute mail in this assertion`},
		{"the NameID as source", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", fix.SourceNameID, "lower", app), fix.Passes, ""},
		// A value nothing sends is set on the agent's profile; for the whole
		// application it is no mapping at all.
		{"a value for this agent", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "", "", fix.ScopeAgent), fix.Passes, ""},
		{"a value for everyone", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "", "", app), fix.StillFails, "nothing the IdP sends holds it"},
		{"a transformation of nothing", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "", "lower", app), fix.StillFails, "names no source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := judgedAs(t, tt.sent, connectUsers(tt.user))
			r.checkFix(tt.fix)
			ck := tt.fix.Check
			if ck == nil || ck.Result != tt.result || !strings.Contains(ck.Why, tt.why) {
				t.Errorf("check = %+v, want %s with %q", ck, tt.result, tt.why)
			}
		})
	}
	// The diagnosis's own fix for the mismatch: the right label, and its
	// check passes.
	for _, tt := range []struct{ user, how string }{{"jane.doe@example.com", "lower"}, {"JANE.DOE@EXAMPLE.COM", "upper"}} {
		r := judgedAs(t, "Jane.Doe@example.com", connectUsers(tt.user))
		r.checkFixes()
		var f *Finding
		for i := range r.res.Findings {
			if r.res.Findings[i].ID == "connect.username_case_mismatch" {
				f = &r.res.Findings[i]
			}
		}
		if f == nil || f.Fix == nil || len(f.Fix.Changes) == 0 {
			t.Fatalf("%s: no case-mismatch fix: %+v", tt.user, r.res.Findings)
		}
		if c, _ := f.Fix.Changes[0].(fix.SetAttribute); c.Transform != tt.how || c.Source != rsn || c.Value != tt.user || f.Fix.Check.Result != fix.Passes {
			t.Errorf("%s: fix %+v checked %+v, want a %s-case transformation that passes", tt.user, c, f.Fix.Check, tt.how)
		}
	}
}
