// Package web is `samldoctor serve`: a page on loopback where a person
// drops a capture and sees the diagnosis. The page shows what diagnose's
// JSON says; nothing is computed twice. Uploads are streamed through the
// same reader as the command line, kept in memory only while the request
// (for the redacted download, the redaction: redact.go) runs, and never
// written to disk.
package web

import (
	"bytes"
	"crypto/rsa"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/inputs"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/trail"
	"golang.org/x/net/netutil"
)

//go:embed static
var static embed.FS

// DefaultMaxUpload bounds one request's body.
const DefaultMaxUpload = 1 << 30

// maxSmallPart bounds an AWS data, metadata or certificate file.
const maxSmallPart = 64 << 20

// CSP allows nothing but the page's own script and style.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Server serves the page.
type Server struct {
	// Addr is the address the server is reached at (host:port); requests
	// for any other Host are refused. Hosts are more names it answers to
	// (the machine's addresses and name when it listens on all of them).
	Addr      string
	Hosts     []string
	MaxUpload int64
	// MinUploadRate is the slowest an upload may arrive, in bytes a
	// second, once UploadGrace has passed: a client trickling its body
	// cannot hold a connection.
	MinUploadRate int64
	UploadGrace   time.Duration
	// SPKey decrypts encrypted assertions (serve --sp-key).
	SPKey *rsa.PrivateKey
	// Live, when set (serve --aws), reads AWS evidence for each uploaded
	// sign-in from AWS itself.
	Live inputs.Live
	// RedactIdle is how long a redaction of the page's download waits
	// for the next slice of the capture before it is dropped.
	RedactIdle time.Duration
	mux        *http.ServeMux
	srv        *http.Server
	redactMu   sync.Mutex
	redactions map[string]*redaction
	// diagnosed, when set (tests), is told whether each diagnosis ran to
	// the end or stopped because the client went away.
	diagnosed func(canceled bool)
}

// Limits of serve's connections.
const (
	DefaultMinUploadRate = 16 << 10
	DefaultUploadGrace   = 10 * time.Second
	// maxConns bounds the connections served at once; more wait to be
	// accepted. One person's browser opens a handful.
	maxConns = 64
)

// New returns a server for a listener bound at addr.
func New(addr string) *Server {
	s := &Server{Addr: addr, MaxUpload: DefaultMaxUpload, MinUploadRate: DefaultMinUploadRate, UploadGrace: DefaultUploadGrace, RedactIdle: DefaultRedactIdle, mux: http.NewServeMux()}
	sub, _ := fs.Sub(static, "static")
	s.mux.Handle("GET /", http.FileServerFS(sub))
	s.mux.HandleFunc("POST /api/diagnose", s.diagnose)
	s.mux.HandleFunc("POST /api/redact", s.redact)
	s.mux.HandleFunc("POST /api/audit", s.audit)
	return s
}

// Serve answers on ln until it is closed, with deadlines on every
// connection (headers within 10 s, idle keep-alive 2 min, a minimum upload
// rate, a write deadline on each answer) and at most maxConns at once.
func (s *Server) Serve(ln net.Listener) error {
	return s.HTTPServer().Serve(netutil.LimitListener(ln, maxConns))
}

// HTTPServer is the http.Server Serve uses (Shutdown stops it).
func (s *Server) HTTPServer() *http.Server {
	if s.srv == nil {
		s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	}
	return s.srv
}

// allowedHosts are the Host values the server answers to: its own address,
// localhost spellings of a loopback address, and Hosts, each with the port.
func (s *Server) allowedHosts() map[string]bool {
	ok := map[string]bool{s.Addr: true}
	host, port, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return ok
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		for _, h := range []string{"localhost", "127.0.0.1", "[::1]"} {
			ok[h+":"+port] = true
		}
	}
	for _, h := range s.Hosts {
		ok[net.JoinHostPort(h, port)] = true
	}
	return ok
}

// MachineHosts are this machine's addresses and name: what a browser on
// another machine (or this one) may call a server listening on all
// addresses.
func MachineHosts() []string {
	hosts := []string{"localhost"}
	if name, err := os.Hostname(); err == nil {
		hosts = append(hosts, name)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				hosts = append(hosts, n.IP.String())
			}
		}
	}
	return hosts
}

// ServeHTTP refuses requests that are not the page's own (DNS rebinding,
// cross-site posts), then sets the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hosts := s.allowedHosts()
	if !hosts[r.Host] {
		http.Error(w, "samldoctor serve answers only requests for "+s.Addr, http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		origin := r.Header.Get("Origin")
		if origin == "" || !strings.HasPrefix(origin, "http://") || !hosts[strings.TrimPrefix(origin, "http://")] {
			writeError(w, http.StatusForbidden, "refused: the request does not come from samldoctor's own page")
			return
		}
	}
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if _, err := url.PathUnescape(r.URL.RawPath); err != nil || !utf8.ValidString(r.URL.Path) {
		http.Error(w, "bad request path", http.StatusBadRequest)
		return
	}
	s.mux.ServeHTTP(noStore{w}, r)
}

