package diagnose

import (
	"fmt"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// AuditAgent is the session name JudgeFederation judges for: any agent's,
// as the role's policies name users by ${aws:userid}.
const AuditAgent = "AGENT"

// JudgeFederation judges, without a sign-in, whether a role may call
// connect:GetFederationToken for the users of an instance: the same
// evaluation, near misses ("statement 1 names Region us-east-1") and fixes
// as a diagnosis's S5, for an agent named AuditAgent (samldoctor audit).
// Each fix is checked by judging again with its changes applied to a copy
// of the evidence (see checkJudged).
func JudgeFederation(aws *evidence.Set, roleArn, instanceID, region string) []Finding {
	return judgeFederation(aws, roleArn, instanceID, region, true)
}

func judgeFederation(aws *evidence.Set, roleArn, instanceID, region string, check bool) []Finding {
	ra, err := awsarn.ParseRole(roleArn)
	if err != nil {
		return nil
	}
	r := newRun(Input{Capture: &capture.Capture{}, AWS: aws})
	r.hypothetical = true // no symptom: there is no sign-in
	r.subject = &signin.Subject{RoleArn: roleArn, InstanceID: instanceID, Region: region, Account: ra.Account, Partition: ra.Partition, RoleSessionName: AuditAgent}
	r.roleUsed = roleArn
	r.resolveRole()
	if r.role == nil {
		return nil
	}
	r.checkFederation()
	if check {
		what := fmt.Sprintf("role %s may call connect:GetFederationToken for the users of instance %s", roleName(roleArn), instanceID)
		r.checkJudged(what, func(aws *evidence.Set) []Finding { return judgeFederation(aws, roleArn, instanceID, region, false) })
	}
	return r.res.Findings
}

// checkJudged checks an audit's fixes. An audit has no sign-in to diagnose
// again; what it judged is judged again instead, with each fix's changes
// applied to a copy of the AWS evidence: the fix passes when no error is
// left (what, a sentence, says what then holds), and what the change would
// break today is named as for a diagnosis.
func (r *run) checkJudged(what string, judge func(*evidence.Set) []Finding) {
	check := func(f *Fix) {
		if f.Check != nil && f.Check.Result != "" {
			return // set where it was made: why it cannot be modelled
		}
		if len(f.Changes) == 0 {
			f.Check = &fix.Check{Result: fix.NotChecked, Why: "this fix is a manual step, not a change samldoctor can model"}
			return
		}
		w := fix.NewAWSWorld(r.aws)
		if f.Check = fix.ApplyAll(w, f.Changes); f.Check != nil {
			return
		}
		ck := &fix.Check{Result: fix.Passes, Why: "judged again with the change, " + what}
		for _, af := range judge(&w.AWS) {
			if af.Severity == Error {
				ck.After = append(ck.After, af.ID)
				if ck.Result == fix.Passes {
					ck.Result, ck.Why = fix.StillFails, "not enough alone: judged again with the change, "+lowerFirst(af.Title)
				}
			}
		}
		ck.Breaks = r.breaks(f, w)
		f.Check = ck
	}
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		if f.Fix == nil {
			continue
		}
		check(f.Fix)
		for j := range f.Alternatives {
			check(&f.Alternatives[j])
		}
	}
}

// JudgeTrust judges, without a sign-in, whether a role's trust policy lets
// agents of a SAML provider in through AWS sign-in: SAML:aud is the
// endpoint the assertion is posted to, the partition's global one or the
// instance Region's (AWS recommends the latter for Connect); for an
// instance with Global Resiliency (globalURL set), its global sign-in
// endpoint alone. When none passes, the finding says why for each, and the
// fix widens the condition in place (the Regional endpoint; for Global
// Resiliency, StringLike on its URL with a trailing *). Keys the audit
// cannot know (the issuer, the subject) leave the verdict undetermined,
// and then nothing is said.
func JudgeTrust(aws *evidence.Set, roleArn, providerArn, region, globalURL string) []Finding {
	return judgeTrust(aws, roleArn, providerArn, region, globalURL, true)
}

func judgeTrust(aws *evidence.Set, roleArn, providerArn, region, globalURL string, check bool) []Finding {
	ra, err := awsarn.ParseRole(roleArn)
	if err != nil {
		return nil
	}
	r := newRun(Input{Capture: &capture.Capture{}, AWS: aws})
	r.hypothetical = true
	r.subject = &signin.Subject{RoleArn: roleArn, ProviderArn: providerArn, Region: region, Account: ra.Account, Partition: ra.Partition, RoleSessionName: AuditAgent}
	r.roleUsed, r.providerUsed = roleArn, providerArn
	r.resolveRole()
	if r.role == nil || r.role.Trust == nil {
		return nil
	}
	ro := r.role
	endpoints := []string{awsarn.SignInURL(ra.Partition, ""), awsarn.SignInURL(ra.Partition, region)}
	if si, ok := awsarn.ParseSignIn(globalURL); ok && si.Global != nil {
		endpoints, r.global = []string{globalURL}, si.Global
		r.subject.PostedTo = globalURL
	}
	var ev []Evidence
	var regional map[string]iampolicy.Result
	for _, ep := range endpoints {
		r.auditAud = ep
		denied, _, results := r.trustDecisions(ro.Trust, "trust policy of "+ro.Name)
		if len(denied) == 0 {
			return nil // it passes, or cannot be settled: nothing to say
		}
		ev = append(ev, Evidence{What: "trust policy verdict with SAML:aud " + ep, Value: string(results["sts:AssumeRoleWithSAML"].Decision) + r.trustWhy("sts:AssumeRoleWithSAML", results["sts:AssumeRoleWithSAML"]),
			Where: ro.Source.String() + " AssumeRolePolicyDocument"})
		regional = results
	}
	f := Finding{ID: "iam.trust_policy_denies", Severity: Error,
		Title:    "The trust policy of role " + ro.Name + " lets " + awsarn.ProviderName(providerArn) + "'s agents in through no AWS sign-in endpoint",
		Detail:   "STS evaluates the role's trust policy with SAML:aud set to the sign-in endpoint the assertion was posted to; with neither the global nor the Regional endpoint does it allow sts:AssumeRoleWithSAML, so every sign-in with this role fails (\"Not authorized to perform sts:AssumeRoleWithSAML\").",
		Evidence: ev}
	if doc, edit, ok := r.trustEdit(ro.Trust, regional); ok {
		f.Fix = r.newFix("Correct the role's trust policy in place, keeping every statement it has: "+edit+".", fix.UpdateTrustPolicy{Role: ro.Name, Edit: edit, Document: doc})
	} else {
		f.Fix = &Fix{Summary: "A Deny in the trust policy blocks these sign-ins: remove or narrow it.", Check: &fix.Check{Result: fix.NotChecked, Why: "which Deny to narrow is a decision about who else it is meant to stop"}}
	}
	r.add(f)
	if check {
		r.checkJudged(fmt.Sprintf("the trust policy of role %s lets %s's agents in through %s", ro.Name, awsarn.ProviderName(providerArn), strings.Join(endpoints, " or ")),
			func(aws *evidence.Set) []Finding {
				return judgeTrust(aws, roleArn, providerArn, region, globalURL, false)
			})
	}
	return r.res.Findings
}
