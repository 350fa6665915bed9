package diagnose

import (
	"fmt"
	"strings"

	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// checkLive reports what a live collection could not settle (calls AWS
// refused), what it found missing (NoSuchEntity, ResourceNotFound), and
// where IAM's own policy simulator disagrees with the offline evaluation.
func (r *run) checkLive() {
	for _, d := range r.aws.Denied {
		what := d.Affects
		if what == "" {
			what = "what it would have told"
		}
		sev := Warning
		switch {
		case strings.HasPrefix(d.Call, "organizations:") && !r.orgMayExplain():
			// Organizations answers only its management account (or a
			// delegate): from the account of the instance it refuses, and
			// nothing unexplained needs its policies.
			sev = Info
		case d.Call == "connect:ListApprovedOrigins" && !r.symptoms[frameRefused] && !r.symptoms[errorpage.CCPNoSession] && !r.symptoms[popupOpen],
			strings.Contains(d.Call, "AuthenticationProfile") && !r.symptoms["connect.session_expired"] && !r.symptoms[errorpage.SessionExpired12h]:
			// The approved origins matter to an embedded CCP, the
			// authentication profile to a session that ended: without
			// them in the capture, nothing waits on the answer (and
			// Connect's API reference says the authentication-profile
			// calls answer only accounts that asked AWS Support into
			// their preview).
			sev = Info
		}
		r.add(Finding{ID: "aws.call_denied", Severity: sev, Stage: stageOfCall(d.Call),
			Title:    fmt.Sprintf("Could not call %s: %s; %s is undetermined", d.Call, d.Error, what),
			Evidence: []Evidence{{What: d.Call + " on " + orX(d.Resource, "the account"), Value: d.Error, Where: d.Source.String()}},
			Fix:      &Fix{Summary: "Run with credentials that have samldoctor's read-only policy (`samldoctor permissions` prints it), or pass the AWS CLI outputs with --aws-data."}})
	}
	for _, n := range r.aws.NotFound {
		switch {
		case n.Call == "iam:GetRole" && n.Resource == r.roleUsed && !r.has("iam.role_not_found"):
			r.add(Finding{ID: "iam.role_not_found", Severity: Error,
				Title:  fmt.Sprintf("The role %s does not exist", r.roleUsed),
				Detail: "AWS cannot assume a role that does not exist; role names are case-sensitive and the path is part of the ARN.",
				Evidence: []Evidence{{What: "role in the Role attribute", Value: r.roleUsed, Where: r.attrWhere("https://aws.amazon.com/SAML/Attributes/Role")},
					{What: "iam:GetRole", Value: n.Error, Where: n.Source.String()}},
				Explains: []string{"signin.not_authorized_assume_role"},
				Fix:      &Fix{Summary: "Send the ARN of an existing role, exactly.", IdPText: "set the Role value to an existing role's exact ARN."}})
		case n.Call == "iam:GetSAMLProvider" && n.Resource == r.providerUsed && !r.has("iam.provider_not_found"):
			r.add(Finding{ID: "iam.provider_not_found", Severity: Error,
				Title: fmt.Sprintf("The SAML provider %s does not exist", r.providerUsed),
				Evidence: []Evidence{{What: "SAML provider in the Role attribute", Value: r.providerUsed, Where: r.attrWhere("https://aws.amazon.com/SAML/Attributes/Role")},
					{What: "iam:GetSAMLProvider", Value: n.Error, Where: n.Source.String()}},
				Explains: []string{"signin.provider_not_found"},
				Fix:      r.newFix("Name an existing provider in the Role value, or create the provider from the IdP's metadata.", fix.CreateProvider{Provider: r.providerUsed})})
		case n.Call == "connect:DescribeInstance" && n.Resource == r.subject.InstanceID:
			r.add(Finding{ID: "connect.instance_not_found", Severity: Error,
				Title:    fmt.Sprintf("Connect instance %s does not exist in %s", r.subject.InstanceID, r.subject.Region),
				Evidence: []Evidence{{What: "RelayState", Value: r.msg.RelayState, Where: r.where()}, {What: "connect:DescribeInstance", Value: n.Error, Where: n.Source.String()}},
				Explains: []string{"connect.access_denied_admin", "connect.not_onboarded", "connect.bad_request"},
				Fix:      &Fix{Summary: "Use the instance's ID and Region in the RelayState (aws connect list-instances --region REGION lists them)."}})
		}
	}
}

func stageOfCall(call string) catalog.Stage {
	switch {
	case call == "connect:ListApprovedOrigins":
		return catalog.StageEmbedded
	case strings.HasPrefix(call, "connect:"):
		return catalog.StageUser
	case strings.HasPrefix(call, "cloudtrail:"):
		return catalog.StageBinding
	case strings.HasPrefix(call, "organizations:"):
		return catalog.StageAssumeRole
	case call == "iam:SimulatePrincipalPolicy", call == "iam:ListRolePolicies", call == "iam:GetRolePolicy", call == "iam:ListAttachedRolePolicies", call == "iam:GetPolicy", call == "iam:GetPolicyVersion":
		return catalog.StageFederation
	}
	return catalog.StageAssumeRole
}

// compareSimulation sets IAM's own verdict beside the offline one. The
// simulator evaluates identity policies and SCPs (not RCPs, which Connect
// does not support anyway): the offline verdict it is compared with is the
// role's policies' and the SCPs' together.
func (r *run) compareSimulation(offline iampolicy.Decision) {
	scp := r.scpDecision()
	if scp == iampolicy.ExplicitDeny || scp == iampolicy.ImplicitDeny {
		offline = scp
	}
	for _, s := range r.aws.Simulations {
		if s.Action != "connect:GetFederationToken" {
			continue
		}
		sim := s.Decision
		if (sim == "allowed") == (offline == iampolicy.Allowed) || offline == iampolicy.Undetermined {
			if offline == iampolicy.Undetermined && sim != "allowed" {
				r.add(Finding{ID: "iam.federation_token_denied", Severity: Error,
					Title:    fmt.Sprintf("IAM's policy simulator denies connect:GetFederationToken to role %s (%s)", roleName(r.roleUsed), sim),
					Evidence: []Evidence{{What: "iam:SimulatePrincipalPolicy on " + s.Resource, Value: sim, Where: s.Source.String()}},
					Explains: []string{"connect.access_denied_admin"},
					Fix:      r.newFix("Allow the role connect:GetFederationToken on its users in the instance.", fix.PutRolePolicy{Role: roleName(r.roleUsed), Policy: unusedPolicyName(r.role), Document: r.federationPolicyDoc()})})
			}
			continue
		}
		why := "an organization SCP or a permissions boundary that the offline evaluation does not see"
		if sim == "allowed" && offline == scp {
			why = "IAM's simulator, which evaluates SCPs, allows what the SCPs read from Organizations deny: those outputs may be older than the policies attached now, or a condition takes another value live"
		} else if s.AllowedByOrganizations != nil && !*s.AllowedByOrganizations {
			why = "an organization service control policy (SCP) denies it"
		} else if s.AllowedByPermissionsBoundary != nil && !*s.AllowedByPermissionsBoundary {
			why = "the role's permissions boundary denies it"
		}
		f := Finding{ID: "iam.simulation_disagrees", Severity: Warning,
			Title: fmt.Sprintf("IAM's policy simulator says %s where the role's own policies say %s: %s", sim, offline, why),
			Evidence: []Evidence{{What: "iam:SimulatePrincipalPolicy on " + s.Resource, Value: sim, Where: s.Source.String()},
				{What: "offline evaluation of the role's policies", Value: string(offline), Where: "--aws-data"}},
			Fix: &Fix{Summary: "Find the policy that denies it: the organization's SCPs (aws organizations list-policies-for-target --target-id ACCOUNT-ID --filter SERVICE_CONTROL_POLICY) and the role's permissions boundary."}}
		if sim != "allowed" {
			f.Severity = Error
			f.Explains = []string{"connect.access_denied_admin"}
		}
		r.add(f)
	}
}
