package diagnose

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
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
		r.add(Finding{ID: "connect.instance_not_saml", Severity: Error,
			Title:    fmt.Sprintf("Instance %s manages identities as %s, not SAML", in.ID, in.IdentityManagementType),
			Evidence: []Evidence{{What: "IdentityManagementType", Value: in.IdentityManagementType, Where: in.Source.String()}},
			Explains: []string{"connect.not_onboarded", "connect.access_denied_admin"},
			Fix: &Fix{Summary: "Point the RelayState at an instance created with SAML identity management; an instance's identity management cannot be changed.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which SAML instance the agents should use is not in the evidence"}}})
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
		r.add(Finding{ID: "connect.duplicate_users", Severity: Warning,
			Title:    "The instance has user names that differ only by case: " + strings.Join(dups, ", "),
			Evidence: []Evidence{{What: "user names", Value: strings.Join(dups, ", "), Where: sourcesOf(ul)}},
			Fix:      &Fix{Summary: "Keep one user per agent (the one whose name equals the RoleSessionName the IdP sends) and delete the other after moving its settings."}})
	}
	searched := ul.SearchedFor[rsn]
	if ul.Complete || searched != "" || len(exact)+len(folded) > 0 {
		r.covered[catalog.StageUser] = true
	}
	if u := append(exact, folded...); len(u) > 0 {
		r.checkTwin(ul, u[0])
	}
	if len(exact) > 0 {
		if r.symptoms["connect.not_onboarded"] {
			r.add(Finding{ID: "connect.user_found", Severity: Info,
				Title:    fmt.Sprintf("A Connect user named exactly %q exists", rsn),
				Evidence: []Evidence{rsnEv, {What: "Connect user", Value: exact[0].Username + " (" + exact[0].ID + ")", Where: exact[0].Source.String()}}})
		}
		return
	}
	if len(folded) > 0 {
		u := folded[0]
		f := Finding{ID: "connect.username_case_mismatch", Severity: Error,
			Title:    fmt.Sprintf("The Connect user is %q but the IdP sent %q: user names are case-sensitive", u.Username, rsn),
			Evidence: []Evidence{rsnEv, {What: "Connect user differing only by case", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}},
			Explains: []string{"connect.not_onboarded"}}
		f.Fix = r.newFix(fmt.Sprintf("Make the IdP send %q exactly as RoleSessionName.", u.Username), r.setSessionName(u.Username))
		recreate := r.newFix(fmt.Sprintf("Only if the IdP cannot send %q: recreate the Connect user as %q (Connect cannot rename a user).", u.Username, rsn), fix.RecreateUser{User: u, UserName: rsn})
		f.Alternatives = []Fix{*recreate}
		r.add(f)
		return
	}
	if !ul.Complete && searched == "" {
		return // a partial list, or a search for another name, says nothing of absence
	}
	near := nearUsers(ul.Users, rsn)
	var ev []Evidence
	if ul.Complete {
		ev = []Evidence{rsnEv, {What: "users of instance " + r.subject.InstanceID, Value: fmt.Sprintf("the whole list, %d users, none named %q in any case", len(ul.Users), rsn), Where: sourcesOf(ul)}}
	} else {
		// How absence was established: a search finds only the cases it
		// asked for, and its index can lag behind a user just created.
		ev = []Evidence{rsnEv, {What: "search of instance " + r.subject.InstanceID, Value: searched + ": no user matched", Where: sourcesOf(ul)},
			{What: "how sure", Value: "a search, not the whole list: a name in another mix of case, or a user created in the last minutes, would not be found by it; samldoctor diagnose --aws --full-user-list (or aws connect list-users) reads every user", Where: sourcesOf(ul)}}
	}
	for _, n := range near {
		ev = append(ev, Evidence{What: "similar user name", Value: n.Username + " (" + n.ID + ")", Where: n.Source.String()})
	}
	f := Finding{ID: "connect.user_not_found", Severity: Error,
		Title:    fmt.Sprintf("Amazon Connect instance %s has no user named %q", r.subject.InstanceID, rsn),
		Evidence: ev, Explains: []string{"connect.not_onboarded"}}
	create := r.newFix(fmt.Sprintf("Create the Connect user %q (or fix the IdP's RoleSessionName if the agent has a user under another name).", rsn), fix.CreateUser{UserName: rsn})
	existing, existingWhy := r.existingUserOf()
	switch {
	case existing != "":
		// The person has a Connect user already (named as their NameID,
		// or as an earlier sign-in's RoleSessionName): creating another
		// would make two.
		f.Evidence = append(f.Evidence, existingWhy)
		f.Fix = r.newFix(fmt.Sprintf("The agent has a Connect user already, %q: make the IdP send that name as RoleSessionName.", existing), r.setSessionName(existing))
	case len(near) > 0:
		f.Fix = r.newFix(fmt.Sprintf("The agent's user seems to be %q: make the IdP send that name as RoleSessionName.", near[0].Username), r.setSessionName(near[0].Username))
		f.Alternatives = []Fix{*create}
	case !fix.ValidConnectUserName(rsn):
		// Connect refuses such a user name: the IdP must send another.
		if v, src := r.sessionNameCandidate(); v != "" {
			f.Evidence = append(f.Evidence, src)
			f.Fix = r.newFix(fmt.Sprintf("Make the IdP send %q as RoleSessionName; Connect cannot have a user named %q.", v, rsn), r.setSessionName(v))
		} else {
			f.Fix = &Fix{Summary: fmt.Sprintf("Connect cannot have a user named %q: map RoleSessionName to the attribute that holds the agent's Connect user name (the user principal name or e-mail).", rsn),
				IdPText: ("map RoleSessionName to the user principal name or e-mail."),
				Check:   &fix.Check{Result: fix.NotChecked, Why: "which value the IdP should send is not in the evidence: pass the Connect user list, or CloudTrail with the agent's earlier sign-ins"}}
		}
	default:
		f.Fix = create
	}
	r.add(f)
}

