package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// explained reports whether an error or warning finding explains the
// symptom.
func (r *run) explained(id string) bool {
	for _, f := range r.res.Findings {
		if f.Severity == Info {
			continue
		}
		for _, e := range f.Explains {
			if e == id {
				return true
			}
		}
	}
	return false
}

// needs says, for each observed symptom no finding explains, which AWS
// output would settle its cause, with the commands filled in.
func (r *run) needs() {
	s := r.subject
	region := orX(s.Region, "REGION")
	inst := orX(s.InstanceID, "INSTANCE-ID")
	roleName := "ROLE-NAME"
	if s.RoleArn != "" {
		roleName = s.RoleArn[strings.LastIndex(s.RoleArn, "/")+1:]
	}
	signinRegion := "us-east-1"
	if si, ok := awsarn.ParseSignIn(s.PostedTo); ok {
		signinRegion = si.DefaultRegion
		if si.Region != "" {
			signinRegion = si.Region
		}
	}
	since := "START-DATE"
	if !s.At.IsZero() {
		since = s.At.AddDate(0, 0, -90).UTC().Format("2006-01-02")
	}
	need := func(id, title, detail string, explains []string, cmds ...string) {
		if r.has(id) {
			return
		}
		// What was given for another account or instance is asked for
		// by aws.evidence_other_account, with the right values.
		cmds = slices.DeleteFunc(cmds, r.givenElsewhere)
		if len(cmds) == 0 {
			return
		}
		r.add(Finding{ID: id, Severity: Info, Title: title, Detail: detail,
			Evidence: []Evidence{{What: "observed", Value: strings.Join(explains, ", "), Where: r.symptomWhere(explains)}},
			Explains: explains,
			Fix:      &Fix{Summary: "Run these with read access to the account and pass the files, or their folder, with --aws-data. Or let samldoctor do it: diagnose --aws reads them from AWS itself, and collect --script bash|powershell prints every command it needs as one script.", Reads: cmds}})
	}
	for _, sym := range r.res.Symptoms {
		if r.explained(sym.ID) {
			continue
		}
		switch sym.ID {
		case "connect.not_onboarded":
			if ul := r.users(); ul != nil && !ul.Complete && len(ul.Partial) > 0 && len(ul.SearchedFor) == 0 {
				r.partialUsers(ul, sym.ID, region, inst)
			} else if ul == nil || !ul.Complete {
				need("needs.connect_users", "Which Connect users exist would settle why "+quoteOr(s.RoleSessionName, "the agent")+" is not onboarded",
					"\"Not onboarded\" means Connect has no user whose name is exactly the RoleSessionName. The instance's user list tells whether the user is missing, differs by case, or exists under another name.",
					[]string{sym.ID},
					fmt.Sprintf("aws connect list-users --region %s --instance-id %s > users.json", q(region), q(inst)),
					fmt.Sprintf("aws connect describe-instance --region %s --instance-id %s > instance.json", q(region), q(inst)))
			}
		case "connect.access_denied_admin":
			if r.has("iam.federation_token_allowed") && r.orgUnsettled("SERVICE_CONTROL_POLICY") {
				need("needs.org_policies", "The organization's service control policies would settle what denies connect:GetFederationToken",
					"The role's own policies allow it, so what denies it is outside them: an SCP on the path from the organization's root to the account. Organizations answers these reads only in the management account or the account delegated to administer its policies."+orgReadsNote,
					[]string{sym.ID}, r.orgCommands("SERVICE_CONTROL_POLICY")...)
				continue
			}
			need("needs.role_policies", "The role's policies would settle whether it may call connect:GetFederationToken",
				"This page means the role assumed at sign-in may not call connect:GetFederationToken for the agent's Connect user.",
				[]string{sym.ID},
				append(rolePolicyCommands(s.RoleArn), fmt.Sprintf("aws connect describe-instance --region %s --instance-id %s > instance.json", q(region), q(inst)))...)
		case "connect.bad_request":
			need("needs.cloudtrail", "CloudTrail's record of earlier sign-ins would settle whether the user was bound to another role",
				"\"Bad Request\" usually means the Connect user first signed in with a different role (or a role since recreated). CloudTrail keeps 90 days of events.",
				[]string{sym.ID},
				fmt.Sprintf("aws cloudtrail lookup-events --region %s --lookup-attributes AttributeKey=EventName,AttributeValue=GetFederationToken --start-time %s > connect-events.json", q(region), q(since)),
				fmt.Sprintf("aws cloudtrail lookup-events --region %s --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRoleWithSAML --start-time %s > sts-events.json", q(signinRegion), q(since)),
				fmt.Sprintf("aws iam get-role --role-name %s > role.json", q(roleName)),
				fmt.Sprintf("aws connect list-users --region %s --instance-id %s > users.json", q(region), q(inst)))
		case "signin.not_authorized_assume_role":
			if r.trustAllows() && r.orgUnsettled("RESOURCE_CONTROL_POLICY") {
				need("needs.org_policies", "The organization's resource control policies would settle what denies sts:AssumeRoleWithSAML",
					"The role's trust policy allows this sign-in, so what denies it is outside it: an RCP on the path from the organization's root to the role's account. Organizations answers these reads only in the management account or the account delegated to administer its policies."+orgReadsNote,
					[]string{sym.ID}, r.orgCommands("RESOURCE_CONTROL_POLICY")...)
				continue
			}
			need("needs.trust_policy", "The role and the account's SAML providers would settle why AssumeRoleWithSAML was refused",
				"STS refuses when the role does not exist (names are case-sensitive), its trust policy does not trust the provider or its conditions fail (SAML:aud is the Recipient), or session tags need sts:TagSession.",
				[]string{sym.ID},
				fmt.Sprintf("aws iam get-role --role-name %s > role.json", q(roleName)),
				"aws iam list-saml-providers > saml-providers.json")
		case "signin.issuer_not_in_provider", "signin.signature_invalid":
			prov := orX(s.ProviderArn, "PROVIDER-ARN")
			need("needs.saml_provider", "The IAM SAML provider's metadata would settle whether its issuer and certificate match the response",
				"AWS checks the response's Issuer against the provider metadata's entityID and its signature against the metadata's certificates.",
				[]string{sym.ID},
				fmt.Sprintf("aws iam get-saml-provider --saml-provider-arn %s > saml-provider.json", q(prov)),
				"also pass the IdP's current metadata: --idp-metadata idp-metadata.xml")
		case "signin.provider_not_found":
			need("needs.saml_providers", "The account's SAML providers would settle which provider name is wrong",
				"", []string{sym.ID}, "aws iam list-saml-providers > saml-providers.json")
		}
	}
	if r.msg != nil && r.subject.At.IsZero() {
		r.add(Finding{ID: "capture.no_time", Severity: Info,
			Title:    "The input has no capture time, so the assertion's validity window was not judged",
			Evidence: []Evidence{{What: "input", Value: "a SAML value without a browser capture", Where: r.where()}},
			Fix:      &Fix{Summary: "Pass the HAR of the sign-in so expiry and issue time can be judged at the moment AWS received the response."}})
	}
}

