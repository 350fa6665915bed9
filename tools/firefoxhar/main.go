// Command firefoxhar records a HAR file written by a real Firefox of an
// Amazon Connect SAML sign-in that ends in "not onboarded", for
// samldoctor's tests (internal/capture/testdata/firefox/).
//
// Firefox runs under xvfb-run with its developer tools open and their
// automatic HAR export on. Its proxy is a local server that answers for
// every host (login.microsoftonline.com, signin.aws.amazon.com,
// REGION.console.aws.amazon.com) with certificates from a throw-away CA
// added to the profile, so the file has the real URLs and nothing leaves
// the machine. The SAML response is internal/fixture's, signed with its
// test key, for jane.doe@example.com; saml-provider.json beside the HAR
// is the IAM SAML provider that holds the key's certificate.
//
// Firefox's automatic export writes one file per page; the files are
// joined in time order into one log, as "Save All As HAR" with
// "Persist Logs" would give. Entries are otherwise as Firefox wrote them.
//
// Needs firefox-esr, xvfb-run and certutil (Debian: firefox-esr, xvfb,
// xauth, libnss3-tools):
//
//	go run ./tools/firefoxhar -o internal/capture/testdata/firefox/not-onboarded.har
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/tools/internal/signinsim"
)

func main() {
	out := flag.String("o", "not-onboarded.har", "the HAR file to write; the IAM SAML provider holding its signing certificate goes beside it as NAME.saml-provider.json")
	scenario := flag.String("scenario", "not-onboarded", "the sign-in: "+signinsim.ScenarioList())
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "firefoxhar-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	sim, err := signinsim.Start(*scenario)
	if err != nil {
		log.Fatal(err)
	}

	profile, harDir := filepath.Join(dir, "profile"), filepath.Join(dir, "har")
	for _, d := range []string{profile, harDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, sim.CAPEM, 0o644); err != nil {
		log.Fatal(err)
	}
	run("certutil", "-N", "--empty-password", "-d", "sql:"+profile)
	run("certutil", "-A", "-n", "samldoctor test CA", "-t", "C,,", "-i", caFile, "-d", "sql:"+profile)
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(prefs(sim.Proxy, harDir)), 0o644); err != nil {
		log.Fatal(err)
	}

	ff := exec.Command("xvfb-run", "-a", "firefox-esr", "--profile", profile, "--no-remote", "--devtools", signinsim.StartURL)
	ff.Stdout, ff.Stderr = io.Discard, io.Discard
	if err := ff.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() {
		ff.Process.Kill()
		exec.Command("pkill", "-f", "firefox-esr --profile "+profile).Run()
	}()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if sim.Done() {
			time.Sleep(2 * time.Second) // the last export
			break
		}
	}
	if !sim.Done() {
		log.Fatal("Firefox did not finish the sign-in within 90 s")
	}
	har, err := join(harDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, har, 0o644); err != nil {
		log.Fatal(err)
	}
	// The IAM SAML provider holding this run's signing certificate.
	providerFile := strings.TrimSuffix(*out, ".har") + ".saml-provider.json"
	if err := os.WriteFile(providerFile, signinsim.ProviderJSON(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s", *out, providerFile)
}

func run(name string, args ...string) {
	if b, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		log.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
}

// prefs turns on the HAR export, points every connection at the proxy and
// turns off Firefox's own background traffic.
func prefs(proxy, harDir string) string {
	host, portText, _ := net.SplitHostPort(proxy)
	port, _ := strconv.Atoi(portText)
	p := map[string]any{
		"devtools.netmonitor.har.enableAutoExportToFile": true,
		"devtools.netmonitor.har.defaultLogDir":          harDir,
		"devtools.netmonitor.har.includeResponseBodies":  true,
		"devtools.netmonitor.persistlog":                 true,
		"devtools.toolbox.selectedTool":                  "netmonitor",
		"network.proxy.type":                             1,
		"network.proxy.http":                             host,
		"network.proxy.http_port":                        port,
		"network.proxy.ssl":                              host,
		"network.proxy.ssl_port":                         port,
		"network.proxy.no_proxies_on":                    "",
		"network.proxy.allow_hijacking_localhost":        true,
		"network.dns.disablePrefetch":                    true,
		"network.prefetch-next":                          false,
		"network.captive-portal-service.enabled":         false,
		"network.connectivity-service.enabled":           false,
		"security.OCSP.enabled":                          0,
		"browser.safebrowsing.malware.enabled":           false,
		"browser.safebrowsing.phishing.enabled":          false,
		"browser.shell.checkDefaultBrowser":              false,
		"browser.aboutwelcome.enabled":                   false,
		"browser.startup.homepage_override.mstone":       "ignore",
		"app.update.enabled":                             false,
		"datareporting.policy.dataSubmissionEnabled":     false,
		"toolkit.telemetry.reportingpolicy.firstRun":     false,
		"extensions.update.enabled":                      false,
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, _ := json.Marshal(p[k])
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", k, v)
	}
	return b.String()
}

// join merges Firefox's per-page exports into one log, in time order.
func join(dir string) ([]byte, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.har"))
	if len(files) == 0 {
		return nil, fmt.Errorf("no HAR file exported by Firefox in %s", dir)
	}
	var creator, browser json.RawMessage
	var pages, entries []map[string]json.RawMessage
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var h struct {
			Log struct {
				Version string                       `json:"version"`
				Creator json.RawMessage              `json:"creator"`
				Browser json.RawMessage              `json:"browser"`
				Pages   []map[string]json.RawMessage `json:"pages"`
				Entries []map[string]json.RawMessage `json:"entries"`
			} `json:"log"`
		}
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		creator, browser = h.Log.Creator, h.Log.Browser
		pages = append(pages, h.Log.Pages...)
		for _, e := range h.Log.Entries {
			// The same entry can be in two exports (the page and the next).
			k := string(e["startedDateTime"]) + string(e["request"])
			if !seen[k] {
				seen[k] = true
				entries = append(entries, e)
			}
		}
	}
	sort.SliceStable(entries, func(i, j int) bool { return startOf(entries[i]).Before(startOf(entries[j])) })
	log := map[string]any{"version": "1.2", "creator": creator, "pages": pages, "entries": entries}
	if browser != nil {
		log["browser"] = browser
	}
	return json.MarshalIndent(map[string]any{"log": log}, "", "  ")
}

func startOf(e map[string]json.RawMessage) time.Time {
	var s string
	json.Unmarshal(e["startedDateTime"], &s)
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
