// Package capture reads browser captures (HAR 1.2 from Chrome, Edge,
// Firefox, Safari and Playwright; SAML-tracer exports; a bare SAMLResponse or
// SAMLRequest value) and finds every SAML message in them and every response
// along the sign-in path. HAR files are streamed: memory is bounded by
// constants, not by the size of the file.
package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
)

// Formats of input files.
const (
	FormatHAR    = "har"
	FormatTracer = "saml-tracer"
	FormatValue  = "value"
)

// Capture is everything read from one or more input files.
type Capture struct {
	Sources  []Source
	Messages []*Message
	Pages    []Page
	Warnings []Warning
	// Reports are the browser's own reports of content it refused or
	// blocked, from a HAR's log._browserReports (samldoctor record
	// writes them; a browser's export holds none).
	Reports []BrowserReport
	// Windows are the tabs and popups the entries were made in, each
	// with the time of its first and last request (of every kind, not
	// only pages): how long a popup stayed open.
	Windows []Window
	// ReferrerPolicies are the referrer policies of the documents off the
	// sign-in path that set one (an agent application's page framing the
	// CCP), in the order read.
	ReferrerPolicies []ReferrerPolicy
}

// Window is one tab or popup of a capture file (Page.Window).
type Window struct {
	File, ID    string
	First, Last time.Time
	Entries     int
}

// BrowserReport is one report of the browser about content it blocked:
// an issue of its Issues panel or a message it wrote to the console.
type BrowserReport struct {
	File string
	// Index is the report's place in log._browserReports.
	Index int
	Time  time.Time
	// Source is "audits" or "log".
	Source string
	// Kind is "content-security-policy", "x-frame-options", "cookie",
	// "mixed-content", or another issue's code.
	Kind string
	// Directive is the Content-Security-Policy directive violated
	// ("frame-ancestors").
	Directive string
	// URL is what was blocked (for a refused frame, its document or
	// origin).
	URL string
	// FrameURL is the document the report was made in (for a refused
	// frame, the page embedding it); PageURL the tab's top-level page.
	FrameURL string
	PageURL  string
	Level    string
	Reasons  []string
	Text     string
	// Window is the browser window (tab or popup) the report was made
	// in, as Page.Window names it; "" when the capture does not say.
	Window  string
	pageref string
}

// FrameRefused reports whether the browser refused to show URL in a
// frame (CSP frame-ancestors, X-Frame-Options).
func (b BrowserReport) FrameRefused() bool {
	return b.Directive == "frame-ancestors" || b.Kind == "x-frame-options"
}

// maxReports bounds the browser reports kept from one file.
const maxReports = 1000

// Source describes one input file.
type Source struct {
	File      string
	Format    string
	Gzip      bool
	Creator   string
	Entries   int
	Bytes     int64
	Truncated *Truncation
}

// Truncation says where a file that ends early stopped.
type Truncation struct {
	Offset  int64
	Message string
}

// Warning is something about the input that a person should know.
type Warning struct {
	File    string
	Entry   int
	Message string
	// Code names a warning a diagnosis acts on: WarnEntriesLost.
	Code string
}

// WarnEntriesLost is the code of a SAML-tracer export that does not chain:
// it may have lost requests.
const WarnEntriesLost = "entries_lost"

// Place is one place a message was seen.
type Place struct {
	File  string
	Entry int
	Time  time.Time
	// ServerDate is the response's Date header (the server's clock).
	ServerDate time.Time
	Method     string
	URL        string
	// Where is "post" (a form POST body), "query" (the URL),
	// "html-form" (a form in a response body), "saml-tracer" (the message
	// SAML-tracer stored), or "value" (a bare value file).
	Where string
	// FormAction is the form's action, for html-form places.
	FormAction string
	// RoleChooser marks AWS's role selection page.
	RoleChooser bool
	RelayState  string
	RoleIndex   string
	Status      int
	// SignIn is set for a POST to a sign-in endpoint of the service
	// provider (Options.Path decides which URLs are).
	SignIn bool
}

