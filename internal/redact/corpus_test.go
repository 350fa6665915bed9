package redact_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/secret"

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

// testHAR is a HAR a test of the repository reads, and where it is.
type testHAR struct {
	where string
	har   []byte
}

// repoTestHARs gathers every HAR the repository's tests read: the files
// (examples/, testdata/, every package's testdata, gzipped too), the HARs
// in the command line's testscript archives, the fuzz corpora's inputs
// that are HARs, and the HARs the tests build from fixture's steps.
func repoTestHARs(t *testing.T) []testHAR {
	var out []testHAR
	isHAR := func(b []byte) bool {
		var doc struct {
			Log struct {
				Entries json.RawMessage `json:"entries"`
			} `json:"log"`
		}
		return json.Unmarshal(b, &doc) == nil && len(doc.Log.Entries) > 0
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch name := d.Name(); {
		case strings.HasSuffix(name, ".har"), strings.HasSuffix(name, ".har.gz"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if b, err = io.ReadAll(zr); err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
			}
			out = append(out, testHAR{path, b})
		case strings.HasSuffix(name, ".txtar"):
			a, err := txtar.ParseFile(path)
			if err != nil {
				return err
			}
			for _, f := range a.Files {
				if isHAR(f.Data) {
					out = append(out, testHAR{path + ": " + f.Name, f.Data})
				}
			}
		case strings.Contains(filepath.ToSlash(path), "/testdata/fuzz/"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, line := range strings.Split(string(b), "\n") {
				if q, ok := strings.CutPrefix(line, "[]byte("); ok {
					if v, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil && isHAR([]byte(v)) {
						out = append(out, testHAR{path, []byte(v)})
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The HARs tests build from fixture's steps.
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	resp := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true, SignResponse: true}
	outcomes := map[string]fixture.Outcome{"not onboarded": fixture.NotOnboarded, "bad request": fixture.BadRequest, "access denied": fixture.AccessDeniedAdmin,
		"success": fixture.Success, "invalid SAML": fixture.InvalidSAMLPage, "no session name": fixture.SessionNameMissing}
	for name, o := range outcomes {
		for b, browser := range map[fixture.Browser]string{fixture.Chrome: "Chrome", fixture.Firefox: "Firefox"} {
			out = append(out, testHAR{"fixture.SignIn " + name + " (" + browser + ")", fixture.HAR(b, fixture.SignIn(resp.XML(), fixture.RelayState(), at, o))})
		}
	}
	for shape := fixture.XSW1; shape <= fixture.XSW8; shape++ {
		xml := fixture.Wrapped(shape, fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second)}, "evil@example.com")
		out = append(out, testHAR{fmt.Sprintf("fixture.Wrapped XSW%d", shape-fixture.XSW1+1), fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.Success))})
	}
	for _, product := range []string{"entra", "okta", "google", "adfs", "keycloak", "ping", "iam-identity-center"} {
		out = append(out, testHAR{"fixture.IdPErrorStep " + product, fixture.HAR(fixture.Chrome, []fixture.Step{fixture.IdPErrorStep(product, at)})})
	}
	out = append(out, testHAR{"fixture.CCPNoSessionSteps", fixture.HAR(fixture.Chrome, fixture.CCPNoSessionSteps("example-corp.my.connect.aws", "https://agents.example.com", at))})
	leaky, _, _ := leakyHAR(t)
	seed, _ := seeded(t)
	out = append(out, testHAR{"leakyHAR", leaky}, testHAR{"seeded", seed})
	return out
}

// credentialsIn lists the values a HAR carries where captures carry
// credentials: cookies (in the cookie lists and in Cookie and Set-Cookie
// headers), credential headers, parameters named as credentials in the
// query, the form and JSON bodies, password inputs, JWT signatures. Only
// values of eight characters or more, which nothing else in a HAR repeats
// by chance.
func credentialsIn(har []byte) []string {
	var doc struct {
		Log struct {
			Entries []struct {
				Request struct {
					URL, Method string
					Headers     []struct{ Name, Value string }
					Cookies     []struct{ Name, Value string }
					QueryString []struct{ Name, Value string }
					PostData    struct {
						Text   string
						Params []struct{ Name, Value string }
					}
				}
				Response struct {
					Headers []struct{ Name, Value string }
					Cookies []struct{ Name, Value string }
					Content struct{ Text, Encoding string }
				}
			}
		}
	}
	json.Unmarshal(har, &doc)
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 8 && !secret.IsMasked(v) && v != assertion.RedactedSignature {
			out = append(out, v)
		}
	}
	cookies := func(h string) {
		for _, part := range regexp.MustCompile(`[;,\n]`).Split(h, -1) {
			if _, v, ok := strings.Cut(part, "="); ok && !strings.Contains(strings.ToLower(part), "expires=") && !strings.Contains(strings.ToLower(part), "path=") && !strings.Contains(strings.ToLower(part), "domain=") {
				add(v)
			}
		}
	}
	texts := []string{}
	for _, e := range doc.Log.Entries {
		for _, h := range append(e.Request.Headers, e.Response.Headers...) {
			switch n := strings.ToLower(h.Name); {
			case n == "cookie" || n == "set-cookie":
				cookies(h.Value)
			case secret.IsHeader(n):
				_, v, ok := strings.Cut(h.Value, " ")
				if !ok {
					v = h.Value
				}
				add(v)
			}
		}
		for _, c := range append(e.Request.Cookies, e.Response.Cookies...) {
			add(c.Value)
		}
		for _, p := range append(e.Request.QueryString, e.Request.PostData.Params...) {
			if secret.IsParam(p.Name) {
				add(p.Value)
			}
		}
		body := e.Response.Content.Text
		if e.Response.Content.Encoding == "base64" {
			b, _ := base64.StdEncoding.DecodeString(body)
			body = string(b)
		}
		texts = append(texts, e.Request.URL, e.Request.PostData.Text, body)
	}
	for _, t := range texts {
		for _, m := range regexp.MustCompile(`(?i)type=["']?password["']?[^>]*?value=["']([^"']+)`).FindAllStringSubmatch(t, -1) {
			add(m[1])
		}
		for _, j := range secret.JWT.FindAllString(t, -1) {
			add(j[strings.LastIndexByte(j, '.')+1:])
		}
		var v any
		if json.Unmarshal([]byte(t), &v) == nil {
			var walk func(key string, v any)
			walk = func(key string, v any) {
				switch x := v.(type) {
				case map[string]any:
					for k, e := range x {
						walk(k, e)
					}
				case []any:
					for _, e := range x {
						walk(key, e)
					}
				case string:
					if secret.IsParam(key) && key != "SAMLResponse" {
						add(x)
					}
				}
			}
			walk("", v)
		}
	}
	return out
}

