package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/web"
)

func serveCmd(e *env) *cobra.Command {
	var addr, spKey string
	var open, live bool
	var af awsFlags
	var maxMiB int64
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:PORT] [--open] [--aws] [--sp-key FILE]",
		Short: "Start a local web page where a capture can be dropped and diagnosed",
		Long: `serve starts a web server on this machine (loopback, a free port unless --addr says otherwise) and
prints its URL. The page diagnoses a dropped HAR, SAML-tracer export or pasted SAMLResponse, with optional
AWS CLI outputs and IdP metadata, and can download a redacted copy of the HAR. Nothing leaves the machine:
the page loads nothing from the internet, and the server keeps nothing on disk or after answering.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usage("--addr %s: %v", addr, err)
			}
			bound := ln.Addr().String()
			s := web.New(bound)
			if host, _, _ := net.SplitHostPort(bound); !net.ParseIP(host).IsLoopback() {
				fmt.Fprintf(e.stderr, "samldoctor: warning: listening on %s, which other machines can reach; captures hold live credentials\n", bound)
				if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
					// Every address of the machine: answer to its
					// addresses and name, not to other names.
					s.Hosts = web.MachineHosts()
				}
			}
			s.MaxUpload = maxMiB << 20
			if spKey != "" {
				k, err := readSPKey(spKey)
				if err != nil {
					return err
				}
				s.SPKey = k
			}
			if live {
				s.Live = func(ctx context.Context, c *capture.Capture) (*evidence.Bundle, error) {
					return e.collect(af, targetFrom(c))
				}
			}
			url := "http://" + bound + "/"
			fmt.Fprintf(e.stdout, "samldoctor is serving on %s (Ctrl-C stops it)\n", url)
			if open {
				openBrowser(url)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			go func() {
				<-ctx.Done()
				shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				s.HTTPServer().Shutdown(shut)
			}()
			if err := s.Serve(ln); err != nil && err != http.ErrServerClosed {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "address to listen on (loopback by default; port 0 picks a free one)")
	cmd.Flags().BoolVar(&open, "open", false, "open the page in the default browser")
	cmd.Flags().Int64Var(&maxMiB, "max-upload", web.DefaultMaxUpload>>20, "largest upload accepted, in MiB")
	cmd.Flags().BoolVar(&live, "aws", false, "read each uploaded sign-in's AWS evidence from AWS itself (read-only calls, standard credential chain)")
	af.add(cmd)
	cmd.Flags().StringVar(&spKey, "sp-key", "", "private key (PEM) of the IAM SAML provider, to decrypt encrypted assertions (stays on this machine)")
	return cmd
}

// openBrowser opens url with the platform's opener; failures are ignored
// (the URL is printed anyway).
func openBrowser(url string) {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		c = exec.Command("open", url)
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		c = exec.Command("xdg-open", url)
	}
	c.Start()
}
