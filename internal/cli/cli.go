// Package cli is samldoctor's command line: it parses flags, builds the
// inputs and calls capture → assertion → diagnosis → report. It holds no
// logic of its own beyond that wiring.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/samldoctor/samldoctor/internal/nearname"
	"github.com/samldoctor/samldoctor/internal/report"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitProblems = 1 // diagnose found an error
	ExitUsage    = 2 // bad usage or unreadable input
)

// usageError marks errors that are the caller's: bad flags, bad input.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitError carries an exit code without a message (already printed).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// env is what commands write to.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	style  report.Style
	// stderrTTY enables progress output.
	stderrTTY bool
	// stdinTTY is set when standard input is a terminal: a command that
	// reads it says so before waiting.
	stdinTTY bool
}

// Main runs samldoctor with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if f, ok := stdout.(*os.File); ok {
		e.style = report.StyleFor(f)
	}
	if f, ok := stderr.(*os.File); ok {
		e.stderrTTY = report.StyleFor(f).Color
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			e.stdinTTY = true
		}
	}
	root := &cobra.Command{
		Use:   "samldoctor",
		Short: "Explain why an Amazon Connect SAML sign-in failed, and how to fix it",
		Long: `samldoctor reads a browser capture (HAR, SAML-tracer export, or a SAMLResponse value) of an
agent's SAML sign-in to Amazon Connect, finds every SAML message in it, and explains what went wrong.

Start here:
  samldoctor diagnose capture.har        why the sign-in failed, and which AWS data would settle it
  samldoctor serve --open                the same on a page in your browser: drop the HAR there
Then add the AWS evidence, one of three ways:
  samldoctor collect capture.har --script bash|powershell
                                         prints the read-only AWS CLI commands to run (CloudShell
                                         or a terminal); pass their folder: diagnose capture.har --aws-data DIR
  samldoctor diagnose capture.har --aws  reads it from AWS itself, with your AWS credentials
  samldoctor collect capture.har -o bundle.json
                                         saves it into one file, for someone without AWS access

The network: only these connect to anything.
  diagnose --aws, audit --aws, collect -o, serve --aws
                                         call AWS's APIs: read-only calls, with your AWS credentials
  serve                                  listens on a port of this machine (loopback by default;
                                         --addr can change that) for your browser
  record                                 starts your browser (which goes where you sign in) and
                                         talks to it on loopback; samldoctor itself sends nothing
Everything else reads files and connects to nothing: inspect, decode, diagnose and audit without
--aws, collect --script (it only prints commands), redact, permissions and version.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// No SetVersionTemplate: cobra then prints "samldoctor version V" without
	// text/template, whose reflection would keep every method of the AWS
	// SDK clients in the binary (see internal/idp/fill.go).
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{suggestFlag(c, err)} })
	root.AddCommand(inspectCmd(e), decodeCmd(e), diagnoseCmd(e), recordCmd(e), auditCmd(e), redactCmd(e), collectCmd(e), permissionsCmd(e), serveCmd(e), versionCmd(e))
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// Every other error is about the input or the call: usage, unreadable
	// or hostile files. Each names the file and place itself.
	fmt.Fprintf(stderr, "samldoctor: %s\n", report.Plain(err.Error()))
	return ExitUsage
}

// formatFlag validates --format.
func formatFlag(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usage("--format must be one of %v, not %q", allowed, v)
}

// suggestFlag adds the nearest flag's name to an unknown-flag error.
func suggestFlag(c *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if best := nearname.Nearest(name, names, 3); best != "" {
		return fmt.Errorf("%w; did you mean --%s?", err, best)
	}
	return fmt.Errorf("%w (samldoctor %s --help lists the flags)", err, c.Name())
}

// needsFiles is the Args check of commands that read captures: with none,
// it says what to give.
func needsFiles(what, hint string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usage("%s needs %s: samldoctor %s FILE (%s; - reads standard input)", cmd.Name(), what, cmd.Name(), hint)
		}
		return nil
	}
}

// captureHint says what a capture file may be.
const captureHint = "a HAR, a SAML-tracer export, or a SAMLResponse value"
