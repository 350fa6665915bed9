// Package errorpage recognises the error texts that AWS sign-in, STS and
// Amazon Connect show a person whose SAML sign-in failed. The texts are the
// ones AWS documents (IAM "Troubleshooting SAML 2.0 federation", Amazon
// Connect "Troubleshoot SAML") and ones seen in public reports; see
// shared/docs/aws-saml-catalog.md §2.
package errorpage

import (
	"html"
	"regexp"
	"strings"
)

// Where a text is shown.
const (
	SignIn  = "aws-signin"
	Connect = "connect"
	// IdP texts are the identity provider products' own (package idp
	// knows them); they are all one symptom, IdPErrorPage.
	IdP = "idp"
)

// CCPNoSession is the symptom of an embedded CCP (Amazon Connect Streams)
// with no Connect session: a chain of pages, not a text.
const CCPNoSession = "connect.ccp_no_session"

// SessionExpired12h is Connect's "Session expired" page that names the
// 12-hour session length.
const SessionExpired12h = "connect.session_expired_12h"

// IdPErrorPage is the symptom of an identity provider's error page: the
// IdP stopped the sign-in before sending a SAMLResponse.
const IdPErrorPage = "idp.error_page"

// Symptom is one known error text.
type Symptom struct {
	// ID is the stable symptom id used in findings.
	ID string
	// Text is the text as AWS shows it (for reports).
	Text string
	// Shown is where AWS shows it: SignIn or Connect.
	Shown string
	// needles are lower-case fragments, any of which identifies the text.
	needles []string
	// forms are patterns of the lower-case text that identify it by its
	// form rather than a literal: the texts STS wrote over the years
	// (another length limit, another action named).
	forms []*regexp.Regexp
}

