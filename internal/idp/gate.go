package idp

import (
	"bytes"
	"regexp/syntax"
	"strings"
	"unicode"
)

// Go's regular expressions run in time linear in the text but slowly on
// large texts, and every HTML page of a capture may be an IdP's error
// page. So each pattern is gated by the words it cannot match without:
// bytes.Contains on the lower-cased page is far cheaper than the pattern,
// and a page with none of them is not searched at all. The words are
// taken from the pattern itself (its literal runs), so they cannot drift
// from it.

// requiredWords returns, for each top-level alternative of a pattern, the
// words (lower case, at least 4 letters or digits) of its longest literal
// run; nil when an alternative has none, which means no gate.
func requiredWords(pattern string) [][]string {
	flags, body := "", pattern
	if strings.HasPrefix(body, "(?i)") {
		flags, body = "(?i)", body[4:]
	}
	var out [][]string
	// The alternatives are split by hand: the parser factors common
	// prefixes out of them (S(?:impleSAMLphp error|tate information lost)).
	for _, alt := range splitAlternatives(body) {
		a, err := syntax.Parse(flags+alt, syntax.Perl)
		if err != nil {
			return nil
		}
		a = a.Simplify()
		longest := ""
		for _, run := range literalRuns(a) {
			if len(run) > len(longest) {
				longest = run
			}
		}
		words := strings.FieldsFunc(strings.ToLower(longest), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' })
		var keep []string
		for _, w := range words {
			if len(w) >= 4 {
				keep = append(keep, w)
			}
		}
		if len(keep) == 0 {
			return nil // this alternative cannot be gated
		}
		out = append(out, keep)
	}
	return out
}

// splitAlternatives splits a pattern at its top-level |.
func splitAlternatives(p string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, p[start:i])
				start = i + 1
			}
		}
	}
	return append(out, p[start:])
}

// literalRuns are the runs of literal text a regexp must match in order.
func literalRuns(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpCapture:
		return literalRuns(re.Sub[0])
	case syntax.OpConcat:
		var runs []string
		cur := ""
		for _, s := range re.Sub {
			switch s.Op {
			case syntax.OpLiteral:
				cur += string(s.Rune)
			case syntax.OpCapture:
				sub := literalRuns(s.Sub[0])
				if len(sub) == 1 && s.Sub[0].Op == syntax.OpLiteral {
					cur += sub[0]
					continue
				}
				runs = append(runs, cur)
				cur = ""
				runs = append(runs, sub...)
			default:
				runs = append(runs, cur)
				cur = ""
			}
		}
		return append(runs, cur)
	}
	return nil
}

// mayMatch reports whether a lower-cased page holds the words one of the
// pattern's alternatives needs.
func (e *ErrorPage) mayMatch(lower []byte) bool {
	if e.words == nil {
		return true
	}
	for _, alt := range e.words {
		all := true
		for _, w := range alt {
			if !bytes.Contains(lower, []byte(w)) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// MayShowError reports whether a page of host (its raw body, any case)
// holds the words of any product's error text: a page for which it is
// false need not be searched.
func MayShowError(host string, body []byte) bool {
	lower := bytes.ToLower(body)
	for _, p := range Products {
		for i := range p.Errors {
			e := &p.Errors[i]
			if e.OnHost && !p.isHost(host) {
				continue
			}
			if e.mayMatch(lower) {
				return true
			}
		}
	}
	return false
}
