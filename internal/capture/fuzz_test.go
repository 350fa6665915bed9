package capture_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

func FuzzRead(f *testing.F) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "a", RoleSessionName: []string{"a"}, IssueInstant: at}.XML()
	f.Add(fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)))
	f.Add(fixture.HAR(fixture.Firefox, fixture.SignIn(xml, fixture.RelayState(), at, fixture.InvalidSAMLPage)))
	f.Add([]byte(`{"requests":[{"method":"POST","url":"https://signin.aws.amazon.com/saml","post":[["SAMLResponse","PHg+"]],"saml":"<x/>"}]}`))
	f.Add([]byte(`SAMLResponse=PHg%2B&RelayState=x`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := signin.NewReader(capture.Options{})
		r.Read("fuzz.har", bytes.NewReader(b))
		c := r.Finish()
		for _, m := range c.Messages {
			if len(m.Seen) == 0 {
				t.Fatal("a message without a place")
			}
		}
	})
}
