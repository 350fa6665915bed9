package awsfake

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// simulate answers SimulatePrincipalPolicy the way IAM does for the
// identity policies it holds (the fake has no SCPs): with samldoctor's own
// evaluator, which the offline tests check against IAM's documented logic.
func (w *World) simulate(f url.Values) string {
	var role *Role
	for _, r := range w.Roles {
		if r.ARN == f.Get("PolicySourceArn") {
			role = r
		}
	}
	if role == nil {
		return "implicitDeny"
	}
	var ps []iampolicy.Named
	for n, d := range role.Inline {
		if p, err := iampolicy.Parse(d); err == nil {
			ps = append(ps, iampolicy.Named{Name: n, Policy: p})
		}
	}
	for _, a := range role.Attached {
		if p := w.Policies[a[1]]; p != nil {
			if pol, err := iampolicy.Parse(p.Document); err == nil {
				ps = append(ps, iampolicy.Named{Name: a[0], Policy: pol})
			}
		}
	}
	ctx := iampolicy.NewContext()
	ctx.SetAbsent("aws:username")
	for i := 1; ; i++ {
		k := f.Get("ContextEntries.member." + strconv.Itoa(i) + ".ContextKeyName")
		if k == "" {
			break
		}
		var vals []string
		for j := 1; ; j++ {
			v := f.Get("ContextEntries.member." + strconv.Itoa(i) + ".ContextKeyValues.member." + strconv.Itoa(j))
			if v == "" {
				break
			}
			vals = append(vals, v)
		}
		ctx.Set(k, vals...)
	}
	res := iampolicy.Evaluate(ps, iampolicy.Request{Action: f.Get("ActionNames.member.1"), Resource: f.Get("ResourceArns.member.1"), Context: ctx})
	if res.Decision == iampolicy.Undetermined {
		return "implicitDeny"
	}
	return strings.TrimSpace(string(res.Decision))
}