// Message is one SAML message, however many times it was seen.
type Message struct {
	Type    string
	Binding string
	Seen    []Place
	// RelayState is the value posted with the message to AWS sign-in (or
	// the first one seen).
	RelayState string
	// RoleIndex is the role the AWS role chooser POST picked.
	RoleIndex string
	// Encoding lists the decoding steps (url-decode, base64, deflate, xml).
	Encoding []string
	Notes    []string
	// DecodeError says why the value could not be decoded.
	DecodeError string
	// Hostile is set when the value is built to attack its reader (a
	// DEFLATE bomb, XML entity declarations); it was refused.
	Hostile bool
	// ParseError says why the XML could not be read.
	ParseError string
	// AWS is what AWS sign-in reads from the assertion (its Role,
	// RoleSessionName and other attributes).
	AWS    *assertion.AWS
	Parsed *assertion.Message
	// DecryptError says why the encrypted assertion could not be
	// decrypted with the key given.
	DecryptError string
	// Decrypted is set when the assertion was decrypted (--sp-key): Parsed
	// then describes the decrypted message, and Original the message as
	// sent, whose XML is XML.
	Decrypted    bool
	DecryptedXML []byte
	Original     *assertion.Message

	// XML is the decoded message; Raw the value as captured. Both hold a
	// live assertion and are printed only on request.
	XML []byte
	Raw string
	key [32]byte
}

// Time is when the message was first seen.
func (m *Message) Time() time.Time {
	for _, p := range m.Seen {
		if !p.Time.IsZero() {
			return p.Time
		}
	}
	return time.Time{}
}

// PostedToSignIn returns the first place the message was posted to a
// sign-in endpoint of the service provider.
func (m *Message) PostedToSignIn() (Place, bool) {
	for _, p := range m.Seen {
		if p.Where == "post" && p.SignIn {
			return p, true
		}
	}
	return Place{}, false
}

// Page is a response along the sign-in path.
type Page struct {
	File       string
	Entry      int
	Time       time.Time
	ServerDate time.Time
	Method     string
	URL        string
	// Stage is "idp", "aws-signin", "connect-federation", "connect-app" or
	// "aws-console".
	Stage      string
	Status     int
	StatusText string
	Location   string
	MimeType   string
	// Body says what the capture holds of the body: "present", "missing"
	// (not recorded), "too-large" (over the limit, not read) or "skipped".
	Body string
	// Form says, for a POST, whether the capture holds the form it sent:
	// "present" or "missing" (the browser saved the request without its
	// body, as some do for requests that navigate away).
	Form   string
	Errors []ErrorMark
	// ReferrerOrigin is the origin (scheme and host, nothing more) of the
	// page that made the request, from its Referer or Origin header:
	// the site that embeds a frame.
	ReferrerOrigin string
	RoleChooser    bool
	// RoleOptions are the role ARNs offered on the role chooser page.
	RoleOptions []string
	// FetchDest is the request's Sec-Fetch-Dest header: "document" for a
	// page of a tab or popup, "iframe" for a frame's document; "" when
	// the browser did not send it.
	FetchDest string
	// FrameAncestors are the frame-ancestors directives of the
	// response's Content-Security-Policy, one list of sources per policy
	// that has one (every policy must allow a frame); nil without.
	FrameAncestors [][]string
	// XFrameOptions is the response's X-Frame-Options header, upper
	// case (DENY, SAMEORIGIN).
	XFrameOptions string
	// Window names the browser window (tab or popup) that loaded the
	// page, within its file: samldoctor record's target of the page's
	// HAR page; "" when the capture does not say (a browser's export
	// holds one window).
	Window string
	host   string
}

// InFrame reports whether the page was loaded as a frame's document.
func (p Page) InFrame() bool { return p.FetchDest == "iframe" || p.FetchDest == "frame" }

