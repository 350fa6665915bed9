package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/cli"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// part is one part of an upload.
type part struct {
	field, name string
	data        []byte
}

// pageCase is one input the page is shown.
type pageCase struct {
	name, api string
	parts     []part
}

func fileParts(t *testing.T, field string, paths ...string) []part {
	var out []part
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, part{field, filepath.Base(p), b})
	}
	return out
}

// pageCases are every example and fixture: the shipped examples with and
// without their AWS data, the captures of the capture tests, the public
// SAML corpus pasted as values, sign-ins built by package fixture for each
// outcome and many wrong messages, every IdP's error page, every
// signature-wrapping shape, AWS data of another account, files that are
// not inputs, and audits.
func pageCases(t *testing.T) []pageCase {
	var cases []pageCase
	add := func(name, api string, parts ...[]part) {
		cases = append(cases, pageCase{name: name, api: api, parts: slices.Concat(parts...)})
	}
	for _, sc := range []string{"not-onboarded", "access-denied", "bad-request"} {
		har := fileParts(t, "capture", example(t, sc+".har"))
		aws := fileParts(t, "aws", awsFiles(t, sc)...)
		add(sc, "diagnose", aws, har)
		add(sc+" without AWS data", "diagnose", har)
		add(sc+" audit", "audit", aws, fileParts(t, "idp-users", example(t, "idp-users", "entra-users.csv")))
	}
	add("not-assigned", "diagnose", fileParts(t, "capture", example(t, "not-assigned.har")))
	hars, _ := filepath.Glob(filepath.Join("..", "capture", "testdata", "*", "*.har"))
	for _, h := range hars {
		var aws []part
		if p := strings.TrimSuffix(h, ".har") + ".saml-provider.json"; fileExists(p) {
			aws = fileParts(t, "aws", p)
		}
		add("capture testdata "+h, "diagnose", aws, fileParts(t, "capture", h))
	}
	corpus, _ := filepath.Glob(filepath.Join(fixture.CorpusDir(t), "*", "*"))
	for _, c := range corpus {
		if ext := filepath.Ext(c); ext == ".pem" || ext == ".cert" || ext == ".md" {
			continue
		}
		b, _ := os.ReadFile(c)
		add("corpus "+c, "diagnose", []part{{"value", "", b}})
	}
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	harOf := func(steps []fixture.Step) []part {
		return []part{{"capture", "capture.har", fixture.HAR(fixture.Chrome, steps)}}
	}
	aws := fileParts(t, "aws", awsFiles(t, "not-onboarded")...)
	signed := func(r fixture.Response) []byte {
		r.SignAssertion = true
		if r.IssueInstant.IsZero() {
			r.IssueInstant = at.Add(-time.Second)
		}
		if r.NameID == "" {
			r.NameID = "jane.doe@example.com"
		}
		if r.RoleSessionName == nil {
			r.RoleSessionName = []string{r.NameID}
		}
		return r.XML()
	}
	outcomes := map[string]fixture.Outcome{"not onboarded": fixture.NotOnboarded, "bad request": fixture.BadRequest, "access denied": fixture.AccessDeniedAdmin,
		"success": fixture.Success, "invalid SAML": fixture.InvalidSAMLPage, "session name missing": fixture.SessionNameMissing}
	for name, out := range outcomes {
		steps := fixture.SignIn(signed(fixture.Response{}), fixture.RelayState(), at, out)
		add("fixture "+name, "diagnose", aws, harOf(steps))
		add("fixture "+name+" without AWS data", "diagnose", harOf(steps))
	}
	wrong := map[string]fixture.Response{
		"expired":          {IssueInstant: at.Add(-2 * time.Hour)},
		"audience":         {Audience: "urn:amazon:webservices:wrong"},
		"recipient":        {Recipient: "https://signin.aws.amazon.com/saml/acs/wrong"},
		"no role":          {Roles: []string{}},
		"bad role":         {Roles: []string{"arn:aws:iam::111122223333:role/ConnectAgents"}},
		"two roles":        {Roles: []string{fixture.DefaultRole + "," + fixture.DefaultProvider, "arn:aws:iam::111122223333:role/Other," + fixture.DefaultProvider}},
		"session name":     {RoleSessionName: []string{"DOMAIN\\jane doe"}},
		"no session name":  {RoleSessionName: []string{}},
		"status responder": {StatusCode: "urn:oasis:names:tc:SAML:2.0:status:Responder", StatusMessage: "No access", NoAssertion: true},
		"sha1":             {SHA1: true},
		"other issuer":     {Issuer: "http://www.okta.com/exk1a2b3c4d5e6f7g8h9"},
		"role attr name":   {RoleAttrName: "https://aws.amazon.com/SAML/Attributes/role"},
		"encrypted":        {EncryptFor: fixture.NewKey("sp", at.Add(-time.Hour), at.Add(time.Hour))},
	}
	for name, r := range wrong {
		add("fixture "+name, "diagnose", aws, harOf(fixture.SignIn(signed(r), fixture.RelayState(), at, fixture.InvalidSAMLPage)))
	}
	for shape := fixture.XSW1; shape <= fixture.XSW8; shape++ {
		x := fixture.Wrapped(shape, fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second)}, "evil@example.com")
		add(fmt.Sprintf("XSW%d", shape), "diagnose", aws, harOf(fixture.SignIn(x, fixture.RelayState(), at, fixture.NotOnboarded)))
	}
	for _, p := range idp.Products {
		if len(p.Errors) == 0 {
			continue
		}
		step, ok := idpErrorStep(p.ID, at)
		if !ok {
			continue // package fixture has no page of this product's
		}
		add("IdP error page "+p.ID, "diagnose", harOf([]fixture.Step{step}))
	}
	add("CCP without a session", "diagnose", harOf(fixture.CCPNoSessionSteps("example-corp.my.connect.aws", "https://agents.example.com", at)))
	// AWS data of another account and instance.
	var other []part
	for _, p := range aws {
		other = append(other, part{p.field, p.name, bytes.ReplaceAll(bytes.ReplaceAll(p.data, []byte("111122223333"), []byte("444455556666")),
			[]byte(fixture.DefaultInstance), []byte("ffffffff-1111-2222-3333-444444444444"))})
	}
	add("another account's AWS data", "diagnose", other, fileParts(t, "capture", example(t, "not-onboarded.har")))
	// Files that are not inputs: each gets its error.
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	add("a PNG as the capture", "diagnose", []part{{"capture", "screenshot.png", png}})
	add("notes as the capture", "diagnose", []part{{"capture", "notes.har", []byte("these are my notes\n")}})
	add("sts output as AWS data", "diagnose", []part{{"aws", "whoami.json", []byte(`{"UserId":"AIDA","Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/admin"}`)}}, fileParts(t, "capture", example(t, "not-onboarded.har")))
	add("text output as AWS data", "diagnose", []part{{"aws", "users.json", []byte("USERSUMMARYLIST\tarn:aws:connect:...\tjane\n")}}, fileParts(t, "capture", example(t, "not-onboarded.har")))
	add("metadata as AWS data", "diagnose", []part{{"aws", "metadata.json", []byte(`<?xml version="1.0"?><EntityDescriptor/>`)}}, fileParts(t, "capture", example(t, "not-onboarded.har")))
	add("an export of no known IdP", "audit", aws, []part{{"idp-users", "people.csv", []byte("login,dept\nJane.Doe@example.com,CC\n")}})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[{"eventTime":"` + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + `","eventSource":"connect.amazonaws.com","eventName":"GetFederationToken","errorCode":"AccessDenied","errorMessage":"User is not authorized","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ConnectAgents/sam.lee@example.com"},"requestParameters":{"InstanceId":"` + fixture.DefaultInstance + `"}}]}`))
	zw.Close()
	add("audit with CloudTrail", "audit", aws, []part{{"trail", "111122223333_CloudTrail_ap-southeast-2_x.json.gz", gz.Bytes()}})
	add("a bad CloudTrail period", "audit", []part{{"since", "", []byte("a week")}}, aws)
	return cases
}

// idpErrorStep is fixture.IdPErrorStep, false for a product it has no
// page of.
func idpErrorStep(product string, at time.Time) (s fixture.Step, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return fixture.IdPErrorStep(product, at), true
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// upload posts the parts to the page's API as the page does.
func upload(t *testing.T, url, addr string, parts []part) (int, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.name == "" {
			mw.WriteField(p.field, string(p.data))
			continue
		}
		w, _ := mw.CreateFormFile(p.field, p.name)
		w.Write(p.data)
	}
	mw.Close()
	resp := post(t, url, "http://"+addr, &buf, mw.FormDataContentType())
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// pageText is the text the page shows, every <details> open, without what
// the inputs themselves hold (code, pre, and the elements the page marks
// data-input: the message's values, the error pages' excerpts, names).
const pageText = `(() => {
	document.querySelectorAll("details").forEach(d => d.open = true);
	const out = [];
	const walk = (n) => {
		if (n.nodeType === 3) { out.push(n.textContent); return; }
		if (n.nodeType !== 1 || n.hidden || n.matches("code, pre, [data-input], script, style")) return;
		for (const c of n.childNodes) walk(c);
		if (getComputedStyle(n).display !== "inline") out.push("\n");
	};
	for (const id of ["result", "error", "audit-result", "audit-error"]) walk(document.getElementById(id));
	return out.join("");
})()`

// Every example and fixture, rendered by the page: no internal token
// (snake_case or kebab-case words of samldoctor's own, as html-form or
// valid-embedded-only) reaches it, and no flag of samldoctor's command
// line that the page has a control for; the others only inside a
// samldoctor command line ("samldoctor serve --aws"). Finding ids,
// commands, file names, URLs, ARNs, IDs and Regions are not tokens.
func TestEndToEndPageWords(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, addr := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelT()
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible("#drop", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	flags := samldoctorFlags(t)
	ids := map[string]bool{"signin.success": true}
	for _, e := range catalog.Catalog {
		ids[e.ID] = true
	}
	for _, s := range errorpage.Symptoms {
		ids[s.ID] = true
	}
	cases := pageCases(t)
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	seen := 0
	for _, c := range cases {
		status, body := upload(t, srv.URL+"/api/"+c.api, addr, c.parts)
		var js string
		switch {
		case c.api == "diagnose" && status == 200:
			js = "clearResult(); clearAudit(); render(" + string(body) + ")"
		case c.api == "audit" && status == 200:
			js = "clearResult(); clearAudit(); renderAudit(" + string(body) + ")"
		default:
			var e struct{ Error string }
			if json.Unmarshal(body, &e) != nil || e.Error == "" {
				t.Errorf("%s: status %d, %s", c.name, status, body)
				continue
			}
			box := "error"
			if c.api == "audit" {
				box = "audit-error"
			}
			js = fmt.Sprintf("clearResult(); clearAudit(); showError(document.getElementById(%q), %q, %q)", box, e.Error, "Correct or replace the file named above.")
		}
		var text string
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, nil), chromedp.Evaluate(pageText, &text)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s: the page shows nothing", c.name)
			continue
		}
		seen++
		for _, bad := range internalTokens(text, ids, flags) {
			t.Errorf("%s: %s", c.name, bad)
		}
	}
	t.Logf("%d inputs rendered", seen)
}

// samldoctorFlags are the flags of samldoctor's commands (from their
// --help), without those the AWS CLI has too (--profile, --region, ...),
// which commands on the page may name.
func samldoctorFlags(t *testing.T) map[string]bool {
	awsToo := map[string]bool{"--profile": true, "--region": true, "--instance-id": true, "--output": true, "--help": true, "--version": true, "--role-arn": true, "--user": true}
	out := map[string]bool{}
	re := regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z][a-z-]*)`)
	for _, cmd := range []string{"inspect", "decode", "diagnose", "record", "audit", "redact", "collect", "permissions", "serve", "version"} {
		var stdout bytes.Buffer
		cli.Main([]string{cmd, "--help"}, strings.NewReader(""), &stdout, io.Discard)
		for _, m := range re.FindAllStringSubmatch(stdout.String(), -1) {
			if !awsToo[m[1]] {
				out[m[1]] = true
			}
		}
	}
	for _, f := range []string{"--aws-data", "--session-name-field", "--since", "--sp-key"} {
		if !out[f] {
			t.Fatalf("samldoctor's flags from --help lack %s: %v", f, out)
		}
	}
	return out
}