// noStore keeps Cache-Control: no-store on every answer: the file server
// drops it from its error pages.
type noStore struct{ http.ResponseWriter }

func (n noStore) WriteHeader(code int) {
	n.Header().Set("Cache-Control", "no-store")
	n.ResponseWriter.WriteHeader(code)
}

func (n noStore) Unwrap() http.ResponseWriter { return n.ResponseWriter }

// errTooSlow is an upload arriving slower than MinUploadRate.
var errTooSlow = errors.New("the upload arrives too slowly")

// rateReader refuses a body that arrives slower than a minimum rate once
// a grace period has passed, and gives each read a deadline, so that a
// client that stops sending is cut off.
type rateReader struct {
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	n     int64
	min   int64
	grace time.Duration
}

func (m *rateReader) Read(p []byte) (int, error) {
	m.rc.SetReadDeadline(time.Now().Add(m.grace))
	n, err := m.r.Read(p)
	m.n += int64(n)
	if el := time.Since(m.start); el > m.grace && float64(m.n) < float64(m.min)*el.Seconds() {
		return n, errTooSlow
	}
	return n, err
}

// body bounds a request's body: its size, and how slowly it may arrive.
func (s *Server) body(w http.ResponseWriter, r *http.Request) {
	s.bodyLimit(w, r, s.MaxUpload)
}

// bodyLimit is body with another size limit.
func (s *Server) bodyLimit(w http.ResponseWriter, r *http.Request, limit int64) {
	r.Body = http.MaxBytesReader(w, io.NopCloser(&rateReader{r: r.Body, rc: http.NewResponseController(w), start: time.Now(), min: s.MinUploadRate, grace: s.UploadGrace}), limit)
}

// writeError answers an error, in the page's terms (report.Web: the
// page's controls, not the command line's flags).
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": report.Web.Say(msg)})
}

// Response is what /api/diagnose answers: diagnose's JSON in the page's
// terms with the command line's words for its tokens
// (report.PageDiagnosis), and each message's XML with signature values
// removed.
type Response struct {
	report.PageDiagnosis
	// XML holds each message's decoded XML, SignatureValue removed (the
	// assertion cannot be replayed from it), in messages order.
	XML []string `json:"xml"`
}

// tooLarge tells whether an error is the upload limit.
func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// addPart puts one part of the page's form into the inputs: captures
// and pasted values, AWS outputs, IdP metadata and certificates.
func addPart(in *inputs.Builder, p *multipart.Part) error {
	name := p.FileName()
	if p.FormName() == "capture" {
		if name == "" {
			name = "capture"
		}
		return in.Capture(name, p)
	}
	switch p.FormName() {
	case "value", "aws", "idp-metadata", "idp-cert":
	default:
		return nil // not a field of the page's form
	}
	b, err := readSmall(p)
	if err != nil {
		return err
	}
	switch p.FormName() {
	case "value":
		if strings.TrimSpace(string(b)) == "" {
			return nil
		}
		return in.Capture("pasted value", bytes.NewReader(b))
	case "aws":
		return in.AWSData(name, b)
	case "idp-metadata":
		return in.IdPMetadata(name, b)
	default:
		return in.IdPCert(name+" (uploaded)", b)
	}
}

func (s *Server) diagnose(w http.ResponseWriter, r *http.Request) {
	s.body(w, r)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "expected a form upload: "+err.Error())
		return
	}
	in := inputs.New(capture.Options{SPKey: s.SPKey})
	in.Live = s.Live
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = addPart(in, p)
			p.Close()
		}
		if err != nil {
			s.partError(w, err)
			return
		}
	}
	if !in.HasCapture() {
		writeError(w, http.StatusBadRequest, "no capture: choose a HAR file, a SAML-tracer export, or paste a SAMLResponse")
		return
	}
	input, err := in.Input(r.Context())
	if err != nil {
		writeError(w, http.StatusBadGateway, "AWS: "+err.Error())
		return
	}
	c := input.Capture
	res := diagnose.Run(input)
	if s.diagnosed != nil {
		s.diagnosed(res.Canceled)
	}
	if res.Canceled {
		return // the client went away: nobody to answer
	}
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute))
	out := Response{PageDiagnosis: report.NewPageDiagnosis(c, res, input.AWS), XML: []string{}}
	for _, m := range c.Messages {
		xml, _ := redact.SignatureValues(assertion.Indent(m.XML), "(removed)")
		out.XML = append(out.XML, string(xml))
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(out)
}

