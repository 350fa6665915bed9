package diagnose

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
)

// users returns what is known of the sign-in instance's users.
func (r *run) users() *evidence.UserList {
	if ul := r.aws.Users[r.subject.InstanceID]; ul != nil && r.subject.InstanceID != "" {
		return ul
	}
	// A list whose instance is not known (an empty list-users or
	// search-users output) is taken to be the sign-in's instance.
	if ul := r.aws.Users[""]; ul != nil {
		return ul
	}
	if r.subject.InstanceID == "" && len(r.aws.Users) == 1 {
		for _, ul := range r.aws.Users {
			return ul
		}
	}
	return nil
}

func (r *run) instance() *evidence.Instance {
	for _, in := range r.aws.Instances {
		if in.ID == r.subject.InstanceID {
			return in
		}
	}
	return nil
}

func sourcesOf(ul *evidence.UserList) string {
	var s []string
	for _, src := range ul.Sources {
		s = append(s, src.String())
	}
	return strings.Join(s, ", ")
}

// checkUser matches RoleSessionName to a Connect user (S6).
func (r *run) checkUser() {
	if in := r.instance(); in != nil && in.IdentityManagementType != "" && in.IdentityManagementType != "SAML" {
		r.add(Finding{ID: "connect.instance_not_saml", Severity: Error, Stage: StageUser,
			Title:    fmt.Sprintf("Instance %s manages identities as %s, not SAML", in.ID, in.IdentityManagementType),
			Detail:   "Only an instance created with SAML identity management accepts SAML federation, and the type cannot be changed after the instance is created.",
			Evidence: []Evidence{{What: "IdentityManagementType", Value: in.IdentityManagementType, Where: in.Source.String()}},
			Explains: []string{"connect.not_onboarded", "connect.access_denied_admin"},
			Fix:      &Fix{Summary: "Point the RelayState at an instance created with SAML identity management; an instance's identity management cannot be changed."}})
	}
	rsn := r.subject.RoleSessionName
	ul := r.users()
	if rsn == "" || ul == nil {
		return
	}
	var exact, folded []*evidence.User
	for _, u := range ul.Users {
		switch {
		case u.Username == rsn:
			exact = append(exact, u)
		case strings.EqualFold(u.Username, rsn):
			folded = append(folded, u)
		}
	}
	rsnEv := Evidence{What: "RoleSessionName", Value: rsn, Where: r.attrWhere("https://aws.amazon.com/SAML/Attributes/RoleSessionName")}
	if dups := caseDuplicates(ul.Users); len(dups) > 0 {
		r.add(Finding{ID: "connect.duplicate_users", Severity: Warning, Stage: StageUser,
			Title:    "The instance has user names that differ only by case: " + strings.Join(dups, ", "),
			Detail:   "Connect user names are case-sensitive, so these are different users; an agent can end up with two profiles.",
			Evidence: []Evidence{{What: "user names", Value: strings.Join(dups, ", "), Where: sourcesOf(ul)}},
			Fix:      &Fix{Summary: "Keep one user per agent (the one whose name equals the RoleSessionName the IdP sends) and delete the other after moving its settings."}})
	}
	if len(exact) > 0 {
		if r.symptoms["connect.not_onboarded"] {
			r.add(Finding{ID: "connect.user_found", Severity: Info, Stage: StageUser,
				Title:    fmt.Sprintf("A Connect user named exactly %q exists", rsn),
				Detail:   "The user name matches, so \"not onboarded\" comes from elsewhere: another instance than the RelayState's, or the user was created after the sign-in.",
				Evidence: []Evidence{rsnEv, {What: "Connect user", Value: exact[0].Username + " (" + exact[0].ID + ")", Where: exact[0].Source.String()}}})
		}
		return
	}
	if len(folded) > 0 {
		u := folded[0]
		f := Finding{ID: "connect.username_case_mismatch", Severity: Error, Stage: StageUser,
			Title:    fmt.Sprintf("The Connect user is %q but the IdP sent %q: user names are case-sensitive", u.Username, rsn),
			Detail:   "Amazon Connect matches RoleSessionName to the user name exactly, case included, even with SAML.",
			Evidence: []Evidence{rsnEv, {What: "Connect user differing only by case", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}},
			Explains: []string{"connect.not_onboarded"},
			Fix: &Fix{Summary: fmt.Sprintf("Make the IdP send %q exactly (best), or recreate the Connect user as %q.", u.Username, rsn),
				IdP:   idpFix(fmt.Sprintf("change the RoleSessionName claim so it yields %q: map it to the attribute that holds that exact value, or apply a case transformation (for example ToLowercase when every Connect user name is lower-case).", u.Username)),
				Steps: []string{"Connect cannot rename a user. If the IdP cannot send the exact name, recreate the user under the name the IdP sends with the commands given; this loses the old user's history."}}}
		f.Fix.Commands, f.Fix.DataLoss = r.recreateUser(u, rsn)
		r.add(f)
		return
	}
	if !ul.Complete && !ul.SearchedFor[rsn] {
		return // a partial list, or a search for another name, says nothing of absence
	}
	near := nearUsers(ul.Users, rsn)
	ev := []Evidence{rsnEv, {What: "users of instance " + r.subject.InstanceID, Value: fmt.Sprintf("%d users, none named %q in any case", len(ul.Users), rsn), Where: sourcesOf(ul)}}
	for _, n := range near {
		ev = append(ev, Evidence{What: "similar user name", Value: n.Username + " (" + n.ID + ")", Where: n.Source.String()})
	}
	f := Finding{ID: "connect.user_not_found", Severity: Error, Stage: StageUser,
		Title:    fmt.Sprintf("Amazon Connect instance %s has no user named %q", r.subject.InstanceID, rsn),
		Detail:   "Connect signs the agent in as the user whose name equals RoleSessionName; there is none.",
		Evidence: ev, Explains: []string{"connect.not_onboarded"}}
	if len(near) > 0 {
		f.Fix = &Fix{Summary: fmt.Sprintf("The agent's user seems to be %q: make the IdP send that name as RoleSessionName.", near[0].Username),
			IdP: idpFix(fmt.Sprintf("map RoleSessionName to the attribute that yields %q (for example the user principal name instead of the e-mail, or the reverse).", near[0].Username))}
	} else {
		f.Fix = &Fix{Summary: fmt.Sprintf("Create the Connect user %q (or fix the IdP's RoleSessionName if the agent has a user under another name).", rsn),
			Commands: []string{r.createUserCommand(nil, rsn)},
			Steps:    []string{"Replace the security profile and routing profile IDs with the agent's (aws connect list-security-profiles / list-routing-profiles --instance-id " + r.subject.InstanceID + ")."}}
	}
	r.add(f)
}

