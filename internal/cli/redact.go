package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/redact"
	"github.com/samldoctor/samldoctor/internal/report"
)

func redactCmd(e *env) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "redact IN -o OUT",
		Short: "Write a copy of a HAR that is safe to attach to a support ticket",
		Long: `redact removes from a HAR: cookie and Set-Cookie values, Authorization and other credential
headers, passwords and tokens in login forms, tokens in URLs, bodies and JSON, JWT signatures, and the
SignatureValue of every SAML message, so the assertion can no longer be replayed. It keeps what the
diagnosis reads: diagnose on the redacted file gives the same findings, with signature checks marked as
not possible. Bodies larger than 16 MiB are dropped. IN may be gzip-compressed; "-" is standard input
or output.`,
		Example: `  samldoctor redact capture.har -o capture.redacted.har`,
		Args:    cobra.MatchAll(needsFiles("a HAR", "a HAR file, or .har.gz"), cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usage("redact needs -o OUT (use -o - for standard output)")
			}
			in := args[0]
			if in != "-" && out != "-" {
				a, _ := filepath.Abs(in)
				b, _ := filepath.Abs(out)
				if a == b {
					return usage("-o must not be the input file")
				}
				// The same file by another name (a symbolic or hard link):
				// writing would replace the capture with its redacted copy.
				if ai, err := os.Stat(in); err == nil {
					if bi, err := os.Stat(out); err == nil && os.SameFile(ai, bi) {
						return usage("-o %s is the input file %s under another name (a link): write the redacted copy to a new file", out, in)
					}
				}
			}
			var r io.Reader = e.stdin
			if in != "-" {
				f, err := os.Open(in)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			text, _, err := capture.Text(in, r)
			if err != nil {
				return err
			}
			var w io.Writer = e.stdout
			var f *os.File
			if out != "-" {
				var err error
				f, err = os.Create(out)
				if err != nil {
					return err
				}
				w = f
			}
			stats, err := redact.HAR(in, text, w)
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
				}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "samldoctor: %s → %s: %s\n", report.Plain(in), report.Plain(out), stats)
			if stats.Truncated != "" {
				fmt.Fprintf(e.stderr, "samldoctor: warning: %s\n", stats.Truncated)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the redacted HAR (- for standard output)")
	return cmd
}
