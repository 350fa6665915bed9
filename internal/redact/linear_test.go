package redact_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

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
