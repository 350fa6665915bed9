package report

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
)

// The words of a report are chosen where it is rendered, for where it is
// read. The findings are written once, in the command line's terms
// ("pass the files with --aws-data"); the page (samldoctor serve) has
// no flags but controls, so its renderer says the same in its own terms
// ("add the files under “AWS CLI outputs”"), and words for the page's
// tokens (where a message was seen, a signature's verdict) are the ones
// the command line prints.

// Medium is where a report is read.
type Medium int

// Media.
const (
	// CLI is a terminal, a file or a program: the flags' own names.
	CLI Medium = iota
	// Web is samldoctor serve's page: its controls' labels.
	Web
)

// The page's controls, by the label it shows them with (index.html uses
// the same words; TestPageLabels holds the two together).
const (
	LabelAWSData     = "AWS CLI outputs"
	LabelIdPMetadata = "IdP metadata"
	LabelIdPCert     = "IdP signing certificate"
	LabelValue       = "…or paste a SAMLResponse"
	LabelIdPUsers    = "The IdP's user export"
	LabelAssignments = "Who is assigned to the Connect application"
	LabelFilter      = "Only the rows where"
	LabelField       = "Session-name column"
	LabelTransform   = "The IdP lower-cases it"
	LabelSince       = "CloudTrail period"
	LabelTrail       = "CloudTrail log files"
)

// PageLabels are the labels above, for the test that finds each on the
// page.
var PageLabels = []string{LabelAWSData, LabelIdPMetadata, LabelIdPCert, LabelValue, LabelIdPUsers, LabelAssignments, LabelFilter, LabelField, LabelTransform, LabelSince, LabelTrail}

func q(label string) string { return "“" + label + "”" }

// webPhrases turn the command line's advice into the page's: whole
// phrases first, so that the sentence still reads, then any flag left.
var webPhrases = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`pass the files, or their folder, with --aws-data`), "add the files they write under " + q(LabelAWSData) + " (several can be chosen at once)"},
	{regexp.MustCompile(`pass (that file|their files|the AWS CLI outputs|them) with --aws-data`), "add $1 under " + q(LabelAWSData)},
	{regexp.MustCompile(`\(audit it with --aws-data ([^ ,)]+)`), "(audit it with $1 under " + q(LabelAWSData)},
	{regexp.MustCompile(`(?:samldoctor )?diagnose --aws(?: --full-user-list)? \(or aws connect list-users\) reads every user`), "samldoctor serve --aws --full-user-list (or aws connect list-users, its output under " + q(LabelAWSData) + ") reads every user"},
	{regexp.MustCompile(`(?:samldoctor )?diagnose --aws reads them`), "samldoctor serve --aws (started so) reads them"},
	{regexp.MustCompile(`\(or --aws\)`), "(or samldoctor serve --aws)"},
	{regexp.MustCompile(`run samldoctor again with --aws`), "start samldoctor serve again with --aws"},
	{regexp.MustCompile(`(?:samldoctor )?collect --script bash\|powershell prints`), "on the command line, samldoctor collect CAPTURE.har --script bash|powershell prints"},
	{regexp.MustCompile(`samldoctor diagnose capture\.har --aws\b`), "the capture under “The sign-in”, with samldoctor serve --aws"},
	{regexp.MustCompile(`Run samldoctor diagnose on the HAR and the value file together \(samldoctor diagnose capture\.har samlresponse\.txt\)`), "Choose the HAR above and paste the value under " + q(LabelValue) + ", then press Diagnose"},
	{regexp.MustCompile(`also pass the IdP's current metadata: --idp-metadata (\S+)`), "also add the IdP's current metadata ($1) under " + q(LabelIdPMetadata)},
	{regexp.MustCompile(`audit again with --idp-metadata`), "audit again with the IdP's metadata under " + q(LabelIdPMetadata)},
	{regexp.MustCompile(`audit again with --session-name-field set to its column`), "audit again with that column as " + q(LabelField)},
	{regexp.MustCompile(`name the column with --session-name-field`), "name the column under " + q(LabelField)},
	{regexp.MustCompile(`\(--idp-cert or --idp-metadata\)`), "(under " + q(LabelIdPCert) + " or " + q(LabelIdPMetadata) + ")"},
	{regexp.MustCompile(`the IdP metadata \(--idp-metadata\)`), "the IdP metadata (" + q(LabelIdPMetadata) + ")"},
	{regexp.MustCompile(`neither --idp-metadata nor`), "neither the IdP metadata (" + q(LabelIdPMetadata) + ") nor"},
	{regexp.MustCompile(`decrypted here with --sp-key`), "decrypted here with the key samldoctor serve was started with (--sp-key)"},
	{regexp.MustCompile(`The key passed with --sp-key`), "The key samldoctor serve was started with (samldoctor serve --sp-key)"},
	{regexp.MustCompile(`or pass that key to --sp-key`), "or start samldoctor serve with --sp-key and that key"},
	{regexp.MustCompile(`Pass the private key (.*?) with --sp-key`), "Start samldoctor serve with --sp-key and the private key $1"},
	{regexp.MustCompile(`give it to samldoctor audit --trail`), "choose it under " + q(LabelTrail) + ", in Audit the account"},
	{regexp.MustCompile(`go to samldoctor audit --trail`), "go under " + q(LabelTrail) + ", in Audit the account"},
	{regexp.MustCompile(`goes after --aws-data`), "goes under " + q(LabelAWSData)},
	{regexp.MustCompile(`the folder of AWS CLI outputs to --aws-data`), "the AWS CLI outputs in it under " + q(LabelAWSData)},
	{regexp.MustCompile(`SAML metadata goes to --idp-metadata`), "SAML metadata goes under " + q(LabelIdPMetadata)},
	{regexp.MustCompile(`--aws-data takes`), q(LabelAWSData) + " takes"},
	{regexp.MustCompile(`^--aws-data:? `), q(LabelAWSData) + ": "},
	{regexp.MustCompile(`^--idp-metadata:? `), q(LabelIdPMetadata) + ": "},
	{regexp.MustCompile(`^--trail:? `), q(LabelTrail) + ": "},
	{regexp.MustCompile(`^--since ("[^"]*"): give days \(7d\) or a duration \(36h\)`), q(LabelSince) + " $1: give days (7d) or a duration (36h)"},
	{regexp.MustCompile(`--idp-users-filter ("[^"]*"): give COLUMN=VALUE`), q(LabelFilter) + " $1: give COLUMN=VALUE"},
	{regexp.MustCompile(`--session-name-transform ("[^"]*"): use none or lower`), q(LabelTransform) + " $1: use none or lower"},
}

