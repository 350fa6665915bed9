package secret

import "strings"

// MaskText masks the credentials written in free text (a script, a page,
// a log, a title, a JSON or XML body that could not be read as such), in
// one pass over it:
//   - a value assigned to a credential's name: password=x, pf.pass=x,
//     AWS_SECRET_ACCESS_KEY=x, aws_session_token = x, "accessToken": "x",
//     idToken: 'x', and the parameters of URLs written in the text
//     (?SigninToken=x, &X-Amz-Signature=x, #access_token=x), also when the
//     URL is percent-encoded (%26code%3Dx) or escaped for JSON or
//     JavaScript (\u0026code=x) or HTML (&amp;code=x). "=" takes any name
//     IsParam accepts, ":" only the names IsSecretName accepts (so that
//     "Status Code: 400" stays);
//   - a value passed with a credential's name to a call, as scripts set
//     headers and storage: setRequestHeader("X-CSRF-Token", "x"),
//     localStorage.setItem('id_token', 'x'); and a member set by its name,
//     window["token"] = "x";
//   - the credentials of HTML tags, in any escaping (MaskTags);
//   - the text of an element named like a credential (<SessionToken>x<);
//   - the user information of a URL (https://user:pass@host);
//   - the signature of a JWT.
//
// Values that are already a marker are left as they are.
func MaskText(s string) string {
	if !strings.ContainsAny(s, "=:<@%\\&,") {
		return MaskJWTs(s)
	}
	s = MaskTags(s)
	var b strings.Builder
	last := 0 // s[last:] is not written yet
	mask := func(from, to int) {
		if from >= to || IsMasked(s[from:to]) {
			return
		}
		b.Grow(len(s))
		b.WriteString(s[last:from])
		b.WriteString(Marker)
		last = to
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%' || c == '\\':
			// An escape (%26, %2526, \u0026, \x26) separates names.
			i += escapeLen(s, i)
			continue
		case c == '<' && i+1 < len(s) && isNameStart(s[i+1]):
			if from, to, ok := elementText(s, i); ok {
				mask(from, to)
				i = to
				continue
			}
			i++
			continue
		case !isIdent(c):
			i++
			continue
		case i > 0 && isIdent(s[i-1]) && !afterEscape(s, i):
			i++
			continue
		}
		j := i
		for j < len(s) && isIdent(s[j]) {
			j++
		}
		name := s[i:j]
		if k, n := callArgument(s, i, j); n > 0 && IsSecretName(name) {
			if from, to := value(s, k+n); to > from && quotedAt(s, from) {
				mask(from, to)
				i = to
				continue
			}
		}
		if k, n := delimiter(s, j); n > 0 {
			colon := s[k] == ':' || s[k] == '%' && (s[k+2] == 'A' || s[k+2] == 'a')
			if colon && strings.HasPrefix(s[k+n:], "//") {
				// scheme://[userinfo@]host
				if at, end := userinfo(s, k+n+2); at > 0 {
					mask(k+n+2, at)
					i = end
					continue
				}
			} else if colon && IsSecretName(name) || !colon && IsParam(name) {
				// The value is looked for only after a credential's name,
				// and the scan goes on after it: one pass over s.
				if from, to := value(s, k+n); to > from {
					mask(from, to)
					i = to
					continue
				}
			}
		}
		i = j
	}
	if last == 0 {
		return MaskJWTs(s)
	}
	b.WriteString(s[last:])
	return MaskJWTs(b.String())
}

func isIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == '$' || c == '[' || c == ']'
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// escapeLen is the length of the escape at s[i] (%XX, %25XX, \uXXXX,
// \xXX), or 1.
func escapeLen(s string, i int) int {
	if s[i] == '%' {
		if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			if s[i+1] == '2' && s[i+2] == '5' && i+4 < len(s) && isHex(s[i+3]) && isHex(s[i+4]) {
				return 5
			}
			return 3
		}
		return 1
	}
	if i+5 < len(s) && s[i+1] == 'u' && isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]) {
		return 6
	}
	if i+3 < len(s) && s[i+1] == 'x' && isHex(s[i+2]) && isHex(s[i+3]) {
		return 4
	}
	return 2 // \n, \", \\: the escaped character is not part of a name
}

