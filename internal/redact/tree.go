package redact

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
	"github.com/samldoctor/samldoctor/internal/secret"
)

// node is one JSON value of an entry, held so it can be rewritten. Object
// members keep their order.
type node struct {
	kind jsonscan.Kind
	// str is a string's content, or a literal's text.
	str string
	// cut is set for a string longer than the limit: it is not kept.
	cut     bool
	members []member
	items   []*node
}

type member struct {
	key string
	val *node
}

// maxString bounds one string held while redacting; longer strings (large
// response bodies) are removed from the output.
const maxString = 16 << 20

// maxDepth bounds the nesting of a value held while redacting. A HAR
// entry is about a dozen levels deep; the bound keeps hostile input (a
// value nested millions of times) from exhausting the stack.
const maxDepth = 1000

// An entry is held whole while it is redacted, and only one at a time:
// what it may hold is bounded, so that memory does not grow with the
// capture. maxEntryText bounds the bytes of its strings (room for a
// request and a response body at maxString, and their headers): a
// string that does not fit is removed from the output, as one longer
// than maxString is. maxEntryValues bounds its values: a browser's entry
// has a few hundred (headers, cookies, query and form fields), and its
// WebSocket frames, which can be many, are skipped, not held.
const (
	maxEntryText   = 48 << 20
	maxEntryValues = 1 << 18
)

// DepthError is input nested deeper than maxDepth.
type DepthError struct{ Offset int64 }

func (e *DepthError) Error() string {
	return fmt.Sprintf("values nested more than %d deep at byte %d (not a browser's HAR)", maxDepth, e.Offset)
}

// SizeError is an entry with more values than maxEntryValues.
type SizeError struct{ Offset int64 }

func (e *SizeError) Error() string {
	return fmt.Sprintf("an entry holds more than %d values at byte %d (not a browser's HAR)", maxEntryValues, e.Offset)
}

// holder reads one value to be held, within the bounds above.
type holder struct {
	d      *jsonscan.Decoder
	text   int // bytes of strings held
	values int
	// dropped names the members of the top object that are skipped, not
	// held (an entry's WebSocket frames): they are written as [].
	dropped map[string]bool
}

// readNode reads the value d is at, within the bounds of one entry.
func readNode(d *jsonscan.Decoder) (*node, error) {
	h := &holder{d: d}
	return h.read(0)
}

// readEntry is readNode for an entry: its WebSocket frames are skipped.
func readEntry(d *jsonscan.Decoder) (*node, error) {
	h := &holder{d: d, dropped: map[string]bool{"_webSocketMessages": true}}
	return h.read(0)
}

func (h *holder) read(depth int) (*node, error) {
	d := h.d
	k, err := d.Peek()
	if err != nil {
		return nil, err
	}
	if depth > maxDepth {
		return nil, &DepthError{Offset: d.Offset()}
	}
	if h.values++; h.values > maxEntryValues {
		return nil, &SizeError{Offset: d.Offset()}
	}
	n := &node{kind: k}
	switch k {
	case jsonscan.Object:
		err = d.ReadObject(func(key string) error {
			if depth == 0 && h.dropped[key] {
				n.members = append(n.members, member{key, &node{kind: jsonscan.Array}})
				return d.Skip()
			}
			h.text += len(key)
			v, err := h.read(depth + 1)
			if err != nil {
				return err
			}
			n.members = append(n.members, member{key, v})
			return nil
		})
	case jsonscan.Array:
		err = d.ReadArray(func(int) error {
			v, err := h.read(depth + 1)
			if err != nil {
				return err
			}
			n.items = append(n.items, v)
			return nil
		})
	case jsonscan.String:
		var complete bool
		limit := max(0, min(maxString, maxEntryText-h.text))
		n.str, complete, err = d.ReadString(limit)
		n.cut = !complete
		if n.cut {
			n.str = ""
		}
		h.text += len(n.str)
	default:
		n.str, err = d.ReadScalar(64)
	}
	return n, err
}

