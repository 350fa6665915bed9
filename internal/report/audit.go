package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/diagnose"
)

// AuditJSON is samldoctor audit's JSON output (docs/json.md).
type AuditJSON struct {
	SchemaVersion int            `json:"schemaVersion"`
	Scope         []string       `json:"scope"`
	Summary       AuditSummary   `json:"summary"`
	Findings      []AuditFinding `json:"findings"`
}

// AuditSummary counts an audit's findings and the agents they put at risk.
type AuditSummary struct {
	Errors        int `json:"errors"`
	Warnings      int `json:"warnings"`
	AgentsAtRisk  int `json:"agentsAtRisk"`
	FailedSignIns int `json:"failedSignIns"`
	FailedAgents  int `json:"failedAgents"`
}

// AuditFinding is one finding of an audit, with what it affects.
type AuditFinding struct {
	ID       string     `json:"id"`
	Severity string     `json:"severity"`
	Title    string     `json:"title"`
	Detail   string     `json:"detail,omitempty"`
	Count    int        `json:"count"`
	Affected []Affected `json:"affected"`
	Evidence []Evidence `json:"evidence"`
	Fix      *Fix       `json:"fix,omitempty"`
}

// Affected is an agent or resource a finding is about.
type Affected struct {
	// Kind is "agent", "connect-user", "saml-provider", "instance",
	// "role" or "file".
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// NewAuditJSON is an audit's wire form.
func NewAuditJSON(res *audit.Result) AuditJSON {
	out := AuditJSON{SchemaVersion: SchemaVersion, Scope: orEmpty(res.Scope), Findings: []AuditFinding{},
		Summary: AuditSummary{Errors: res.Summary.Errors, Warnings: res.Summary.Warnings, AgentsAtRisk: res.Summary.AgentsAtRisk,
			FailedSignIns: res.Summary.FailedSignIns, FailedAgents: res.Summary.FailedAgents}}
	for _, f := range res.Findings {
		w := AuditFinding{ID: f.ID, Severity: f.Severity, Title: f.Title, Detail: f.Detail, Count: f.Count(), Affected: []Affected{}, Evidence: wireEvidence(f.Evidence)}
		for _, a := range f.Affected {
			w.Affected = append(w.Affected, Affected{Kind: a.Kind, Name: a.Name})
		}
		if f.Fix != nil {
			fx := wireFix(*f.Fix)
			w.Fix = &fx
		}
		out.Findings = append(out.Findings, w)
	}
	return out
}

// WriteAuditJSON writes an audit as JSON.
func WriteAuditJSON(w io.Writer, res *audit.Result) error { return writeJSON(w, NewAuditJSON(res)) }

// auditHeadline is the audit's one-screen summary line.
func auditHeadline(res *audit.Result) string {
	s := res.Summary
	if s.Errors == 0 && s.Warnings == 0 {
		return "No problem found in what was read."
	}
	out := fmt.Sprintf("%s and %s", plural(s.Errors, "problem stops sign-ins", "problems stop sign-ins"), plural(s.Warnings, "warning", "warnings"))
	if s.AgentsAtRisk > 0 {
		out += fmt.Sprintf("; %s will fail to sign in", plural(s.AgentsAtRisk, "agent", "agents"))
	}
	if s.FailedSignIns > 0 {
		out += fmt.Sprintf("; CloudTrail recorded %s by %s", plural(s.FailedSignIns, "failed sign-in", "failed sign-ins"), plural(s.FailedAgents, "agent", "agents"))
		if w := s.Window; w > 0 {
			if d := w.Round(time.Hour); d%(24*time.Hour) == 0 {
				out += " in the last " + plural(int(d/(24*time.Hour)), "day", "days")
			} else {
				out += " in the last " + plural(int(d/time.Hour), "hour", "hours")
			}
		}
	}
	return out + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// affectedLine lists the first ten affected names and counts the rest.
func affectedLine(f audit.Finding) string {
	var names []string
	for i, a := range f.Affected {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(f.Affected)-10))
			break
		}
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

// maxReadLines bounds the "Read:" list of the text report.
const maxReadLines = 12

// WriteAuditText writes an audit for people: the summary first, then the
// findings by severity, each with the agents it affects.
func WriteAuditText(w io.Writer, res *audit.Result, st Style) error {
	bw := &errWriter{w: w, color: st.Color}
	bw.printf("%s\n\n", st.Bold(auditHeadline(res)))
	bw.printf("%s\n", st.Dim("Read:"))
	for i, sc := range res.Scope {
		if i == maxReadLines && len(res.Scope) > maxReadLines+1 {
			bw.printf("%s\n", st.Dim(fmt.Sprintf("  … and %d more (--format json lists them all)", len(res.Scope)-i)))
			break
		}
		bw.printf("%s\n", st.Dim("  - "+sc))
	}
	for _, f := range res.Findings {
		bw.printf("\n%s %s %s\n", sevLabel(st, f.Severity), st.Bold(f.Title), st.Dim("["+f.ID+"]"))
		if f.Detail != "" {
			bw.printf("%s\n", wrapText(f.Detail, 100, "  "))
		}
		bw.printf("  %s %s\n", st.Dim(fmt.Sprintf("affects %d:", f.Count())), affectedLine(f))
		if len(f.Evidence) > 0 {
			bw.printf("  %s\n", st.Dim("evidence:"))
			for _, e := range f.Evidence {
				bw.printf("    - %s: %s\n", e.What, e.Value)
				if e.Where != "" {
					bw.printf("      %s\n", st.Dim("at "+e.Where))
				}
			}
		}
		if f.Fix != nil {
			fx := *f.Fix
			if diagnose.AsksForEvidence(f.ID) {
				fx.Check = nil // a request for evidence: nothing to check
			}
			writeFixText(bw, st, "fix:", fx)
		}
	}
	return bw.err
}

// WriteAuditMarkdown writes an audit for a ticket.
func WriteAuditMarkdown(w io.Writer, res *audit.Result) error {
	bw := &errWriter{w: w}
	bw.printf("## samldoctor audit\n\n**%s**\n\n", mdEscape(auditHeadline(res)))
	for _, f := range res.Findings {
		bw.printf("### %s: %s (`%s`)\n\n", strings.ToUpper(f.Severity), mdEscape(f.Title), f.ID)
		if f.Detail != "" {
			bw.printf("%s\n\n", mdEscape(f.Detail))
		}
		bw.printf("Affects %d: %s\n\n", f.Count(), mdEscape(affectedLine(f)))
		for _, e := range f.Evidence {
			bw.printf("- %s: %s — %s\n", mdEscape(e.What), mdCode(e.Value), mdEscape(e.Where))
		}
		if len(f.Evidence) > 0 {
			bw.printf("\n")
		}
		if f.Fix != nil {
			fx := *f.Fix
			if diagnose.AsksForEvidence(f.ID) {
				fx.Check = nil
			}
			writeFixMarkdown(bw, "Fix:", fx)
		}
	}
	return bw.err
}