// english are hyphenated words of English, and names of standards and
// algorithms, that the page may use.
var english = map[string]bool{
	"sign-in": true, "sign-ins": true, "read-only": true, "e-mail": true, "case-sensitive": true, "built-in": true,
	"third-party": true, "re-run": true, "one-time": true, "multi-factor": true, "user-name": true, "pre-signed": true,
	"frame-ancestors": true, "rsa-sha256": true, "rsa-sha1": true, "sha-1": true, "sha-256": true, "x509": true,
	"long-lived": true, "up-to-date": true, "time-out": true, "per-operation": true, "non-saml": true,
	"in-place": true, "idp-initiated": true, "sp-initiated": true, "cross-account": true, "last-resort": true,
	"signature-wrapping": true, "sign-on": true, "auto-post": true, "re-formatted": true, "re-formatting": true,
	"re-encoding": true, "signed-in": true, "cross-site": true, "comma-separated": true,
}

// vendor are the identity providers' own codes, as their error pages
// show them (app_not_configured_for_user): quoted, not samldoctor's.
var vendor = func() map[string]bool {
	out := map[string]bool{}
	for _, p := range idp.Products {
		for _, e := range p.Errors {
			for _, w := range regexp.MustCompile(`[a-z]+(?:[_-][a-z]+)+`).FindAllString(e.Pattern, -1) {
				out[w] = true
			}
		}
	}
	return out
}()

