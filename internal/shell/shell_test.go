package shell

import (
	"os/exec"
	"testing"
)

// A quoted value is one word that bash reads back as it is, whatever it
// holds; a plain ARN or ID stays unquoted.
func TestQuote(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed: ", err)
	}
	for _, v := range []string{"arn:aws:iam::1:role/A", "jane doe", "x;uname", "$(id)", "`id`", "it's", "a'b'c", "{a,b}", "*", "~", "a\\b", "\"q\"", "é ü"} {
		out, err := exec.Command(bash, "-c", "printf %s "+Quote(v)).Output()
		if err != nil || string(out) != v {
			t.Errorf("%q quoted as %s reads back as %q (%v)", v, Quote(v), out, err)
		}
	}
	if Quote("arn:aws:iam::1:role/A") != "arn:aws:iam::1:role/A" {
		t.Error("a plain ARN is quoted")
	}
}

func TestHasControl(t *testing.T) {
	for s, want := range map[string]bool{"plain": false, "é": false, "a\nb": true, "\x1b[31m": true, "\u0085": true, "tab\t": true} {
		if HasControl(s) != want {
			t.Errorf("%q: %v", s, !want)
		}
	}
}
