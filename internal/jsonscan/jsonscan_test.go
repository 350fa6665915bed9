package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// collect reads any JSON value into a Go value, limiting strings to limit.
func collect(d *Decoder, limit int) (any, error) {
	k, err := d.Peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case Object:
		m := map[string]any{}
		err := d.ReadObject(func(key string) error {
			v, err := collect(d, limit)
			m[key] = v
			return err
		})
		return m, err
	case Array:
		var a []any
		err := d.ReadArray(func(int) error {
			v, err := collect(d, limit)
			a = append(a, v)
			return err
		})
		return a, err
	case String:
		s, complete, err := d.ReadString(limit)
		if !complete {
			s += "…"
		}
		return s, err
	}
	return d.ReadScalar(limit)
}

func TestStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"plain"`, "plain"},
		{`"esc \" \\ \/ \b \f \n \r \t"`, "esc \" \\ / \b \f \n \r \t"},
		{`"\u00e9\u4e2d"`, "é中"},
		{`"\u00E9\u4E2D"`, "é中"}, // hex digits in either case
		{`"\u00Ef\u0041"`, "ïA"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\uD83D\uDE00"`, "😀"},
		{`"\ud83d alone"`, "\ufffd alone"},
		{`"\ud800\u0041"`, "\ufffdA"},       // the escape after a lone surrogate stands on its own
		{`"\ud800\ud83d\ude00"`, "\ufffd😀"}, // and can start a pair itself
		{`""`, ""},
	}
	for _, tt := range tests {
		d := NewDecoder(strings.NewReader(tt.in), 0)
		got, complete, err := d.ReadString(100)
		if err != nil || !complete || got != tt.want {
			t.Errorf("ReadString(%s) = %q, %v, %v; want %q", tt.in, got, complete, err, tt.want)
		}
	}
}

func TestStringLimitConsumesTheRest(t *testing.T) {
	long := strings.Repeat("ab\\n", 100000)
	d := NewDecoder(strings.NewReader(`["`+long+`", 7]`), 0)
	var got []any
	err := d.ReadArray(func(i int) error {
		if i == 0 {
			s, complete, err := d.ReadString(10)
			if complete || s != "ab\nab\nab\na" {
				t.Errorf("ReadString = %q, complete %v", s, complete)
			}
			return err
		}
		v, err := d.ReadScalar(10)
		got = append(got, v)
		return err
	})
	if err != nil || len(got) != 1 || got[0] != "7" {
		t.Errorf("after a cut string: %v, %v", got, err)
	}
}

