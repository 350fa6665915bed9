package redact_test

import (
	"bytes"
	"testing"
	"time"
	"encoding/base64"

	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
)

func TestProbe(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	cases := []struct{ mime, body string }{
		{"application/json", `{"html":"<input type=password value=hunter2>"}`},
		{"application/json", `{"html":"<input type=\"password\" name=\"x\" value=\"hunter3\">"}`},
		{"application/json", `{"page":"<meta name=\"csrf-token\" content=\"CsrfJ1\">"}`},
		{"text/html", `<html><script>var csrf='CsrfS1';</script></html>`},
		{"text/html", `<html><script>window.token = "TokS2";</script></html>`},
		{"text/html", `<html><script>var d = {"access_token":"AccS3"};</script></html>`},
		{"text/html", `<html><script>var d = {access_token:"AccS4", xsrf: "X5", authenticityToken: 'A6', nonce = "N7"};</script></html>`},
		{"text/html", `<html><script>window.__INITIAL_STATE__ = {"csrfToken":"C8","sessionId":"S9"}; document.cookie = "sid=SID10"; self.csrf = 'C11'; let xsrfToken = "X12"; const CSRF = "C13"; config.apiKey="K14"; x.setRequestHeader("X-CSRF-Token", "H15"); var _csrf = "C16"; var auth = "AU17";</script></html>`},
		{"application/javascript", `var csrf='CsrfS18'; window["token"] = "T19"; obj['access_token'] = 'T20'; let t = {"id_token":"T21"}`},
		{"application/json", `{"data":{"html":"<html><script>var csrf='CsrfJ22';</script></html>"}}`},
	}
	var steps []fixture.Step
	for i, c := range cases {
		steps = append(steps, fixture.Step{Time: at.Add(time.Duration(i)*time.Second), Method: "GET", URL: "https://idp.example.org/x", Status: 200, Mime: c.mime, Body: c.body})
	}
	steps = append(steps, fixture.Step{Time: at.Add(time.Minute), Method: "GET", URL: "https://idp.example.org/b", Status: 200, Mime: "text/html", Body: "<html><input type=password value=B64Pass></html>"})
	_ = base64.StdEncoding
	har := fixture.HAR(fixture.Chrome, steps)
	var out bytes.Buffer
	if _, err := redact.HAR("p.har", bytes.NewReader(har), &out); err != nil {
		t.Fatal(err)
	}
	_, bodies := redactSteps(t, har)
	for i, b := range bodies {
		t.Logf("%d: %s", i, b)
	}
}
