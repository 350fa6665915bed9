// Package jsonscan is a streaming JSON reader whose memory use is bounded by
// the caller, not by the input.
//
// It exists because the general-purpose streaming decoders (encoding/json,
// encoding/json/jsontext, go-json-experiment) hold a whole string token in
// memory before handing it over, even when it is skipped. Browser HAR files
// carry response bodies of tens or hundreds of megabytes as single JSON
// strings, and samldoctor must read multi-gigabyte HARs in constant memory.
// This reader skips strings without buffering them, reads a string only up to
// a caller-given limit, and reports byte offsets so errors can name the place.
//
// The reader is pull-based: the caller asks for an object or an array and
// gets a callback per member, and must consume each member's value (read it
// or Skip it) inside the callback.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the kind of the next JSON value.
type Kind byte

// The kinds of JSON values, named by their first byte.
const (
	Invalid Kind = 0
	Object  Kind = '{'
	Array   Kind = '['
	String  Kind = '"'
	Number  Kind = '0'
	Bool    Kind = 't'
	Null    Kind = 'n'
)

func (k Kind) String() string {
	switch k {
	case Object:
		return "object"
	case Array:
		return "array"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Null:
		return "null"
	}
	return "invalid"
}

// SyntaxError is malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// TruncatedError is input that ends before the JSON value is complete.
type TruncatedError struct {
	Offset int64
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("JSON ends early at byte %d (the file is truncated)", e.Offset)
}

// IsTruncated reports whether err says the input ended early.
func IsTruncated(err error) bool {
	var t *TruncatedError
	return errors.As(err, &t)
}

// MaxKeyLen is the longest object key the reader keeps; longer keys are cut.
const MaxKeyLen = 256

// Decoder reads one JSON text from a stream.
//
// It reads through its own buffer and works on the bytes in place (a
// bufio.Reader's Peek and Discard per byte cost more than the parse):
// buf[pos:] is what has been read and not consumed, and base is the input
// offset of buf[0].
type Decoder struct {
	r    io.Reader
	buf  []byte // what has been read: len is its end, cap the buffer's size
	pos  int
	base int64
	rerr error             // the reader's error, returned once buf is drained
	str  []byte            // scratch for strings and literals
	key  []byte            // the last object key read
	keys map[string]string // object keys read so far, so a key is allocated once
}

// NewDecoder reads from r through a buffer of bufSize bytes (at least 4 KiB).
func NewDecoder(r io.Reader, bufSize int) *Decoder {
	if bufSize < 4096 {
		bufSize = 4096
	}
	return &Decoder{r: r, buf: make([]byte, 0, bufSize), keys: map[string]string{}}
}

// Reset makes d read a new JSON text from r, keeping its buffer and the
// keys it has met: one decoder reads many files without allocating again.
func (d *Decoder) Reset(r io.Reader) {
	d.r, d.buf, d.pos, d.base, d.rerr = r, d.buf[:0], 0, 0, nil
}

// Offset is the number of input bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.base + int64(d.pos) }

// fill reads more input after what is buffered, moving the unconsumed
// bytes to the front first. It returns an error only when nothing more
// could be read.
func (d *Decoder) fill() error {
	if d.pos > 0 {
		n := copy(d.buf[:cap(d.buf)], d.buf[d.pos:])
		d.base += int64(d.pos)
		d.pos, d.buf = 0, d.buf[:n]
	}
	if len(d.buf) == cap(d.buf) {
		return nil // full: callers need at most a few bytes at once
	}
	for empty := 0; d.rerr == nil; empty++ {
		n, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+n]
		if err != nil {
			d.rerr = err
		}
		if n > 0 {
			return nil
		}
		if empty == 100 {
			d.rerr = io.ErrNoProgress
		}
	}
	return d.rerr
}

// need makes at least n bytes available at pos (n is small), or reports
// that the input ends first.
func (d *Decoder) need(n int) error {
	for len(d.buf)-d.pos < n {
		if err := d.fill(); err != nil {
			return err
		}
	}
	return nil
}

func (d *Decoder) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: d.Offset(), Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{Offset: d.Offset()}
	}
	return fmt.Errorf("read error at byte %d: %w", d.Offset(), err)
}

