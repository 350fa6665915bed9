package redact_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/redact"
)

// markerHAR is a HAR of entries whose response bodies, of the given type,
// are each size bytes of unit repeated. json.Marshal writes '<' as
// \u003c, so a unit with '<' puts an escape every few bytes of the
// HAR's string, as a marshalled HTML page has.
func markerHAR(unit string, size, entries int, mime string) []byte {
	body := strings.Repeat(unit, size/len(unit)+1)[:size]
	var b bytes.Buffer
	b.WriteString(`{"log":{"version":"1.2","entries":[`)
	for i := 0; i < entries; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"startedDateTime":"2026-11-20T09:00:00.000Z","time":1,"request":{"method":"GET","url":"https://idp.example.org/","headers":[]},"response":{"status":200,"headers":[],"content":{"size":%d,"mimeType":%q,"text":%s}}}`, size, mime, mustJSON(body))
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// redactTime is the shortest of three runs of redact on har.
func redactTime(t testing.TB, har []byte) time.Duration {
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
		start := time.Now()
		if _, err := redact.HAR("m.har", bytes.NewReader(har), io.Discard); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// TestRepeatedMarkersAreLinear fails when redacting eight times the text
// takes far more than eight times as long. Each JSON escape used to make
// the string scanner search the rest of its 1 MiB buffer for the closing
// quote (1 MiB of "<input name=": 1.7 s against 0.1 s for 128 KiB).
func TestRepeatedMarkersAreLinear(t *testing.T) {
	const size = 128 << 10
	for _, c := range []struct{ unit, mime string }{
		{"<input name=", "text/plain"},
		{"<ds:SignatureValue>x</ds:SignatureValue>", "text/html"},
		{"<password x", "text/xml"},
		{"SignatureValue", "text/html"},
	} {
		small := redactTime(t, markerHAR(c.unit, size, 1, c.mime))
		large := redactTime(t, markerHAR(c.unit, 8*size, 1, c.mime))
		if large > 8*2*small+30*time.Millisecond {
			t.Errorf("%q in %s: %v for %d bytes, %v for %d: not linear", c.unit, c.mime, small, size, large, 8*size)
		}
	}
}

// BenchmarkRepeatedMarkers redacts bodies of repeated "SignatureValue"
// markers at two sizes; linear cost shows as the same MB/s. 64 MiB is
// four bodies of 16 MiB, the most a string may hold.
func BenchmarkRepeatedMarkers(b *testing.B) {
	for _, c := range []struct {
		name          string
		size, entries int
	}{{"8MiB", 8 << 20, 1}, {"64MiB", 16 << 20, 4}} {
		for _, unit := range []string{"SignatureValue", "<ds:SignatureValue>x</ds:SignatureValue>"} {
			har := markerHAR(unit, c.size-64, c.entries, "text/html")
			b.Run(fmt.Sprintf("%s/%q", c.name, unit), func(b *testing.B) {
				b.SetBytes(int64(c.size * c.entries))
				for i := 0; i < b.N; i++ {
					if _, err := redact.HAR("m.har", bytes.NewReader(har), io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
