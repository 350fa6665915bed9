package capture_test

import (
	"reflect"
	"testing"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

// A page keeps what tells a frame from a tab and what the browser was
// told about framing it: Sec-Fetch-Dest, the CSP's frame-ancestors,
// X-Frame-Options, and the tab or popup it was loaded in (samldoctor
// record's pages and targets).
func TestPageFraming(t *testing.T) {
	steps := []fixture.Step{
		{Time: at, Method: "GET", URL: "https://agent.example.com/desk", Status: 200, Mime: "text/html", Body: "<html>desk</html>", Window: "TAB1", Type: "document",
			ReqHeaders: [][2]string{{"sec-fetch-dest", "document"}}},
		{Time: at.Add(1), Method: "GET", URL: "https://example-corp.my.connect.aws/ccp-v2/", Status: 200, Mime: "text/html", Body: "<html>ccp</html>", Window: "TAB1", Type: "document",
			ReqHeaders:  [][2]string{{"Sec-Fetch-Dest", "iframe"}, {"Referer", "https://agent.example.com/"}},
			RespHeaders: [][2]string{{"content-security-policy", "default-src 'self'; frame-ancestors 'self' https://agent.example.com https://*.crm.example.net:8443"}, {"content-security-policy-report-only", "frame-ancestors 'none'"}}},
		{Time: at.Add(2), Method: "GET", URL: "https://signin.aws.amazon.com/saml", Status: 200, Mime: "text/html", Body: "<html>sign in</html>", Window: "POPUP7", Type: "document",
			RespHeaders: [][2]string{{"X-Frame-Options", "deny"}}},
	}
	c := read(t, "frames.har", fixture.HAR(fixture.Chrome, steps))
	if len(c.Pages) != 2 {
		t.Fatalf("%d pages: %+v", len(c.Pages), c.Pages)
	}
	ccp, si := c.Pages[0], c.Pages[1]
	if !ccp.InFrame() || ccp.Window != "TAB1" || si.Window != "POPUP7" || si.InFrame() || si.XFrameOptions != "DENY" {
		t.Errorf("ccp %q in frame %v, window %q; sign-in window %q, XFO %q", ccp.FetchDest, ccp.InFrame(), ccp.Window, si.Window, si.XFrameOptions)
	}
	if want := [][]string{{"'self'", "https://agent.example.com", "https://*.crm.example.net:8443"}}; !reflect.DeepEqual(ccp.FrameAncestors, want) {
		t.Errorf("frame-ancestors %q (the report-only policy is not enforced)", ccp.FrameAncestors)
	}
	for _, tt := range []struct {
		origin      string
		allowed, ok bool
	}{
		{"https://agent.example.com", true, true},
		{"https://AGENT.example.com:443", true, true},
		{"https://agent.example.com:8443", false, true}, // another port
		{"http://agent.example.com", false, true},       // another scheme
		{"https://agents.example.com", false, true},
		{"https://desk.crm.example.net:8443", true, true},
		{"https://crm.example.net:8443", false, true}, // *. needs a subdomain
		{"https://example-corp.my.connect.aws", true, true},
	} {
		if a, ok := ccp.FrameAllowed(tt.origin); a != tt.allowed || ok != tt.ok {
			t.Errorf("FrameAllowed(%s) = %v, %v; want %v, %v", tt.origin, a, ok, tt.allowed, tt.ok)
		}
	}
	if _, ok := si.FrameAllowed("https://agent.example.com"); ok {
		t.Error("a response without frame-ancestors judged by them")
	}
	for _, tt := range []struct {
		csp    string
		origin string
		want   bool
	}{
		{"frame-ancestors 'none'", "https://a.example", false},
		{"frame-ancestors *", "https://a.example", true},
		{"frame-ancestors https:", "https://a.example", true},
		{"frame-ancestors http://a.example", "https://a.example", true}, // upgrade
		{"frame-ancestors a.example", "https://a.example", true},
		{"frame-ancestors https://a.example, frame-ancestors https://b.example", "https://a.example", false}, // two policies: both must allow
	} {
		p := capture.Page{URL: "https://x.my.connect.aws/ccp-v2/"}
		c := read(t, "csp.har", fixture.HAR(fixture.Chrome, []fixture.Step{{Time: at, Method: "GET", URL: p.URL, Status: 200, Mime: "text/html", Body: "<html></html>",
			RespHeaders: [][2]string{{"Content-Security-Policy", tt.csp}}}}))
		if got, _ := c.Pages[0].FrameAllowed(tt.origin); got != tt.want {
			t.Errorf("%s for %s: %v, want %v", tt.csp, tt.origin, got, tt.want)
		}
	}
	// A browser's own export names no window.
	c = read(t, "export.har", fixture.HAR(fixture.Firefox, []fixture.Step{{Time: at, Method: "GET", URL: "https://signin.aws.amazon.com/saml", Status: 200, Mime: "text/html", Body: "<html></html>"}}))
	if w := c.Pages[0].Window; w != "" {
		t.Errorf("window %q", w)
	}
}

// The referrer policy of a document off the sign-in path is kept as the
// browser reads it: the header's last known token, overridden by the
// last <meta name="referrer"> whose content is a policy (legacy values
// mapped); documents that set none, subresources and pages on the
// sign-in path are not kept.
func TestReferrerPolicies(t *testing.T) {
	doc := func(url string, hdrs [][2]string, body string) fixture.Step {
		return fixture.Step{Time: at, Method: "GET", URL: url, Status: 200, Mime: "text/html", Body: body, Window: "TAB1", Type: "document",
			ReqHeaders: [][2]string{{"Sec-Fetch-Dest", "document"}}, RespHeaders: hdrs}
	}
	tests := []struct {
		name       string
		step       fixture.Step
		policy     string
		from       string
		sendsOrgin bool
	}{
		{"header", doc("https://agent.example.com/desk", [][2]string{{"Referrer-Policy", "no-referrer"}}, "<html></html>"), "no-referrer", "header", false},
		{"last known token", doc("https://agent.example.com/desk", [][2]string{{"referrer-policy", "no-referrer, strict-origin-when-cross-origin, not-a-policy"}}, "<html></html>"), "strict-origin-when-cross-origin", "header", true},
		{"two header lines", doc("https://agent.example.com/desk", [][2]string{{"Referrer-Policy", "origin"}, {"Referrer-Policy", "Same-Origin"}}, "<html></html>"), "same-origin", "header", false},
		{"meta overrides the header", doc("https://agent.example.com/desk", [][2]string{{"Referrer-Policy", "origin"}}, `<html><head><META NAME="Referrer" content="no-referrer"></head></html>`), "no-referrer", "meta", false},
		{"legacy meta", doc("https://agent.example.com/desk", nil, `<html><head><meta name="referrer" content="never"/></head></html>`), "no-referrer", "meta", false},
		{"unknown meta ignored", doc("https://agent.example.com/desk", [][2]string{{"Referrer-Policy", "no-referrer"}}, `<html><head><meta name="referrer" content="bogus"></head></html>`), "no-referrer", "header", false},
		{"origin sends it", doc("https://agent.example.com/desk", nil, `<meta name="referrer" content="origin">`), "origin", "meta", true},
		{"none set", doc("https://agent.example.com/desk", nil, `<html><head><meta name="description" content="no-referrer"></head></html>`), "", "", true},
		{"on the sign-in path", doc("https://signin.aws.amazon.com/saml", [][2]string{{"Referrer-Policy", "no-referrer"}}, "<html></html>"), "", "", true},
		{"a script", fixture.Step{Time: at, Method: "GET", URL: "https://agent.example.com/app.js", Status: 200, Mime: "application/javascript", Body: "x", Type: "script",
			RespHeaders: [][2]string{{"Referrer-Policy", "no-referrer"}}}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := read(t, "rp.har", fixture.HAR(fixture.Chrome, []fixture.Step{tt.step}))
			if tt.policy == "" {
				if len(c.ReferrerPolicies) != 0 {
					t.Errorf("kept %+v", c.ReferrerPolicies)
				}
				return
			}
			if len(c.ReferrerPolicies) != 1 {
				t.Fatalf("policies %+v", c.ReferrerPolicies)
			}
			p := c.ReferrerPolicies[0]
			if p.Policy != tt.policy || p.From != tt.from || p.SendsOrigin() != tt.sendsOrgin || p.Origin() != "https://agent.example.com" || p.Window != "TAB1" || p.FetchDest != "document" || p.File != "rp.har" {
				t.Errorf("policy %+v (sends origin %v)", p, p.SendsOrigin())
			}
		})
	}
}
