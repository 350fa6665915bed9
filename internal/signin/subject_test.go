package signin_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// read reads the steps as a browser's HAR, with the sign-in path's rules.
func read(t *testing.T, steps ...[]fixture.Step) *capture.Capture {
	t.Helper()
	var all []fixture.Step
	for _, s := range steps {
		all = append(all, s...)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read("c.har", bytes.NewReader(fixture.HAR(fixture.Chrome, all))); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

func signInAt(at time.Time, relayState string, resp fixture.Response) []fixture.Step {
	resp.IssueInstant = at.Add(-time.Second)
	resp.SignAssertion = true
	return fixture.SignIn(resp.XML(), relayState, at, fixture.NotOnboarded)
}

// Judge reads the subject of the sign-in AWS judged: its names and role
// from the assertion, the instance from the RelayState, else from the one
// instance the evidence knows (never from one of two), the account from
// the role, else from the agreeing roles or the instance.
func TestJudge(t *testing.T) {
	const other = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee"
	defaults := signin.Subject{Issuer: fixture.DefaultIssuer, NameID: "jane", RoleSessionName: "jane@example.com",
		RoleArn: fixture.DefaultRole, ProviderArn: fixture.DefaultProvider, Partition: "aws", Account: fixture.DefaultAccount,
		Region: fixture.DefaultRegion, InstanceID: fixture.DefaultInstance, PostedTo: "https://signin.aws.amazon.com/saml",
		At: t0} // AWS's Date header on the POST's answer, to the second (the POST started at 09:00:00.4)
	jane := fixture.Response{NameID: "jane", RoleSessionName: []string{"jane@example.com"}}
	for _, c := range []struct {
		name         string
		relayState   string
		resp         fixture.Response
		known        []signin.Instance
		want         func(s *signin.Subject)
		fromEvidence bool
	}{
		{name: "the RelayState names the instance", relayState: fixture.RelayState(), resp: jane,
			known: []signin.Instance{{ID: other, Region: "eu-west-2", Account: "444455556666"}}},
		{name: "no RelayState: the one instance of the evidence", resp: jane,
			known: []signin.Instance{{ID: other, Region: "eu-west-2", Account: "444455556666"}}, fromEvidence: true,
			want: func(s *signin.Subject) { s.InstanceID, s.Region = other, "eu-west-2" }},
		{name: "no RelayState, two instances: neither is taken", resp: jane,
			known: []signin.Instance{{ID: other, Region: "eu-west-2"}, {ID: fixture.DefaultInstance, Region: fixture.DefaultRegion}},
			want:  func(s *signin.Subject) { s.InstanceID, s.Region = "", "" }},
		{name: "two roles, no pick: the provider and account they agree on",
			relayState: fixture.RelayState(),
			resp: fixture.Response{NameID: "jane", RoleSessionName: []string{"jane@example.com"},
				Roles: []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::111122223333:role/Supervisors," + fixture.DefaultProvider}},
			want: func(s *signin.Subject) { s.RoleArn = "" }},
		{name: "two roles of two accounts, no pick: no account",
			relayState: fixture.RelayState(),
			resp: fixture.Response{NameID: "jane", RoleSessionName: []string{"jane@example.com"},
				Roles: []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::444455556666:role/Agents,arn:aws:iam::444455556666:saml-provider/EntraID"}},
			want: func(s *signin.Subject) { s.RoleArn, s.ProviderArn, s.Account = "", "", "" }},
		{name: "two roles of two accounts: the account of the evidence's instance",
			relayState: fixture.RelayState(),
			resp: fixture.Response{NameID: "jane", RoleSessionName: []string{"jane@example.com"},
				Roles: []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::444455556666:role/Agents,arn:aws:iam::444455556666:saml-provider/EntraID"}},
			known: []signin.Instance{{ID: other, Region: "eu-west-2", Account: "444455556666"}, {ID: fixture.DefaultInstance, Region: fixture.DefaultRegion, Account: "999988887777"}},
			want:  func(s *signin.Subject) { s.RoleArn, s.ProviderArn, s.Account = "", "", "999988887777" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			j := signin.Judge(read(t, signInAt(t0, c.relayState, c.resp)), c.known)
			if j == nil {
				t.Fatal("no sign-in judged")
			}
			want := defaults
			if c.want != nil {
				c.want(&want)
			}
			if *j.Subject != want {
				t.Errorf("subject\n%+v, want\n%+v", *j.Subject, want)
			}
			if !j.Posted || j.Message == nil || j.Post.URL != want.PostedTo || j.InstanceFromEvidence != c.fromEvidence {
				t.Errorf("posted %v to %s, instance from evidence %v", j.Posted, j.Post.URL, j.InstanceFromEvidence)
			}
		})
	}
}

// The sign-in judged is the last SAMLResponse posted to AWS sign-in, else
// the last seen; an external IdP's response to IAM Identity Center is not
// one, and a capture without a SAMLResponse has none.
func TestSubjectOfChoice(t *testing.T) {
	form := func(url string, at time.Time) capture.Place {
		return capture.Place{File: "c.har", URL: url, Time: at, Where: "html-form"}
	}
	post := func(url string, at time.Time, signIn bool) capture.Place {
		return capture.Place{File: "c.har", URL: url, Time: at, Where: "post", SignIn: signIn}
	}
	const iic = "https://us-east-1.signin.aws.amazon.com/platform/saml/acs/0a1b2c3d-0000-4000-8000-123456789abc"
	for _, c := range []struct {
		name string
		msgs []*capture.Message
		want int // the message's index; -1: none
		at   time.Time
	}{
		{"the last posted to AWS sign-in", []*capture.Message{
			{Type: "SAMLResponse", Seen: []capture.Place{post("https://signin.aws.amazon.com/saml", t0, true)}},
			{Type: "SAMLResponse", Seen: []capture.Place{post("https://signin.aws.amazon.com/saml", t0.Add(time.Minute), true)}},
			{Type: "SAMLResponse", Seen: []capture.Place{form("https://idp.example.com/", t0.Add(2*time.Minute))}},
		}, 1, t0.Add(time.Minute)},
		{"none posted: the last seen", []*capture.Message{
			{Type: "SAMLResponse", Seen: []capture.Place{form("https://idp.example.com/a", t0)}},
			{Type: "SAMLResponse", Seen: []capture.Place{form("https://idp.example.com/b", t0.Add(time.Minute))}},
			{Type: "SAMLRequest", Seen: []capture.Place{form("https://idp.example.com/c", t0.Add(2*time.Minute))}},
		}, 1, t0.Add(time.Minute)},
		{"only IAM Identity Center's leg", []*capture.Message{
			{Type: "SAMLResponse", Seen: []capture.Place{post(iic, t0, false)}},
		}, -1, time.Time{}},
		{"no SAMLResponse", []*capture.Message{
			{Type: "SAMLRequest", Seen: []capture.Place{form("https://idp.example.com/c", t0)}},
		}, -1, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := signin.SubjectOf(&capture.Capture{Messages: c.msgs})
			switch {
			case c.want < 0 && s != nil:
				t.Errorf("judged message %d, want none", s.Message)
			case c.want >= 0 && (s == nil || s.Message != c.want || !s.At.Equal(c.at) || s.Partition != "aws"):
				t.Errorf("judged %+v, want message %d at %s", s, c.want, c.at)
			}
		})
	}
}

// Attempts cuts a capture of two sign-ins into two, each judged on its
// own response; a capture of one sign-in is not cut.
func TestAttempts(t *testing.T) {
	first := signInAt(t0, fixture.RelayState(), fixture.Response{NameID: "jane", RoleSessionName: []string{"jane"}})
	second := signInAt(t0.Add(70*time.Second), fixture.RelayState(), fixture.Response{NameID: "jane", RoleSessionName: []string{"Jane.Doe@example.com"}})
	if as := signin.Attempts(read(t, first)); as != nil {
		t.Errorf("one sign-in cut into %d attempts", len(as))
	}
	as := signin.Attempts(read(t, first, second))
	if len(as) != 2 {
		t.Fatalf("%d attempts, want 2", len(as))
	}
	for k, want := range []string{"jane", "Jane.Doe@example.com"} {
		a := as[k]
		s := signin.SubjectOf(a.Capture)
		if a.Response == nil || s == nil || s.RoleSessionName != want || a.Capture.Messages[s.Message] != a.Response || len(a.Capture.Pages) != 3 {
			t.Errorf("attempt %d: subject %+v, %d pages; want RoleSessionName %q", k+1, s, len(a.Capture.Pages), want)
		}
	}
}
