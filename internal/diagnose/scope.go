package diagnose

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// AWS evidence of another account or Connect instance than the sign-in's
// (the AWS CLI run with the wrong --profile, or for another instance) is
// set aside before anything is judged: a role of one account is never
// judged with a provider of another, nor a user list of one instance
// against a sign-in to another. The capture names the sign-in's account
// (the Role attribute's ARNs, a Global Resiliency URL) and instance (the
// RelayState, the Global Resiliency URL); each file of evidence names the
// accounts and instances of what it holds (ARNs, CloudTrail's
// recipientAccountId, list-users' user ARNs). A file that names accounts
// or instances, none of them the sign-in's, is from elsewhere.

// OtherAccountID is the finding that says the AWS data is from elsewhere.
const OtherAccountID = "aws.evidence_other_account"

// elsewhere is what was set aside.
type elsewhere struct {
	account, instance string
	// files are the files from elsewhere, in the order read.
	files []*foreignFile
	// families are the kinds of evidence (family names) given only for
	// elsewhere: what the sign-in still lacks, and must not be asked for
	// as if it had not been given.
	families map[string]bool
	// unattributed are files that name no account, beside files of
	// another account and none of the sign-in's, set aside with them.
	unattributed []evidence.Source
	// collections are the bundles and live collections (--aws) that
	// answered with another account's resources, and answers what they
	// found missing or were refused, set aside with them.
	collections, answers []string
	// theirs and ours name, once the finding is made, whose the data is
	// and whose the sign-in is ("account B, instance J").
	theirs, ours string
	// noun names the data ("The Connect data"); all says no data of the
	// sign-in's account and instance was given at all.
	noun, prep string
	all        bool
}

// dataNoun names the data given for elsewhere only: "The AWS data" when
// nothing was given for the sign-in, else by service ("The IAM data").
func (el *elsewhere) dataNoun() string {
	if el.all {
		return "The AWS data"
	}
	var svc []string
	for _, x := range []struct {
		name string
		fams []string
	}{
		{"Connect", []string{"instance", "users", "traffic"}},
		{"IAM", []string{"roles", "providers", "simulation"}},
		{"CloudTrail", []string{"events"}},
	} {
		for _, f := range x.fams {
			if el.families[f] {
				svc = append(svc, x.name)
				break
			}
		}
	}
	if len(svc) == 0 {
		return "The AWS data"
	}
	return "The " + strings.Join(svc, " and ") + " data"
}

// foreignFile is one file from elsewhere.
type foreignFile struct {
	src      evidence.Source
	accounts []string
	// instances are the Connect instances it names.
	instances []string
	// what says what it holds ("role arn:...").
	what []string
}

// names collects what one file names.
type names struct {
	accounts, instances map[string]bool
	what                []string
}

func (n *names) account(a string) {
	// AWS managed policies are in no account ("aws").
	if a != "" && a != "aws" {
		n.accounts[a] = true
	}
}

func (n *names) add(what string) {
	if len(n.what) < 3 && !slices.Contains(n.what, what) {
		n.what = append(n.what, what)
	}
}

func arnAccount(arn string) string {
	a, err := awsarn.Parse(arn)
	if err != nil {
		return ""
	}
	return a.Account
}