// Symptoms lists every known text. Order matters only for display.
var Symptoms = []Symptom{
	{ID: "signin.invalid_saml_response", Shown: SignIn, Text: "Your request included an invalid SAML response. To logout, click here.",
		needles: []string{"your request included an invalid saml response"}},
	{ID: "signin.role_session_name_required", Shown: SignIn, Text: "RoleSessionName is required in AuthnResponse (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)",
		needles: []string{"rolesessionname is required in authnresponse"}},
	{ID: "signin.role_session_name_invalid", Shown: SignIn, Text: "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64} (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)",
		needles: []string{"rolesessionname in authnresponse must match"},
		// Older STS limits ({2,32}) and wordings: RoleSessionName, a
		// few words, "must match" and a character class with a length.
		forms: []*regexp.Regexp{regexp.MustCompile(`rolesessionname\b[^.()]{0,80}?must (?:match|satisfy)[^\[]{0,60}\[[^\]]{1,40}\][*+]?(?:\{\d+,\d+\})?`)}},
	{ID: "signin.source_identity_invalid", Shown: SignIn, Text: "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
		needles: []string{"source identity must match"},
		forms:   []*regexp.Regexp{regexp.MustCompile(`source ?identity\b[^.()]{0,80}?must (?:match|satisfy)[^\[]{0,60}\[[^\]]{1,40}\]`)}},
	{ID: "signin.not_authorized_assume_role", Shown: SignIn, Text: "Not authorized to perform sts:AssumeRoleWithSAML (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied)",
		needles: []string{"not authorized to perform sts:assumerolewithsaml"},
		// Any STS action the sign-in needs: sts:TagSession (session
		// tags), sts:SetSourceIdentity, with or without IAM's colon.
		forms: []*regexp.Regexp{regexp.MustCompile(`not authorized to perform:? sts:[a-z]+`)}},
	{ID: "signin.signature_invalid", Shown: SignIn, Text: "Response signature invalid (Service: AWSSecurityTokenService; Status Code: 400; Error Code: InvalidIdentityToken)",
		needles: []string{"response signature invalid"}},
	{ID: "signin.issuer_not_in_provider", Shown: SignIn, Text: "Failed to assume role: Issuer not present in specified provider (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlInvalidSamlResponseException)",
		needles: []string{"issuer not present in specified provider"}},
	{ID: "signin.provider_not_found", Shown: SignIn, Text: "Specified provider doesn't exist. (Service: AWSOpenIdDiscoveryService; Error Code: AuthSamlManifestNotFoundException)",
		needles: []string{"specified provider doesn't exist", "specified provider does not exist", "authsamlmanifestnotfoundexception"}},
	{ID: "signin.audience_missing", Shown: SignIn, Text: "Response does not contain the required audience.",
		needles: []string{"response does not contain the required audience"}},
	{ID: "signin.expired", Shown: SignIn, Text: "Response has expired (ExpiredTokenException)",
		needles: []string{"response has expired"}},
	{ID: "signin.redeem_window_passed", Shown: SignIn, Text: "Token must be redeemed within 5 minutes of issuance (ExpiredTokenException)",
		needles: []string{"token must be redeemed within 5 minutes"}},
	{ID: "signin.subject_confirmation_invalid", Shown: SignIn, Text: "Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter",
		needles: []string{"subjectconfirmatondata with a recipient", "subjectconfirmationdata with a recipient"}},
	{ID: "signin.invalid_base64", Shown: SignIn, Text: "Invalid base64 SAMLResponse (Error Code: AuthSamlInvalidSamlResponseException)",
		needles: []string{"invalid base64 samlresponse"}},
	{ID: "signin.role_not_in_assertion", Shown: SignIn, Text: "SAML Assertion doesn't contain the requested Role and Metadata in the attributes",
		needles: []string{"doesn't contain the requested role and metadata"}},
	{ID: "signin.tags_invalid", Shown: SignIn, Text: "Unable to validate tags (Service: AWSSecurityToken; Status Code: 400; Error Code: ValidationError)",
		needles: []string{"unable to validate tags"}},
	{ID: "signin.region_disabled", Shown: SignIn, Text: "STS is not activated in the requested region (RegionDisabledException)",
		needles: []string{"regiondisabledexception", "sts is not activated in"}},
	{ID: "connect.not_onboarded", Shown: Connect, Text: "Access Denied. Your account has been authenticated, but has not been onboarded to this application.",
		needles: []string{"has not been onboarded to this application", "usernotonboardedexception"}},
	{ID: "connect.bad_request", Shown: Connect, Text: "Bad Request. The request was not valid and could not be processed.",
		needles: []string{"the request was not valid and could not be processed"}},
	{ID: "connect.access_denied_admin", Shown: Connect, Text: "Access denied, Please contact your AWS account administrator for assistance.",
		needles: []string{"contact your aws account administrator for assistance"}},
	{ID: "connect.session_expired", Shown: Connect, Text: "Session Expired",
		needles: []string{"session expired"}},
	// SessionExpired12h is the same page naming Connect's fixed session
	// length (AWS Knowledge Center, "resolve session expired errors").
	{ID: SessionExpired12h, Shown: Connect, Text: "Session expired. Your session has expired. Please log in again to continue. Sessions expire after 12 hours.",
		needles: []string{"sessions expire after 12 hours"},
		forms:   []*regexp.Regexp{regexp.MustCompile(`sessions? expires? (?:after|in) \d+ hours`)}},
	{ID: CCPNoSession, Shown: Connect, Text: "The embedded Contact Control Panel found no Connect session: /ccp-v2 was sent on to /auth/refresh and Connect's login page (/connect/login)."},
	{ID: IdPErrorPage, Shown: IdP, Text: "The identity provider showed an error page instead of sending a SAMLResponse (AADSTS50105, App Not Assigned, app_not_configured_for_user, ...)."},
}

// Match is a known text found in a body.
type Match struct {
	ID      string
	Text    string
	Excerpt string
}

// minVisibleText is the visible text below which a page counts as a
// script shell.
const minVisibleText = 80

var jsUnescape = strings.NewReplacer(`\u0027`, "'", `\u0022`, `"`, `\"`, `"`, `\/`, "/", `\'`, "'", `\u002F`, "/", `\u0026`, "&", `\n`, " ")

var (
	scriptRE = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE  = regexp.MustCompile(`\s+`)
)

// Text reduces an HTML or plain-text body to its visible text on one line.
func Text(body []byte) string {
	b := scriptRE.ReplaceAll(body, []byte(" "))
	b = tagRE.ReplaceAll(b, []byte(" "))
	s := html.UnescapeString(string(b))
	s = strings.ReplaceAll(s, "\u00a0", " ")
	s = strings.ReplaceAll(s, "\u2019", "'")
	return strings.TrimSpace(spaceRE.ReplaceAllString(s, " "))
}

