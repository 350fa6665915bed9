package record

import (
	"net/url"
	"sort"
	"strings"
	"time"
)

// HAR 1.2 as the recorder writes it: the fields browsers' own exports
// have, Chromium's underscore extensions for the resource type, and the
// browser's reports of what it blocked under log._browserReports.

type harFile struct {
	Log harLog `json:"log"`
}

type harLog struct {
	Version string     `json:"version"`
	Creator harCreator `json:"creator"`
	Browser harCreator `json:"browser"`
	Pages   []harPage  `json:"pages"`
	Entries []harEntry `json:"entries"`
	// Reports are the browser's own reports of what it refused or
	// blocked (Audits issues, Log entries): the evidence a HAR export
	// never holds.
	Reports []Report `json:"_browserReports"`
}

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harPage struct {
	StartedDateTime string         `json:"startedDateTime"`
	ID              string         `json:"id"`
	Title           string         `json:"title"`
	PageTimings     harPageTimings `json:"pageTimings"`
	// Target is the tab or popup the page was loaded in: what tells a
	// Streams login popup from the agent application's tab.
	Target    string `json:"_target,omitempty"`
	started   time.Time
	monotonic float64
}

type harPageTimings struct {
	OnContentLoad float64 `json:"onContentLoad"`
	OnLoad        float64 `json:"onLoad"`
}

type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harEntry struct {
	Pageref         string      `json:"pageref,omitempty"`
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress,omitempty"`
	Connection      string      `json:"connection,omitempty"`
	ResourceType    string      `json:"_resourceType,omitempty"`
	// FrameID and Target say which frame and which tab, popup or frame
	// target made the request.
	FrameID string `json:"_frameId,omitempty"`
	Target  string `json:"_target,omitempty"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Cookies     []harNV      `json:"cookies"`
	Headers     []harNV      `json:"headers"`
	QueryString []harNV      `json:"queryString"`
	PostData    *harPostData `json:"postData,omitempty"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

type harPostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []harNV `json:"params,omitempty"`
}

type harResponse struct {
	Status      int        `json:"status"`
	StatusText  string     `json:"statusText"`
	HTTPVersion string     `json:"httpVersion"`
	Cookies     []harNV    `json:"cookies"`
	Headers     []harNV    `json:"headers"`
	Content     harContent `json:"content"`
	RedirectURL string     `json:"redirectURL"`
	HeadersSize int        `json:"headersSize"`
	BodySize    int        `json:"bodySize"`
	Error       string     `json:"_error,omitempty"`
}

type harContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

// Report is one of the browser's own reports of content it blocked or
// refused, with the frame and URL it concerns.
type Report struct {
	Time string `json:"time"`
	// Source is "audits" (an issue of the Issues panel) or "log" (a
	// console message the browser wrote itself).
	Source string `json:"source"`
	// Kind is "content-security-policy", "x-frame-options", "cookie",
	// "mixed-content", or the code / "console" for others.
	Kind string `json:"kind"`
	// Directive is the Content-Security-Policy directive violated
	// ("frame-ancestors").
	Directive string `json:"directive,omitempty"`
	// URL is what was blocked: the refused frame's document, the
	// resource, the cookie's request.
	URL string `json:"url,omitempty"`
	// FrameURL is the document the report was made in (for a refused
	// frame: the page embedding it); PageURL the tab's top-level page.
	FrameURL string   `json:"frameUrl,omitempty"`
	PageURL  string   `json:"pageUrl,omitempty"`
	Level    string   `json:"level,omitempty"`
	Reasons  []string `json:"reasons,omitempty"`
	Text     string   `json:"text"`
	Pageref  string   `json:"pageref,omitempty"`
}

func harTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// queryString splits a URL's query as HAR lists it.
func queryString(raw string) []harNV {
	out := []harNV{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harNV{k, v})
	}
	return out
}

// formParams lists a form body's fields as Chromium's HAR writer does:
// in order, values as sent (URL-encoded).
func formParams(text string) []harNV {
	out := []harNV{}
	for _, kv := range strings.Split(text, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		out = append(out, harNV{k, v})
	}
	return out
}

// headerList is a header map as a sorted list; a value holding several
// lines (Set-Cookie) is one header per line.
func headerList(h map[string]any) []harNV {
	out := []harNV{}
	for k, v := range h {
		s, _ := v.(string)
		for _, line := range strings.Split(s, "\n") {
			out = append(out, harNV{k, line})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out
}

func headerValue(h []harNV, name string) string {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return x.Value
		}
	}
	return ""
}

// cookieList reads the cookies of a Cookie header.
func cookieList(h []harNV) []harNV {
	out := []harNV{}
	for _, x := range h {
		if !strings.EqualFold(x.Name, "cookie") {
			continue
		}
		for _, c := range strings.Split(x.Value, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(c), "=")
			if k != "" {
				out = append(out, harNV{k, v})
			}
		}
	}
	return out
}

// setCookieList reads the cookies a response sets.
func setCookieList(h []harNV) []harNV {
	out := []harNV{}
	for _, x := range h {
		if !strings.EqualFold(x.Name, "set-cookie") {
			continue
		}
		first, _, _ := strings.Cut(x.Value, ";")
		k, v, _ := strings.Cut(strings.TrimSpace(first), "=")
		if k != "" {
			out = append(out, harNV{k, v})
		}
	}
	return out
}
