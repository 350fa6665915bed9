// Package layout holds the rules of samldoctor's package layout as a test:
// one way through the code, capture → signin → assertion → evidence →
// diagnose → report → cli and web.
package layout

import (
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/samldoctor/samldoctor/"

// imports lists each package of the module (non-test files) with what it
// imports.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string][]string{}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" {
			if d != nil && d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		p, err := build.Default.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files, or only tests
		}
		rel, _ := filepath.Rel(root, path)
		out[filepath.ToSlash(rel)] = p.Imports
		return nil
	})
	if len(out) < 20 {
		t.Fatalf("only %d packages found", len(out))
	}
	return out
}

// The import rules:
//   - capture reads formats and imports nothing that knows AWS (the sign-in
//     path's rules come from signin);
//   - only assertion parses XML and checks signatures (etree, goxmldsig);
//     fixture builds signed test inputs and is exempt, as are the tools that
//     record browser captures;
//   - only awslive calls AWS (aws-sdk-go-v2).
func TestImportRules(t *testing.T) {
	awsKnowledge := []string{"awsarn", "errorpage", "evidence", "diagnose", "iampolicy", "idp", "awslive", "signin", "report"}
	for pkg, imps := range imports(t) {
		for _, imp := range imps {
			local := strings.TrimPrefix(imp, module+"internal/")
			if pkg == "internal/capture" {
				for _, k := range awsKnowledge {
					if local == k {
						t.Errorf("capture imports %s, which knows AWS", imp)
					}
				}
			}
			if strings.HasPrefix(imp, "github.com/beevik/etree") || strings.HasPrefix(imp, "github.com/russellhaering/goxmldsig") {
				if pkg != "internal/assertion" && pkg != "internal/fixture" && !strings.HasPrefix(pkg, "tools/") {
					t.Errorf("%s imports %s; XML belongs to internal/assertion", pkg, imp)
				}
			}
			if strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2") && pkg != "internal/awslive" {
				t.Errorf("%s imports %s; AWS calls belong to internal/awslive", pkg, imp)
			}
		}
	}
}
