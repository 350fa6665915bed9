package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/web"
)

// templateEntries are the entries of a realistic sign-in capture: a
// login page with a password posted, a 1 MiB script, a JSON answer with
// a token, the IdP's auto-post page and AWS sign-in's answers.
func templateEntries(tb testing.TB) []json.RawMessage {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
	login := `<!DOCTYPE html><html><head><meta name="csrf-token" content="Csrf0001"></head><body><form method="post"><input name="username"><input type="password" name="password"></form>` + strings.Repeat(`<p class="note">Sign in with your work account.</p>`, 600) + `</body></html>`
	script := "var config = {retries: 3};\n" + strings.Repeat("function f(a, b) { return a + b; }\n", 1<<20/36)
	steps := []fixture.Step{
		{Time: at.Add(-30 * time.Second), Method: "GET", URL: "https://idp.example.org/login?client_id=abc", Status: 200, Mime: "text/html", Body: login, RespHeaders: [][2]string{{"set-cookie", "sid=Sid0001; Path=/; Secure"}}},
		{Time: at.Add(-29 * time.Second), Method: "GET", URL: "https://idp.example.org/app.js", Status: 200, Mime: "application/javascript", Body: script},
		{Time: at.Add(-20 * time.Second), Method: "POST", URL: "https://idp.example.org/login", Form: [][2]string{{"username", "jane"}, {"password", "Password0001"}}, Status: 200, Mime: "application/json", Body: `{"access_token":"Token0001","expires_in":3600}`},
	}
	steps = append(steps, fixture.SignIn(xml, fixture.RelayState(), at, fixture.NotOnboarded)...)
	var doc struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(fixture.HAR(fixture.Chrome, steps), &doc); err != nil {
		tb.Fatal(err)
	}
	return doc.Log.Entries
}

// harBody is a HAR of the template's entries repeated until it has size
// bytes, ended by tail, and its number of entries.
func harBody(tb testing.TB, size int64, tail string) ([]byte, int) {
	entries := templateEntries(tb)
	var b bytes.Buffer
	b.WriteString(`{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[`)
	n := 0
	for ; int64(b.Len()) < size; n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(entries[n%len(entries)])
	}
	b.WriteString(tail)
	return b.Bytes(), n
}

