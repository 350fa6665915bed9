package report

import (
	"strings"
	"testing"
)

func TestNeutralise(t *testing.T) {
	tests := []struct {
		in    string
		color bool
		want  string
	}{
		{"plain text, é and 日本\n\tindented", false, "plain text, é and 日本\n\tindented"},
		{"clear\x1b[2Jscreen", false, `clear\x1b[2Jscreen`},
		{"title\x1b]0;pwned\x07", true, `title\x1b]0;pwned\x07`},
		{"cr\rbs\bdel\x7fnul\x00", false, `cr\x0dbs\x08del\x7fnul\x00`},
		{"c1 csi\u009b2J nel\u0085 nbsp\u00a0", false, `c1 csi\u009b2J nel\u0085 nbsp` + "\u00a0"},
		{"bad \xff\xfe byte", false, `bad \xff\xfe byte`},
		{"invoice\u202egpj.exe \u2066iso\u2069 \u200f", false, `invoice\u202egpj.exe \u2066iso\u2069 \u200f`},
		// Near miss: other format characters and arrows stay.
		{"zero\u200bwidth \u2192 arrow \u2028", false, "zero\u200bwidth \u2192 arrow \u2028"},
		// Style's own colours pass only when colour is on.
		{Style{Color: true}.Red("ERROR") + " x", true, "\x1b[31mERROR\x1b[0m x"},
		{"\x1b[31mred", false, `\x1b[31mred`},
		{"\x1b[31m\x1b[8mhidden", true, "\x1b[31m" + `\x1b[8mhidden`},
	}
	for _, tt := range tests {
		if got := neutralise(tt.in, tt.color); got != tt.want {
			t.Errorf("neutralise(%q, %v) = %q, want %q", tt.in, tt.color, got, tt.want)
		}
	}
}

func TestEscapeC1(t *testing.T) {
	var b strings.Builder
	if err := writeJSON(&b, map[string]string{"v": "a\u009bb\u0085c\u00a0d\x1be"}); err != nil {
		t.Fatal(err)
	}
	if want := `{` + "\n" + `  "v": "a\u009bb\u0085c` + "\u00a0" + `d\u001be"` + "\n}\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestMarkdownFromInputs(t *testing.T) {
	esc := []struct{ in, want string }{
		{"plain words.", "plain words."},
		{"[click](https://evil.example/) ![x](https://evil.example/t.png)", `\[click\](https://evil.example/) \!\[x\](https://evil.example/t.png)`},
		{`<img src=x onerror=alert(1)> &lt; a\b`, `&lt;img src=x onerror=alert(1)&gt; &amp;lt; a\\b`},
		{"`code` **bold** _it_ a|b", "\\`code\\` \\*\\*bold\\*\\* \\_it\\_ a\\|b"},
	}
	for _, tt := range esc {
		if got := mdEscape(tt.in); got != tt.want {
			t.Errorf("mdEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	code := []struct{ in, want string }{
		{"arn:aws:iam::1:role/R", "`arn:aws:iam::1:role/R`"},
		{"a`b", "`` a`b ``"},
		{"x``` [l](u) ```", "```` x``` [l](u) ``` ````"},
		{"`", "`` ` ``"},
	}
	for _, tt := range code {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
