// Package inputfile reads the small files samldoctor takes beside a
// capture (IdP certificates, the service provider's key, IdP metadata,
// AWS CLI outputs) with a bound on their size and a look at their first
// bytes, so that a device such as /dev/zero, or a file of the wrong kind,
// is refused at once instead of read until memory runs out.
package inputfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// Kind is what a file must look like from its first bytes.
type Kind struct {
	// Name is said in errors: "a PEM or DER certificate".
	Name string
	// Starts reports whether the first non-blank bytes fit.
	Starts func(first []byte) bool
}

// Kinds of input.
var (
	// PEMOrDER: "-----BEGIN", or a DER SEQUENCE (0x30).
	PEMOrDER = Kind{"PEM or DER", func(b []byte) bool { return bytes.HasPrefix(b, []byte("-----BEGIN")) || len(b) > 0 && b[0] == 0x30 }}
	// PEM: text that holds a "-----BEGIN" line within its first lines
	// (keys may have a preamble).
	PEM = Kind{"PEM", func(b []byte) bool { return bytes.Contains(b, []byte("-----BEGIN")) }}
	// XML: "<".
	XML = Kind{"XML", func(b []byte) bool { return len(b) > 0 && b[0] == '<' }}
	// JSON: an object or array.
	JSON = Kind{"JSON", func(b []byte) bool { return len(b) > 0 && (b[0] == '{' || b[0] == '[') }}
)

// Bounds, documented in docs/limits.md.
const (
	MaxCert     = 1 << 20   // --idp-cert
	MaxKey      = 1 << 20   // --sp-key
	MaxMetadata = 128 << 20 // --idp-metadata (a federation's aggregate can be tens of MiB)
)

// sniff is how much of the start is looked at.
const sniff = 4096

// Read reads the file named by flag (for messages) if it is no larger
// than limit and starts like kind.
func Read(flag, name string, limit int64, kind Kind) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s %s: %d bytes, more than the %s limit for %s", flag, name, st.Size(), size(limit), kind.Name)
	}
	return ReadFrom(flag, name, f, limit, kind)
}

// ReadFrom is Read for an open reader.
func ReadFrom(flag, name string, r io.Reader, limit int64, kind Kind) ([]byte, error) {
	br, _ := Text(r, sniff)
	head, err := br.Peek(sniff)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	first := bytes.TrimLeft(head, " \t\r\n")
	if !kind.Starts(first) {
		what := "it is empty"
		if len(first) > 0 {
			what = fmt.Sprintf("it starts with %q", preview(first))
		}
		return nil, fmt.Errorf("%s %s: not %s (%s)", flag, name, kind.Name, what)
	}
	b, err := io.ReadAll(io.LimitReader(br, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s %s: larger than the %s limit for %s", flag, name, size(limit), kind.Name)
	}
	return b, nil
}

func preview(b []byte) string {
	if len(b) > 12 {
		b = b[:12]
	}
	return string(b)
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func unwrap(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Skipped is a file found in a folder and not read, and why.
type Skipped struct {
	Path, Why string
}

// String names the file quoted (a file name may hold control
// characters) and why it was skipped.
func (s Skipped) String() string { return strconv.Quote(s.Path) + ": skipped, " + s.Why }

// InFolder reports whether a file met while walking a folder is one to
// read: a regular file, or a link to one. A named pipe, a socket, a
// device, or a link to one of them or to nothing, would block or never
// end when read; why says what it is and what to do.
func InFolder(path string, d fs.DirEntry) (ok bool, why string) {
	if d.Type().IsRegular() {
		return true, ""
	}
	mode := d.Type()
	link := ""
	if mode&fs.ModeSymlink != 0 {
		st, err := os.Stat(path)
		if err != nil {
			return false, "a link to nothing that can be read (" + unwrapPath(err).Error() + ")"
		}
		if st.Mode().IsRegular() {
			return true, ""
		}
		mode, link = st.Mode().Type(), "a link to "
	}
	what := "something other than a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO), which would wait for a writer"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0 || mode&fs.ModeCharDevice != 0:
		what = "a device"
	case mode.IsDir():
		what = "a folder"
	}
	return false, link + what + "; to read it anyway, name it on its own instead of its folder"
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
