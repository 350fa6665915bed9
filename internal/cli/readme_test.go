package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/cli"
)

// The README's examples of output are what the commands print: each
// "$ samldoctor ..." block of the README is run from the repository root
// and compared. A "…" in a block stands for text left out.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```\n\\$ samldoctor ([^\n]*)\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("no example in the README")
	}
	t.Chdir(filepath.Join("..", ".."))
	t.Setenv("NO_COLOR", "1")
	for _, b := range blocks {
		args, want := strings.Fields(string(b[1])), string(b[2])
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			cli.Main(args, strings.NewReader(""), &out, &errOut)
			parts := strings.Split(want, "…")
			for i, p := range parts {
				parts[i] = regexp.QuoteMeta(p)
			}
			if !regexp.MustCompile(`^(?s)` + strings.Join(parts, ".*?") + `$`).MatchString(out.String()) {
				t.Errorf("the README shows:\n%s\nthe command prints:\n%s%s", want, out.String(), errOut.String())
			}
		})
	}
}
