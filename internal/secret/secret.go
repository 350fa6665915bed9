// Package secret knows which parts of a browser capture are credentials:
// URL parameters, headers, cookies, form and JSON fields, credentials
// written in free text, and JWTs. The capture reader masks them in what it
// reports, and redact removes them from HARs. When unsure, it says secret:
// a field whose name looks like a credential is one.
package secret

import (
	"regexp"
	"strings"
	"unicode"
)

// Marker replaces a secret value.
const Marker = "REDACTED"

// params are field names that carry a credential in a URL, a form or a
// JSON body although their name does not say so (code, state, ctx), and
// names that do not (hpgrequestid).
var params = map[string]bool{
	"code": true, "token": true, "access_token": true, "id_token": true, "refresh_token": true,
	"client_secret": true, "password": true, "passwd": true, "pwd": true, "sessiontoken": true, "session_token": true,
	"statetoken": true, "x-amz-security-token": true, "x-amz-signature": true, "x-amz-credential": true,
	"signature": true, "sig": true, "assertion": true, "samlart": true, "wresult": true, "session": true,
	"authtoken": true, "auth_token": true, "state": true, "otp": true, "passcode": true, "api_key": true,
	"apikey": true, "key": true, "ticket": true, "nonce": true, "csrf_token": true, "_csrf": true,
	"authenticity_token": true, "flowtoken": true, "ctx": true, "canary": true, "hpgrequestid": false,
	"pass": true, "pin": true, "mfa_code": true, "totp": true, "auth": true, "sid": true, "answer": true,
	// SimpleSAMLphp's AuthState is a handle on the sign-in session.
	"authstate": true,
	// AWS STS credentials (AssumeRoleWithSAML's answer).
	"secretaccesskey": true, "accesskeyid": true,
	// Google's sign-in posts the typed password in f.req, a JSON array
	// whose members have no names.
	"f.req": true,
	// Entra ID's one-time code.
	"otc": true,
}

// IsParam reports whether a URL, form or JSON field carries a credential:
// one of the names above, or any name IsSecretName accepts.
func IsParam(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if v, ok := params[n]; ok {
		return v
	}
	return IsSecretName(name)
}

// fragments are parts of a name, in lower case without separators, that
// make it a credential's name wherever they stand in it: userPassword,
// j_password, Ecom_Password, AWS_SECRET_ACCESS_KEY, X-Amz-Security-Token.
var fragments = []string{
	"password", "passwd", "passwort", "passphrase", "passcode", "pwd", "pswd", "secret", "token",
	"credential", "apikey", "accesskey", "privatekey", "secretkey", "sessionkey", "signingkey",
	"subscriptionkey", "sessionid", "sessid", "authstate", "authorization", "cookie",
	// Anti-forgery tokens: csrf, _csrf, xsrfToken, X-XSRF-TOKEN.
	"csrf", "xsrf",
	// The word for password in the languages login forms are written in.
	"kennwort", "motdepasse", "contrasena", "contraseña", "senha", "wachtwoord", "salasana", "haslo",
	"hasło", "lösenord", "losenord", "passord", "adgangskode", "heslo", "jelszo", "jelszó", "parola",
	"пароль", "密码", "密碼", "パスワード", "비밀번호",
}

// words are whole words of a name (after splitting at separators and
// camelCase, digits at the end dropped) that make it a credential's name:
// pf.pass (PingFederate), newPin, otp_code.
var words = map[string]bool{
	"pass": true, "pin": true, "otp": true, "totp": true, "hotp": true, "otc": true, "key": true,
	"keys": true, "pw": true, "psw": true, "pword": true, "cred": true, "creds": true, "sid": true,
	"cvv": true, "cvc": true, "answer": true,
}

// notPass are words starting with "pass" that are not passwords.
var notPass = map[string]bool{
	"passive": true, "passthrough": true, "passenger": true, "passengers": true, "passage": true,
	"passed": true, "passes": true, "passing": true, "passport": true,
}

// IsSecretName reports whether a name means a password, a secret, a token
// or another credential, in any case and in the spellings products use:
// password, Passwd, pf.pass, userPassword, j_password, IDToken2,
// AWS_SECRET_ACCESS_KEY, credentials[passcode]. A name that only might
// carry one (code, state) is IsParam's.
func IsSecretName(name string) bool {
	var sq strings.Builder
	for _, r := range strings.ToLower(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			sq.WriteRune(r)
		}
	}
	squashed := sq.String()
	for _, f := range fragments {
		if strings.Contains(squashed, f) {
			return true
		}
	}
	for _, w := range splitWords(name) {
		w = strings.TrimRight(w, "0123456789")
		if words[w] || strings.HasPrefix(w, "pw") || strings.HasPrefix(w, "pass") && !notPass[w] {
			return true
		}
	}
	return false
}

// splitWords splits a name into lower-case words at every character that
// is not a letter or digit and at camelCase boundaries (userPassword,
// XMLPass).
func splitWords(name string) []string {
	var out []string
	rs := []rune(name)
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(string(rs[start:end])))
		}
		start = -1
	}
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			continue
		}
		if start >= 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush(i)
			}
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(rs))
	return out
}