// productTerms are the IdP products' own names that the steps must use
// as the product writes them: msiam_access is the default app role of
// Entra's gallery apps (AWS Single-Account Access).
var productTerms = map[string]bool{"msiam_access": true}

var (
	snakeRE  = regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`)
	kebabRE  = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)+$`)
	idRE     = regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`)
	regionRE = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$`)
	fileRE   = regexp.MustCompile(`\.(json|har|gz|xml|csv|pem|crt|cer|der|txt|b64|base64|png|zip|sh|ps1)$`)
	awsCmdRE = regexp.MustCompile(`^(list|get|describe|create|update|put|delete|associate|disassociate|attach|detach|search|lookup|simulate|add|remove|tag|untag)-[a-z-]+$`)
)

// idPrefix reports whether tok starts as finding ids do (connect., saml.,
// ...): users.json does not.
func idPrefix(ids map[string]bool, tok string) bool {
	p, _, _ := strings.Cut(tok, ".")
	for id := range ids {
		if strings.HasPrefix(id, p+".") {
			return true
		}
	}
	return false
}

// internalTokens lists the tokens of text that are samldoctor's internal
// words or command-line flags, each with its context.
func internalTokens(text string, ids, flags map[string]bool) []string {
	var bad []string
	for _, line := range strings.Split(text, "\n") {
		words := strings.Fields(line)
		for i, w := range words {
			tok := strings.Trim(w, ".,;:!?()[]{}\"'“”‘’«»…*")
			if tok == "" {
				continue
			}
			ctx := strings.Join(words[max(0, i-6):min(len(words), i+4)], " ")
			if strings.HasPrefix(tok, "--") {
				f := strings.SplitN(tok, "=", 2)[0]
				before := strings.Join(words[:i], " ")
				if cut := max(strings.LastIndex(before, ". "), strings.LastIndex(before, "; ")); cut >= 0 {
					before = before[cut:]
				}
				if flags[f] && !strings.Contains(before, "samldoctor ") {
					bad = append(bad, fmt.Sprintf("command-line flag %s outside a samldoctor command: %q", f, ctx))
				}
				continue
			}
			if strings.ContainsAny(tok, ":/@=\\$<>") || uuidRE.MatchString(tok) || regionRE.MatchString(tok) {
				continue // a URL, an ARN, a path, an address, an ID, a Region
			}
			if fileRE.MatchString(tok) {
				continue // a file name
			}
			if idRE.MatchString(tok) && (idPrefix(ids, tok) || strings.Contains(tok, "_")) {
				if !ids[tok] {
					bad = append(bad, fmt.Sprintf("token %s is no finding id: %q", tok, ctx))
				}
				continue
			}
			if strings.Contains(tok, ".") && !strings.Contains(tok, "_") {
				continue // a host name, a version
			}
			if snakeRE.MatchString(tok) && !vendor[tok] && !productTerms[tok] {
				bad = append(bad, fmt.Sprintf("snake_case token %s: %q", tok, ctx))
				continue
			}
			if kebabRE.MatchString(tok) && !english[tok] && !vendor[tok] && !awsCmdRE.MatchString(tok) {
				bad = append(bad, fmt.Sprintf("kebab-case token %s: %q", tok, ctx))
			}
		}
	}
	return bad
}