// setSessionName is the IdP change that makes RoleSessionName value: from
// what the IdP is seen to send (as it is, or with the case transformation
// that yields it) for every user of the application, or, when nothing it
// sends yields value, set on this agent's own profile.
func (r *run) setSessionName(value string) fix.Change {
	c := fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: value}
	if src, t, ok := fix.SessionNameSource(r.assert, value); ok {
		c.Source, c.Transform, c.Scope = src, t, fix.ScopeApplication
	} else {
		c.Scope = fix.ScopeAgent
	}
	return c
}

// existingUserOf is the Connect user the agent already has under another
// name than the RoleSessionName sent, when the evidence shows one: a user
// named as the NameID, or the RoleSessionName of the same person's earlier
// successful sign-in when that user is in the list.
func (r *run) existingUserOf() (string, Evidence) {
	ul := r.users()
	if ul == nil {
		return "", Evidence{}
	}
	v, ev := r.sessionNameCandidate()
	if v == "" || v == r.subject.RoleSessionName {
		return "", Evidence{}
	}
	for _, u := range ul.Users {
		if u.Username == v {
			return v, ev
		}
	}
	return "", Evidence{}
}

// sessionNameCandidate is the value the IdP should send as RoleSessionName
// when what it sends cannot work, and the evidence for it: a Connect user
// named as the NameID, the RoleSessionName of the same person's earlier
// sign-in in CloudTrail, a Connect user whose first and last name are what
// was sent, or else the NameID when it is a valid user name.
func (r *run) sessionNameCandidate() (string, Evidence) {
	nameID := r.subject.NameID
	if ul := r.users(); ul != nil {
		for _, u := range ul.Users {
			if nameID != "" && u.Username == nameID {
				return u.Username, Evidence{What: "Connect user named as the NameID", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}
			}
		}
	}
	if ul := r.users(); ul != nil && r.assert != nil {
		// A Connect user named as something else the IdP sends (an
		// attribute), exactly, then up to case (the NameID, an attribute).
		sent := []Evidence{}
		if nameID != "" {
			sent = append(sent, Evidence{What: "NameID", Value: nameID, Where: r.at(r.assert.Path + "/Subject/NameID")})
		}
		for _, at := range r.assert.Attributes {
			if len(at.Values) == 1 && at.Values[0] != "" && !strings.HasPrefix(at.Name, "https://aws.amazon.com/SAML/Attributes/") {
				sent = append(sent, Evidence{What: "attribute " + at.Name, Value: at.Values[0], Where: r.attrWhere(at.Name)})
			}
		}
		for _, fold := range []bool{false, true} {
			for _, sv := range sent {
				for _, u := range ul.Users {
					if u.Username == sv.Value && !fold || fold && strings.EqualFold(u.Username, sv.Value) && fix.IsASCII(sv.Value) {
						return u.Username, Evidence{What: "Connect user named as the IdP's " + sv.What, Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}
					}
				}
			}
		}
	}
	for _, e := range r.aws.Events {
		if e.Name == "AssumeRoleWithSAML" && e.ErrorCode == "" && nameID != "" && e.Username == nameID && e.RoleSessionName != "" && fix.ValidConnectUserName(e.RoleSessionName) {
			return e.RoleSessionName, Evidence{What: "RoleSessionName of an earlier sign-in by NameID " + nameID, Value: e.RoleSessionName + " (" + e.Time.UTC().Format(time.RFC3339) + ", event " + e.ID + ")", Where: e.File.String()}
		}
	}
	if ul := r.users(); ul != nil {
		for _, u := range ul.Users {
			if u.FirstName != "" && strings.EqualFold(strings.Join(strings.Fields(u.FirstName+" "+u.LastName), " "), strings.Join(strings.Fields(r.subject.RoleSessionName), " ")) {
				return u.Username, Evidence{What: "Connect user whose name is " + r.subject.RoleSessionName, Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()}
			}
		}
	}
	if ul := r.users(); ul != nil && ul.Complete {
		// The whole user list is known and no user is named as the
		// NameID: sending it would not be onboarded either.
		return "", Evidence{}
	}
	if nameID != "" && stsSessionRE.MatchString(nameID) && fix.ValidConnectUserName(nameID) {
		return nameID, Evidence{What: "NameID (a valid user name)", Value: nameID, Where: r.at(r.assert.Path + "/Subject/NameID")}
	}
	return "", Evidence{}
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
	n := NearKey(rsn)
	var out []*evidence.User
	for _, u := range users {
		if NearKey(u.Username) == n {
			out = append(out, u)
		}
	}
	return out
}

