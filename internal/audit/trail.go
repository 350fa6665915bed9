package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"

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
	bound   map[string]use // by agent: the first GetFederationToken
	latest  map[string]use // by agent: the last AssumeRoleWithSAML that passed
}

type failKey struct{ event, code, role string }

type failGroup struct {
	failKey
	message     string
	count       int
	first, last time.Time
	agents      map[string]bool
	where       evidence.Source
}

type use struct {
	role string
	at   time.Time
	file evidence.Source
}

// NewTrail is an empty aggregate.
func NewTrail() *Trail {
	return &Trail{groups: map[failKey]*failGroup{}, bound: map[string]use{}, latest: map[string]use{}}
}

// Add takes one record (STS AssumeRoleWithSAML or Connect
// GetFederationToken).
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
			g = &failGroup{failKey: k, message: e.ErrorMsg, agents: map[string]bool{}, first: e.Time, where: e.File}
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
	u := use{role, e.Time, e.File}
	switch e.Name {
	case "GetFederationToken":
		if b, ok := t.bound[agent]; !ok || e.Time.Before(b.at) {
			t.bound[agent] = u
		}
	case "AssumeRoleWithSAML":
		if l, ok := t.latest[agent]; !ok || e.Time.After(l.at) {
			t.latest[agent] = u
		}
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
	for a, u := range o.bound {
		if b, ok := t.bound[a]; !ok || u.at.Before(b.at) {
			t.bound[a] = u
		}
	}
	for a, u := range o.latest {
		if l, ok := t.latest[a]; !ok || u.at.After(l.at) {
			t.latest[a] = u
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
			Evidence: []diagnose.Evidence{{What: g.event + " " + g.code, Value: orX(g.message, "(no message)"), Where: g.where.String() + " and others"}},
			Fix: &diagnose.Fix{Summary: "Diagnose one of these sign-ins with its capture (samldoctor diagnose capture.har --aws) for the change to make; " + means + ".",
				Check: &diagnose.Check{Result: diagnose.CheckNotChecked, Why: "a CloudTrail record does not hold the assertion; the fix is checked on a capture"}},
			past: true})
	}
	a.res.Summary.FailedAgents = len(failedAgents)
	// Agents bound to one role who now sign in with another: Connect
	// answers "Bad Request" until they use the role it bound them to.
	var changed []Affected
	var ev []diagnose.Evidence
	for _, ag := range sortedNames(t.bound) {
		b := t.bound[ag]
		l, ok := t.latest[ag]
		if !ok || l.role == b.role || !l.at.After(b.at) {
			continue
		}
		changed = append(changed, Affected{Kind: "agent", Name: ag})
		if len(ev) < maxListed {
			ev = append(ev, diagnose.Evidence{What: ag, Value: fmt.Sprintf("bound to %s (GetFederationToken %s), last signed in with %s (%s)", lastPart(b.role), b.at.UTC().Format(time.RFC3339), lastPart(l.role), l.at.UTC().Format(time.RFC3339)), Where: l.file.String()})
		}
	}
	if len(changed) > 0 {
		a.add(Finding{ID: "connect.role_changed", Severity: diagnose.Error,
			Title:    fmt.Sprintf("%s now sign in with another role than the one Connect bound them to: they get \"Bad Request\"", plural(len(changed), "agent", "agents")),
			Affected: changed, Evidence: ev,
			Fix: &diagnose.Fix{Summary: "Send these agents the role Connect bound them to (their first GetFederationToken's), or recreate their Connect users so that the new role binds them.",
				Check: &diagnose.Check{Result: diagnose.CheckNotChecked, Why: "which role each agent should use is the administrator's choice"}}})
	}
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

func sortedNames(m map[string]use) []string {
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
