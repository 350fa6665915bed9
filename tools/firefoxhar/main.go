// Command firefoxhar records a HAR file written by a real Firefox of an
// Amazon Connect SAML sign-in that ends in "not onboarded", for
// samldoctor's tests (internal/capture/testdata/firefox/).
//
// Firefox runs under xvfb-run with its developer tools open and their
// automatic HAR export on. Its proxy is a local server that answers for
// every host (login.microsoftonline.com, signin.aws.amazon.com,
// REGION.console.aws.amazon.com) with certificates from a throw-away CA
// added to the profile, so the file has the real URLs and nothing leaves
// the machine. The SAML response is internal/fixture's, signed with its
// test key, for jane.doe@example.com; saml-provider.json beside the HAR
// is the IAM SAML provider that holds the key's certificate.
//
// Firefox's automatic export writes one file per page; the files are
// joined in time order into one log, as "Save All As HAR" with
// "Persist Logs" would give. Entries are otherwise as Firefox wrote them.
//
// Needs firefox-esr, xvfb-run and certutil (Debian: firefox-esr, xvfb,
// xauth, libnss3-tools):
//
//	go run ./tools/firefoxhar -o internal/capture/testdata/firefox/not-onboarded.har
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

const idpURL = "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2"

func main() {
	out := flag.String("o", "not-onboarded.har", "the HAR file to write")
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "firefoxhar-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ca, err := newCA()
	if err != nil {
		log.Fatal(err)
	}
	tlsAddr := serveTLS(ca, handler())
	proxy := serveProxy(tlsAddr)

	profile, harDir := filepath.Join(dir, "profile"), filepath.Join(dir, "har")
	for _, d := range []string{profile, harDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate[0]}), 0o644); err != nil {
		log.Fatal(err)
	}
	run("certutil", "-N", "--empty-password", "-d", "sql:"+profile)
	run("certutil", "-A", "-n", "samldoctor test CA", "-t", "C,,", "-i", caFile, "-d", "sql:"+profile)
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs(proxy, harDir)), 0o644); err != nil {
		log.Fatal(err)
	}

	ff := exec.Command("xvfb-run", "-a", "firefox-esr", "--profile", profile, "--no-remote", "--devtools", "https://login.microsoftonline.com/start")
	ff.Stdout, ff.Stderr = io.Discard, io.Discard
	if err := ff.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		ff.Process.Kill()
		exec.Command("pkill", "-f", "firefox-esr --profile "+profile).Run()
	}()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if done.Load() {
			time.Sleep(2 * time.Second) // the last export
			break
		}
	}
	if !done.Load() {
		log.Fatal("Firefox did not finish the sign-in within 90 s")
	}
	har, err := join(harDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, har, 0o644); err != nil {
		log.Fatal(err)
	}
	// The IAM SAML provider holding this run's signing certificate.
	provider, _ := json.MarshalIndent(fixture.GetSAMLProvider("SAMLSPD9IMTW2LM46J042K"), "", "    ")
	providerFile := filepath.Join(filepath.Dir(*out), "saml-provider.json")
	if err := os.WriteFile(providerFile, append(provider, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s", *out, providerFile)
}

func run(name string, args ...string) {
	if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
}

// prefs turns on the HAR export, points every connection at the proxy and
// turns off Firefox's own background traffic.
func prefs(proxy, harDir string) string {
	host, port, _ := net.SplitHostPort(proxy)
	p := map[string]any{
		"devtools.netmonitor.har.enableAutoExportToFile": true,
		"devtools.netmonitor.har.defaultLogDir":          harDir,
		"devtools.netmonitor.har.includeResponseBodies":  true,
		"devtools.netmonitor.persistlog":                 true,
		"devtools.toolbox.selectedTool":                  "netmonitor",
		"network.proxy.type":                             1,
		"network.proxy.http":                             host,
		"network.proxy.http_port":                        port,
		"network.proxy.ssl":                              host,
		"network.proxy.ssl_port":                         port,
		"network.proxy.no_proxies_on":                    "",
		"network.proxy.allow_hijacking_localhost":        true,
		"network.dns.disablePrefetch":                    true,
		"network.prefetch-next":                          false,
		"network.captive-portal-service.enabled":         false,
		"network.connectivity-service.enabled":           false,
		"security.OCSP.enabled":                          0,
		"browser.safebrowsing.malware.enabled":           false,
		"browser.safebrowsing.phishing.enabled":          false,
		"browser.shell.checkDefaultBrowser":              false,
		"browser.aboutwelcome.enabled":                   false,
		"browser.startup.homepage_override.mstone":       "ignore",
		"app.update.enabled":                             false,
		"datareporting.policy.dataSubmissionEnabled":     false,
		"toolkit.telemetry.reportingpolicy.firstRun":     false,
		"extensions.update.enabled":                      false,
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, _ := json.Marshal(p[k])
		if s, ok := p[k].(string); ok && (k == "network.proxy.http_port" || k == "network.proxy.ssl_port") {
			v = []byte(s)
		}
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, v)
	}
	return b.String()
}