// afterEscape reports whether s[i] directly follows an escape, so starts
// a name though the escape's last character is a letter or digit.
func afterEscape(s string, i int) bool {
	for _, n := range []int{3, 5, 6, 4, 2} {
		if j := i - n; j >= 0 && (s[j] == '%' || s[j] == '\\') && escapeLen(s, j) == n {
			return true
		}
	}
	return false
}

// equals are the ways text writes '=' after a name.
var equals = []string{"=", "%3D", "%3d", "%253D", "%253d", `\u003d`, `\u003D`, `\x3d`, `\x3D`, ":", "%3A", "%3a"}

// quotes are the ways text writes a quote: plain, escaped for
// JavaScript or JSON, for HTML, for URLs. The longest come first.
var quotes = []string{`\\\"`, `\u0022`, `\u0027`, `\x22`, `\x27`, "&quot;", "&#34;", "&#39;", "&#x22;", "&#x27;", "%22", "%27", `\"`, `\'`, `"`, `'`, "`"}

// quoteAt is the quote written at s[k], or "".
func quoteAt(s string, k int) string {
	if k >= len(s) {
		return ""
	}
	switch s[k] {
	case '\\', '&', '%', '"', '\'', '`':
	default:
		return "" // every quote starts with one of these
	}
	for _, q := range quotes {
		if strings.HasPrefix(s[k:], q) {
			return q
		}
	}
	return ""
}

// quotedAt reports whether the value at s[from] was opened by a quote.
func quotedAt(s string, from int) bool {
	for _, q := range quotes {
		if from >= len(q) && s[from-len(q):from] == q {
			return true
		}
	}
	return false
}

// delimiter finds the '=' or ':' after a name at s[j] (after a closing
// quote, the ']' of obj["name"], and spaces): its offset and length, or
// n == 0.
func delimiter(s string, j int) (k, n int) {
	k = j
	if q := quoteAt(s, k); q != "" {
		k += len(q)
	}
	// The ']' of obj["name"] or name[...], also percent-encoded.
	if k < len(s) && s[k] == ']' {
		k++
	} else if strings.HasPrefix(s[k:], "%5D") || strings.HasPrefix(s[k:], "%5d") {
		k += 3
	}
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k >= len(s) || s[k] != '=' && s[k] != ':' && s[k] != '%' && s[k] != '\\' {
		return 0, 0 // every form of '=' and ':' starts with one of these
	}
	for _, e := range equals {
		if strings.HasPrefix(s[k:], e) {
			if e == "=" && strings.HasPrefix(s[k+1:], "=") {
				return 0, 0 // a comparison, ==
			}
			if e == ":" && strings.HasPrefix(s[k+1:], ":") {
				return 0, 0
			}
			return k, len(e)
		}
	}
	return 0, 0
}

// callArgument finds the ", " after a name at s[i:j] that is a call's
// first argument, written as a string ("(" and a quote before it, the
// quote after it): the offset and length of the comma, or n == 0.
func callArgument(s string, i, j int) (k, n int) {
	if i == 0 || quoteAt(s, j) == "" {
		return 0, 0
	}
	switch s[i-1] {
	case '"', '\'', '`', ';', '2', '7':
	default:
		return 0, 0 // no quote ends right before the name
	}
	q := ""
	for _, c := range quotes {
		if i >= len(c) && s[i-len(c):i] == c {
			q = c
			break
		}
	}
	if q == "" || !strings.HasPrefix(s[j:], q) {
		return 0, 0
	}
	p := i - len(q) - 1
	for p >= 0 && (s[p] == ' ' || s[p] == '\t') {
		p--
	}
	if p < 0 || s[p] != '(' {
		return 0, 0
	}
	k = j + len(q)
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k < len(s) && s[k] == ',' {
		return k, 1
	}
	return 0, 0
}