// scopeEvidence sets aside the evidence of other accounts and instances.
func (r *run) scopeEvidence() {
	if r.aws == nil || r.aws.Empty() {
		return
	}
	account := r.subject.Account
	instance := r.subject.InstanceID
	if r.instanceFromEvidence {
		instance = ""
	}
	if account == "" && instance == "" {
		return // nothing in the capture to compare with
	}
	files := map[string]*names{}
	var order []string
	at := func(src evidence.Source) *names {
		key := src.File
		if key == "" {
			key = src.Kind
		}
		n := files[key]
		if n == nil {
			n = &names{accounts: map[string]bool{}, instances: map[string]bool{}}
			files[key] = n
			order = append(order, key)
		}
		return n
	}
	srcOf := map[string]evidence.Source{}
	note := func(src evidence.Source) *names {
		key := src.File
		if key == "" {
			key = src.Kind
		}
		if _, ok := srcOf[key]; !ok {
			srcOf[key] = src
		}
		return at(src)
	}
	s := r.aws
	for _, in := range s.Instances {
		n := note(in.Source)
		n.account(in.Account())
		n.instances[in.ID] = true
		n.add("Connect instance " + in.ID + aliasOf(in))
	}
	for id, ul := range s.Users {
		for _, u := range ul.Users {
			n := note(u.Source)
			n.account(arnAccount(u.ARN))
			if id != "" {
				n.instances[id] = true
				n.add("users of instance " + id)
			}
		}
		for _, src := range ul.Sources {
			n := note(src)
			if id != "" {
				n.instances[id] = true
				n.add("users of instance " + id)
			}
		}
	}
	for _, ro := range s.Roles {
		n := note(ro.Source)
		n.account(arnAccount(ro.ARN))
		n.add("role " + ro.ARN)
	}
	for _, mp := range s.Policies {
		n := note(mp.Source)
		n.account(arnAccount(mp.ARN))
		if a := arnAccount(mp.ARN); a != "" && a != "aws" {
			n.add("policy " + mp.ARN)
		}
	}
	for _, p := range s.Providers {
		n := note(p.Source)
		n.account(arnAccount(p.ARN))
		n.add("SAML provider " + p.ARN)
	}
	if pl := s.ProviderList; pl != nil {
		n := note(pl.Source)
		for _, a := range pl.ARNs {
			n.account(arnAccount(a))
			n.add("SAML provider " + a)
		}
	}
	for _, e := range s.Events {
		n := note(e.File)
		acct := e.Account
		if acct == "" {
			for _, a := range []string{e.RoleARN, e.SessionIssuerARN, e.IdentityARN} {
				if acct = arnAccount(a); acct != "" {
					break
				}
			}
		}
		n.account(acct)
		if acct != "" {
			n.add("CloudTrail events of account " + acct)
		}
	}
	for _, l := range s.Unattributed.AttachedPolicies {
		// list-attached-role-policies names no role, but its customer
		// managed policies' ARNs name their account.
		for _, ap := range l.Policies {
			if a := arnAccount(ap.ARN); a != "" && a != "aws" {
				n := note(l.Source)
				n.account(a)
				n.add("policy " + ap.ARN)
			}
		}
	}
	for _, sim := range s.Simulations {
		n := note(sim.Source)
		n.account(arnAccount(sim.Resource))
		n.add("IAM's simulation for " + sim.Resource)
	}
	for _, g := range s.TrafficGroups {
		n := note(g.Source)
		n.account(arnAccount(g.InstanceARN))
		if a, err := awsarn.Parse(g.InstanceARN); err == nil {
			id := strings.TrimPrefix(a.Resource, "instance/")
			n.instances[id] = true
			n.add("traffic distribution group of instance " + id)
		}
	}
	foreign := map[string]bool{}
	inScope := map[string]bool{} // families given for the sign-in's account and instance
	el := &elsewhere{account: account, instance: instance, families: map[string]bool{}}
	for _, key := range order {
		n := files[key]
		otherAccount := account != "" && len(n.accounts) > 0 && !n.accounts[account]
		otherInstance := instance != "" && len(n.instances) > 0 && !n.instances[instance]
		fam := family(srcOf[key].Kind)
		if !otherAccount && !otherInstance {
			if len(n.accounts) > 0 || len(n.instances) > 0 {
				inScope[fam] = true
			}
			continue
		}
		foreign[key] = otherAccount || r.strictScope
		ff := &foreignFile{src: srcOf[key], accounts: sortedKeys(n.accounts), instances: sortedKeys(n.instances), what: n.what}
		el.files = append(el.files, ff)
		el.families[fam] = true
	}
	// A collection (a bundle, --aws: its sources are "NAME: service:Call")
	// that answered with another account's resources ran with that
	// account's credentials: all it answered is that account's, the
	// outputs that name no account and what it found missing or could not
	// read too.
	collections := map[string]bool{}
	for key, acct := range foreign {
		if c, _, ok := strings.Cut(key, ": "); ok && acct {
			collections[c] = true
		}
	}
	for _, key := range order {
		if _, done := foreign[key]; done {
			continue
		}
		if c, _, ok := strings.Cut(key, ": "); ok && collections[c] {
			foreign[key] = true
			el.files = append(el.files, &foreignFile{src: srcOf[key], what: []string{"names no account: set aside with the rest of what these credentials answered"}})
			el.families[family(srcOf[key].Kind)] = true
			delete(inScope, family(srcOf[key].Kind))
		}
	}
	for c := range collections {
		el.collections = append(el.collections, c)
	}
	sort.Strings(el.collections)
	for _, n := range s.NotFound {
		if collections[n.Source.File] {
			el.families[callFamily(n.Call)] = true
		}
	}
	for _, d := range s.Denied {
		if collections[d.Source.File] {
			el.families[callFamily(d.Call)] = true
		}
	}
	if len(foreign) == 0 {
		return
	}
	for fam := range inScope {
		delete(el.families, fam)
	}
	el.all = len(inScope) == 0
	r.aws = r.setAside(foreign, el)
	r.elsewhere = el
	if r.instanceFromEvidence && r.instance() == nil {
		// The one instance of the evidence was another account's.
		r.subject.InstanceID, r.subject.Region = "", ""
		r.instanceFromEvidence = false
	}
}

