// Package record records a SAML sign-in in the person's own
// Chromium-family browser (Chrome, Edge, Chromium), started with a fresh
// temporary profile and driven over the DevTools protocol: every request
// and response of every tab, popup and frame (POST bodies, redirects,
// timings, the bodies of the pages on the sign-in path), and the
// browser's own reports of what it blocked (Content-Security-Policy and
// frame refusals, cookie blocks, mixed content), which a HAR export never
// holds. It knows when the sign-in is over (Connect or the console
// reached, an error page of AWS sign-in, Connect or the IdP shown, the
// window closed) and writes the recording as a HAR 1.2 file, the reports
// under log._browserReports. It sends nothing anywhere itself: the
// browser goes where the person goes.
package record

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/target"

	"github.com/samldoctor/samldoctor/internal/signin"
)

// Options say what to record.
type Options struct {
	// Browser is the browser's executable (FindBrowser).
	Browser string
	// Start is the first page; "" opens a page that says what to do.
	Start string
	// Headless runs the browser without a window (for tests and scripts).
	Headless bool
	// Args are given to the browser as they are (a proxy, host resolver
	// rules, certificate options for a lab).
	Args []string
	// Progress receives one line per step of the sign-in.
	Progress func(string)
	// Settle is how long recording goes on after the sign-in is over,
	// for the last bodies and reports (default 1.5 s).
	Settle time.Duration
}

// Outcome says why recording stopped.
type Outcome struct {
	// Reason is "connect", "console", "error-page", "frame-refused",
	// "closed", "interrupted" (the context ended) or "browser-exited".
	Reason string
	// Text says it for a person.
	Text string
}

// Recording is what was recorded.
type Recording struct {
	Outcome Outcome
	// Entries and Reports count what the HAR holds.
	Entries, Pages, Reports int
	// ProfileLeft is set when the temporary profile could not be deleted.
	ProfileLeft error
	har         *harFile
}

// WriteHAR writes the recording as HAR 1.2.
func (r *Recording) WriteHAR(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r.har)
}

