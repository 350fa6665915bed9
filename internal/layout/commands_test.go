package layout

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mutating matches the start of an AWS CLI command that changes the
// account: the verbs of the services samldoctor writes fixes for.
var mutating = regexp.MustCompile(`\baws (iam|connect|organizations|sts|sso-admin|identitystore|cloudtrail) (create|update|put|delete|associate|disassociate|attach|detach|tag|untag|set|add|remove|enable|disable|replace|upload|start|stop)-[a-z-]+`)

// renderer is the one file that writes such commands, from typed changes
// (see internal/report/render.go).
const renderer = "internal/report/render.go"

// Every mutating AWS CLI command is rendered from a typed change in one
// place: a string literal holding one anywhere else in the code (or in the
// IdP products' data) is a command written beside the change that was
// checked, not from it.
func TestMutatingCommandsAreRendered(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	seenRenderer := false
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				if m := mutating.FindString(s); m != "" {
					if rel == renderer {
						seenRenderer = true
					} else {
						found = append(found, fset.Position(lit.Pos()).String()+": "+m)
					}
				}
				return true
			})
		case strings.HasPrefix(rel, "internal/idp/products/") && strings.HasSuffix(rel, ".json"):
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mutating.FindAllString(string(b), -1) {
				found = append(found, rel+": "+m)
			}
		}
		return nil
	})
	for _, f := range found {
		t.Errorf("a mutating AWS command written outside %s: %s", renderer, f)
	}
	if !seenRenderer {
		t.Errorf("%s writes no mutating command: the test would hold nothing", renderer)
	}
}
