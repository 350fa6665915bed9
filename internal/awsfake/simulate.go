package awsfake

import (
	"fmt"
	"net/url"
	"strings"
)

// simulation answers SimulatePrincipalPolicy from a recorded answer: the
// AWS CLI's simulate-principal-policy output loaded with the account
// (EvaluationResults), matched by action. IAM's simulator sees what
// samldoctor cannot (SCPs, the live context), so the fake does not
// compute its answer with samldoctor's own evaluator, which it is there
// to be compared with. SimDecision, when set, overrides the recording as
// an organization SCP's denial would. Without either it answers as IAM
// does a caller without iam:SimulatePrincipalPolicy.
func (w *World) simulation(f url.Values) (string, bool) {
	action := f.Get("ActionNames.member.1")
	resource := f.Get("ResourceArns.member.1")
	if w.SimDecision != "" {
		return evalResult(action, resource, w.SimDecision, w.SimDecision == "allowed", nil), true
	}
	for _, r := range w.Simulations {
		if !strings.EqualFold(str(r["EvalActionName"]), action) {
			continue
		}
		orgs := true
		if d, ok := r["OrganizationsDecisionDetail"].(map[string]any); ok {
			if b, ok := d["AllowedByOrganizations"].(bool); ok {
				orgs = b
			}
		}
		var matched []string
		l, _ := r["MatchedStatements"].([]any)
		for _, m := range l {
			if mm, ok := m.(map[string]any); ok {
				matched = append(matched, str(mm["SourcePolicyId"]))
			}
		}
		return evalResult(action, resource, str(r["EvalDecision"]), orgs, matched), true
	}
	return "", false
}

// evalResult writes one EvaluationResults member as IAM's query API does.
func evalResult(action, resource, decision string, orgs bool, matched []string) string {
	var ms strings.Builder
	for _, m := range matched {
		ms.WriteString("<member><SourcePolicyId>" + esc(m) + "</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType></member>")
	}
	return fmt.Sprintf("<EvaluationResults><member><EvalActionName>%s</EvalActionName><EvalResourceName>%s</EvalResourceName><EvalDecision>%s</EvalDecision><MatchedStatements>%s</MatchedStatements><MissingContextValues/><OrganizationsDecisionDetail><AllowedByOrganizations>%t</AllowedByOrganizations></OrganizationsDecisionDetail></member></EvaluationResults><IsTruncated>false</IsTruncated>",
		esc(action), esc(resource), esc(decision), ms.String(), orgs)
}