// harStream is harBody streamed, not held: the template's entries
// repeated until size bytes, then "]}}".
func harStream(tb testing.TB, size int64) io.Reader {
	entries := templateEntries(tb)
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		n, _ := fmt.Fprint(w, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[`)
		written := int64(n)
		for i := 0; written < size; i++ {
			if i > 0 {
				w.WriteByte(',')
			}
			e := entries[i%len(entries)]
			w.Write(e)
			written += int64(len(e)) + 1
		}
		w.WriteString("]}}\n")
		pw.CloseWithError(w.Flush())
	}()
	return pr
}

// redactFile is the page's download (static/app.js): it sends r to
// serve's redact endpoint in slices of at most slice bytes and returns
// the joined answers and the outcome. status is the first status that
// was not 200, with its error.
func redactFile(tb testing.TB, srv *httptest.Server, addr string, r io.Reader, name string, slice int) (out []byte, outcome map[string]string, status int, errMsg string) {
	tb.Helper()
	var buf bytes.Buffer
	outcome, status, errMsg = redactStream(tb, srv, addr, r, name, slice, &buf)
	return buf.Bytes(), outcome, status, errMsg
}

// redactStream is redactFile writing the answers to w as they come.
func redactStream(tb testing.TB, srv *httptest.Server, addr string, r io.Reader, name string, slice int, w io.Writer) (outcome map[string]string, status int, errMsg string) {
	tb.Helper()
	buf := make([]byte, slice)
	session, offset := "", 0
	call := func(q url.Values, body []byte) (*http.Response, []byte) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/redact?"+q.Encode(), bytes.NewReader(body))
		req.Header.Set("Origin", "http://"+addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			tb.Fatal(err)
		}
		return resp, b
	}
	fail := func(resp *http.Response, b []byte) (int, string) {
		var e struct{ Error string }
		json.Unmarshal(b, &e)
		return resp.StatusCode, e.Error
	}
	for {
		n, err := io.ReadFull(r, buf)
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			tb.Fatal(err)
		}
		q := url.Values{"name": {name}}
		if session != "" {
			q = url.Values{"session": {session}, "offset": {strconv.Itoa(offset)}}
		}
		if last {
			q.Set("last", "1")
		}
		resp, b := call(q, buf[:n])
		if resp.StatusCode != 200 {
			status, errMsg = fail(resp, b)
			return nil, status, errMsg
		}
		session = resp.Header.Get("X-Redact-Session")
		w.Write(b)
		offset += n
		if last {
			break
		}
	}
	resp, b := call(url.Values{"session": {session}, "finish": {"1"}}, nil)
	if resp.StatusCode != 200 {
		status, errMsg = fail(resp, b)
		return nil, status, errMsg
	}
	if err := json.Unmarshal(b, &outcome); err != nil {
		tb.Fatal(err)
	}
	return outcome, 200, ""
}

// harEntries is the entries of a HAR, or an error.
func harEntries(b []byte) ([]json.RawMessage, error) {
	var doc struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	err := json.Unmarshal(b, &doc)
	return doc.Log.Entries, err
}

// A 24 MiB capture sent in 4 MiB slices: each slice's answer carries the
// redacted entries read from it, so the server holds none of them to the
// end (a server that held the download would answer the first slices
// with nothing). The joined answers are the HAR, every entry there, the
// secrets removed; the server keeps nothing after it.
func TestRedactionInSlices(t *testing.T) {
	srv, addr := start(t, nil)
	body, _ := harBody(t, 24<<20, "]}}\n")
	var sizes []int
	out := []byte{}
	session := ""
	for off := 0; off < len(body); off += 4 << 20 {
		end := min(off+4<<20, len(body))
		q := url.Values{"name": {"big.har"}}
		if session != "" {
			q = url.Values{"session": {session}, "offset": {strconv.Itoa(off)}}
		}
		if end == len(body) {
			q.Set("last", "1")
		}
		req, _ := http.NewRequest("POST", srv.URL+"/api/redact?"+q.Encode(), bytes.NewReader(body[off:end]))
		req.Header.Set("Origin", "http://"+addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("slice at %d: status %d: %s", off, resp.StatusCode, b)
		}
		session = resp.Header.Get("X-Redact-Session")
		sizes = append(sizes, len(b))
		out = append(out, b...)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/redact?"+url.Values{"session": {session}, "finish": {"1"}}.Encode(), nil)
	req.Header.Set("Origin", "http://"+addr)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("finish: %v %v", resp, err)
	}
	if len(sizes) < 6 || sizes[1] < 1<<20 {
		t.Errorf("answers of %v bytes: the second slice's answer should carry the entries read so far", sizes)
	}
	entries, err := harEntries(out)
	if err != nil {
		t.Fatalf("the joined answers are not JSON: %v", err)
	}
	want, _ := harEntries(body)
	if len(entries) != len(want) {
		t.Errorf("%d entries out of %d", len(entries), len(want))
	}
	for _, s := range []string{"Password0001", "Token0001", "Csrf0001", "Sid0001"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%s survived in the download", s)
		}
	}
	// Redacted the same as redact does.
	var direct bytes.Buffer
	if _, err := redact.HAR("big.har", bytes.NewReader(body), &direct); err != nil || !bytes.Equal(direct.Bytes(), out) {
		t.Errorf("the download differs from redact's output (%v)", err)
	}
	got, outcome, status, msg := redactFile(t, srv, addr, bytes.NewReader(body), "big.har", 3<<20)
	if status != 200 || !bytes.Equal(got, out) || outcome["name"] != "big.redacted.har" || !strings.Contains(outcome["summary"], "entries: removed") && !strings.Contains(outcome["summary"], "removed") {
		t.Errorf("in 3 MiB slices: status %d %s, outcome %v, same %v", status, msg, outcome, bytes.Equal(got, out))
	}
	if n := srv.Config.Handler.(*web.Server).Redactions(); n != 0 {
		t.Errorf("%d redactions kept after finish", n)
	}
}

// An error part-way (an entry that is not JSON, 12 MiB in): the next
// slice, or the outcome, says it with the byte, and the page saves
// nothing. The same capture without the error is whole (the near miss).
func TestRedactionError(t *testing.T) {
	srv, addr := start(t, nil)
	bad, _ := harBody(t, 12<<20, `,{"request":nope}]}}`)
	bad = append(bad, bytes.Repeat([]byte(" "), 8<<20)...)
	_, outcome, status, msg := redactFile(t, srv, addr, bytes.NewReader(bad), "big.har", 4<<20)
	if status != 400 || outcome != nil || !strings.HasPrefix(msg, "big.har: entry ") || !strings.Contains(msg, "at byte") {
		t.Errorf("status %d, outcome %v, error %q", status, outcome, msg)
	}
	good, _ := harBody(t, 12<<20, "]}}\n")
	out, outcome, status, msg := redactFile(t, srv, addr, bytes.NewReader(good), "good.har", 4<<20)
	if _, err := harEntries(out); status != 200 || err != nil || outcome["warning"] != "" {
		t.Errorf("near miss: status %d %q, outcome %v, JSON error %v", status, msg, outcome, err)
	}
	// A capture that ends early: written, with the warning.
	out, outcome, status, _ = redactFile(t, srv, addr, bytes.NewReader(good[:len(good)-1<<20]), "cut.har", 4<<20)
	if _, err := harEntries(out); status != 200 || err != nil || !strings.HasPrefix(outcome["warning"], "cut.har ends early at byte ") {
		t.Errorf("cut capture: status %d, outcome %v, JSON error %v", status, outcome, err)
	}
}

// The protocol's refusals: a slice out of order, an unknown redaction, a
// finish before the last slice, an upload over the limit, more
// redactions than maxRedactions at once, and one the page stopped
// feeding, which is dropped.
func TestRedactionRefusals(t *testing.T) {
	srv, addr := start(t, func(s *web.Server) { s.RedactIdle = 300 * time.Millisecond; s.MaxUpload = 3 << 20 })
	web1 := srv.Config.Handler.(*web.Server)
	call := func(q string, body []byte) (int, string, string) {
		req, _ := http.NewRequest("POST", srv.URL+"/api/redact?"+q, bytes.NewReader(body))
		req.Header.Set("Origin", "http://"+addr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Redact-Session"), string(b)
	}
	body, _ := harBody(t, 2<<20, "]}}\n")
	code, id, _ := call("name=a.har", body[:1<<20])
	if code != 200 || id == "" {
		t.Fatalf("first slice: %d %q", code, id)
	}
	if code, _, b := call("session="+id+"&offset=5", body[5:10]); code != 409 || !strings.Contains(b, "out of order") {
		t.Errorf("out of order: %d %s", code, b)
	}
	if code, _, b := call("session="+id+"&finish=1", nil); code != 409 || !strings.Contains(b, "last slice was not sent") {
		t.Errorf("finish before the last slice: %d %s", code, b)
	}
	if code, _, b := call("session=nosuch&offset=0", body[:10]); code != 404 || !strings.Contains(b, "no such redaction") {
		t.Errorf("unknown redaction: %d %s", code, b)
	}
	// Over MaxUpload (3 MiB) in all: refused, and the redaction dropped.
	code, _, b := call("session="+id+"&offset="+strconv.Itoa(1<<20), bytes.Repeat([]byte(" "), 5<<20/2))
	if code != 413 || !strings.Contains(b, "larger than 3 MiB") {
		t.Errorf("over the limit: %d %s", code, b)
	}
	if n := web1.Redactions(); n != 0 {
		t.Errorf("%d redactions kept after the limit", n)
	}
	// maxRedactions (4) at once; the fifth is refused. Then none is
	// fed: all are dropped after RedactIdle.
	for i := 0; i < 4; i++ {
		if code, _, b := call("name=a.har", body[:1000]); code != 200 {
			t.Fatalf("redaction %d: %d %s", i, code, b)
		}
	}
	if code, _, b := call("name=a.har", body[:1000]); code != 503 || !strings.Contains(b, "4 captures are being redacted already") {
		t.Errorf("a fifth redaction: %d %s", code, b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for web1.Redactions() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := web1.Redactions(); n != 0 {
		t.Errorf("%d abandoned redactions kept", n)
	}
	if code, _, b := call("name=a.har", body[:1000]); code != 200 {
		t.Errorf("after the abandoned ones were dropped: %d %s", code, b)
	}
}

// countWriter counts what is written to it.
type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// heapPeak samples the heap in use every millisecond until stop is
// called, which returns the most it saw.
func heapPeak() (stop func() uint64) {
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
	return func() uint64 { close(quit); <-done; return peak }
}

// BenchmarkRedactedDownload redacts HARs of 128 MiB and 512 MiB through
// serve's redact endpoint, in the page's 4 MiB slices. peak-heap-MiB, the
// most heap in use (client and server: the test holds neither the upload
// nor the download), is the same for both: constants, not the upload,
// bound it.
func BenchmarkRedactedDownload(b *testing.B) {
	for _, size := range []int64{128 << 20, 512 << 20} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			srv, addr := start(b, nil)
			b.SetBytes(size)
			runtime.GC()
			stop := heapPeak()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var out countWriter
				if _, status, msg := redactStream(b, srv, addr, harStream(b, size), "big.har", 4<<20, &out); status != 200 || int64(out) < size/2 {
					b.Fatalf("status %d %s, %d bytes", status, msg, out)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
		})
	}
}
