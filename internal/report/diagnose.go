package report

import (
	"io"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// DiagnoseJSON is the JSON document of `samldoctor diagnose`.
type DiagnoseJSON struct {
	SchemaVersion int    `json:"schemaVersion"`
	Verdict       string `json:"verdict"`
	Outcome       string `json:"outcome"`
	// FailedStage is where the sign-in stopped: the stage the capture
	// proves it stopped at, else the first stage in error; "" when none.
	FailedStage string `json:"failedStage,omitempty"`
	// FailedAt is the page of the path it happens at: idp, aws-signin,
	// connect-federation, connect-app.
	FailedAt string `json:"failedAt,omitempty"`
	// Attempts are the sign-ins of a capture that holds several; the
	// top-level verdict, outcome, symptoms and findings are the last one's.
	Attempts   []Attempt      `json:"attempts"`
	Subject    *Subject       `json:"subject,omitempty"`
	Symptoms   []Symptom      `json:"symptoms"`
	Findings   []Finding      `json:"findings"`
	IdP        *IdP           `json:"idp"`
	Signatures []Verification `json:"signatures"`
	Sources    []Source       `json:"sources"`
	Messages   []Message      `json:"messages"`
	Pages      []Page         `json:"pages"`
	Warnings   []Warning      `json:"warnings"`
	// AWSData lists the AWS evidence files (or live calls) that were read.
	AWSData []AWSDataSource `json:"awsData"`
}

// NewDiagnoseJSON is the JSON document of a diagnosis of c that read the
// AWS evidence in aws (nil when there was none).
func NewDiagnoseJSON(c *capture.Capture, res *diagnose.Result, aws *evidence.Set) DiagnoseJSON {
	data := []evidence.Source{}
	if aws != nil {
		data = append(data, aws.Sources...)
	}
	return DiagnoseJSON{SchemaVersion: SchemaVersion, Verdict: res.Verdict, Outcome: res.Outcome, FailedStage: string(res.FailedStage), FailedAt: res.FailedAt, Attempts: wireAttempts(res.Attempts), Subject: wireSubject(res.Subject),
		Symptoms: wireSymptoms(res.Symptoms), Findings: wireFindings(res.Findings), IdP: wireIdP(res.IdP), Signatures: wireVerifications(res.Signatures),
		Sources: wireSources(c.Sources), Messages: wireMessages(c.Messages), Pages: wirePages(c.Pages), Warnings: wireWarnings(c.Warnings), AWSData: wireAWSData(data)}
}

// WriteDiagnoseJSON writes a diagnosis as indented JSON.
func WriteDiagnoseJSON(w io.Writer, c *capture.Capture, res *diagnose.Result, aws *evidence.Set) error {
	return writeJSON(w, NewDiagnoseJSON(c, res, aws))
}

func sevLabel(st Style, sev string) string {
	switch sev {
	case diagnose.Error:
		return st.Red("ERROR")
	case diagnose.Warning:
		return st.Yellow("WARNING")
	}
	return st.Cyan("INFO")
}

// WriteDiagnoseText writes a diagnosis for people: the verdict first, then
// what was seen, then each finding with its evidence and fix.
func WriteDiagnoseText(w io.Writer, c *capture.Capture, res *diagnose.Result, st Style) error {
	bw := &errWriter{w: w, color: st.Color}
	bw.printf("%s\n\n", st.Bold(wrapText(res.Verdict, 100, "")))
	if d := res.IdP; d != nil {
		if d.Product != idp.Unknown {
			var why []string
			for _, c := range d.Evidence {
				why = append(why, c.Says)
			}
			bw.printf("%s %s %s\n\n", st.Dim("Identity provider:"), d.Name, st.Dim("("+strings.Join(why, "; ")+")"))
		} else if res.Subject != nil {
			bw.printf("%s %s %s\n\n", st.Dim("Identity provider:"), "not recognised", st.Dim("("+d.Reason+")"))
		}
	}
	if len(res.Attempts) > 0 {
		bw.printf("%s\n", st.Bold("Sign-ins in the capture"))
		for _, a := range res.Attempts {
			who := ""
			if a.Subject != nil {
				who = a.Subject.RoleSessionName
			}
			bw.printf("  %d. %s  %s  %s\n", a.Index, a.Started.UTC().Format("2006-01-02 15:04:05Z"), who, attemptOutcome(st, a))
		}
		bw.printf("  %s\n\n", st.Dim("(what follows is about the last one)"))
	}
	if len(res.Symptoms) > 0 {
		bw.printf("%s\n", st.Bold("What the agent saw"))
		for _, s := range res.Symptoms {
			bw.printf("  %s %s\n", st.Dim("["+s.ID+"]"), s.Text)
			for _, e := range s.Evidence {
				bw.printf("      %s\n", st.Dim(e.Where))
			}
		}
		bw.printf("\n")
	}
	if len(res.Findings) == 0 {
		bw.printf("No findings.\n")
	}
	for i, f := range res.Findings {
		bw.printf("%s %s %s\n", sevLabel(st, f.Severity), st.Bold(f.Title), st.Dim("["+f.ID+"]"))
		if f.Downgraded != "" {
			bw.printf("%s\n", st.Dim(wrapText(f.Downgraded, 100, "  ")))
		}
		if f.Detail != "" {
			bw.printf("%s\n", wrapText(f.Detail, 100, "  "))
		}
		if len(f.Explains) > 0 {
			bw.printf("  %s %s\n", st.Dim("explains:"), strings.Join(f.Explains, ", "))
		}
		if f.ExplainedBy != "" {
			bw.printf("  %s %s: its fix makes this change too\n", st.Dim("explained by"), f.ExplainedBy)
		}
		if len(f.Evidence) > 0 {
			bw.printf("  %s\n", st.Dim("evidence:"))
			for _, e := range f.Evidence {
				if e.Value != "" {
					bw.printf("    - %s: %s\n", e.What, e.Value)
				} else {
					bw.printf("    - %s\n", e.What)
				}
				if e.Where != "" {
					bw.printf("      %s\n", st.Dim("at "+e.Where))
				}
			}
		}
		if f.Fix != nil {
			fx := *f.Fix
			if diagnose.AsksForEvidence(f.ID) {
				// A request for evidence is no change to check: saying
				// "not checked" under it only puzzles.
				fx.Check = nil
			}
			writeFixText(bw, st, "fix:", fx)
		}
		for _, alt := range f.Alternatives {
			label := "or:"
			if len(alt.Check.Breaks) > 0 {
				label = "last resort:"
			}
			writeFixText(bw, st, label, alt)
		}
		if i < len(res.Findings)-1 {
			bw.printf("\n")
		}
	}
	return bw.err
}

// checkLine is the one line that says what the fix's check found.
func checkLine(c *fix.Check) string {
	if c == nil {
		return ""
	}
	switch c.Result {
	case fix.Passes:
		return "checked: " + c.Why
	case fix.StillFails:
		return c.Why
	}
	return "not checked: " + c.Why
}

// writeFixText writes one fix: the summary, its check, what it would
// break, the IdP steps, the data-loss warning before the commands that
// lose data, the files and commands, then further steps.
func writeFixText(bw *errWriter, st Style, label string, fx diagnose.Fix) {
	rf := Render(fx)
	pad := strings.Repeat(" ", len(label)+3)
	bw.printf("  %s %s\n", st.Green(label), strings.TrimLeft(wrapText(fx.Summary, 100, pad), " "))
	if l := checkLine(fx.Check); l != "" {
		color := st.Dim
		if fx.Check.Result == fix.StillFails {
			color = st.Yellow
		}
		bw.printf("%s\n", color(wrapText(l, 100, "    ")))
		for _, b := range fx.Check.Breaks {
			bw.printf("    %s %s\n", st.Red("breaks:"), b)
		}
	}
	switch {
	case len(rf.IdPSteps) > 0:
		bw.printf("    %s\n", st.Dim("in "+rf.IdPProduct+":"))
		for i, s := range rf.IdPSteps {
			bw.printf("      %d. %s\n", i+1, s)
		}
		bw.printf("      %s\n", st.Dim("("+rf.IdPDocs+")"))
	case rf.IdP != "":
		bw.printf("    %s %s\n", st.Dim("at the IdP:"), rf.IdP)
	}
	if rf.DataLoss != "" {
		bw.printf("    %s %s\n", st.Red("data loss:"), rf.DataLoss)
	}
	for _, f := range rf.Files {
		bw.printf("    %s\n", st.Dim("save as "+f.Name+":"))
		for _, l := range strings.Split(f.Content, "\n") {
			bw.printf("      %s\n", l)
		}
	}
	for _, cmd := range rf.Commands {
		bw.printf("    $ %s\n", cmd)
	}
	for _, s := range rf.Steps {
		bw.printf("    - %s\n", s)
	}
}

// writeFixMarkdown writes one fix for a ticket.
func writeFixMarkdown(bw *errWriter, label string, fx diagnose.Fix) {
	rf := Render(fx)
	bw.printf("**%s** %s\n\n", label, mdEscape(fx.Summary))
	if l := checkLine(fx.Check); l != "" {
		bw.printf("_%s_\n\n", mdEscape(l))
		for _, b := range fx.Check.Breaks {
			bw.printf("- **Breaks:** %s\n", mdEscape(b))
		}
		if len(fx.Check.Breaks) > 0 {
			bw.printf("\n")
		}
	}
	switch {
	case len(rf.IdPSteps) > 0:
		bw.printf("In %s ([documentation](%s)):\n\n", mdEscape(rf.IdPProduct), rf.IdPDocs)
		for i, s := range rf.IdPSteps {
			if slices.Contains(rf.IdPCode, i) {
				// Configuration to paste: a code block, as it is.
				fence := "```"
				for strings.Contains(s, fence) {
					fence += "`"
				}
				bw.printf("%d. Paste:\n\n   %s\n   %s\n   %s\n", i+1, fence, s, fence)
				continue
			}
			bw.printf("%d. %s\n", i+1, mdEscape(s))
		}
		bw.printf("\n")
	case rf.IdP != "":
		bw.printf("At the identity provider: %s\n\n", mdEscape(rf.IdP))
	}
	if rf.DataLoss != "" {
		bw.printf("> **Data loss:** %s\n\n", mdEscape(rf.DataLoss))
	}
	for _, f := range rf.Files {
		bw.printf("`%s`:\n\n```json\n%s\n```\n\n", f.Name, f.Content)
	}
	if len(rf.Commands) > 0 {
		bw.printf("```sh\n%s\n```\n\n", strings.Join(rf.Commands, "\n"))
	}
	for _, s := range rf.Steps {
		bw.printf("- %s\n", mdEscape(s))
	}
	if len(rf.Steps) > 0 {
		bw.printf("\n")
	}
}

// WriteDiagnoseMarkdown writes a diagnosis for pasting into a ticket.
func WriteDiagnoseMarkdown(w io.Writer, c *capture.Capture, res *diagnose.Result) error {
	bw := &errWriter{w: w}
	bw.printf("## samldoctor diagnosis\n\n**%s**\n\n", mdEscape(res.Verdict))
	if s := res.Subject; s != nil {
		bw.printf("| | |\n|---|---|\n")
		row := func(k, v string) {
			if v != "" {
				bw.printf("| %s | %s |\n", k, strings.ReplaceAll(mdCode(v), "|", `\|`))
			}
		}
		row("RoleSessionName", s.RoleSessionName)
		row("Role", s.RoleArn)
		row("SAML provider", s.ProviderArn)
		row("Issuer", s.Issuer)
		if res.IdP != nil && res.IdP.Product != idp.Unknown {
			row("Identity provider", res.IdP.Name)
		}
		row("Connect instance", s.InstanceID)
		row("Region", s.Region)
		if !s.At.IsZero() {
			row("Signed in at", s.At.UTC().Format("2006-01-02 15:04:05Z"))
		}
		bw.printf("\n")
	}
	if len(res.Attempts) > 0 {
		bw.printf("### Sign-ins in the capture\n\n")
		for _, a := range res.Attempts {
			bw.printf("%d. %s: %s\n", a.Index, a.Started.UTC().Format("2006-01-02 15:04:05Z"), mdEscape(a.Verdict))
		}
		bw.printf("\nWhat follows is about the last one.\n\n")
	}
	if len(res.Symptoms) > 0 {
		bw.printf("### What the agent saw\n\n")
		for _, s := range res.Symptoms {
			bw.printf("- %s (`%s`)\n", mdEscape(s.Text), s.ID)
			for _, e := range s.Evidence {
				bw.printf("  - %s\n", mdEscape(e.Where))
			}
		}
		bw.printf("\n")
	}
	bw.printf("### Findings\n\n")
	if len(res.Findings) == 0 {
		bw.printf("None.\n")
	}
	for _, f := range res.Findings {
		bw.printf("#### %s: %s (`%s`)\n\n", strings.ToUpper(f.Severity), mdEscape(f.Title), f.ID)
		if f.Downgraded != "" {
			bw.printf("_%s_\n\n", mdEscape(f.Downgraded))
		}
		if f.ExplainedBy != "" {
			bw.printf("Explained by `%s`: its fix makes this change too.\n\n", f.ExplainedBy)
		}
		if f.Detail != "" {
			bw.printf("%s\n\n", mdEscape(f.Detail))
		}
		if len(f.Explains) > 0 {
			bw.printf("Explains: %s\n\n", "`"+strings.Join(f.Explains, "`, `")+"`")
		}
		if len(f.Evidence) > 0 {
			bw.printf("Evidence:\n\n")
			for _, e := range f.Evidence {
				v := ""
				if e.Value != "" {
					v = ": " + mdCode(e.Value)
				}
				bw.printf("- %s%s", mdEscape(e.What), v)
				if e.Where != "" {
					bw.printf(" — %s", mdEscape(e.Where))
				}
				bw.printf("\n")
			}
			bw.printf("\n")
		}
		if f.Fix != nil {
			fx := *f.Fix
			if diagnose.AsksForEvidence(f.ID) {
				fx.Check = nil
			}
			writeFixMarkdown(bw, "Fix:", fx)
		}
		for _, alt := range f.Alternatives {
			label := "Or:"
			if len(alt.Check.Breaks) > 0 {
				label = "Last resort:"
			}
			writeFixMarkdown(bw, label, alt)
		}
	}
	return bw.err
}

// mdEscape makes text from the inputs plain Markdown text: no emphasis,
// no table cell break, no raw HTML, no link ([text](url)), no code span.
func mdEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "*", `\*`, "_", `\_`,
		"[", `\[`, "]", `\]`, "`", "\\`", "!", `\!`)
	return r.Replace(s)
}

