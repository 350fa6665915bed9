// Package samlvalue decodes one SAMLResponse or SAMLRequest value, however it
// was carried: URL-encoded or not, base64 with or without line breaks or
// padding, raw DEFLATE (HTTP-Redirect binding), or plain XML. Every step is
// bounded, so a DEFLATE bomb ends in an error instead of eating memory.
package samlvalue

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"unicode/utf8"
)

// Limits on one value. The largest SAMLResponse AWS accepts is 100,000
// base64 characters; these leave generous room for other IdP traffic.
const (
	MaxEncoded = 16 << 20 // bytes of the value as captured
	MaxXML     = 8 << 20  // bytes of XML after base64 and inflation
)

// ErrTooLarge is returned when a value or its inflated form passes the limits.
var ErrTooLarge = errors.New("value too large")

// Decoded is one decoded value and how it was encoded.
type Decoded struct {
	XML []byte
	// Steps lists the decoding steps applied, in order: "url-decode",
	// "base64", "base64-unpadded", "base64url", "deflate", "zlib", "gzip",
	// "xml".
	Steps []string
	// Notes are oddities seen on the way (double URL-encoding, line breaks,
	// a missing padding).
	Notes []string
}

// Compressed reports whether the value was DEFLATE-compressed, as the
// HTTP-Redirect binding requires.
func (d *Decoded) Compressed() bool {
	for _, s := range d.Steps {
		if s == "deflate" || s == "zlib" || s == "gzip" {
			return true
		}
	}
	return false
}