// partialUsers asks for the whole user list when only pages of it were
// read: a name missing from a page may be on another, so nothing is
// concluded from it.
func (r *run) partialUsers(ul *evidence.UserList, symptom, region, inst string) {
	if r.has("needs.connect_users") {
		return
	}
	var pages []string
	for _, p := range ul.Partial {
		pages = append(pages, p.File)
	}
	rsn := quoteOr(r.subject.RoleSessionName, "the agent")
	r.add(Finding{ID: "needs.connect_users", Severity: Info,
		Title: fmt.Sprintf("The Connect user list read is one page of it: whether a user named %s exists is not known yet", rsn),
		Detail: fmt.Sprintf("%s holds a NextToken: the AWS CLI stopped after one page (--max-items, or --no-paginate with --page-size) and more users follow. No user named %s in any case is on the page read, which says nothing of the other pages.",
			strings.Join(pages, ", "), rsn),
		Evidence: []Evidence{{What: "observed", Value: symptom, Where: r.symptomWhere([]string{symptom})},
			{What: "users read", Value: fmt.Sprintf("%d, on a page with a NextToken", len(ul.Users)), Where: sourcesOf(ul)}},
		Explains: []string{symptom},
		Fix: &Fix{Summary: "Run list-users again without --max-items (the AWS CLI reads every page itself) and pass that file with --aws-data instead.",
			Reads: []string{fmt.Sprintf("aws connect list-users --region %s --instance-id %s --output json > users.json", q(region), q(inst))}}})
}

