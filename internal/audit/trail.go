package audit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// Trail is what the CloudTrail records say of sign-ins, aggregated as they
// are read (one Trail per reading worker, merged): failures grouped by
// event, error and role, with the agents and the first and last time; and
// for each agent, the role Connect bound it to and the role it last
// signed in with. Its size grows with the agents, not the records.
type Trail struct {
	Files   int
	Records int64
	Since   time.Time
	groups  map[failKey]*failGroup
	agents  map[string]agentUses
	// fed are the roles GetFederationToken was called with (passed or
	// failed), each with the first file that shows it: Connect roles.
	fed map[string]evidence.Source
	// roles and files are what uses point to.
	roles numbering[string]
	files numbering[evidence.Source]
}

type failKey struct{ event, code, role string }

type failGroup struct {
	failKey
	message     string
	count       int
	first, last time.Time
	agents      map[string]bool
	where       evidence.Source
	eventID     string // of the first record seen
}

// agentUses is what one agent's sign-ins say: the role Connect bound it to
// (its first GetFederationToken), the role it last signed in with (its
// last AssumeRoleWithSAML or GetFederationToken that passed), and the role
// of its last GetFederationToken (its last sign-in to Connect, when the
// last sign-in was to the console with another role). It is small and held in the map
// itself: the map is looked up once per record, and at a million records
// its memory latency is what an aggregate costs.
type agentUses struct {
	bound, latest, fed use
}

// use is one record's role, time and file.
type use struct {
	at         int64 // Unix milliseconds
	role, file int32 // Trail.roles[role-1], Trail.files[file-1]; 0 for none
}

func (u use) set() bool { return u.role != 0 }

// NewTrail is an empty aggregate.
func NewTrail() *Trail {
	return &Trail{groups: map[failKey]*failGroup{}, agents: map[string]agentUses{}, fed: map[string]evidence.Source{}}
}

// Add takes one record (STS AssumeRoleWithSAML or Connect
// GetFederationToken). The agent is the session the record's call was
// made as: AssumeRoleWithSAML's requestParameters.roleSessionName, and
// for GetFederationToken the session of userIdentity.arn
// (assumed-role/ROLE/SESSION), which is what Connect looks the user up by,
// as diagnose does. When a record disagrees with itself (lookup-events'
// Username naming another person than that session), the session is
// trusted; Username only names the agent of a record without one.
func (t *Trail) Add(e *evidence.Event) {
	agent, role := e.RoleSessionName, e.RoleARN
	if e.Name == "GetFederationToken" {
		agent, role = sessionOf(e.IdentityARN), e.SessionIssuerARN
	}
	if agent == "" {
		agent = e.Username
	}
	t.federated(e.Name, role, e.File)
	if e.ErrorCode != "" {
		k := failKey{e.Name, e.ErrorCode, role}
		g := t.groups[k]
		if g == nil {
			g = &failGroup{failKey: k, message: e.ErrorMsg, agents: map[string]bool{}, first: e.Time, where: e.File, eventID: e.ID}
			t.groups[k] = g
		}
		g.count++
		if e.Time.Before(g.first) {
			g.first = e.Time
		}
		if e.Time.After(g.last) {
			g.last = e.Time
		}
		if agent != "" {
			g.agents[agent] = true
		}
		return
	}
	if agent == "" || role == "" {
		return
	}
	t.note(agent, e.Name, t.use(role, e.Time, e.File))
}

// federated notes a role GetFederationToken was called with: a Connect
// role.
func (t *Trail) federated(event, role string, where evidence.Source) {
	if event != "GetFederationToken" || role == "" {
		return
	}
	if _, ok := t.fed[role]; !ok {
		t.fed[role] = where
	}
}

// use makes a use, its role and file numbered.
func (t *Trail) use(role string, at time.Time, file evidence.Source) use {
	return use{at: at.UnixMilli(), role: t.roles.of(role), file: t.files.of(file)}
}