// Record starts the browser, records until the sign-in is over or ctx
// ends, closes the browser and deletes its profile. An error means
// nothing was recorded (the browser could not be started or driven).
func Record(ctx context.Context, o Options) (*Recording, error) {
	if o.Settle == 0 {
		o.Settle = 1500 * time.Millisecond
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	proc, err := launch(ctx, o.Browser, o.Headless, o.Args)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	c, err := dial(dctx, proc.ws)
	cancel()
	if err != nil {
		proc.kill()
		return nil, fmt.Errorf("connecting to the browser's DevTools endpoint: %w", err)
	}
	r := newRecorder(c, o)
	out, rerr := r.run(ctx)
	// The browser is asked to close, then killed.
	cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	c.call(cctx, "", "Browser.close", nil, nil)
	cancel()
	c.close()
	proc.close(5 * time.Second)
	if rerr != nil {
		if proc.cleanupErr != nil {
			rerr = fmt.Errorf("%w (and the temporary profile %s could not be deleted: %v)", rerr, proc.profile, proc.cleanupErr)
		}
		return nil, rerr
	}
	rec := r.recording(out)
	rec.ProfileLeft = proc.cleanupErr
	return rec, nil
}

// session is one target the recorder is attached to: a tab, a popup, or a
// frame in another process (an out-of-process iframe).
type session struct {
	id       target.SessionID
	targetID string
	typ      string
	parent   *session
	// url is the session's main document.
	url string
	// page is the current HAR page of a tab or popup.
	page *harPage
	// ready is closed once its domains are enabled.
	ready chan struct{}
}

// root is the tab or popup a session belongs to.
func (s *session) root() *session {
	for s.parent != nil && s.typ != "page" {
		s = s.parent
	}
	return s
}

// request is one hop of a request being recorded.
type request struct {
	id        string
	sess      *session
	entry     *harEntry
	wall      time.Time
	ts        float64 // monotonic seconds when it was issued
	reqTime   float64 // ResourceTiming.requestTime
	timing    map[string]float64
	extraReq  []harNV
	extraResp []harNV
	typ       string
	frameID   string
	mainFrame bool
	done      bool
	endTS     float64
	// prev is the hop before this one of a redirected request (the
	// browser gives every hop the same request ID).
	prev *request
}

// hopFor is the hop of a redirected request that response headers
// reported apart (responseReceivedExtraInfo) belong to: the oldest hop
// still without them whose status is theirs, else the current one. The
// browser may report a hop's headers after the next hop has started.
func (q *request) hopFor(status int) *request {
	var hops []*request
	for h := q; h != nil; h = h.prev {
		hops = append([]*request{h}, hops...)
	}
	for _, h := range hops {
		if h.extraResp == nil && h.done && h != q && (status == 0 || h.entry.Response.Status == status) {
			return h
		}
	}
	if !q.done && q.extraResp == nil {
		return q
	}
	return nil
}

// recorder holds one recording.
type recorder struct {
	c        *client
	o        Options
	mu       sync.Mutex
	sessions map[target.SessionID]*session
	pages    []*harPage
	entries  []*harEntry
	reports  []Report
	reqs     map[string]*request
	// stash holds extra-info events that came before their request.
	stashReq  map[string][]harNV
	stashResp map[string][]harNV
	frames    map[string]string
	pending   sync.WaitGroup
	started   bool
	// said are the progress lines already written.
	said map[string]bool
	over chan Outcome
	once sync.Once
	// livePages counts attached tabs and popups.
	livePages int
	first     chan *session
	browser   harCreator
	bodyBytes int
}

func newRecorder(c *client, o Options) *recorder {
	return &recorder{c: c, o: o, sessions: map[target.SessionID]*session{}, reqs: map[string]*request{},
		stashReq: map[string][]harNV{}, stashResp: map[string][]harNV{}, frames: map[string]string{},
		said: map[string]bool{}, over: make(chan Outcome, 1), first: make(chan *session, 1)}
}

// finish records that the sign-in is over (the first reason wins).
func (r *recorder) finish(out Outcome) {
	r.once.Do(func() { r.over <- out })
}

func (r *recorder) say(key, line string) {
	if r.said[key] {
		return
	}
	r.said[key] = true
	r.o.Progress(line)
}

func (r *recorder) run(ctx context.Context) (Outcome, error) {
	events := make(chan struct{})
	go func() {
		defer close(events)
		for ev := range r.c.events {
			r.handle(ev)
		}
	}()
	bctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var version struct {
		Product string `json:"product"`
	}
	if err := r.c.call(bctx, "", "Browser.getVersion", nil, &version); err != nil {
		return Outcome{}, fmt.Errorf("asking the browser its version: %w", err)
	}
	name, ver, _ := strings.Cut(version.Product, "/")
	r.browser = harCreator{Name: name, Version: ver}
	if err := r.c.call(bctx, "", "Target.setDiscoverTargets", map[string]any{"discover": true}, nil); err != nil {
		return Outcome{}, err
	}
	if err := r.c.call(bctx, "", "Target.setAutoAttach", map[string]any{"autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true}, nil); err != nil {
		return Outcome{}, fmt.Errorf("attaching to the browser's tabs: %w", err)
	}
	// The first tab, once its domains are enabled, is sent to the start.
	var first *session
	select {
	case first = <-r.first:
	case <-bctx.Done():
		return Outcome{}, errors.New("the browser opened no tab within 30 s")
	}
	select {
	case <-first.ready:
	case <-bctx.Done():
		return Outcome{}, errors.New("the browser's first tab did not answer within 30 s")
	}
	start := r.o.Start
	if start == "" {
		start = "data:text/html;charset=utf-8," + url.PathEscape(blankPage)
		r.o.Progress("recording: open your identity provider's sign-in link (or the Connect access URL) in this window and sign in as usual")
	} else {
		r.o.Progress("recording: sign in as usual in the browser window; waiting for the identity provider…")
	}
	if err := r.c.call(bctx, first.id, "Page.navigate", map[string]any{"url": start}, nil); err != nil {
		return Outcome{}, fmt.Errorf("opening %s: %w", start, err)
	}
	var out Outcome
	select {
	case out = <-r.over:
		// Let the last bodies and reports arrive.
		select {
		case <-time.After(r.o.Settle):
		case <-ctx.Done():
		}
	case <-ctx.Done():
		out = Outcome{Reason: "interrupted", Text: "recording stopped before the sign-in was over (" + context.Cause(ctx).Error() + ")"}
	case <-r.c.closed:
		out = Outcome{Reason: "browser-exited", Text: "the browser was closed"}
	}
	r.waitPending(5 * time.Second)
	return out, nil
}

// waitPending waits for the bodies asked for.
func (r *recorder) waitPending(max time.Duration) {
	done := make(chan struct{})
	go func() { r.pending.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(max):
	}
}

const blankPage = `<!DOCTYPE html><html><head><title>samldoctor record</title></head><body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>samldoctor is recording this window</h1>
<p>Open your identity provider's sign-in link for Amazon Connect (or the Connect access URL, or the agent application) in this window's address bar, and sign in as usual.</p>
<p>Recording stops by itself when Connect or an error page shows. Close the window, or press Ctrl-C where samldoctor runs, to stop earlier.</p>
</body></html>`

// handle processes one event. It never waits on the browser: commands
// it needs are sent from goroutines.
func (r *recorder) handle(ev event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[ev.session]
	switch ev.method {
	case "Target.attachedToTarget":
		var p struct {
			SessionID  target.SessionID `json:"sessionId"`
			TargetInfo struct {
				TargetID string `json:"targetId"`
				Type     string `json:"type"`
				URL      string `json:"url"`
			} `json:"targetInfo"`
			WaitingForDebugger bool `json:"waitingForDebugger"`
		}
		if json.Unmarshal(ev.params, &p) != nil {
			return
		}
		ns := &session{id: p.SessionID, targetID: p.TargetInfo.TargetID, typ: p.TargetInfo.Type, parent: s, url: p.TargetInfo.URL, ready: make(chan struct{})}
		r.sessions[p.SessionID] = ns
		if ns.typ == "page" {
			r.livePages++
			if s == nil && !r.started {
				r.started = true
				r.first <- ns
			} else if s == nil {
				r.say("popup:"+ns.targetID, "a new window or popup opened")
			}
		}
		go r.setUp(ns)
	case "Target.detachedFromTarget":
		var p struct {
			SessionID target.SessionID `json:"sessionId"`
		}
		json.Unmarshal(ev.params, &p)
		if d := r.sessions[p.SessionID]; d != nil {
			delete(r.sessions, p.SessionID)
			if d.typ == "page" {
				r.livePages--
				if r.livePages == 0 && r.started {
					r.finish(Outcome{Reason: "closed", Text: "the browser window was closed"})
				}
			}
		}
	case "Page.frameNavigated":
		if s == nil {
			return
		}
		var p struct {
			Frame struct {
				ID       string `json:"id"`
				ParentID string `json:"parentId"`
				URL      string `json:"url"`
				Fragment string `json:"urlFragment"`
			} `json:"frame"`
		}
		json.Unmarshal(ev.params, &p)
		r.frames[p.Frame.ID] = p.Frame.URL
		if p.Frame.ParentID == "" {
			s.url = p.Frame.URL
		}
	case "Page.domContentEventFired", "Page.loadEventFired":
		var p struct {
			Timestamp float64 `json:"timestamp"`
		}
		json.Unmarshal(ev.params, &p)
		if s != nil && s.typ == "page" && s.page != nil && s.page.monotonic > 0 {
			ms := (p.Timestamp - s.page.monotonic) * 1000
			if ev.method == "Page.loadEventFired" {
				s.page.PageTimings.OnLoad = ms
			} else {
				s.page.PageTimings.OnContentLoad = ms
			}
		}
	case "Network.requestWillBeSent":
		r.requestWillBeSent(s, ev.params)
	case "Network.requestWillBeSentExtraInfo":
		var p struct {
			RequestID string         `json:"requestId"`
			Headers   map[string]any `json:"headers"`
		}
		json.Unmarshal(ev.params, &p)
		h := headerList(p.Headers)
		if q := r.reqs[p.RequestID]; q != nil && !q.done && q.extraReq == nil {
			q.extraReq = h
		} else {
			r.stashReq[p.RequestID] = h
		}
	case "Network.responseReceivedExtraInfo":
		var p struct {
			RequestID  string         `json:"requestId"`
			Headers    map[string]any `json:"headers"`
			StatusCode int            `json:"statusCode"`
		}
		json.Unmarshal(ev.params, &p)
		h := headerList(p.Headers)
		q := r.reqs[p.RequestID]
		if q != nil {
			q = q.hopFor(p.StatusCode)
		}
		switch {
		case q == nil:
			r.stashResp[p.RequestID] = h
		case q.done:
			// An earlier hop's, reported late: its headers (Location,
			// Content-Security-Policy, cookies) are these.
			q.extraResp = h
			r.responseHeaders(q, h)
		default:
			q.extraResp = h
		}
	case "Network.responseReceived":
		var p struct {
			RequestID string      `json:"requestId"`
			Type      string      `json:"type"`
			Response  cdpResponse `json:"response"`
		}
		json.Unmarshal(ev.params, &p)
		if q := r.reqs[p.RequestID]; q != nil && !q.done {
			r.setResponse(q, &p.Response)
		}
	case "Network.loadingFinished":
		var p struct {
			RequestID         string  `json:"requestId"`
			Timestamp         float64 `json:"timestamp"`
			EncodedDataLength float64 `json:"encodedDataLength"`
		}
		json.Unmarshal(ev.params, &p)
		if q := r.reqs[p.RequestID]; q != nil && !q.done {
			q.endTS = p.Timestamp
			q.entry.Response.BodySize = int(p.EncodedDataLength)
			r.complete(q, s)
		}
	case "Network.loadingFailed":
		var p struct {
			RequestID     string  `json:"requestId"`
			Timestamp     float64 `json:"timestamp"`
			ErrorText     string  `json:"errorText"`
			Canceled      bool    `json:"canceled"`
			BlockedReason string  `json:"blockedReason"`
		}
		json.Unmarshal(ev.params, &p)
		if q := r.reqs[p.RequestID]; q != nil && !q.done {
			q.endTS = p.Timestamp
			e := p.ErrorText
			if p.BlockedReason != "" {
				e += " (blocked: " + p.BlockedReason + ")"
			}
			q.entry.Response.Error = e
			r.complete(q, nil)
		}
	case "Audits.issueAdded":
		r.issue(s, ev.params)
	case "Log.entryAdded":
		r.logEntry(s, ev.params)
	}
}

// setUp enables the domains the recording reads on a new target, has it
// attach its own frames and workers, and lets it run.
func (r *recorder) setUp(s *session) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	defer close(s.ready)
	if s.typ == "page" || s.typ == "iframe" {
		r.c.call(ctx, s.id, "Network.enable", map[string]any{"maxTotalBufferSize": 256 << 20, "maxResourceBufferSize": 64 << 20, "maxPostDataSize": 16 << 20}, nil)
		r.c.call(ctx, s.id, "Page.enable", nil, nil)
		r.c.call(ctx, s.id, "Log.enable", nil, nil)
		r.c.call(ctx, s.id, "Audits.enable", nil, nil)
		r.c.call(ctx, s.id, "Target.setAutoAttach", map[string]any{"autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true}, nil)
	}
	r.c.call(ctx, s.id, "Runtime.runIfWaitingForDebugger", nil, nil)
}

// cdpResponse is the part of Network.Response the HAR holds.
type cdpResponse struct {
	URL             string             `json:"url"`
	Status          int                `json:"status"`
	StatusText      string             `json:"statusText"`
	Headers         map[string]any     `json:"headers"`
	MimeType        string             `json:"mimeType"`
	Protocol        string             `json:"protocol"`
	RemoteIPAddress string             `json:"remoteIPAddress"`
	ConnectionID    float64            `json:"connectionId"`
	Timing          map[string]float64 `json:"timing"`
	EncodedLength   float64            `json:"encodedDataLength"`
}

func httpVersion(protocol string) string {
	switch strings.ToLower(protocol) {
	case "h2":
		return "http/2.0"
	case "h3":
		return "http/3.0"
	case "":
		return "http/1.1"
	}
	return strings.ToLower(protocol)
}

func (r *recorder) requestWillBeSent(s *session, params json.RawMessage) {
	if s == nil {
		return
	}
	var p struct {
		RequestID string  `json:"requestId"`
		LoaderID  string  `json:"loaderId"`
		Timestamp float64 `json:"timestamp"`
		WallTime  float64 `json:"wallTime"`
		Type      string  `json:"type"`
		FrameID   string  `json:"frameId"`
		Request   struct {
			URL             string         `json:"url"`
			Method          string         `json:"method"`
			Headers         map[string]any `json:"headers"`
			PostData        string         `json:"postData"`
			HasPostData     bool           `json:"hasPostData"`
			PostDataEntries []struct {
				Bytes string `json:"bytes"`
			} `json:"postDataEntries"`
		} `json:"request"`
		RedirectResponse *cdpResponse `json:"redirectResponse"`
	}
	if json.Unmarshal(params, &p) != nil || !strings.HasPrefix(p.Request.URL, "http") {
		return
	}
	redirect := false
	if q := r.reqs[p.RequestID]; q != nil {
		if p.RedirectResponse == nil {
			return // the same request, seen from another target
		}
		if !q.done {
			r.setResponse(q, p.RedirectResponse)
			q.endTS = p.Timestamp
			q.done = true
			r.timings(q)
		}
		redirect = true
	}
	wall := time.Unix(0, int64(p.WallTime*float64(time.Second)))
	root := s.root()
	main := p.Type == "Document" && p.FrameID == s.targetID && s.typ == "page"
	if main && !redirect {
		pg := &harPage{ID: fmt.Sprintf("page_%d", len(r.pages)+1), Title: p.Request.URL, StartedDateTime: harTime(wall), started: wall, monotonic: p.Timestamp, Target: root.targetID,
			PageTimings: harPageTimings{OnContentLoad: -1, OnLoad: -1}}
		r.pages = append(r.pages, pg)
		root.page = pg
	}
	e := &harEntry{StartedDateTime: harTime(wall), ResourceType: strings.ToLower(p.Type), FrameID: p.FrameID, Target: s.targetID,
		Request: harRequest{Method: p.Request.Method, URL: p.Request.URL, HTTPVersion: "http/1.1", Headers: headerList(p.Request.Headers),
			QueryString: queryString(p.Request.URL), HeadersSize: -1},
		Response: harResponse{Headers: []harNV{}, Cookies: []harNV{}, HeadersSize: -1, BodySize: -1, Content: harContent{MimeType: "x-unknown"}},
		Timings:  harTimings{Blocked: -1, DNS: -1, Connect: -1, Send: 0, Wait: 0, Receive: 0, SSL: -1}}
	if root.page != nil {
		e.Pageref = root.page.ID
	}
	q := &request{id: p.RequestID, sess: s, entry: e, wall: wall, ts: p.Timestamp, typ: p.Type, frameID: p.FrameID, mainFrame: main}
	if redirect {
		q.prev = r.reqs[p.RequestID]
	}
	if h, ok := r.stashReq[p.RequestID]; ok {
		q.extraReq = h
		delete(r.stashReq, p.RequestID)
	}
	r.reqs[p.RequestID] = q
	r.entries = append(r.entries, e)
	var body []byte
	for _, pe := range p.Request.PostDataEntries {
		b, _ := base64.StdEncoding.DecodeString(pe.Bytes)
		body = append(body, b...)
	}
	if body == nil && p.Request.PostData != "" {
		body = []byte(p.Request.PostData)
	}
	if body != nil {
		r.setPostData(e, body)
	} else if p.Request.HasPostData {
		r.pending.Add(1)
		go func() {
			defer r.pending.Done()
			var res struct {
				PostData      string `json:"postData"`
				Base64Encoded bool   `json:"base64Encoded"`
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if r.c.call(ctx, s.id, "Network.getRequestPostData", map[string]any{"requestId": p.RequestID}, &res) != nil {
				return
			}
			b := []byte(res.PostData)
			if res.Base64Encoded {
				b, _ = base64.StdEncoding.DecodeString(res.PostData)
			}
			r.mu.Lock()
			r.setPostData(e, b)
			r.mu.Unlock()
		}()
	}
	r.progressRequest(p.Request.Method, p.Request.URL, body, main)
}

// setPostData fills postData: its text, and its fields for a form.
func (r *recorder) setPostData(e *harEntry, body []byte) {
	mime := headerValue(e.Request.Headers, "Content-Type")
	pd := &harPostData{MimeType: mime, Text: string(body)}
	if strings.HasPrefix(strings.ToLower(mime), "application/x-www-form-urlencoded") {
		pd.Params = formParams(pd.Text)
	}
	e.Request.PostData = pd
	e.Request.BodySize = len(body)
}

// setResponse fills an entry's response.
func (r *recorder) setResponse(q *request, resp *cdpResponse) {
	e := q.entry
	e.Response.Status = resp.Status
	e.Response.StatusText = resp.StatusText
	e.Response.HTTPVersion = httpVersion(resp.Protocol)
	e.Request.HTTPVersion = e.Response.HTTPVersion
	h := headerList(resp.Headers)
	if x, ok := r.stashResp[q.id]; ok && q.extraResp == nil {
		q.extraResp = x
		delete(r.stashResp, q.id)
	}
	if q.extraResp != nil {
		h = q.extraResp
	}
	r.responseHeaders(q, h)
	if q.extraReq != nil {
		e.Request.Headers = q.extraReq
	}
	e.Request.Cookies = cookieList(e.Request.Headers)
	e.Response.Content.MimeType = orDefault(resp.MimeType, "x-unknown")
	e.ServerIPAddress = strings.Trim(resp.RemoteIPAddress, "[]")
	if resp.ConnectionID > 0 {
		e.Connection = fmt.Sprint(int64(resp.ConnectionID))
	}
	q.timing = resp.Timing
	if t := resp.Timing; t != nil {
		q.reqTime = t["requestTime"]
	}
	r.progressResponse(q)
}

// responseHeaders sets an entry's response headers, the cookies they
// set and the redirect they name.
func (r *recorder) responseHeaders(q *request, h []harNV) {
	e := q.entry
	e.Response.Headers = h
	e.Response.Cookies = setCookieList(h)
	e.Response.RedirectURL = headerValue(h, "Location")
	if e.Response.RedirectURL != "" {
		if base, err := url.Parse(e.Request.URL); err == nil {
			if loc, err := base.Parse(e.Response.RedirectURL); err == nil {
				e.Response.RedirectURL = loc.String()
			}
		}
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// timings fills an entry's timings from the browser's ResourceTiming, as
// HAR 1.2 defines them: time is their sum, ssl is part of connect.
func (r *recorder) timings(q *request) {
	e := q.entry
	t := q.timing
	ms := func(a, b string) float64 {
		if t[a] < 0 || t[b] < 0 {
			return -1
		}
		return t[b] - t[a]
	}
	if t == nil || q.reqTime == 0 {
		// No timing (a failed or cached request): the whole time is a wait.
		e.Timings = harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
		if q.endTS > q.ts {
			e.Timings.Wait = (q.endTS - q.ts) * 1000
		}
		e.Time = e.Timings.Wait
		return
	}
	// Blocked: from the request being issued to its first network step.
	firstStep := t["sendStart"]
	for _, k := range []string{"connectStart", "dnsStart"} {
		if t[k] >= 0 && t[k] < firstStep {
			firstStep = t[k]
		}
	}
	blocked := (q.reqTime-q.ts)*1000 + firstStep
	if blocked < 0 {
		blocked = 0
	}
	tm := harTimings{Blocked: blocked, DNS: ms("dnsStart", "dnsEnd"), Connect: ms("connectStart", "connectEnd"), SSL: ms("sslStart", "sslEnd"),
		Send: max(0, t["sendEnd"]-t["sendStart"]), Wait: max(0, t["receiveHeadersEnd"]-t["sendEnd"])}
	if q.endTS > 0 {
		tm.Receive = max(0, (q.endTS-q.reqTime)*1000-t["receiveHeadersEnd"])
	}
	e.Timings = tm
	e.Time = tm.Blocked + tm.Send + tm.Wait + tm.Receive
	if tm.DNS > 0 {
		e.Time += tm.DNS
	}
	if tm.Connect > 0 {
		e.Time += tm.Connect
	}
}

// wantBody says whether a response's body is kept: the documents, and the
// text a sign-in's pages and scripts exchange (HTML, JSON, XML, forms).
func wantBody(q *request) bool {
	if q.typ == "Document" {
		return true
	}
	m := strings.ToLower(q.entry.Response.Content.MimeType)
	for _, s := range []string{"html", "json", "xml", "text/plain", "x-www-form-urlencoded"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// maxBody bounds a body kept in the HAR, maxBodies all of them: past
// it, bodies are judged but not kept.
const (
	maxBody   = 16 << 20
	maxBodies = 512 << 20
)

// complete ends a request: its timings, and its body fetched from the
// target that loaded it.
func (r *recorder) complete(q *request, s *session) {
	q.done = true
	r.timings(q)
	if q.entry.Response.Error != "" || !wantBody(q) || q.entry.Response.Status == 0 || (q.entry.Response.Status >= 300 && q.entry.Response.Status < 400) {
		r.judge(q, nil)
		return
	}
	sessions := []*session{}
	if s != nil {
		sessions = append(sessions, s)
	}
	if q.sess != s {
		sessions = append(sessions, q.sess)
	}
	r.pending.Add(1)
	go func() {
		defer r.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range sessions {
			var res struct {
				Body          string `json:"body"`
				Base64Encoded bool   `json:"base64Encoded"`
			}
			if r.c.call(ctx, s.id, "Network.getResponseBody", map[string]any{"requestId": q.id}, &res) != nil {
				continue
			}
			r.mu.Lock()
			c := &q.entry.Response.Content
			if len(res.Body) <= maxBody && r.bodyBytes+len(res.Body) <= maxBodies {
				r.bodyBytes += len(res.Body)
				c.Text = res.Body
				if res.Base64Encoded {
					c.Encoding = "base64"
				}
			}
			body := []byte(res.Body)
			if res.Base64Encoded {
				body, _ = base64.StdEncoding.DecodeString(res.Body)
			}
			c.Size = len(body)
			r.judge(q, body)
			r.mu.Unlock()
			return
		}
		r.mu.Lock()
		r.judge(q, nil)
		r.mu.Unlock()
	}()
}

// recording assembles the HAR.
func (r *recorder) recording(out Outcome) *Recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &harFile{Log: harLog{Version: "1.2", Creator: harCreator{Name: "samldoctor record", Version: "1"}, Browser: r.browser, Pages: []harPage{}, Entries: []harEntry{}, Reports: r.reports}}
	if h.Log.Reports == nil {
		h.Log.Reports = []Report{}
	}
	sort.SliceStable(r.pages, func(i, j int) bool { return r.pages[i].started.Before(r.pages[j].started) })
	for _, p := range r.pages {
		h.Log.Pages = append(h.Log.Pages, *p)
	}
	entries := append([]*harEntry(nil), r.entries...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].StartedDateTime < entries[j].StartedDateTime })
	for _, e := range entries {
		h.Log.Entries = append(h.Log.Entries, *e)
	}
	return &Recording{Outcome: out, Entries: len(h.Log.Entries), Pages: len(h.Log.Pages), Reports: len(h.Log.Reports), har: h}
}

// rules are the sign-in path's.
var rules = signin.Rules{}
