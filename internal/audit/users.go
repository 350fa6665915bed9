package audit

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// sessionNameRE is what STS accepts as RoleSessionName.
var sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// maxListed is how many affected names a finding's evidence quotes.
const maxListed = 10

// users compares the Connect users with each other and with the IdP's.
func (a *run) users() {
	for _, id := range sortedKeys(a.in.AWS.Users) {
		ul := a.in.AWS.Users[id]
		steps := []func(*run){func(r *run) { r.duplicates(ul) }, func(r *run) { r.twins(ul) }}
		if a.in.IdPUsers != nil {
			steps = append(steps, func(r *run) { r.matchIdP(ul) })
		}
		a.concurrently(steps...)
	}
}

func sortedKeys(m map[string]*evidence.UserList) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

// duplicates finds Connect users whose names differ only by case: the IdP
// sends one spelling, and the other user is never signed in to (or is the
// one signed in to by mistake).
func (a *run) duplicates(ul *evidence.UserList) {
	by := map[string][]*evidence.User{}
	for _, u := range ul.Users {
		k := strings.ToLower(u.Username)
		by[k] = append(by[k], u)
	}
	var aff []Affected
	var ev []diagnose.Evidence
	for _, k := range sortedUserKeys(by) {
		us := by[k]
		if len(us) < 2 {
			continue
		}
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
			aff = append(aff, Affected{Kind: "connect-user", Name: u.Username})
		}
		if len(ev) < maxListed {
			ev = append(ev, diagnose.Evidence{What: "user names", Value: strings.Join(names, " / "), Where: us[0].Source.String()})
		}
	}
	if len(aff) == 0 {
		return
	}
	a.add(Finding{ID: "connect.duplicate_users", Severity: diagnose.Warning,
		Title:    fmt.Sprintf("%d Connect users of instance %s have names that differ only by case from another's", len(aff), orX(ul.InstanceID, "(unnamed)")),
		Affected: aff, Evidence: ev,
		Fix: &diagnose.Fix{Summary: "Keep one user per agent, the one named exactly as the IdP's RoleSessionName, and delete the other after moving its settings.",
			Check: &fix.Check{Result: fix.NotChecked, Why: "which of the two is in use is in CloudTrail (GetFederationToken), not in the user list"}}})
}

func sortedUserKeys(m map[string][]*evidence.User) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

// matchIdP matches each IdP user's RoleSessionName to a Connect user.
// checkTransform checks a case transformation of the RoleSessionName claim
// the way the IdP would apply it, to every user of the application: each
// IdP user's name transformed is matched against the Connect users again.
// It passes when every user that matched only up to case then matches;
// users who sign in today and would no longer match are what it breaks.
func checkTransform(idp *IdPUsers, caseOnly []IdPUser, exact map[string]*evidence.User, transform func(string) string, how string) *fix.Check {
	var still, broken []string
	nbroken := 0
	for _, u := range caseOnly {
		if exact[transform(u.SessionName)] == nil {
			still = append(still, u.SessionName)
		}
	}
	for _, u := range idp.Users {
		if t := transform(u.SessionName); exact[u.SessionName] != nil && exact[t] == nil {
			nbroken++
			if len(broken) < maxListed {
				broken = append(broken, fmt.Sprintf("agent %s signs in today as %q (%s line %d); %s-cased it would be %q, which no Connect user is named", u.SessionName, u.SessionName, idp.File, u.Line, how, t))
			}
		}
	}
	if nbroken > len(broken) {
		broken = append(broken, fmt.Sprintf("and %d more agents", nbroken-len(broken)))
	}
	ck := &fix.Check{Result: fix.Passes, Why: fmt.Sprintf("every IdP user's name %s-cased and matched against the Connect users again: each of these agents then matches", how), Breaks: broken}
	if len(still) > 0 {
		ck.Result, ck.Why = fix.StillFails, fmt.Sprintf("%s-cased, %s still match no Connect user exactly", how, plural(len(still), "name", "names"))
	}
	return ck
}