func (t *Trail) role(u use) string          { return t.roles.at(u.role) }
func (t *Trail) file(u use) evidence.Source { return t.files.at(u.file) }
func (t *Trail) time(u use) time.Time       { return time.UnixMilli(u.at).UTC() }

// numbering numbers values from 1 in the order they are met.
type numbering[T comparable] struct {
	list []T
	num  map[T]int32
}

// of is v's number, given when new. A record's role and file are most
// often the last ones met.
func (n *numbering[T]) of(v T) int32 {
	if k := len(n.list); k > 0 && n.list[k-1] == v {
		return int32(k)
	}
	if i, ok := n.num[v]; ok {
		return i
	}
	if n.num == nil {
		n.num = map[T]int32{}
	}
	n.list = append(n.list, v)
	n.num[v] = int32(len(n.list))
	return int32(len(n.list))
}

func (n *numbering[T]) at(i int32) T { return n.list[i-1] }

// note keeps u as the agent's binding when it is its earliest
// GetFederationToken, and as its latest sign-in when it is its last
// AssumeRoleWithSAML or GetFederationToken (a federation with another
// role than the bound one is a sign-in with that role too).
func (t *Trail) note(agent, event string, u use) {
	a, ok := t.agents[agent]
	changed := !ok
	if event == "GetFederationToken" && (!a.bound.set() || u.at < a.bound.at) {
		a.bound, changed = u, true
	}
	if (event == "AssumeRoleWithSAML" || event == "GetFederationToken") && (!a.latest.set() || u.at > a.latest.at) {
		a.latest, changed = u, true
	}
	if event == "GetFederationToken" && (!a.fed.set() || u.at > a.fed.at) {
		a.fed, changed = u, true
	}
	if changed {
		t.agents[agent] = a
	}
}

// Merge adds another worker's aggregate.
func (t *Trail) Merge(o *Trail) {
	for k, g := range o.groups {
		h := t.groups[k]
		if h == nil {
			t.groups[k] = g
			continue
		}
		h.count += g.count
		if g.first.Before(h.first) {
			h.first = g.first
		}
		if g.last.After(h.last) {
			h.last = g.last
		}
		for a := range g.agents {
			h.agents[a] = true
		}
	}
	// o's roles and files, numbered in t.
	roles, files := make([]int32, len(o.roles.list)+1), make([]int32, len(o.files.list)+1)
	for i, r := range o.roles.list {
		roles[i+1] = t.roles.of(r)
	}
	for i, f := range o.files.list {
		files[i+1] = t.files.of(f)
	}
	renumber := func(u use) use { return use{at: u.at, role: roles[u.role], file: files[u.file]} }
	for role, src := range o.fed {
		if _, ok := t.fed[role]; !ok {
			t.fed[role] = src
		}
	}
	for name, u := range o.agents {
		if u.bound.set() {
			t.note(name, "GetFederationToken", renumber(u.bound))
		}
		if u.fed.set() {
			t.note(name, "GetFederationToken", renumber(u.fed))
		}
		if u.latest.set() {
			t.note(name, "AssumeRoleWithSAML", renumber(u.latest))
		}
	}
}

// sessionOf is the session name of an assumed-role ARN.
func sessionOf(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 && strings.Contains(arn, ":assumed-role/") {
		return arn[i+1:]
	}
	return ""
}

// A failure rule: the cause a CloudTrail error means, what it means and
// what to change. code and message are matched as AWS writes them (the
// message in lower case, by substring); an empty one matches any.
type failRule struct {
	event, code, message string
	ID, means, fix       string
	// severity is diagnose.Error unless said (a replayed assertion is
	// a retried page, not a broken set-up).
	severity string
}

