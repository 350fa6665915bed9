// Package signin knows the Amazon Connect sign-in path as AWS runs it:
// which URLs are AWS sign-in, the console's Connect federation, Connect
// itself and the console; the error texts each shows; where SAML messages
// are posted; what a RelayState says. It gives package capture, which
// reads formats only, the rules to keep that path while it streams a
// capture, and reads a captured message's RelayState for diagnose and the
// reports.
package signin

import (
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
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
	case awsarn.IsConnectAppHost(host):
		return StageConnect
	case awsarn.IsConsoleHost(host):
		return StageConsole
	}
	return ""
}

// Errors are the known texts a page of the stage shows: AWS sign-in's own,
// or Connect's.
func (Rules) Errors(body []byte, stage string) []capture.ErrorMark {
	shown := errorpage.Connect
	if stage == StageSignIn {
		shown = errorpage.SignIn
	}
	var out []capture.ErrorMark
	for _, m := range errorpage.Find(body, shown) {
		out = append(out, capture.ErrorMark(m))
	}
	return out
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