// FrameAllowed says whether the response's frame-ancestors let a page of
// origin (scheme://host[:port]) frame it: ok is false when there is no
// frame-ancestors directive to judge by.
func (p Page) FrameAllowed(origin string) (allowed, ok bool) {
	if len(p.FrameAncestors) == 0 {
		return false, false
	}
	self := ""
	if u, err := url.Parse(p.URL); err == nil {
		self = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	for _, policy := range p.FrameAncestors {
		if !sourceListAllows(policy, strings.ToLower(origin), self) {
			return false, true
		}
	}
	return true, true
}

// sourceListAllows matches an origin against a CSP source list as
// frame-ancestors does: 'none', 'self', a scheme ("https:"), a host with
// or without scheme and port, "*" and "*.example.com" wildcards.
func sourceListAllows(list []string, origin, self string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	scheme, host, port := u.Scheme, u.Hostname(), u.Port()
	if port == "" {
		port = defaultPort[scheme]
	}
	for _, src := range list {
		s := strings.ToLower(strings.TrimSpace(src))
		switch {
		case s == "'none'":
			return false
		case s == "'self'":
			if origin == self {
				return true
			}
			continue
		case s == "*":
			if scheme == "https" || scheme == "http" {
				return true
			}
			continue
		case strings.HasSuffix(s, ":") && !strings.Contains(s, "/"):
			if strings.TrimSuffix(s, ":") == scheme {
				return true
			}
			continue
		case strings.HasPrefix(s, "'"):
			continue // nonces and hashes do not apply to frame-ancestors
		}
		sScheme := ""
		if i := strings.Index(s, "://"); i >= 0 {
			sScheme, s = s[:i], s[i+3:]
		}
		if i := strings.IndexByte(s, '/'); i >= 0 {
			s = s[:i]
		}
		sHost, sPort := s, ""
		if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "]") {
			sHost, sPort = s[:i], s[i+1:]
		}
		// A source of http: also matches https (CSP's upgrade rule); one
		// without a scheme matches http and https pages.
		if sScheme != "" && sScheme != scheme && !(sScheme == "http" && scheme == "https") {
			continue
		}
		if sScheme == "" && scheme != "https" && scheme != "http" {
			continue
		}
		if sPort == "" {
			sPort = defaultPort[scheme] // no port: the page's scheme's default one
		}
		if sPort != "*" && sPort != port {
			continue
		}
		if strings.HasPrefix(sHost, "*.") {
			if strings.HasSuffix(host, sHost[1:]) {
				return true
			}
			continue
		}
		if sHost == host {
			return true
		}
	}
	return false
}

var defaultPort = map[string]string{"https": "443", "http": "80"}

// frameAncestors reads the frame-ancestors directives of a response's
// Content-Security-Policy headers (not the Report-Only ones, which the
// browser does not enforce).
func frameAncestors(h []nv) [][]string {
	var out [][]string
	for _, x := range h {
		if !strings.EqualFold(x.name, "Content-Security-Policy") {
			continue
		}
		for _, policy := range strings.Split(x.value, ",") {
			for _, d := range strings.Split(policy, ";") {
				f := strings.Fields(d)
				if len(f) > 0 && strings.EqualFold(f[0], "frame-ancestors") {
					out = append(out, f[1:])
					break
				}
			}
		}
	}
	return out
}

// CountEntries writes a number of entries: "1 entry", "3 entries".
func CountEntries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

// ErrorMark is a known error text found on a page (Options.Path knows the
// texts).
type ErrorMark struct {
	ID      string
	Text    string
	Excerpt string
	// An identity provider's error page also names the product, the
	// cause its code means, the code as shown and the product's page
	// about it.
	Product, Cause, Code, Docs string
}

// PathRules say what is on the sign-in path being captured: the stage of
// a response's URL ("" when it is not on the path), the known error texts
// a page of a stage shows, and which URLs are sign-in endpoints messages
// are posted to. capture reads formats only; the rules come from the
// caller (package signin for Amazon Connect), so that while streaming it
// keeps just the pages of the path and searches just their bodies.
type PathRules interface {
	Stage(url string) string
	Errors(url string, body []byte, stage string) []ErrorMark
	SignIn(url string) bool
	// ChoiceField is the radio field of the service provider's chooser
	// page, whose choice is posted back with the message (the RoleIndex
	// and RoleOptions of places and pages).
	ChoiceField() string
}

// InputError is input that cannot be read, with the place it went wrong.
type InputError struct {
	File   string
	Entry  int   // -1 when not inside an entry
	Offset int64 // -1 when unknown
	Err    error
}