// space marks JSON's white space.
var space = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// peek skips white space and returns the next byte without consuming it.
// It is small enough to be inlined for the common case, a byte at hand.
func (d *Decoder) peek() (byte, error) {
	if d.pos < len(d.buf) && d.buf[d.pos] > ' ' { // white space is all at or below ' '
		return d.buf[d.pos], nil
	}
	return d.peekSlow()
}

func (d *Decoder) peekSlow() (byte, error) {
	for {
		for d.pos < len(d.buf) {
			if c := d.buf[d.pos]; !space[c] {
				return c, nil
			}
			d.pos++
		}
		if err := d.fill(); err != nil {
			return 0, d.ioErr(err)
		}
	}
}

func (d *Decoder) readByte() (byte, error) {
	if d.pos == len(d.buf) {
		if err := d.fill(); err != nil {
			return 0, d.ioErr(err)
		}
	}
	c := d.buf[d.pos]
	d.pos++
	return c, nil
}

// expect consumes c, the next byte after white space; inlined when c is
// at hand.
func (d *Decoder) expect(c byte) error {
	if d.pos < len(d.buf) && d.buf[d.pos] == c {
		d.pos++
		return nil
	}
	return d.expectSlow(c)
}

func (d *Decoder) expectSlow(c byte) error {
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b != c {
		return d.syntax("expected %q, found %q", c, b)
	}
	d.pos++
	return nil
}

// AtEOF reports whether only white space remains.
func (d *Decoder) AtEOF() bool {
	_, err := d.peek()
	return err != nil
}

// Peek returns the kind of the next value without consuming it.
func (d *Decoder) Peek() (Kind, error) {
	b, err := d.peek()
	if err != nil {
		return Invalid, err
	}
	switch {
	case b == '{':
		return Object, nil
	case b == '[':
		return Array, nil
	case b == '"':
		return String, nil
	case b == '-' || (b >= '0' && b <= '9'):
		return Number, nil
	case b == 't' || b == 'f':
		return Bool, nil
	case b == 'n':
		return Null, nil
	}
	return Invalid, d.syntax("unexpected %q", b)
}

// maxKeys bounds the keys remembered: a file of ever-new keys costs an
// allocation per key, never unbounded memory.
const maxKeys = 4096

// ReadObject reads an object, calling fn for each member with its key. fn
// must consume the member's value. A non-nil error from fn stops the read.
// Keys met before are not allocated again.
func (d *Decoder) ReadObject(fn func(key string) error) error {
	return d.ReadMembers(func(raw []byte) error {
		key, ok := d.keys[string(raw)]
		if !ok {
			key = string(raw)
			if len(d.keys) < maxKeys {
				d.keys[key] = key
			}
		}
		return fn(key)
	})
}

// ReadMembers is ReadObject for loops that only compare keys: fn is given
// the key's bytes, which hold until the member's value is read.
func (d *Decoder) ReadMembers(fn func(key []byte) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b == '}' {
		d.pos++
		return nil
	}
	for {
		if b, err = d.peek(); err != nil {
			return err
		}
		if b != '"' {
			return d.syntax("expected an object key, found %q", b)
		}
		key, err := d.readKey()
		if err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
		switch b {
		case ',':
			d.pos++
			continue
		case '}':
			d.pos++
			return nil
		}
		return d.syntax("expected ',' or '}' after an object member, found %q", b)
	}
}

// readKey reads an object key (up to MaxKeyLen bytes) and the colon after
// it. The key is given in place when it is whole in the buffer, without
// escapes, with its colon right after it: nothing is read between the
// key and the caller's use of it, so no refill can move it. Else it is
// copied to d.key.
func (d *Decoder) readKey() ([]byte, error) {
	d.pos++ // the opening quote, seen by the caller
	rest := d.buf[d.pos:]
	if q := special(rest); q >= 0 && rest[q] == '"' && q <= MaxKeyLen && q+1 < len(rest) && rest[q+1] == ':' {
		d.pos += q + 2
		return rest[:q:q], nil
	}
	var err error
	if d.key, _, err = d.scanInto(d.key[:0], MaxKeyLen); err != nil {
		return nil, err
	}
	return d.key, d.expect(':')
}

