package redact_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/redact"
)

// entryHAR is a HAR of one entry whose request carries a header for each
// of values, and whose response carries bodies.
func entryHAR(headers int, bodies ...string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://idp.example.org/","headers":[`)
	for i := 0; i < headers; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"x-h%d","value":"v"}`, i)
	}
	b.WriteString(`]},"response":{"status":200,"headers":[],"content":{"mimeType":"text/plain"}}`)
	for i, body := range bodies {
		fmt.Fprintf(&b, `,"_body%d":%s`, i, mustJSON(body))
	}
	b.WriteString(`}]}}`)
	return b.Bytes()
}

// One entry is held at a time, within bounds: four bodies of 15 MiB in
// one entry (60 MiB, over the 48 MiB an entry may hold) lose the fourth,
// removed with a note, not kept; two are kept (the near miss). An entry
// of more than 2^18 values is refused with the byte; 2^17 are redacted.
func TestEntryBounds(t *testing.T) {
	body := func(c string) string { return strings.Repeat(c, 15<<20) }
	for _, tt := range []struct {
		name    string
		bodies  []string
		removed int
	}{{"four bodies", []string{body("a"), body("b"), body("c"), body("d")}, 1}, {"two bodies", []string{body("a"), body("b")}, 0}} {
		var out bytes.Buffer
		if _, err := redact.HAR("big.har", bytes.NewReader(entryHAR(1, tt.bodies...)), &out); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n := strings.Count(out.String(), "or more than an entry may hold]"); n != tt.removed {
			t.Errorf("%s: %d bodies removed, want %d", tt.name, n, tt.removed)
		}
		if tt.removed == 0 && out.Len() < 30<<20 {
			t.Errorf("%s: %d bytes written", tt.name, out.Len())
		}
	}
	_, err := redact.HAR("many.har", bytes.NewReader(entryHAR(1<<17+1)), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "many.har: entry 0: an entry holds more than 262144 values at byte") {
		t.Errorf("2^17 headers of 2 values: %v", err)
	}
	if _, err := redact.HAR("some.har", bytes.NewReader(entryHAR(1<<16)), io.Discard); err != nil {
		t.Errorf("2^16 headers: %v", err)
	}
}

// WebSocket frames are skipped while the entry is read, not held, and
// written as none; what is beside them is kept.
func TestWebSocketFramesSkipped(t *testing.T) {
	frames := strings.Repeat(`{"type":"send","time":1,"opcode":1,"data":"{\"password\":\"WsPass0401\",\"token\":\"WsTok0402\"}"},`, 1000)
	in := `{"log":{"entries":[{"request":{"url":"https://a/"},"response":{},"_resourceType":"websocket","_webSocketMessages":[` + strings.TrimSuffix(frames, ",") + `],"_after":"kept"}]}}`
	var out bytes.Buffer
	if _, err := redact.HAR("ws.har", strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "WsPass0401") || strings.Contains(out.String(), "WsTok0402") || !strings.Contains(out.String(), `"_webSocketMessages":[]`) || !strings.Contains(out.String(), `"_after":"kept"`) {
		t.Errorf("redacted: %.300s", out.String())
	}
}

// pagesHAR streams a HAR whose log.pages has pages of about 200 bytes,
// size bytes of them, beside one entry.
func pagesHAR(size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		w.WriteString(`{"log":{"version":"1.2","pages":[`)
		for n, i := int64(0), 0; n < size; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			k, _ := fmt.Fprintf(w, `{"startedDateTime":"2026-11-20T09:00:00.000Z","id":"page_%d","title":"https://idp.example.org/login?access_token=PageTok%d","pageTimings":{"onContentLoad":1,"onLoad":2}}`, i, i)
			n += int64(k) + 1
		}
		w.WriteString(`],"entries":[{"request":{"url":"https://a/"},"response":{}}]}}`)
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// Everything outside the entries is streamed, not held: a log.pages of
// 64 MiB and of 256 MiB are redacted in the same heap (peak-heap-MiB, the
// most in use, sampled every millisecond).
func BenchmarkPagesHeap(b *testing.B) {
	for _, size := range []int64{64 << 20, 256 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(size)
			runtime.GC()
			var peak uint64
			quit, done := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(done)
				var m runtime.MemStats
				for {
					select {
					case <-quit:
						return
					case <-time.After(time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := redact.HAR("pages.har", pagesHAR(size), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			close(quit)
			<-done
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