// failRules are the errors AWS documents for the two calls, with the
// messages CloudTrail records for them: STS AssumeRoleWithSAML's Errors
// (ExpiredToken, IDPRejectedClaim, InvalidIdentityToken,
// MalformedPolicyDocument, PackedPolicyTooLarge, RegionDisabledException;
// and AccessDenied, AuthSamlAssertionReplayedException as CloudTrail
// writes them) and Connect GetFederationToken's (AccessDeniedException,
// DuplicateResourceException, InternalServiceException,
// InvalidParameterException, InvalidRequestException,
// ResourceNotFoundException, UserNotFoundException). The first that
// matches is the cause: messages first, then the codes alone.
var failRules = []failRule{
	// AssumeRoleWithSAML, by the message STS gives.
	{event: "AssumeRoleWithSAML", message: "not authorized to perform sts:", ID: "iam.trust_policy_denies",
		means: "the role's trust policy does not allow this sign-in (sts:AssumeRoleWithSAML, or sts:TagSession / sts:SetSourceIdentity when the IdP sends tags or a source identity), or the role does not exist",
		fix:   "Correct the role's trust policy (audit it with --aws-data iam.json, or diagnose one sign-in's capture for the exact statement)"},
	{event: "AssumeRoleWithSAML", message: "issuer not present in specified provider", ID: "iam.issuer_mismatch",
		means: "the assertion's issuer is not the provider's entity ID (another IdP application's metadata was uploaded)",
		fix:   "Upload the metadata of the IdP application agents sign in through to the provider (diagnose one failed sign-in's capture for the command)"},
	{event: "AssumeRoleWithSAML", message: "response signature invalid", ID: "iam.cert_not_in_provider",
		means: "the assertion is signed with a certificate the provider does not hold (an IdP certificate rollover)",
		fix:   "Upload the IdP's current metadata to the provider (audit with --idp-metadata, or diagnose one failed sign-in's capture, for the command)"},
	{event: "AssumeRoleWithSAML", message: "rolesessionname is required", ID: "aws.session_name_missing",
		means: "the IdP sends no RoleSessionName attribute",
		fix:   "Add the https://aws.amazon.com/SAML/Attributes/RoleSessionName claim at the IdP, holding the Connect user name"},
	{event: "AssumeRoleWithSAML", message: "rolesessionname in authnresponse must match", ID: "aws.session_name_invalid",
		means: "the RoleSessionName has characters STS refuses, or is shorter than 2 or longer than 64",
		fix:   "Map RoleSessionName to an attribute of 2 to 64 letters, digits and +=,.@_-"},
	{event: "AssumeRoleWithSAML", message: "specified provider doesn't exist", ID: "iam.provider_not_found",
		means: "the Role attribute names a SAML provider that does not exist", fix: "Send the ARN of an existing provider in the Role attribute"},
	{event: "AssumeRoleWithSAML", message: "specified provider does not exist", ID: "iam.provider_not_found",
		means: "the Role attribute names a SAML provider that does not exist", fix: "Send the ARN of an existing provider in the Role attribute"},
	{event: "AssumeRoleWithSAML", message: "not yet valid", ID: "saml.not_yet_valid",
		means: "the assertion's NotBefore is after AWS's clock (the IdP's clock is ahead)", fix: "Synchronise the IdP's clock (NTP), or let its assertions start a few minutes earlier"},
	{event: "AssumeRoleWithSAML", message: "already used", ID: "trail.assertion_replayed", severity: diagnose.Warning,
		means: "the same assertion was posted twice (the browser's back or refresh button, a double submit, an IdP page that posts twice); AWS accepts each assertion once",
		fix:   "Nothing to change when the next sign-in passed: sign in again from the IdP. When it recurs for every agent, look for an IdP page or proxy that posts the form twice"},
	{event: "AssumeRoleWithSAML", message: "replay", ID: "trail.assertion_replayed", severity: diagnose.Warning,
		means: "the same assertion was posted twice (the browser's back or refresh button, a double submit, an IdP page that posts twice); AWS accepts each assertion once",
		fix:   "Nothing to change when the next sign-in passed: sign in again from the IdP. When it recurs for every agent, look for an IdP page or proxy that posts the form twice"},
	{event: "AssumeRoleWithSAML", message: "expired", ID: "saml.expired",
		means: "the assertion was used after its NotOnOrAfter (a slow sign-in, a page left open, or the IdP's clock behind)", fix: "Sign in again from the IdP; lengthen the assertion's validity at the IdP; synchronise its clock"},
	// AssumeRoleWithSAML, by its code alone.
	{event: "AssumeRoleWithSAML", code: "AuthSamlAssertionReplayedException", ID: "trail.assertion_replayed", severity: diagnose.Warning,
		means: "the same assertion was posted twice (the browser's back or refresh button, a double submit, an IdP page that posts twice); AWS accepts each assertion once",
		fix:   "Nothing to change when the next sign-in passed: sign in again from the IdP. When it recurs for every agent, look for an IdP page or proxy that posts the form twice"},
	{event: "AssumeRoleWithSAML", code: "ExpiredToken", ID: "saml.expired",
		means: "the assertion was used after its NotOnOrAfter (a slow sign-in, a page left open, or the IdP's clock behind)", fix: "Sign in again from the IdP; lengthen the assertion's validity at the IdP; synchronise its clock"},
	{event: "AssumeRoleWithSAML", code: "ExpiredTokenException", ID: "saml.expired",
		means: "the assertion was used after its NotOnOrAfter (a slow sign-in, a page left open, or the IdP's clock behind)", fix: "Sign in again from the IdP; lengthen the assertion's validity at the IdP; synchronise its clock"},
	{event: "AssumeRoleWithSAML", code: "IDPRejectedClaim", ID: "saml.status_failed",
		means: "the IdP's response says the authentication failed (its Status is not Success), or a claim AWS needs was rejected",
		fix:   "Read the IdP's sign-in log for these users at these times: the IdP refused them (not assigned, MFA, a conditional access policy)"},
	{event: "AssumeRoleWithSAML", code: "AccessDenied", ID: "iam.trust_policy_denies",
		means: "the role's trust policy does not allow this sign-in, or the role does not exist",
		fix:   "Correct the role's trust policy (audit it with --aws-data iam.json, or diagnose one sign-in's capture for the exact statement)"},
	{event: "AssumeRoleWithSAML", code: "InvalidIdentityToken", ID: "trail.assertion_invalid",
		means: "AWS could not validate the SAML assertion; its message says which check failed (signature, issuer, audience, validity, attributes)",
		fix:   "Diagnose one of these sign-ins from its capture: samldoctor judges the assertion check by check"},
	{event: "AssumeRoleWithSAML", code: "MalformedPolicyDocument", ID: "trail.policy_malformed",
		means: "STS refused the session's policy or tags as malformed: in a SAML sign-in they come from the assertion (PrincipalTag and TransitiveTagKeys attributes, with keys or values STS does not accept)",
		fix:   "Correct the session-tag attributes the IdP sends (https://aws.amazon.com/SAML/Attributes/PrincipalTag:KEY: keys of 1 to 128 and values of up to 256 letters, digits, spaces and _.:/=+-@), as the message says"},
	{event: "AssumeRoleWithSAML", code: "PackedPolicyTooLarge", ID: "trail.session_tags_too_large",
		means: "the session's tags (the assertion's PrincipalTag and TransitiveTagKeys attributes), packed, exceed what STS allows; the message says by how much",
		fix:   "Send fewer or shorter session tags from the IdP (at most 50, their packed size within the limit): drop the PrincipalTag attributes Connect does not use"},
	{event: "AssumeRoleWithSAML", code: "RegionDisabledException", ID: "trail.region_disabled",
		means: "STS is not activated in the Region of the sign-in endpoint the assertion was posted to",
		fix:   "Activate STS in that Region (IAM console > Account settings > Security Token Service (STS) > Endpoints), or post to the global endpoint https://signin.aws.amazon.com/saml or an active Region's"},
	// GetFederationToken, by its message, then its code.
	{event: "GetFederationToken", code: "ResourceNotFoundException", message: "user", ID: "connect.user_not_found",
		means: "no Connect user is named as the session", fix: "Create the Connect user named exactly as the RoleSessionName, or correct the name the IdP sends"},
	{event: "GetFederationToken", code: "AccessDeniedException", ID: "iam.federation_token_denied",
		means: "the role may not call connect:GetFederationToken on the user", fix: "Allow connect:GetFederationToken on the instance's users in the role's policy (audit it with --aws-data iam.json for the exact statement)"},
	{event: "GetFederationToken", code: "AccessDenied", ID: "iam.federation_token_denied",
		means: "the role may not call connect:GetFederationToken on the user", fix: "Allow connect:GetFederationToken on the instance's users in the role's policy (audit it with --aws-data iam.json for the exact statement)"},
	{event: "GetFederationToken", code: "UserNotFoundException", ID: "connect.user_not_found",
		means: "no Connect user is named as the session (Connect's \"not onboarded\")", fix: "Create the Connect user named exactly as the RoleSessionName, or correct the name the IdP sends"},
	{event: "GetFederationToken", code: "ResourceNotFoundException", ID: "connect.instance_not_found",
		means: "the instance federated to (the RelayState's instance ID) does not exist in that Region", fix: "Correct the RelayState at the IdP to the instance's federate URL (https://REGION.console.aws.amazon.com/connect/federate/INSTANCE-ID)"},
	{event: "GetFederationToken", code: "InvalidParameterException", ID: "aws.relay_state_invalid",
		means: "the instance ID federated to (from the RelayState) is not a valid one", fix: "Correct the RelayState at the IdP to the instance's federate URL (https://REGION.console.aws.amazon.com/connect/federate/INSTANCE-ID)"},
	{event: "GetFederationToken", code: "DuplicateResourceException", ID: "connect.duplicate_users",
		means: "Connect found more than one user for the session (users whose names differ only by case)", fix: "Keep one Connect user per agent, named exactly as the RoleSessionName, and delete the other after moving its settings"},
	{event: "GetFederationToken", code: "InvalidRequestException", ID: "trail.federation_request_invalid",
		means: "Connect refused the federation request as not valid: the user is bound to another role than the session's (connect.role_changed), or the instance does not sign agents in with SAML",
		fix:   "Audit with the whole CloudTrail window (connect.role_changed names the agents bound to another role) and the instance's describe-instance output"},
	{event: "GetFederationToken", code: "InternalServiceException", ID: "trail.service_error", severity: diagnose.Warning,
		means: "Connect failed to process the request (its own error, not the set-up's)", fix: "Sign in again; when it persists, open an AWS Support case with these records' event IDs"},
}

