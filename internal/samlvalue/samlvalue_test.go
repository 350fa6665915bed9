package samlvalue

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1">+/=</samlp:Response>`

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestDecode(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(xml))
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(xml))
	zw.Close()
	tests := []struct {
		name  string
		in    string
		steps []string
	}{
		{"xml", "  " + xml + "\n", []string{"xml"}},
		{"xml with BOM", "\xef\xbb\xbf" + xml, []string{"xml"}},
		{"base64", b64, []string{"base64", "xml"}},
		{"base64 unpadded", strings.TrimRight(b64, "="), []string{"base64-unpadded", "xml"}},
		{"base64 wrapped", b64[:20] + "\r\n" + b64[20:40] + "\n" + b64[40:], []string{"base64", "xml"}},
		{"url-encoded", url.QueryEscape(b64), []string{"url-decode", "base64", "xml"}},
		{"url-encoded twice", url.QueryEscape(url.QueryEscape(b64)), []string{"url-decode", "url-decode", "base64", "xml"}},
		{"plus became space", strings.ReplaceAll(b64, "+", " "), []string{"base64", "xml"}},
		{"base64url", base64.URLEncoding.EncodeToString([]byte(xml + "\xff\xfe")), nil},
		{"deflate", base64.StdEncoding.EncodeToString(deflate([]byte(xml))), []string{"base64", "deflate", "xml"}},
		{"deflate url-encoded", url.QueryEscape(base64.StdEncoding.EncodeToString(deflate([]byte(xml)))), []string{"url-decode", "base64", "deflate", "xml"}},
		{"zlib", base64.StdEncoding.EncodeToString(z.Bytes()), []string{"base64", "zlib", "xml"}},
		{"url-encoded xml", url.QueryEscape(xml), []string{"url-decode", "xml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(d.XML), xml) {
				t.Errorf("XML = %q", d.XML)
			}
			if tt.steps != nil && !reflect.DeepEqual(d.Steps, tt.steps) {
				t.Errorf("steps = %v, want %v", d.Steps, tt.steps)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte(xml))
	tests := []struct{ name, in, want string }{
		{"empty", "   ", "empty"},
		{"bad character", b64[:10] + "!" + b64[11:], "byte 10: not valid base64 (character '!')"},
		{"truncated base64", b64[:9], "truncated"},
		{"not xml", base64.StdEncoding.EncodeToString([]byte("hello there, not xml at all")), "neither XML nor DEFLATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDeflateBombIsCapped(t *testing.T) {
	// 64 MiB of zeros deflates to ~64 KiB.
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 64; i++ {
		w.Write(zeros)
	}
	w.Close()
	_, err := Decode([]byte(base64.StdEncoding.EncodeToString(buf.Bytes())))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(xml))
	f.Add([]byte(base64.StdEncoding.EncodeToString([]byte(xml))))
	f.Add([]byte(base64.StdEncoding.EncodeToString(deflate([]byte(xml)))))
	f.Add([]byte("%2B%3D%25"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err == nil && len(d.XML) > MaxXML {
			t.Fatalf("XML of %d bytes passed the limit", len(d.XML))
		}
	})
}

// tenGigabyteBomb builds raw DEFLATE that inflates to 10 GiB of zeros
// without compressing 10 GiB: one sync-flushed block of 1 MiB of zeros is
// self-contained and byte-aligned, so it can be repeated; its back
// references only ever reach zeros.
func tenGigabyteBomb() []byte {
	var one bytes.Buffer
	w, _ := flate.NewWriter(&one, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	block := one.Bytes()
	out := bytes.Repeat(block, 10<<10)
	return append(out, 0x03, 0x00) // a final, empty fixed-Huffman block
}

func TestTenGigabyteBomb(t *testing.T) {
	bomb := tenGigabyteBomb()
	value := []byte(base64.StdEncoding.EncodeToString(bomb))
	t.Logf("bomb: %d bytes of DEFLATE, %d of base64", len(bomb), len(value))
	// The stream is genuine: its first 64 MiB inflate to zeros.
	n, err := io.Copy(io.Discard, io.LimitReader(flate.NewReader(bytes.NewReader(bomb)), 64<<20))
	if err != nil || n != 64<<20 {
		t.Fatalf("the bomb does not inflate: %d, %v", n, err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, err = Decode(value)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "DEFLATE bomb") {
		t.Fatalf("err = %v", err)
	}
	t.Logf("refused in %v", elapsed) // timed by bench/hostile.sh, not asserted here
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}
