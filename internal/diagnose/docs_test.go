package diagnose_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/errorpage"
)

// Every finding and symptom id the code can produce is documented.
func TestEveryIDIsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "findings.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`(?:ID: |need\()"([a-z]+\.[a-z_]+)"`)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("%s emits %s, which docs/findings.md does not document", f, m[1])
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d ids found in the source; the pattern is stale", seen)
	}
	for _, s := range errorpage.Symptoms {
		if !strings.Contains(string(doc), "`"+s.ID+"`") {
			t.Errorf("symptom %s is not documented", s.ID)
		}
	}
}
