package capture

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// Bounds on what one entry may hold in memory. Values longer than these are
// consumed and dropped, and the drop is recorded.
const (
	maxURL          = 1 << 20
	maxPostText     = 4 << 20
	maxBody         = 4 << 20
	maxHeaderValue  = 64 << 10
	maxHeaders      = 256
	maxParams       = 256
	maxSmallField   = 4 << 10
	maxTracerSAML   = 8 << 20
	readBufferBytes = 1 << 20
)

// nv is a name/value pair (header, query or form parameter).
type nv struct{ name, value string }

// entry is the part of one HAR entry (or SAML-tracer request) that
// samldoctor reads. Everything else is skipped without being held.
type entry struct {
	index   int
	offset  int64 // byte offset of the entry in the file
	started time.Time
	method  string
	url     string
	urlCut  bool
	reqHdrs []nv

	postMime     string
	postText     string
	postTextCut  bool
	postParams   []nv
	paramsDecode bool // SAML-tracer: form values are already URL-decoded

	status      int
	statusText  string
	respHdrs    []nv
	redirectURL string

	mime        string
	body        string
	bodyCut     bool
	bodyPresent bool
	encoding    string

	tracerSAML string // SAML-tracer: the decoded message it stored

	// resourceType is Chrome's _resourceType ("document", "script", ...);
	// other browsers do not write it.
	resourceType string
	// pageref is the HAR page the entry belongs to; target the browser
	// target (tab, popup, frame) that made it (samldoctor record's
	// _target).
	pageref, target string
}

func header(h []nv, name string) string {
	for _, x := range h {
		if strings.EqualFold(x.name, name) {
			return x.value
		}
	}
	return ""
}

// maxServerSkew bounds how far a Date header may be from the request's
// start for it to be taken as the server's clock: further than that (a
// Date in year 9999) it is not a clock, and a skew worked out from it
// would be a made-up duration.
const maxServerSkew = 10 * 366 * 24 * time.Hour

// serverDate is the response's Date header, the server's clock; zero when
// it is missing, unreadable or not plausibly a clock (years from the
// request's start, or outside 1990 to 2200 when the start is unknown).
func (e *entry) serverDate() time.Time {
	d := header(e.respHdrs, "Date")
	if d == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return time.Time{}
	}
	if e.started.IsZero() {
		if t.Year() < 1990 || t.Year() > 2200 {
			return time.Time{}
		}
	} else if skew := t.Sub(e.started); skew > maxServerSkew || skew < -maxServerSkew {
		return time.Time{}
	}
	return t.UTC()
}

// location is where a redirect sends the browser.
func (e *entry) location() string {
	if e.redirectURL != "" {
		return e.redirectURL
	}
	return header(e.respHdrs, "Location")
}

// bodyBytes returns the response body, base64-decoded when the HAR says so.
func (e *entry) bodyBytes() []byte {
	if e.body == "" || e.bodyCut {
		return nil
	}
	if strings.EqualFold(e.encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(e.body)
		if err != nil {
			return nil
		}
		return b
	}
	return []byte(e.body)
}