func aliasOf(in *evidence.Instance) string {
	if in.Alias != "" {
		return " (" + in.Alias + ")"
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// family is the kind of evidence an AWS CLI command's output gives, so
// that what was given for elsewhere is not asked for again as if it had
// not been: the role's policies are one family whether they came from
// get-account-authorization-details or get-role.
func family(kind string) string {
	f := strings.Fields(kind)
	if len(f) < 3 || f[0] != "aws" {
		return kind
	}
	switch strings.TrimSuffix(f[2], ",") {
	case "describe-instance", "list-instances":
		return "instance"
	case "list-users", "search-users", "describe-user":
		return "users"
	case "get-account-authorization-details", "get-role", "list-roles", "list-role-policies", "get-role-policy",
		"list-attached-role-policies", "get-policy", "get-policy-version":
		return "roles"
	case "list-saml-providers", "get-saml-provider":
		return "providers"
	case "lookup-events":
		return "events"
	case "simulate-principal-policy":
		return "simulation"
	case "list-traffic-distribution-groups", "list-traffic-distribution-group-users":
		return "traffic"
	}
	return kind
}

// callFamily is the family of evidence an AWS API call gives
// ("connect:DescribeInstance": instance).
func callFamily(call string) string {
	svc, op, _ := strings.Cut(call, ":")
	upper := func(i int) bool { return i >= 0 && i < len(op) && op[i] >= 'A' && op[i] <= 'Z' }
	var kebab []byte
	for i := 0; i < len(op); i++ {
		c := op[i]
		if upper(i) {
			// A word starts at an upper-case letter after a lower-case
			// one, or at the last letter of an acronym (SAMLProvider).
			if i > 0 && (!upper(i-1) || i+1 < len(op) && !upper(i+1)) {
				kebab = append(kebab, '-')
			}
			c += 'a' - 'A'
		}
		kebab = append(kebab, c)
	}
	return family("aws " + svc + " " + string(kebab))
}

// setAside is a copy of the evidence without the files of other accounts,
// nor the outputs that name no account read beside another account's
// files and none of the sign-in's (they are that account's as likely as
// the sign-in's). Of a file about another instance of the sign-in's
// account (foreign[file] false), the instances and user lists are kept:
// they are facts of the account (that instance exists, and is kept when
// a policy is corrected), looked up by instance ID, never the sign-in's;
// IAM's simulations and traffic distribution groups about that instance
// are set aside, as nothing but the instance tells them apart.
func (r *run) setAside(foreign map[string]bool, el *elsewhere) *evidence.Set {
	src := r.aws
	keyOf := func(s evidence.Source) string {
		if s.File == "" {
			return s.Kind
		}
		return s.File
	}
	out := func(s evidence.Source) bool { return foreign[keyOf(s)] }
	outAny := func(s evidence.Source) bool {
		_, ok := foreign[keyOf(s)]
		return ok
	}
	c := *src
	c.Instances = slices.DeleteFunc(slices.Clone(src.Instances), func(i *evidence.Instance) bool { return out(i.Source) })
	c.Users = map[string]*evidence.UserList{}
	for id, ul := range src.Users {
		keep := false
		for _, s := range ul.Sources {
			if !out(s) {
				keep = true
			}
		}
		if !keep && len(ul.Sources) > 0 {
			continue
		}
		c.Users[id] = ul
	}
	c.Roles = slices.DeleteFunc(slices.Clone(src.Roles), func(ro *evidence.Role) bool { return out(ro.Source) })
	c.Policies = map[string]*evidence.ManagedPolicy{}
	for arn, mp := range src.Policies {
		if !out(mp.Source) {
			c.Policies[arn] = mp
		}
	}
	c.Providers = slices.DeleteFunc(slices.Clone(src.Providers), func(p *evidence.SAMLProvider) bool { return out(p.Source) })
	if src.ProviderList != nil && out(src.ProviderList.Source) {
		c.ProviderList = nil
	}
	if src.RolesComplete != nil && out(*src.RolesComplete) {
		c.RolesComplete = nil
	}
	c.Events = slices.DeleteFunc(slices.Clone(src.Events), func(e *evidence.Event) bool { return out(e.File) })
	c.EventSources = slices.DeleteFunc(slices.Clone(src.EventSources), out)
	c.Simulations = slices.DeleteFunc(slices.Clone(src.Simulations), func(s *evidence.Simulation) bool { return outAny(s.Source) })
	c.TrafficGroups = slices.DeleteFunc(slices.Clone(src.TrafficGroups), func(g *evidence.TrafficGroup) bool { return outAny(g.Source) })
	// A collection (a bundle, --aws) that answered with another account's
	// resources ran with that account's credentials: what it found
	// missing or could not read is that account's too.
	collections := map[string]bool{}
	for _, c := range el.collections {
		collections[c] = true
	}
	if len(collections) > 0 {
		c.NotFound = slices.DeleteFunc(slices.Clone(src.NotFound), func(n evidence.NotFound) bool {
			if collections[n.Source.File] {
				el.answers = append(el.answers, n.Call+" on "+n.Resource+": "+n.Error)
				return true
			}
			return false
		})
		c.Denied = slices.DeleteFunc(slices.Clone(src.Denied), func(d evidence.Denied) bool {
			if collections[d.Source.File] {
				el.answers = append(el.answers, d.Call+": "+d.Error)
				return true
			}
			return false
		})
	}
	// Folders holding another account's files and none of the sign-in's.
	otherDirs, ownDirs := map[string]bool{}, map[string]bool{}
	for _, ff := range el.files {
		if len(ff.accounts) > 0 && ff.src.File != "" {
			otherDirs[filepath.Dir(ff.src.File)] = true
		}
	}
	for _, s := range src.Sources {
		if s.File != "" && !outAny(s) && r.namesOwnAccount(s, src) {
			ownDirs[filepath.Dir(s.File)] = true
		}
	}
	suspect := func(s evidence.Source) bool {
		d := filepath.Dir(s.File)
		if s.File != "" && otherDirs[d] && !ownDirs[d] {
			if !slices.Contains(el.unattributed, s) {
				el.unattributed = append(el.unattributed, s)
			}
			return true
		}
		return false
	}
	u := src.Unattributed
	c.Unattributed = evidence.Unattributed{
		AttachedPolicies: slices.DeleteFunc(slices.Clone(u.AttachedPolicies), func(l evidence.AttachedPolicyList) bool { return out(l.Source) || suspect(l.Source) }),
		InlineNames:      slices.DeleteFunc(slices.Clone(u.InlineNames), func(l evidence.InlineNameList) bool { return suspect(l.Source) }),
		PolicyVersions:   slices.DeleteFunc(slices.Clone(u.PolicyVersions), func(v evidence.PolicyVersion) bool { return suspect(v.Source) }),
		Providers:        slices.DeleteFunc(slices.Clone(u.Providers), func(p *evidence.SAMLProvider) bool { return suspect(p.Source) }),
	}
	return &c
}

// namesOwnAccount reports whether a file of the evidence names the
// sign-in's account (or its instance).
func (r *run) namesOwnAccount(s evidence.Source, set *evidence.Set) bool {
	acct := r.subject.Account
	same := func(arn string) bool { return acct != "" && arnAccount(arn) == acct }
	for _, ro := range set.Roles {
		if ro.Source == s && same(ro.ARN) {
			return true
		}
	}
	for _, in := range set.Instances {
		if in.Source == s && (same(in.ARN) || in.ID == r.subject.InstanceID) {
			return true
		}
	}
	for _, p := range set.Providers {
		if p.Source == s && same(p.ARN) {
			return true
		}
	}
	if pl := set.ProviderList; pl != nil && pl.Source == s {
		for _, a := range pl.ARNs {
			if same(a) {
				return true
			}
		}
	}
	for _, mp := range set.Policies {
		if mp.Source == s && same(mp.ARN) {
			return true
		}
	}
	for id, ul := range set.Users {
		if id == r.subject.InstanceID && slices.Contains(ul.Sources, s) {
			return true
		}
	}
	return false
}

// checkElsewhere says that evidence was set aside, when what it held is
// not also given for the sign-in's account and instance: which files,
// whose they are, and what to run, with which profile, instead.
func (r *run) checkElsewhere() {
	if f := r.elsewhereFinding(); f != nil {
		r.add(*f)
	}
}

// SetAsideElsewhere sets aside, for a judgement about the sign-in s (its
// Account, InstanceID, Region, RoleArn, ProviderArn, At), the AWS evidence
// of other accounts and instances, as a diagnosis does (samldoctor audit
// --capture). It returns the evidence kept (aws itself when nothing was
// set aside) and the finding that says what was, with what to run
// instead; nil when nothing was, or when what was is also given for s.
// where says where s comes from ("the capture FILE").
func SetAsideElsewhere(aws *evidence.Set, s signin.Subject, where string) (*evidence.Set, *Finding) {
	r := newRun(Input{AWS: aws})
	r.subject, r.res.Subject = &s, &s
	r.roleUsed, r.providerUsed = s.RoleArn, s.ProviderArn
	r.captureWhere = where
	// An audit judges every instance it is given: another instance's
	// users are set aside too, not kept as facts of the account.
	r.strictScope = true
	r.scopeEvidence()
	f := r.elsewhereFinding()
	if f != nil {
		fromCatalog(f)
	}
	return r.aws, f
}

// elsewhereFinding is aws.evidence_other_account, when evidence was set
// aside that the sign-in's own does not replace.
func (r *run) elsewhereFinding() *Finding {
	el := r.elsewhere
	if el == nil || len(el.families) == 0 {
		return nil
	}
	s := r.subject
	var files []*foreignFile
	otherAccounts, otherInstances := map[string]bool{}, map[string]bool{}
	for _, ff := range el.files {
		if !el.families[family(ff.src.Kind)] {
			continue
		}
		files = append(files, ff)
		for _, a := range ff.accounts {
			if a != el.account {
				otherAccounts[a] = true
			}
		}
		for _, id := range ff.instances {
			if id != el.instance {
				otherInstances[id] = true
			}
		}
	}
	accountWrong := el.account != "" && len(otherAccounts) > 0
	theirs := func() string {
		var p []string
		if accountWrong {
			p = append(p, "account "+strings.Join(sortedKeys(otherAccounts), " and "))
		}
		if el.instance != "" && len(otherInstances) > 0 {
			word := "instance "
			if len(otherInstances) > 1 {
				word = "instances "
			}
			p = append(p, word+strings.Join(sortedKeys(otherInstances), " and "))
		}
		return strings.Join(p, ", ")
	}()
	ours := func() string {
		var p []string
		if accountWrong {
			p = append(p, "account "+el.account)
		}
		if el.instance != "" && len(otherInstances) > 0 {
			p = append(p, "instance "+el.instance)
		}
		return strings.Join(p, ", ")
	}()
	el.theirs, el.ours = theirs, ours
	el.noun = el.dataNoun()
	el.prep = "from"
	if !accountWrong {
		el.prep = "for" // the account's own data, for another instance
	}
	title := fmt.Sprintf("%s is %s %s, but the sign-in is to %s: it was not judged against this sign-in", el.noun, el.prep, theirs, ours)
	var ev []Evidence
	if accountWrong {
		ev = append(ev, Evidence{What: "the sign-in's account", Value: el.account, Where: r.accountWhere()})
	}
	if el.instance != "" && len(otherInstances) > 0 {
		ev = append(ev, Evidence{What: "the sign-in's Connect instance", Value: el.instance + orEmptyParen(s.Region), Where: r.instanceWhere()})
	}
	for _, ff := range files {
		who := []string{}
		if len(ff.accounts) > 0 {
			who = append(who, "account "+strings.Join(ff.accounts, ", "))
		}
		if len(ff.instances) > 0 {
			who = append(who, "instance "+strings.Join(ff.instances, ", "))
		}
		what := "from " + strings.Join(who, ", ")
		if len(who) == 0 {
			what = "answered with the same credentials"
		}
		ev = append(ev, Evidence{What: what, Value: strings.Join(ff.what, "; "), Where: ff.src.String()})
	}
	for _, a := range el.answers {
		ev = append(ev, Evidence{What: "answered with the same credentials, set aside", Value: a, Where: strings.Join(el.collections, ", ")})
	}
	for _, u := range el.unattributed {
		ev = append(ev, Evidence{What: "names no account, beside another account's files: set aside with them", Value: "", Where: u.String()})
	}
	detail := "samldoctor compares each file's ARNs and IDs with the account and instance the capture's sign-in names, and judges nothing across them: a role, provider, policy or user list of one account or instance says nothing about another's."
	if accountWrong {
		detail += " The AWS CLI (or --aws) most likely ran with the credentials of another account: another --profile, AWS_PROFILE, or environment variables."
	} else {
		detail += " The account is the sign-in's, but the Connect outputs are for another instance: the --instance-id (or the Region) of the command was another one."
	}
	var cmds []string
	profile := ""
	if accountWrong {
		profile = " --profile PROFILE"
		cmds = append(cmds, fmt.Sprintf("aws sts get-caller-identity --profile PROFILE --query Account --output text   # must print %s", q(el.account)))
	}
	for _, fam := range []string{"instance", "users", "roles", "providers", "events", "simulation", "traffic"} {
		if el.families[fam] {
			for _, c := range r.familyCommands(fam) {
				cmds = append(cmds, withProfile(c, profile))
			}
		}
	}
	summary := "Run these for the sign-in's "
	if accountWrong {
		summary += fmt.Sprintf("account %s, with a profile whose credentials are that account's (replace PROFILE; the first command shows which account a profile is)", el.account)
	} else {
		summary += fmt.Sprintf("instance %s", el.instance)
	}
	summary += ", and pass their files with --aws-data instead of the ones above."
	if accountWrong && slices.Contains(el.collections, "AWS") {
		summary += fmt.Sprintf(" Or run samldoctor again with --aws --profile PROFILE (or AWS_PROFILE), a profile of account %s.", el.account)
	}
	return &Finding{ID: "aws.evidence_other_account", Severity: Warning, Title: title, Detail: detail, Evidence: ev, Explains: []string{},
		Fix: &Fix{Summary: summary, Reads: cmds,
			Check: &fix.Check{Result: fix.NotChecked, Why: "the sign-in's own AWS data is evidence to gather, not a change to the sign-in"}}}
}

// Files are the files of a finding made by SetAsideElsewhere (its
// evidence's places, the sign-in's own excepted).
func ElsewhereFiles(f *Finding) []string {
	var out []string
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.What, "from ") || strings.HasPrefix(e.What, "names no account") {
			out = append(out, e.Where)
		}
	}
	return out
}

