package jsonscan

import (
	"bytes"
	"strings"
	"testing"
)

func naiveSpecial(b []byte) int { return bytes.IndexAny(b, `"\`) }

func TestSpecial(t *testing.T) {
	for _, s := range []string{"", `"`, `\`, "abc", `abc"`, `abcdefg\h`, strings.Repeat("x", 63) + `"`, strings.Repeat("x", 64) + `"`,
		strings.Repeat("x", 70) + `\` + `"`, strings.Repeat("x", 70) + `"\`, strings.Repeat("é", 40) + `"`, "\x00\x01\x80\xff\"", strings.Repeat("y", 200)} {
		if got, want := special([]byte(s)), naiveSpecial([]byte(s)); got != want {
			t.Errorf("special(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzSpecial(f *testing.F) {
	f.Add([]byte(`abc"def`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := special(b), naiveSpecial(b); got != want {
			t.Fatalf("special(%q) = %d, want %d", b, got, want)
		}
	})
}
