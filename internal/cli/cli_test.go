package cli_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/cli"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script and the examples' golden JSON")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"samldoctor": func() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

func TestScripts(t *testing.T) {
	examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkfifo PATH makes a named pipe no one writes to.
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: mkfifo PATH")
				}
				ts.Check(syscall.Mkfifo(ts.MkAbs(args[0]), 0o644))
			},
			// fakeaws DIR [deny ACTION...] starts a local AWS serving the
			// account in DIR (AWS CLI outputs) and points the SDK at it.
			// fakeaws silent|refused points it at a loopback endpoint that
			// accepts connections and never answers, or refuses them.
			"fakeaws": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 1 {
					ts.Fatalf("usage: fakeaws DIR|silent|refused [deny ACTION...]")
				}
				var url string
				switch args[0] {
				case "silent":
					url = silentEndpoint(ts)
				case "refused":
					ln, err := net.Listen("tcp", "127.0.0.1:0")
					ts.Check(err)
					url = "http://" + ln.Addr().String()
					ln.Close()
				default:
					w, err := awsfake.LoadDir(ts.MkAbs(args[0]))
					ts.Check(err)
					srv := awsfake.New(w)
					for _, a := range args[1:] {
						if a != "deny" {
							srv.Deny(a)
						}
					}
					ts.Defer(srv.Close)
					url = srv.URL
				}
				ts.Setenv("AWS_ENDPOINT_URL", url)
				ts.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
				ts.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
				ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
				ts.Setenv("AWS_CONFIG_FILE", ts.MkAbs("no-aws-config"))
				ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", ts.MkAbs("no-aws-credentials"))
			},
			// nocredentials leaves the SDK no credentials, with a loopback
			// stand-in for the EC2 instance metadata service that has none
			// either (so the SDK tries IMDSv2, then falls back to IMDSv1).
			"nocredentials": func(ts *testscript.TestScript, neg bool, args []string) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "not here", http.StatusForbidden)
				}))
				ts.Defer(srv.Close)
				for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_EC2_METADATA_DISABLED"} {
					ts.Setenv(k, "")
				}
				ts.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
				ts.Setenv("AWS_CONFIG_FILE", ts.MkAbs("no-aws-config"))
				ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", ts.MkAbs("no-aws-credentials"))
				ts.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
			},
			// binfile FILE png|zip|noise writes the start of a PNG image,
			// of a zip archive, or bytes that are no text.
			"binfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: binfile FILE png|zip|noise")
				}
				data := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10")
				if args[1] == "zip" {
					data = []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00!\x00")
				}
				if args[1] == "noise" {
					data = nil
					for i := range 512 {
						data = append(data, byte(i*7+3))
					}
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
			},
			// utf16 SRC DST [be|nobom|utf8bom] writes SRC as Windows
			// PowerShell 5.1's > does: UTF-16 LE with a byte-order mark
			// (or big-endian, without the mark, or UTF-8 with a mark).
			"utf16": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 2 {
					ts.Fatalf("usage: utf16 SRC DST [be|nobom|utf8bom]")
				}
				mode := ""
				if len(args) > 2 {
					mode = args[2]
				}
				src := ts.ReadFile(args[0])
				if mode == "utf8bom" {
					ts.Check(os.WriteFile(ts.MkAbs(args[1]), append([]byte("\xef\xbb\xbf"), src...), 0o644))
					return
				}
				units := utf16.Encode([]rune(src))
				if mode != "nobom" {
					units = append([]uint16{0xfeff}, units...)
				}
				var out []byte
				for _, u := range units {
					if mode == "be" {
						out = append(out, byte(u>>8), byte(u))
					} else {
						out = append(out, byte(u), byte(u>>8))
					}
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
			},
			// genxsw FILE SHAPE writes a HAR of a sign-in that reached
			// Connect with a message wrapped in XSW shape SHAPE (1-8; 0: the
			// same message signed and not wrapped; -1: not signed), whose unsigned assertion
			// names evil@example.com.
			"genxsw": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: genxsw FILE SHAPE")
				}
				shape, err := strconv.Atoi(args[1])
				ts.Check(err)
				at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
				resp := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second)}
				// 0: signed, not wrapped; -1: not signed at all.
				resp.SignAssertion = shape == 0
				xml := resp.XML()
				if shape > 0 {
					xml = fixture.Wrapped(shape, resp, "evil@example.com")
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), fixture.HAR(fixture.Chrome, fixture.SignIn(xml, fixture.RelayState(), at, fixture.Success)), 0o644))
			},
			// genstreams FILE CASE writes samldoctor record's HAR of an
			// agent application embedding the CCP (fixture.Streams): CASE
			// is healthy (the frame gets the session, the fac 400),
			// mismatch (ccpUrl on awsapps.com, the sign-in landing on
			// my.connect.aws), open (the popup left open) or noreferrer
			// (the application's page sets Referrer-Policy: no-referrer:
			// the frame's request has no Referer, Connect's frame-ancestors
			// 'self').
			"genstreams": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: genstreams FILE healthy|mismatch|open|noreferrer")
				}
				at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
				xml := fixture.Response{NameID: "jane.doe@example.com", RoleSessionName: []string{"jane.doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true}.XML()
				s := fixture.Streams{At: at, App: "https://agents.example.com", CCPURL: "https://example-corp.my.connect.aws/ccp-v2/",
					SignIn: fixture.SignIn(xml, fixture.RelayState(), at, fixture.Success), FrameSession: true, FrameAncestors: "'self' https://agents.example.com"}
				switch args[1] {
				case "healthy":
				case "mismatch":
					s.CCPURL, s.FrameSession = "https://example-corp.awsapps.com/connect/ccp-v2/", false
					s.SignIn = fixture.LandOn(s.SignIn, "https://example-corp.my.connect.aws/ccp-v2/")
				case "open":
					s.PopupOpen = time.Minute
				case "noreferrer":
					s.FrameAncestors, s.NoReferer, s.AppHeaders = "'self'", true, [][2]string{{"Referrer-Policy", "no-referrer"}}
				default:
					ts.Fatalf("genstreams: no case %s", args[1])
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), fixture.HAR(fixture.Chrome, s.Steps()), 0o644))
			},
			// gendeep FILE N writes a HAR whose log.creator and one entry's
			// request hold N nested arrays.
			"gendeep": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: gendeep FILE N")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), fixture.DeepHAR(n), 0o644))
			},
			// genbomb FILE MIB writes base64 of raw DEFLATE inflating to MIB MiB of zeros.
			"genbomb": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: genbomb FILE MIB")
				}
				mib, err := strconv.Atoi(args[1])
				ts.Check(err)
				var one bytes.Buffer
				w, _ := flate.NewWriter(&one, flate.BestCompression)
				w.Write(make([]byte, 1<<20))
				w.Flush()
				bomb := append(bytes.Repeat(one.Bytes(), mib), 0x03, 0x00)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(base64.StdEncoding.EncodeToString(bomb)), 0o644))
			},
			// cut SRC DST FRACTION writes the first FRACTION (e.g. 0.5) of
			// SRC to DST: a file cut short while it was being saved.
			"cut": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: cut SRC DST FRACTION")
				}
				f, err := strconv.ParseFloat(args[2], 64)
				ts.Check(err)
				data := []byte(ts.ReadFile(args[0]))
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), data[:int(float64(len(data))*f)], 0o644))
			},
			// gzip SRC DST writes SRC gzip-compressed, with a byte-order
			// mark first; gzip bomb:MIB DST compresses the start of a HAR
			// followed by MIB MiB of white space.
			"gzip": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: gzip SRC|bomb:MIB DST")
				}
				var data []byte
				if mib, ok := strings.CutPrefix(args[0], "bomb:"); ok {
					n, err := strconv.Atoi(mib)
					ts.Check(err)
					data = append([]byte(`{"log":{"entries":[`), bytes.Repeat([]byte(" "), n<<20)...)
				} else {
					data = append([]byte("\xef\xbb\xbf"), ts.ReadFile(args[0])...)
				}
				var out bytes.Buffer
				zw := gzip.NewWriter(&out)
				zw.Write(data)
				ts.Check(zw.Close())
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), out.Bytes(), 0o644))
			},
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			// The field fixtures: failures public reports describe.
			env.Setenv("FIELD", filepath.Join(filepath.Dir(examples), "testdata", "field"))
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// silentEndpoint accepts connections and never answers them.
func silentEndpoint(ts *testscript.TestScript) string {
	url, stop := awsfake.Silent()
	ts.Defer(stop)
	return url
}

// decode without a file on a terminal says that it reads standard input
// before it waits (/dev/null is a character device, as a terminal is);
// from a pipe it says nothing.
func TestDecodeSaysItReadsATerminal(t *testing.T) {
	tty, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var out, errOut bytes.Buffer
	if code := cli.Main([]string{"decode"}, tty, &out, &errOut); code != cli.ExitUsage {
		t.Errorf("exit %d, want %d (an empty value)", code, cli.ExitUsage)
	}
	if !strings.HasPrefix(errOut.String(), "samldoctor decode: reading a SAMLResponse or SAMLRequest value from standard input: paste it, then press Ctrl-D") {
		t.Errorf("stderr = %q", errOut.String())
	}
	errOut.Reset()
	cli.Main([]string{"decode"}, strings.NewReader(""), &out, &errOut)
	if strings.Contains(errOut.String(), "paste it") {
		t.Errorf("from a pipe, stderr = %q", errOut.String())
	}
}
