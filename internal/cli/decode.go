package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

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
without line breaks or padding, raw DEFLATE (HTTP-Redirect binding), or plain XML, and prints the XML
indented. The XML is printed as it is, signature included: it is the point of this command.`,
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
			raw, err := readLimited(e, name, samlvalue.MaxEncoded)
			if err != nil {
				return err
			}
			if kind := captureKind(raw); kind != "" {
				return usage("%s: this is %s, not one SAML value: use samldoctor inspect or diagnose on it", name, kind)
			}
			dec, err := samlvalue.Decode(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := assertion.CheckDocument(dec.XML); err != nil {
				var h *assertion.HostileError
				if errors.As(err, &h) {
					return fmt.Errorf("%s: %w", name, err)
				}
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
