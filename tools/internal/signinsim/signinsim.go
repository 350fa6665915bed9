// Package signinsim plays the hosts of an Amazon Connect SAML sign-in
// (the IdP, AWS sign-in, Connect) for a real browser, through a local
// proxy with a throw-away certificate authority, so that the browser
// records the real URLs and nothing leaves the machine. tools/firefoxhar
// and tools/chromehar use it to record HAR files written by browsers
// themselves; samldoctor record's end-to-end tests sign in through it.
package signinsim

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
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

// StartURL is where the browser starts; the page moves on to the IdP after
// a few seconds, time for the recorder to set the browser up.
const StartURL = "https://login.microsoftonline.com/start"

const idpURL = "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2"

// ProviderUUID is the SAMLProviderUUID of the provider the recordings'
// saml-provider.json describes.
const ProviderUUID = "SAMLSPD9IMTW2LM46J042K"

// Scenarios are the sign-ins the simulator plays.
var Scenarios = map[string]string{
	"not-onboarded": "one role; Connect answers \"not onboarded\"",
	"role-chooser":  "two roles; AWS sign-in shows its role chooser, the second role is picked; Connect answers \"Access denied\"",
	"success":       "one role; the sign-in reaches Connect's CCP",
	"idp-error":     "Entra ID shows its error page AADSTS50105 (user not assigned) and sends no SAML",
	"popup":         "the agent application (" + AppURL + ") opens the sign-in in a popup, which reaches Connect's CCP",
	"ccp-refused":   "the agent application (" + AppURL + ") embeds the CCP, whose frame-ancestors does not name it: the browser refuses the frame",
	"ccp-domain":    "the agent application (" + AppURL + ") frames the CCP on the instance's older domain (" + OldCCPURL + ") and signs in in a popup, whose federation lands on the new one",
}

// OldCCPURL is the instance's CCP on its older domain, which the
// ccp-domain scenario frames.
const OldCCPURL = "https://example-corp.awsapps.com/connect/ccp-v2/"

// AppURL is the agent application of the popup and ccp-refused scenarios:
// a page that embeds the CCP (Amazon Connect Streams).
const AppURL = "https://agent.example.com/"

// CCPURL is Connect's Contact Control Panel the sign-ins reach.
const CCPURL = "https://example-corp.my.connect.aws/ccp-v2/"

// ApprovedOrigin is the only origin the CCP's frame-ancestors allows.
const ApprovedOrigin = "https://approved.example.com"

// StartPage is the first page of a scenario.
func StartPage(scenario string) string {
	switch scenario {
	case "popup", "ccp-refused", "ccp-domain":
		return AppURL
	}
	return StartURL
}

// ScenarioList names and describes Scenarios, for a flag's help.
func ScenarioList() string {
	var s []string
	for name, what := range Scenarios {
		s = append(s, name+" ("+what+")")
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// SupervisorRole is the second role of the role-chooser scenario.
const SupervisorRole = "arn:aws:iam::111122223333:role/Supervisors"

// Sim is a running simulation.
type Sim struct {
	scenario string
	// Delay is how long each page waits before it moves on (3 s unless
	// set before the browser starts: time for a recorder to see it).
	Delay time.Duration
	// Stay keeps the browser on the last page of the sign-in (Connect's
	// error page) instead of moving on to a page past it.
	Stay bool
	// Proxy is the host:port of the HTTP proxy the browser must use.
	Proxy string
	// CAPEM is the certificate authority the browser must trust.
	CAPEM []byte
	done  atomic.Bool
}

// Start starts the servers for one of Scenarios. The sign-in is
// IdP-initiated from Entra ID, posts a response (internal/fixture's,
// signed with its test key, for jane.doe@example.com) to AWS sign-in, and
// ends on a Connect error page.
func Start(scenario string) (*Sim, error) {
	if _, ok := Scenarios[scenario]; !ok {
		return nil, fmt.Errorf("no scenario %q", scenario)
	}
	ca, err := newCA()
	if err != nil {
		return nil, err
	}
	s := &Sim{scenario: scenario, Delay: 3 * time.Second, CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Certificate[0]})}
	tlsAddr, err := serveTLS(ca, s.handler())
	if err != nil {
		return nil, err
	}
	if s.Proxy, err = serveProxy(tlsAddr); err != nil {
		return nil, err
	}
	return s, nil
}

// Done reports whether the browser reached the page after Connect's error.
func (s *Sim) Done() bool { return s.done.Load() }

