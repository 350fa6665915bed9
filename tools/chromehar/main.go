// Command chromehar records a HAR file written by a real Chromium of an
// Amazon Connect SAML sign-in that ends in "not onboarded", for
// samldoctor's tests (internal/capture/testdata/chromium/).
//
// Chromium runs under xvfb-run with its developer tools open. Its proxy is
// tools/internal/signinsim, which answers for every host of the sign-in.
// Before the sign-in starts, the tool turns on the Network panel's
// "Preserve log"; after it ends, it has the developer tools' own HAR
// writer (the code behind "Export HAR (with sensitive data)") write the
// log, and saves that text unchanged.
//
// Needs chromium, xvfb-run (Debian: chromium, xvfb, xauth):
//
//	go run ./tools/chromehar -o internal/capture/testdata/chromium/not-onboarded.har
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/samldoctor/samldoctor/tools/internal/signinsim"
)

func main() {
	out := flag.String("o", "not-onboarded.har", "the HAR file to write; the IAM SAML provider holding its signing certificate goes beside it as NAME.saml-provider.json")
	scenario := flag.String("scenario", "not-onboarded", "the sign-in: "+signinsim.ScenarioList())
	browser := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	log.SetFlags(0)
	if err := record(*browser, *scenario, *out); err != nil {
		log.Fatal(err)
	}
}

func record(browser, scenario, out string) error {
	sim, err := signinsim.Start(scenario)
	if err != nil {
		return err
	}
	profile, err := os.MkdirTemp("", "chromehar-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := exec.Command("xvfb-run", "-a", browser, "--no-sandbox", "--user-data-dir="+profile,
		"--auto-open-devtools-for-tabs", fmt.Sprintf("--remote-debugging-port=%d", port),
		"--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--proxy-server=http://"+sim.Proxy,
		// The proxy's certificates come from a throw-away CA.
		"--ignore-certificate-errors", signinsim.StartURL)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Kill()
		exec.Command("pkill", "-f", "user-data-dir="+profile).Run()
	}()

	ws, err := debuggerURL(port, 30*time.Second)
	if err != nil {
		return err
	}
	actx, cancel := chromedp.NewRemoteAllocator(context.Background(), ws)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	devtools, err := devtoolsTarget(bctx, 20*time.Second)
	if err != nil {
		return err
	}
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithTargetID(devtools))
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()

	// Turn on Preserve log once the developer tools have started. The
	// setting's name changed over the years, and Chromium 156 registers it
	// only when the Network panel first opens; set under its name, it is
	// what the network log reads.
	var preserve string
	if err := chromedp.Run(ctx, evaluate(`(async () => {
	  const Common = await import('devtools://devtools/bundled/core/common/common.js');
	  for (let i = 0; i < 100; i++) {
	    let settings = null;
	    try { settings = Common.Settings.Settings.instance(); } catch (e) {}
	    if (settings) {
	      for (const name of ['network-log.preserve-log', 'network_log.preserve-log']) {
	        try { settings.moduleSetting(name).set(true); return name; } catch (e) {}
	      }
	      const name = 'network-log.preserve-log';
	      settings.createSetting(name, false).set(true);
	      return name + ' (created)';
	    }
	    await new Promise(r => setTimeout(r, 100));
	  }
	  return '';
	})()`, &preserve)); err != nil {
		return fmt.Errorf("turning on Preserve log: %w", err)
	}
	if preserve == "" {
		return errors.New("this Chromium's developer tools have no Preserve log setting")
	}
	for !sim.Done() {
		select {
		case <-ctx.Done():
			return errors.New("the sign-in did not finish in Chromium within 90 s")
		case <-time.After(time.Second):
		}
	}
	time.Sleep(2 * time.Second) // the last page's requests finish

	var har string
	if err := chromedp.Run(ctx, evaluate(`(async () => {
	  const Logs = await import('devtools://devtools/bundled/models/logs/logs.js');
	  const HAR = await import('devtools://devtools/bundled/models/har/har.js');
	  const requests = Logs.NetworkLog.NetworkLog.instance().requests();
	  const chunks = [];
	  const stream = { write: async (s) => { chunks.push(s); }, close: async () => {} };
	  const progress = { setTotalWork() {}, setWorked() {}, incrementWorked() {}, done() {}, isCanceled() { return false; }, setTitle() {} };
	  await HAR.Writer.Writer.write(stream, requests, { sanitize: false }, progress);
	  return chunks.join('');
	})()`, &har)); err != nil {
		return fmt.Errorf("writing the HAR with the developer tools: %w", err)
	}
	if !json.Valid([]byte(har)) || !strings.Contains(har, "signin.aws.amazon.com") {
		return fmt.Errorf("the developer tools wrote no HAR of the sign-in (%d bytes)", len(har))
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(har), 0o644); err != nil {
		return err
	}
	providerFile := strings.TrimSuffix(out, ".har") + ".saml-provider.json"
	if err := os.WriteFile(providerFile, signinsim.ProviderJSON(), 0o644); err != nil {
		return err
	}
	log.Printf("wrote %s (Preserve log setting %s) and %s", out, preserve, providerFile)
	return nil
}

func evaluate(js string, out any) chromedp.Action {
	return chromedp.Evaluate(js, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// debuggerURL waits for the browser's DevTools endpoint.
func debuggerURL(port int, wait time.Duration) (string, error) {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/json/version", port))
		if err != nil {
			continue
		}
		var v struct {
			URL string `json:"webSocketDebuggerUrl"`
		}
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err == nil && v.URL != "" {
			return v.URL, nil
		}
	}
	return "", fmt.Errorf("no DevTools endpoint answered on port %d", port)
}

// devtoolsTarget waits for the developer tools window of the tab.
func devtoolsTarget(ctx context.Context, wait time.Duration) (target.ID, error) {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range infos {
			if strings.HasPrefix(t.URL, "devtools://devtools/bundled/devtools_app.html") {
				return t.TargetID, nil
			}
		}
	}
	return "", errors.New("the developer tools did not open")
}