// webFlags are samldoctor's flags the page has a control for: any
// mention left after the phrases names the control.
var webFlags = map[string]string{
	"--aws-data":               LabelAWSData,
	"--idp-metadata":           LabelIdPMetadata,
	"--idp-cert":               LabelIdPCert,
	"--idp-users":              LabelIdPUsers,
	"--idp-assignments":        LabelAssignments,
	"--idp-users-filter":       LabelFilter,
	"--session-name-field":     LabelField,
	"--session-name-transform": LabelTransform,
	"--since":                  LabelSince,
	"--trail":                  LabelTrail,
}

var flagRE = regexp.MustCompile(`--[a-z][a-z-]*[a-z]`)

// Say is s in the medium's terms: itself on the command line; on the
// page, the command line's advice said with the page's controls.
func (m Medium) Say(s string) string {
	if m != Web || !strings.Contains(s, "--") {
		return s
	}
	for _, p := range webPhrases {
		s = p.re.ReplaceAllString(s, p.with)
	}
	return flagRE.ReplaceAllStringFunc(s, func(f string) string {
		if l, ok := webFlags[f]; ok {
			return q(l)
		}
		return f
	})
}

// SayAll is Say on each string.
func (m Medium) SayAll(l []string) []string {
	if m != Web || l == nil {
		return l
	}
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = m.Say(s)
	}
	return out
}

// SeenWords says where a message was seen, after its place ("entry 1:"):
// "POST to URL", "in a form on URL → form action URL (AWS role
// chooser)", "in the URL of URL", ... with the roleIndex picked.
func SeenWords(where, url, formAction string, roleChooser bool, roleIndex string) string {
	if where == "value" && url == "" {
		return "the SAML value itself"
	}
	w := map[string]string{"post": "POST to", "query": "in the URL of", "html-form": "in a form on", "saml-tracer": "stored by SAML-tracer for", "value": "in"}[where]
	if w == "" {
		w = "seen at"
	}
	s := w + " " + url
	if where == "html-form" {
		s += " → form action " + formAction
		if roleChooser {
			s += " (AWS role chooser)"
		}
	}
	if roleIndex != "" {
		s += " with roleIndex " + roleIndex
	}
	return s
}

// PlaceWords is where a message was seen, with its file and entry.
func PlaceWords(p capture.Place) string {
	loc := fmt.Sprintf("%s entry %d", p.File, p.Entry)
	if p.Entry < 0 {
		loc = p.File
	}
	return loc + ": " + SeenWords(p.Where, p.URL, p.FormAction, p.RoleChooser, p.RoleIndex)
}

// SignatureWords says a signature's verdict: "verified with …", "not
// verified: …", "invalid: …".
func SignatureWords(v assertion.Verification) string {
	switch v.Status {
	case assertion.SigValid:
		return "verified with " + v.CertSource
	case assertion.SigValidEmbedded:
		return "not verified: intact, but only the certificate the message carries itself checks it; give the IdP's certificate or metadata, or the IAM SAML provider (get-saml-provider), to verify it"
	case assertion.SigInvalid:
		if v.Reason != "" {
			return "invalid: " + v.Reason
		}
		return "invalid"
	case assertion.SigRedacted:
		return "not verified: its value was removed (samldoctor redact), so it cannot be checked"
	case assertion.SigUnchecked:
		return "not verified: no certificate to check it with"
	}
	return v.Status
}

// checkForMedium drops the check of a request for evidence: its fix
// changes nothing (the command line prints no check under it either).
func checkForMedium(id string, c Check) Check {
	if diagnose.AsksForEvidence(id) {
		return Check{After: []string{}}
	}
	return c
}
