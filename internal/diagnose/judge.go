package diagnose

import (
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// AuditAgent is the session name JudgeFederation judges for: any agent's,
// as the role's policies name users by ${aws:userid}.
const AuditAgent = "AGENT"

// JudgeFederation judges, without a sign-in, whether a role may call
// connect:GetFederationToken for the users of an instance: the same
// evaluation, near misses ("statement 1 names Region us-east-1") and fixes
// as a diagnosis's S5, for an agent named AuditAgent (samldoctor audit).
// With no message to diagnose again, its fixes say they were not checked,
// and why.
func JudgeFederation(aws *evidence.Set, roleArn, instanceID, region string) []Finding {
	ra, err := awsarn.ParseRole(roleArn)
	if err != nil {
		return nil
	}
	r := newRun(Input{Capture: &capture.Capture{}, AWS: aws})
	r.hypothetical = true // no symptom, no fix check: there is no sign-in
	r.subject = &Subject{RoleArn: roleArn, InstanceID: instanceID, Region: region, Account: ra.Account, Partition: ra.Partition, RoleSessionName: AuditAgent}
	r.roleUsed = roleArn
	r.resolveRole()
	if r.role == nil {
		return nil
	}
	r.checkFederation()
	notChecked := &Check{Result: CheckNotChecked, Why: "an audit has no sign-in to diagnose again with the change; diagnose an agent's capture to check it"}
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		if f.Fix != nil && f.Fix.Check == nil {
			f.Fix.Check = notChecked
		}
		for j := range f.Alternatives {
			if f.Alternatives[j].Check == nil {
				f.Alternatives[j].Check = notChecked
			}
		}
	}
	return r.res.Findings
}
