package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/inputs"
	"github.com/samldoctor/samldoctor/internal/record"
	"github.com/samldoctor/samldoctor/internal/redact"
)

func recordCmd(e *env) *cobra.Command {
	var f diagnoseFlags
	var start, browser, out string
	var keepSecrets, headless bool
	var timeout time.Duration
	var browserArgs []string
	cmd := &cobra.Command{
		Use:   "record [--start URL] [--browser chrome|edge|chromium|PATH] [--out FILE.har] [--aws | --aws-data PATH...]",
		Short: "Record a sign-in in your browser, write it as a HAR, and diagnose it",
		Long: `record starts your Chromium-family browser (Chrome, Edge or Chromium; --browser chooses, or gives
its path) with a fresh temporary profile and opens --start: the IdP's sign-in link or tile for the
Amazon Connect application, the Connect access URL, or the agent application that embeds the CCP
(without --start, a blank page says what to do). Sign in as usual. Every request and response of
every tab, popup and frame is recorded through the browser's DevTools protocol, with the browser's
own reports of what it blocked (Content-Security-Policy and frame refusals, X-Frame-Options, cookie
blocks, mixed content), which a HAR export never holds.

Recording stops by itself when Connect's CCP or console is reached, when AWS sign-in, Connect or the
identity provider shows an error page, or when the browser refuses a frame of the sign-in; or when you
close the window, press Ctrl-C, or --timeout passes. Progress is on standard error.

The recording is written as a HAR 1.2 file (--out; the browser's reports under log._browserReports),
redacted as samldoctor redact does unless --keep-secrets, then diagnosed exactly as diagnose does, with
its flags and exit status. Nothing is sent anywhere by samldoctor; the browser goes where you go. The
temporary profile is deleted afterwards.

--headless and --browser-arg (repeatable, passed to the browser as they are: a proxy, host resolver
rules, certificate options for a lab) are for tests and scripts.`,
		Example: `  samldoctor record --start https://myapps.microsoft.com/signin/Amazon%20Connect/APP-ID
  samldoctor record --start https://example.my.connect.aws/ccp-v2/ --aws-data aws-data/ --out agent.har
  samldoctor record --browser edge --aws --profile support`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if timeout <= 0 {
				return usage("--timeout must be positive, not %s", timeout)
			}
			if out == "" {
				out = "samldoctor-record-" + time.Now().Format("20060102-150405") + ".har"
			}
			if _, err := os.Stat(out); err == nil {
				return usage("--out %s already exists: choose another file (record does not overwrite)", out)
			}
			exe, err := record.FindBrowser(browser)
			if err != nil {
				return usage("%v", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			ctx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("--timeout %s passed", timeout))
			defer cancel()
			progress := func(line string) { fmt.Fprintf(e.stderr, "samldoctor: %s\n", line) }
			progress("starting " + exe + " with a temporary profile")
			rec, err := record.Record(ctx, record.Options{Browser: exe, Start: start, Headless: headless, Args: browserArgs, Progress: progress})
			stop() // a second Ctrl-C ends samldoctor
			if err != nil {
				return fmt.Errorf("recording in %s: %w", exe, err)
			}
			if rec.ProfileLeft != nil {
				fmt.Fprintf(e.stderr, "samldoctor: warning: the temporary profile could not be deleted: %v\n", rec.ProfileLeft)
			}
			if rec.Outcome.Reason == "interrupted" && errors.Is(context.Cause(ctx), context.Canceled) {
				rec.Outcome.Text = "recording stopped (Ctrl-C) before the sign-in was over"
			}
			progress(rec.Outcome.Text)
			if err := writeRecording(e, rec, out, keepSecrets); err != nil {
				return err
			}
			return e.diagnose(&f, []string{out}, false, func(in *inputs.Builder) error { return in.CaptureFile(out) })
		},
	}
	cmd.Flags().StringVar(&start, "start", "", "the first page: the IdP's sign-in link for the Connect application, the Connect access URL, or the agent application")
	cmd.Flags().StringVar(&browser, "browser", "", "chrome, edge, chromium, or the browser's path (default: the first of them installed)")
	cmd.Flags().StringVarP(&out, "out", "o", "", "the HAR file to write (default samldoctor-record-DATE-TIME.har here)")
	cmd.Flags().BoolVar(&keepSecrets, "keep-secrets", false, "write the HAR unredacted: cookies, tokens and the signed SAML assertion stay in it")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "stop recording after this long")
	cmd.Flags().BoolVar(&headless, "headless", false, "run the browser without a window (for tests and scripts)")
	cmd.Flags().StringArrayVar(&browserArgs, "browser-arg", nil, "a command-line argument for the browser, as is (repeatable; for tests and labs: --proxy-server=..., --host-resolver-rules=...)")
	f.add(cmd)
	return cmd
}

// writeRecording writes the HAR, redacted unless keepSecrets.
func writeRecording(e *env, rec *record.Recording, out string, keepSecrets bool) error {
	var raw bytes.Buffer
	if err := rec.WriteHAR(&raw); err != nil {
		return err
	}
	file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the recording: %w", err)
	}
	what := ""
	if keepSecrets {
		_, err = raw.WriteTo(file)
		what = "not redacted"
	} else {
		var stats redact.Stats
		stats, err = redact.HAR(out, &raw, file)
		what = "redacted: " + stats.String()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Fprintf(e.stderr, "samldoctor: wrote %s (%d pages, %d entries, %d browser reports; %s)\n", out, rec.Pages, rec.Entries, rec.Reports, what)
	if keepSecrets {
		fmt.Fprintf(e.stderr, "samldoctor: warning: --keep-secrets: %s holds session cookies, tokens and the signed SAML assertion, which can be replayed to sign in as the agent; share it with no one, or run samldoctor redact on it first\n", out)
	}
	return nil
}