// done is set when Firefox reaches the page after the Connect error.
var done atomic.Bool

// handler plays the identity provider, AWS sign-in and Connect. Each page
// moves on after a moment, so that each is exported as its own page.
func handler() http.Handler {
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, SessionDuration: "43200", SignAssertion: true, SignResponse: true}
	relay := fixture.RelayState()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}
	next := func(url string) string {
		return `<script>setTimeout(function(){location.href=` + mustJSON(url) + `},3000)</script>`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Host == "login.microsoftonline.com" && r.URL.Path == "/start":
			page(w, "<!DOCTYPE html><html><body>Signing in…"+next(idpURL+"?sso_reload=true")+"</body></html>")
		case r.Host == "login.microsoftonline.com" && strings.HasSuffix(r.URL.Path, "/saml2"):
			// The response is made now, so that its times match the capture's.
			x := xml
			x.IssueInstant = time.Now().Add(-time.Second)
			b64 := base64.StdEncoding.EncodeToString(x.XML())
			body := fixture.AutoPostPage("https://signin.aws.amazon.com/saml", b64, relay)
			// Submit after the developer tools have seen the page.
			body = strings.Replace(body, "window.setTimeout('document.forms[0].submit()', 0)", "window.setTimeout('document.forms[0].submit()', 3000)", 1)
			page(w, body)
		case r.Host == "signin.aws.amazon.com" && r.Method == http.MethodPost && r.URL.Path == "/saml":
			r.ParseForm()
			http.Redirect(w, r, r.PostForm.Get("RelayState"), http.StatusFound)
		case strings.HasSuffix(r.Host, ".console.aws.amazon.com") && strings.HasPrefix(r.URL.Path, "/connect/federate/"):
			page(w, strings.Replace(fixture.ConnectErrorPage(fixture.NotOnboarded.ConnectError[0], fixture.NotOnboarded.ConnectError[1]), "</body>", next("https://login.microsoftonline.com/done")+"</body>", 1))
		case r.Host == "login.microsoftonline.com" && r.URL.Path == "/done":
			done.Store(true)
			page(w, "<!DOCTYPE html><html><body>Done."+next("https://login.microsoftonline.com/end")+"</body></html>")
		default:
			http.NotFound(w, r)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// newCA makes a throw-away certificate authority.
func newCA() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "samldoctor firefoxhar test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// serveTLS serves h over TLS with a certificate for whatever host the
// client names, and returns the address.
func serveTLS(ca *tls.Certificate, h http.Handler) string {
	var mu sync.Mutex
	certs := map[string]*tls.Certificate{}
	cfg := &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		if c := certs[hello.ServerName]; c != nil {
			return c, nil
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: hello.ServerName}, DNSNames: []string{hello.ServerName},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Leaf, &key.PublicKey, ca.PrivateKey)
		if err != nil {
			return nil, err
		}
		c := &tls.Certificate{Certificate: [][]byte{der, ca.Certificate[0]}, PrivateKey: key}
		certs[hello.ServerName] = c
		return c, nil
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go (&http.Server{Handler: h, TLSConfig: cfg}).ServeTLS(ln, "", "")
	return ln.Addr().String()
}

// serveProxy is an HTTP proxy whose CONNECT tunnels all lead to the TLS
// server, whatever host is asked for.
func serveProxy(tlsAddr string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "only HTTPS here", http.StatusBadGateway)
			return
		}
		up, err := net.Dial("tcp", tlsAddr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	}))
	return ln.Addr().String()
}

// join merges Firefox's per-page exports into one log, in time order.
func join(dir string) ([]byte, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.har"))
	if len(files) == 0 {
		return nil, fmt.Errorf("no HAR file exported by Firefox in %s", dir)
	}
	var creator, browser json.RawMessage
	var pages, entries []map[string]json.RawMessage
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var h struct {
			Log struct {
				Version string                       `json:"version"`
				Creator json.RawMessage              `json:"creator"`
				Browser json.RawMessage              `json:"browser"`
				Pages   []map[string]json.RawMessage `json:"pages"`
				Entries []map[string]json.RawMessage `json:"entries"`
			} `json:"log"`
		}
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		creator, browser = h.Log.Creator, h.Log.Browser
		pages = append(pages, h.Log.Pages...)
		for _, e := range h.Log.Entries {
			// The same entry can be in two exports (the page and the next).
			k := string(e["startedDateTime"]) + string(e["request"])
			if !seen[k] {
				seen[k] = true
				entries = append(entries, e)
			}
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return startOf(entries[i]).Before(startOf(entries[j])) })
	log := map[string]any{"version": "1.2", "creator": creator, "pages": pages, "entries": entries}
	if browser != nil {
		log["browser"] = browser
	}
	return json.MarshalIndent(map[string]any{"log": log}, "", "  ")
}

func startOf(e map[string]json.RawMessage) time.Time {
	var s string
	json.Unmarshal(e["startedDateTime"], &s)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
