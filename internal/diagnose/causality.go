package diagnose

import (
	"fmt"

	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// stopOf is, for a symptom, the last stage the sign-in reached: AWS
// sign-in refuses at S1–S3; Connect's pages come after the RelayState,
// "Access denied" at GetFederationToken, "not onboarded" at the user,
// "Bad Request" at the binding. A success passed every stage.
var stopOf = map[string]catalog.Stage{
	"connect.access_denied_admin": catalog.StageFederation,
	"connect.not_onboarded":       catalog.StageUser,
	"connect.bad_request":         catalog.StageBinding,
	"signin.success":              "",
}

// stop is the stage the capture proves the sign-in stopped at, and the
// symptom that proves it; ok is false when the capture shows no stop.
func (r *run) stop() (stage catalog.Stage, symptom Symptom, ok bool) {
	for _, s := range r.res.Symptoms {
		if st, known := stopOf[s.ID]; known {
			return st, s, true
		}
		if len(s.ID) > 7 && s.ID[:7] == "signin." {
			return catalog.StageAssumeRole, s, true
		}
	}
	return "", Symptom{}, false
}

// alwaysError are the findings no outcome excuses: a wrapped message and
// an unsigned one are errors whatever AWS answered. AWS checks nothing more
// leniently here; when the capture shows it accepted such a message, the
// message may be an attack (acceptedAnyway).
var alwaysError = map[string]bool{"saml.signature_wrapping": true, "saml.unsigned": true}

// acceptedAnyway restates a wrapped or unsigned message that the capture
// shows AWS accepted: a possible attack, to keep the evidence of.
func (r *run) acceptedAnyway(f *Finding, sym Symptom) {
	who := "the assertion judged"
	if r.subject != nil && r.subject.RoleSessionName != "" {
		who = r.subject.RoleSessionName + ", the name the signed assertion carries"
	}
	switch f.ID {
	case "saml.signature_wrapping":
		f.Title = "AWS accepted a message with the shape of an XML signature-wrapping attack: this may be an attack"
		f.Detail = fmt.Sprintf("The capture shows the sign-in got past AWS sign-in (it reached %q), although the message carries an assertion no valid signature covers. samldoctor judges the sign-in on %s; if AWS read the unsigned assertion instead, whoever it names was signed in.", sym.Text, who)
	case "saml.unsigned":
		f.Title = "AWS accepted a message that carries no signature: this may be an attack, or the capture is not what AWS received"
		f.Detail = fmt.Sprintf("The capture shows the sign-in got past AWS sign-in (it reached %q), but AWS requires a signed assertion: the message AWS checked was not this one, or its check was bypassed.", sym.Text)
	}
	f.Fix = &Fix{Summary: "Treat this as a possible attack: keep the capture as evidence, find who produced this message, and review the sign-ins made with it.",
		After: []string{"Keep the capture file unchanged (do not redact the original); it is the evidence.",
			"Find what produced the message between the identity provider and AWS: the browser and its extensions, a proxy, a custom auto-post page, or the IdP itself.",
			"Review CloudTrail's AssumeRoleWithSAML and Connect GetFederationToken events around the capture's time for the names the message carries (the finding's evidence lists each assertion)."},
		Check: &fix.Check{Result: fix.NotChecked, Why: "who produced the message is outside the IdP, IAM and Connect configuration"}}
}

// applyCausality keeps as errors only what can have stopped the sign-in
// where the capture shows it stopped. An error in a later stage was never
// reached ("after fixing this, also check"); an error in a stage the
// capture shows passed is contradicted by AWS's own answer.
func (r *run) applyCausality() {
	stage, sym, ok := r.stop()
	if !ok {
		return
	}
	stopRank := len(stagesJudged)
	if stage != "" {
		stopRank = stageRank(stage)
	}
	// AWS accepted the message when the sign-in got past AWS sign-in.
	accepted := stage == "" || stageRank(stage) > stageRank(catalog.StageAssumeRole)
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		rank := stageRank(f.Stage)
		if alwaysError[f.ID] && f.Severity == Error {
			if accepted {
				r.acceptedAnyway(f, sym)
			}
			continue
		}
		if f.Severity != Error || len(f.Explains) > 0 || rank == len(stagesJudged) {
			continue
		}
		switch {
		case rank > stopRank:
			f.Severity = Warning
			f.Downgraded = fmt.Sprintf("The capture shows the sign-in stopped before this stage (%q, at %s): this is not why it failed, but after fixing that, also fix this.", sym.Text, stage)
		case rank < stopRank && (stage != catalog.StageAssumeRole):
			f.Severity = Warning
			f.Downgraded = fmt.Sprintf("The capture shows the sign-in passed this stage (it reached %q): AWS accepted what samldoctor judges wrong here, so the evidence may be out of date or AWS's check is more lenient.", sym.Text)
		}
	}
}
