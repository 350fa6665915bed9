package iampolicy

import "strings"

// AWS Organizations' authorization policies, SCPs and RCPs, are evaluated
// by their own rule (AWS Organizations User Guide, "SCP evaluation" and
// "RCP evaluation"): they grant nothing, they only bound what other
// policies grant. A request passes them only when every level of the path
// from the organization's root to the account (the root, each OU on the
// way, the account itself) has a policy of the kind whose Allow covers it,
// and no policy at any level denies it. An explicit Deny anywhere wins; a
// level where nothing allows the request denies it implicitly.

// Level is one level of the path to an account, with the policies of one
// kind (SCPs, or RCPs) attached to it directly.
type Level struct {
	// Target is the root (r-...), OU (ou-...) or account ID.
	Target   string
	Policies []Named
	// Complete is set when the policies attached to the target are known,
	// each with its document; Missing says what is not known otherwise.
	Complete bool
	Missing  string
}

// LevelResult is one level's verdict.
type LevelResult struct {
	Target string
	Result Result
	// Complete is the level's: an implicit deny counts only when it is.
	Complete bool
	Missing  string
}

// OrgResult is the verdict of an organization's policies of one kind on
// one request.
type OrgResult struct {
	Decision Decision
	// Deny are the Deny statements that apply, at any level.
	Deny []StatementRef
	// Blocking is the level where no policy allows the request (an
	// implicit deny), when that is the verdict.
	Blocking string
	Levels   []LevelResult
	// Reasons say what keeps the verdict undetermined.
	Reasons []string
}

// EvaluateOrg evaluates the policies of one kind attached along the path
// to an account, root first. pathComplete says whether levels holds the
// whole path up to the root; a level, or the path, not known makes an
// Allow undetermined, but never hides an explicit Deny found, nor an
// implicit deny at a level known in full.
func EvaluateOrg(levels []Level, pathComplete bool, req Request) OrgResult {
	var out OrgResult
	unknownDeny := false
	for _, l := range levels {
		res := Evaluate(l.Policies, req)
		out.Levels = append(out.Levels, LevelResult{Target: l.Target, Result: res, Complete: l.Complete, Missing: l.Missing})
		out.Deny = append(out.Deny, res.Deny...)
		for _, u := range res.Unknown {
			if u.Effect == "Deny" {
				unknownDeny = true
				out.Reasons = append(out.Reasons, u.String()+": "+u.Why)
			}
		}
	}
	if len(out.Deny) > 0 {
		out.Decision = ExplicitDeny
		return out
	}
	if unknownDeny {
		out.Decision = Undetermined
		return out
	}
	for _, l := range out.Levels {
		if l.Complete && l.Result.Decision == ImplicitDeny {
			out.Decision, out.Blocking = ImplicitDeny, l.Target
			return out
		}
	}
	for _, l := range out.Levels {
		switch {
		case !l.Complete:
			out.Reasons = append(out.Reasons, l.Target+": "+orText(l.Missing, "its policies are not all known"))
		case l.Result.Decision == Undetermined:
			out.Reasons = append(out.Reasons, l.Target+": "+strings.Join(l.Result.Reasons(), "; "))
		}
	}
	if !pathComplete {
		out.Reasons = append(out.Reasons, "the path from the organization's root to the account is not known in full")
	}
	if len(out.Reasons) > 0 || len(levels) == 0 {
		out.Decision = Undetermined
		return out
	}
	out.Decision = Allowed
	return out
}

func orText(s, x string) string {
	if s == "" {
		return x
	}
	return s
}