func orEmptyParen(region string) string {
	if region == "" {
		return ""
	}
	return " (" + region + ")"
}

// accountWhere is where the capture names the sign-in's account.
func (r *run) accountWhere() string {
	if r.msg == nil {
		return r.captureWhere
	}
	if r.global != nil && r.global.AccountID == r.subject.Account {
		return "the Global Resiliency sign-in URL, " + placeWhere(r.post)
	}
	return "the Role attribute, " + r.where()
}

// instanceWhere is where the capture names the sign-in's instance.
func (r *run) instanceWhere() string {
	if r.msg == nil {
		return r.captureWhere
	}
	if r.msg != nil && r.msg.RelayState != "" {
		return "the RelayState, " + r.where()
	}
	if r.global != nil {
		return "the Global Resiliency sign-in URL, " + placeWhere(r.post)
	}
	return r.where()
}

// familyCommands are the read-only AWS CLI commands that give a family
// of evidence for the sign-in's account and instance.
func (r *run) familyCommands(fam string) []string {
	s := r.subject
	region := orX(s.Region, "REGION")
	inst := orX(s.InstanceID, "INSTANCE-ID")
	switch fam {
	case "instance":
		return []string{fmt.Sprintf("aws connect describe-instance --region %s --instance-id %s --output json > instance.json", q(region), q(inst))}
	case "users":
		return []string{fmt.Sprintf("aws connect list-users --region %s --instance-id %s --output json > users.json", q(region), q(inst))}
	case "roles":
		var out []string
		for _, c := range rolePolicyCommands(s.RoleArn) {
			out = append(out, withOutput(c))
		}
		return out
	case "providers":
		out := []string{"aws iam list-saml-providers --output json > saml-providers.json"}
		if s.ProviderArn != "" {
			out = append(out, fmt.Sprintf("aws iam get-saml-provider --saml-provider-arn %s --output json > saml-provider.json", q(s.ProviderArn)))
		}
		return out
	case "events":
		since := "START-DATE"
		if !s.At.IsZero() {
			since = s.At.AddDate(0, 0, -90).UTC().Format("2006-01-02")
		}
		signinRegion := "us-east-1"
		if si, ok := awsarn.ParseSignIn(s.PostedTo); ok {
			signinRegion = si.DefaultRegion
			if si.Region != "" {
				signinRegion = si.Region
			}
		}
		return []string{
			fmt.Sprintf("aws cloudtrail lookup-events --region %s --lookup-attributes AttributeKey=EventName,AttributeValue=GetFederationToken --start-time %s --output json > connect-events.json", q(region), q(since)),
			fmt.Sprintf("aws cloudtrail lookup-events --region %s --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRoleWithSAML --start-time %s --output json > sts-events.json", q(signinRegion), q(since)),
		}
	case "simulation":
		if s.RoleArn == "" {
			return nil
		}
		roleID := "ROLE-ID"
		if r.role != nil && r.role.ID != "" {
			roleID = r.role.ID
		}
		c := r.simulateCommand(roleID) + " --output json > simulate-principal-policy.json"
		if roleID == "ROLE-ID" {
			c += "   # ROLE-ID: the RoleId get-role gives"
		}
		return []string{c}
	case "traffic":
		return []string{fmt.Sprintf("aws connect list-traffic-distribution-groups --region %s --instance-id %s --output json > traffic-groups.json", q(region), q(inst))}
	}
	return nil
}