// ReadArray reads an array, calling fn for each element with its index. fn
// must consume the element.
func (d *Decoder) ReadArray(fn func(i int) error) error {
	if err := d.expect('['); err != nil {
		return err
	}
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
		switch b {
		case ',':
			d.pos++
			continue
		case ']':
			d.pos++
			return nil
		}
		return d.syntax("expected ',' or ']' after an array element, found %q", b)
	}
}

// ReadString reads a string value and returns at most limit bytes of its
// decoded content; complete is false when the string was longer (the rest is
// consumed and dropped, never held in memory). Bytes that are not UTF-8 are
// kept as found (encoding/json would replace them with U+FFFD).
func (d *Decoder) ReadString(limit int) (s string, complete bool, err error) {
	b, complete, err := d.ReadStringBytes(limit)
	if err != nil {
		return "", false, err
	}
	return string(b), complete, nil
}

// ReadStringBytes is ReadString for a caller that only looks at the value
// (compares it, copies a part): the bytes hold until the next read.
func (d *Decoder) ReadStringBytes(limit int) (b []byte, complete bool, err error) {
	if err := d.expect('"'); err != nil {
		return nil, false, err
	}
	// Most strings lie whole in the buffer without escapes: give them in
	// place.
	rest := d.buf[d.pos:]
	if q := special(rest); q >= 0 && rest[q] == '"' && q <= limit {
		d.pos += q + 1
		return rest[:q:q], true, nil
	}
	if d.str, complete, err = d.scanInto(d.str[:0], limit); err != nil {
		return nil, false, err
	}
	return d.str, complete, nil
}

// scanInto consumes the rest of a string after its opening quote, appending
// at most limit bytes of its decoded content to dst; complete is false when
// there was more (dropped, never held).
func (d *Decoder) scanInto(dst []byte, limit int) (out []byte, complete bool, err error) {
	complete = true
	err = d.scanString(func(p []byte) {
		if room := limit - len(dst); len(p) > room {
			p, complete = p[:room], false
		}
		dst = append(dst, p...)
	})
	return dst, complete, err
}

// ReadText reads a string value's content (up to limit bytes); any other
// value is skipped and reads as "". For fields that are strings when
// present and null or absent otherwise.
func (d *Decoder) ReadText(limit int) (string, error) {
	b, err := d.ReadTextBytes(limit)
	return string(b), err
}

// ReadTextBytes is ReadText's bytes, valid until the next read; nil for a
// value that is not a string.
func (d *Decoder) ReadTextBytes(limit int) ([]byte, error) {
	if k, err := d.Peek(); err != nil || k != String {
		if err != nil {
			return nil, err
		}
		return nil, d.Skip()
	}
	b, _, err := d.ReadStringBytes(limit)
	return b, err
}

// chunk returns what is buffered, reading more when nothing is, without
// consuming it.
func (d *Decoder) chunk() ([]byte, error) {
	if d.pos == len(d.buf) {
		if err := d.fill(); err != nil {
			return nil, d.ioErr(err)
		}
	}
	return d.buf[d.pos:], nil
}

// skipStringBody consumes the rest of a string after its opening quote
// without keeping it or decoding its escapes: it only finds the closing
// quote, a quote preceded by an even run of backslashes. Escapes are not
// validated on this path.
func (d *Decoder) skipStringBody() error {
	escaped := false // the previous chunk ended with an unpaired backslash
	for {
		chunk, err := d.chunk()
		if err != nil {
			return err
		}
		i := 0
		if escaped {
			i, escaped = 1, false
		}
		for {
			q := bytes.IndexByte(chunk[i:], '"')
			if q < 0 {
				run := 0
				for k := len(chunk) - 1; k >= i && chunk[k] == '\\'; k-- {
					run++
				}
				escaped = run%2 == 1
				d.pos += len(chunk)
				break
			}
			q += i
			run := 0
			for k := q - 1; k >= i && chunk[k] == '\\'; k-- {
				run++
			}
			if run%2 == 1 {
				i = q + 1
				continue
			}
			d.pos += q + 1
			return nil
		}
	}
}

