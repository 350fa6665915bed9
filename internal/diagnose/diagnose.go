// Package diagnose judges an Amazon Connect SAML sign-in stage by stage
// (the SAML message, its AWS attributes, AssumeRoleWithSAML, the
// RelayState, connect:GetFederationToken, the Connect user, and the user's
// earlier sign-ins) from the evidence at hand, each attempt and the
// message AWS judged as package signin gives them, and explains each failure
// with a finding: what was seen, what it means, and the fix with the real
// values filled in. Where evidence is missing it says which input would
// settle the question, and never guesses.
package diagnose

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// Severities.
const (
	Error   = "error"
	Warning = "warning"
	Info    = "info"
)

// Evidence is one thing seen, and where.
type Evidence struct {
	What  string
	Value string
	Where string
}

// Fix is how to repair a finding: typed changes, checked before it is
// shown, and the facts of this sign-in they are rendered with.
// internal/report renders what the admin reads (the summary's steps, the
// AWS CLI commands, the policy files, the IdP's steps in general terms and
// in the recognised product's own) from them; nothing here is a command
// that changes AWS.
type Fix struct {
	Summary string
	// Changes are what the fix changes.
	Changes []fix.Change
	// Reads are read-only commands to run first: they gather what the
	// fix needs (the approved origins, a user's settings).
	Reads []string
	// Before are steps to take before the changes; After steps to take
	// after them (a placeholder to fill, what to watch for).
	Before, After []string
	// IdPText is the change to make at the identity provider in general
	// terms, for a fix whose IdP step is not one of Changes.
	IdPText string
	// ProductSteps are the IdP's steps in the product's own words
	// (ProductName) for a cause of the product's own, which no change
	// models, from its documentation (ProductDocs).
	ProductName  string
	ProductSteps []string
	ProductDocs  string
	// Product is the identity-provider product the capture shows, when
	// known: its steps are rendered with IdPValues, this sign-in's values,
	// and Sent, what the IdP sent (the NameID and each single-valued
	// attribute, when a change names a source).
	// ProductKind is the kind of product steps a fix without changes
	// takes (a manual step at the IdP).
	Product     *idp.Detection
	IdPValues   idp.Values
	Sent        map[string]string
	ProductKind string
	// DataLoss warns that a fix whose changes are not modelled loses data.
	DataLoss string
	// Check is the result of applying the changes and diagnosing again.
	Check *fix.Check
}

// Finding is one judgement, with its evidence and fix.
type Finding struct {
	ID       string
	Severity string
	Stage    catalog.Stage
	Title    string
	Detail   string
	Evidence []Evidence
	// Explains lists the observed symptom ids this finding accounts for.
	Explains []string
	Fix      *Fix
	// Alternatives are other fixes, after Fix: the ones that break
	// something that works today come last.
	Alternatives []Fix
	// Downgraded says why an error became a warning: the capture proves
	// the sign-in stopped before this stage, or passed it.
	Downgraded string
	// ExplainedBy is the earlier finding whose fix makes the same changes:
	// this one is a consequence of it, and its fix is not repeated.
	ExplainedBy string
	// Wrong are the values of the message the first fix changes, with
	// what they should be.
	Wrong []WrongValue
}

// WrongValue is a value of the SAML message that a fix changes.
type WrongValue struct {
	// Field is the attribute or element: RoleSessionName, Role, Audience,
	// Recipient, RelayState, SessionDuration.
	Field    string
	Value    string
	Expected string
}

// Symptom is what the person saw: an error page, or that the sign-in
// reached Connect.
type Symptom struct {
	ID       string
	Text     string
	Evidence []Evidence
}

// Result is a diagnosis.
type Result struct {
	// Verdict is one or two plain sentences for a contact-center admin.
	Verdict string
	Outcome string
	// FailedStage is where the sign-in stopped: the stage the capture
	// proves it stopped at, else the first stage in error; FailedAt the
	// page of the path it happens at (signin's stages).
	FailedStage catalog.Stage
	FailedAt    string
	Subject     *signin.Subject
	Symptoms    []Symptom
	Findings    []Finding
	// Signatures are the verdicts on the sign-in message's signatures.
	Signatures []assertion.Verification
	// IdP is the identity-provider product, and the evidence for it.
	IdP *idp.Detection
	// Canceled is set when Input.Context ended the diagnosis early: the
	// result is incomplete.
	Canceled bool
	// Attempts are the sign-ins of a capture that holds several, in order;
	// the result is the last one's. Empty for a capture of one sign-in.
	Attempts []Attempt
}

