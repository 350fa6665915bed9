package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/cli"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = cli.Main(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// A file name holding terminal escapes reaches standard error visibly,
// never raw, in error messages and in redact's summary; a plain name is
// printed as it is.
func TestErrorsNeutraliseNames(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "z\x1b]0;pwned\x07.har")
	os.WriteFile(bad, []byte("not json"), 0o644)
	plain := filepath.Join(dir, "plain.har")
	os.WriteFile(plain, []byte("not json"), 0o644)
	for _, args := range [][]string{
		{"diagnose", bad},
		{"inspect", bad},
		{"redact", bad, "-o", filepath.Join(dir, "out.har")},
		{"diagnose", filepath.Join(dir, "missing\x1b[31m.har")},
		{"diagnose", "--bogus\x1b[31m", plain},
	} {
		code, _, stderr := run(args...)
		if code != 2 || strings.ContainsAny(stderr, "\x1b\x07") || !strings.Contains(stderr, `\x1b`) {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	// Near miss: a plain name is shown as it is.
	if _, _, stderr := run("diagnose", plain); !strings.Contains(stderr, plain+":") {
		t.Errorf("plain name: stderr %q", stderr)
	}
	// redact's summary line on success.
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "not-onboarded.har"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in\x1b[2J.har")
	os.WriteFile(in, src, 0o644)
	if code, _, stderr := run("redact", in, "-o", filepath.Join(dir, "r.har")); code != 0 || strings.Contains(stderr, "\x1b") {
		t.Errorf("redact summary: exit %d, stderr %q", code, stderr)
	}
}

// redact refuses to write through a link to its own input (the capture
// would be replaced by its redacted copy); a new file is written.
func TestRedactRefusesItsInputByAnotherName(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "not-onboarded.har"))
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "capture.har")
	os.WriteFile(in, src, 0o644)
	link := filepath.Join(dir, "link.har")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("redact", in, "-o", link)
	if code != 2 || !strings.Contains(stderr, "under another name") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(in); !bytes.Equal(b, src) {
		t.Error("the input was overwritten")
	}
	// Near miss: a new file.
	if code, _, stderr := run("redact", in, "-o", filepath.Join(dir, "new.har")); code != 0 {
		t.Errorf("new file: exit %d, stderr %q", code, stderr)
	}
}

// decode given the value itself instead of a file says so without
// echoing it; a missing short file name is the usual error.
func TestDecodeValueAsArgument(t *testing.T) {
	value := strings.Repeat("PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6", 40)
	code, _, stderr := run("decode", value)
	if code != 2 || !strings.Contains(stderr, "looks like the value itself") || strings.Contains(stderr, value[:60]) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run("decode", "missing.txt"); code != 2 || strings.Contains(stderr, "looks like the value") || !strings.Contains(stderr, "missing.txt") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}