// value finds the value that starts at s[k] (after spaces, line breaks
// before a quote, and an opening quote): quoted, up to the closing quote;
// else up to a separator. A value that starts with '=' is base64 padding
// after a name-like run, not a value. "Bearer x" and the like are one
// value.
func value(s string, k int) (from, to int) {
	for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
		k++
	}
	if k < len(s) && (s[k] == '\n' || s[k] == '\r') {
		// A value on the next line is taken only when quoted: a label
		// ("Password:") ends its line.
		p := k
		for p < len(s) && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r') {
			p++
		}
		if p < len(s) && quoteAt(s, p) != "" {
			k = p
		}
	}
	quote := quoteAt(s, k)
	k += len(quote)
	if k >= len(s) || s[k] == '=' || strings.HasPrefix(s[k:], "%3D") || strings.HasPrefix(s[k:], "%3d") {
		return k, k
	}
	from = k
	if quote != "" {
		for to = k; to < len(s) && s[to] != '\n'; to++ {
			if strings.HasPrefix(s[to:], quote) && (len(quote) > 1 || to == k || s[to-1] != '\\') {
				return from, to
			}
		}
		return from, to
	}
	to = valueEnd(s, k)
	switch strings.ToLower(s[from:to]) {
	case "bearer", "basic", "negotiate", "digest", "token", "aws4-hmac-sha256":
		if to < len(s) && s[to] == ' ' {
			to = valueEnd(s, to+1)
		}
	}
	return from, to
}

// valueEnd is where an unquoted value starting at s[k] ends.
func valueEnd(s string, k int) int {
	for ; k < len(s); k++ {
		switch s[k] {
		case ' ', '\t', '\r', '\n', '&', '"', '\'', '`', '<', '>', ';', ',', ')', '}', ']', '\\', '#':
			return k
		case '%':
			if strings.HasPrefix(s[k:], "%26") || strings.HasPrefix(s[k:], "%23") || strings.HasPrefix(s[k:], "%2526") || strings.HasPrefix(s[k:], "%2523") {
				return k
			}
		}
	}
	return k
}

// userinfo finds the user information of a URL whose authority starts at
// s[k]: the offset of its '@' and the end of the authority, or at == 0.
func userinfo(s string, k int) (at, end int) {
	at = 0
	for end = k; end < len(s); end++ {
		switch s[end] {
		case '/', '?', '#', ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>', '\\', '(', ')', '[', ']', '{', '}', ',':
			if at > k {
				return at, end
			}
			return 0, end
		case '@':
			at = end
		}
	}
	if at > k {
		return at, end
	}
	return 0, end
}

// elementText finds the text of an element starting at s[i] ('<') whose
// local name is a credential's: the offsets of its text, ok false for any
// other element.
func elementText(s string, i int) (from, to int, ok bool) {
	j := i + 1
	for j < len(s) && (isIdent(s[j]) || s[j] == ':') && j-i < 128 {
		j++
	}
	name := s[i+1 : j]
	if c := strings.LastIndexByte(name, ':'); c >= 0 {
		name = name[c+1:]
	}
	if !IsSecretName(name) {
		return 0, 0, false
	}
	gt := -1
	for k := j; k < len(s) && k-j < 4096; k++ {
		if s[k] == '>' {
			gt = k
			break
		}
		if s[k] == '<' {
			break
		}
	}
	if gt < 0 || s[gt-1] == '/' {
		return 0, 0, false
	}
	from = gt + 1
	to = from
	for to < len(s) && s[to] != '<' {
		to++
	}
	if strings.TrimSpace(s[from:to]) == "" {
		return 0, 0, false
	}
	return from, to, true
}
