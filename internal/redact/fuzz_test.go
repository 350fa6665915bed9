package redact_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
)

// FuzzHAR holds redact to two rules on any input: what it writes is JSON,
// and fails closed: nothing in it still holds a SignatureValue with
// content, as XML or as any base64 in it that decodes to XML.
func FuzzHAR(f *testing.F) {
	f.Add([]byte(`{"log":{"entries":[{"request":{"url":"https://a/?code=x","headers":[{"name":"Cookie","value":"a=b"}],"postData":{"text":"SAMLResponse=PHg%2B&passwd=x"}},"response":{"content":{"mimeType":"text/html","text":"<input name=\"SAMLResponse\" value=\"PHg+\">"}}}]}}`))
	xml := fixture.Response{NameID: "j", RoleSessionName: []string{"jane"}, IssueInstant: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), SignAssertion: true}.XML()
	b64 := base64.StdEncoding.EncodeToString(xml)
	for _, place := range []string{
		`{"log":{"entries":[{"request":{"url":"https://a/","headers":[{"name":"X-Anything","value":"` + b64 + `"}]},"response":{}}]}}`,
		`{"log":{"entries":[{"request":{"url":"https://a/?x=` + url.QueryEscape(b64) + `"},"response":{"content":{"mimeType":"text/html","text":"<textarea name=\"SAMLResponse\">` + b64 + `</textarea>"}}}]}}`,
		`{"log":{"entries":[{"request":{"url":"https://a/"},"response":{"content":{"mimeType":"text/plain","text":` + mustJSON(string(xml)) + `}}}],"comment":` + mustJSON(string(xml)) + `}}`,
	} {
		f.Add([]byte(place))
	}
	har, _, _ := leakyHAR(nil)
	f.Add(har)
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if _, err := redact.HAR("f.har", bytes.NewReader(b), &out); err != nil {
			return
		}
		if !json.Valid(out.Bytes()) {
			t.Fatalf("redacted output is not JSON: %q", out.Bytes())
		}
		var v any
		json.Unmarshal(out.Bytes(), &v)
		walkStrings(v, func(s string) {
			if where := signatureIn(s); where != "" {
				t.Fatalf("a SignatureValue survived %s in %q", where, s)
			}
		})
	})
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for k, e := range x {
			f(k)
			walkStrings(e, f)
		}
	}
}

var sigValue = regexp.MustCompile(`<(?:[\w.-]+:)?SignatureValue\b[^>]*>\s*([^<\s][^<]*)<`)

// signatureIn says where s still holds a SignatureValue with content.
func signatureIn(s string) string {
	has := func(x []byte) bool {
		for _, m := range sigValue.FindAllSubmatch(x, -1) {
			if string(bytes.TrimSpace(m[1])) != assertion.RedactedSignature {
				return true
			}
		}
		return false
	}
	if has([]byte(s)) {
		return "as XML"
	}
	for _, run := range regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`).FindAllString(s, -1) {
		if dec, err := samlvalue.Decode([]byte(run)); err == nil && has(dec.XML) {
			return "as base64"
		}
	}
	return ""
}