func (e *InputError) Error() string {
	s := e.File
	if e.Entry >= 0 {
		s += fmt.Sprintf(": entry %d", e.Entry)
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(": byte %d", e.Offset)
	}
	return s + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// Options tune a Reader.
type Options struct {
	// ShowSecrets keeps token values in the URLs reported.
	ShowSecrets bool
	// SPKey decrypts encrypted assertions.
	SPKey *rsa.PrivateKey
	// Progress, when set, is called as a file is read.
	Progress func(file string, offset int64)
	// Path are the rules of the sign-in path (signin.Rules for Amazon
	// Connect); without them no response is on the path, and only the
	// messages and the IdP's pages are kept.
	Path PathRules
}

// Reader accumulates captures from one or more files.
type Reader struct {
	opts    Options
	capture Capture
	byKey   map[[32]byte]*Message
	// byRaw finds a message by the hash of a value as captured.
	byRaw    map[[32]byte]*Message
	pages    []Page
	idpHosts map[string]bool
	// pageWindow is the tab or popup of each HAR page of the file being
	// read (log.pages' _target).
	pageWindow map[string]string
	// windows indexes capture.Windows by file and window.
	windows map[[2]string]int
}

// NewReader returns an empty Reader.
func NewReader(opts Options) *Reader {
	return &Reader{opts: opts, byKey: map[[32]byte]*Message{}, byRaw: map[[32]byte]*Message{}, idpHosts: map[string]bool{}, windows: map[[2]string]int{}}
}

// maxPageCandidates bounds the responses remembered while streaming.
const maxPageCandidates = 20000

// ReadFile reads one capture file; "-" is standard input.
func (r *Reader) ReadFile(name string) error {
	if name == "-" {
		return r.Read("-", os.Stdin)
	}
	if st, err := os.Stat(name); err == nil && st.IsDir() {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: errors.New("a folder, not a capture: a folder of AWS CLI outputs goes after --aws-data; the capture is one file (" + HowToExport + ")")}
	}
	f, err := os.Open(name)
	if err != nil {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: unwrapPathError(err)}
	}
	defer f.Close()
	return r.Read(name, f)
}

// HowToExport says how to save a capture of a sign-in.
const HowToExport = "to capture a sign-in, open the browser's developer tools (F12) on the Network tab, tick Preserve log (Chrome, Edge) or Persist Logs (Firefox), sign in until the error shows, then Export HAR / Save all as HAR with content, and give samldoctor that .har file"

// whatToDo is the advice for a file that is no text, by what it is.
func whatToDo(what string) string {
	switch {
	case strings.HasPrefix(what, "an image"):
		return ": a screenshot does not hold the SAML messages; " + HowToExport
	case strings.HasPrefix(what, "an archive"):
		return ": unpack it and give samldoctor the .har (or .har.gz) inside, and the folder of AWS CLI outputs to --aws-data"
	case strings.HasPrefix(what, "a PDF"):
		return ": " + HowToExport
	}
	return ": " + HowToExport
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// countingReader counts bytes and reports progress.
type countingReader struct {
	r        io.Reader
	n        int64
	next     int64
	file     string
	progress func(string, int64)
}

const progressEvery = 64 << 20

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n >= c.next {
		c.progress(c.file, c.n)
		c.next = c.n + progressEvery
	}
	return n, err
}

// A gzip-compressed HAR compresses 3 to 20 times; past maxGzipRatio (and
// maxGzipSmall bytes) the stream is a decompression bomb.
const (
	maxGzipRatio = 200
	maxGzipSmall = 64 << 20
)

// ErrBomb is a compressed input that inflates far beyond any real capture.
var ErrBomb = errors.New("decompression bomb")

// bombGuard stops a gzip stream whose output outgrows its input.
type bombGuard struct {
	r   io.Reader
	in  *countingReader
	out int64
}

func (b *bombGuard) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.out += int64(n)
	if b.out > maxGzipSmall && b.out > maxGzipRatio*b.in.n {
		return n, fmt.Errorf("%w: %d bytes of gzip inflate to more than %d bytes", ErrBomb, b.in.n, b.out)
	}
	return n, err
}

// Text is the text of a capture file read from in: gunzipped when it starts
// with gzip's magic bytes (a decompression bomb ends in ErrBomb), as UTF-8
// (UTF-16 decoded, a byte-order mark dropped: inputfile.Text). gzipped says whether it was
// compressed; name is used in messages.
func Text(name string, in io.Reader) (text *bufio.Reader, gzipped bool, err error) {
	cr, ok := in.(*countingReader)
	if !ok {
		cr = &countingReader{r: in, file: name}
	}
	br := bufio.NewReaderSize(cr, 64<<10)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		// gzip.Reader.Close only reports errors Read reports too; there
		// is nothing to release.
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, false, &InputError{File: name, Entry: -1, Offset: 0, Err: fmt.Errorf("gzip: %w", err)}
		}
		gzipped = true
		br = bufio.NewReaderSize(&bombGuard{r: gz, in: cr}, 64<<10)
	}
	// UTF-16 (Windows PowerShell 5.1's `>`) is decoded as it streams.
	br, _ = inputfile.Text(br, 64<<10)
	return br, gzipped, nil
}

