package report

import (
	"os"
	"testing"
)

func TestStyleFor(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if StyleFor(w).Color {
		t.Error("colour on a pipe")
	}
	tests := []struct {
		terminal, noColor bool
		term              string
		want              bool
	}{
		{true, false, "xterm-256color", true},
		{true, true, "xterm-256color", false},
		{true, false, "dumb", false},
		{false, false, "xterm", false},
	}
	for _, tt := range tests {
		if got := styleFrom(tt.terminal, tt.noColor, tt.term).Color; got != tt.want {
			t.Errorf("styleFrom(%v, %v, %q) = %v", tt.terminal, tt.noColor, tt.term, got)
		}
	}
}
func TestStyleWrap(t *testing.T) {
	if got := (Style{}).Red("x"); got != "x" {
		t.Errorf("plain style added codes: %q", got)
	}
	if got := (Style{Color: true}).Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Errorf("colour style = %q", got)
	}
}
