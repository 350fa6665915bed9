// Package report renders what samldoctor found for people (text, Markdown)
// and for programs (JSON, documented in docs/json.md).
package report

import (
	"os"
	"time"
)

// Style decides how text output looks.
type Style struct {
	Color bool
}

// StyleFor returns colour only when f is a terminal and NO_COLOR is unset
// (https://no-color.org).
func StyleFor(f *os.File) Style {
	st, err := f.Stat()
	_, noColor := os.LookupEnv("NO_COLOR")
	return styleFrom(err == nil && st.Mode()&os.ModeCharDevice != 0, noColor, os.Getenv("TERM"))
}

func styleFrom(terminal, noColor bool, term string) Style {
	return Style{Color: terminal && !noColor && term != "dumb"}
}

func (s Style) wrap(code, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// Bold, Dim, Red, Yellow, Green and Cyan style a piece of text.
func (s Style) Bold(t string) string   { return s.wrap("1", t) }
func (s Style) Dim(t string) string    { return s.wrap("2", t) }
func (s Style) Red(t string) string    { return s.wrap("31", t) }
func (s Style) Yellow(t string) string { return s.wrap("33", t) }
func (s Style) Green(t string) string  { return s.wrap("32", t) }
func (s Style) Cyan(t string) string   { return s.wrap("36", t) }

// clock formats a time for the timeline.
func clock(t time.Time) string {
	if t.IsZero() {
		return "(no time)"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000Z")
}

// short formats a time compactly.
func short(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