// withOutput adds --output json before a command's redirection (a
// profile's default output may be text or a table).
func withOutput(c string) string {
	if strings.Contains(c, "--output ") {
		return c
	}
	if i := strings.Index(c, " > "); i >= 0 {
		return c[:i] + " --output json" + c[i:]
	}
	return c
}

// withProfile adds --profile after "aws SERVICE COMMAND".
func withProfile(c, profile string) string {
	if profile == "" || !strings.HasPrefix(c, "aws ") || strings.Contains(c, "--profile ") {
		return c
	}
	f := strings.SplitN(c, " ", 4)
	if len(f) < 4 {
		return c + profile
	}
	return strings.Join(f[:3], " ") + profile + " " + f[3]
}

// AsksForEvidence reports whether a finding asks for evidence (the needs.*
// findings, the AWS data of another account): its fix changes nothing, so
// no check is said under it.
func AsksForEvidence(id string) bool {
	return strings.HasPrefix(id, "needs.") || id == OtherAccountID
}

// givenElsewhere reports whether an AWS CLI command asks for evidence
// that was given, but for another account or instance: the finding on it
// asks for it with the right values.
func (r *run) givenElsewhere(cmd string) bool {
	if r.elsewhere == nil {
		return false
	}
	f := strings.Fields(cmd)
	if len(f) < 3 {
		return false
	}
	return r.elsewhere.families[family(strings.Join(f[:3], " "))]
}
