package fix

import "errors"

// Check is the result of applying a fix's changes to a copy of the
// evidence and diagnosing again.
type Check struct {
	// Result is Passes, StillFails or NotChecked.
	Result string
	// After are the ids still in error after the change.
	After []string
	// Why says in one sentence what the check found, or why it was not
	// made.
	Why string
	// Uncovered are the stages the evidence does not cover, so the check
	// could not judge them.
	Uncovered []string
	// Breaks names what works today that the change would break.
	Breaks []string
}

// Check results.
const (
	Passes     = "passes"
	StillFails = "still_fails"
	NotChecked = "not_checked"
)

// ApplyAll makes the changes in w, in order; when one cannot be made,
// the check that says why (nil when all were made).
func ApplyAll(w *World, changes []Change) *Check {
	for _, c := range changes {
		if err := c.Apply(w); err != nil {
			return Failed(err)
		}
	}
	return nil
}

// Failed is the check of a change that could not be made.
func Failed(err error) *Check {
	var e *Error
	switch {
	case errors.As(err, &e) && e.Refused:
		return &Check{Result: StillFails, Why: "AWS would refuse this change: " + e.Why}
	case errors.As(err, &e) && e.Wrong:
		return &Check{Result: StillFails, Why: "the change does not do what it says: " + e.Why}
	}
	return &Check{Result: NotChecked, Why: "not modelled: " + err.Error()}
}