// scanString consumes the rest of a string after its opening quote, passing
// decoded chunks to keep (when not nil).
func (d *Decoder) scanString(keep func([]byte)) error {
	for {
		chunk, err := d.chunk()
		if err != nil {
			return err
		}
		s := stringStop(chunk)
		if s < 0 {
			if keep != nil {
				keep(chunk)
			}
			d.pos += len(chunk)
			continue
		}
		if keep != nil {
			keep(chunk[:s])
		}
		d.pos += s + 1
		if chunk[s] == '"' {
			return nil
		}
		if err := d.escape(keep); err != nil {
			return err
		}
	}
}

// stringStop finds the first '"' or '\\' in chunk, or -1. It searches
// windows that double in size, so each byte is looked at a bounded number
// of times however far the next quote is: a string with an escape every
// few bytes (HTML marshalled with \u003c) costs linear time, not the
// length of the rest of the buffer per escape.
func stringStop(chunk []byte) int {
	for from, w := 0, 64; from < len(chunk); from, w = from+w, min(2*w, 64<<10) {
		win := chunk[from:min(from+w, len(chunk))]
		q := bytes.IndexByte(win, '"')
		if q >= 0 {
			win = win[:q]
		}
		if bs := bytes.IndexByte(win, '\\'); bs >= 0 {
			return from + bs
		}
		if q >= 0 {
			return from + q
		}
	}
	return -1
}

// escape decodes one escape sequence after its backslash.
func (d *Decoder) escape(keep func([]byte)) error {
	c, err := d.readByte()
	if err != nil {
		return err
	}
	var out byte
	switch c {
	case '"', '\\', '/':
		out = c
	case 'b':
		out = '\b'
	case 'f':
		out = '\f'
	case 'n':
		out = '\n'
	case 'r':
		out = '\r'
	case 't':
		out = '\t'
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			// A surrogate pairs with the \u escape right after it when that
			// one completes it; otherwise it is U+FFFD and the next escape
			// stands on its own, as in encoding/json.
			high := r
			r = utf8.RuneError
			if d.need(6) == nil {
				if next := d.buf[d.pos : d.pos+6]; next[0] == '\\' && next[1] == 'u' {
					if low, ok := parseHex4(next[2:]); ok {
						if pair := utf16.DecodeRune(high, low); pair != utf8.RuneError {
							r = pair
							d.pos += 6
						}
					}
				}
			}
		}
		if keep != nil {
			var tmp [utf8.UTFMax]byte
			keep(tmp[:utf8.EncodeRune(tmp[:], r)])
		}
		return nil
	default:
		return d.syntax("invalid escape \\%c in string", c)
	}
	if keep != nil {
		keep([]byte{out})
	}
	return nil
}

// hex4 reads the four hex digits of a \u escape.
func (d *Decoder) hex4() (rune, error) {
	err := d.need(4)
	digits := [4]byte{'0', '0', '0', '0'} // what is there, padded
	copy(digits[:], d.buf[d.pos:])
	if _, ok := parseHex4(digits[:]); !ok {
		return 0, d.syntax("invalid \\u escape")
	}
	if err != nil {
		return 0, d.ioErr(err) // the input ends inside the escape
	}
	r, _ := parseHex4(d.buf[d.pos:])
	d.pos += 4
	return r, nil
}

