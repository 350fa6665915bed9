// Command genhar writes a synthetic HAR of about the given size for the
// benchmark in bench/run.sh: a Chrome-style capture whose sign-in (the IdP's
// auto-post page and the SAML POST to AWS sign-in) sits in the middle of
// many large base64 response bodies, as when a capture runs for a while
// with images and scripts loading. It streams its output and holds no
// more than one body in memory.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

func main() {
	sizeMB := flag.Int("size", 1024, "approximate size in MiB")
	out := flag.String("o", "big.har", "output file")
	signIns := flag.Int("signins", 0, "instead of size: this many sign-ins one after another, each its own signed response, and no noise")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at, SignAssertion: true}.XML()
	signIn := fixture.SignIn(xml, fixture.RelayState(), at.Add(time.Second), fixture.NotOnboarded)

	if *signIns > 0 {
		var steps []fixture.Step
		for i := range *signIns {
			t0 := at.Add(time.Duration(i) * 10 * time.Second)
			x := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: t0.Add(-time.Second), SignAssertion: true}.XML()
			steps = append(steps, fixture.SignIn(x, fixture.RelayState(), t0, fixture.NotOnboarded)...)
		}
		w.Write(fixture.HAR(fixture.Chrome, steps))
		if err := w.Flush(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		f.Close()
		fmt.Fprintf(os.Stderr, "wrote %s: %d sign-ins\n", *out, *signIns)
		return
	}
	rng := rand.New(rand.NewSource(1))
	raw := make([]byte, 3<<20)
	rng.Read(raw)
	target := int64(*sizeMB) << 20
	var written int64
	fmt.Fprint(w, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[`)
	n := 0
	emit := func(b []byte) {
		if n > 0 {
			w.WriteString(",")
		}
		w.Write(b)
		written += int64(len(b)) + 1
		n++
	}
	noise := func(i int) {
		size := 100<<10 + rng.Intn(2<<20)
		body := base64.StdEncoding.EncodeToString(raw[:size])
		mime := "image/png"
		if i%5 == 0 {
			mime = "application/javascript"
			body = strings.Repeat("function f(){return \"x\\n\";}\n", size/30)
		}
		u := fmt.Sprintf("https://cdn.example.com/asset/%d", i)
		e := fmt.Sprintf(`{"startedDateTime":"%s","time":12,"request":{"method":"GET","url":%q,"httpVersion":"HTTP/2","headers":[{"name":"accept","value":"*/*"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/2","headers":[{"name":"content-type","value":%q}],"cookies":[],"content":{"size":%d,"mimeType":%q,"text":%s%s},"redirectURL":"","headersSize":-1,"bodySize":-1},"cache":{},"timings":{"send":0,"wait":10,"receive":2}}`,
			at.Add(time.Duration(i)*time.Millisecond).Format(time.RFC3339Nano), u, mime, size, mime, mustJSON(body), map[bool]string{true: `,"encoding":"base64"`, false: ""}[mime == "image/png"])
		emit([]byte(e))
	}
	i := 0
	for written < target/2 {
		noise(i)
		i++
	}
	// The sign-in, in the middle of the file.
	var one strings.Builder
	har := string(fixture.HAR(fixture.Chrome, signIn))
	one.WriteString(har[strings.Index(har, `"entries":[`)+len(`"entries":[`) : strings.LastIndex(har, "]}}")])
	emit([]byte(one.String()))
	for written < target {
		noise(i)
		i++
	}
	w.WriteString("]}}\n")
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Fprintf(os.Stderr, "wrote %s: %d entries, %d MiB\n", *out, n+2, written>>20)
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
