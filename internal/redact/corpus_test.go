package redact_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
)

var (
	// b64Run is a run of base64 as captures carry it: plain, wrapped,
	// percent-encoded.
	b64Run = regexp.MustCompile(`(?:[A-Za-z0-9+/=]|%2[BbFf]|%3[Dd]|\r?\n){40,}`)
	// sigText is the text of a SignatureValue element, CDATA included.
	sigText = regexp.MustCompile(`SignatureValue[^>]*>(?:<!\[CDATA\[)?([^<\]]*)`)
)

// signatureValuesIn finds the SignatureValues written in s and in every
// base64 run in s that decodes to SAML.
func signatureValuesIn(s string) []string {
	var out []string
	add := func(xml string) {
		for _, m := range sigText.FindAllStringSubmatch(xml, -1) {
			out = append(out, strings.TrimSpace(m[1]))
		}
	}
	add(s)
	for _, run := range b64Run.FindAllString(s, -1) {
		if u, err := url.QueryUnescape(run); err == nil {
			run = u
		}
		if d, err := samlvalue.Decode([]byte(run)); err == nil {
			add(string(d.XML))
		}
	}
	return out
}

// eachString walks a JSON value and calls f with every string in it.
func eachString(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, e := range v {
			eachString(e, f)
		}
	case map[string]any:
		for k, e := range v {
			f(k)
			eachString(e, f)
		}
	}
}

// TestNoSignatureValueSurvivesInCorpus redacts every HAR the repository
// holds (examples/, the testdata of every package) and finds no
// SignatureValue with content left, as XML or in the base64 of any
// string, and none of the input's signature values anywhere in the
// output.
func TestNoSignatureValueSurvivesInCorpus(t *testing.T) {
	var hars []string
	for _, glob := range []string{"../../examples/*.har", "../../testdata/*.har", "../*/testdata/*.har", "../*/testdata/*/*.har"} {
		m, _ := filepath.Glob(glob)
		hars = append(hars, m...)
	}
	if len(hars) < 8 {
		t.Fatalf("found %d HAR files, want the examples and the capture testdata: %v", len(hars), hars)
	}
	total := 0
	for _, path := range hars {
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var before any
		if json.Unmarshal(in, &before) != nil {
			continue // a deliberately broken capture
		}
		var sigs []string
		eachString(before, func(s string) { sigs = append(sigs, signatureValuesIn(s)...) })
		var out bytes.Buffer
		if _, err := redact.HAR(path, bytes.NewReader(in), &out); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		var after any
		if err := json.Unmarshal(out.Bytes(), &after); err != nil {
			t.Errorf("%s: redacted HAR is not JSON: %v", path, err)
			continue
		}
		eachString(after, func(s string) {
			for _, v := range signatureValuesIn(s) {
				if v != "" && v != assertion.RedactedSignature {
					t.Errorf("%s: a SignatureValue survived (%d bytes)", path, len(v))
				}
			}
		})
		for _, v := range sigs {
			if v != "" && v != assertion.RedactedSignature {
				total++
				if bytes.Contains(out.Bytes(), []byte(v[:min(len(v), 24)])) {
					t.Errorf("%s: a signature value of the input is in the output", path)
				}
			}
		}
	}
	if total == 0 {
		t.Fatalf("no signature value found in %d HARs: the test looks at nothing", len(hars))
	}
	t.Logf("%d HARs, %d signature values, none left", len(hars), total)
}