// ScriptText is a page's text with its scripts' data included, JavaScript
// escapes undone: where a page that renders itself (Entra ID's sign-in
// pages) keeps its message.
func ScriptText(body []byte) string {
	s := cdataRE.ReplaceAllString(string(body), " ") // or a tag would run to its end
	return strings.TrimSpace(spaceRE.ReplaceAllString(jsUnescape.Replace(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " "))
}

var cdataRE = regexp.MustCompile(`<!\[CDATA\[|\]\]>`)

// Excerpt is the text around a match of n bytes at at, at most about 300
// bytes, not cut inside a character.
func Excerpt(text string, at, n int) string { return excerpt(text, at, n) }

// Find returns the known texts shown in body, for the given place
// (SignIn or Connect). Texts shown elsewhere are not matched, so a generic
// phrase such as "Session Expired" counts only on a Connect page.
func Find(body []byte, shown string) []Match {
	if len(body) == 0 {
		return nil
	}
	text := Text(body)
	if len(text) < minVisibleText {
		// A page that is only a script shell (a single-page app) shows
		// its message from data in the page; search the whole body, with
		// the JavaScript escapes such data uses undone. Pages with real
		// visible text are not searched this way, so that strings inside
		// their scripts (translation tables) do not count.
		text = ScriptText(body)
	}
	lower := strings.ToLower(text)
	var out []Match
	for _, s := range Symptoms {
		if s.Shown != shown {
			continue
		}
		if m, ok := s.find(body, text, lower); ok {
			out = append(out, m)
		}
	}
	return out
}

// find looks for the symptom's needles, then its forms, in a page's
// visible text (lower-cased as lower).
func (s Symptom) find(body []byte, text, lower string) (Match, bool) {
	for _, n := range s.needles {
		if i := strings.Index(lower, n); i >= 0 {
			return Match{ID: s.ID, Text: s.Text, Excerpt: blockExcerpt(body, n, text, i)}, true
		}
	}
	for _, re := range s.forms {
		if loc := re.FindStringIndex(lower); loc != nil {
			return Match{ID: s.ID, Text: s.Text, Excerpt: blockExcerpt(body, lower[loc[0]:loc[1]], text, loc[0])}, true
		}
	}
	return Match{}, false
}

// blockRE are the tags that end a block of text: a title, a heading, a
// paragraph.
var blockRE = regexp.MustCompile(`(?is)</?(title|h[1-6]|p|div|li|br|main|section|header|footer|td|th|tr|dd|dt|pre|blockquote|form)\b[^>]*>`)

// blockExcerpt is the block of the page (its paragraph, heading) that
// holds the needle, so that the message is quoted once, not with the
// page's title and heading before it; the text around the match when the
// page has no such block.
func blockExcerpt(body []byte, needle, text string, at int) string {
	b := scriptRE.ReplaceAll(body, []byte(" "))
	b = blockRE.ReplaceAll(b, []byte("\n"))
	for _, block := range strings.Split(string(b), "\n") {
		t := Text([]byte(block))
		if i := strings.Index(strings.ToLower(t), needle); i >= 0 {
			if len(t) <= 300 {
				return t
			}
			return excerpt(t, i, len(needle))
		}
	}
	return excerpt(text, at, len(needle))
}

// excerpt returns the sentence around a match, at most about 300 bytes.
func excerpt(text string, at, n int) string {
	start := at - 120
	if start < 0 {
		start = 0
	}
	end := at + n + 180
	if end > len(text) {
		end = len(text)
	}
	// Do not cut inside a UTF-8 sequence.
	for start > 0 && !isStart(text[start]) {
		start--
	}
	for end < len(text) && !isStart(text[end]) {
		end++
	}
	s := strings.TrimSpace(text[start:end])
	if start > 0 {
		s = "…" + s
	}
	if end < len(text) {
		s += "…"
	}
	return s
}

func isStart(b byte) bool { return b&0xC0 != 0x80 }

// Lookup returns the symptom with the given id.
func Lookup(id string) (Symptom, bool) {
	for _, s := range Symptoms {
		if s.ID == id {
			return s, true
		}
	}
	return Symptom{}, false
}
