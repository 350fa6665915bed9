package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
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
// (its first GetFederationToken) and the role it last signed in with (its
// last AssumeRoleWithSAML that passed). It is small and held in the map
// itself: the map is looked up once per record, and at a million records
// its memory latency is what an aggregate costs.
type agentUses struct {
	bound, latest use
}

// use is one record's role, time and file.
type use struct {
	at         int64 // Unix milliseconds
	role, file int32 // Trail.roles[role-1], Trail.files[file-1]; 0 for none
}

func (u use) set() bool { return u.role != 0 }

// NewTrail is an empty aggregate.
func NewTrail() *Trail {
	return &Trail{groups: map[failKey]*failGroup{}, agents: map[string]agentUses{}}
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
	for name, u := range o.agents {
		if u.bound.set() {
			t.note(name, "GetFederationToken", renumber(u.bound))
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

// cause names what a failure means, by its event, error code and the
// message AWS documents for it; "" when no rule knows it.
func cause(g *failGroup) (id, means string) {
	m := strings.ToLower(g.message)
	switch g.event {
	case "AssumeRoleWithSAML":
		switch {
		case strings.Contains(m, "not authorized to perform sts:assumerolewithsaml"):
			return "iam.trust_policy_denies", "the role's trust policy does not allow this sign-in (or the role does not exist)"
		case strings.Contains(m, "issuer not present in specified provider"):
			return "iam.issuer_mismatch", "the assertion's issuer is not the provider's entity ID"
		case strings.Contains(m, "response signature invalid"):
			return "iam.cert_not_in_provider", "the assertion is signed with a certificate the provider does not hold"
		case strings.Contains(m, "rolesessionname is required"):
			return "aws.session_name_missing", "the IdP sends no RoleSessionName"
		case strings.Contains(m, "rolesessionname in authnresponse must match"):
			return "aws.session_name_invalid", "the RoleSessionName has characters STS refuses"
		case strings.Contains(m, "specified provider doesn't exist") || strings.Contains(m, "specified provider does not exist"):
			return "iam.provider_not_found", "the Role attribute names a SAML provider that does not exist"
		case g.code == "ExpiredTokenException" || strings.Contains(m, "expired"):
			return "saml.expired", "the assertion was used outside its validity (a slow sign-in, or the IdP's clock)"
		}
	case "GetFederationToken":
		switch {
		case g.code == "AccessDeniedException" || g.code == "AccessDenied":
			return "iam.federation_token_denied", "the role may not call connect:GetFederationToken on the user"
		case g.code == "UserNotFoundException" || g.code == "ResourceNotFoundException" && strings.Contains(m, "user"):
			return "connect.user_not_found", "no Connect user is named as the session"
		}
	}
	return "", ""
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
		a.res.Summary.FailedSignIns += g.count
		for ag := range g.agents {
			failedAgents[ag] = true
		}
		f := Finding{ID: "trail.unexplained_failure"}
		id, means := cause(g)
		if id == "" {
			means = "no rule of samldoctor's explains this error: read its message, or diagnose one of these sign-ins from a capture"
		} else {
			f.ID = id
		}
		aff := agentsOf(g.agents)
		role := orX(g.role, "(no role)")
		a.add(Finding{ID: f.ID, Severity: diagnose.Error,
			Title:    fmt.Sprintf("%s failed %s with %s (role %s): %s, from %s to %s", plural(g.count, "sign-in", "sign-ins"), g.event, g.code, lastPart(role), plural(len(aff), "agent", "agents"), g.first.UTC().Format(time.RFC3339), g.last.UTC().Format(time.RFC3339)),
			Detail:   "CloudTrail recorded these failures: " + means + ".",
			Affected: aff,
			Evidence: []diagnose.Evidence{{What: g.event + " " + g.code, Value: orX(g.message, "(no message)"), Where: g.where.String() + eventIDNote(g.eventID) + " and others"}},
			Fix: &diagnose.Fix{Summary: "Diagnose one of these sign-ins with its capture (samldoctor diagnose capture.har --aws) for the change to make; " + means + ".",
				Check: &diagnose.Check{Result: diagnose.CheckNotChecked, Why: "a CloudTrail record does not hold the assertion; the fix is checked on a capture"}},
			past: true})
	}
	a.res.Summary.FailedAgents = len(failedAgents)
	// Agents bound to one role who now sign in with another: Connect
	// answers "Bad Request" until they use the role it bound them to.
	var changed []Affected
	var ev []diagnose.Evidence
	for _, ag := range a.trailAgents() {
		b, l := t.agents[ag].bound, t.agents[ag].latest
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
				Check: &diagnose.Check{Result: diagnose.CheckNotChecked, Why: "which role each agent should use is the administrator's choice"}}})
	}
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
