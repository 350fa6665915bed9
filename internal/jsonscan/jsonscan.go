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
	"bufio"
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
type Decoder struct {
	r   *bufio.Reader
	off int64
	buf []byte // scratch for strings
}

// NewDecoder reads from r through a buffer of bufSize bytes (at least 4 KiB).
func NewDecoder(r io.Reader, bufSize int) *Decoder {
	if bufSize < 4096 {
		bufSize = 4096
	}
	return &Decoder{r: bufio.NewReaderSize(r, bufSize)}
}

// Offset is the number of input bytes consumed so far.
func (d *Decoder) Offset() int64 { return d.off }

func (d *Decoder) syntax(format string, args ...any) error {
	return &SyntaxError{Offset: d.off, Msg: fmt.Sprintf(format, args...)}
}

func (d *Decoder) ioErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &TruncatedError{Offset: d.off}
	}
	return fmt.Errorf("read error at byte %d: %w", d.off, err)
}

// peek skips white space and returns the next byte without consuming it.
func (d *Decoder) peek() (byte, error) {
	for {
		b, err := d.r.Peek(1)
		if err != nil {
			return 0, d.ioErr(err)
		}
		switch b[0] {
		case ' ', '\t', '\n', '\r':
			d.r.Discard(1)
			d.off++
			continue
		}
		return b[0], nil
	}
}

func (d *Decoder) readByte() (byte, error) {
	b, err := d.r.ReadByte()
	if err != nil {
		return 0, d.ioErr(err)
	}
	d.off++
	return b, nil
}

func (d *Decoder) expect(c byte) error {
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b != c {
		return d.syntax("expected %q, found %q", c, b)
	}
	d.r.Discard(1)
	d.off++
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

// ReadObject reads an object, calling fn for each member with its key. fn
// must consume the member's value. A non-nil error from fn stops the read.
func (d *Decoder) ReadObject(fn func(key string) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	b, err := d.peek()
	if err != nil {
		return err
	}
	if b == '}' {
		d.r.Discard(1)
		d.off++
		return nil
	}
	for {
		if b, err = d.peek(); err != nil {
			return err
		}
		if b != '"' {
			return d.syntax("expected an object key, found %q", b)
		}
		key, _, err := d.ReadString(MaxKeyLen)
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
		d.r.Discard(1)
		d.off++
		switch b {
		case ',':
			continue
		case '}':
			return nil
		}
		d.off--
		return d.syntax("expected ',' or '}' after an object member, found %q", b)
	}
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
		d.r.Discard(1)
		d.off++
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		if b, err = d.peek(); err != nil {
			return err
		}
		d.r.Discard(1)
		d.off++
		switch b {
		case ',':
			continue
		case ']':
			return nil
		}
		d.off--
		return d.syntax("expected ',' or ']' after an array element, found %q", b)
	}
}

// ReadString reads a string value and returns at most limit bytes of its
// decoded content; complete is false when the string was longer (the rest is
// consumed and dropped, never held in memory). Bytes that are not UTF-8 are
// kept as found (encoding/json would replace them with U+FFFD).
func (d *Decoder) ReadString(limit int) (s string, complete bool, err error) {
	if err := d.expect('"'); err != nil {
		return "", false, err
	}
	d.buf = d.buf[:0]
	complete = true
	keep := func(p []byte) {
		if !complete {
			return
		}
		if room := limit - len(d.buf); len(p) > room {
			d.buf = append(d.buf, p[:room]...)
			complete = false
			return
		}
		d.buf = append(d.buf, p...)
	}
	if err := d.scanString(keep); err != nil {
		return "", false, err
	}
	return string(d.buf), complete, nil
}

// chunk returns what the reader holds, reading more when it holds nothing,
// without consuming it.
func (d *Decoder) chunk() ([]byte, error) {
	if d.r.Buffered() == 0 {
		if _, err := d.r.Peek(1); err != nil {
			return nil, d.ioErr(err)
		}
	}
	return d.r.Peek(d.r.Buffered())
}

// skipString consumes a string value without keeping it or decoding its
// escapes: it only finds the closing quote, a quote preceded by an even run
// of backslashes. Escapes are not validated on this path.
func (d *Decoder) skipString() error {
	if err := d.expect('"'); err != nil {
		return err
	}
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
				d.r.Discard(len(chunk))
				d.off += int64(len(chunk))
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
			d.r.Discard(q + 1)
			d.off += int64(q + 1)
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
		q := bytes.IndexByte(chunk, '"')
		end := len(chunk)
		if q >= 0 {
			end = q
		}
		bs := bytes.IndexByte(chunk[:end], '\\')
		if bs < 0 {
			if keep != nil {
				keep(chunk[:end])
			}
			if q >= 0 {
				d.r.Discard(q + 1)
				d.off += int64(q + 1)
				return nil
			}
			d.r.Discard(end)
			d.off += int64(end)
			continue
		}
		if keep != nil {
			keep(chunk[:bs])
		}
		d.r.Discard(bs + 1)
		d.off += int64(bs + 1)
		if err := d.escape(keep); err != nil {
			return err
		}
	}
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
			if next, err := d.r.Peek(6); err == nil && next[0] == '\\' && next[1] == 'u' {
				if low, ok := parseHex4(next[2:]); ok {
					if pair := utf16.DecodeRune(high, low); pair != utf8.RuneError {
						r = pair
						d.r.Discard(6)
						d.off += 6
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
	b, err := d.r.Peek(4)
	digits := [4]byte{'0', '0', '0', '0'} // what is there, padded
	copy(digits[:], b)
	if _, ok := parseHex4(digits[:]); !ok {
		return 0, d.syntax("invalid \\u escape")
	}
	if err != nil {
		return 0, d.ioErr(err) // the input ends inside the escape
	}
	r, _ := parseHex4(b)
	d.r.Discard(4)
	d.off += 4
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
		return d.readLiteral()
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

func (d *Decoder) readLiteral() (string, error) {
	var lit []byte
	for {
		b, err := d.r.Peek(1)
		if err != nil {
			if err == io.EOF && len(lit) > 0 {
				break
			}
			return "", d.ioErr(err)
		}
		c := b[0]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':' {
			break
		}
		if len(lit) > maxLiteral {
			return "", d.syntax("literal longer than %d bytes", maxLiteral)
		}
		lit = append(lit, c)
		d.r.Discard(1)
		d.off++
	}
	// A lone literal is a JSON text of its own, so encoding/json can judge
	// it by the grammar (1E700 is a number even though no float64 holds it).
	if !json.Valid(lit) {
		return "", d.syntax("invalid literal %q", lit)
	}
	return string(lit), nil
}

// maxLiteral bounds a number, true, false or null.
const maxLiteral = 4096

// Skip consumes the next value, whatever its kind, holding none of it.
// Nesting is tracked with a counter, so deep input cannot exhaust the stack.
func (d *Decoder) Skip() error {
	depth := 0
	for {
		b, err := d.peek()
		if err != nil {
			return err
		}
		switch b {
		case '{', '[':
			d.r.Discard(1)
			d.off++
			depth++
			continue
		case '}', ']':
			if depth == 0 {
				return d.syntax("unexpected %q", b)
			}
			d.r.Discard(1)
			d.off++
			depth--
		case '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case ',', ':':
			if depth == 0 {
				return d.syntax("unexpected %q", b)
			}
			d.r.Discard(1)
			d.off++
			continue
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
