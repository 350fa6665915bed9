package record

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// progressRequest says where the sign-in is when a request leaves.
func (r *recorder) progressRequest(method, raw string, body []byte, main bool) {
	if method == "POST" && rules.SignIn(raw) && strings.Contains(string(body), "SAMLResponse=") {
		if strings.Contains(string(body), "roleIndex=") {
			r.say("role:"+string(body[:min(len(body), 64)]), "the role picked on AWS sign-in's role chooser posted")
		} else {
			r.say("posted", "SAMLResponse posted to AWS sign-in…")
		}
	}
}

// progressResponse says where the sign-in is when a page answers.
func (r *recorder) progressResponse(q *request) {
	if q.typ != "Document" {
		return
	}
	raw := q.entry.Request.URL
	host := hostOf(raw)
	switch rules.Stage(raw) {
	case "idp":
		r.say("idp:"+host, "identity provider "+host+"…")
	case "aws-signin":
		if q.entry.Request.Method == "GET" {
			r.say("signin:"+host, "AWS sign-in ("+host+")…")
		}
	case "connect-federation":
		r.say("federation", "Connect federation ("+host+")…")
	}
}

// judge decides, from a document that loaded, whether the sign-in is
// over: Connect or the console reached, or an error page shown.
func (r *recorder) judge(q *request, body []byte) {
	if q.typ != "Document" {
		return
	}
	e := q.entry
	raw := e.Request.URL
	stage := rules.Stage(raw)
	status := e.Response.Status
	if body != nil && status >= 200 {
		if marks := rules.Errors(raw, body, stage); len(marks) > 0 {
			where := "the identity provider"
			switch stage {
			case "aws-signin":
				where = "AWS sign-in"
			case "connect-federation", "connect-app", "aws-console":
				where = "Amazon Connect"
			}
			r.o.Progress(where + " shows an error page: " + quote(marks[0].Text))
			r.finish(Outcome{Reason: "error-page", Text: where + " showed an error page"})
			return
		}
	}
	if status < 200 || status >= 300 {
		return
	}
	switch stage {
	case "connect-app":
		if strings.HasPrefix(pathOf(raw), "/connect/login") || strings.Contains(pathOf(raw), "/auth/") {
			return // Connect's own sign-in, not the CCP
		}
		if q.mainFrame {
			r.o.Progress("Connect reached (" + hostOf(raw) + pathOf(raw) + ")")
			r.finish(Outcome{Reason: "connect", Text: "Connect reached"})
			return
		}
		// A frame may still be refused by the browser once its answer
		// is in (frame-ancestors, X-Frame-Options): it counts as
		// reached when no refusal of it followed.
		host := hostOf(raw)
		time.AfterFunc(frameGrace, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, rep := range r.reports {
				if rep.refusesFrame() && hostOf(rep.URL) == host {
					return
				}
			}
			r.o.Progress("Connect reached in a frame (" + host + pathOf(raw) + ")")
			r.finish(Outcome{Reason: "connect", Text: "Connect reached in a frame"})
		})
	case "aws-console":
		if q.mainFrame {
			r.o.Progress("the AWS console reached (" + hostOf(raw) + ")")
			r.finish(Outcome{Reason: "console", Text: "the AWS console reached"})
		}
	}
}

