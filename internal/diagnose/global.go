package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// Amazon Connect Global Resiliency (adminguide "integrate-idp"): the IdP
// posts to https://INSTANCE-ID.REGION.sign-in.connect.aws/saml?&instanceId=
// ...&accountId=...&role=ROLE-NAME&idp=PROVIDER-NAME&destination=..., with
// no RelayState; the Audience and Recipient are that URL, and the role's
// trust policy allows StringLike SAML:aud on it with a trailing *.

// checkGlobalAudience judges the audience of a Global Resiliency sign-in:
// the endpoint's URL.
func (r *run) checkGlobalAudience(auds []string, path string) {
	g := r.global
	for _, au := range auds {
		if strings.HasPrefix(au, g.Base) {
			return
		}
	}
	val := "none"
	if len(auds) > 0 {
		val = strings.Join(auds, ", ")
	}
	r.add(Finding{ID: "saml.audience_invalid", Severity: Error,
		Title:    fmt.Sprintf("The audience is %s, but a Global Resiliency sign-in's audience is its endpoint, %s", val, g.Base),
		Detail:   "With Amazon Connect Global Resiliency the IdP application's identifier (audience) and reply URL are the global sign-in endpoint of the source instance, not AWS's usual urn:amazon:webservices.",
		Evidence: []Evidence{{What: "Audience", Value: val, Where: r.at(path)}, {What: "posted to", Value: r.subject.PostedTo, Where: r.where()}},
		Explains: []string{"signin.audience_missing"},
		Fix:      r.newFix("Set the application's audience (identifier, entity ID) to "+r.subject.PostedTo+".", fix.SetAudience{Value: r.subject.PostedTo})})
}

// checkGlobal checks what the Global Resiliency URL names against the
// assertion: its role and idp must be the Role value's role and provider,
// its instanceId and accountId the instance and account of the host and
// the role.
func (r *run) checkGlobal() {
	g := r.global
	if g == nil || r.roleUsed == "" || r.providerUsed == "" {
		return
	}
	account := ""
	if a, err := awsarn.Parse(r.roleUsed); err == nil {
		account = a.Account
	}
	var wrong []string
	var ev []Evidence
	check := func(what, have, want string) {
		if have != want {
			wrong = append(wrong, fmt.Sprintf("%s is %q, not %q", what, have, want))
			ev = append(ev, Evidence{What: "URL " + what, Value: orX(have, "(none)"), Where: r.where()})
		}
	}
	check("role", g.RoleName, roleName(r.roleUsed))
	check("idp", g.ProviderName, awsarn.ProviderName(r.providerUsed))
	check("instanceId", g.QueryInstanceID, g.InstanceID)
	if account != "" {
		check("accountId", g.AccountID, account)
	}
	if len(wrong) == 0 {
		return
	}
	ev = append(ev, Evidence{What: "Role attribute", Value: r.roleUsed + "," + r.providerUsed, Where: r.attrWhere("https://aws.amazon.com/SAML/Attributes/Role")})
	want := awsarn.GlobalSignInURL(g.InstanceID, g.Region, orX(account, g.AccountID), roleName(r.roleUsed), awsarn.ProviderName(r.providerUsed), g.Destination)
	r.add(Finding{ID: "aws.global_resiliency_mismatch", Severity: Error,
		Title:    "The Global Resiliency sign-in URL does not name what the assertion carries: " + strings.Join(wrong, "; "),
		Detail:   "The global sign-in endpoint reads the role, the provider, the instance and the account from its query; they must be the Role attribute's role and provider (by name), the host's instance, and the role's account.",
		Evidence: ev,
		Explains: []string{"signin.invalid_saml_response", "signin.not_authorized_assume_role", "signin.role_not_in_assertion", "connect.not_onboarded"},
		Fix:      r.newFix("Set the application's reply URL (ACS) to "+want+".", fix.SetACS{Value: want})})
}

// globalAudEdit widens a trust statement's SAML:aud condition to the
// Global Resiliency endpoint as AWS documents it (StringLike BASE*),
// keeping every value it allows today: a StringLike condition gets the
// pattern; a StringEquals one becomes StringLike with its values (a
// value without wildcards matches the same) and the pattern.
func (r *run) globalAudEdit(st *iampolicy.Statement, op, key string, idx int) string {
	pattern := r.global.Base + "*"
	if strings.Contains(op, "StringLike") {
		st.Condition[op][key] = append(st.Condition[op][key], pattern)
		return fmt.Sprintf("add %s to statement %d's %s values (%s)", pattern, idx+1, key, op)
	}
	like := strings.Replace(op, "StringEquals", "StringLike", 1)
	old := st.Condition[op][key]
	if strings.Contains(strings.Join(old, ""), "*") || strings.Contains(op, "IgnoreCase") {
		// Values with * or a case-insensitive match would change
		// meaning under StringLike: add the exact URL instead.
		st.Condition[op][key] = append(st.Condition[op][key], r.subject.PostedTo)
		return fmt.Sprintf("add %s to statement %d's %s values (%s)", r.subject.PostedTo, idx+1, key, op)
	}
	delete(st.Condition[op], key)
	if len(st.Condition[op]) == 0 {
		delete(st.Condition, op)
	}
	if st.Condition[like] == nil {
		st.Condition[like] = map[string][]string{}
	}
	st.Condition[like][key] = append(slices.Clone(old), pattern)
	return fmt.Sprintf("change statement %d's %s condition from %s to %s, keeping its values (%s) and adding %s", idx+1, key, op, like, strings.Join(old, ", "), pattern)
}

