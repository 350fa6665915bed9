// Package signin knows the Amazon Connect sign-in path as AWS runs it:
// which URLs are AWS sign-in, the console's Connect federation, Connect
// itself and the console; the error texts each shows; where SAML messages
// are posted; what a RelayState says; the sign-ins (attempts) a capture
// holds, and which message of one AWS judged, with its subject (the
// issuer, names, role, instance and Region). It gives package capture,
// which reads formats only, the rules to keep that path while it streams a
// capture; it gives diagnose the attempts and the subject to judge, and
// the CLI what to ask AWS about, without a diagnosis.
package signin

import (
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// Stages of the path, as pages are labelled.
const (
	StageIdP        = "idp"
	StageSignIn     = "aws-signin"
	StageFederation = "connect-federation"
	StageConnect    = "connect-app"
	StageConsole    = "aws-console"
)

// Rules are the Amazon Connect sign-in path's rules for capture.
type Rules struct{}

// Stage classifies a URL on the sign-in path; "" for other hosts.
func (Rules) Stage(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case awsarn.IsSignInHost(host):
		return StageSignIn
	case awsarn.IsConsoleHost(host) && strings.HasPrefix(u.Path, "/connect/federate/"):
		return StageFederation
	case strings.HasSuffix(host, ".awsapps.com") && (u.Path == "/start" || strings.HasPrefix(u.Path, "/start/")):
		// The IAM Identity Center portal shares awsapps.com with
		// Connect's older domains (ALIAS.awsapps.com/connect/).
		return StageIdP
	case awsarn.IsConnectAppHost(host):
		return StageConnect
	case awsarn.IsConsoleHost(host):
		return StageConsole
	case idp.IsHost(host):
		return StageIdP
	}
	return ""
}

// Errors are the known texts a page of the stage shows: AWS sign-in's own,
// Connect's, or an identity provider product's. Pages of hosts off the
// path ("") are searched for the products' texts too: a self-hosted IdP
// (AD FS, Keycloak) has no host of its own to know it by, and its error
// page may be the only page of it the capture holds.
func (Rules) Errors(raw string, body []byte, stage string) []capture.ErrorMark {
	if stage == StageIdP || stage == "" {
		host := ""
		if u, err := url.Parse(raw); err == nil {
			host = strings.ToLower(u.Hostname())
		}
		return idpErrors(host, body)
	}
	shown := errorpage.Connect
	if stage == StageSignIn {
		shown = errorpage.SignIn
	}
	var out []capture.ErrorMark
	for _, m := range errorpage.Find(body, shown) {
		out = append(out, capture.ErrorMark{ID: m.ID, Text: m.Text, Excerpt: m.Excerpt})
	}
	return out
}

// maxIdPErrorPage bounds the pages searched for IdP error texts: an error
// page is small, and searching a large page that merely holds the gate's
// words would cost a second per MiB.
const maxIdPErrorPage = 1 << 20

// idpErrors finds the IdP products' error texts on a page: the first
// product whose text it shows.
func idpErrors(host string, body []byte) []capture.ErrorMark {
	if len(body) > maxIdPErrorPage || !idp.MayShowError(host, body) {
		return nil // the words no product's error text goes without are absent
	}
	text := errorpage.Text(body)
	ms := idp.FindErrors(host, text)
	inScript := false
	if len(ms) == 0 {
		// Pages that render themselves keep the message in their
		// scripts' data; the products' codes are specific enough to be
		// searched there.
		text, inScript = errorpage.ScriptText(body), true
		ms = idp.FindErrors(host, text)
	}
	if len(ms) == 0 {
		return nil
	}
	m := ms[0]
	excerpt := errorpage.Excerpt(text, m.At, len(m.Code))
	if inScript {
		// The message is a string in the data: from the code to the
		// string's end.
		msg := text[m.At:]
		if i := strings.IndexByte(msg, '"'); i >= 0 {
			msg = msg[:i]
		}
		excerpt = errorpage.Excerpt(msg, 0, len(m.Code))
	}
	return []capture.ErrorMark{{ID: errorpage.IdPErrorPage, Text: m.Says, Excerpt: excerpt,
		Product: m.Product, Cause: m.Cause, Code: m.Code, Docs: m.Docs}}
}

// SignIn reports whether a URL is an AWS sign-in SAML endpoint.
func (Rules) SignIn(raw string) bool {
	_, ok := awsarn.ParseSignIn(raw)
	return ok
}

// ChoiceField is the field AWS's role chooser posts: the role picked.
func (Rules) ChoiceField() string { return "roleIndex" }

// NewReader is a capture reader with the Amazon Connect sign-in path's
// rules.
func NewReader(o capture.Options) *capture.Reader {
	o.Path = Rules{}
	return capture.NewReader(o)
}

// RelayState reads the RelayState a message was posted with against the
// Connect federation URL; nil when there is none.
func RelayState(m *capture.Message) *awsarn.RelayState {
	if m == nil || m.RelayState == "" {
		return nil
	}
	rs := awsarn.ParseRelayState(m.RelayState)
	return &rs
}
