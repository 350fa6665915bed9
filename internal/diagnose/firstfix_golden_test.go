package diagnose_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files from what is printed now")

// The first fix of every failing scenario, as diagnose prints it (its
// summary, the check line, what it breaks, the IdP product's steps, the
// commands and files), through two products: Entra ID (the fixtures'
// default) and SimpleSAMLphp. The printed steps come from the fix's
// changes: a change of renderer or of the changes shows here.
// go test ./internal/diagnose -run TestFirstFixSteps -update rewrites it.
func TestFirstFixSteps(t *testing.T) {
	var b strings.Builder
	for _, product := range []string{"entra", "simplesamlphp"} {
		for _, tt := range causeCases() {
			s := base()
			if product == "simplesamlphp" {
				s = sspScenario(rsn)
			}
			tt.produce(&s)
			res := s.run(t)
			var first *diagnose.Finding
			for i := range res.Findings {
				if res.Findings[i].Severity == diagnose.Error {
					first = &res.Findings[i]
					break
				}
			}
			if first == nil {
				continue
			}
			b.WriteString("== " + product + " " + tt.id + ": " + first.ID + "\n")
			if first.Fix == nil {
				b.WriteString("explained by " + first.ExplainedBy + "\n\n")
				continue
			}
			b.WriteString(report.FixText("fix", *first.Fix) + "\n")
		}
	}
	golden := filepath.Join("testdata", "first-fixes.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Errorf("the printed first fixes changed (go test ./internal/diagnose -run TestFirstFixSteps -update, and review the diff)")
	}
}
