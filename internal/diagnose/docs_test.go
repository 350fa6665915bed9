package diagnose_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// Every id the code can produce is in the catalog, and every catalog
// entry is produced somewhere.
func TestCatalogCoversFindings(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	// samldoctor audit reports under the same catalog.
	audit, _ := filepath.Glob(filepath.Join("..", "audit", "*.go"))
	files = append(files, audit...)
	re := regexp.MustCompile(`(?:ID: |need\()"([a-z]+\.[a-z_]+)"`)
	emitted := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, _ := os.ReadFile(f)
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			if m[1] == "signin.success" {
				continue // a symptom, not a finding
			}
			emitted[m[1]] = true
			if _, ok := catalog.Lookup(m[1]); !ok {
				t.Errorf("%s emits %s, which the catalog (findings.json) does not define", f, m[1])
			}
		}
	}
	// An IdP's error page is reported under the cause its product's
	// data (internal/idp/products) names.
	for _, p := range idp.Products {
		for _, e := range p.Errors {
			emitted[e.ID] = true
			if _, ok := catalog.Lookup(e.ID); !ok {
				t.Errorf("idp product %s names the cause %s, which the catalog (findings.json) does not define", p.ID, e.ID)
			}
		}
	}
	if len(emitted) < 40 {
		t.Errorf("only %d ids found in the source; the pattern is stale", len(emitted))
	}
	kinds := map[fix.Kind]bool{}
	for _, k := range fix.Kinds {
		kinds[k] = true
	}
	for _, e := range catalog.Catalog {
		if !emitted[e.ID] {
			t.Errorf("catalog entry %s is produced nowhere", e.ID)
		}
		if e.Cause == "" && !strings.HasPrefix(e.ID, "needs.") || e.Fix == "" || e.Section == "" {
			t.Errorf("catalog entry %s lacks its cause, fix or section", e.ID)
		}
		for _, k := range e.Changes {
			if !kinds[k] {
				t.Errorf("catalog entry %s names an unknown change kind %s", e.ID, k)
			}
		}
	}
}

// checkAgainstCatalog holds a diagnosis to the catalog: each finding's
// stage is its entry's, it explains only what the entry says it can, and
// its fixes are made of the entry's kinds of change.
func checkAgainstCatalog(t *testing.T, res *diagnose.Result) {
	t.Helper()
	for _, f := range res.Findings {
		e, ok := catalog.Lookup(f.ID)
		if !ok {
			t.Errorf("%s is not in the catalog", f.ID)
			continue
		}
		if e.Stage != "" && f.Stage != e.Stage {
			t.Errorf("%s has stage %q, the catalog %q", f.ID, f.Stage, e.Stage)
		}
		for _, x := range f.Explains {
			if !slices.Contains(e.Explains, x) && !slices.Contains(e.Explains, "*") {
				t.Errorf("%s explains %s, which the catalog does not list", f.ID, x)
			}
		}
		fixes := f.Alternatives
		if f.Fix != nil {
			fixes = append([]diagnose.Fix{*f.Fix}, fixes...)
		}
		for _, fx := range fixes {
			for _, c := range fx.Changes {
				if !slices.Contains(e.Changes, c.Kind()) {
					t.Errorf("%s has a fix with change %s, which the catalog does not list", f.ID, c.Kind())
				}
			}
		}
	}
}
