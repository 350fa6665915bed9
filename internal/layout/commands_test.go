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

// fragment matches a mutating subcommand with its first flag, the part of
// a command that a literal could hold without the "aws SERVICE" before it
// ("put-role-policy --role-name ").
var fragment = regexp.MustCompile(`(^|[\s'"])(create|update|put|delete|associate|disassociate|attach|detach|tag|untag|add|remove|replace|upload)-[a-z-]+ --[a-z]`)

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
				// A literal, or literals joined with + (a command
				// split over several strings).
				s, ok := constString(n)
				if !ok {
					return true
				}
				m := mutating.FindString(s)
				if m == "" {
					m = strings.TrimSpace(fragment.FindString(s))
				}
				if m != "" {
					if rel == renderer {
						seenRenderer = true
					} else {
						found = append(found, fset.Position(n.Pos()).String()+": "+m)
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

// constString is the value of a string literal, or of string literals
// joined with +, and whether n is one. Inside a join, the whole join is
// reported once (its parts are not visited again).
func constString(n ast.Node) (string, bool) {
	switch e := n.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := constString(e.X)
		if !ok {
			return "", false
		}
		b, ok := constString(e.Y)
		return a + b, ok
	case *ast.ParenExpr:
		return constString(e.X)
	}
	return "", false
}

// The detector itself: a command split over joined literals, or a
// subcommand without "aws SERVICE", is found; prose that names a
// subcommand, and a read-only command, are not.
func TestMutatingDetector(t *testing.T) {
	for src, want := range map[string]bool{
		`"aws iam " + "put-role-policy --role-name " + role`:          true,
		`"put-role-policy --role-name x"`:                             true,
		`fmt.Sprintf("aws connect delete-user --user-id %s", id)`:     true,
		`"run the delete-user part first, then the create-user part"`: false,
		`"aws connect describe-user --user-id x"`:                     false,
		`"aws iam list-role-policies --role-name " + role`:            false,
	} {
		e, err := parser.ParseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		got := false
		ast.Inspect(e, func(n ast.Node) bool {
			if s, ok := constString(n); ok && (mutating.MatchString(s) || fragment.MatchString(s)) {
				got = true
			}
			return true
		})
		if got != want {
			t.Errorf("%s: found %v, want %v", src, got, want)
		}
	}
}