// trafficGroupPlaceholder stands for the group when the evidence lists a
// group's users without saying which group (the AWS CLI's output).
const trafficGroupPlaceholder = "TRAFFIC-DISTRIBUTION-GROUP-ID"

// checkTrafficGroup checks, for a Global Resiliency sign-in, that the
// Connect user is in a traffic distribution group: an agent who is in none
// cannot sign in (ResourceNotFoundException). It needs the groups' users
// (list-traffic-distribution-group-users) and the user's ID (list-users).
func (r *run) checkTrafficGroup() {
	if r.global == nil || r.subject.RoleSessionName == "" {
		return
	}
	var read []*evidence.TrafficGroup
	for _, g := range r.aws.TrafficGroups {
		if g.UsersRead {
			read = append(read, g)
		}
	}
	ul := r.users()
	if len(read) == 0 || ul == nil {
		return
	}
	var u *evidence.User
	for _, x := range ul.Users {
		if x.Username == r.subject.RoleSessionName {
			u = x
		}
	}
	if u == nil {
		return // no such user: the user checks say so
	}
	var ev []Evidence
	for _, g := range read {
		if g.HasUser(u.ID, u.ARN) {
			return
		}
		ev = append(ev, Evidence{What: "traffic distribution group " + orX(g.Name, orX(g.ID, "(not named by the output)")), Value: fmt.Sprintf("%d users, not %s (%s)", len(g.Users), u.Username, u.ID), Where: g.Source.String()})
	}
	// The group to add the user to: the instance's default group when
	// known, else the only one read. A list of users that names no group
	// (the AWS CLI's output) is taken to be that group's.
	target := read[0]
	for _, g := range r.aws.TrafficGroups {
		if g.IsDefault {
			target = g
		}
	}
	if target.ID != "" {
		for _, g := range read {
			if g.ID == "" {
				ev = append(ev, Evidence{What: "assumed", Value: "the users listed in " + g.Source.File + " are those of group " + orX(target.Name, target.ID), Where: g.Source.String()})
			}
		}
	}
	id := orX(target.ID, trafficGroupPlaceholder)
	fx := r.newFix(fmt.Sprintf("Add the Connect user %q to the traffic distribution group %s.", u.Username, orX(target.Name, id)), fix.AddTrafficGroupUser{Value: id, User: u})
	if target.ID == "" {
		fx.After = append(fx.After, "Replace "+trafficGroupPlaceholder+" with the group's ID: aws connect list-traffic-distribution-groups --instance-id "+q(orX(r.subject.InstanceID, "INSTANCE-ID"))+" --region "+q(orX(r.subject.Region, "REGION"))+".")
	}
	r.add(Finding{ID: "connect.not_in_traffic_distribution_group", Severity: Error,
		Title:    fmt.Sprintf("The Connect user %q is in no traffic distribution group: a Global Resiliency sign-in fails for it", u.Username),
		Detail:   "With Amazon Connect Global Resiliency, agents must be associated with a traffic distribution group before they sign in; otherwise the sign-in fails (ResourceNotFoundException).",
		Evidence: append([]Evidence{{What: "Connect user", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}}, ev...),
		Explains: []string{"connect.not_onboarded", "connect.access_denied_admin", "connect.bad_request"},
		Fix:      fx})
}

// checkReplicas checks, for a Global Resiliency sign-in, that the Connect
// user exists in every replica of the instance ("Agents must be created
// already in both your source and replica instances and have the same
// username as the role session name ... Otherwise, you will receive a
// UserNotOnboardedException"). A replica has the instance's ID; a user is
// known in a Region from the ARNs of the outputs that listed it, and known
// absent where that Region's whole list was read or a search there found
// nothing.
func (r *run) checkReplicas() {
	if r.global == nil || r.subject.RoleSessionName == "" {
		return
	}
	var in *evidence.Instance
	for _, i := range r.aws.Instances {
		if i.ID == r.subject.InstanceID && len(i.ReplicaRegions) > 0 {
			in = i
		}
	}
	ul := r.users()
	if in == nil || ul == nil {
		return
	}
	rsn := r.subject.RoleSessionName
	var u *evidence.User
	for _, x := range ul.Users {
		if x.Username == rsn {
			u = x
		}
	}
	if u == nil {
		return
	}
	for _, region := range in.ReplicaRegions {
		if slices.Contains(u.Regions, region) {
			continue
		}
		how := ""
		switch {
		case ul.CompleteIn[region]:
			how = "the user list of " + region + " was read whole"
		case ul.SearchedIn[region][rsn]:
			how = "a search in " + region + " for " + rsn + " found nothing"
		default:
			continue // not known either way
		}
		r.add(Finding{ID: "connect.user_not_in_replica", Severity: Error,
			Title:  fmt.Sprintf("The Connect user %q exists in %s but not in the instance's replica in %s", rsn, orX(in.Region(), "the source Region"), region),
			Detail: "With Amazon Connect Global Resiliency, agents must exist in the source and in every replica instance, with the same user name as the RoleSessionName; otherwise Connect answers UserNotOnboardedException.",
			Evidence: []Evidence{{What: "replicas of instance " + in.ID, Value: strings.Join(in.ReplicaRegions, ", "), Where: in.Source.String()},
				{What: "Connect user", Value: fmt.Sprintf("%s (%s), listed in %s", u.Username, u.ID, strings.Join(u.Regions, ", ")), Where: u.Source.String()},
				{What: "absent from " + region, Value: how, Where: sourcesOf(ul)}},
			Explains: []string{"connect.not_onboarded"},
			Fix:      r.newFix(fmt.Sprintf("Create the Connect user %q in the replica in %s, with the same settings.", rsn, region), fix.CreateUser{UserName: rsn, User: u, Replica: region})})
	}
}