// Error is a value that cannot be decoded; Offset is the byte offset in the
// value after URL-decoding (-1 when it does not apply).
type Error struct {
	Step   string
	Offset int64
	Err    error
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("%s: byte %d: %v", e.Step, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Step, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Decode decodes one value.
func Decode(raw []byte) (*Decoded, error) {
	if len(raw) > MaxEncoded {
		return nil, &Error{Step: "read", Offset: -1, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(raw), MaxEncoded)}
	}
	d := &Decoded{}
	untrimmed := bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	v := bytes.TrimSpace(untrimmed)
	if len(v) == 0 {
		return nil, &Error{Step: "read", Offset: -1, Err: errors.New("the value is empty")}
	}
	if looksXML(v) {
		return d.done(v)
	}
	// URL-decoding: base64 never contains '%', so a %XX escape means the
	// value is still URL-encoded. Some proxies encode twice.
	for i := 0; i < 3 && hasPercentEscape(v); i++ {
		s, err := url.PathUnescape(string(v))
		if err != nil {
			return nil, &Error{Step: "url-decode", Offset: -1, Err: err}
		}
		if looksXML([]byte(s)) {
			// XML sent as a form value: form encoding, where '+' is a space.
			if q, err := url.QueryUnescape(string(v)); err == nil {
				s = q
			}
		}
		v, untrimmed = []byte(s), []byte(s)
		d.Steps = append(d.Steps, "url-decode")
		if i == 1 {
			d.Notes = append(d.Notes, "the value was URL-encoded more than once")
		}
	}
	v = bytes.TrimSpace(v)
	if looksXML(v) {
		return d.done(v)
	}
	bin, step, err := decodeBase64(edgePluses(v, untrimmed), d)
	if err != nil {
		return nil, err
	}
	d.Steps = append(d.Steps, step)
	// DEFLATE output can start with '<' too (a dynamic block with HLIT 7),
	// so binary that only looks like XML is inflated first.
	if looksXML(bin) && utf8.Valid(bin) {
		return d.done(bin)
	}
	xml, step, err := inflate(bin)
	if err != nil || !looksXML(xml) {
		if looksXML(bin) { // XML in a legacy encoding
			return d.done(bin)
		}
	}
	if err != nil {
		return nil, err
	}
	d.Steps = append(d.Steps, step)
	if !looksXML(xml) {
		return nil, &Error{Step: step, Offset: -1, Err: errors.New("the inflated value is not XML")}
	}
	return d.done(xml)
}

// done records the decoded XML (without a byte-order mark, and copied, as
// it may be the caller's bytes), refusing more than MaxXML.
func (d *Decoded) done(xml []byte) (*Decoded, error) {
	xml = bytes.TrimPrefix(xml, []byte("\xef\xbb\xbf"))
	if len(xml) > MaxXML {
		return nil, &Error{Step: "xml", Offset: -1, Err: fmt.Errorf("%w: %d bytes of XML, the limit is %d", ErrTooLarge, len(xml), MaxXML)}
	}
	d.XML = bytes.Clone(xml)
	d.Steps = append(d.Steps, "xml")
	return d, nil
}

// looksXML reports whether b starts, after a BOM and white space, with '<'.
func looksXML(b []byte) bool {
	b = bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(b) > 0 && b[0] == '<'
}

func hasPercentEscape(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHex(b[i+1]) && isHex(b[i+2]) {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// edgePluses undoes the trimming of spaces that were '+' signs. A value
// form-decoded once too often has a space for every '+', and one that
// began or ended with '+' then begins or ends with a space, which the
// white-space trimming would drop. When spaces inside the value show it
// was form-decoded, there is no '=' padding at the end, and keeping the
// edge spaces makes a whole number of base64 quanta, they are kept (and
// decodeBase64 turns them back into '+').
func edgePluses(trimmed, untrimmed []byte) []byte {
	kept := bytes.Trim(untrimmed, "\t\r\n\v\f")
	if len(kept) == len(trimmed) || !bytes.Contains(trimmed, []byte(" ")) || bytes.HasSuffix(trimmed, []byte("=")) {
		return trimmed
	}
	n := 0
	for _, c := range kept {
		if c != '\r' && c != '\n' && c != '\t' {
			n++
		}
	}
	if n%4 != 0 {
		return trimmed
	}
	return kept
}

// decodeBase64 accepts the forms seen in captures: line breaks (Shibboleth,
// pretty-printers), a '+' turned into a space by form decoding, missing '='
// padding, and the URL-safe alphabet.
func decodeBase64(v []byte, d *Decoded) ([]byte, string, error) {
	clean := v // copied only when there is white space to take out
	var sawBreak, sawSpace bool
	if bytes.ContainsAny(v, "\r\n\t ") {
		clean = make([]byte, 0, len(v))
		for _, c := range v {
			switch c {
			case '\r', '\n', '\t':
				sawBreak = true
			case ' ':
				sawSpace = true
				clean = append(clean, '+')
			default:
				clean = append(clean, c)
			}
		}
	}
	if sawBreak {
		d.Notes = append(d.Notes, "the base64 has line breaks")
	}
	if sawSpace {
		d.Notes = append(d.Notes, "the base64 has spaces where '+' was expected (form-decoded once too often)")
	}
	enc, step := base64.StdEncoding, "base64"
	if bytes.ContainsAny(clean, "-_") && !bytes.ContainsAny(clean, "+/") {
		enc, step = base64.URLEncoding, "base64url"
	}
	trimmed := bytes.TrimRight(clean, "=")
	if len(trimmed)%4 != 0 && len(clean)%4 != 0 {
		d.Notes = append(d.Notes, "the base64 has no '=' padding")
		step += "-unpadded"
	}
	out := make([]byte, enc.WithPadding(base64.NoPadding).DecodedLen(len(trimmed)))
	n, err := enc.WithPadding(base64.NoPadding).Decode(out, trimmed)
	if err != nil {
		var ce base64.CorruptInputError
		off := int64(-1)
		if errors.As(err, &ce) {
			off = int64(ce)
		}
		msg := "not valid base64"
		if off >= 0 && len(trimmed)%4 == 1 && off >= int64(len(trimmed)-1) {
			msg = "the base64 ends early (truncated)"
		} else if off >= 0 && off < int64(len(trimmed)) {
			msg = fmt.Sprintf("not valid base64 (character %q)", trimmed[off])
		} else if off >= 0 {
			msg = "the base64 ends early (truncated)"
		}
		return nil, "", &Error{Step: "base64", Offset: off, Err: errors.New(msg)}
	}
	return out[:n], step, nil
}

// inflate undoes HTTP-Redirect compression: raw DEFLATE (RFC 1951) per the
// SAML bindings spec, with zlib and gzip accepted because some IdPs send them.
func inflate(bin []byte) ([]byte, string, error) {
	try := func(r io.Reader) ([]byte, error) {
		out, err := io.ReadAll(io.LimitReader(r, MaxXML+1))
		if err != nil {
			return nil, err
		}
		if len(out) > MaxXML {
			return nil, fmt.Errorf("%w: inflates to more than %d bytes (a DEFLATE bomb, or not a SAML message)", ErrTooLarge, MaxXML)
		}
		return out, nil
	}
	if len(bin) > 2 && bin[0] == 0x1f && bin[1] == 0x8b {
		gr, err := gzip.NewReader(bytes.NewReader(bin))
		if err == nil {
			out, err := try(gr)
			if err != nil {
				return nil, "gzip", &Error{Step: "gzip", Offset: -1, Err: err}
			}
			return out, "gzip", nil
		}
	}
	out, err := try(flate.NewReader(bytes.NewReader(bin)))
	if err == nil {
		return out, "deflate", nil
	}
	if errors.Is(err, ErrTooLarge) {
		return nil, "deflate", &Error{Step: "deflate", Offset: -1, Err: err}
	}
	if zr, zerr := zlib.NewReader(bytes.NewReader(bin)); zerr == nil {
		if out, zerr := try(zr); zerr == nil {
			return out, "zlib", nil
		} else if errors.Is(zerr, ErrTooLarge) {
			return nil, "zlib", &Error{Step: "zlib", Offset: -1, Err: zerr}
		}
	}
	return nil, "", &Error{Step: "deflate", Offset: -1, Err: fmt.Errorf("base64 decodes to %d bytes that are neither XML nor DEFLATE-compressed XML", len(bin))}
}