// NearKey is what tells two user names one person's written another way:
// lower case, without a DOMAIN\ prefix, spaces or an e-mail domain. The
// audit indexes Connect users by it to find the same near matches.
func NearKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, `\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.ReplaceAll(s, " ", "")
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	}
	return s
}

// checkBinding looks for an earlier sign-in of the same user under another
// role or provider, or a role recreated since (S7).
func (r *run) checkBinding() {
	rsn := r.subject.RoleSessionName
	if rsn == "" || len(r.aws.Events) == 0 && len(r.aws.EventSources) == 0 {
		return
	}
	r.covered[catalog.StageBinding] = true
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
		if r.roleUsed != "" && role != "" && !awsarn.SameRole(role, r.roleUsed) {
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
	f := Finding{ID: "connect.role_changed", Severity: Error, Title: title,
		Evidence: evs, Explains: []string{"connect.bad_request"}}
	var recreate *Fix
	if u := r.userNamed(rsn); u != nil {
		recreate = r.newFix("Delete and recreate the Connect user, which binds it to the role of its next sign-in.", fix.RecreateUser{User: u, UserName: rsn})
	} else {
		recreate = &Fix{Summary: fmt.Sprintf("Delete the Connect user %s and create it again (aws connect describe-user first, to keep its settings); it is bound to the role of its next sign-in.", rsn),
			DataLoss: "Deleting the user loses its history.",
			Check:    &fix.Check{Result: fix.NotChecked, Why: "the user is not in the AWS data (pass aws connect list-users output)", Breaks: []string{"deletes the Connect user " + rsn + " and its history"}}}
	}
	if how == "" && oldRole != "" && !awsarn.SameRole(oldRole, r.roleUsed) {
		// Send the role the user is bound to, with the provider of this
		// sign-in (or the one offered beside that role).
		pair := r.offeredPair(oldRole)
		changes := []fix.Change{fix.SendRoles{Roles: []string{pair}}}
		summary := fmt.Sprintf("Send the role %s, to which Connect bound %s, in the Role attribute again.", roleName(oldRole), rsn)
		if c, ok := r.trustChangeFor(oldRole); ok {
			changes = append(changes, c)
			summary = fmt.Sprintf("Send the role %s, to which Connect bound %s, again, and let it trust the provider now in use.", roleName(oldRole), rsn)
		}
		f.Fix = r.newFix(summary, changes...)
		f.Alternatives = []Fix{*recreate}
	} else {
		// A recreated role has a new ID: the old binding cannot be reused.
		f.Fix = recreate
	}
	r.add(f)
}

// offeredPair is the Role value for role: the pair the assertion offered
// with it when it did, else the role with this sign-in's provider.
func (r *run) offeredPair(role string) string {
	if r.awsView != nil {
		for _, ro := range r.awsView.Roles {
			if ro.RoleArn != "" && ro.ProviderArn != "" && awsarn.SameRole(ro.RoleArn, role) {
				return rolePair(ro.RoleArn, ro.ProviderArn)
			}
		}
	}
	return rolePair(r.fullRoleARN(role), r.providerUsed)
}

// fullRoleARN is the role's ARN as IAM has it (with its path), when the
// evidence knows the role; an assumed-role ARN has no path.
func (r *run) fullRoleARN(role string) string {
	for _, ro := range r.aws.Roles {
		if awsarn.SameRole(ro.ARN, role) {
			return ro.ARN
		}
	}
	return role
}

// trustChangeFor is the trust-policy change another role needs to trust
// this sign-in, when the evidence has its trust policy and it does not.
func (r *run) trustChangeFor(role string) (fix.Change, bool) {
	for _, ro := range r.aws.Roles {
		if !awsarn.SameRole(ro.ARN, role) || ro.Trust == nil {
			continue
		}
		denied, _, results := r.trustDecisions(ro.Trust, "trust policy of "+ro.Name)
		if len(denied) == 0 {
			return nil, false
		}
		saved := r.role
		r.role = ro
		doc, edit, ok := r.trustEdit(ro.Trust, results)
		r.role = saved
		if !ok {
			return nil, false
		}
		return fix.UpdateTrustPolicy{Role: ro.Name, Edit: edit, Document: doc}, true
	}
	return nil, false
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

// checkTwin notices one person with two Connect users: another user with
// the same first and last name, or the same e-mail, than the user the
// sign-in names (users differing only by case are connect.duplicate_users).
// An agent who signs in through two IdP applications, or whose IdP sends
// another name one day, lands on the other user: "not onboarded", or
// another agent's settings.
func (r *run) checkTwin(ul *evidence.UserList, u *evidence.User) {
	for _, v := range ul.Users {
		if v.ID == u.ID || strings.EqualFold(v.Username, u.Username) {
			continue
		}
		why := ""
		switch {
		case u.Email != "" && strings.EqualFold(u.Email, v.Email):
			why = "the same e-mail, " + u.Email
		case u.FirstName != "" && u.LastName != "" && strings.EqualFold(u.FirstName, v.FirstName) && strings.EqualFold(u.LastName, v.LastName):
			why = "the same first and last name, " + u.FirstName + " " + u.LastName
		default:
			continue
		}
		r.add(Finding{ID: "idp.multiple_profiles", Severity: Warning,
			Title: fmt.Sprintf("One person may have two Connect users: %q, which this sign-in names, and %q (%s)", u.Username, v.Username, why),
			Detail: "An agent with two Connect users (or two IdP assignments that send different names) signs in as whichever one the IdP application used sends: through the other, Connect finds the other user, or none. " +
				"Keep one user per person, and one RoleSessionName for that person in every IdP application.",
			Evidence: []Evidence{{What: "Connect user the sign-in names", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()},
				{What: "Connect user with " + why, Value: v.Username + " (" + v.ID + ")", Where: v.Source.String()}},
			Fix: &Fix{Summary: fmt.Sprintf("If %q is the same person, move what it holds (security profiles, routing profile, hierarchy) to %q and delete it; make every IdP application assigned to this agent send %q as RoleSessionName.", v.Username, u.Username, u.Username),
				Reads: []string{fmt.Sprintf("aws connect describe-user --instance-id %s --user-id %s --region %s", q(r.subject.InstanceID), q(v.ID), q(orX(r.subject.Region, "REGION")))},
				Check: &fix.Check{Result: fix.NotChecked, Why: "whether the two users are one person is for the administrator to say"}}})
		return
	}
}
