package capture_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

func TestGzipBomb(t *testing.T) {
	// 256 MiB of spaces (valid JSON white space) before the object.
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	chunk := bytes.Repeat([]byte(" "), 1<<20)
	for i := 0; i < 256; i++ {
		w.Write(chunk)
	}
	w.Write([]byte(`{"log":{"entries":[]}}`))
	w.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t.Logf("%d bytes of gzip", buf.Len())
	start := time.Now()
	err := signin.NewReader(capture.Options{}).Read("bomb.har.gz", &buf)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, capture.ErrBomb) || !strings.Contains(err.Error(), "bomb.har.gz") {
		t.Fatalf("err = %v, want a bomb error naming the file", err)
	}
	t.Logf("refused in %v", elapsed) // timed by bench/hostile.sh, not asserted here
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 100<<20 {
		t.Errorf("allocated %d MiB", alloc>>20)
	}
}
