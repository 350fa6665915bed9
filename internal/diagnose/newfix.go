package diagnose

import (
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/shell"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// q writes a value from the evidence as one shell word, for the
// read-only commands a finding asks to run (shell.Quote).
var q = shell.Quote

// NewFix is a fix made of changes outside a diagnosis (the audit's): its
// changes are scoped and filled in as a diagnosis's are, and rendered
// (internal/report) by the same code as a
// diagnosis's.
func NewFix(aws *evidence.Set, summary string, changes ...fix.Change) *Fix {
	if aws == nil {
		aws = evidence.NewSet()
	}
	r := &run{aws: aws, subject: &signin.Subject{}}
	return r.newFix(summary, changes...)
}
