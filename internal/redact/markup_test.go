package redact_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

// HTML inside JSON string values is scanned as HTML: a password input,
// a CSRF meta tag, a credential's text area, in a response body, a
// request body, nested objects and arrays, a body that is not valid JSON
// (its quotes still escaped), and HTML escaped for HTML. The near
// misses: HTML without credentials and ordinary words keep every byte.
func TestHTMLInJSONValues(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	leaks := []string{"Leak0501", "Leak0502", "Leak0503", "Leak0504", "Leak0505", "Leak0506", "Leak0507"}
	keep := map[string]string{
		"p":     `<p>Hello <b>world</b>, enter your password below.</p>`,
		"label": "Password",
		"user":  `<input type="text" name="username" value="jane.doe">`,
		"view":  `<meta name="viewport" content="width=device-width">`,
	}
	keepJSON, _ := json.Marshal(keep)
	steps := []fixture.Step{
		{Time: at, Method: "GET", URL: "https://idp.example.org/api/fragment", Status: 200, Mime: "application/json",
			Body: `{"html":"<input type=password value=Leak0501>","near":` + string(keepJSON) + `}`},
		{Time: at.Add(time.Second), Method: "GET", URL: "https://idp.example.org/api/page", Status: 200, Mime: "application/json",
			Body: `{"data":{"parts":["<form><input name=\"pf.pass\" value=\"Leak0502\"></form>","<meta name=\"csrf-token\" content=\"Leak0503\">"]}}`},
		{Time: at.Add(2 * time.Second), Method: "GET", URL: "https://idp.example.org/api/cut", Status: 200, Mime: "application/json",
			Body: `{"html":"<textarea name=\"password\">Leak0504</textarea><input type=\"password\" value=\"Leak0505\">",`},
		{Time: at.Add(3 * time.Second), Method: "GET", URL: "https://idp.example.org/api/escaped", Status: 200, Mime: "application/json",
			Body: `{"srcdoc":"&lt;input type=&quot;password&quot; value=&quot;Leak0506&quot;&gt;"}`},
	}
	har := fixture.HAR(fixture.Chrome, steps)
	// A JSON request body with HTML in it.
	post := `{"startedDateTime":"2026-11-20T09:00:09.000Z","time":1,"request":{"method":"POST","url":"https://idp.example.org/api/save","headers":[],"postData":{"mimeType":"application/json","text":` +
		mustJSON(`{"draft":"<input type='password' value='Leak0507'>"}`) + `}},"response":{"status":200,"headers":[],"content":{"size":0,"mimeType":"text/html"}}},`
	har = []byte(strings.Replace(string(har), `"entries":[`, `"entries":[`+post, 1))
	out, bodies := redactSteps(t, har)
	for _, l := range leaks {
		if !strings.Contains(string(har), l) {
			t.Fatalf("%s is not in the input", l)
		}
		if strings.Contains(out, l) {
			t.Errorf("%s survived redaction", l)
		}
	}
	var first struct{ Near map[string]string }
	if err := json.Unmarshal([]byte(bodies[1]), &first); err != nil {
		t.Fatalf("the first body is not JSON: %v: %s", err, bodies[1])
	}
	for k, v := range keep {
		if first.Near[k] != v {
			t.Errorf("redaction changed what is not a secret: %s = %q, want %q", k, first.Near[k], v)
		}
	}
}

// Credentials a script assigns, in a page's <script> and in a script
// file: the anti-forgery token in var csrf = '...', a member set by name,
// a property of window, a JSON object in the script, a header or storage
// item set by a call. The near misses: code and words that only mention
// credentials stay byte for byte.
func TestScriptAssignments(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	script := `var csrf='Leak0601'; window.token = "Leak0602"; var boot = {"access_token":"Leak0603"};` +
		` window["xsrfToken"] = 'Leak0604'; xhr.setRequestHeader("X-CSRF-Token", "Leak0605");` +
		` localStorage.setItem('id_token', 'Leak0606'); const session = {` + "\n  sessionId:\n    \"Leak0607\"\n};"
	near := `var retries = 3; var fields = ["password", "username"]; alert("Wrong password, try again");` +
		` el.setAttribute("type", "password"); if (token === null) { login(); } window.title = "Sign in";`
	steps := []fixture.Step{
		{Time: at, Method: "GET", URL: "https://idp.example.org/login", Status: 200, Mime: "text/html",
			Body: `<html><head><script>` + script + `</script><script>` + near + `</script></head><body></body></html>`},
		{Time: at.Add(time.Second), Method: "GET", URL: "https://idp.example.org/app.js", Status: 200, Mime: "application/javascript",
			Body: script + "\n" + near},
	}
	out, bodies := redactSteps(t, fixture.HAR(fixture.Chrome, steps))
	for i := 1; i <= 7; i++ {
		l := "Leak060" + string(rune('0'+i))
		if strings.Contains(out, l) {
			t.Errorf("%s survived redaction", l)
		}
	}
	for i, b := range bodies {
		if !strings.Contains(b, near) {
			t.Errorf("body %d: redaction changed what is not a secret:\n%s", i, b)
		}
	}
}