// rolePolicyCommands are the AWS CLI commands that read one role's trust
// and permission policies: get-role, its inline policies
// (list-role-policies, get-role-policy) and its managed ones
// (list-attached-role-policies, get-policy, get-policy-version). They need
// less permission than get-account-authorization-details and stay small in
// a large account; without the role's name, that is the command.
func rolePolicyCommands(roleArn string) []string {
	name := roleArn[strings.LastIndex(roleArn, "/")+1:]
	if roleArn == "" || name == "" {
		return []string{"aws iam get-account-authorization-details --filter Role LocalManagedPolicy AWSManagedPolicy > iam.json"}
	}
	return []string{
		fmt.Sprintf("aws iam get-role --role-name %s > role.json", q(name)),
		fmt.Sprintf("aws iam list-role-policies --role-name %s > role-policies.json", q(name)),
		fmt.Sprintf("aws iam get-role-policy --role-name %s --policy-name POLICY-NAME > role-policy-POLICY-NAME.json   # for each name list-role-policies gives", q(name)),
		fmt.Sprintf("aws iam list-attached-role-policies --role-name %s > attached-policies.json", q(name)),
		"aws iam get-policy --policy-arn POLICY-ARN > policy.json   # for each policy list-attached-role-policies gives",
		"aws iam get-policy-version --policy-arn POLICY-ARN --version-id DEFAULT-VERSION-ID > policy-version.json   # DefaultVersionId from get-policy",
	}
}

func quoteOr(s, def string) string {
	if s == "" {
		return def
	}
	return fmt.Sprintf("%q", s)
}

func (r *run) symptomWhere(ids []string) string {
	for _, s := range r.res.Symptoms {
		for _, id := range ids {
			if s.ID == id && len(s.Evidence) > 0 {
				return s.Evidence[0].Where
			}
		}
	}
	return ""
}

