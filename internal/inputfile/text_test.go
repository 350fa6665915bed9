package inputfile

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, big, bom bool) []byte {
	var b []byte
	put := func(u uint16) {
		if big {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	if bom {
		put(0xfeff)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		put(u)
	}
	return b
}

func TestText(t *testing.T) {
	const doc = "{\"UserSummaryList\":[{\"Username\":\"jöhn.dœ@example.com 😀\"}]}\r\n"
	tests := []struct {
		name, enc string
		in        []byte
	}{
		{"UTF-8", UTF8, []byte(doc)},
		{"UTF-8 with BOM", UTF8, append([]byte("\xef\xbb\xbf"), doc...)},
		{"UTF-16 LE with BOM (PowerShell 5.1 >)", UTF16LE, utf16Bytes(doc, false, true)},
		{"UTF-16 BE with BOM", UTF16BE, utf16Bytes(doc, true, true)},
		{"UTF-16 LE without BOM", UTF16LE, utf16Bytes(doc, false, false)},
		{"UTF-16 BE without BOM", UTF16BE, utf16Bytes(doc, true, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, enc := Text(bytes.NewReader(tt.in), 16) // a small buffer: decoded across reads
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != doc || enc != tt.enc {
				t.Errorf("Text = %q (%q), want %q (%q)", got, enc, doc, tt.enc)
			}
			if b := Bytes(tt.in); string(b) != doc {
				t.Errorf("Bytes = %q", b)
			}
		})
	}
}

// Near misses: bytes that only look like UTF-16 are passed through.
func TestTextLeavesOtherBytes(t *testing.T) {
	for _, in := range [][]byte{
		[]byte("\x1f\x8b\x08\x00\x00\x00"),            // gzip
		[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), // PNG
		[]byte("0\x82\x03\x00"),                       // DER certificate
		{0, 0, 0, 0, 1, 2},                            // zeros
		[]byte("{\x00"),                               // too short to tell
		[]byte("PK\x03\x04\x14\x00\x00\x00"),          // zip
	} {
		r, enc := Text(bytes.NewReader(in), 16)
		got, _ := io.ReadAll(r)
		if enc != UTF8 || !bytes.Equal(got, in) {
			t.Errorf("Text(%q) = %q (%q), want it unchanged", in, got, enc)
		}
	}
}

func TestReadUTF16(t *testing.T) {
	pem := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	b, err := ReadFrom("--idp-cert", "c.pem", bytes.NewReader(utf16Bytes(pem, false, true)), MaxCert, PEMOrDER)
	if err != nil || string(b) != pem {
		t.Fatalf("ReadFrom = %q, %v", b, err)
	}
	_, err = ReadFrom("--idp-metadata", "m.xml", bytes.NewReader(utf16Bytes("hello", false, true)), MaxMetadata, XML)
	if err == nil || !strings.Contains(err.Error(), `it starts with "hello"`) {
		t.Errorf("err = %v, want the decoded text quoted", err)
	}
}