// The token check itself: the page's tokens of old are caught, its words
// are not.
func TestInternalTokens(t *testing.T) {
	ids := map[string]bool{"connect.not_onboarded": true}
	flags := map[string]bool{"--aws-data": true, "--aws": true}
	for _, tt := range []struct {
		text string
		bad  int
	}{
		{"Seen html-form https://login.microsoftonline.com/x", 1},
		{"Signature on Assertion valid-embedded-only (KeyInfo)", 1},
		{"Check not_checked", 1},
		{"pass the files with --aws-data (a folder works too)", 1},
		{"unknown.finding_id here", 1},
		// Near misses: words, ids, commands, files, IDs, Regions.
		{"entry 1: in a form on https://x/ → form action https://signin.aws.amazon.com/saml", 0},
		{"not verified: no certificate to check it with [connect.not_onboarded]", 0},
		{"run list-users and get-role, then add users.json and not-onboarded.har under “AWS CLI outputs”", 0},
		{"instance aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee in ap-southeast-2, read-only sign-in", 0},
		{"or let samldoctor serve --aws read them; AWS_PROFILE", 0},
	} {
		if got := internalTokens(tt.text, ids, flags); len(got) != tt.bad {
			t.Errorf("%q: %v", tt.text, got)
		}
	}
}
