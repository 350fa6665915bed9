package diagnose

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
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
	set := func(value, how string) *Fix {
		return &Fix{Changes: []Change{{Kind: SetAttribute, Attribute: assertion.AttrRoleSessionName, Value: value, Transform: how}}}
	}
	tests := []struct {
		name, sent, user string
		fix              *Fix
		result, why      string
	}{
		{"lower, as needed", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "lower"), CheckPasses, ""},
		{"upper, as needed", "Jane.Doe@example.com", "JANE.DOE@EXAMPLE.COM", set("JANE.DOE@EXAMPLE.COM", "upper"), CheckPasses, ""},
		{"upper said, lower needed", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "upper"), CheckStillFails,
			`the upper-case transformation of "Jane.Doe@example.com", what the IdP sends now, sends "JANE.DOE@EXAMPLE.COM", not "jane.doe@example.com"`},
		{"lower said, upper needed", "Jane.Doe@example.com", "JANE.DOE@EXAMPLE.COM", set("JANE.DOE@EXAMPLE.COM", "lower"), CheckStillFails,
			`sends "jane.doe@example.com", not "JANE.DOE@EXAMPLE.COM"`},
		{"a transformation not modelled", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", "title"), CheckNotChecked, `"title" is not modelled`},
		// Without a transformation the value is set as it is.
		{"a value, no transformation", "Jane.Doe@example.com", "jane.doe@example.com", set("jane.doe@example.com", ""), CheckPasses, ""},
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
		if c := f.Fix.Changes[0]; c.Transform != tt.how || c.Value != tt.user || f.Fix.Check.Result != CheckPasses {
			t.Errorf("%s: fix %+v checked %+v, want a %s-case transformation that passes", tt.user, c, f.Fix.Check, tt.how)
		}
	}
}
