package cli

import (
	"context"
	"crypto/rsa"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/inputs"
	"github.com/samldoctor/samldoctor/internal/report"
)

func inspectCmd(e *env) *cobra.Command {
	var format string
	var showSecrets bool
	var spKey string
	cmd := &cobra.Command{
		Use:   "inspect FILE...",
		Short: "Show every SAML message in a capture, and the sign-in path, as a timeline",
		Long: `inspect reads captures (HAR files from Chrome, Edge, Firefox or Safari, .har.gz, SAML-tracer
exports, or files holding a bare SAMLResponse/SAMLRequest value; "-" is standard input) and shows each
SAML message (time, URL, binding, issuer, NameID, the AWS attributes, its validity window) and each
response along the sign-in path (identity provider, AWS sign-in, Connect federation) with any known AWS
or Connect error text.`,
		Example: `  samldoctor inspect examples/not-onboarded.har
  samldoctor inspect --format json capture.har | jq '.messages[].aws'`,
		Args: needsFiles("a capture file", captureHint),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(format, "text", "json"); err != nil {
				return err
			}
			c, err := e.readCapture(args, showSecrets, spKey)
			if err != nil {
				return err
			}
			if format == "json" {
				err = report.WriteInspectJSON(e.stdout, c)
			} else {
				err = report.WriteInspectText(e.stdout, c, e.style)
			}
			if err != nil {
				return err
			}
			return hostileError(c)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&showSecrets, "show-secrets", false, "keep tokens and credentials in the URLs shown")
	cmd.Flags().StringVar(&spKey, "sp-key", "", "private key (PEM) to decrypt encrypted assertions")
	return cmd
}

// hostileError fails the command when a message was refused as an attack.
func hostileError(c *capture.Capture) error {
	m, ok := c.Hostile()
	if !ok {
		return nil
	}
	p := m.Seen[0]
	why := m.DecodeError
	if why == "" {
		why = m.ParseError
	}
	where := p.File
	if p.Entry >= 0 {
		where += fmt.Sprintf(": entry %d", p.Entry)
	}
	return fmt.Errorf("%s: %s: %s", where, m.Type, why)
}

// captureOptions are the options captures are read with.
func (e *env) captureOptions(showSecrets bool, spKey string) (capture.Options, error) {
	opts := capture.Options{ShowSecrets: showSecrets}
	if spKey != "" {
		k, err := readSPKey(spKey)
		if err != nil {
			return opts, err
		}
		opts.SPKey = k
	}
	if e.stderrTTY {
		opts.Progress = func(file string, n int64) {
			fmt.Fprintf(e.stderr, "\rsamldoctor: reading %s: %d MiB", file, n>>20)
		}
	}
	return opts, nil
}

// readCaptures reads every file into the builder's capture.
func (e *env) readCaptures(in *inputs.Builder, files []string) error {
	stdinUsed := false
	defer func() {
		if e.stderrTTY {
			fmt.Fprint(e.stderr, "\r\x1b[K")
		}
	}()
	for _, f := range files {
		if f == "-" {
			if stdinUsed {
				return usage("standard input (-) can be read only once")
			}
			stdinUsed = true
			if err := in.Capture("-", e.stdin); err != nil {
				return err
			}
			continue
		}
		if err := in.CaptureFile(f); err != nil {
			return err
		}
	}
	return nil
}

// readCapture reads the files into one capture (inspect, collect).
func (e *env) readCapture(files []string, showSecrets bool, spKey string) (*capture.Capture, error) {
	opts, err := e.captureOptions(showSecrets, spKey)
	if err != nil {
		return nil, err
	}
	in := inputs.New(opts)
	if err := e.readCaptures(in, files); err != nil {
		return nil, err
	}
	input, err := in.Input(context.Background())
	return input.Capture, err
}

// readSPKey reads --sp-key: a PEM RSA private key, at most 1 MiB.
func readSPKey(path string) (*rsa.PrivateKey, error) {
	b, err := inputfile.Read("--sp-key", path, inputfile.MaxKey, inputfile.PEM)
	if err != nil {
		return nil, err
	}
	return assertion.ParsePrivateKey(b, "--sp-key "+path)
}