// Read reads one capture from r; name is used in messages.
func (r *Reader) Read(name string, in io.Reader) error {
	cr := &countingReader{r: in, file: name, progress: r.opts.Progress, next: progressEvery}
	br, gzipped, err := Text(name, cr)
	if err != nil {
		return err
	}
	src := Source{File: name, Gzip: gzipped}
	first, err := firstByte(br)
	if err == io.EOF {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: errors.New("the file is empty: " + HowToExport)}
	} else if err != nil {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: err}
	}
	var rerr error
	if first == '{' {
		rerr = r.readJSON(name, br, &src)
	} else {
		src.Format = FormatValue
		if what := notText(br); what != "" {
			return &InputError{File: name, Entry: -1, Offset: -1, Err: fmt.Errorf("not a HAR, a SAML-tracer export or a SAML value: it is %s%s", what, whatToDo(what))}
		}
		rerr = r.readValue(name, br)
		var hostile *assertion.HostileError
		if rerr != nil && strings.Contains(rerr.Error(), "the base64 ends early") {
			// The common copy mistake: say it first, and how to copy whole.
			rerr = &InputError{File: name, Entry: -1, Offset: offsetOf(rerr), Err: fmt.Errorf("the SAML value ends early (%w): most likely it was copied only in part. %s", errors.Unwrap(rerr), samlvalue.CopyWhole)}
		} else if rerr != nil && !errors.As(rerr, &hostile) && !errors.Is(rerr, samlvalue.ErrTooLarge) {
			rerr = &InputError{File: name, Entry: -1, Offset: offsetOf(rerr), Err: fmt.Errorf("not a HAR, a SAML-tracer export or a SAML value (%w)", errors.Unwrap(rerr))}
		}
	}
	src.Bytes = cr.n
	if rerr != nil {
		return rerr
	}
	r.capture.Sources = append(r.capture.Sources, src)
	return nil
}

// notText names what a file that is no text at all looks like ("a PNG
// image", "binary data"); "" for text.
func notText(br *bufio.Reader) string {
	head, _ := br.Peek(512)
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "text/"):
		return ""
	case strings.HasPrefix(ct, "image/"):
		return "an image (" + ct + ")"
	case ct == "application/pdf":
		return "a PDF document"
	case ct == "application/zip" || ct == "application/x-gzip" || ct == "application/x-rar-compressed":
		return "an archive (" + ct + ")"
	case ct == "application/octet-stream":
		return "binary data"
	}
	return ct
}

func firstByte(br *bufio.Reader) (byte, error) {
	for {
		if _, err := br.Peek(1); err != nil {
			return 0, err
		}
		chunk, _ := br.Peek(br.Buffered())
		i := 0
		for i < len(chunk) && (chunk[i] == ' ' || chunk[i] == '\t' || chunk[i] == '\r' || chunk[i] == '\n') {
			i++
		}
		if i < len(chunk) {
			br.Discard(i)
			return chunk[i], nil
		}
		br.Discard(len(chunk))
	}
}

