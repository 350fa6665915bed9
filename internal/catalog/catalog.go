// Package catalog is every finding samldoctor can report, as data: its
// stable id, the stage of the sign-in path it belongs to, its severity,
// the symptoms it can explain, the kinds of change its fixes are made of,
// and its documentation (findings.json). docs/findings.md is generated
// from it (FindingsDoc).
package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// Stage is a stage of the sign-in path.
type Stage string

// Stages of the sign-in path, in order (capture is about the input).
const (
	StageCapture    Stage = "capture"
	StageIdP        Stage = "S0 identity provider"
	StageSAML       Stage = "S1 SAML message"
	StageAttributes Stage = "S2 AWS attributes"
	StageAssumeRole Stage = "S3 AssumeRoleWithSAML"
	StageRelayState Stage = "S4 RelayState"
	StageFederation Stage = "S5 GetFederationToken"
	StageUser       Stage = "S6 Connect user"
	StageBinding    Stage = "S7 earlier sign-ins"
	StageEmbedded   Stage = "S8 embedded CCP"
)

// Entry is one finding id as the catalog defines it: where it belongs on
// the sign-in path, the symptoms it can explain, the kinds of change its
// fixes are made of, and its documentation. The catalog is data
// (findings.json); docs/findings.md is generated from it.
type Entry struct {
	ID string `json:"id"`
	// Section is the heading it is documented under.
	Section string `json:"section"`
	// Stage is empty when it depends on the case (aws.call_denied).
	Stage Stage `json:"stage"`
	// Severity as documented, with the conditions that change it.
	Severity string `json:"severity"`
	// Explains are the symptom ids it can explain; "*" is any observed.
	Explains []string   `json:"explains"`
	Changes  []fix.Kind `json:"changes"`
	// Detail is what a finding of this id means, when it does not depend
	// on the case (the finding's own Detail wins).
	Detail   string `json:"detail,omitempty"`
	Cause    string `json:"cause"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
	// Source names where the cause and its texts are documented or
	// reported (AWS's and the vendors' documentation, public issues).
	Source string `json:"source,omitempty"`
}

//go:embed findings.json
var catalogJSON []byte

// Catalog is every finding id, in documentation order.
var Catalog = loadCatalog()

func loadCatalog() []Entry {
	var c struct {
		Findings []Entry `json:"findings"`
	}
	if err := json.Unmarshal(catalogJSON, &c); err != nil {
		panic("catalog: findings.json: " + err.Error())
	}
	return c.Findings
}

// Lookup returns the catalog entry of an id.
func Lookup(id string) (Entry, bool) {
	for _, e := range Catalog {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// FindingsDoc is docs/findings.md, generated from the catalog.
func FindingsDoc() string {
	var b strings.Builder
	b.WriteString(`# samldoctor findings

<!-- Generated from internal/catalog/findings.json by
     go test ./internal/catalog -run TestFindingsDoc -update; do not edit. -->

Every finding has a stable ` + "`id`" + `, a ` + "`severity`" + ` (` + "`error`, `warning`, `info`" + `), the ` + "`stage`" + ` of the
sign-in path it belongs to, its ` + "`evidence`" + ` (what was seen, and where: capture file, entry,
time, SAML element or attribute, AWS data file and field), the symptoms it ` + "`explains`" + `, and a
` + "`fix`" + ` with the real values (Region, account, instance, role, user, provider) filled in.
Findings that explain an observed symptom come first; then other errors, warnings and notes.

The sign-in path (see ` + "`../shared/docs/aws-saml-catalog.md`" + ` §1): **S0** the identity provider
(its own error page, when it sends no SAML), **S1** the SAML message, **S2** its AWS attributes,
**S3** AssumeRoleWithSAML, **S4** the RelayState, **S5** ` + "`connect:GetFederationToken`" + `, **S6** the
Connect user, **S7** the user's earlier sign-ins, **S8** the CCP embedded in an agent application.

## Fixes are changes, and are checked

A fix is made of typed **changes** (below): at the identity provider, in IAM, in Connect. Its
summary's values, AWS CLI commands, policy files and the IdP product's steps are rendered from
them. Before a fix is shown, its changes are applied to a copy of what the diagnosis saw (the
decoded assertion and its times, the pages' clocks, the AWS evidence) and the sign-in is
diagnosed again with no symptom observed. The fix's ` + "`check`" + ` says:

- ` + "`passes`" + `: no error remains in any stage the evidence covers (the stages it does not cover
  are listed, e.g. S7 without CloudTrail);
- ` + "`still_fails`" + `: the change is not enough alone; the first error left is named;
- ` + "`not_checked`" + `: a manual step (capture again, find what alters the message) or a change
  that cannot be modelled, with the reason.

` + "`breaks`" + ` names what works today that the change would break: deleting a Connect user; a trust
policy that stops a provider or audience the old policy allowed (the providers CloudTrail shows
in use included); identity policies that drop a federation CloudTrail shows working or an
instance that exists, or widen access to other instances or users; a Role value that moves the
agent off the role Connect bound it to; a case transformation that changes other agents' names.
A fix that breaks something is never offered first. Policies are corrected in place (the
statement that nearly allows, the condition value that nearly matches), never replaced.

**Causality.** The capture shows where the sign-in stopped (AWS sign-in's error page stops it at
S1–S3; Connect's "Access denied" at S5, "not onboarded" at S6, "Bad Request" at S7). An error in a
later stage is reported as a warning ("after fixing that, also fix this"), and so is an error in a
stage the capture shows passed.

**Exit status of ` + "`diagnose`" + `:** 0 when the capture shows the sign-in reaching Connect and no
finding is an error; 1 when it failed, when an error was found, or when the capture does not show
the outcome (cut short, no answer, a bare value): the cause may not be settled yet; 2 for bad
input.

`)
	b.WriteString("| change | where | what |\n|---|---|---|\n")
	for _, k := range fix.Kinds {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k, strings.Split(string(k), ".")[0], fix.Doc[k])
	}
	b.WriteString("\n## Symptoms — what the agent saw\n\nRecognised in the capture's responses from AWS sign-in (`signin.*`) and from the Connect\nfederation and Connect pages (`connect.*`), by the texts AWS shows.\n\n| id | text shown |\n|---|---|\n")
	for _, s := range errorpage.Symptoms {
		fmt.Fprintf(&b, "| `%s` | %s |\n", s.ID, mdCell(s.Text))
	}
	b.WriteString("| `signin.success` | (not an error) the capture reached Amazon Connect |\n\n## Causes\n")
	section := ""
	for _, e := range Catalog {
		if strings.HasPrefix(e.ID, "needs.") {
			continue
		}
		if e.Section != section {
			section = e.Section
			fmt.Fprintf(&b, "\n### %s\n\n| id | severity | cause | evidence | explains | fix (changes) |\n|---|---|---|---|---|---|\n", section)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s%s | %s | %s | %s%s |\n", e.ID, e.Severity, e.Cause, sourceNote(e.Source), e.Evidence, codeList(e.Explains), e.Fix, changeList(e.Changes))
	}
	b.WriteString("\n## Evidence still needed (`needs.*`)\n\nWhen a symptom is seen and no finding explains it, an `info` finding says which AWS output\nwould settle it, with the commands filled in; passing their output with `--aws-data` turns it\ninto a cause.\n\n| id | for | commands |\n|---|---|---|\n")
	for _, e := range Catalog {
		if strings.HasPrefix(e.ID, "needs.") {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", e.ID, codeList(e.Explains), e.Fix)
		}
	}
	return b.String()
}

// sourceNote is an entry's source, after its cause.
func sourceNote(s string) string {
	if s == "" {
		return ""
	}
	return " Source: " + s + "."
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func codeList(l []string) string {
	if len(l) == 0 {
		return "—"
	}
	if slices.Equal(l, []string{"*"}) {
		return "any observed"
	}
	return "`" + strings.Join(l, "`, `") + "`"
}

func changeList(l []fix.Kind) string {
	if len(l) == 0 {
		return ""
	}
	var s []string
	for _, k := range l {
		s = append(s, string(k))
	}
	return " (`" + strings.Join(s, "`, `") + "`)"
}