// mdCode writes s as a Markdown code span, its fence longer than any run
// of backticks in s so that s cannot close it.
func mdCode(s string) string {
	fence, run := "`", 0
	for _, c := range s {
		if c == '`' {
			run++
			if run >= len(fence) {
				fence += "`"
			}
		} else {
			run = 0
		}
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || len(fence) > 1 {
		s = " " + s + " "
	}
	return fence + s + fence
}

// wrapText folds s at width, prefixing every line with indent.
func wrapText(s string, width int, indent string) string {
	words := strings.Fields(s)
	var b strings.Builder
	line := indent
	for _, w := range words {
		if len(line)+len(w)+1 > width && strings.TrimSpace(line) != "" {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += w + " "
	}
	b.WriteString(strings.TrimRight(line, " "))
	return b.String()
}

func attemptOutcome(st Style, a diagnose.Attempt) string {
	switch a.Outcome {
	case "reached_connect":
		return st.Green("reached Amazon Connect")
	case "failed":
		return st.Red("failed: " + strings.Join(a.Symptoms, ", "))
	}
	return st.Yellow("no answer in the capture")
}

// FixText is one fix as diagnose's text output prints it (no colour):
// what the tests pin as the printed steps.
func FixText(label string, fx diagnose.Fix) string {
	var b strings.Builder
	writeFixText(&errWriter{w: &b}, Style{}, label, fx)
	return b.String()
}