func caseDuplicates(users []*evidence.User) []string {
	by := map[string][]string{}
	for _, u := range users {
		k := strings.ToLower(u.Username)
		by[k] = append(by[k], u.Username)
	}
	var out []string
	for _, names := range by {
		if len(names) > 1 {
			out = append(out, strings.Join(names, " / "))
		}
	}
	sort.Strings(out)
	return out
}

// nearUsers finds user names that are the same person written another way:
// with or without a domain, a DOMAIN\ prefix, or spaces.
func nearUsers(users []*evidence.User, rsn string) []*evidence.User {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		if i := strings.LastIndex(s, `\`); i >= 0 {
			s = s[i+1:]
		}
		return strings.ReplaceAll(s, " ", "")
	}
	local := func(s string) string {
		if i := strings.IndexByte(s, '@'); i >= 0 {
			return s[:i]
		}
		return s
	}
	n := norm(rsn)
	var out []*evidence.User
	for _, u := range users {
		un := norm(u.Username)
		if un == n || local(un) == local(n) {
			out = append(out, u)
		}
	}
	return out
}

// recreateUser is the last-resort fix: delete the user and create it
// again under the name the IdP sends, keeping its current settings.
func (r *run) recreateUser(u *evidence.User, newName string) ([]string, string) {
	cmds := []string{}
	if !u.Detailed {
		cmds = append(cmds, fmt.Sprintf("aws connect describe-user --region %s --instance-id %s --user-id %s > user.json   # keep the user's settings first", r.subject.Region, r.subject.InstanceID, u.ID))
	}
	cmds = append(cmds,
		fmt.Sprintf("aws connect delete-user --region %s --instance-id %s --user-id %s", r.subject.Region, r.subject.InstanceID, u.ID),
		r.createUserCommand(u, newName))
	return cmds, fmt.Sprintf("Deleting user %s loses its history (contact records keep the old user ID, metrics and settings not copied). Prefer changing the IdP.", u.Username)
}

// createUserCommand writes aws connect create-user with the user's current
// settings when known, else placeholders to fill in.
func (r *run) createUserCommand(u *evidence.User, name string) string {
	first, last := "FIRST-NAME", "LAST-NAME"
	phone := "PhoneType=SOFT_PHONE,AutoAccept=false,AfterContactWorkTimeLimit=0"
	sps, rp := "SECURITY-PROFILE-ID", "ROUTING-PROFILE-ID"
	hier := ""
	if u != nil {
		if u.FirstName != "" {
			first = u.FirstName
		}
		if u.LastName != "" {
			last = u.LastName
		}
		if u.Detailed {
			if len(u.PhoneConfig) > 0 {
				var parts []string
				for _, k := range slices.Sorted(maps.Keys(u.PhoneConfig)) {
					if v := u.PhoneConfig[k]; v != nil {
						parts = append(parts, fmt.Sprintf("%s=%v", k, v))
					}
				}
				phone = strings.Join(parts, ",")
			}
			if len(u.SecurityProfileIDs) > 0 {
				sps = strings.Join(u.SecurityProfileIDs, " ")
			}
			if u.RoutingProfileID != "" {
				rp = u.RoutingProfileID
			}
			if u.HierarchyGroupID != "" {
				hier = " --hierarchy-group-id " + u.HierarchyGroupID
			}
		}
	}
	return fmt.Sprintf("aws connect create-user --region %s --instance-id %s --username %s --identity-info %s --phone-config %s --security-profile-ids %s --routing-profile-id %s%s",
		orX(r.subject.Region, "REGION"), orX(r.subject.InstanceID, "INSTANCE-ID"), shellQuote(name),
		shellQuote("FirstName="+first+",LastName="+last), phone, sps, rp, hier)
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, " '\"$`\\!*?&;|<>()") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// checkBinding looks for an earlier sign-in of the same user under another
// role or provider, or a role recreated since (S7).
func (r *run) checkBinding() {
	rsn := r.subject.RoleSessionName
	if rsn == "" || len(r.aws.Events) == 0 {
		return
	}
	var earlier []*evidence.Event
	var stsOther []*evidence.Event
	for _, e := range r.aws.Events {
		switch {
		case e.Name == "GetFederationToken" && e.ErrorCode == "":
			if sessionOf(e.IdentityARN) != rsn || (e.InstanceID != "" && r.subject.InstanceID != "" && e.InstanceID != r.subject.InstanceID) {
				continue
			}
			earlier = append(earlier, e)
		case e.Name == "AssumeRoleWithSAML" && e.ErrorCode == "":
			if e.RoleSessionName == rsn && e.RoleARN != "" && r.roleUsed != "" && e.RoleARN != r.roleUsed {
				stsOther = append(stsOther, e)
			}
		}
	}
	sort.Slice(earlier, func(i, j int) bool { return earlier[i].Time.Before(earlier[j].Time) })
	for _, e := range earlier {
		role := e.SessionIssuerARN
		if role == "" {
			role = roleOfSession(e.IdentityARN)
		}
		if r.roleUsed != "" && role != "" && !sameRole(role, r.roleUsed) {
			r.roleChanged(e, role, "")
			return
		}
		if r.role != nil && r.role.ID != "" && e.PrincipalID != "" && !strings.HasPrefix(e.PrincipalID, r.role.ID+":") {
			oldID, _, _ := strings.Cut(e.PrincipalID, ":")
			r.roleChanged(e, role, oldID)
			return
		}
	}
	if len(earlier) > 0 && r.role != nil && !r.role.CreateDate.IsZero() && r.role.CreateDate.After(earlier[0].Time) {
		r.roleChanged(earlier[0], r.roleUsed, "recreated")
		return
	}
	if len(stsOther) > 0 && r.symptoms["connect.bad_request"] {
		e := stsOther[len(stsOther)-1]
		r.roleChanged(e, e.RoleARN, "")
	}
}

// sessionOf is the session name in an assumed-role ARN
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION).
func sessionOf(arn string) string {
	if !strings.Contains(arn, ":assumed-role/") {
		return ""
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

func roleOfSession(arn string) string {
	i := strings.Index(arn, ":assumed-role/")
	if i < 0 {
		return ""
	}
	parts := strings.Split(arn[i+len(":assumed-role/"):], "/")
	if len(parts) < 2 {
		return ""
	}
	acct := strings.Split(arn, ":")
	if len(acct) < 5 {
		return ""
	}
	return "arn:" + acct[1] + ":iam::" + acct[4] + ":role/" + parts[0]
}

// sameRole compares role ARNs; an assumed-role ARN has no path, so role
// names are compared when one side lacks it.
func sameRole(a, b string) bool {
	if a == b {
		return true
	}
	name := func(s string) string { return s[strings.LastIndex(s, "/")+1:] }
	acct := func(s string) string { return strings.Split(s, ":")[4] }
	return name(a) == name(b) && len(strings.Split(a, ":")) > 4 && len(strings.Split(b, ":")) > 4 && acct(a) == acct(b)
}

func (r *run) roleChanged(e *evidence.Event, oldRole, how string) {
	rsn := r.subject.RoleSessionName
	evs := []Evidence{
		{What: "earlier " + e.Name + " by " + rsn, Value: fmt.Sprintf("%s as %s (event %s)", e.Time.UTC().Format(time.RFC3339), orX(oldRole, e.IdentityARN), e.ID), Where: e.File.String()},
		{What: "role of this sign-in", Value: r.roleUsed, Where: r.attrWhere("https://aws.amazon.com/SAML/Attributes/Role")},
	}
	title := fmt.Sprintf("%s signed in to Connect before as role %s; this time the role is %s", rsn, roleName(oldRole), roleName(r.roleUsed))
	switch {
	case how == "recreated":
		title = fmt.Sprintf("Role %s was deleted and created again after %s's first sign-in, so it has a new role ID", roleName(r.roleUsed), rsn)
		evs = append(evs, Evidence{What: "role created", Value: r.role.CreateDate.UTC().Format(time.RFC3339), Where: r.role.Source.String()})
	case how != "":
		title = fmt.Sprintf("%s signed in before with role ID %s; role %s now has ID %s (it was recreated)", rsn, how, roleName(r.roleUsed), r.role.ID)
		evs = append(evs, Evidence{What: "current role ID", Value: r.role.ID, Where: r.role.Source.String()})
	}
	f := Finding{ID: "connect.role_changed", Severity: Error, Stage: StageBinding, Title: title,
		Detail:   "Amazon Connect keeps a user bound to the role of their first federated sign-in; signing in with another role (or a recreated one) gives \"Bad Request\".",
		Evidence: evs, Explains: []string{"connect.bad_request"}}
	fix := &Fix{Summary: fmt.Sprintf("Reuse the role %s: make it trust the identity provider now in use and send it in the Role attribute again.", roleName(oldRole))}
	if how == "" && oldRole != "" && !sameRole(oldRole, r.roleUsed) {
		fix.PolicyFile = "trust-policy.json"
		fix.Policy = r.trustPolicyDoc()
		fix.Commands = []string{fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json", roleName(oldRole))}
		fix.IdP = idpFix(fmt.Sprintf("send %s,%s as the Role value.", oldRole, r.providerUsed))
	}
	if u := r.userNamed(rsn); u != nil {
		cmds, loss := r.recreateUser(u, rsn)
		fix.Steps = append(fix.Steps, "Only if the old role cannot be reused: delete and recreate the Connect user, which binds it to the new role at its next sign-in: "+strings.Join(cmds, " && "))
		fix.DataLoss = loss
	} else {
		fix.Steps = append(fix.Steps, fmt.Sprintf("Only if the old role cannot be reused: delete the Connect user %s and create it again (aws connect describe-user first, to keep its settings); this loses the user's data.", rsn))
	}
	f.Fix = fix
	r.add(f)
}

func roleName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func (r *run) userNamed(name string) *evidence.User {
	if ul := r.users(); ul != nil {
		for _, u := range ul.Users {
			if u.Username == name {
				return u
			}
		}
	}
	return nil
}