func (a *run) matchIdP(ul *evidence.UserList) {
	idp := a.in.IdPUsers
	exact := make(map[string]*evidence.User, len(ul.Users))
	folded := make(map[string][]*evidence.User, len(ul.Users))
	for _, u := range ul.Users {
		exact[u.Username] = u
		folded[strings.ToLower(u.Username)] = append(folded[strings.ToLower(u.Username)], u)
	}
	where := func(u IdPUser) string { return fmt.Sprintf("%s line %d", idp.File, u.Line) }
	var invalid, caseOnly, missing []IdPUser
	var caseUsers []*evidence.User
	matched := make(map[string]bool, len(ul.Users))
	for _, u := range idp.Users {
		switch {
		case !sessionNameRE.MatchString(u.SessionName):
			invalid = append(invalid, u)
		case exact[u.SessionName] != nil:
			matched[u.SessionName] = true
		case len(folded[strings.ToLower(u.SessionName)]) > 0:
			cu := folded[strings.ToLower(u.SessionName)][0]
			caseOnly, caseUsers = append(caseOnly, u), append(caseUsers, cu)
			matched[cu.Username] = true
		default:
			missing = append(missing, u)
		}
	}
	agents := func(l []IdPUser) []Affected {
		out := make([]Affected, len(l))
		for i, u := range l {
			out[i] = Affected{Kind: "agent", Name: u.SessionName}
		}
		return out
	}
	if len(invalid) > 0 {
		var ev []diagnose.Evidence
		for _, u := range invalid[:min(len(invalid), maxListed)] {
			ev = append(ev, diagnose.Evidence{What: "RoleSessionName " + idp.Field, Value: u.SessionName, Where: where(u)})
		}
		a.add(Finding{ID: "aws.session_name_invalid", Severity: diagnose.Error,
			Title:    fmt.Sprintf("%s a %s STS refuses as RoleSessionName (2 to 64 of letters, digits and +=,.@_-)", plural(len(invalid), "IdP user has", "IdP users have"), idp.Field),
			Affected: agents(invalid), Evidence: ev,
			Fix: &diagnose.Fix{Summary: "Map RoleSessionName to an attribute that holds the Connect user name (the user principal name or e-mail) for these users.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which attribute holds their Connect user names is the IdP administrator's to say"}}})
	}
	if len(caseOnly) > 0 {
		var ev []diagnose.Evidence
		allLower, allUpper := true, true
		for i, u := range caseOnly {
			cu := caseUsers[i]
			if cu.Username != strings.ToLower(u.SessionName) {
				allLower = false
			}
			if cu.Username != strings.ToUpper(u.SessionName) {
				allUpper = false
			}
			if i < maxListed {
				ev = append(ev, diagnose.Evidence{What: "IdP sends " + u.SessionName, Value: "Connect user " + cu.Username + " (" + cu.ID + ")", Where: where(u) + "; " + cu.Source.String()})
			}
		}
		summary := "Make the IdP send each Connect user's name exactly (names are case-sensitive): map RoleSessionName to the attribute whose case matches, or recreate the Connect users under the names the IdP sends."
		check := &fix.Check{Result: fix.NotChecked, Why: "no one transformation makes these names; to check another attribute, audit again with --session-name-field set to its column"}
		switch {
		case allLower:
			summary = "Every one of these Connect users is the lower-case form of what the IdP sends: apply a lower-case transformation to the RoleSessionName claim (Entra ID ToLowercase(), Okta String.toLowerCase(user.login))."
			check = checkTransform(idp, caseOnly, exact, strings.ToLower, "lower")
		case allUpper:
			summary = "Every one of these Connect users is the upper-case form of what the IdP sends: apply an upper-case transformation to the RoleSessionName claim."
			check = checkTransform(idp, caseOnly, exact, strings.ToUpper, "upper")
		}
		a.add(Finding{ID: "connect.username_case_mismatch", Severity: diagnose.Error,
			Title:    fmt.Sprintf("%s RoleSessionName matches the Connect user only up to case: the sign-in fails (\"not onboarded\")", plural(len(caseOnly), "agent's", "agents'")),
			Affected: agents(caseOnly), Evidence: ev,
			Fix: &diagnose.Fix{Summary: summary, Check: check}})
	}
	if len(missing) > 0 && (ul.Complete || len(ul.CompleteIn) > 0) {
		a.noConnectUser(ul, missing, agents)
	}
	var orphans []Affected
	var oev []diagnose.Evidence
	for _, u := range ul.Users {
		if !matched[u.Username] {
			orphans = append(orphans, Affected{Kind: "connect-user", Name: u.Username})
			if len(oev) < maxListed {
				oev = append(oev, diagnose.Evidence{What: "Connect user", Value: u.Username + " (" + u.ID + ")", Where: u.Source.String()})
			}
		}
	}
	if len(orphans) > 0 {
		a.add(Finding{ID: "connect.user_without_idp_user", Severity: diagnose.Info,
			Title:    fmt.Sprintf("%s no IdP user's RoleSessionName (instance %s): no one can sign in as them", plural(len(orphans), "Connect user matches", "Connect users match"), orX(ul.InstanceID, "(unnamed)")),
			Affected: orphans, Evidence: oev,
			Fix: &diagnose.Fix{Summary: "Delete the users no one uses any more, or correct their names to the RoleSessionName their agent's IdP user sends.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "whether a user is still wanted (an admin, a new hire) is for the administrator to say"}}})
	}
}

// noConnectUser reports the IdP users no Connect user is named as. They
// are agents, and the finding an error, when the evidence says so: the
// export lists who is assigned to the Connect application, or CloudTrail
// shows their sign-in failing. Of a directory-wide export, the others may
// be anyone: a warning, which says so. Each lists the Connect users that
// are the same person written another way (another e-mail domain, a
// DOMAIN\ prefix), as diagnose does (diagnose.NearKey).
func (a *run) noConnectUser(ul *evidence.UserList, missing []IdPUser, agents func([]IdPUser) []Affected) {
	idp := a.in.IdPUsers
	near := map[string][]*evidence.User{}
	for _, u := range ul.Users {
		k := diagnose.NearKey(u.Username)
		near[k] = append(near[k], u)
	}
	failed := map[string]bool{}
	if t := a.in.Trail; t != nil {
		for _, g := range t.groups {
			for ag := range g.agents {
				failed[strings.ToLower(ag)] = true
			}
		}
	}
	// An assignment export without group assignments lists every agent:
	// a user it does not list is not one.
	asg := a.in.Assignments
	complete := asg != nil && asg.Groups == 0
	var sure, maybe []IdPUser
	for _, u := range missing {
		switch {
		case idp.Assigned || asg.assigned(u) || failed[strings.ToLower(u.SessionName)]:
			sure = append(sure, u)
		case !complete:
			maybe = append(maybe, u)
		}
	}
	scope := fmt.Sprintf("%s lists the directory's users (%d), not only the agents assigned to the Amazon Connect application", idp.File, len(idp.Users))
	if idp.Filter != "" {
		scope = fmt.Sprintf("%s, narrowed to %s (%d users), lists users who may not all be agents", idp.File, idp.Filter, len(idp.Users))
	}
	if asg != nil {
		scope += fmt.Sprintf("; %s assigns %d groups to the application, whose members it does not list", asg.File, asg.Groups)
	}
	for _, part := range []struct {
		users  []IdPUser
		sev    string
		detail string
		why    string
	}{
		{sure, diagnose.Error, "These users are agents (the export lists who is assigned to the Connect application, or CloudTrail shows their sign-ins failing): each needs a Connect user named exactly as their RoleSessionName.",
			"the Connect user is created from the name the IdP sends; audit again with the new list-users output"},
		{maybe, diagnose.Warning, scope + ": the ones who are agents need a Connect user named exactly as their RoleSessionName. An assignment export (Okta's Current Assignments report) says who is.",
			"which of these users are agents is not in the export"},
	} {
		if len(part.users) == 0 {
			continue
		}
		var ev []diagnose.Evidence
		for _, u := range part.users[:min(len(part.users), maxListed)] {
			ev = append(ev, diagnose.Evidence{What: "IdP user", Value: u.SessionName, Where: fmt.Sprintf("%s line %d", idp.File, u.Line)})
		}
		ev = append(ev, diagnose.Evidence{What: "Connect users of instance " + ul.InstanceID, Value: fmt.Sprintf("%d, none named as these in any case", len(ul.Users)), Where: sourcesOf(ul)})
		nnear := 0
		for _, u := range part.users {
			for _, cu := range near[diagnose.NearKey(u.SessionName)] {
				if nnear < maxListed {
					ev = append(ev, diagnose.Evidence{What: "similar Connect user of " + u.SessionName, Value: cu.Username + " (" + cu.ID + ")", Where: cu.Source.String()})
				}
				nnear++
			}
		}
		summary := "Create a Connect user for each agent among them, named exactly as their RoleSessionName, or export only the users assigned to the Amazon Connect application."
		if part.sev == diagnose.Error {
			summary = "Create a Connect user for each of these agents, named exactly as their RoleSessionName (diagnose one agent's capture for the create-user command with the settings to copy)."
		}
		if nnear > 0 {
			summary = "Where a similar Connect user is listed, make the IdP send that user's name (or correct the user's name); otherwise: " + strings.ToLower(summary[:1]) + summary[1:]
		}
		a.add(Finding{ID: "connect.user_not_found", Severity: part.sev,
			Title:    fmt.Sprintf("%s no Connect user: for an agent, the sign-in fails (\"not onboarded\")", plural(len(part.users), "IdP user has", "IdP users have")),
			Detail:   part.detail,
			Affected: agents(part.users), Evidence: ev,
			Fix: &diagnose.Fix{Summary: summary, Check: &fix.Check{Result: fix.NotChecked, Why: part.why}}})
	}
}

func sourcesOf(ul *evidence.UserList) string {
	var s []string
	for _, src := range ul.Sources {
		s = append(s, src.String())
	}
	return strings.Join(s, ", ")
}

// twins finds one person with two Connect users: the same e-mail, or the
// same first and last name (describe-user's IdentityInfo; for a user
// without it, ListUsers' and live audits', the IdP user whose
// RoleSessionName names it). Through one IdP profile the agent lands on
// one, through another on the other.
func (a *run) twins(ul *evidence.UserList) {
	// key is an e-mail (b empty) or a first and last name, lower-cased.
	type key struct{ kind, a, b string }
	var idp map[string]int
	if u := a.in.IdPUsers; u != nil {
		idp = make(map[string]int, len(u.Users))
		for i, x := range u.Users {
			idp[strings.ToLower(x.SessionName)] = i
		}
	}
	// person is what says who a user is, and where that was read.
	person := func(u *evidence.User) (first, last, email string, where string) {
		if u.Email != "" || u.FirstName != "" {
			return u.FirstName, u.LastName, u.Email, u.Source.String()
		}
		if i, ok := idp[strings.ToLower(u.Username)]; ok {
			x := a.in.IdPUsers.Users[i]
			return x.FirstName, x.LastName, x.Email, fmt.Sprintf("%s line %d", a.in.IdPUsers.File, x.Line)
		}
		return "", "", "", ""
	}
	// Most e-mails and names are one user's: a map of strings holds its
	// index, and only one met again gets a list.
	emails, names := make(map[string]int, len(ul.Users)), make(map[string]int, len(ul.Users))
	by := map[key][]*evidence.User{}
	note := func(seen map[string]int, s string, k key, i int) {
		if j, ok := seen[s]; !ok {
			seen[s] = i
		} else if by[k] == nil {
			by[k] = []*evidence.User{ul.Users[j], ul.Users[i]}
		} else {
			by[k] = append(by[k], ul.Users[i])
		}
	}
	for i, u := range ul.Users {
		f, l, e, _ := person(u)
		if e != "" {
			e = strings.ToLower(e)
			note(emails, e, key{"e-mail", e, ""}, i)
		}
		if f != "" && l != "" {
			f, l = strings.ToLower(f), strings.ToLower(l)
			note(names, f+"\x00"+l, key{"name", f, l}, i)
		}
	}
	label := func(k key) string {
		if k.kind == "name" {
			return k.a + " " + k.b
		}
		return k.a
	}
	seen := map[string]bool{}
	var aff []Affected
	var ev []diagnose.Evidence
	var keys []key
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].kind+label(keys[i]) < keys[j].kind+label(keys[j]) })
	for _, k := range keys {
		us := by[k]
		distinct := map[string]bool{}
		for _, u := range us {
			distinct[strings.ToLower(u.Username)] = true
		}
		if len(distinct) < 2 {
			continue // one user, or names differing only by case (duplicates)
		}
		sort.Slice(us, func(i, j int) bool { return us[i].Username < us[j].Username })
		var names []string
		for _, u := range us {
			names = append(names, u.Username)
			if !seen[u.ID] {
				seen[u.ID] = true
				aff = append(aff, Affected{Kind: "connect-user", Name: u.Username})
			}
		}
		if len(ev) < maxListed {
			var at []string
			for _, u := range us {
				if _, _, _, w := person(u); !slices.Contains(at, w) {
					at = append(at, w)
				}
			}
			ev = append(ev, diagnose.Evidence{What: "the same " + k.kind + ", " + label(k), Value: strings.Join(names, " / "), Where: strings.Join(at, "; ")})
		}
	}
	if len(aff) == 0 {
		return
	}
	a.add(Finding{ID: "idp.multiple_profiles", Severity: diagnose.Warning,
		Title:    fmt.Sprintf("%d Connect users of instance %s look like one person with two users (the same e-mail, or first and last name)", len(aff), orX(ul.InstanceID, "(unnamed)")),
		Detail:   "An agent with two Connect users signs in as whichever one the IdP profile used sends: through the other, Connect finds the other user, or none.",
		Affected: aff, Evidence: ev,
		Fix: &diagnose.Fix{Summary: "Keep one Connect user per person and one RoleSessionName for that person in every IdP application; move the other user's settings and delete it.",
			Check: &fix.Check{Result: fix.NotChecked, Why: "whether two users are one person is for the administrator to say"}}})
}
