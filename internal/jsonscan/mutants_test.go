package jsonscan

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// Numbers starting with every digit are numbers: 0, 5 and 9 alike, in
// the buffer and read a byte at a time.
func TestNumbersOfEveryDigit(t *testing.T) {
	for _, in := range []string{"0", "9", "95", "-9", "5.5", "[9,0]"} {
		for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
			v, err := collect(NewDecoder(r, 0), 10)
			if err != nil {
				t.Errorf("%s: %v (%v)", in, err, v)
			}
		}
	}
}

// A reader cut off without io.EOF (gzip's io.ErrUnexpectedEOF) is a
// truncated input, as a file that ends early is; any other read error is
// an error that names it.
func TestUnexpectedEOFIsTruncation(t *testing.T) {
	in := io.MultiReader(strings.NewReader(`{"log":{"entries":[{"a":"b`), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, err := collect(NewDecoder(in, 0), 100)
	if !IsTruncated(err) {
		t.Errorf("cut with ErrUnexpectedEOF: %v, want a truncation", err)
	}
	other := errors.New("disk on fire")
	in = io.MultiReader(strings.NewReader(`{"log":{"entries":[{"a":"b`), iotest.ErrReader(other))
	if _, err := collect(NewDecoder(in, 0), 100); IsTruncated(err) || !errors.Is(err, other) {
		t.Errorf("cut with another error: %v", err)
	}
}

// A reader that gives nothing, again and again, without an error, stops
// the decoder with io.ErrNoProgress instead of spinning.
func TestNoProgressReader(t *testing.T) {
	done := make(chan error, 1)
	go func() {
		_, err := collect(NewDecoder(zeroReader{}, 0), 10)
		done <- err
	}()
	if err := <-done; !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("err = %v, want io.ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// Keys with escapes are decoded, whole in the buffer or not.
func TestKeysWithEscapes(t *testing.T) {
	in := `{"a\u0062":1,"c\"d":2,"e\\":3}`
	for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
		var keys []string
		d := NewDecoder(r, 0)
		err := d.ReadObject(func(k string) error {
			keys = append(keys, k)
			return d.Skip()
		})
		if err != nil || strings.Join(keys, "|") != `ab|c"d|e\` {
			t.Errorf("keys %q, %v", keys, err)
		}
	}
}

// A string of exactly the limit is whole; one byte more is not. Both in
// the buffer, with escapes, and a byte at a time.
func TestStringAtTheLimit(t *testing.T) {
	for _, tt := range []struct {
		in       string
		complete bool
	}{
		{`"abcde"`, true}, {`"abcdef"`, false}, {`"a\u0062cde"`, true}, {`"a\u0062cdef"`, false},
	} {
		for _, r := range []io.Reader{strings.NewReader(tt.in), iotest.OneByteReader(strings.NewReader(tt.in))} {
			s, complete, err := NewDecoder(r, 0).ReadString(5)
			if err != nil || complete != tt.complete || s != "abcde" {
				t.Errorf("ReadString(%s, 5) = %q, %v, %v; want complete %v", tt.in, s, complete, err, tt.complete)
			}
		}
	}
}
