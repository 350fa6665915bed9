package inputfile

import (
	"bufio"
	"bytes"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings a text file may come in, as Text names them.
const (
	UTF8    = ""
	UTF16LE = "UTF-16 LE"
	UTF16BE = "UTF-16 BE"
)

// Text returns the text of r as UTF-8, read as it streams (a HAR of
// gigabytes is never held whole): a UTF-8 byte-order mark is dropped, and
// UTF-16, little- or big-endian, is decoded, with its byte-order mark
// (Windows PowerShell 5.1's `>` and Out-File write UTF-16 LE with one) or
// without one when its first characters are ASCII. Anything else is passed
// through unchanged: a gzip stream, an image, UTF-8. enc names the
// encoding found (UTF8, UTF16LE or UTF16BE).
func Text(r io.Reader, size int) (text *bufio.Reader, enc string) {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < size {
		br = bufio.NewReaderSize(r, size)
	}
	head, _ := br.Peek(4)
	enc, bom := Sniff(head)
	switch enc {
	case UTF16LE, UTF16BE:
		e := unicode.LittleEndian
		if enc == UTF16BE {
			e = unicode.BigEndian
		}
		policy := unicode.IgnoreBOM
		if bom {
			policy = unicode.ExpectBOM
		}
		dec := unicode.UTF16(e, policy).NewDecoder()
		return bufio.NewReaderSize(transform.NewReader(br, dec), size), enc
	}
	if bom {
		br.Discard(3)
	}
	return br, UTF8
}

// Sniff tells from a file's first bytes (four are enough) whether it is
// UTF-16 and whether it starts with a byte-order mark (for UTF-8 too).
func Sniff(head []byte) (enc string, bom bool) {
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		return UTF8, true
	case bytes.HasPrefix(head, []byte("\xff\xfe")):
		return UTF16LE, true
	case bytes.HasPrefix(head, []byte("\xfe\xff")):
		return UTF16BE, true
	case len(head) >= 4 && ascii(head[0]) && head[1] == 0 && ascii(head[2]) && head[3] == 0:
		return UTF16LE, false
	case len(head) >= 4 && head[0] == 0 && ascii(head[1]) && head[2] == 0 && ascii(head[3]):
		return UTF16BE, false
	}
	return UTF8, false
}

// ascii is a character text files start with: printable ASCII or white
// space (not NUL, so that binary data full of zeros is not taken for
// UTF-16).
func ascii(b byte) bool { return b >= 0x20 && b < 0x7f || b == '\t' || b == '\r' || b == '\n' }

// Bytes is Text for a file held in memory: b itself when it is UTF-8
// without a byte-order mark.
func Bytes(b []byte) []byte {
	enc, bom := Sniff(b)
	if enc == UTF8 {
		if bom {
			return b[3:]
		}
		return b
	}
	r, _ := Text(bytes.NewReader(b), 4096)
	out, err := io.ReadAll(r)
	if err != nil {
		// The decoder replaces what is not UTF-16 with U+FFFD; reading
		// from memory does not fail.
		return b
	}
	return out
}
