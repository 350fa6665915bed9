package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/signin"
	"github.com/samldoctor/samldoctor/internal/web"
)

// serve runs s on a loopback listener with its own deadlines (Serve), as
// samldoctor serve does.
func serve(t *testing.T, s *web.Server, ln net.Listener) {
	t.Helper()
	go s.Serve(ln)
	t.Cleanup(func() { s.HTTPServer().Close() })
}

// A client that sends its upload one byte at a time is cut off once the
// grace period has passed, and so are a hundred of them at once: none
// holds the server.
func TestTricklingClientsAreCut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := web.New(ln.Addr().String())
	s.MinUploadRate, s.UploadGrace = 1<<10, 300*time.Millisecond
	serve(t, s, ln)
	addr := ln.Addr().String()
	trickle := func() (string, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/diagnose HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n", addr, addr)
		done := make(chan string, 1)
		go func() {
			status, _ := bufio.NewReader(c).ReadString('\n')
			done <- status
		}()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case st := <-done:
				return st, nil
			case <-deadline:
				return "", fmt.Errorf("still connected after 15 s")
			case <-time.After(100 * time.Millisecond):
				c.Write([]byte("-"))
			}
		}
	}
	if st, err := trickle(); err != nil || !strings.Contains(st, "408") {
		t.Fatalf("one trickling client: %q, %v", st, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := trickle(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// When the client has gone, the diagnosis stops and nothing is written.
func TestClientGoneStopsDiagnosis(t *testing.T) {
	s := web.New("127.0.0.1:1")
	var canceled []bool
	s.OnDiagnosed(func(c bool) { canceled = append(canceled, c) })
	body, ctype := form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}, "aws": awsFiles(t, "not-onboarded")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "POST", "http://127.0.0.1:1/api/diagnose", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", "http://127.0.0.1:1")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if len(canceled) != 1 || !canceled[0] || rec.Body.Len() != 0 {
		t.Fatalf("canceled %v, answer %q", canceled, rec.Body.String())
	}
	// The same request from a client that waits is answered in full.
	body, ctype = form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}, "aws": awsFiles(t, "not-onboarded")})
	req = httptest.NewRequest("POST", "http://127.0.0.1:1/api/diagnose", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", "http://127.0.0.1:1")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if len(canceled) != 2 || canceled[1] || !strings.Contains(rec.Body.String(), "connect.username_case_mismatch") {
		t.Fatalf("canceled %v, answer %.200q", canceled, rec.Body.String())
	}
}

// A path that is not valid escaping is a bad request, not a server error;
// every answer, errors included, is not to be cached.
func TestBadPathsAndErrorHeaders(t *testing.T) {
	srv, _ := start(t, nil)
	for path, want := range map[string]int{"/%ff": 400, "/nope": 404, "/%c0%ae%c0%ae/x": 400, "/": 200} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Content-Security-Policy") != web.CSP {
			t.Errorf("%s: %d (want %d), Cache-Control %q", path, resp.StatusCode, want, resp.Header.Get("Cache-Control"))
		}
	}
}

// Listening on every address, the server answers to the machine's own
// addresses and name, and still refuses any other Host.
func TestAllAddresses(t *testing.T) {
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := web.New(ln.Addr().String())
	s.Hosts = web.MachineHosts()
	serve(t, s, ln)
	get := func(host string) int {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, h := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		if got := get(h); got != 200 {
			t.Errorf("Host %s: %d", h, got)
		}
	}
	for _, h := range web.MachineHosts() {
		if got := get(net.JoinHostPort(h, port)); got != 200 {
			t.Errorf("Host %s: %d", h, got)
		}
	}
	if got := get("rebound.example.com:" + port); got != 403 {
		t.Errorf("another name: %d, want 403", got)
	}
}

// A HAR nested three million levels deep neither crashes the server nor
// stops it: redact refuses it with the byte, diagnose answers.
func TestDeepUpload(t *testing.T) {
	srv, addr := start(t, nil)
	deep := fixture.DeepHAR(3_000_000)
	if _, _, status, msg := redactFile(t, srv, addr, bytes.NewReader(deep), "deep.har", 4<<20); status != 400 || !strings.Contains(msg, "nested more than 1000 deep at byte") {
		t.Errorf("redact: %d %s", status, msg)
	}
	for _, api := range []string{"diagnose"} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, _ := mw.CreateFormFile("capture", "deep.har")
		w.Write(deep)
		mw.Close()
		resp := post(t, srv.URL+"/api/"+api, "http://"+addr, &buf, mw.FormDataContentType())
		body, _ := io.ReadAll(resp.Body)
		switch api {
		case "diagnose":
			if resp.StatusCode != 200 || !strings.Contains(string(body), "capture.no_saml") {
				t.Errorf("diagnose: %d %.200s", resp.StatusCode, body)
			}
		}
	}
}

// serve --aws: an uploaded capture alone is diagnosed with the AWS
// evidence the server reads for its sign-in (here from the local stand-in
// for AWS): the root cause, not just "which data would settle it".
func TestLiveAWS(t *testing.T) {
	w, err := awsfake.LoadDir(example(t, "aws-data", "not-onboarded"))
	if err != nil {
		t.Fatal(err)
	}
	fake := awsfake.New(w)
	defer fake.Close()
	cfg := aws.Config{Region: "ap-southeast-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), BaseEndpoint: aws.String(fake.URL)}
	srv, addr := start(t, func(s *web.Server) {
		s.Live = func(ctx context.Context, c *capture.Capture) (*evidence.Bundle, error) {
			sub := signin.SubjectOf(c)
			t := awslive.Target{Region: sub.Region, InstanceID: sub.InstanceID, RoleArn: sub.RoleArn, ProviderArn: sub.ProviderArn, RoleSessionName: sub.RoleSessionName, SignInRegion: "us-east-1", Since: sub.At.AddDate(0, 0, -90)}
			return (&awslive.Collector{Clients: awslive.NewClients(cfg, awslive.Options{MaxBackoff: 10 * time.Millisecond})}).Collect(ctx, t), nil
		}
	})
	body, ctype := form(t, map[string][]string{"capture": {example(t, "not-onboarded.har")}})
	resp := post(t, srv.URL+"/api/diagnose", "http://"+addr, body, ctype)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "It has Jane.Doe@example.com, and user names are case sensitive") {
		t.Errorf("%d %.300s", resp.StatusCode, b)
	}
}