// readJSON reads a HAR ({"log": {"entries": [...]}}) or a SAML-tracer
// export ({"requests": [...]}).
func (r *Reader) readJSON(name string, in io.Reader, src *Source) error {
	d := jsonscan.NewDecoder(in, readBufferBytes)
	h := &harReader{d: d}
	entries := 0
	var cur *entry
	chain := &chainCheck{last: map[string]int{}}
	sawLog, sawRequests := false, false
	r.pageWindow = map[string]string{}
	firstReport := len(r.capture.Reports)
	defer func() {
		// Reports come before or after the pages that name their window.
		for i := firstReport; i < len(r.capture.Reports); i++ {
			b := &r.capture.Reports[i]
			b.Window = r.window(b.pageref, "")
		}
	}()
	err := d.ReadObject(func(key string) error {
		switch key {
		case "log":
			sawLog = true
			src.Format = FormatHAR
			return h.obj(func(key string) error {
				switch key {
				case "creator", "browser":
					return h.obj(func(k string) error {
						s, _, err := h.str(maxSmallField)
						if k == "name" && src.Creator == "" {
							src.Creator = s
						} else if k == "version" && src.Creator != "" && key == "creator" {
							src.Creator += " " + s
						}
						return err
					})
				case "pages":
					return h.arr(func(int) error {
						id, target, err := h.readPage()
						if err == nil && id != "" && target != "" && len(r.pageWindow) < maxPageCandidates {
							r.pageWindow[id] = target
						}
						return err
					})
				case "_browserReports":
					return h.arr(func(i int) error {
						rep := BrowserReport{File: name, Index: i}
						if err := h.readReport(&rep); err != nil {
							return err
						}
						if len(r.capture.Reports) < maxReports {
							rep.URL, rep.FrameURL, rep.PageURL = r.displayURL(rep.URL), r.displayURL(rep.FrameURL), r.displayURL(rep.PageURL)
							rep.Text = r.reportText(rep.Text)
							r.capture.Reports = append(r.capture.Reports, rep)
						}
						return nil
					})
				case "entries":
					if err := h.mustArray("log.entries"); err != nil {
						return err
					}
					return h.arr(func(i int) error {
						cur = &entry{index: i, offset: d.Offset()}
						if err := h.readEntry(cur); err != nil {
							return err
						}
						entries++
						r.process(name, cur)
						cur = nil
						return nil
					})
				}
				return d.Skip()
			})
		case "requests":
			sawRequests = true
			if src.Format == "" {
				src.Format = FormatTracer
			}
			defer r.checkChain(name, chain)
			if err := h.mustArray("requests"); err != nil {
				return err
			}
			return h.arr(func(i int) error {
				cur = &entry{index: i, offset: d.Offset()}
				if err := h.readTracerRequest(cur); err != nil {
					return err
				}
				entries++
				r.process(name, cur)
				chain.see(cur)
				cur = nil
				return nil
			})
		}
		return d.Skip()
	})
	src.Entries = entries
	if err != nil {
		entryIdx := -1
		if cur != nil {
			entryIdx = cur.index
		}
		if jsonscan.IsTruncated(err) && entries > 0 {
			where := "after the last entry"
			if cur != nil {
				where = fmt.Sprintf("inside entry %d", cur.index)
			}
			src.Truncated = &Truncation{Offset: d.Offset(), Message: fmt.Sprintf("the file ends early at byte %d, %s; what came before it was read (%s; was the browser closed while saving?)", d.Offset(), where, strings.Replace(CountEntries(entries), " ", " complete ", 1))}
			return nil
		}
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) {
			return &InputError{File: name, Entry: entryIdx, Offset: se.Offset, Err: errors.New(se.Msg)}
		}
		var te *jsonscan.TruncatedError
		if errors.As(err, &te) {
			return &InputError{File: name, Entry: entryIdx, Offset: te.Offset, Err: errors.New("the file ends early (truncated) before any complete entry")}
		}
		return &InputError{File: name, Entry: entryIdx, Offset: d.Offset(), Err: err}
	}
	if !sawLog && !sawRequests {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: errors.New("JSON that is neither a HAR (no log.entries) nor a SAML-tracer export (no requests)")}
	}
	if !d.AtEOF() {
		r.capture.Warnings = append(r.capture.Warnings, Warning{File: name, Entry: -1, Message: fmt.Sprintf("data after the end of the JSON at byte %d was ignored", d.Offset())})
	}
	return nil
}