func (s *Server) partError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTooSlow) || isTimeout(err) {
		writeError(w, http.StatusRequestTimeout, fmt.Sprintf("the upload arrived slower than %d KiB/s; send it again", s.MinUploadRate>>10))
		return
	}
	if tooLarge(err) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the upload is larger than %d MiB; run samldoctor diagnose on the file instead", s.MaxUpload>>20))
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

func readSmall(p *multipart.Part) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxSmallPart+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSmallPart {
		return nil, fmt.Errorf("%s: larger than %d MiB", p.FileName(), maxSmallPart>>20)
	}
	return b, nil
}

// audit judges the uploaded account data: AWS outputs ("aws"), the IdP's
// metadata ("idp-metadata"), its user export ("idp-users") and who is
// assigned to the Connect application ("idp-assignments"), CloudTrail log
// files ("trail"), read as they arrive (the log files are streamed, not
// held). The audit's options come first, as the command line's flags:
// the export's session-name column and transform and its filter
// ("session-name-field", "session-name-transform", "idp-users-filter"),
// how far back CloudTrail is read ("since", 7d by default).
func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	s.body(w, r)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "expected a form upload: "+err.Error())
		return
	}
	now := time.Now()
	in := audit.Input{AWS: evidence.NewSet(), Now: now}
	ap := &auditParts{in: &in, now: now, opts: audit.ExportOptions{Transform: "none"}, window: audit.DefaultSince}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = ap.add(p)
			p.Close()
		}
		if err != nil {
			s.partError(w, err)
			return
		}
	}
	if in.Trail != nil {
		in.Trail.Since = now.Add(-ap.window)
	}
	if len(in.AWS.Sources) == 0 && in.IdPUsers == nil && in.Trail == nil {
		writeError(w, http.StatusBadRequest, "nothing to audit: choose AWS CLI outputs, the IdP's user export or CloudTrail log files")
		return
	}
	res := audit.Run(in)
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(report.NewPageAudit(res))
}

// auditParts reads the parts of the page's audit form into an audit's
// input, as samldoctor audit reads its flags.
type auditParts struct {
	in     *audit.Input
	now    time.Time
	opts   audit.ExportOptions
	window time.Duration
	files  bool // a file part was read: the options are settled
}

// maxField bounds a form field's value.
const maxField = 4 << 10

func (a *auditParts) add(p *multipart.Part) error {
	name := p.FileName()
	switch p.FormName() {
	case "session-name-field", "session-name-transform", "idp-users-filter", "since":
		b, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil {
			return err
		}
		if len(b) > maxField {
			return fmt.Errorf("%s: longer than %d bytes", p.FormName(), maxField)
		}
		if a.files {
			return fmt.Errorf("%s came after the files: the page sends its options first", p.FormName())
		}
		v := strings.TrimSpace(string(b))
		switch p.FormName() {
		case "session-name-field":
			a.opts.Field = v
		case "session-name-transform":
			a.opts.Transform = v
		case "idp-users-filter":
			a.opts.Filter = v
		case "since":
			if v != "" {
				d, err := audit.ParseSince(v)
				if err != nil {
					return err
				}
				a.window = d
			}
		}
		return nil
	}
	a.files = true
	switch p.FormName() {
	case "aws":
		b, err := readSmall(p)
		if err != nil {
			return err
		}
		return a.in.AWS.Load(name, b)
	case "idp-metadata":
		b, err := readSmall(p)
		if err != nil {
			return err
		}
		md, err := assertion.ParseMetadata(inputfile.Bytes(b))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		a.in.AWS.IdPMetadata = md
	case "idp-users":
		text, _ := inputfile.Text(io.LimitReader(p, audit.MaxIdPExport), 64<<10)
		u, err := audit.ReadIdPExport(name, text, a.opts)
		if err != nil {
			return err
		}
		a.in.IdPUsers = u
	case "idp-assignments":
		text, _ := inputfile.Text(io.LimitReader(p, audit.MaxIdPExport), 64<<10)
		as, err := audit.ReadIdPAssignments(name, text, a.opts.Filter)
		if err != nil {
			return err
		}
		a.in.Assignments = as
	case "trail":
		if a.in.Trail == nil {
			a.in.Trail = audit.NewTrail()
		}
		n, _, _, err := trail.ReadStream(name, p, a.now.Add(-a.window), a.in.Trail)
		if err != nil {
			return err
		}
		a.in.Trail.Files++
		a.in.Trail.Records += n
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = unsafeName.ReplaceAllString(s, "_")
	if s == "" {
		return "capture"
	}
	return s
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