// handler plays the identity provider, AWS sign-in and Connect. Each page
// moves on after a moment, so that each is exported as its own page.
func (s *Sim) handler() http.Handler {
	xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, SessionDuration: "43200", SignAssertion: true, SignResponse: true}
	outcome := fixture.NotOnboarded
	if s.scenario == "role-chooser" {
		xml.Roles = []string{fixture.DefaultRole + "," + fixture.DefaultProvider, SupervisorRole + "," + fixture.DefaultProvider}
		outcome = fixture.AccessDeniedAdmin
	}
	relay := fixture.RelayState()
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}
	ms := func() string { return fmt.Sprint(s.Delay.Milliseconds()) }
	next := func(url string) string {
		return `<script>setTimeout(function(){location.href=` + mustJSON(url) + `},` + ms() + `)</script>`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Host == "login.microsoftonline.com" && r.URL.Path == "/start":
			page(w, "<!DOCTYPE html><html><body>Signing in…"+next(idpURL+"?sso_reload=true")+"</body></html>")
		case r.Host == "login.microsoftonline.com" && strings.HasSuffix(r.URL.Path, "/saml2") && s.scenario == "idp-error":
			e := fixture.IdPErrorStep("entra", time.Now())
			w.Header().Set("Content-Type", e.Mime)
			w.WriteHeader(e.Status)
			io.WriteString(w, e.Body)
		case r.Host == "agent.example.com" && r.URL.Path == "/":
			// The agent application: Amazon Connect Streams opens the
			// sign-in in a popup (loginPopup), or embeds the CCP.
			if s.scenario == "popup" {
				page(w, `<!DOCTYPE html><html><head><title>Agent desktop</title></head><body>Agent desktop<script>setTimeout(function(){window.open(`+mustJSON(StartURL)+`,"connect-login","width=600,height=600")},`+ms()+`)</script></body></html>`)
				return
			}
			if s.scenario == "ccp-domain" {
				// Streams: the CCP's frame, then its login popup.
				page(w, `<!DOCTYPE html><html><head><title>Agent desktop</title></head><body>Agent desktop<iframe src="`+OldCCPURL+`" style="width:400px;height:600px"></iframe>`+
					`<script>setTimeout(function(){window.open(`+mustJSON(StartURL)+`,"connect-login","width=600,height=600")},`+ms()+`)</script></body></html>`)
				return
			}
			page(w, `<!DOCTYPE html><html><head><title>Agent desktop</title></head><body>Agent desktop<iframe src="`+CCPURL+`" allow="microphone; autoplay" style="width:400px;height:600px"></iframe></body></html>`)
		case r.Host == "example-corp.awsapps.com" && r.URL.Path == "/connect/ccp-v2/":
			// No session on this host: Connect's refresh, then its login page.
			http.Redirect(w, r, "/connect/auth/refresh?destination=%2Fconnect%2Fccp-v2%2F", http.StatusFound)
		case r.Host == "example-corp.awsapps.com" && r.URL.Path == "/connect/auth/refresh":
			http.Redirect(w, r, "/connect/login?landat=%2Fconnect%2Fccp-v2%2F", http.StatusTemporaryRedirect)
		case r.Host == "example-corp.awsapps.com" && r.URL.Path == "/connect/login":
			page(w, `<!DOCTYPE html><html><head><title>Amazon Connect</title></head><body><div id="root"></div></body></html>`)
		case r.Host == "example-corp.my.connect.aws" && strings.HasPrefix(r.URL.Path, "/ccp-v2"):
			// Connect sends the CCP with the instance's approved origins
			// as its frame-ancestors.
			w.Header().Set("Content-Security-Policy", "frame-ancestors 'self' "+ApprovedOrigin)
			page(w, `<!DOCTYPE html><html><head><title>Amazon Connect Contact Control Panel</title></head><body><div id="root">CCP</div></body></html>`)
		case r.Host == "login.microsoftonline.com" && strings.HasSuffix(r.URL.Path, "/saml2"):
			// The response is made now, so that its times match the capture's.
			x := xml
			x.IssueInstant = time.Now().Add(-time.Second)
			b64 := base64.StdEncoding.EncodeToString(x.XML())
			body := fixture.AutoPostPage("https://signin.aws.amazon.com/saml", b64, relay)
			// Submit after the developer tools have seen the page.
			body = strings.Replace(body, "window.setTimeout('document.forms[0].submit()', 0)", "window.setTimeout('document.forms[0].submit()', "+ms()+")", 1)
			page(w, body)
		case r.Host == "signin.aws.amazon.com" && r.Method == http.MethodPost && r.URL.Path == "/saml":
			r.ParseForm()
			if s.scenario == "role-chooser" && r.PostForm.Get("roleIndex") == "" {
				// AWS's role chooser; the agent picks the second role.
				body := fixture.RoleChooserPage(r.PostForm.Get("SAMLResponse"), []string{fixture.DefaultRole, SupervisorRole})
				pick := `<script>setTimeout(function(){document.getElementById(` + mustJSON(SupervisorRole) + `).checked=true;document.forms[0].submit()},` + ms() + `)</script>`
				page(w, strings.Replace(body, "</body>", pick+"</body>", 1))
				return
			}
			http.Redirect(w, r, relay, http.StatusFound)
		case strings.HasSuffix(r.Host, ".console.aws.amazon.com") && strings.HasPrefix(r.URL.Path, "/connect/federate/") && (s.scenario == "success" || s.scenario == "popup" || s.scenario == "ccp-domain"):
			http.Redirect(w, r, CCPURL, http.StatusFound)
		case strings.HasSuffix(r.Host, ".console.aws.amazon.com") && strings.HasPrefix(r.URL.Path, "/connect/federate/"):
			body := fixture.ConnectErrorPage(outcome.ConnectError[0], outcome.ConnectError[1])
			if !s.Stay {
				body = strings.Replace(body, "</body>", next("https://login.microsoftonline.com/done")+"</body>", 1)
			}
			page(w, body)
		case r.Host == "login.microsoftonline.com" && r.URL.Path == "/done":
			s.done.Store(true)
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
func serveTLS(ca *tls.Certificate, h http.Handler) (string, error) {
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
		return "", err
	}
	go (&http.Server{Handler: h, TLSConfig: cfg, ErrorLog: log.New(io.Discard, "", 0)}).ServeTLS(ln, "", "") // browsers drop connections at will
	return ln.Addr().String(), nil
}

// serveProxy is an HTTP proxy whose CONNECT tunnels all lead to the TLS
// server, whatever host is asked for.
func serveProxy(tlsAddr string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
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
	return ln.Addr().String(), nil
}

// ProviderJSON is `aws iam get-saml-provider` output for the provider that
// holds this process's signing certificate: the recording's
// saml-provider.json.
func ProviderJSON() []byte {
	b, _ := json.MarshalIndent(fixture.GetSAMLProvider(ProviderUUID), "", "    ")
	return append(b, '\n')
}