// HasErrors reports whether any finding is an error.
func (r *Result) HasErrors() bool {
	for _, f := range r.Findings {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Failed reports whether the sign-in is not shown to have succeeded: it
// failed, an error was found, or the capture does not show the outcome
// (diagnose's exit status 1).
func (r *Result) Failed() bool {
	return r.Outcome != "succeeded" || r.HasErrors()
}

// Input is what a diagnosis is made from.
type Input struct {
	Capture *capture.Capture
	AWS     *evidence.Set
	// Certs are IdP signing certificates given by the user (--idp-cert).
	Certs []assertion.Candidate
	// Context, when set, stops the diagnosis early once it is done (the
	// page's client went away); the result then has Canceled set.
	Context context.Context
}

// run carries one diagnosis.
type run struct {
	in       Input
	aws      *evidence.Set
	res      *Result
	msg      *capture.Message
	parsed   *assertion.Message
	assert   *assertion.Assertion
	awsView  *assertion.AWS
	subject  *signin.Subject
	post     capture.Place
	posted   bool
	symptoms map[string]bool
	// role is the IAM role the sign-in used, when known from evidence.
	role *evidence.Role
	// hypothetical is set for the diagnosis a fix's check runs on a
	// changed copy of the evidence: no symptom is observed, no fix checked.
	hypothetical bool
	// covered are the stages the evidence let the diagnosis judge.
	covered map[catalog.Stage]bool
	// roleUsed is the role ARN the sign-in used (the only Role value, or
	// the role chooser's pick).
	roleUsed     string
	providerUsed string
	// global is the Global Resiliency sign-in URL the message was posted
	// to, when it was.
	global *awsarn.GlobalSignIn
	// auditAud is the SAML:aud an audit judges a trust policy for (there
	// is no assertion to read it from).
	auditAud string
	// instanceFromEvidence is set when the capture does not name the
	// instance and the one instance of the evidence was taken.
	instanceFromEvidence bool
	// elsewhere is the AWS evidence of another account or instance than
	// the sign-in's, set aside (scope.go).
	elsewhere *elsewhere
	// captureWhere says where the sign-in comes from when there is no
	// message to point at (SetAsideElsewhere).
	captureWhere string
	// strictScope sets aside everything of another instance, its
	// instances and user lists too (SetAsideElsewhere).
	strictScope bool
	// org holds the verdicts of the organization's SCPs and RCPs.
	org *orgState
}

// Run diagnoses a capture against the AWS evidence. A capture that holds
// several sign-ins (retries, another user, a success after a change) is
// diagnosed attempt by attempt; the result is the last attempt's, with
// the attempts listed.
func Run(in Input) *Result {
	if in.Capture != nil {
		if subs := signin.Attempts(in.Capture); subs != nil {
			return runAttempts(in, subs)
		}
	}
	return runOne(in)
}

// runOne diagnoses one sign-in.
func runOne(in Input) *Result {
	r := newRun(in)
	r.observeSymptoms()
	if !r.chooseMessage() {
		r.checkUnavailable()
		r.checkSessionLength()
		r.checkEmbedded()
		r.checkCCP()
		r.checkFrameRefused()
		r.noSAML()
		r.checkTruncation()
		r.productPitfalls()
		r.checkFixes()
		r.applyIdP()
		r.finish()
		return r.res
	}
	r.scopeEvidence()
	r.checkCapture()
	r.checkTruncation()
	r.stages()
	r.checkUnavailable()
	r.checkSessionLength()
	r.checkEmbedded()
	r.checkCCP()
	r.checkFrameRefused()
	if r.canceled() {
		return r.res
	}
	r.checkLive()
	r.checkElsewhere()
	r.needs()
	r.productPitfalls()
	r.checkFixes()
	if r.canceled() {
		return r.res
	}
	r.applyCausality()
	r.applyIdP()
	r.finish()
	return r.res
}

// canceled reports (and records) that the caller no longer wants the
// diagnosis.
func (r *run) canceled() bool {
	if r.in.Context != nil && r.in.Context.Err() != nil {
		r.res.Canceled = true
	}
	return r.res.Canceled
}

func newRun(in Input) *run {
	if in.AWS == nil {
		in.AWS = evidence.NewSet()
	}
	return &run{in: in, aws: in.AWS, res: &Result{Symptoms: []Symptom{}, Findings: []Finding{}, Signatures: []assertion.Verification{}},
		symptoms: map[string]bool{}, covered: map[catalog.Stage]bool{}}
}

// stages judges the sign-in stage by stage.
func (r *run) stages() {
	r.checkIdPClock()
	if r.checkSAML() {
		r.covered[catalog.StageSAML], r.covered[catalog.StageAttributes], r.covered[catalog.StageRelayState] = true, true, true
		r.checkAttributes()
		r.checkGlobal()
		r.checkAssumeRole()
		r.checkSessionTags() // after the role is found: its policies show which tags they use
		r.checkRCPs()
		r.checkRelayState()
		r.checkFederation()
		r.checkSCPs()
		r.checkUser()
		r.checkTrafficGroup()
		r.checkReplicas()
		r.checkBinding()
	}
}

// diagnoseStages is the diagnosis a fix's check runs: the stages and the
// live evidence, on the one message of a changed copy.
func (r *run) diagnoseStages() {
	if r.chooseMessage() {
		r.stages()
		r.checkLive()
	}
}

func (r *run) add(f Finding) {
	fromCatalog(&f)
	if f.Evidence == nil {
		f.Evidence = []Evidence{}
	}
	if f.Explains == nil {
		f.Explains = []string{}
	}
	// Keep only the symptoms actually observed.
	var ex []string
	for _, id := range f.Explains {
		if r.symptoms[id] {
			ex = append(ex, id)
		}
	}
	f.Explains = ex
	if f.Explains == nil {
		f.Explains = []string{}
	}
	r.res.Findings = append(r.res.Findings, f)
}

func (r *run) has(id string) bool {
	for _, f := range r.res.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

// placeWhere describes a place in the capture.
func placeWhere(p capture.Place) string {
	if p.Entry < 0 {
		return p.File
	}
	s := fmt.Sprintf("%s entry %d", p.File, p.Entry)
	if p.Method != "" || p.URL != "" {
		s += fmt.Sprintf(" (%s %s", p.Method, p.URL)
		if !p.Time.IsZero() {
			s += ", " + p.Time.UTC().Format(time.RFC3339)
		}
		s += ")"
	}
	return s
}

func pageWhere(p capture.Page) string {
	s := fmt.Sprintf("%s entry %d (%s %s", p.File, p.Entry, p.Method, p.URL)
	if !p.Time.IsZero() {
		s += ", " + p.Time.UTC().Format(time.RFC3339)
	}
	return s + fmt.Sprintf(", status %d)", p.Status)
}

// observeSymptoms records the error pages in the capture, and whether the
// sign-in reached Connect.
func (r *run) observeSymptoms() {
	seen := map[string]int{}
	r.observeCCP()
	r.observeFrameRefused()
	r.observeEmbedded()
	r.observeUnavailable()
	for _, p := range r.in.Capture.Pages {
		for _, e := range p.Errors {
			ev := Evidence{What: "error page", Value: e.Excerpt, Where: pageWhere(p)}
			if i, ok := seen[e.ID]; ok {
				r.res.Symptoms[i].Evidence = append(r.res.Symptoms[i].Evidence, ev)
				continue
			}
			seen[e.ID] = len(r.res.Symptoms)
			r.res.Symptoms = append(r.res.Symptoms, Symptom{ID: e.ID, Text: e.Text, Evidence: []Evidence{ev}})
			r.symptoms[e.ID] = true
		}
	}
	if len(r.res.Symptoms) > 0 {
		return
	}
	for _, p := range r.in.Capture.Pages {
		reached := p.Stage == "connect-app" && p.Status >= 200 && p.Status < 400
		if p.Stage == "connect-federation" && p.Status >= 300 && p.Status < 400 && isConnectApp(p.Location) {
			reached = true
		}
		if reached {
			r.res.Symptoms = append(r.res.Symptoms, Symptom{ID: "signin.success", Text: "The sign-in reached Amazon Connect.",
				Evidence: []Evidence{{What: "Connect answered", Value: fmt.Sprintf("status %d", p.Status), Where: pageWhere(p)}}})
			r.symptoms["signin.success"] = true
			return
		}
	}
}

func isConnectApp(u string) bool {
	host := u
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	return awsarn.IsConnectAppHost(host)
}

// chooseMessage picks the sign-in to diagnose: the one AWS judged
// (signin.Judge), with the instances of the AWS evidence.
func (r *run) chooseMessage() bool {
	known := make([]signin.Instance, len(r.aws.Instances))
	for k, i := range r.aws.Instances {
		known[k] = signin.Instance{ID: i.ID, Region: i.Region(), Account: i.Account()}
	}
	j := signin.Judge(r.in.Capture, known)
	if j == nil {
		return false
	}
	r.msg, r.subject = j.Message, j.Subject
	r.res.Subject = r.subject
	r.post, r.posted, r.global = j.Post, j.Posted, j.Global
	r.instanceFromEvidence = j.InstanceFromEvidence
	r.parsed = j.Message.Parsed
	if r.parsed != nil {
		// The assertion a signature covers, by the document's shape;
		// checkSignatures settles it once the signatures are verified.
		r.assert, r.awsView = r.parsed.Consumed(), r.parsed.AWS
		r.roleUsed, r.providerUsed = r.subject.RoleArn, r.subject.ProviderArn
	}
	return true
}

// judgeOn makes a the assertion the sign-in is judged on (v is the AWS
// view of it): the subject's names and the role come from it.
func (r *run) judgeOn(a *assertion.Assertion, v *assertion.AWS) {
	r.assert, r.awsView = a, v
	r.subject.JudgedOn(r.msg, a, v)
	r.roleUsed, r.providerUsed = r.subject.RoleArn, r.subject.ProviderArn
}

func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

// noSAML explains a capture without a SAMLResponse.
func (r *run) noSAML() {
	if r.idpError() {
		return // the IdP stopped the sign-in: no SAML is what it did
	}
	if r.has("connect.ccp_no_session") || r.has("ccp.origin_not_approved") || r.has(idSigninInFrame) || r.has(idDomainMismatch) || r.has(idPopupStuck) {
		return // the CCP loaded without a sign-in, or was refused: that is the finding
	}
	if r.has("aws.service_unavailable") || r.has("connect.session_max_duration") || r.has("connect.auth_profile_signout") {
		return // AWS failed, or the session ended: the message is not what is missing
	}
	if e := readEmbedding(r.in.Capture); e != nil && r.symptoms["signin.success"] && len(symptomIDs(r.res.Symptoms)) == 0 {
		return // the embedded CCP loaded with its session: a sign-in made before the capture
	}
	c := r.in.Capture
	var ev []Evidence
	for _, s := range c.Sources {
		ev = append(ev, Evidence{What: "capture read", Value: capture.CountEntries(s.Entries) + ", no SAMLResponse", Where: s.File})
	}
	if r.symptoms["connect.session_expired"] {
		r.add(Finding{ID: "connect.direct_login", Severity: Error,
			Title:    "The agent opened Amazon Connect directly instead of signing in through the identity provider",
			Evidence: ev, Explains: []string{"connect.session_expired", errorpage.SessionExpired12h},
			Fix: &Fix{Summary: "Sign in from the identity provider's app portal (IdP-initiated), or bookmark the IdP's sign-in URL for the Amazon Connect app, not the Connect URL.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "how the agent starts the sign-in is not in the IdP, IAM or Connect configuration"},
				After: []string{"Start at the identity provider (for example the Entra ID My Apps tile, the Okta dashboard tile) for the Amazon Connect application.", "Set the app's Relay State to the Connect federation URL so the agent lands in Connect."}}})
		return
	}
	detail := "Without the SAML message nothing about the sign-in can be checked. The capture may have started after the identity provider posted it, or was saved without \"Preserve log\"."
	fx := &Fix{Summary: "Capture the whole sign-in again, from the identity provider's page to the error.",
		Check: &fix.Check{Result: fix.NotChecked, Why: "a new capture is evidence, not a change to the sign-in"},
		After: []string{"Open the browser's developer tools (F12) on the Network tab before signing in.",
			"Tick \"Preserve log\" (Chrome, Edge) or \"Persist Logs\" (Firefox).",
			"Sign in through the identity provider until the error shows.",
			"Save with \"Export HAR\" / \"Save all as HAR with content\", and run samldoctor on that file."}}
	if post, ok := bodilessSignInPost(c.Pages); ok {
		// The POST is there without its form: recapturing the same way
		// would lose it again.
		ev = append(ev, Evidence{What: "POST to AWS sign-in saved without its form body", Value: fmt.Sprintf("status %d", post.Status), Where: pageWhere(post)})
		detail = "The browser recorded the POST that carried the SAMLResponse to AWS sign-in, but saved it without its form body, so the message itself is not in the file. Some browsers leave out the body of a request that navigates to another page."
		if post.Status >= 300 && post.Status < 400 && post.Location != "" {
			detail += fmt.Sprintf(" AWS answered %d and sent the browser on to %s, so AWS sign-in accepted the message; what failed came after it.", post.Status, post.Location)
		}
		fx = &Fix{Summary: "Capture the SAMLResponse itself: with SAML-tracer, or by copying it from the developer tools.",
			Check: &fix.Check{Result: fix.NotChecked, Why: "a new capture is evidence, not a change to the sign-in"},
			After: []string{"Install the SAML-tracer extension (Firefox or Chrome), sign in until the error shows, and export the trace (File > Export); samldoctor reads that file.",
				"Or: in the developer tools' Network tab, select the POST to " + post.URL + ", open its Payload (Chrome, Edge) or Request (Firefox) tab, and copy the SAMLResponse value into a file.",
				"Run samldoctor diagnose on the HAR and the value file together (samldoctor diagnose capture.har samlresponse.txt): the value gives the message, the HAR the error pages and times."}}
	}
	r.add(Finding{ID: "capture.no_saml", Severity: Error,
		Title:    "The capture holds no SAMLResponse",
		Detail:   detail,
		Evidence: ev, Explains: symptomIDs(r.res.Symptoms),
		Fix: fx})
}

// bodilessSignInPost returns the first POST to AWS sign-in that the
// capture holds without its form body.
func bodilessSignInPost(pages []capture.Page) (capture.Page, bool) {
	for _, p := range pages {
		if p.Stage == "aws-signin" && p.Form == "missing" {
			return p, true
		}
	}
	return capture.Page{}, false
}

func symptomIDs(s []Symptom) []string {
	var out []string
	for _, x := range s {
		if x.ID != "signin.success" {
			out = append(out, x.ID)
		}
	}
	return out
}

// checkCapture looks at the capture as a record: clock skew, an outcome.
func (r *run) checkCapture() {
	if r.posted && !r.post.ServerDate.IsZero() && !r.post.Time.IsZero() {
		skew := r.post.Time.Sub(r.post.ServerDate)
		if skew > 2*time.Minute || skew < -2*time.Minute {
			r.add(Finding{ID: "capture.clock_skew", Severity: Warning,
				Title: fmt.Sprintf("The computer's clock was %s off AWS's clock", roundDur(abs(skew))),
				Evidence: []Evidence{{What: "request start (the computer's clock)", Value: r.post.Time.UTC().Format(time.RFC3339), Where: placeWhere(r.post)},
					{What: "Date header of AWS's response", Value: r.post.ServerDate.UTC().Format(time.RFC3339), Where: placeWhere(r.post)}},
				Fix: &Fix{Summary: "Sync the computer's clock (NTP). It does not affect AWS's checks, but it does the identity provider's if both run on it."}})
		}
	}
	if len(r.res.Symptoms) == 0 {
		// The last answer on the path came without its body: the error
		// text, if any, is not in the capture.
		var last *capture.Page
		for i := range r.in.Capture.Pages {
			p := &r.in.Capture.Pages[i]
			if p.Stage == "aws-signin" || p.Stage == "connect-federation" || p.Stage == "connect-app" {
				last = p
			}
		}
		if last != nil && last.Status >= 200 && last.Status < 300 && last.Body == "missing" {
			r.add(Finding{ID: "capture.body_missing", Severity: Info,
				Title:    "The capture has no body for the last page of the sign-in, so the error it showed cannot be read",
				Evidence: []Evidence{{What: "response without a body", Value: fmt.Sprintf("status %d, %s", last.Status, orX(last.MimeType, "no content type")), Where: pageWhere(*last)}},
				Fix:      &Fix{Summary: "Capture again and save with content (Chrome, Edge: right-click > Save all as HAR with content; Firefox: Save All As HAR), or use the SAML-tracer extension, and note the exact error text shown."}})
		}
	}
	if r.posted && len(r.res.Symptoms) == 0 {
		after := false
		for _, p := range r.in.Capture.Pages {
			if p.File != r.post.File || p.Entry < r.post.Entry || p.Status == 0 {
				continue
			}
			switch {
			case p.Stage == "aws-signin" && (p.Status >= 300 && p.Status < 400 || p.RoleChooser || len(p.Errors) > 0):
				after = true
			case p.Stage == "connect-federation" || p.Stage == "connect-app" || p.Stage == "aws-console":
				after = true
			}
		}
		if !after {
			r.add(Finding{ID: "capture.no_outcome", Severity: Warning,
				Title:    "The capture ends before AWS answered the sign-in",
				Evidence: []Evidence{{What: "POST to AWS sign-in", Where: placeWhere(r.post)}},
				Fix:      &Fix{Summary: "Capture again and keep recording until the error page or Connect shows."}})
		}
	}
}

// checkTruncation says when a capture file ends early: what came after
// the cut, perhaps the sign-in's outcome, is not in it.
func (r *run) checkTruncation() {
	for _, w := range r.in.Capture.Warnings {
		if w.Code != capture.WarnEntriesLost {
			continue
		}
		r.add(Finding{ID: "capture.entries_lost", Severity: Warning,
			Title:    fmt.Sprintf("The SAML-tracer export %s may have lost requests: it does not chain", w.File),
			Evidence: []Evidence{{What: "export", Value: w.Message, Where: fmt.Sprintf("%s entry %d", w.File, w.Entry)}},
			Fix: &Fix{Summary: "Save a HAR from the browser's developer tools during the same kind of sign-in, and run samldoctor on it (with the SAML-tracer export if you have both).",
				After: []string{"Open the developer tools (F12) on the Network tab and tick Preserve log (Chrome, Edge) or Persist Logs (Firefox) before signing in.",
					"Sign in until the error shows, then Export HAR / Save all as HAR with content."},
				Check: &fix.Check{Result: fix.NotChecked, Why: "a new capture is evidence, not a change to the sign-in"}}})
	}
	for _, s := range r.in.Capture.Sources {
		if s.Truncated == nil {
			continue
		}
		r.add(Finding{ID: "capture.truncated", Severity: Warning,
			Title:    fmt.Sprintf("The capture file %s ends early, at byte %d: what came after it is missing", s.File, s.Truncated.Offset),
			Evidence: []Evidence{{What: "file ends early", Value: s.Truncated.Message, Where: fmt.Sprintf("%s byte %d (%s read)", s.File, s.Truncated.Offset, capture.CountEntries(s.Entries))}},
			Fix: &Fix{Summary: "Export the capture again and let the browser finish writing it (wait for the download to complete), then run samldoctor on the new file.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "a new capture is not a change to the sign-in's configuration"}}})
	}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func roundDur(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// finish orders the findings: the root causes of observed symptoms first,
// then other errors, warnings and information; and writes the verdict.
func (r *run) finish() {
	rank := func(f Finding) int {
		if f.ID == OtherAccountID {
			return -2 // everything after it was judged without that data
		}
		if alwaysError[f.ID] && f.Severity == Error {
			return -1 // a wrapped or unsigned message comes before anything judged from it
		}
		sev := map[string]int{Error: 0, Warning: 1, Info: 2}[f.Severity]
		if len(f.Explains) > 0 {
			return sev
		}
		return 3 + sev
	}
	sort.SliceStable(r.res.Findings, func(i, j int) bool {
		return rank(r.res.Findings[i]) < rank(r.res.Findings[j])
	})
	r.shareFixes()
	switch {
	case r.symptoms["signin.success"]:
		r.res.Outcome = "succeeded"
	case len(r.res.Symptoms) > 0:
		r.res.Outcome = "failed"
	case r.msg == nil:
		r.res.Outcome = "no-saml"
	default:
		r.res.Outcome = "unknown"
	}
	r.res.Verdict = r.verdict()
	r.res.FailedStage = r.failedStage()
	r.res.FailedAt = r.failedAt()
	for i := range r.res.Findings {
		r.res.Findings[i].Wrong = r.wrongValues(r.res.Findings[i].Fix)
	}
}

// failedAt is the page of the sign-in path the failure shows at: the
// IdP when it refused, AWS sign-in for S1–S3, the Connect federation for
// S4–S7, Connect itself for a direct visit.
func (r *run) failedAt() string {
	for _, f := range r.res.Findings {
		if f.Severity == Error && (f.ID == "saml.status_failed" || f.Stage == catalog.StageIdP) {
			return signin.StageIdP
		}
		if f.ID == "connect.direct_login" {
			return signin.StageConnect
		}
	}
	switch r.res.FailedStage {
	case catalog.StageSAML, catalog.StageAttributes, catalog.StageAssumeRole:
		return signin.StageSignIn
	case catalog.StageRelayState, catalog.StageFederation, catalog.StageUser, catalog.StageBinding:
		return signin.StageFederation
	}
	return ""
}

// wrongValues are the message's values the fix's changes at the IdP
// replace, with the values they set.
func (r *run) wrongValues(f *Fix) []WrongValue {
	if f == nil || r.subject == nil {
		return nil
	}
	var out []WrongValue
	for _, c := range f.Changes {
		switch c := c.(type) {
		case fix.SetAttribute:
			have := ""
			if r.awsView != nil {
				switch c.Attribute {
				case assertion.AttrRoleSessionName:
					have = r.awsView.RoleSessionName
				case assertion.AttrSessionDuration:
					have = r.awsView.SessionDuration
				}
			}
			out = append(out, WrongValue{Field: fix.ShortAttr(c.Attribute), Value: have, Expected: c.Value})
		case fix.SendRoles:
			var have []string
			if r.awsView != nil {
				for _, ro := range r.awsView.Roles {
					have = append(have, ro.Value)
				}
			}
			out = append(out, WrongValue{Field: "Role", Value: strings.Join(have, "\n"), Expected: strings.Join(c.Roles, "\n")})
		case fix.SetAudience:
			if r.assert != nil && r.assert.Conditions != nil {
				out = append(out, WrongValue{Field: "Audience", Value: strings.Join(r.assert.Conditions.Audiences, ", "), Expected: c.Value})
			}
		case fix.SetACS:
			if b := r.bearer(); b != nil {
				out = append(out, WrongValue{Field: "Recipient", Value: b.Recipient, Expected: c.Value})
			}
		case fix.SetRelayState:
			out = append(out, WrongValue{Field: "RelayState", Value: r.msg.RelayState, Expected: c.Value})
		}
	}
	return out
}

// failedStage is where the sign-in stopped: the stage of the root cause of
// what the agent saw, else the stage the capture proves it stopped at,
// else the first stage in error.
func (r *run) failedStage() catalog.Stage {
	if r.res.Outcome == "succeeded" {
		return ""
	}
	for _, f := range r.res.Findings {
		if f.Severity == Error && len(f.Explains) > 0 && f.Stage != catalog.StageCapture {
			return f.Stage
		}
	}
	if st, _, ok := r.stop(); ok {
		return st
	}
	var first catalog.Stage
	for _, f := range r.res.Findings {
		if f.Severity == Error && stageRank(f.Stage) < len(stagesJudged) && (first == "" || stageRank(f.Stage) < stageRank(first)) {
			first = f.Stage
		}
	}
	return first
}

// shareFixes says each fix once: a finding whose fix makes exactly the
// changes of an earlier one's is explained by it (the clock's skew and the
// expiry it causes), and a finding that repeats an earlier one word for
// word (the same signature error twice) is dropped.
func (r *run) shareFixes() {
	type seen struct{ id, changes string }
	var fixes []seen
	said := map[string]bool{}
	out := r.res.Findings[:0]
	for _, f := range r.res.Findings {
		key := f.ID + "\x00" + f.Severity + "\x00" + f.Title + "\x00" + evidenceKey(f.Evidence)
		if said[key] {
			continue
		}
		said[key] = true
		if f.Fix != nil && len(f.Fix.Changes) > 0 && f.Severity != Info {
			ck := changesKey(f.Fix.Changes)
			for _, s := range fixes {
				if s.changes == ck && s.id != f.ID {
					f.ExplainedBy, f.Fix, f.Alternatives = s.id, nil, nil
					break
				}
			}
			if f.Fix != nil {
				fixes = append(fixes, seen{f.ID, ck})
			}
		}
		out = append(out, f)
	}
	r.res.Findings = out
}

func evidenceKey(ev []Evidence) string {
	var b strings.Builder
	for _, e := range ev {
		b.WriteString(e.What + "\x00" + e.Value + "\x00" + e.Where + "\x01")
	}
	return b.String()
}

// changesKey writes changes for comparison: every field of each, in
// order.
func changesKey(cs []fix.Change) string {
	b, err := json.Marshal(cs)
	if err != nil {
		return fmt.Sprint(cs)
	}
	return string(b)
}
