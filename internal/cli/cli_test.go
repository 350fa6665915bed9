package cli_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/cli"
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
			// fakeaws DIR [deny ACTION...] starts a local AWS serving the
			// account in DIR (AWS CLI outputs) and points the SDK at it.
			"fakeaws": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) < 1 {
					ts.Fatalf("usage: fakeaws DIR [deny ACTION...]")
				}
				w, err := awsfake.LoadDir(ts.MkAbs(args[0]))
				ts.Check(err)
				srv := awsfake.New(w)
				for _, a := range args[1:] {
					if a != "deny" {
						srv.Deny(a)
					}
				}
				ts.Defer(srv.Close)
				ts.Setenv("AWS_ENDPOINT_URL", srv.URL)
				ts.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
				ts.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
				ts.Setenv("AWS_EC2_METADATA_DISABLED", "true")
				ts.Setenv("AWS_CONFIG_FILE", ts.MkAbs("no-aws-config"))
				ts.Setenv("AWS_SHARED_CREDENTIALS_FILE", ts.MkAbs("no-aws-credentials"))
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
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
