package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// sgr are the only escape sequences samldoctor writes itself (Style's
// colours); neutralise leaves them alone.
var sgr = []string{"\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m"}

// neutralise makes the C0 and C1 control characters of s visible, so that
// what an input holds is shown and never obeyed by a terminal: ESC is
// written \x1b, a C1 control \u009b, a bidirectional override \u202e, DEL \x7f, a byte that is not UTF-8
// \xff. Newlines and tabs stay, and with color Style's colour sequences
// (an input's own sequence identical to one of them then gets through,
// which changes colour at most).
func neutralise(s string, color bool) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == 0x1b && color {
			if seq := styleSeq(s[i:]); seq != "" {
				b.WriteString(seq)
				i += len(seq)
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f || isBidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func styleSeq(s string) string {
	for _, q := range sgr {
		if strings.HasPrefix(s, q) {
			return q
		}
	}
	return ""
}

// isClean reports whether s is UTF-8 without controls other than newline
// and tab (a C1 control is encoded 0xc2 0x80-0x9f).
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] <= 0x9f {
			return false
		}
	}
	return utf8.ValidString(s) && !strings.ContainsFunc(s, isBidi)
}

// isBidi reports whether r is a bidirectional control (the embeddings,
// overrides and isolates, the marks): text around it shows in another
// order than it is, as a file name "invoice\u202Egpj.exe" does.
func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}

// escapeC1 writes the C1 controls (U+0080 to U+009F) of encoded JSON as
// JSON escapes, as encoding/json already does the C0 ones: a terminal
// shown the JSON would obey them raw. Encoded JSON is UTF-8 with its
// structure in ASCII, so a 0xc2 byte is always the start of a character
// inside a string.
func escapeC1(b []byte) []byte {
	if !bytes.Contains(b, []byte{0xc2}) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); i++ {
		if b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			out = fmt.Appendf(out, `\u%04x`, b[i+1])
			i++
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// Plain is s with its control characters made visible, for lines the
// CLI writes itself (errors and notes on standard error) that carry
// file names and other input text.
func Plain(s string) string { return neutralise(s, false) }
