package capture_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samldoctor record's HARs have the shape of Chromium's own export
// (testdata/chromium): every entry on a page of log.pages, form posts
// with both text and params, params as Chromium keeps them (the raw,
// still percent-encoded pairs of the text), and timings whose known
// parts add up to the entry's time.
func TestRecordedHARShape(t *testing.T) {
	for _, browser := range []string{"chromium", "record"} {
		for _, name := range []string{"not-onboarded.har", "role-chooser.har"} {
			t.Run(browser+"/"+name, func(t *testing.T) {
				checkHARShape(t, filepath.Join("testdata", browser, name))
			})
		}
	}
}

func checkHARShape(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type nv struct{ Name, Value string }
	var h struct {
		Log struct {
			Pages []struct {
				ID              string
				StartedDateTime string
				Title           string
			}
			Entries []struct {
				Pageref         string
				StartedDateTime string
				Time            float64
				Request         struct {
					Method   string
					URL      string
					PostData *struct {
						MimeType string
						Text     *string
						Params   []nv
					}
				}
				Timings map[string]any
			}
		}
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	pages := map[string]bool{}
	for _, p := range h.Log.Pages {
		if p.ID == "" || p.StartedDateTime == "" || pages[p.ID] {
			t.Errorf("page %+v: no id or start, or its id twice", p)
		}
		pages[p.ID] = true
	}
	if len(pages) < 3 {
		t.Errorf("%d pages, want the sign-in's pages", len(pages))
	}
	posts := 0
	for i, e := range h.Log.Entries {
		if !pages[e.Pageref] {
			t.Errorf("entry %d (%s): pageref %q is not in log.pages", i, e.Request.Method, e.Pageref)
		}
		if e.StartedDateTime == "" {
			t.Errorf("entry %d: no startedDateTime", i)
		}
		if pd := e.Request.PostData; pd != nil && strings.HasPrefix(pd.MimeType, "application/x-www-form-urlencoded") {
			posts++
			if pd.Text == nil {
				t.Errorf("entry %d: form post without text", i)
				continue
			}
			var want []nv
			for _, kv := range strings.Split(*pd.Text, "&") {
				n, v, _ := strings.Cut(kv, "=")
				want = append(want, nv{n, v})
			}
			if len(pd.Params) != len(want) {
				t.Errorf("entry %d: %d params, text has %d", i, len(pd.Params), len(want))
				continue
			}
			for j := range want {
				if pd.Params[j] != want[j] {
					t.Errorf("entry %d: param %d is %q=%.20q, text has %q=%.20q", i, j, pd.Params[j].Name, pd.Params[j].Value, want[j].Name, want[j].Value)
				}
			}
		}
		sum := 0.0
		for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
			v, ok := e.Timings[k].(float64)
			if !ok && k != "blocked" && k != "dns" && k != "connect" {
				t.Errorf("entry %d: timings.%s missing", i, k)
			}
			if v < -1 {
				t.Errorf("entry %d: timings.%s = %v", i, k, v)
			}
			if v > 0 {
				sum += v
			}
		}
		if math.Abs(sum-e.Time) > 1 {
			t.Errorf("entry %d: timings add up to %.3f ms, time is %.3f", i, sum, e.Time)
		}
	}
	if posts == 0 {
		t.Errorf("no form post: the sign-in posts its response to AWS")
	}
}
