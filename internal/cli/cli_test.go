package cli_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/samldoctor/samldoctor/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the expected output in testdata/script")

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
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("EXAMPLES", examples)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
