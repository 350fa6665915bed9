package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// The decoder is compared with encoding/json on generated documents whose
// strings are dense in escapes of every kind, long enough that escapes,
// keys, literals and runs of white space cross the buffer's refills at
// varied offsets, read at once and in short reads.

// escapes are the pieces generated strings are made of: every escape JSON
// has, \u in both cases of hex digits, surrogate pairs and lone
// surrogates, and plain and multi-byte text.
var escapes = []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
	`\u00e9`, `\u00E9`, `\u4e2D`, `\u0041`, `\uFFFF`, `\u0000`,
	`\ud83d\ude00`, `\uD83D\uDE00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud83d\ude00`,
	"a", "xyz", "é", "中", "😀", " ", `\\\"`, `\\\\`}

// genString is a JSON string literal of about n bytes of escapes.
func genString(r *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteByte('"')
	for b.Len() < n {
		b.WriteString(escapes[r.IntN(len(escapes))])
	}
	b.WriteByte('"')
	return b.String()
}

// genValue writes a random JSON value: nested objects and arrays, the
// literals, and long strings, with runs of white space between tokens.
func genValue(r *rand.Rand, b *strings.Builder, depth int) {
	space := func() {
		if r.IntN(4) == 0 {
			c := " \n\t\r"[r.IntN(4)]
			b.WriteString(strings.Repeat(string(c), r.IntN(5000)))
		}
	}
	space()
	switch k := r.IntN(8); {
	case depth < 4 && k == 0:
		b.WriteByte('{')
		for i := range r.IntN(6) {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			// Keys are unique and shorter than MaxKeyLen decoded.
			b.WriteString(`"` + fmt.Sprint(i) + genString(r, r.IntN(120))[1:])
			space()
			b.WriteByte(':')
			genValue(r, b, depth+1)
		}
		space()
		b.WriteByte('}')
	case depth < 4 && k == 1:
		b.WriteByte('[')
		for i := range r.IntN(6) {
			if i > 0 {
				b.WriteByte(',')
			}
			genValue(r, b, depth+1)
		}
		b.WriteByte(']')
	case k == 2:
		b.WriteString([]string{"true", "false", "null", "0", "-12.5e+3", "1E700", "12345678901234567890", "-0.0"}[r.IntN(8)])
	default:
		b.WriteString(genString(r, r.IntN(9000)))
	}
	space()
}

// genDocument is the document a seed generates.
func genDocument(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 19))
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(genString(r, 1000+r.IntN(12000)))
	for range 1 + r.IntN(3) {
		b.WriteByte(',')
		genValue(r, &b, 0)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// normal puts a value read by collect, or by encoding/json with UseNumber,
// in one shape: literals as their text, empty arrays as nil.
func normal(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normal(e)
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i, e := range x {
			x[i] = normal(e)
		}
	case json.Number:
		return string(x)
	case bool:
		return fmt.Sprint(x)
	case nil:
		return "null"
	}
	return v
}

func stdDecode(t *testing.T, in []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(in))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return normal(v)
}

type reader struct {
	name string
	r    func([]byte) io.Reader
}