func quote(s string) string {
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return "\"" + s + "\""
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// issue records an Audits issue (the Issues panel).
func (r *recorder) issue(s *session, params json.RawMessage) {
	var p struct {
		Issue struct {
			Code    string `json:"code"`
			Details struct {
				CSP *struct {
					BlockedURL    string `json:"blockedURL"`
					Directive     string `json:"violatedDirective"`
					ReportOnly    bool   `json:"isReportOnly"`
					ViolationType string `json:"contentSecurityPolicyViolationType"`
					FrameAncestor *struct {
						FrameID string `json:"frameId"`
					} `json:"frameAncestor"`
				} `json:"contentSecurityPolicyIssueDetails"`
				Cookie *struct {
					Cookie *struct {
						Name   string `json:"name"`
						Domain string `json:"domain"`
						Path   string `json:"path"`
					} `json:"cookie"`
					Warnings   []string `json:"cookieWarningReasons"`
					Exclusions []string `json:"cookieExclusionReasons"`
					Operation  string   `json:"operation"`
					CookieURL  string   `json:"cookieUrl"`
					Request    *struct {
						URL string `json:"url"`
					} `json:"request"`
				} `json:"cookieIssueDetails"`
				Mixed *struct {
					ResourceType string `json:"resourceType"`
					Resolution   string `json:"resolutionStatus"`
					InsecureURL  string `json:"insecureURL"`
					MainURL      string `json:"mainResourceURL"`
				} `json:"mixedContentIssueDetails"`
			} `json:"details"`
		} `json:"issue"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	rep := Report{Source: "audits", Kind: p.Issue.Code}
	d := p.Issue.Details
	switch {
	case d.CSP != nil:
		rep.Kind, rep.Directive, rep.URL = "content-security-policy", directiveName(d.CSP.Directive), d.CSP.BlockedURL
		rep.Text = "Content Security Policy directive " + d.CSP.Directive + " blocked " + orDefault(d.CSP.BlockedURL, d.CSP.ViolationType)
		if d.CSP.ReportOnly {
			rep.Text += " (report only)"
		}
		if d.CSP.FrameAncestor != nil {
			rep.FrameURL = r.frames[d.CSP.FrameAncestor.FrameID]
		}
	case d.Cookie != nil:
		rep.Kind = "cookie"
		rep.Reasons = append(append([]string{}, d.Cookie.Exclusions...), d.Cookie.Warnings...)
		rep.URL = d.Cookie.CookieURL
		if rep.URL == "" && d.Cookie.Request != nil {
			rep.URL = d.Cookie.Request.URL
		}
		name := ""
		if d.Cookie.Cookie != nil {
			name = d.Cookie.Cookie.Name + " (" + d.Cookie.Cookie.Domain + d.Cookie.Cookie.Path + ")"
		}
		verb := "blocked"
		if len(d.Cookie.Exclusions) == 0 {
			verb = "warned about"
		}
		rep.Text = "cookie " + name + " " + verb + " on " + strings.ToLower(strings.TrimPrefix(d.Cookie.Operation, "")) + ": " + strings.Join(rep.Reasons, ", ")
	case d.Mixed != nil:
		rep.Kind, rep.URL = "mixed-content", d.Mixed.InsecureURL
		rep.Text = "mixed content: " + d.Mixed.ResourceType + " " + d.Mixed.InsecureURL + " on " + d.Mixed.MainURL + " (" + d.Mixed.Resolution + ")"
	default:
		return // issues that say nothing about blocked content
	}
	r.addReport(s, rep)
}

var (
	quotedURL     = regexp.MustCompile(`^(?:Refused to (?:frame|display|load|connect to|execute)[^']*|Framing )'([^']+)'`)
	violatedQuote = regexp.MustCompile(`directive: "([^"]+)"`)
)

// logEntry records what the browser wrote to the console itself about
// blocked content: frame refusals (CSP frame-ancestors, X-Frame-Options),
// other CSP refusals, mixed content, cookies.
func (r *recorder) logEntry(s *session, params json.RawMessage) {
	var p struct {
		Entry struct {
			Source    string  `json:"source"`
			Level     string  `json:"level"`
			Text      string  `json:"text"`
			Timestamp float64 `json:"timestamp"`
			URL       string  `json:"url"`
		} `json:"entry"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	t := p.Entry.Text
	rep := Report{Source: "log", Level: p.Entry.Level, Text: t}
	if p.Entry.Timestamp > 0 {
		rep.Time = harTime(time.UnixMilli(int64(p.Entry.Timestamp)))
	}
	if m := quotedURL.FindStringSubmatch(t); m != nil {
		rep.URL = m[1]
	}
	switch {
	case strings.Contains(t, "Content Security Policy"):
		rep.Kind = "content-security-policy"
		if m := violatedQuote.FindStringSubmatch(t); m != nil {
			rep.Directive = directiveName(m[1])
		}
		if strings.Contains(t, "frame-ancestors") {
			rep.Directive = "frame-ancestors"
		}
	case strings.Contains(t, "X-Frame-Options"):
		rep.Kind = "x-frame-options"
	case strings.Contains(t, "Mixed Content"):
		rep.Kind = "mixed-content"
	case strings.Contains(strings.ToLower(t), "cookie") && (p.Entry.Level == "warning" || p.Entry.Level == "error"):
		rep.Kind = "cookie"
	default:
		return
	}
	r.addReport(s, rep)
}

// directiveName is a directive's name without its sources.
func directiveName(d string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(d), " ")
	return name
}

// addReport keeps a report with the frame and page it concerns, and ends
// the sign-in when the browser refused a frame on the sign-in path.
func (r *recorder) addReport(s *session, rep Report) {
	if rep.Time == "" {
		rep.Time = harTime(time.Now())
	}
	if s != nil {
		if rep.FrameURL == "" {
			rep.FrameURL = s.url
		}
		root := s.root()
		rep.PageURL = root.url
		if root.page != nil {
			rep.Pageref = root.page.ID
		}
	}
	for _, old := range r.reports {
		if old.Kind == rep.Kind && old.URL == rep.URL && old.Directive == rep.Directive && old.Source == rep.Source && old.Text == rep.Text {
			return // the same report twice (a frame retried)
		}
	}
	r.reports = append(r.reports, rep)
	if rep.refusesFrame() {
		why := "X-Frame-Options"
		if rep.Directive == "frame-ancestors" {
			why = "Content-Security-Policy frame-ancestors"
		}
		r.say("refused:"+rep.URL, "the browser refused to show "+orDefault(originOf(rep.URL), "a page")+" in a frame of "+orDefault(hostOf(rep.FrameURL), "the page")+" ("+why+")")
		if rules.Stage(rep.URL) != "" {
			r.finish(Outcome{Reason: "frame-refused", Text: "the browser refused a frame of the sign-in"})
		}
	}
}

// frameGrace is how long a frame's document may still be refused after
// it loaded.
const frameGrace = 1 * time.Second

func (rep Report) refusesFrame() bool {
	return rep.Directive == "frame-ancestors" || rep.Kind == "x-frame-options"
}

// originOf is a URL's scheme and host: what is shown of a URL that may
// carry tokens in its path or query.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