// parseHex4 reads four hex digits.
func parseHex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b[:4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// ReadScalar reads a number, boolean or null and returns its literal text,
// or reads a string (up to limit bytes) and returns its content.
func (d *Decoder) ReadScalar(limit int) (string, error) {
	k, err := d.Peek()
	if err != nil {
		return "", err
	}
	switch k {
	case String:
		s, _, err := d.ReadString(limit)
		return s, err
	case Number, Bool, Null:
		lit, err := d.readLiteral()
		return string(lit), err
	}
	return "", d.syntax("expected a scalar, found %s", k)
}

// ReadInt reads a number (or a numeric string) as an int64. Null and
// non-numeric values give ok=false without an error.
func (d *Decoder) ReadInt() (v int64, ok bool, err error) {
	k, err := d.Peek()
	if err != nil {
		return 0, false, err
	}
	if k == Object || k == Array {
		return 0, false, d.Skip()
	}
	s, err := d.ReadScalar(64)
	if err != nil {
		return 0, false, err
	}
	if f, perr := strconv.ParseFloat(s, 64); perr == nil {
		return int64(f), true, nil
	}
	return 0, false, nil
}

// delimits marks the bytes that end a literal.
var delimits = [256]bool{',': true, '}': true, ']': true, ' ': true, '\n': true, '\r': true, '\t': true, ':': true}

// readLiteral consumes a number, true, false or null and returns its text,
// valid until the next read.
func (d *Decoder) readLiteral() ([]byte, error) {
	// Most literals lie whole in the buffer: read them in place.
	for i := d.pos; i < len(d.buf) && i-d.pos <= maxLiteral; i++ {
		if delimits[d.buf[i]] {
			lit := d.buf[d.pos:i]
			d.pos = i
			if !validLiteral(lit) {
				return nil, d.syntax("invalid literal %q", lit)
			}
			return lit, nil
		}
	}
	lit := d.str[:0]
	for {
		if d.pos == len(d.buf) {
			if err := d.fill(); err != nil {
				if err == io.EOF && len(lit) > 0 {
					break
				}
				return nil, d.ioErr(err)
			}
		}
		c := d.buf[d.pos]
		if delimits[c] {
			break
		}
		if len(lit) > maxLiteral {
			return nil, d.syntax("literal longer than %d bytes", maxLiteral)
		}
		lit = append(lit, c)
		d.pos++
	}
	d.str = lit
	if !validLiteral(lit) {
		return nil, d.syntax("invalid literal %q", lit)
	}
	return lit, nil
}

// validLiteral judges a literal by JSON's grammar. A lone literal is a JSON
// text of its own, so encoding/json can judge numbers (1E700 is a number
// even though no float64 holds it).
func validLiteral(lit []byte) bool {
	switch string(lit) {
	case "true", "false", "null":
		return true
	}
	return len(lit) > 0 && (lit[0] == '-' || lit[0] >= '0' && lit[0] <= '9') && json.Valid(lit)
}

// maxLiteral bounds a number, true, false or null.
const maxLiteral = 4096

// Skip consumes the next value, whatever its kind, holding none of it.
// Nesting is tracked with a counter, so deep input cannot exhaust the stack.
//
// It works on the buffered bytes in place and falls back to the
// token-by-token readers only for a string or literal that runs past the
// end of the buffer: skipping is most of the work of reading a log or a
// capture, most of whose bytes samldoctor does not need.
func (d *Decoder) Skip() error {
	depth := 0
	for {
		buf, i := d.buf, d.pos
	scan:
		for i < len(buf) {
			c := buf[i]
			switch c {
			case ' ', '\t', '\n', '\r':
				i++
				continue
			case '"':
				j := i + 1
				for {
					q := special(buf[j:])
					if q < 0 {
						break scan // the string goes on past the buffer
					}
					q += j
					if buf[q] == '"' {
						i = q + 1
						break
					}
					// An escape: its second byte is never the end (\u's
					// digits hold no quote or backslash either).
					if j = q + 2; j >= len(buf) {
						break scan
					}
				}
			case '{', '[':
				depth++
				i++
				continue
			case '}', ']':
				if depth == 0 {
					d.pos = i
					return d.syntax("unexpected %q", c)
				}
				depth--
				i++
			case ',', ':':
				if depth == 0 {
					d.pos = i
					return d.syntax("unexpected %q", c)
				}
				i++
				continue
			default:
				j := i + 1
				for j < len(buf) && !delimits[buf[j]] {
					j++
				}
				if j == len(buf) {
					break scan // the literal may go on past the buffer
				}
				d.pos = j
				if !validLiteral(buf[i:j]) {
					return d.syntax("invalid literal %q", buf[i:j])
				}
				i = j
			}
			if depth == 0 {
				d.pos = i
				return nil
			}
		}
		d.pos = i
		// At the end of the buffer, or at a string or literal that crosses
		// it: take the next token the slow way.
		b, err := d.peek()
		if err != nil {
			return err
		}
		switch b {
		case '"':
			d.pos++
			if err := d.skipStringBody(); err != nil {
				return err
			}
		case '{', '[', '}', ']', ',', ':':
			continue // a refill brought it: the fast path takes it
		default:
			if _, err := d.readLiteral(); err != nil {
				return err
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
