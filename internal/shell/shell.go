// Package shell writes values from the evidence into the commands
// samldoctor prints, so that pasting a command runs that command and
// nothing else.
package shell

import (
	"regexp"
	"strings"
)

// safeWord is a shell word that needs no quoting in bash, zsh or
// PowerShell: ARNs, IDs, Regions, e-mail addresses.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// Quote writes a value from the evidence as one shell word, so that
// nothing in a capture or an AWS output (a space, ;, $, a newline, a
// brace) can run as a command when the line is pasted: words outside
// safeWord go in single quotes, where the shell reads every character as
// it is.
func Quote(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// HasControl reports whether s holds a control character: quoted, it
// could run nothing, but it is not a value AWS takes, and a line that
// spans lines is not pasted whole.
func HasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) })
}