// cause is the rule that explains a failure, or nil when none does.
func cause(g *failGroup) *failRule {
	m := strings.ToLower(g.message)
	for _, pass := range []bool{true, false} { // rules with a message first
		for i := range failRules {
			r := &failRules[i]
			if r.event != g.event || (r.message != "") != pass {
				continue
			}
			if (r.code == "" || r.code == g.code) && (r.message == "" || strings.Contains(m, r.message)) {
				return r
			}
		}
	}
	return nil
}

// trail turns the aggregate into findings.
func (a *run) trail() {
	t := a.in.Trail
	if t == nil {
		return
	}
	var groups []*failGroup
	for _, g := range t.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].count != groups[j].count {
			return groups[i].count > groups[j].count
		}
		return groups[i].event+groups[i].code+groups[i].role < groups[j].event+groups[j].code+groups[j].role
	})
	failedAgents := map[string]bool{}
	for _, g := range groups {
		if g.event == "AssumeRoleWithSAML" && a.knownNotConnect(g.role) {
			continue // a console sign-in with a role not meant for Connect
		}
		a.res.Summary.FailedSignIns += g.count
		for ag := range g.agents {
			failedAgents[ag] = true
		}
		r := cause(g)
		if r == nil {
			r = &failRule{ID: "trail.unexplained_failure", means: "no rule of samldoctor's explains this error: read its message", fix: "Diagnose one of these sign-ins from its capture (samldoctor diagnose capture.har --aws)"}
		}
		sev := orX(r.severity, diagnose.Error)
		aff := agentsOf(g.agents)
		role := orX(g.role, "(no role)")
		a.add(Finding{ID: r.ID, Severity: sev,
			Title:    fmt.Sprintf("%s failed %s with %s (role %s): %s, from %s to %s", plural(g.count, "sign-in", "sign-ins"), g.event, g.code, lastPart(role), plural(len(aff), "agent", "agents"), g.first.UTC().Format(time.RFC3339), g.last.UTC().Format(time.RFC3339)),
			Detail:   "CloudTrail recorded these failures: " + r.means + ".",
			Affected: aff,
			Evidence: []diagnose.Evidence{{What: g.event + " " + g.code, Value: orX(g.message, "(no message)"), Where: g.where.String() + eventIDNote(g.eventID) + " and others"}},
			Fix: &diagnose.Fix{Summary: r.fix + ".",
				Check: &fix.Check{Result: fix.NotChecked, Why: "a CloudTrail record does not hold the assertion; the fix is checked on a capture"}},
			past: true})
	}
	a.res.Summary.FailedAgents = len(failedAgents)
	// Agents bound to one role who now sign in with another: Connect
	// answers "Bad Request" until they use the role it bound them to.
	var changed []Affected
	var ev []diagnose.Evidence
	for _, ag := range a.trailAgents() {
		b, l := t.agents[ag].bound, a.lastConnect(t.agents[ag])
		if !b.set() || !l.set() || awsarn.SameRole(t.role(l), t.role(b)) || l.at <= b.at {
			continue
		}
		changed = append(changed, Affected{Kind: "agent", Name: ag})
		if len(ev) < maxListed {
			ev = append(ev, diagnose.Evidence{What: ag, Value: fmt.Sprintf("bound to %s (GetFederationToken %s), last signed in with %s (%s)", lastPart(t.role(b)), t.time(b).Format(time.RFC3339), lastPart(t.role(l)), t.time(l).Format(time.RFC3339)), Where: t.file(l).String()})
		}
	}
	if len(changed) > 0 {
		a.add(Finding{ID: "connect.role_changed", Severity: diagnose.Error,
			Title:    fmt.Sprintf("%s with another role than the one Connect bound them to: they get \"Bad Request\"", plural(len(changed), "agent now signs in", "agents now sign in")),
			Affected: changed, Evidence: ev,
			Fix: &diagnose.Fix{Summary: "Send these agents the role Connect bound them to (their first GetFederationToken's), or recreate their Connect users so that the new role binds them.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which role each agent should use is the administrator's choice"}}})
	}
}

