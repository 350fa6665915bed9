package record

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Browsers are the names --browser takes besides a path.
var Browsers = []string{"chrome", "edge", "chromium"}

// locations are where each browser is installed, by operating system: the
// places chromedp looks for Chrome and Chromium, and Edge's.
func locations(name string) []string {
	home := os.Getenv("USERPROFILE")
	local := os.Getenv("LOCALAPPDATA")
	if local == "" && home != "" {
		local = filepath.Join(home, `AppData\Local`)
	}
	switch runtime.GOOS {
	case "darwin":
		return map[string][]string{
			"chrome":   {"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"},
			"chromium": {"/Applications/Chromium.app/Contents/MacOS/Chromium"},
			"edge":     {"/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"},
		}[name]
	case "windows":
		return map[string][]string{
			"chrome": {"chrome", "chrome.exe", `C:\Program Files (x86)\Google\Chrome\Application\chrome.exe`, `C:\Program Files\Google\Chrome\Application\chrome.exe`,
				filepath.Join(local, `Google\Chrome\Application\chrome.exe`)},
			"chromium": {filepath.Join(local, `Chromium\Application\chrome.exe`)},
			"edge":     {"msedge", "msedge.exe", `C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, `C:\Program Files\Microsoft\Edge\Application\msedge.exe`},
		}[name]
	}
	return map[string][]string{
		"chrome":   {"google-chrome", "google-chrome-stable", "google-chrome-beta", "google-chrome-unstable", "/usr/bin/google-chrome", "/usr/local/bin/chrome", "chrome"},
		"chromium": {"chromium", "chromium-browser", "/snap/bin/chromium"},
		"edge":     {"microsoft-edge", "microsoft-edge-stable", "microsoft-edge-beta", "/opt/microsoft/msedge/msedge"},
	}[name]
}

// FindBrowser returns the executable of a browser: one of Browsers, a
// path, or "" for the first of Chrome, Chromium and Edge installed.
func FindBrowser(name string) (string, error) {
	names := []string{name}
	if name == "" {
		names = []string{"chrome", "chromium", "edge"}
	} else if !isBrowserName(name) {
		if _, err := os.Stat(name); err != nil {
			p, lerr := exec.LookPath(name)
			if lerr != nil {
				return "", fmt.Errorf("--browser %s: %w (give chrome, edge, chromium, or the path of a Chromium-family browser)", name, unwrapPath(err))
			}
			return p, nil
		}
		return name, nil
	}
	for _, n := range names {
		for _, loc := range locations(n) {
			if p, err := exec.LookPath(loc); err == nil {
				return p, nil
			}
		}
	}
	if name == "" {
		return "", errors.New("no Chrome, Chromium or Edge found on this machine: install one, or give its path with --browser PATH")
	}
	return "", fmt.Errorf("--browser %s: not found where %s is installed (%s); give its path with --browser PATH", name, name, strings.Join(locations(name), ", "))
}

func isBrowserName(s string) bool {
	for _, b := range Browsers {
		if s == b {
			return true
		}
	}
	return false
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// process is a browser started with a fresh profile and its DevTools
// endpoint.
type process struct {
	cmd     *exec.Cmd
	profile string
	ws      string
	exited  chan struct{}
	// cleanupErr says why the profile could not be deleted.
	cleanupErr error
}

// baseFlags are given to every browser started: a fresh profile that
// talks to nothing by itself (no sync, no component or field-trial
// downloads, no first-run pages), and the DevTools endpoint on loopback.
var baseFlags = []string{
	"--remote-debugging-port=0",
	"--remote-debugging-address=127.0.0.1",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-default-apps",
	"--disable-extensions",
	"--disable-client-side-phishing-detection",
	"--disable-domain-reliability",
	"--disable-breakpad",
	"--metrics-recording-only",
	"--password-store=basic",
	"--use-mock-keychain",
	"--disable-features=MediaRouter,OptimizationHints,Translate",
}

// launch starts exe with a fresh profile in a temporary folder.
func launch(ctx context.Context, exe string, headless bool, extra []string) (*process, error) {
	profile, err := os.MkdirTemp("", "samldoctor-record-")
	if err != nil {
		return nil, fmt.Errorf("making the browser's temporary profile: %w", err)
	}
	args := append([]string{}, baseFlags...)
	args = append(args, "--user-data-dir="+profile)
	if headless {
		args = append(args, "--headless")
	}
	args = append(args, extra...)
	args = append(args, "about:blank")
	cmd := exec.Command(exe, args...)
	setProcAttr(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		removeProfile(profile)
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		removeProfile(profile)
		return nil, fmt.Errorf("starting %s: %w", exe, unwrapPath(err))
	}
	p := &process{cmd: cmd, profile: profile, exited: make(chan struct{})}
	wsc := make(chan string, 1)
	var tail []string
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if !sent {
				if u, ok := strings.CutPrefix(line, "DevTools listening on "); ok {
					wsc <- strings.TrimSpace(u)
					sent = true
					continue
				}
				if len(tail) < 20 {
					tail = append(tail, line)
				}
			}
		}
		if !sent {
			close(wsc)
		}
	}()
	go func() { cmd.Wait(); close(p.exited) }()
	select {
	case ws, ok := <-wsc:
		if !ok {
			<-p.exited
			p.cleanup()
			return nil, fmt.Errorf("%s exited before its DevTools endpoint was ready: %s", exe, strings.Join(tail, " / "))
		}
		p.ws = ws
		return p, nil
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	p.kill()
	return nil, fmt.Errorf("%s did not open its DevTools endpoint within 60 s", exe)
}

// kill ends the browser and deletes its profile.
func (p *process) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
	p.cleanup()
}

// close waits a moment for the browser to exit by itself (after
// Browser.close), then kills it and deletes the profile.
func (p *process) close(wait time.Duration) {
	select {
	case <-p.exited:
	case <-time.After(wait):
	}
	p.kill()
}

func (p *process) cleanup() { p.cleanupErr = removeProfile(p.profile) }

// removeProfile deletes the temporary profile. The browser's helper
// processes can still write into it for a moment after it exits, so the
// removal is retried for a few seconds.
func removeProfile(dir string) error {
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err = os.RemoveAll(dir); err == nil || time.Now().After(deadline) {
			return err
		}
	}
}
