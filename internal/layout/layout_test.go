// Package layout holds the rules of samldoctor's package layout as a test:
// one way through the code, capture → assertion → signin → evidence →
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
//   - only awslive calls AWS (aws-sdk-go-v2);
//   - fix (the typed changes and the world they apply to) and catalog (the
//     findings as data) sit under diagnose: they import neither diagnose
//     nor anything that renders, so a change means the same to every
//     caller.
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
			if pkg == "internal/fix" || pkg == "internal/catalog" {
				switch local {
				case "diagnose", "report", "cli", "web", "audit", "idp", "signin":
					t.Errorf("%s imports %s; the changes and the catalog sit under the stage decisions and the renderers", pkg, imp)
				}
			}
			if strings.HasPrefix(imp, "github.com/aws/aws-sdk-go-v2") && pkg != "internal/awslive" {
				t.Errorf("%s imports %s; AWS calls belong to internal/awslive", pkg, imp)
			}
		}
	}
}

// The README's layout paragraph names the packages in the order a
// diagnosis flows (capture → assertion → signin → evidence → diagnose →
// report → cli and web): no package imports one named after it in that
// chain, so the paragraph is true of the imports.
func TestREADMEOrder(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "Layout, in the order a diagnosis flows")
	if i < 0 {
		t.Fatal("README has no layout paragraph")
	}
	para := text[i:]
	if j := strings.Index(para, "\n\n"); j >= 0 {
		para = para[:j]
	}
	if j := strings.Index(para, "):"); j >= 0 {
		para = para[j+2:] // after "(a test, internal/layout, holds ...)"
	}
	// The chain: the first package of each arrow-separated step.
	var chain [][]string
	for _, step := range stepsOf(para) {
		var pkgs []string
		for _, f := range strings.Split(step, "`") {
			if strings.HasPrefix(f, "internal/") && !strings.Contains(f, " ") {
				pkgs = append(pkgs, f)
			}
		}
		if len(pkgs) > 0 {
			chain = append(chain, pkgs[:1])
		}
	}
	// The last step names cli and web.
	if last := stepsOf(para); len(last) > 0 && strings.Contains(last[len(last)-1], "`internal/web`") {
		chain[len(chain)-1] = append(chain[len(chain)-1], "internal/web")
	}
	want := []string{"internal/capture", "internal/assertion", "internal/signin", "internal/evidence", "internal/diagnose", "internal/report", "internal/cli"}
	var got []string
	for _, c := range chain {
		got = append(got, c[0])
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("README's chain is %v, want %v", got, want)
	}
	imps := imports(t)
	seen := map[string]bool{}
	defer func() {
		for k := range backwards {
			if !seen[k] {
				t.Errorf("%s no longer imports backwards: drop it from backwards (and ARCHITECTURE.md)", k)
			}
		}
	}()
	for a := range chain {
		for b := a + 1; b < len(chain); b++ {
			for _, pa := range chain[a] {
				for _, pb := range chain[b] {
					for _, imp := range imps[pa] {
						if imp != module+pb {
							continue
						}
						if why, ok := backwards[pa+" "+pb]; ok {
							seen[pa+" "+pb] = true
							t.Logf("known: %s imports %s: %s", pa, pb, why)
							continue
						}
						t.Errorf("%s imports %s, which the README names after it", pa, pb)
					}
				}
			}
		}
	}
}

// backwards are the imports against the README's order that remain, each
// with its reason (ARCHITECTURE.md says the same).
var backwards = map[string]string{
	"internal/capture internal/assertion": "capture decodes and parses each message while it streams the HAR (Message.Parsed), so that a 1 GiB capture is read once; moving the parse to signin is open work",
}

// stepsOf splits the layout paragraph at its arrows outside parentheses
// (an arrow inside one is a package's own flow: values → messages).
func stepsOf(para string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range para {
		switch {
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == '→' && depth == 0:
			out = append(out, para[start:i])
			start = i + len("→")
		}
	}
	return append(out, para[start:])
}