// lastConnect is an agent's last sign-in with a Connect role: its last
// sign-in, unless that was with a role the evidence says is not one (a
// console sign-in), then its last GetFederationToken, else its binding.
// A role the evidence does not know either way counts as a Connect role.
func (a *run) lastConnect(u agentUses) use {
	t := a.in.Trail
	if u.latest.set() && !a.knownNotConnect(t.role(u.latest)) {
		return u.latest
	}
	if u.fed.set() {
		return u.fed
	}
	return u.bound
}

func eventIDNote(id string) string {
	if id == "" {
		return ""
	}
	return " (eventID " + id + ")"
}

func agentsOf(m map[string]bool) []Affected {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Affected, len(names))
	for i, n := range names {
		out[i] = Affected{Kind: "agent", Name: n}
	}
	return out
}

func sortedNames[V any](m map[string]V) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// DefaultSince is how far back CloudTrail's records are read unless told
// (--since, the page's CloudTrail period), and DefaultSinceFlag its
// spelling.
const (
	DefaultSince     = 7 * 24 * time.Hour
	DefaultSinceFlag = "7d"
)

// ParseSince reads --since: a number of days ("7d") or a Go duration
// ("36h").
func ParseSince(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since %q: give days (7d) or a duration (36h)", s)
	}
	return d, nil
}
