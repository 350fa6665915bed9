package trail

import (
	"testing"
	"time"
)

// parseTime reads CloudTrail's own form in place and agrees with
// time.Parse on every other.
func TestParseTime(t *testing.T) {
	for _, s := range []string{
		"2026-11-28T09:00:01Z",
		"2024-02-29T23:59:59Z",
		"2026-11-31T09:00:00Z",      // no such day
		"2026-13-01T09:00:00Z",      // no such month
		"2026-11-28T24:00:00Z",      // no such hour
		"2026-11-28T09:00:01.123Z",  // fractions
		"2026-11-28T09:00:01+10:00", // an offset
		"2026-11-28 09:00:01Z",
		"20x6-11-28T09:00:01Z",
		"",
	} {
		want, _ := time.Parse(time.RFC3339, s)
		if got := parseTime([]byte(s)); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, time.Parse says %v", s, got, want)
		}
	}
}

func FuzzParseTime(f *testing.F) {
	f.Add("2026-11-28T09:00:01Z")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := time.Parse(time.RFC3339, s)
		if got := parseTime([]byte(s)); !got.Equal(want) {
			t.Fatalf("parseTime(%q) = %v, time.Parse says %v", s, got, want)
		}
	})
}
