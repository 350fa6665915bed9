package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

var update = flag.Bool("update", false, "write docs/serve.png from the page")

// shotKey is the PNG text chunk docs/serve.png carries its fingerprint in.
const shotKey = "samldoctor-page"

// docs/serve.png is the page as TestEndToEndScreenshot renders it: with
// -update the test writes it; otherwise it fails when the file is stale.
//
// Stale is judged by a fingerprint, not by pixels: the same page renders
// with other fonts, hinting and anti-aliasing on another machine or
// Chromium, so a pixel comparison either flakes or tolerates so much that
// a changed word passes. The fingerprint is a SHA-256 of what decides what
// the screenshot shows and does not depend on rendering: the page's
// visible text after the diagnosis (document.body.innerText: every word
// and number the diagnosis puts on the page), the viewport, and the
// page's own HTML, CSS and script (a change of layout or style). The
// PNG carries it in a tEXt chunk, so the picture and what it shows cannot
// part.
func TestEndToEndScreenshot(t *testing.T) {
	alloc := browser(t, fixture.Chromium(t))
	srv, _ := start(t, nil)
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	capture, _ := filepath.Abs(example(t, "not-onboarded.har"))
	var aws []string
	for _, f := range awsFiles(t, "not-onboarded") {
		a, _ := filepath.Abs(f)
		aws = append(aws, a)
	}
	const width, height = 1280, 1600
	var text string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(width, height),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible("#drop", chromedp.ByQuery),
		chromedp.SetUploadFiles("#capture", []string{capture}, chromedp.ByQuery),
		chromedp.SetUploadFiles("#aws", aws, chromedp.ByQuery),
		chromedp.Click("#diagnose", chromedp.ByQuery),
		chromedp.WaitVisible("#result", chromedp.ByQuery),
		// The verdict has focus: blur it, so no focus ring is in the shot.
		chromedp.Evaluate(`document.activeElement.blur()`, nil),
		chromedp.Evaluate(`document.body.innerText`, &text),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	h.Write([]byte("viewport 1280x1600\n"))
	for _, f := range []string{"index.html", "app.css", "app.js"} {
		b, err := os.ReadFile(filepath.Join("static", f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(f + "\n"))
		h.Write(b)
	}
	h.Write([]byte("text\n" + text))
	want := hex.EncodeToString(h.Sum(nil))
	path := filepath.Join("..", "..", "docs", "serve.png")
	if *update {
		out, err := withText(shot, shotKey, want)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes), fingerprint %s", path, len(out), want)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != width || cfg.Height < height {
		t.Fatalf("%s: %v, %dx%d, want %d wide and at least %d high", path, err, cfg.Width, cfg.Height, width, height)
	}
	got, _ := textChunk(b, shotKey)
	if got != want {
		t.Errorf("%s is stale (its page fingerprint %q, the page now %q): go test ./internal/web -run EndToEndScreenshot -update", path, got, want)
	}
}

// withText inserts a tEXt chunk key=value into a PNG after its IHDR.
func withText(p []byte, key, value string) ([]byte, error) {
	if len(p) < 33 || string(p[12:16]) != "IHDR" {
		return nil, errors.New("not a PNG")
	}
	data := append([]byte(key+"\x00"), value...)
	var c bytes.Buffer
	binary.Write(&c, binary.BigEndian, uint32(len(data)))
	c.WriteString("tEXt")
	c.Write(data)
	binary.Write(&c, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("tEXt"), data...)))
	out := append([]byte{}, p[:33]...) // signature and IHDR
	out = append(out, c.Bytes()...)
	return append(out, p[33:]...), nil
}

// textChunk reads a tEXt chunk of a PNG.
func textChunk(p []byte, key string) (string, bool) {
	for i := 8; i+12 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		if i+12+n > len(p) {
			break
		}
		if typ, data := string(p[i+4:i+8]), p[i+8:i+8+n]; typ == "tEXt" {
			if k, v, ok := bytes.Cut(data, []byte{0}); ok && string(k) == key {
				return string(v), true
			}
		}
		i += 12 + n
	}
	return "", false
}

// The fingerprint survives the PNG round trip, and a PNG without it is
// stale (the near miss).
func TestTextChunk(t *testing.T) {
	var buf bytes.Buffer
	png.Encode(&buf, imageOf(4, 3))
	p, err := withText(buf.Bytes(), shotKey, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := textChunk(p, shotKey); !ok || v != "abc" {
		t.Errorf("chunk %q %v", v, ok)
	}
	if _, err := png.Decode(bytes.NewReader(p)); err != nil {
		t.Errorf("the PNG with its chunk no longer decodes: %v", err)
	}
	if _, ok := textChunk(buf.Bytes(), shotKey); ok {
		t.Error("a chunk found in a PNG without one")
	}
}

func imageOf(w, h int) *image.RGBA { return image.NewRGBA(image.Rect(0, 0, w, h)) }
