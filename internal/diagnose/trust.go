package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// trustActions are the STS actions the sign-in needs the trust policy to
// allow: AssumeRoleWithSAML, plus TagSession when session tags are sent
// and SetSourceIdentity when a SourceIdentity is.
func (r *run) trustActions() []string {
	actions := []string{"sts:AssumeRoleWithSAML"}
	if r.awsView != nil && len(r.awsView.PrincipalTags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if r.awsView != nil && r.awsView.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	return actions
}

// trustDecisions evaluates a trust policy for each action the sign-in
// needs.
func (r *run) trustDecisions(doc *iampolicy.Policy, name string) (denied []string, unknown []string, results map[string]iampolicy.Result) {
	who := &iampolicy.Principal{Type: "Federated", ID: r.providerUsed}
	ctx := r.samlContext()
	results = map[string]iampolicy.Result{}
	for _, act := range r.trustActions() {
		res := iampolicy.Evaluate([]iampolicy.Named{{Name: name, Policy: doc}}, iampolicy.Request{Action: act, Principal: who, Context: ctx})
		results[act] = res
		switch res.Decision {
		case iampolicy.ImplicitDeny, iampolicy.ExplicitDeny:
			denied = append(denied, act)
		case iampolicy.Undetermined:
			unknown = append(unknown, act+": "+strings.Join(res.Reasons(), "; "))
		}
	}
	return denied, unknown, results
}

func (r *run) checkTrust() {
	ro := r.role
	r.covered[catalog.StageAssumeRole] = true
	name := "trust policy of " + ro.Name
	denied, unknown, results := r.trustDecisions(ro.Trust, name)
	ctx := r.samlContext()
	if len(denied) > 0 {
		var ev []Evidence
		for _, act := range denied {
			ev = append(ev, Evidence{What: "trust policy verdict for " + act, Value: string(results[act].Decision) + r.trustWhy(act, results[act]), Where: ro.Source.String() + " AssumeRolePolicyDocument"})
		}
		ev = append(ev, Evidence{What: "SAML:aud (the Recipient)", Value: firstValue(ctx, "saml:aud"), Where: r.at("SubjectConfirmationData/@Recipient")})
		f := Finding{ID: "iam.trust_policy_denies", Severity: Error,
			Title:    fmt.Sprintf("The trust policy of role %s does not allow %s for this sign-in", ro.Name, strings.Join(denied, " and ")),
			Detail:   "The role's trust policy must allow sts:AssumeRoleWithSAML for the Federated principal " + r.providerUsed + ", with conditions the assertion meets (SAML:aud is the assertion's Recipient), plus sts:TagSession when session tags are sent and sts:SetSourceIdentity when a SourceIdentity is sent.",
			Evidence: ev, Explains: []string{"signin.not_authorized_assume_role"}}
		if doc, edit, ok := r.trustEdit(ro.Trust, results); ok {
			f.Fix = r.newFix("Correct the role's trust policy in place, keeping every statement it has: "+edit+".", fix.UpdateTrustPolicy{Role: ro.Name, Edit: edit, Document: doc})
		} else {
			f.Fix = &Fix{Summary: "A Deny in the trust policy blocks the sign-in: " + results[denied[0]].Deny[0].String() + ". Remove or narrow it.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which Deny to narrow is a decision about who else it is meant to stop"}}
		}
		r.add(f)
	} else if len(unknown) > 0 {
		r.add(Finding{ID: "iam.trust_policy_undetermined", Severity: Warning,
			Title:    fmt.Sprintf("Whether the trust policy of role %s allows this sign-in cannot be settled offline", ro.Name),
			Evidence: []Evidence{{What: "undetermined", Value: strings.Join(unknown, " | "), Where: ro.Source.String() + " AssumeRolePolicyDocument"}}})
	}
}

// positiveStringOps are the condition operators a value can be added to
// so that the condition also holds for it.
var positiveStringOps = []string{"StringEquals", "StringLike", "StringEqualsIgnoreCase",
	"ForAnyValue:StringEquals", "ForAnyValue:StringLike", "StringEqualsIfExists", "StringLikeIfExists"}