var readers = []reader{
	{"at once", func(b []byte) io.Reader { return bytes.NewReader(b) }},
	{"a byte at a time", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
	{"half reads", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
	{"EOF with the data", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
}

// readsAsEncodingJSON checks that collect reads in as encoding/json does,
// and that Skip stops at its end, through the readers and buffer sizes.
func readsAsEncodingJSON(t *testing.T, what string, in []byte, readers []reader, sizes ...int) {
	t.Helper()
	want := stdDecode(t, in)
	for _, rd := range readers {
		for _, size := range sizes {
			got, err := collect(NewDecoder(rd.r(in), size), 1<<20)
			if err != nil {
				t.Fatalf("%s, %s, buffer %d: %v", what, rd.name, size, err)
			}
			if !reflect.DeepEqual(normal(got), want) {
				t.Fatalf("%s, %s, buffer %d: read differs from encoding/json", what, rd.name, size)
			}
			d := NewDecoder(rd.r(in), size)
			if err := d.Skip(); err != nil || d.Offset() != int64(len(in)) {
				t.Fatalf("%s, %s, buffer %d: Skip: %v at byte %d of %d", what, rd.name, size, err, d.Offset(), len(in))
			}
		}
	}
}

func TestAgainstEncodingJSON(t *testing.T) {
	const seeds = 60
	distinct := map[uint32]bool{}
	long := 0
	for seed := range uint64(seeds) {
		in := genDocument(seed)
		distinct[crc32.ChecksumIEEE(in)] = true
		if len(in) > 3*4096 {
			long++
		}
		readsAsEncodingJSON(t, fmt.Sprintf("seed %d", seed), in, readers, 4096, 4096+37)
	}
	// The generator's own guard: every seed a new document, most of them
	// several buffers long.
	if len(distinct) != seeds || long < seeds*3/4 {
		t.Fatalf("%d distinct documents of %d, %d longer than 3 buffers", len(distinct), seeds, long)
	}
}

// Each escape with its backslash at every byte around the first refill of
// a 4096-byte buffer, in a key, in a value read and in a value skipped.
func TestEscapeAcrossRefill(t *testing.T) {
	for _, esc := range escapes {
		if !strings.HasPrefix(esc, `\`) {
			continue
		}
		for at := 4096 - 14; at <= 4096+2; at++ {
			// `{"k":"ppp…` puts the padding at byte 6.
			pad := strings.Repeat("p", at-6)
			for _, doc := range []string{
				`{"k":"` + pad + esc + `z"}`,                         // a value read
				`{"k":"` + pad[:len(pad)-3] + `","` + esc + `":"v"}`, // a key
				`["p` + pad + `","` + esc + `"]`,                     // an array element
				`{"k":["` + pad[:len(pad)-1] + esc + `",1]}`,         // nested
			} {
				if got := strings.Index(doc, esc); got != at {
					t.Fatalf("%s is at byte %d, not %d", esc, got, at)
				}
				if !json.Valid([]byte(doc)) {
					t.Fatalf("test document %.40q… is not JSON", doc)
				}
				readsAsEncodingJSON(t, fmt.Sprintf("%s at byte %d", esc, at), []byte(doc), readers[:1], 4096)
			}
		}
	}
}

// ReadInt reads numbers and numeric strings; other values give ok=false
// and are consumed.
func TestReadInt(t *testing.T) {
	tests := []struct {
		in string
		v  int64
		ok bool
	}{
		{`42`, 42, true}, {`-7`, -7, true}, {`"12"`, 12, true}, {`1.9e1`, 19, true},
		{`"x"`, 0, false}, {`null`, 0, false}, {`true`, 0, false}, {`{"a":1}`, 0, false}, {`[1,2]`, 0, false},
	}
	for _, tt := range tests {
		d := NewDecoder(strings.NewReader(`[`+tt.in+`,"next"]`), 0)
		var next string
		err := d.ReadArray(func(i int) error {
			if i == 1 {
				s, _, err := d.ReadString(10)
				next = s
				return err
			}
			v, ok, err := d.ReadInt()
			if v != tt.v || ok != tt.ok {
				t.Errorf("ReadInt(%s) = %d, %v; want %d, %v", tt.in, v, ok, tt.v, tt.ok)
			}
			return err
		})
		if err != nil || next != "next" {
			t.Errorf("after ReadInt(%s): %q, %v", tt.in, next, err)
		}
	}
}

// ReadText reads a string's content and skips any other value as "".
func TestReadText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`"a\u00E9"`, "aé"}, {`"abcdef"`, "abc"}, {`null`, ""}, {`12`, ""}, {`{"a":"b"}`, ""}, {`["x"]`, ""}, {`false`, ""},
	} {
		d := NewDecoder(strings.NewReader(`[`+tt.in+`,"next"]`), 0)
		var got []string
		err := d.ReadArray(func(int) error {
			s, err := d.ReadText(3)
			got = append(got, s)
			return err
		})
		if err != nil || len(got) != 2 || got[0] != tt.want || got[1] != "nex" {
			t.Errorf("ReadText over [%s,\"next\"] = %q, %v; want %q then \"nex\"", tt.in, got, err, tt.want)
		}
	}
}

// padded is b placed after a string long enough that the refill of a
// 4096-byte buffer falls inside b, at an offset that varies with b.
func padded(b []byte) []byte {
	cut := 0
	if len(b) > 0 {
		cut = int(crc32.ChecksumIEEE(b) % uint32(len(b)))
	}
	// `["` + pad + `",` is len(pad)+4 bytes before b.
	pad := max(4096-4-cut, 0)
	out := append([]byte(`["`+strings.Repeat("p", pad)+`",`), b...)
	return append(out, ']')
}
