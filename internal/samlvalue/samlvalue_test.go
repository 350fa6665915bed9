package samlvalue

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"io"
	"math/rand"
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

// A value form-decoded once too often has spaces for '+', including a '+'
// at either end, which white-space trimming must not lose.
func TestPlusAtTheEdgesBecameSpace(t *testing.T) {
	// An XML document whose base64 ends with '+' (so it has no padding).
	var endsWithPlus []byte
	for pad := 0; pad < 1000 && endsWithPlus == nil; pad++ {
		doc := []byte(xml + "<!--" + strings.Repeat("x", pad) + "-->")
		for _, tail := range []string{">", "\n", " \n", "\t"} {
			b := append(bytes.Clone(doc), tail...)
			if e := base64.StdEncoding.EncodeToString(b); strings.HasSuffix(e, "+") {
				endsWithPlus = b
				break
			}
		}
	}
	if endsWithPlus == nil {
		t.Fatal("no document found whose base64 ends with '+'")
	}
	// A leading '+' (a first byte 0xF8-0xFB) cannot occur: XML starts
	// with '<', zlib with 0x78, gzip with 0x1f, and raw DEFLATE would need
	// a block header with HLIT 31 or reserved padding bits set.
	tests := map[string]struct {
		in   string
		want []byte
	}{
		"ends with +":                    {base64.StdEncoding.EncodeToString(endsWithPlus), endsWithPlus},
		"ends with +, then a line break": {base64.StdEncoding.EncodeToString(endsWithPlus) + "\r\n", endsWithPlus},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			spaced := strings.ReplaceAll(tt.in, "+", " ")
			d, err := Decode([]byte(spaced))
			if err != nil {
				t.Fatalf("Decode(%q...): %v", spaced[:20], err)
			}
			if !bytes.Equal(d.XML, tt.want) {
				t.Errorf("XML = %q\nwant %q", d.XML, tt.want)
			}
		})
	}
	// A genuine trailing space after padded base64 is still trimmed.
	b64 := base64.StdEncoding.EncodeToString([]byte(xml))
	if !strings.HasSuffix(b64, "=") {
		t.Fatalf("test value %q should be padded", b64)
	}
	if d, err := Decode([]byte(strings.ReplaceAll(b64, "+", " ") + "  ")); err != nil || string(d.XML) != xml {
		t.Errorf("padded value with trailing spaces: XML %q, err %v", d.XML, err)
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

// DEFLATE output can itself start with '<' (a first dynamic block with
// HLIT 7); such a value is inflated, not taken for XML.
func TestDeflateThatStartsWithLessThan(t *testing.T) {
	// Letters with short repeats and no long ones, so the first of several
	// blocks uses few length codes. The search depends on compress/flate's
	// choices; seed 1 gives such a stream with Go 1.26.
	for seed := int64(0); seed < 50; seed++ {
		r := rand.New(rand.NewSource(seed))
		n := 70000 + r.Intn(80000)
		body := make([]byte, n)
		for i := range body {
			body[i] = byte('a' + r.Intn(26))
		}
		rep := 5 + r.Intn(6)
		for i := 0; i+rep*2 < n; i += 200 + r.Intn(300) {
			copy(body[i+rep:], body[i:i+rep])
		}
		x := []byte("<Response>" + string(body) + "</Response>")
		z := deflate(x)
		if z[0] != '<' {
			continue
		}
		d, err := Decode([]byte(base64.StdEncoding.EncodeToString(z)))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !bytes.Equal(d.XML, x) {
			t.Fatalf("seed %d: the DEFLATE stream was taken for XML (steps %v)", seed, d.Steps)
		}
		return
	}
	t.Fatal("compress/flate made no stream starting with '<' from these inputs: widen the seeds")
}

// Plain or base64 XML is held to MaxXML like inflated XML.
func TestXMLLimit(t *testing.T) {
	big := "<Response>" + strings.Repeat("a", MaxXML) + "</Response>"
	for _, in := range []string{big, base64.StdEncoding.EncodeToString([]byte(big))} {
		if _, err := Decode([]byte(in)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%d bytes: err = %v, want ErrTooLarge", len(in), err)
		}
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
	// Any input: no panic, no hang, nothing past the limit. XML input
	// comes back as itself through every encoding a binding gives it:
	// base64 (POST), DEFLATE + base64 + URL encoding (redirect).
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err == nil && len(d.XML) > MaxXML {
			t.Fatalf("XML of %d bytes passed the limit", len(d.XML))
		}
		x := bytes.TrimSpace(b)
		if !bytes.HasPrefix(x, []byte("<")) {
			return
		}
		b64 := base64.StdEncoding.EncodeToString(x)
		deflated := base64.StdEncoding.EncodeToString(deflate(x))
		for name, enc := range map[string]string{"base64": b64, "url(base64)": url.QueryEscape(b64),
			"base64(deflate)": deflated, "url(base64(deflate))": url.QueryEscape(deflated)} {
			d, err := Decode([]byte(enc))
			if err != nil {
				t.Fatalf("%s of %q: %v", name, x, err)
			}
			if !bytes.Equal(d.XML, x) {
				t.Fatalf("%s of %q: XML %q", name, x, d.XML)
			}
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
