package redact

import (
	"html"
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/secret"
)

// maxLayers bounds how many encodings deep lastLook looks.
const maxLayers = 3

// A layer is an escaping text can hide another text in: percent-encoding
// (a URL's value holding a script, a URL, a SAML message), HTML entities
// (a text node holding escaped XML or markup), JavaScript escapes (a
// string holding \u003c-escaped XML).
type layer struct {
	// has says s may hold text in this escaping.
	has func(s string) bool
	// boundary ends a piece: a byte the escaping would have encoded.
	boundary func(c byte) bool
	// in says a piece is written in the escaping.
	in             func(piece string) bool
	decode, encode func(string) string
}

var layers = []layer{
	{
		has:      func(s string) bool { return strings.Contains(s, "%") },
		boundary: func(c byte) bool { return strings.IndexByte(" \t\r\n\"'`<>&?#=,;()[]{}\\", c) >= 0 },
		in:       hasPercentEscape,
		decode:   secret.UnescapeURL,
		encode:   url.QueryEscape,
	},
	{
		has:      func(s string) bool { return strings.Contains(s, "&lt;") || strings.Contains(s, "&#") },
		boundary: func(c byte) bool { return c == '<' || c == '>' || c == '"' },
		in: func(p string) bool {
			return strings.Contains(p, "&lt;") || strings.Contains(p, "&#60;") || strings.Contains(p, "&#x3c;") || strings.Contains(p, "&#x3C;") || strings.Contains(p, "&#34;") || strings.Contains(p, "&quot;")
		},
		decode: html.UnescapeString,
		encode: html.EscapeString,
	},
	{
		has:      func(s string) bool { return strings.Contains(s, `\`) },
		boundary: func(c byte) bool { return c == '"' || c == '\'' || c == '\n' || c == '<' || c == '>' },
		in:       func(p string) bool { return strings.Contains(p, `\`) },
		decode:   secret.UnescapeJS,
		encode:   secret.EscapeJS,
	},
}

func hasPercentEscape(p string) bool {
	for i := 0; i+2 < len(p); i++ {
		if p[i] == '%' && isHexByte(p[i+1]) && isHexByte(p[i+2]) {
			return true
		}
	}
	return false
}

func isHexByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// lookInLayers is lastLook applied to each piece of s written in an
// escaping: the piece is decoded, looked at, and written back in its
// escaping when that changed it. A piece is a run of bytes its escaping
// would have encoded none of.
func lookInLayers(s string, depth int) string {
	if depth >= maxLayers {
		return s
	}
	for _, l := range layers {
		if !l.has(s) {
			continue
		}
		var b strings.Builder
		last := 0
		for i := 0; i < len(s); {
			if l.boundary(s[i]) {
				i++
				continue
			}
			j := i
			for j < len(s) && !l.boundary(s[j]) {
				j++
			}
			if piece := s[i:j]; l.in(piece) {
				if dec := l.decode(piece); dec != piece {
					if nd := lookDepth(dec, depth+1); nd != dec {
						b.WriteString(s[last:i])
						b.WriteString(l.encode(nd))
						last = j
					}
				}
			}
			i = j
		}
		if last > 0 {
			b.WriteString(s[last:])
			s = b.String()
		}
	}
	return s
}
