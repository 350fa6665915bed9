package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/cli"
)

// Each shipped example's `diagnose --format json` output is pinned beside
// it: renaming a documented field, or changing a fix, shows here.
func TestExampleJSON(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	for _, name := range []string{"not-onboarded", "access-denied", "bad-request", "not-assigned"} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := []string{"diagnose", "--format", "json", "examples/" + name + ".har"}
			if _, err := os.Stat("examples/aws-data/" + name); err == nil {
				args = append(args, "--aws-data", "examples/aws-data/"+name)
			}
			code := cli.Main(args, strings.NewReader(""), &out, &errOut)
			if code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errOut.String())
			}
			golden := filepath.Join("examples", name+".diagnose.json")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s differs from the output (go test ./internal/cli -run TestExampleJSON -update, and review the diff)", golden)
			}
		})
	}
}
