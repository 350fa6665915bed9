package capture_test

import (
	"bytes"
	"encoding/base64"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// BenchmarkReadHAR reads a 64 MiB Chrome-style HAR whose sign-in sits among
// large base64 bodies. bench/run.sh measures the same at full size against jq.
func BenchmarkReadHAR(b *testing.B) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	raw := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(raw)
	body := base64.StdEncoding.EncodeToString(raw)
	var steps []fixture.Step
	for i := 0; i < 48; i++ {
		steps = append(steps, fixture.Step{Time: at, Method: "GET", URL: "https://cdn.example.com/a.png", Status: 200, Mime: "image/png", Body: body})
	}
	xml := fixture.Response{NameID: "a", RoleSessionName: []string{"a"}, IssueInstant: at}.XML()
	steps = append(steps, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)...)
	har := fixture.HAR(fixture.Chrome, steps)
	if !strings.Contains(string(har[:200]), "entries") {
		b.Fatal("bad HAR")
	}
	b.SetBytes(int64(len(har)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := signin.NewReader(capture.Options{})
		if err := r.Read("bench.har", bytes.NewReader(har)); err != nil {
			b.Fatal(err)
		}
		if c := r.Finish(); len(c.Messages) != 1 {
			b.Fatalf("%d messages", len(c.Messages))
		}
	}
}

// BenchmarkReadHARPages reads a 48 MiB HAR of large HTML pages (an
// application's documents, each searched for IdP error texts) around one
// sign-in.
func BenchmarkReadHARPages(b *testing.B) {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	var page strings.Builder
	page.WriteString("<html><head><script>var app = {routes: []};</script></head><body>")
	for page.Len() < 1<<20 {
		page.WriteString("<div class=\"row\"><p>Some ordinary text of an application page, with a <a href=\"/x\">link</a>.</p></div>\n")
	}
	page.WriteString("</body></html>")
	var steps []fixture.Step
	for i := 0; i < 48; i++ {
		steps = append(steps, fixture.Step{Time: at, Method: "GET", URL: "https://app.example.com/page", Status: 200, Mime: "text/html; charset=utf-8", Body: page.String()})
	}
	xml := fixture.Response{NameID: "a", RoleSessionName: []string{"a"}, IssueInstant: at}.XML()
	steps = append(steps, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)...)
	har := fixture.HAR(fixture.Chrome, steps)
	b.SetBytes(int64(len(har)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := signin.NewReader(capture.Options{})
		if err := r.Read("pages.har", bytes.NewReader(har)); err != nil {
			b.Fatal(err)
		}
		if c := r.Finish(); len(c.Messages) != 1 {
			b.Fatalf("%d messages", len(c.Messages))
		}
	}
}