// Literals are judged by JSON's grammar, not by what a float64 holds.
func TestScalars(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"1E700", "1E700", ""},
		{"-0.5e-3", "-0.5e-3", ""},
		{"null", "null", ""},
		{"0x10", "", "invalid JSON"},
		{"Infinity", "", "invalid JSON"},
		{"+1", "", "invalid JSON"},
		{".5", "", "invalid JSON"},
		{"01", "", "invalid JSON"},
	} {
		got, err := NewDecoder(strings.NewReader(tt.in), 0).ReadScalar(10)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ReadScalar(%s) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSkip(t *testing.T) {
	in := `{"a":[1,{"b":"x\"]}"},[[]],true,null,-1.5e3],"c":{"d":"\u005d"},"e":"keep"}`
	d := NewDecoder(strings.NewReader(in), 0)
	var kept string
	err := d.ReadObject(func(key string) error {
		if key == "e" {
			s, _, err := d.ReadString(10)
			kept = s
			return err
		}
		return d.Skip()
	})
	if err != nil || kept != "keep" {
		t.Errorf("kept %q, err %v", kept, err)
	}
	if !d.AtEOF() {
		t.Error("not at EOF")
	}
}

func TestErrorsNameTheOffset(t *testing.T) {
	tests := []struct {
		in        string
		truncated bool
		offset    int64
	}{
		{`{"a":1,}`, false, 7},
		{`{"a" 1}`, false, 5},
		{`{"a":[1,2`, true, 9},
		{`{"a":"abc`, true, 9},
		{`{"a":"\x"}`, false, 8},
		{`{"a":tru}`, false, 8},
	}
	for _, tt := range tests {
		d := NewDecoder(strings.NewReader(tt.in), 0)
		_, err := collect(d, 100)
		var se *SyntaxError
		var te *TruncatedError
		switch {
		case tt.truncated && errors.As(err, &te):
			if te.Offset != tt.offset {
				t.Errorf("%s: truncated at %d, want %d", tt.in, te.Offset, tt.offset)
			}
		case !tt.truncated && errors.As(err, &se):
			if se.Offset != tt.offset {
				t.Errorf("%s: syntax error at %d, want %d (%v)", tt.in, se.Offset, tt.offset, err)
			}
		default:
			t.Errorf("%s: err = %v (truncated %v)", tt.in, err, tt.truncated)
		}
	}
}

func TestDeepNestingDoesNotRecurse(t *testing.T) {
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	d := NewDecoder(strings.NewReader(deep), 0)
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecoder(f *testing.F) {
	for _, s := range []string{`{"log":{"entries":[{"request":{"url":"x"}}]}}`, `[1,"a\u00e9",{"b":null}]`, `"\ud800"`, `{"a":`,
		`{"k\u00E9":["\uD83D\uDE00\\\"\n",1E700,true]}`, `"\ud800\u0041\ud83d\ude00\/\b\f\r\t"`} {
		f.Add([]byte(s))
	}
	// Any input: no panic, no hang. Valid JSON (by encoding/json): both
	// ways through it succeed, Skip stops right after the value, and a
	// top-level string in UTF-8 reads as encoding/json decodes it (bytes
	// that are not UTF-8 are kept, where encoding/json replaces them).
	f.Fuzz(func(t *testing.T, b []byte) {
		valid := json.Valid(b)
		d := NewDecoder(bytes.NewReader(b), 0)
		v, err := collect(d, 1<<20)
		if valid && err != nil {
			t.Fatalf("valid JSON %q: %v", b, err)
		}
		if s, ok := v.(string); ok && valid && err == nil && utf8.Valid(b) && bytes.TrimLeft(b, " \t\r\n")[0] == '"' {
			var want string
			if json.Unmarshal(b, &want) == nil && s != want {
				t.Fatalf("string %q read as %q, encoding/json says %q", b, s, want)
			}
		}
		// Read a byte at a time, every token crosses a refill: the same
		// value comes out.
		v1, err1 := collect(NewDecoder(iotest.OneByteReader(bytes.NewReader(b)), 0), 1<<20)
		if (err == nil) != (err1 == nil) || err == nil && !reflect.DeepEqual(v, v1) {
			t.Fatalf("%q read a byte at a time: %v, %v; at once: %v, %v", b, v1, err1, v, err)
		}
		d = NewDecoder(bytes.NewReader(b), 0)
		err = d.Skip()
		if valid {
			if err != nil {
				t.Fatalf("Skip of valid JSON %q: %v", b, err)
			}
			if end := int64(len(bytes.TrimRight(b, " \t\r\n"))); d.Offset() != end {
				t.Fatalf("Skip of %q stopped at byte %d, the value ends at %d", b, d.Offset(), end)
			}
		}
		if !valid {
			return
		}
		// After a string that fills most of the buffer, the first refill
		// falls inside the input (where, depends on the input): read and
		// skipped, it is the same.
		p := padded(b)
		pv, err := collect(NewDecoder(bytes.NewReader(p), 4096), 1<<20)
		if err != nil {
			t.Fatalf("valid JSON %q after a refill: %v", b, err)
		}
		if a, _ := pv.([]any); len(a) != 2 || !reflect.DeepEqual(a[1], v) {
			t.Fatalf("%q after a refill reads as %v, alone as %v", b, pv, v)
		}
		d = NewDecoder(bytes.NewReader(p), 4096)
		if err := d.Skip(); err != nil || d.Offset() != int64(len(p)) {
			t.Fatalf("Skip of %q after a refill: %v at byte %d of %d", b, err, d.Offset(), len(p))
		}
	})
}

// Keys and strings read in place stay whole when the buffer is refilled
// around them: an object of many members, read in reads of every size.
func TestRefillsKeepKeys(t *testing.T) {
	var b strings.Builder
	want := map[string]any{}
	b.WriteString("{")
	for i := 0; i < 3000; i++ {
		k, v := fmt.Sprintf("key%04d", i), fmt.Sprintf("value%d", i)
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:%q", k, v)
		want[k] = v
	}
	b.WriteString("}")
	for _, r := range []func(string) io.Reader{
		func(s string) io.Reader { return strings.NewReader(s) },
		func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
	} {
		got, err := collect(NewDecoder(r(b.String()), 4096), 100)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("read %d keys, %v", len(got.(map[string]any)), err)
		}
		// And through ReadMembers, whose keys are in place.
		d := NewDecoder(r(b.String()), 4096)
		n := 0
		err = d.ReadMembers(func(key []byte) error {
			if string(key) != fmt.Sprintf("key%04d", n) {
				return fmt.Errorf("member %d has key %q", n, key)
			}
			n++
			s, _, err := d.ReadStringBytes(100)
			if err == nil && string(s) != fmt.Sprintf("value%d", n-1) {
				err = fmt.Errorf("member %d has value %q", n-1, s)
			}
			return err
		})
		if err != nil || n != 3000 {
			t.Fatalf("ReadMembers: %d members, %v", n, err)
		}
	}
}
