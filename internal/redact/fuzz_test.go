package redact_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/samldoctor/samldoctor/internal/redact"
)

func FuzzHAR(f *testing.F) {
	f.Add([]byte(`{"log":{"entries":[{"request":{"url":"https://a/?code=x","headers":[{"name":"Cookie","value":"a=b"}],"postData":{"text":"SAMLResponse=PHg%2B&passwd=x"}},"response":{"content":{"mimeType":"text/html","text":"<input name=\"SAMLResponse\" value=\"PHg+\">"}}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		if _, err := redact.HAR("f.har", bytes.NewReader(b), &out); err == nil && !json.Valid(out.Bytes()) {
			t.Fatalf("redacted output is not JSON: %q", out.Bytes())
		}
	})
}