// get returns an object member.
func (n *node) get(key string) *node {
	if n == nil || n.kind != jsonscan.Object {
		return nil
	}
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// text returns a string value ("" for anything else).
func (n *node) text() string {
	if n == nil || n.kind != jsonscan.String {
		return ""
	}
	return n.str
}

func (n *node) set(s string) {
	n.kind, n.str, n.cut = jsonscan.String, s, false
}

// writeNode writes n as JSON.
func writeNode(w *bufio.Writer, n *node) error {
	switch n.kind {
	case jsonscan.Object:
		w.WriteByte('{')
		for i, m := range n.members {
			if i > 0 {
				w.WriteByte(',')
			}
			writeString(w, lastLook(m.key))
			w.WriteByte(':')
			if credentialMember(m.key, m.val.kind) && !m.val.cut && !secret.IsMasked(m.val.str) && m.val.str != "" {
				writeString(w, secret.Marker)
				continue
			}
			if err := writeNode(w, m.val); err != nil {
				return err
			}
		}
		return w.WriteByte('}')
	case jsonscan.Array:
		w.WriteByte('[')
		for i, it := range n.items {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := writeNode(w, it); err != nil {
				return err
			}
		}
		return w.WriteByte(']')
	case jsonscan.String:
		if n.cut {
			return writeString(w, removedLong)
		}
		return writeString(w, lastLook(n.str))
	}
	_, err := w.WriteString(n.str)
	return err
}

// credentialMember says a member's value is a credential by its name
// (another tool's {"password": "..."}, in or beside the entries): a
// string under a name secret.IsParam takes. The HAR's own names that
// only look like one are kept.
func credentialMember(key string, k jsonscan.Kind) bool {
	return k == jsonscan.String && !harNames[key] && !isSAMLField(key) && secret.IsParam(key)
}

// harNames are the HAR's and Chrome's member names IsParam would take.
var harNames = map[string]bool{"keyExchange": true, "keyExchangeGroup": true}

// removedLong replaces a string that was too long to hold.
var removedLong = "[removed by samldoctor redact: a value longer than " + strconv.Itoa(maxString>>20) + " MiB, or more than an entry may hold]"

// lastLook is the safety net under the rules that know where SAML and
// credentials go, applied to every string written: any SignatureValue
// still with content, as XML or in a base64 run that decodes to XML, is
// removed (the run whole when its XML cannot be rewritten), and
// credentials written in the text are masked (secret.MaskText); then the
// same again inside every piece written in an escaping (a URL's
// percent-encoded value, HTML-escaped or JavaScript-escaped text), to
// maxLayers deep. Each looks at every byte once a layer.
func lastLook(s string) string { return lookDepth(s, 0) }

// lookDepth is lastLook at depth layers of escaping (lookInLayers).
func lookDepth(s string, depth int) string {
	if strings.Contains(s, "SignatureValue") {
		b, _, _, left := signatureValues([]byte(s), assertion.RedactedSignature)
		if left {
			return secret.Marker
		}
		s = string(b)
	}
	return lookInLayers(secret.MaskText(base64Runs(s)), depth)
}

// base64Runs rewrites the runs of base64 in s that decode to XML holding
// a SignatureValue. A run may be wrapped (at 64 or 76 columns) and
// percent-encoded (%2B, %2F, %3D), as it is in a form body or a URL.
func base64Runs(s string) string {
	if len(s) < 40 {
		return s
	}
	// Runs found by a table scan, not a regular expression: bodies are
	// large and this looks at every byte of them.
	var out strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isB64[s[i]] {
			i++
			continue
		}
		j := runEnd(s, i)
		if j-i >= 40 {
			if nv, changed := lookAtRun(s[i:j]); changed {
				out.WriteString(s[last:i])
				out.WriteString(nv)
				last = j
			}
		}
		i = j
	}
	if last == 0 {
		return s
	}
	out.WriteString(s[last:])
	return out.String()
}

