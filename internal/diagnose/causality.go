package diagnose

import "fmt"

// stopOf is, for a symptom, the last stage the sign-in reached: AWS
// sign-in refuses at S1–S3; Connect's pages come after the RelayState,
// "Access denied" at GetFederationToken, "not onboarded" at the user,
// "Bad Request" at the binding. A success passed every stage.
var stopOf = map[string]Stage{
	"connect.access_denied_admin": StageFederation,
	"connect.not_onboarded":       StageUser,
	"connect.bad_request":         StageBinding,
	"signin.success":              "",
}

// stop is the stage the capture proves the sign-in stopped at, and the
// symptom that proves it; ok is false when the capture shows no stop.
func (r *run) stop() (stage Stage, symptom Symptom, ok bool) {
	for _, s := range r.res.Symptoms {
		if st, known := stopOf[s.ID]; known {
			return st, s, true
		}
		if len(s.ID) > 7 && s.ID[:7] == "signin." {
			return StageAssumeRole, s, true
		}
	}
	return "", Symptom{}, false
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
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		rank := stageRank(f.Stage)
		if f.Severity != Error || len(f.Explains) > 0 || rank == len(stagesJudged) {
			continue
		}
		switch {
		case rank > stopRank:
			f.Severity = Warning
			f.Downgraded = fmt.Sprintf("The capture shows the sign-in stopped before this stage (%q, at %s): this is not why it failed, but after fixing that, also fix this.", sym.Text, stage)
		case rank < stopRank && (stage != StageAssumeRole):
			f.Severity = Warning
			f.Downgraded = fmt.Sprintf("The capture shows the sign-in passed this stage (it reached %q): AWS accepted what samldoctor judges wrong here, so the evidence may be out of date or AWS's check is more lenient.", sym.Text)
		}
	}
}
