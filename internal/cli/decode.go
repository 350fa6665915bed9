package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
)

func decodeCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "decode [FILE|-]",
		Short: "Decode one SAMLResponse or SAMLRequest value and print it as indented XML",
		Long: `decode reads one SAML value from FILE or standard input: URL-encoded or not, base64 with or
without line breaks or padding, raw DEFLATE (HTTP-Redirect binding), or plain XML, a whole copied form
body (SAMLResponse=...&RelayState=...) or a URL whose query holds the value (?SAMLRequest=...), and
prints the XML indented. The XML is printed as it is, signature included: it is the point of this
command. A value whose XML ends early (an incomplete copy) is printed as decoded and exits 1.`,
		Example: `  pbpaste | samldoctor decode
  samldoctor decode samlresponse.txt --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(format, "text", "json"); err != nil {
				return err
			}
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			if name == "-" && e.stdinTTY {
				fmt.Fprintln(e.stderr, "samldoctor decode: reading a SAMLResponse or SAMLRequest value from standard input: paste it, then press Ctrl-D (on Windows Ctrl-Z, then Enter); or give a file: samldoctor decode FILE (samldoctor decode --help)")
			}
			raw, err := readLimited(e, name, samlvalue.MaxEncoded)
			if err != nil {
				return err
			}
			if kind := captureKind(raw); kind != "" {
				return usage("%s: this is %s, not one SAML value: use samldoctor inspect or diagnose on it", name, kind)
			}
			var carried *samlvalue.Carried
			if c, ok := samlvalue.Unwrap(raw); ok {
				// A copied form body, or a URL of the redirect binding.
				carried, raw = &c, c.Value
			}
			dec, err := samlvalue.Decode(raw)
			if err != nil {
				if strings.Contains(err.Error(), "ends early") {
					return fmt.Errorf("%s: %w: the value is most likely an incomplete copy. %s", name, err, samlvalue.CopyWhole)
				}
				return fmt.Errorf("%s: %w", name, err)
			}
			if carried != nil {
				dec.Notes = append([]string{"the " + carried.Field + " field of " + carried.In}, dec.Notes...)
				if format != "json" {
					fmt.Fprintf(e.stderr, "samldoctor: %s: decoding the %s field of %s\n", name, carried.Field, carried.In)
				}
			}
			if err := assertion.CheckDocument(dec.XML); err != nil {
				var h *assertion.HostileError
				if errors.As(err, &h) {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
			if open, early := samlvalue.EndsEarly(dec.XML); early {
				// What was decoded is printed, as it is (it may still
				// show who and which role), and said to be partial.
				if format == "json" {
					m, perr := assertion.Parse(dec.XML)
					dec.Notes = append(dec.Notes, "the XML ends early, inside "+open)
					if err := report.WriteDecodeJSON(e.stdout, dec.Steps, dec.Notes, dec.XML, m, perr); err != nil {
						return err
					}
				} else if _, err := e.stdout.Write(append(dec.XML, '\n')); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "samldoctor: %s: partial: the XML ends early, inside <%s> after %d bytes, so the value is most likely an incomplete copy. %s\n", name, open, len(dec.XML), samlvalue.CopyWhole)
				return exitError{code: ExitProblems}
			}
			if format == "json" {
				m, err := assertion.Parse(dec.XML)
				return report.WriteDecodeJSON(e.stdout, dec.Steps, dec.Notes, dec.XML, m, err)
			}
			if err := assertion.CheckDocument(dec.XML); err != nil {
				fmt.Fprintf(e.stderr, "samldoctor: %s: warning: %v; printing it as decoded\n", name, err)
				_, err := e.stdout.Write(append(dec.XML, '\n'))
				return err
			}
			_, err = e.stdout.Write(assertion.Indent(dec.XML))
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text (indented XML) or json")
	return cmd
}

// readLimited reads a whole file (or stdin for "-") up to limit bytes.
func readLimited(e *env, name string, limit int64) ([]byte, error) {
	var r io.Reader = e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			if looksLikeValue(name) {
				// The value pasted as the argument: never echo it (it can be
				// a whole signed assertion).
				return nil, usage("decode takes a FILE, or - for standard input, and the argument (%d characters) is no file but looks like the value itself: save it to a file, or pipe it: samldoctor decode - (then paste it and press Ctrl-D; Ctrl-Z then Enter on Windows)", len(name))
			}
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(text(r), limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes; decode takes one SAML value (use inspect for captures)", name, limit)
	}
	return b, nil
}

// captureKind names a whole capture given where one value is expected:
// "a HAR", "a SAML-tracer export"; "" otherwise.
func captureKind(raw []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return ""
	}
	head := t[:min(len(t), 4096)]
	switch {
	case bytes.Contains(head, []byte(`"log"`)):
		return "a HAR"
	case bytes.Contains(head, []byte(`"requests"`)):
		return "a SAML-tracer export"
	}
	return "a JSON document"
}

// looksLikeValue says that a decode argument which is no file is most
// likely a SAML value pasted in its place: long, with none of a path's
// separators but base64's, URL encoding's or a form body's characters.
func looksLikeValue(arg string) bool {
	if len(arg) < 100 {
		return false
	}
	if strings.HasPrefix(arg, "<") || strings.Contains(arg, "SAMLResponse=") || strings.Contains(arg, "SAMLRequest=") {
		return true
	}
	return !strings.ContainsAny(arg, `\ `) && strings.Count(arg, "/") < len(arg)/20
}