// readValue reads a file holding one bare value: XML, base64 (with or
// without DEFLATE), URL-encoded, or a whole form body
// (SAMLResponse=...&RelayState=...).
func (r *Reader) readValue(name string, in io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(in, samlvalue.MaxEncoded+1))
	if err != nil {
		return &InputError{File: name, Entry: -1, Offset: -1, Err: err}
	}
	if len(b) > samlvalue.MaxEncoded {
		return &InputError{File: name, Entry: -1, Offset: samlvalue.MaxEncoded, Err: fmt.Errorf("a bare SAML value larger than %d bytes; is this a capture in another format?", samlvalue.MaxEncoded)}
	}
	e := &entry{index: -1}
	trimmed := bytes.TrimSpace(b)
	// A whole form body, as copied from a browser's network panel. Only
	// a value naming the fields can be one; testing that first spares
	// copies of a large value (a bomb must stay small here).
	if bytes.Contains(trimmed, []byte("SAMLResponse=")) || bytes.Contains(trimmed, []byte("SAMLRequest=")) {
		// A URL of the HTTP-Redirect binding, copied from the address bar.
		if c, ok := samlvalue.Unwrap(trimmed); ok && c.In == "a URL's query" {
			e.method = "GET"
			if _, err := r.addValue(name, e, c.Field, c.Value, Place{File: name, Entry: -1, Where: "value"}); err != nil {
				return &InputError{File: name, Entry: -1, Offset: offsetOf(err), Err: err}
			}
			return nil
		}
		if form, ok := parseFormBody(string(trimmed)); ok && (form["SAMLResponse"] != nil || form["SAMLRequest"] != nil) {
			e.method = "POST"
			r.fromForm(name, e, form, "value")
			return nil
		}
	}
	msg, err := r.addValue(name, e, "SAMLResponse", trimmed, Place{File: name, Entry: -1, Where: "value"})
	if err != nil {
		return &InputError{File: name, Entry: -1, Offset: offsetOf(err), Err: err}
	}
	if msg.Parsed != nil && msg.Parsed.Kind != "" && msg.Parsed.Kind != "Response" && msg.Parsed.Kind != "Assertion" && msg.Parsed.Kind != "ArtifactResponse" && msg.Parsed.Kind != "LogoutResponse" {
		msg.Type = "SAMLRequest"
	}
	return nil
}

func offsetOf(err error) int64 {
	var ve *samlvalue.Error
	if errors.As(err, &ve) {
		return ve.Offset
	}
	return -1
}

// addValue decodes and records one message value seen at place.
func (r *Reader) addValue(file string, e *entry, typ string, value []byte, place Place) (*Message, error) {
	// The same value is usually seen several times (the IdP's auto-post
	// form, the POST, the role chooser's form and its POST): it is
	// decoded and parsed once, the first time.
	rawKey := sha256.Sum256(valueKey(value))
	if m := r.byRaw[rawKey]; m != nil {
		m.Seen = append(m.Seen, place)
		if place.RoleIndex != "" {
			m.RoleIndex = place.RoleIndex
		}
		if m.DecodeError != "" && place.Where == "value" {
			return m, errors.New(m.DecodeError)
		}
		return m, nil
	}
	dec, derr := decodeValue(value)
	var key [32]byte
	if derr == nil {
		key = sha256.Sum256(dec.XML)
	} else {
		key = sha256.Sum256(value)
	}
	m := r.byKey[key]
	if m == nil {
		m = &Message{Type: typ, Raw: string(value), key: key, Encoding: []string{}}
		if derr != nil {
			m.DecodeError = derr.Error()
			m.Hostile = errors.Is(derr, samlvalue.ErrTooLarge)
		} else {
			m.XML = dec.XML
			m.Encoding = dec.Steps
			m.Notes = dec.Notes
			parsed, perr := assertion.Parse(dec.XML)
			if perr != nil {
				m.ParseError = perr.Error()
				var h *assertion.HostileError
				m.Hostile = errors.As(perr, &h)
			} else {
				m.Parsed = parsed
				if len(parsed.EncryptedAssertions) > 0 && r.opts.SPKey != nil {
					r.decrypt(m)
				}
			}
		}
		m.Binding = binding(place.Where, dec)
		r.byKey[key] = m
		r.capture.Messages = append(r.capture.Messages, m)
	}
	r.byRaw[rawKey] = m
	m.Seen = append(m.Seen, place)
	if place.RoleIndex != "" {
		m.RoleIndex = place.RoleIndex
	}
	if derr != nil && place.Where == "value" {
		return m, derr
	}
	return m, nil
}

// valueKey is a value as captured, without what its carriers add: URL
// escaping (a POST keeps it, the HTML form it came from does not) and
// line breaks. It only spares decoding; messages are one by their XML.
func valueKey(v []byte) []byte {
	s := string(bytes.Join(bytes.Fields(v), nil))
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	return []byte(s)
}

// decodeValue is samlvalue.Decode (a variable so a test can count calls).
var decodeValue = samlvalue.Decode