// trustEdit corrects the trust policy in place, changing the least: the
// statement that allows AssumeRoleWithSAML for this provider gets the
// assertion's value added to the condition that fails; else the statement
// that allows it for another provider also names this one; else a
// statement is added. Nothing is removed, so every sign-in the policy
// allows today it still allows. It returns false when only removing a
// Deny would help.
func (r *run) trustEdit(old *iampolicy.Policy, results map[string]iampolicy.Result) (*iampolicy.Policy, string, bool) {
	for _, res := range results {
		if res.Decision == iampolicy.ExplicitDeny {
			return nil, "", false
		}
	}
	doc := old.Clone()
	ctx := r.samlContext()
	var edits []string
	idx := -1
	for i, st := range doc.Statements {
		if st.Effect == "Allow" && allowsAction(st, "sts:AssumeRoleWithSAML") && slices.Contains(st.Principal["Federated"], r.providerUsed) {
			idx = i
			break
		}
	}
	if idx < 0 {
		for i, st := range doc.Statements {
			if st.Effect == "Allow" && allowsAction(st, "sts:AssumeRoleWithSAML") && len(st.Principal["Federated"]) > 0 {
				idx = i
				// Named before the append: the statement shares its
				// Principal map with the policy's copy.
				beside := strings.Join(st.Principal["Federated"], ", ")
				doc.Statements[i].Principal["Federated"] = append(doc.Statements[i].Principal["Federated"], r.providerUsed)
				edits = append(edits, fmt.Sprintf("add %s to statement %d's Federated principals (beside %s)", r.providerUsed, i+1, beside))
				break
			}
		}
	}
	if idx < 0 {
		op := "StringEquals"
		if r.global != nil {
			op = "StringLike" // AWS documents SAML:aud https://ID.REGION.sign-in.connect.aws/saml*
		}
		st := iampolicy.NewStatement(iampolicy.Statement{Effect: "Allow", Principal: map[string][]string{"Federated": {r.providerUsed}},
			Action:    r.trustActions(),
			Condition: map[string]map[string][]string{op: {"SAML:aud": r.audiences()}}})
		st.Index = len(doc.Statements)
		doc.Statements = append(doc.Statements, st)
		edits = append(edits, fmt.Sprintf("add a statement allowing %s for %s with SAML:aud %s", strings.Join(r.trustActions(), ", "), r.providerUsed, strings.Join(r.audiences(), ", ")))
		return doc, strings.Join(edits, "; "), true
	}
	st := &doc.Statements[idx]
	// Each failing condition on a SAML key: add the assertion's value.
	for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
		for _, key := range slices.Sorted(maps.Keys(st.Condition[op])) {
			have := ctx.Values[strings.ToLower(key)]
			if len(have) == 0 || !slices.Contains(positiveStringOps, op) {
				continue
			}
			probe := iampolicy.NewStatement(iampolicy.Statement{Effect: "Allow", Principal: map[string][]string{"Federated": {r.providerUsed}}, Action: []string{"sts:AssumeRoleWithSAML"},
				Condition: map[string]map[string][]string{op: {key: st.Condition[op][key]}}})
			res := iampolicy.Evaluate([]iampolicy.Named{{Name: "probe", Policy: &iampolicy.Policy{Statements: []iampolicy.Statement{probe}}}},
				iampolicy.Request{Action: "sts:AssumeRoleWithSAML", Principal: &iampolicy.Principal{Type: "Federated", ID: r.providerUsed}, Context: ctx})
			if res.Decision != iampolicy.ImplicitDeny {
				continue
			}
			if r.global != nil && strings.EqualFold(key, "SAML:aud") {
				edits = append(edits, r.globalAudEdit(st, op, key, idx))
				continue
			}
			st.Condition[op][key] = append(st.Condition[op][key], have[0])
			edits = append(edits, fmt.Sprintf("add %s to statement %d's %s values (%s), which now hold %s", have[0], idx+1, key, op, strings.Join(st.Condition[op][key][:len(st.Condition[op][key])-1], ", ")))
		}
	}
	for _, act := range r.trustActions()[1:] {
		if !allowsAction(*st, act) {
			st.Action = append(st.Action, act)
			st.Mark("Action")
			edits = append(edits, fmt.Sprintf("add %s to statement %d's actions", act, idx+1))
		}
	}
	if len(edits) == 0 {
		return nil, "", false
	}
	return doc, strings.Join(edits, "; "), true
}

// allowsAction reports whether the statement's Action (or NotAction)
// covers the action.
func allowsAction(st iampolicy.Statement, action string) bool {
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if iampolicy.MatchAction(p, action) {
				return true
			}
		}
		return false
	}
	if st.Has("NotAction") {
		return !match(st.NotAction)
	}
	return match(st.Action)
}

// audiences are the SAML:aud values a new trust statement names: the
// global endpoint, and the Recipient when it is another AWS endpoint.
func (r *run) audiences() []string {
	if r.global != nil {
		return []string{r.global.Base + "*"}
	}
	auds := []string{awsarn.SignInURL(r.partition(), "")}
	if c := r.bearer(); c != nil && c.Recipient != "" && c.Recipient != auds[0] {
		if _, ok := awsarn.ParseSignIn(c.Recipient); ok {
			auds = append(auds, c.Recipient)
		}
	}
	return auds
}

func firstValue(ctx iampolicy.Context, key string) string {
	if v := ctx.Values[strings.ToLower(key)]; len(v) > 0 {
		return v[0]
	}
	return "(none)"
}

// trustWhy explains a trust-policy denial by the statements that would
// otherwise apply.
func (r *run) trustWhy(action string, res iampolicy.Result) string {
	if len(res.Deny) > 0 {
		return ": denied by " + res.Deny[0].String()
	}
	var why []string
	for _, st := range r.role.Trust.Statements {
		if st.Effect != "Allow" || !allowsAction(st, action) {
			continue
		}
		fed := st.Principal["Federated"]
		if len(fed) > 0 && !slices.Contains(fed, r.providerUsed) {
			why = append(why, fmt.Sprintf("statement %d trusts %s, not %s", st.Index+1, strings.Join(fed, ", "), r.providerUsed))
			continue
		}
		for _, op := range slices.Sorted(maps.Keys(st.Condition)) {
			for _, k := range slices.Sorted(maps.Keys(st.Condition[op])) {
				why = append(why, fmt.Sprintf("statement %d requires %s %s in [%s]", st.Index+1, k, op, strings.Join(st.Condition[op][k], ", ")))
			}
		}
	}
	if len(why) == 0 {
		return ": no statement allows " + action
	}
	return ": " + strings.Join(why, "; ")
}