// interestingMime reports whether a body of this type may hold a SAML form or
// an error page. An unknown type counts as interesting.
func interestingMime(m string) bool {
	m = strings.ToLower(m)
	if m == "" {
		return true
	}
	for _, s := range []string{"html", "xml", "json", "text/plain", "x-www-form-urlencoded"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// harReader reads HAR 1.2 entries, one at a time.
type harReader struct {
	d *jsonscan.Decoder
}

func (h *harReader) nameValues(limit int) ([]nv, error) {
	var out []nv
	err := h.d.ReadArray(func(int) error {
		k, err := h.d.Peek()
		if err != nil {
			return err
		}
		if k != jsonscan.Object || len(out) >= maxParams {
			return h.d.Skip()
		}
		var x nv
		err = h.d.ReadObject(func(key string) error {
			switch key {
			case "name":
				s, err := h.d.ReadScalar(maxSmallField)
				x.name = s
				return err
			case "value":
				k, err := h.d.Peek()
				if err != nil {
					return err
				}
				if k != jsonscan.String {
					return h.d.Skip()
				}
				s, _, err := h.d.ReadString(limit)
				x.value = s
				return err
			}
			return h.d.Skip()
		})
		out = append(out, x)
		return err
	})
	return out, err
}

func (h *harReader) str(limit int) (string, bool, error) {
	k, err := h.d.Peek()
	if err != nil {
		return "", false, err
	}
	if k != jsonscan.String {
		s, err := h.scalarOrSkip(k)
		return s, true, err
	}
	return h.d.ReadString(limit)
}

func (h *harReader) scalarOrSkip(k jsonscan.Kind) (string, error) {
	if k == jsonscan.Object || k == jsonscan.Array {
		return "", h.d.Skip()
	}
	s, err := h.d.ReadScalar(maxSmallField)
	if s == "null" {
		s = ""
	}
	return s, err
}

func (h *harReader) obj(fn func(key string) error) error {
	k, err := h.d.Peek()
	if err != nil {
		return err
	}
	if k != jsonscan.Object {
		return h.d.Skip()
	}
	return h.d.ReadObject(fn)
}

// mustArray says that the value next, the list of entries at field, is
// not an array: a HAR whose entries are an object or a string is not
// one that can be read, and reading it as empty would hide that.
func (h *harReader) mustArray(field string) error {
	k, err := h.d.Peek()
	if err != nil || k == jsonscan.Array {
		return err
	}
	return fmt.Errorf("%s is a JSON %s, not an array of entries: the file is not a HAR samldoctor can read (save it again from the browser's Network panel)", field, k)
}

func (h *harReader) arr(fn func(i int) error) error {
	k, err := h.d.Peek()
	if err != nil {
		return err
	}
	if k != jsonscan.Array {
		return h.d.Skip()
	}
	return h.d.ReadArray(fn)
}

// readURL reads a request URL, recording whether it was cut.
func (h *harReader) readURL(e *entry) (err error) {
	var ok bool
	e.url, ok, err = h.str(maxURL)
	e.urlCut = !ok
	return err
}

// readStatus reads an HTTP status code.
func (h *harReader) readStatus(e *entry) error {
	v, ok, err := h.d.ReadInt()
	if ok {
		e.status = int(v)
	}
	return err
}

// readEntry reads one element of log.entries.
func (h *harReader) readEntry(e *entry) error {
	return h.obj(func(key string) error {
		switch key {
		case "_resourceType":
			s, _, err := h.str(maxSmallField)
			e.resourceType = s
			return err
		case "pageref":
			s, _, err := h.str(maxSmallField)
			e.pageref = s
			return err
		case "_target":
			s, _, err := h.str(maxSmallField)
			e.target = s
			return err
		case "startedDateTime":
			s, _, err := h.str(maxSmallField)
			if err == nil {
				e.started = parseHARTime(s)
			}
			return err
		case "request":
			return h.obj(func(key string) error {
				var err error
				switch key {
				case "method":
					e.method, _, err = h.str(maxSmallField)
				case "url":
					err = h.readURL(e)
				case "headers":
					e.reqHdrs, err = h.nameValues(maxHeaderValue)
				case "postData":
					err = h.obj(func(key string) error {
						var err error
						switch key {
						case "mimeType":
							e.postMime, _, err = h.str(maxSmallField)
						case "text":
							var ok bool
							e.postText, ok, err = h.str(maxPostText)
							e.postTextCut = !ok
						case "params":
							e.postParams, err = h.nameValues(maxPostText)
						default:
							err = h.d.Skip()
						}
						return err
					})
				default:
					err = h.d.Skip()
				}
				return err
			})
		case "response":
			return h.obj(func(key string) error {
				var err error
				switch key {
				case "status":
					err = h.readStatus(e)
				case "statusText":
					e.statusText, _, err = h.str(maxSmallField)
				case "headers":
					e.respHdrs, err = h.nameValues(maxHeaderValue)
				case "redirectURL":
					e.redirectURL, _, err = h.str(maxURL)
				case "content":
					err = h.obj(func(key string) error {
						var err error
						switch key {
						case "mimeType":
							e.mime, _, err = h.str(maxSmallField)
						case "encoding":
							e.encoding, _, err = h.str(maxSmallField)
						case "text":
							// Browsers write mimeType before text; a body
							// that cannot hold a SAML form or an error page
							// is skipped without being read into memory.
							if e.mime != "" && !interestingMime(e.mime) {
								return h.d.Skip()
							}
							var ok bool
							e.body, ok, err = h.str(maxBody)
							e.bodyCut = !ok
							e.bodyPresent = true
						default:
							err = h.d.Skip()
						}
						return err
					})
				default:
					err = h.d.Skip()
				}
				return err
			})
		}
		return h.d.Skip()
	})
}

// parseHARTime parses startedDateTime (ISO 8601 with a zone).
func parseHARTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// readTracerRequest reads one element of a SAML-tracer export's requests.
// Its post and get parameters are [name, value] pairs whose values SAML-tracer
// has already URL-decoded; saml holds the decoded message.
func (h *harReader) readTracerRequest(e *entry) error {
	e.paramsDecode = true
	pairs := func() ([]nv, error) {
		var out []nv
		err := h.arr(func(int) error {
			var x nv
			err := h.arr(func(i int) error {
				s, _, err := h.str(maxPostText)
				switch i {
				case 0:
					x.name = s
				case 1:
					x.value = s
				}
				return err
			})
			if len(out) < maxParams {
				out = append(out, x)
			}
			return err
		})
		return out, err
	}
	headers := func() ([]nv, error) {
		// Current exports write {name, value}; legacy ones [name, value].
		var out []nv
		err := h.arr(func(int) error {
			k, err := h.d.Peek()
			if err != nil {
				return err
			}
			var x nv
			switch k {
			case jsonscan.Object:
				err = h.d.ReadObject(func(key string) error {
					s, _, err := h.str(maxHeaderValue)
					switch key {
					case "name":
						x.name = s
					case "value":
						x.value = s
					}
					return err
				})
			case jsonscan.Array:
				err = h.d.ReadArray(func(i int) error {
					s, _, err := h.str(maxHeaderValue)
					if i == 0 {
						x.name = s
					} else if i == 1 {
						x.value = s
					}
					return err
				})
			default:
				err = h.d.Skip()
			}
			if len(out) < maxHeaders {
				out = append(out, x)
			}
			return err
		})
		return out, err
	}
	return h.obj(func(key string) error {
		var err error
		switch key {
		case "method":
			e.method, _, err = h.str(maxSmallField)
		case "url":
			err = h.readURL(e)
		case "requestHeaders":
			e.reqHdrs, err = headers()
		case "responseHeaders":
			e.respHdrs, err = headers()
		case "responseStatus":
			err = h.readStatus(e)
		case "responseStatusText":
			e.statusText, _, err = h.str(maxSmallField)
		case "post":
			e.postParams, err = pairs()
		case "saml":
			e.tracerSAML, _, err = h.str(maxTracerSAML)
		default:
			err = h.d.Skip()
		}
		return err
	})
}

// readReport reads one element of log._browserReports.
func (h *harReader) readReport(b *BrowserReport) error {
	return h.obj(func(key string) error {
		var err error
		switch key {
		case "time":
			var s string
			s, _, err = h.str(maxSmallField)
			b.Time = parseHARTime(s)
		case "source":
			b.Source, _, err = h.str(maxSmallField)
		case "kind":
			b.Kind, _, err = h.str(maxSmallField)
		case "directive":
			b.Directive, _, err = h.str(maxSmallField)
		case "url":
			b.URL, _, err = h.str(maxURL)
		case "frameUrl":
			b.FrameURL, _, err = h.str(maxURL)
		case "pageUrl":
			b.PageURL, _, err = h.str(maxURL)
		case "level":
			b.Level, _, err = h.str(maxSmallField)
		case "text":
			b.Text, _, err = h.str(maxHeaderValue)
		case "pageref":
			b.pageref, _, err = h.str(maxSmallField)
		case "reasons":
			err = h.arr(func(int) error {
				s, _, err := h.str(maxSmallField)
				if len(b.Reasons) < maxParams {
					b.Reasons = append(b.Reasons, s)
				}
				return err
			})
		default:
			err = h.d.Skip()
		}
		return err
	})
}

// readPage reads one element of log.pages: its id, and the browser
// target (tab or popup) samldoctor record names it with.
func (h *harReader) readPage() (id, target string, err error) {
	err = h.obj(func(key string) error {
		var err error
		switch key {
		case "id":
			id, _, err = h.str(maxSmallField)
		case "_target":
			target, _, err = h.str(maxSmallField)
		default:
			err = h.d.Skip()
		}
		return err
	})
	return id, target, err
}