// decrypt replaces the parsed view by the decrypted message's.
func (r *Reader) decrypt(m *Message) {
	plain, err := assertion.Decrypt(m.XML, r.opts.SPKey)
	if err != nil {
		m.DecryptError = err.Error()
		return
	}
	parsed, err := assertion.Parse(plain)
	if err != nil {
		m.DecryptError = "the decrypted message: " + err.Error()
		return
	}
	m.Original, m.Parsed, m.DecryptedXML, m.Decrypted = m.Parsed, parsed, plain, true
}

func binding(where string, dec *samlvalue.Decoded) string {
	switch where {
	case "query":
		return "HTTP-Redirect"
	case "post", "html-form":
		return "HTTP-POST"
	}
	if dec != nil && dec.Compressed() {
		return "HTTP-Redirect"
	}
	return "unknown"
}

// Hostile returns the first message that was refused as an attack on its
// reader, with where it was seen.
func (c *Capture) Hostile() (*Message, bool) {
	for _, m := range c.Messages {
		if m.Hostile {
			return m, true
		}
	}
	return nil, false
}

// Finish orders what was read and returns the capture.
func (r *Reader) Finish() *Capture {
	c := &r.capture
	for _, m := range c.Messages {
		for i, p := range m.Seen {
			m.Seen[i].SignIn = p.Where == "post" && r.opts.Path != nil && r.opts.Path.SignIn(stripQuery(p.URL))
		}
		// The RelayState the service provider received is the one posted
		// to it.
		if p, ok := m.PostedToSignIn(); ok && p.RelayState != "" {
			m.RelayState = p.RelayState
		} else {
			for _, p := range m.Seen {
				if p.RelayState != "" {
					m.RelayState = p.RelayState
					break
				}
			}
		}
		sort.SliceStable(m.Seen, func(i, j int) bool { return placeBefore(m.Seen[i], m.Seen[j]) })
		if m.Parsed != nil {
			m.AWS = m.Parsed.AWS
		}
	}
	sort.SliceStable(c.Messages, func(i, j int) bool {
		return placeBefore(c.Messages[i].Seen[0], c.Messages[j].Seen[0])
	})
	c.Pages = []Page{}
	for _, p := range r.pages {
		if p.Stage == "" {
			// Off the known hosts, a page is the IdP's when its host
			// received a SAMLRequest or sent a SAMLResponse, or when it
			// shows an IdP product's error text.
			if !r.idpHosts[p.host] && len(p.Errors) == 0 {
				continue
			}
			p.Stage = "idp"
		}
		c.Pages = append(c.Pages, p)
	}
	sort.SliceStable(c.Pages, func(i, j int) bool {
		a, b := c.Pages[i], c.Pages[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if !a.Time.Equal(b.Time) && !a.Time.IsZero() && !b.Time.IsZero() {
			return a.Time.Before(b.Time)
		}
		return a.Entry < b.Entry
	})
	if c.Messages == nil {
		c.Messages = []*Message{}
	}
	if c.Warnings == nil {
		c.Warnings = []Warning{}
	}
	if c.Reports == nil {
		c.Reports = []BrowserReport{}
	}
	if c.ReferrerPolicies == nil {
		c.ReferrerPolicies = []ReferrerPolicy{}
	}
	if c.Windows == nil {
		c.Windows = []Window{}
	}
	return c
}

func placeBefore(a, b Place) bool {
	if !a.Time.IsZero() && !b.Time.IsZero() && !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Entry != b.Entry {
		return a.Entry < b.Entry
	}
	// In one entry, the page that carried a form comes after its request.
	return a.Where != "html-form" && b.Where == "html-form"
}

// quotedURL is a URL a browser's message quotes ('https://...').
var quotedURL = regexp.MustCompile(`'(https?://[^'\s]*)'`)

// reportText is a browser report's text as it may be shown: the URLs it
// quotes masked as every URL shown is, and no control characters.
func (r *Reader) reportText(t string) string {
	t = quotedURL.ReplaceAllStringFunc(t, func(q string) string { return "'" + r.displayURL(q[1:len(q)-1]) + "'" })
	return strings.Map(func(c rune) rune {
		if c < 0x20 || (c >= 0x7f && c < 0xa0) {
			return ' '
		}
		return c
	}, t)
}