var headers = map[string]bool{
	"cookie": true, "set-cookie": true, "authorization": true, "proxy-authorization": true,
	"x-amz-security-token": true, "x-csrf-token": true, "x-xsrf-token": true, "x-api-key": true,
	"x-auth-token": true, "x-access-token": true, "x-amzn-authorization": true,
}

// IsHeader reports whether a header's value is a credential. HTTP/2
// pseudo-headers (:authority, :path, ...) never are, though :path can
// carry credentials in its query, as a URL does.
func IsHeader(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if headers[n] {
		return true
	}
	if strings.HasPrefix(n, ":") || n == "www-authenticate" {
		return false
	}
	return strings.Contains(n, "session") || strings.Contains(n, "auth") || IsSecretName(n)
}

// JWT matches a JSON Web Token; its signature part is what makes it usable.
var JWT = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// MaskJWTs keeps each JWT's header and payload (useful for diagnosis) and
// removes its signature.
func MaskJWTs(s string) string {
	if !strings.Contains(s, "eyJ") {
		return s
	}
	return JWT.ReplaceAllStringFunc(s, func(t string) string {
		return t[:strings.LastIndexByte(t, '.')] + "." + Marker
	})
}

// MaskURL replaces the values of credential parameters in a URL's query
// and fragment; keep decides for other parameters (nil keeps them).
func MaskURL(u string, keep func(name, value string) (string, bool)) string {
	cut := strings.IndexAny(u, "?#")
	if cut < 0 {
		return u
	}
	var b strings.Builder
	b.WriteString(u[:cut])
	rest := u[cut:]
	for len(rest) > 0 {
		sep := rest[0]
		rest = rest[1:]
		end := strings.IndexAny(rest, "#")
		if sep == '#' {
			end = -1
		}
		part := rest
		if end >= 0 {
			part, rest = rest[:end], rest[end:]
		} else {
			rest = ""
		}
		b.WriteByte(sep)
		fields := strings.Split(part, "&")
		for i, f := range fields {
			name, value, has := strings.Cut(f, "=")
			switch {
			case !has:
			case IsParam(name):
				fields[i] = name + "=" + Marker
			case keep != nil:
				if v, ok := keep(name, value); ok {
					fields[i] = name + "=" + v
				}
			}
		}
		b.WriteString(strings.Join(fields, "&"))
	}
	return b.String()
}

// MaskCookie keeps the names of the cookies in a Cookie header, for
// diagnosis, and removes their values. Cookies are split at ';', and at
// ',' and line breaks too, as captures join repeated headers with them; a
// part without a name is removed whole.
func MaskCookie(s string) string {
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ';' && s[i] != ',' && s[i] != '\n' && s[i] != '\r' {
			continue
		}
		b.WriteString(maskPair(s[start:i]))
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

// maskPair masks the value of one name=value, keeping the spaces around
// it; without '=' the whole part is a value (a cookie without a name).
func maskPair(p string) string {
	t := strings.TrimSpace(p)
	if t == "" {
		return p
	}
	lead := p[:strings.Index(p, t)]
	name, _, has := strings.Cut(t, "=")
	if !has {
		return lead + Marker
	}
	return lead + strings.TrimSpace(name) + "=" + Marker
}

// cookieAttrs are the Set-Cookie attributes whose values are kept.
var cookieAttrs = map[string]bool{
	"expires": true, "max-age": true, "domain": true, "path": true, "secure": true, "httponly": true,
	"samesite": true, "priority": true, "partitioned": true, "version": true, "comment": true, "sameparty": true,
}

// MaskSetCookie removes the value of every cookie a Set-Cookie header
// sets, keeping names and attributes. A header can hold several cookies:
// one a line (as HARs join repeated headers), or joined by commas (as
// Apple's CFNetwork writes them, so Safari HARs); a comma starts a new
// cookie unless what follows it is the rest of an Expires date. The value
// of an attribute Set-Cookie does not define is removed too.
func MaskSetCookie(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		cr := strings.HasSuffix(line, "\r")
		line = strings.TrimSuffix(line, "\r")
		var cookies []string
		for _, piece := range strings.Split(line, ",") {
			head, _, _ := strings.Cut(piece, ";")
			if len(cookies) > 0 && !strings.Contains(head, "=") {
				// The rest of "Expires=Wed, 21 Oct 2026 07:28:00 GMT", or a
				// comma in a value: it belongs to the cookie before.
				cookies[len(cookies)-1] += "," + piece
				continue
			}
			cookies = append(cookies, piece)
		}
		for i, c := range cookies {
			cookies[i] = maskOneSetCookie(c)
		}
		l := strings.Join(cookies, ",")
		if cr {
			l += "\r"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func maskOneSetCookie(c string) string {
	parts := strings.Split(c, ";")
	parts[0] = maskPair(parts[0])
	for i, a := range parts[1:] {
		name, _, has := strings.Cut(a, "=")
		if has && !cookieAttrs[strings.ToLower(strings.TrimSpace(name))] {
			parts[i+1] = maskPair(a)
		}
	}
	return strings.Join(parts, ";")
}

// IsMasked reports whether a value is already a redaction marker.
func IsMasked(v string) bool { return strings.HasPrefix(v, Marker) }