// TestEveryTestHAR redacts every HAR the repository's tests read
// (repoTestHARs) and finds in the output none of the credentials the
// input carries (credentialsIn) and no SignatureValue with content, as
// XML or in the base64 of any string, nor any of the input's signature
// values.
func TestEveryTestHAR(t *testing.T) {
	hars := repoTestHARs(t)
	kinds := map[string]int{}
	creds, sigCount := 0, 0
	for _, h := range hars {
		switch {
		case strings.HasPrefix(h.where, "fixture"), h.where == "leakyHAR", h.where == "seeded":
			kinds["built from fixture"]++
		case strings.Contains(h.where, ".txtar"):
			kinds["testscript archives"]++
		case strings.Contains(filepath.ToSlash(h.where), "/testdata/fuzz/"):
			kinds["fuzz corpora"]++
		default:
			kinds["files"]++
		}
		var before any
		json.Unmarshal(h.har, &before)
		var sigs []string
		eachString(before, func(s string) { sigs = append(sigs, signatureValuesIn(s)...) })
		planted := credentialsIn(h.har)
		var out bytes.Buffer
		if _, err := redact.HAR(h.where, bytes.NewReader(h.har), &out); err != nil {
			if before == nil {
				continue // a broken capture, refused
			}
			t.Errorf("%s: %v", h.where, err)
			continue
		}
		var after any
		if err := json.Unmarshal(out.Bytes(), &after); err != nil {
			t.Errorf("%s: redacted HAR is not JSON: %v", h.where, err)
			continue
		}
		eachString(after, func(s string) {
			for _, v := range signatureValuesIn(s) {
				if v != "" && v != assertion.RedactedSignature {
					t.Errorf("%s: a SignatureValue survived (%d bytes)", h.where, len(v))
				}
			}
		})
		for _, v := range sigs {
			if v != "" && v != assertion.RedactedSignature {
				sigCount++
				if bytes.Contains(out.Bytes(), []byte(v[:min(len(v), 24)])) {
					t.Errorf("%s: a signature value of the input is in the output", h.where)
				}
			}
		}
		for _, c := range planted {
			creds++
			if bytes.Contains(out.Bytes(), []byte(c)) || bytes.Contains(out.Bytes(), []byte(url.QueryEscape(c))) {
				t.Errorf("%s: the credential %.12s... survived", h.where, c)
			}
		}
	}
	if kinds["files"] < 11 || kinds["testscript archives"] < 1 || kinds["built from fixture"] < 20 || sigCount == 0 || creds == 0 {
		t.Fatalf("the test looks at too little: %v, %d signature values, %d credentials", kinds, sigCount, creds)
	}
	t.Logf("%d HARs (%v): %d signature values and %d credentials, none left", len(hars), kinds, sigCount, creds)
}