// verdict is one or two plain sentences for a contact-center admin.
func (r *run) verdict() string {
	who := "The agent"
	if r.subject != nil {
		switch {
		case r.subject.RoleSessionName != "":
			who = r.subject.RoleSessionName
		case r.subject.NameID != "":
			who = r.subject.NameID
		}
	}
	var top *Finding
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		if f.Severity == Error || (f.Severity == Warning && len(f.Explains) > 0) {
			top = f
			break
		}
	}
	if r.res.Outcome == "succeeded" && (top == nil || top.Severity != Error) {
		return who + " signed in to Amazon Connect; samldoctor found no error."
	}
	if r.res.Outcome == "succeeded" {
		return who + " signed in to Amazon Connect, but " + r.plain(top)
	}
	if r.res.Outcome == "no-saml" && top != nil {
		return top.Title + "."
	}
	if r.res.Outcome == "unknown" || r.res.Outcome == "no-saml" {
		for _, f := range r.res.Findings {
			if f.ID == "capture.value_truncated" {
				return f.Title + ": samldoctor judges nothing from part of a message. Copy the whole value, or give it the HAR."
			}
			if f.ID == "capture.truncated" {
				lead := f.Title + ", before the capture shows how the sign-in ended."
				if top != nil && top.ID != "capture.truncated" {
					return lead + " In what it holds: " + r.plain(top)
				}
				return lead + " samldoctor found no error in what it holds; capture the sign-in again, whole, to learn more."
			}
		}
	}
	if top == nil {
		if len(r.res.Symptoms) > 0 {
			sym := r.res.Symptoms[0]
			sym.Text = strings.TrimSuffix(sym.Text, ".")
			if el := r.elsewhere; el != nil && el.theirs != "" {
				settles := ", so it settles nothing"
				if !el.all {
					settles = ", so it was not used"
				}
				return fmt.Sprintf("%s could not sign in: the page said %q. %s given is %s %s, not %s the sign-in's %s%s; the first finding says what to run instead.", who, sym.Text, el.noun, el.prep, el.theirs, el.prep, el.ours, settles)
			}
			return fmt.Sprintf("%s could not sign in: the page said %q. The capture alone does not show why; the findings below say which AWS data would settle it.", who, sym.Text)
		}
		return "samldoctor found no error in the SAML message. The capture shows no error page either; capture the sign-in up to the error to learn more."
	}
	cause := r.plain(top)
	// The cause may start with the agent's name (a finding's title): say
	// the name once.
	if rest, ok := strings.CutPrefix(cause, who+" "); ok && who != "The agent" {
		cause = "the agent " + rest
	}
	if len(r.res.Symptoms) > 0 && r.res.Outcome == "failed" {
		return who + " could not sign in: " + cause
	}
	if who == "The agent" {
		who = "the agent"
	}
	return "The sign-in of " + who + " will fail: " + cause
}

// plain restates a finding for a contact-center admin.
func (r *run) plain(f *Finding) string {
	s := r.subject
	switch f.ID {
	case "connect.username_case_mismatch":
		other := ""
		for _, e := range f.Evidence {
			if strings.HasPrefix(e.What, "Connect user") {
				other, _, _ = strings.Cut(e.Value, " (")
			}
		}
		return fmt.Sprintf("Amazon Connect has no user with that exact name. It has %s, and user names are case sensitive.", other)
	case "connect.user_not_found":
		return fmt.Sprintf("Amazon Connect has no user named %s, the name the identity provider sent.", s.RoleSessionName)
	case "iam.federation_token_denied":
		if stmt, why, ok := strings.Cut(f.Title, " would allow connect:GetFederationToken for instance "); ok && strings.HasPrefix(stmt, "Statement ") {
			_, why, _ = strings.Cut(why, ", but ")
			return fmt.Sprintf("the role %s may not call connect:GetFederationToken, so Connect refuses the sign-in. %s of the role is meant to allow it, but %s: correct that statement.", roleName(s.RoleArn), stmt, why)
		}
		// The remedy is the first fix's, whatever it is (send the role
		// that works, or add the permission).
		remedy := "Add the permission to the role."
		if f.Fix != nil && f.Fix.Summary != "" {
			remedy = f.Fix.Summary
		}
		return fmt.Sprintf("the role %s may not call connect:GetFederationToken for Connect instance %s, so Connect refuses the sign-in. %s", roleName(s.RoleArn), s.InstanceID, remedy)
	case "connect.role_changed":
		return f.Title + ". Connect keeps a user bound to the role of their first sign-in."
	case "saml.expired", "saml.stale_issue_instant", "saml.not_yet_valid":
		return f.Title + " (at " + s.At.UTC().Format(time.RFC3339) + ")."
	}
	t := f.Title
	if len(t) > 1 && !(t[1] >= 'A' && t[1] <= 'Z') {
		t = strings.ToLower(t[:1]) + t[1:] // not an acronym (AWS, IAM)
	}
	return t + "."
}
