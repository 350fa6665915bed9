// Package secret knows which parts of a browser capture are credentials:
// URL parameters, headers, form and JSON fields, and JWTs. The capture
// reader masks them in what it reports, and redact removes them from HARs.
package secret

import (
	"regexp"
	"strings"
)

// Marker replaces a secret value.
const Marker = "REDACTED"

var params = map[string]bool{
	"code": true, "token": true, "access_token": true, "id_token": true, "refresh_token": true,
	"client_secret": true, "password": true, "passwd": true, "pwd": true, "sessiontoken": true, "session_token": true,
	"statetoken": true, "x-amz-security-token": true, "x-amz-signature": true, "x-amz-credential": true,
	"signature": true, "sig": true, "assertion": true, "samlart": true, "wresult": true, "session": true,
	"authtoken": true, "auth_token": true, "state": true, "otp": true, "passcode": true, "api_key": true,
	"apikey": true, "key": true, "ticket": true, "nonce": true, "csrf_token": true, "_csrf": true,
	"authenticity_token": true, "flowtoken": true, "ctx": true, "canary": true, "hpgrequestid": false,
	"pass": true, "pin": true, "mfa_code": true, "totp": true,
	// SimpleSAMLphp's AuthState is a handle on the sign-in session.
	"authstate": true,
	// AWS STS credentials (AssumeRoleWithSAML's answer).
	"secretaccesskey": true, "accesskeyid": true,
}

// IsParam reports whether a URL, form or JSON field carries a credential.
func IsParam(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if v, ok := params[n]; ok {
		return v
	}
	for _, s := range []string{"password", "passwd", "secret", "token", "credential", "apikey", "api_key", "sessionid", "session_id"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
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
	if strings.HasPrefix(n, ":") {
		return false
	}
	return strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "session") ||
		(strings.Contains(n, "auth") && n != "www-authenticate")
}

// JWT matches a JSON Web Token; its signature part is what makes it usable.
var JWT = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// MaskJWTs keeps each JWT's header and payload (useful for diagnosis) and
// removes its signature.
func MaskJWTs(s string) string {
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