// runEnd is where the base64 run starting at s[i] ends.
// Padding ('=' or %3D) ends a run: what follows it is another one
// (SAMLResponse=PHNhbWxw... is a name, then a run).
func runEnd(s string, j int) int {
	pad := false
	for j < len(s) {
		switch {
		case s[j] == '=' || s[j] == '%' && j+2 < len(s) && s[j+1] == '3' && (s[j+2] == 'D' || s[j+2] == 'd'):
			pad = true
			if s[j] == '=' {
				j++
			} else {
				j += 3
			}
		case pad:
			return j
		case isB64[s[j]]:
			j++
		case s[j] == '%' && j+2 < len(s) && isB64Escape(s[j+1], s[j+2]):
			j += 3
		case (s[j] == '\r' || s[j] == '\n') && j+1 < len(s) && (isB64[s[j+1]] || s[j+1] == '\n'):
			j++
		default:
			return j
		}
	}
	return j
}

// isB64Escape reports whether %XY is '+', '/' or '='.
func isB64Escape(x, y byte) bool {
	switch x {
	case '2':
		return y == 'B' || y == 'b' || y == 'F' || y == 'f'
	case '3':
		return y == 'D' || y == 'd'
	}
	return false
}

// isB64 marks the characters of standard base64.
var isB64 = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
		t[c] = true
	}
	return t
}()

// lookAtRun rewrites a base64 run that decodes to XML holding a
// SignatureValue, in the encoding it was found in. The XML's base64 may
// start at the run's start or at one of its first lines (text before it
// on a line of its own: "0\nPHNhbWxw..."); at most one start whose
// first bytes decode to '<' is read whole, so the cost stays linear.
func lookAtRun(run string) (string, bool) {
	for start, tries := 0, 0; tries < 4 && start < len(run); tries++ {
		if run[start] == 'P' || strings.HasPrefix(run[start:], "77u/P") {
			if nv, changed, xmlHead := lookAtXMLRun(run[start:]); xmlHead {
				return run[:start] + nv, changed
			}
		}
		nl := strings.IndexByte(run[start:], '\n')
		if nl < 0 {
			break
		}
		start += nl + 1
	}
	return run, false
}

// lookAtXMLRun is lookAtRun for a run that starts where XML's base64
// would; xmlHead says its first bytes decode to '<'.
func lookAtXMLRun(run string) (nv string, changed, xmlHead bool) {
	// XML starts with '<', which base64 writes as 'P' at the start of a
	// run (after a byte-order mark, "77u/P").
	var head []byte
	for i := 0; i < len(run) && len(head) < 16; i++ {
		if isB64[run[i]] {
			head = append(head, run[i])
		} else if run[i] == '%' {
			break
		}
	}
	if len(head) < 16 {
		return run, false, false
	}
	h, err := base64.StdEncoding.DecodeString(string(head))
	if err != nil || !xmlStart(bytes.TrimPrefix(h, []byte("\xef\xbb\xbf"))) {
		return run, false, false
	}
	xml, err := samlvalue.Decode([]byte(run))
	if err != nil {
		if strings.ContainsAny(run, "%\r\n") {
			// XML whose base64 this cannot read back: fail closed.
			return secret.Marker, true, true
		}
		return run, false, true
	}
	if !bytes.Contains(xml.XML, sigName) {
		return run, false, true
	}
	b, _, _, left := signatureValues(xml.XML, assertion.RedactedSignature)
	if left {
		return secret.Marker, true, true
	}
	enc := base64.StdEncoding.EncodeToString(b)
	if strings.Contains(run, "%") {
		enc = url.QueryEscape(enc)
	}
	return enc, true, true
}

// xmlStart reports whether b starts as XML does: '<', then a name, "?"
// or "!", in printable ASCII (not '<' and bytes of another text).
func xmlStart(b []byte) bool {
	if len(b) < 4 || b[0] != '<' {
		return false
	}
	if c := b[1]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '?' || c == '!') {
		return false
	}
	for _, c := range b[2:4] {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func writeString(w io.Writer, s string) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
