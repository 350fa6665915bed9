package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// InspectJSON is the JSON document of `samldoctor inspect`.
type InspectJSON struct {
	SchemaVersion int       `json:"schemaVersion"`
	Sources       []Source  `json:"sources"`
	Messages      []Message `json:"messages"`
	Pages         []Page    `json:"pages"`
	Warnings      []Warning `json:"warnings"`
}

// WriteInspectJSON writes the capture as JSON.
func WriteInspectJSON(w io.Writer, c *capture.Capture) error {
	return writeJSON(w, InspectJSON{SchemaVersion: SchemaVersion, Sources: wireSources(c.Sources), Messages: wireMessages(c.Messages), Pages: wirePages(c.Pages), Warnings: wireWarnings(c.Warnings)})
}

// DecodeJSON is the JSON document of `samldoctor decode --format json`.
type DecodeJSON struct {
	SchemaVersion int      `json:"schemaVersion"`
	Encoding      []string `json:"encoding"`
	Notes         []string `json:"notes,omitempty"`
	XML           string   `json:"xml"`
	ParseError    string   `json:"parseError,omitempty"`
	SAML          *SAML    `json:"saml,omitempty"`
	AWS           *AWS     `json:"aws,omitempty"`
}

// WriteDecodeJSON writes a decoded value: its encoding steps, the XML, and
// the parsed message (m nil when parseErr says why there is none).
func WriteDecodeJSON(w io.Writer, steps, notes []string, xml []byte, m *assertion.Message, parseErr error) error {
	out := DecodeJSON{SchemaVersion: SchemaVersion, Encoding: orEmpty(steps), Notes: notes, XML: string(xml)}
	if parseErr != nil {
		out.ParseError = parseErr.Error()
	} else if m != nil {
		out.SAML = wireSAML(m)
		if m.AWS != nil {
			out.AWS = wireAWS(m.AWS, nil)
		}
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeC1(buf.Bytes()))
	return err
}

// timelineItem is a message or a page, placed in time.
type timelineItem struct {
	t     time.Time
	file  string
	entry int
	msg   *capture.Message
	num   int
	page  *capture.Page
}

// WriteInspectText writes the capture as a timeline for people.
func WriteInspectText(w io.Writer, c *capture.Capture, st Style) error {
	bw := &errWriter{w: w, color: st.Color}
	for _, s := range c.Sources {
		desc := s.Format
		switch s.Format {
		case capture.FormatHAR:
			desc = "HAR"
			if s.Creator != "" {
				desc += " from " + s.Creator
			}
			desc += ", " + capture.CountEntries(s.Entries)
		case capture.FormatTracer:
			desc = fmt.Sprintf("SAML-tracer export, %d requests", s.Entries)
		case capture.FormatValue:
			desc = "a SAML value"
		}
		if s.Gzip {
			desc += ", gzip"
		}
		bw.printf("%s  %s\n", st.Bold(s.File), st.Dim("("+desc+")"))
		if s.Truncated != nil {
			bw.printf("  %s %s\n", st.Yellow("truncated:"), s.Truncated.Message)
		}
	}
	for _, wn := range c.Warnings {
		if wn.Entry >= 0 {
			bw.printf("%s %s entry %d: %s\n", st.Yellow("warning:"), wn.File, wn.Entry, wn.Message)
		} else {
			bw.printf("%s %s: %s\n", st.Yellow("warning:"), wn.File, wn.Message)
		}
	}
	bw.printf("\n")
	if len(c.Messages) == 0 {
		bw.printf("No SAML message was found. Capture the whole sign-in, from the identity provider's page to the\nerror, with \"Preserve log\" on (Chrome, Edge) or \"Persist Logs\" (Firefox), and save it with content.\n")
	}
	var items []timelineItem
	for i, m := range c.Messages {
		p := m.Seen[0]
		items = append(items, timelineItem{t: p.Time, file: p.File, entry: p.Entry, msg: m, num: i + 1})
	}
	for i := range c.Pages {
		p := &c.Pages[i]
		items = append(items, timelineItem{t: p.Time, file: p.File, entry: p.Entry, page: p})
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if !a.t.IsZero() && !b.t.IsZero() && !a.t.Equal(b.t) {
			return a.t.Before(b.t)
		}
		if a.file != b.file {
			return a.file < b.file
		}
		if a.entry != b.entry {
			return a.entry < b.entry
		}
		// In one entry, a message found in the response body comes after
		// that response; one in the request comes before it.
		return a.msg != nil && b.msg == nil && a.msg.Seen[0].Where != "html-form" ||
			b.msg != nil && a.msg == nil && b.msg.Seen[0].Where == "html-form"
	})
	for _, it := range items {
		if it.msg != nil {
			writeMessage(bw, it.msg, it.num, st)
		} else {
			writePage(bw, it.page, st)
		}
	}
	return bw.err
}

var stageNames = map[string]string{
	"idp":                "IdP",
	"aws-signin":         "AWS sign-in",
	"connect-federation": "Connect federation",
	"connect-app":        "Connect",
	"aws-console":        "AWS console",
}

func writePage(bw *errWriter, p *capture.Page, st Style) {
	status := fmt.Sprintf("%d", p.Status)
	switch {
	case p.Status == 0:
		status = "---"
	case p.Status >= 400:
		status = st.Red(status)
	case p.Status >= 300:
		status = st.Cyan(status)
	}
	bw.printf("%s  %-18s %s %-4s %s\n", st.Dim(clock(p.Time)), stageNames[p.Stage], status, p.Method, p.URL)
	indent := strings.Repeat(" ", 26)
	if p.Location != "" {
		bw.printf("%s→ %s\n", indent, p.Location)
	}
	if p.RoleChooser {
		bw.printf("%sAWS role chooser page, offering %d roles\n", indent, len(p.RoleOptions))
	}
	for _, e := range p.Errors {
		bw.printf("%s%s %q\n", indent, st.Red("error page:"), e.Excerpt)
		bw.printf("%s%s\n", indent, st.Dim("("+e.ID+")"))
	}
	if p.Body == "missing" && len(p.Errors) == 0 && p.Status < 300 && p.Stage != "idp" {
		bw.printf("%s%s\n", indent, st.Dim("(the capture has no body for this response)"))
	}
}

func writeMessage(bw *errWriter, m *capture.Message, num int, st Style) {
	p := m.Seen[0]
	bw.printf("%s  %s\n", st.Dim(clock(p.Time)), st.Bold(fmt.Sprintf("▶ %s #%d (%s)", m.Type, num, m.Binding)))
	row := func(k, format string, args ...any) {
		bw.printf("    %-17s %s\n", k, fmt.Sprintf(format, args...))
	}
	for _, s := range m.Seen {
		row("seen", "%s", PlaceWords(s))
	}
	if m.DecodeError != "" {
		row("decode", "%s", st.Red(m.DecodeError))
		bw.printf("\n")
		return
	}
	if m.ParseError != "" {
		row("XML", "%s", st.Red(m.ParseError))
		bw.printf("\n")
		return
	}
	x := m.Parsed
	if x.Kind == "" {
		row("XML", "%s", st.Red("not a SAML message"))
	}
	if x.Issuer != "" {
		row("issuer", "%s", x.Issuer)
	}
	if x.Destination != "" {
		row("destination", "%s", x.Destination)
	}
	if x.Status != nil {
		s := shortURN(x.Status.Code)
		if x.Status.SubCode != "" {
			s += " / " + shortURN(x.Status.SubCode)
		}
		if x.Status.Message != "" {
			s += ": " + x.Status.Message
		}
		if x.Status.Success() {
			row("status", "%s", st.Green(s))
		} else {
			row("status", "%s", st.Red(s))
		}
	}
	if x.Request != nil && x.Request.AssertionConsumerServiceURL != "" {
		row("ACS URL", "%s", x.Request.AssertionConsumerServiceURL)
	}
	if len(x.EncryptedAssertions) > 0 {
		row("assertion", "%s", st.Yellow("encrypted (EncryptedAssertion): its attributes cannot be read without the key"))
	}
	if len(x.Assertions) > 0 {
		a := x.Assertions[0]
		if a.Subject != nil && a.Subject.NameID != nil {
			row("NameID", "%s %s", a.Subject.NameID.Value, st.Dim("("+shortURN(a.Subject.NameID.Format)+")"))
		} else {
			row("NameID", "%s", st.Yellow("none"))
		}
	}
	if aws := m.AWS; aws != nil {
		if !aws.HasRoleAttribute {
			row("Role", "%s", st.Yellow("no https://aws.amazon.com/SAML/Attributes/Role attribute"))
		}
		for i, r := range aws.Roles {
			mark := ""
			if m.RoleIndex != "" && r.RoleArn == m.RoleIndex {
				mark = st.Green("  ← picked in the role chooser")
			}
			if r.Problem != "" {
				row(fmt.Sprintf("Role %d", i+1), "%s  %s", r.Value, st.Red("("+r.Problem+")"))
				continue
			}
			row(fmt.Sprintf("Role %d", i+1), "%s  via %s%s", r.RoleArn, r.ProviderArn, mark)
		}
		switch {
		case !aws.HasRoleSessionName:
			row("RoleSessionName", "%s", st.Yellow("missing"))
		case len(aws.RoleSessionNameValues) > 0:
			row("RoleSessionName", "%s %s", strings.Join(quoteAll(aws.RoleSessionNameValues), ", "), st.Yellow(fmt.Sprintf("(%d values)", len(aws.RoleSessionNameValues))))
		default:
			row("RoleSessionName", "%q", aws.RoleSessionName)
		}
		if aws.SessionDuration != "" {
			row("SessionDuration", "%s", aws.SessionDuration)
		}
		if aws.SourceIdentity != "" {
			row("SourceIdentity", "%s", aws.SourceIdentity)
		}
		for _, t := range aws.PrincipalTags {
			row("PrincipalTag", "%s=%s", t.Key, strings.Join(t.Values, ","))
		}
		for _, n := range aws.NearMisses {
			row("near miss", "%s", st.Yellow(fmt.Sprintf("%q looks like %q (%s)", n.Found, n.Expected, n.How)))
		}
	}
	if len(x.Assertions) > 0 {
		writeWindow(row, x, p.Time, st)
	}
	if m.RelayState != "" {
		rs := m.RelayState
		if r := signin.RelayState(m); r != nil {
			if r.Kind == "connect-federation" {
				rs += st.Dim(fmt.Sprintf("  (Connect instance %s, %s)", r.InstanceID, orUnknown(r.Region)))
			}
		}
		row("RelayState", "%s", rs)
	} else if m.Type == "SAMLResponse" {
		row("RelayState", "%s", st.Yellow("none"))
	}
	for _, sig := range x.Signatures {
		cert := "no certificate in KeyInfo"
		if len(sig.Certificates) > 0 {
			c := sig.Certificates[0]
			if c.Err != "" {
				cert = c.Err
			} else {
				cert = fmt.Sprintf("certificate %s, valid %s → %s", c.Subject, short(c.NotBefore), short(c.NotAfter))
			}
		}
		row("signature", "on %s, %s; %s %s", sig.Covers, shortAlg(sig.SignatureMethod), cert, st.Dim("(not verified)"))
	}
	if len(x.Signatures) == 0 && x.Kind != "" && x.Kind != "AuthnRequest" {
		row("signature", "%s", st.Yellow("none"))
	}
	for _, a := range x.Anomalies {
		row("anomaly", "%s %s", st.Yellow(a.Message), st.Dim("("+a.Code+")"))
	}
	for _, n := range m.Notes {
		row("encoding", "%s", n)
	}
	bw.printf("\n")
}

func writeWindow(row func(string, string, ...any), x *assertion.Message, at time.Time, st Style) {
	a := x.Assertions[0]
	rel := func(t *assertion.Time) string {
		if t == nil {
			return "-"
		}
		if !t.Valid() {
			return st.Red(t.Raw + " (unreadable)")
		}
		s := short(t.Time)
		if !at.IsZero() {
			d := t.Time.Sub(at).Round(time.Second)
			if d >= 0 {
				s += st.Dim(fmt.Sprintf(" (capture +%s)", d))
			} else {
				s += st.Dim(fmt.Sprintf(" (capture −%s)", -d))
			}
		}
		return s
	}
	issued := x.IssueInstant
	if issued == nil {
		issued = a.IssueInstant
	}
	row("issued", "%s", rel(issued))
	if c := a.Conditions; c != nil {
		row("valid", "%s → %s", rel(c.NotBefore), rel(c.NotOnOrAfter))
		if len(c.Audiences) > 0 {
			row("audience", "%s", strings.Join(c.Audiences, ", "))
		}
	}
	if a.Subject != nil {
		for _, sc := range a.Subject.Confirmations {
			row("confirmation", "%s, recipient %s, until %s", shortURN(sc.Method), orNone(sc.Recipient), rel(sc.NotOnOrAfter))
		}
	}
}

func quoteAll(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "Region unknown"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// shortURN keeps the last part of a SAML URN for display.
func shortURN(s string) string {
	if i := strings.LastIndex(s, ":"); i >= 0 && strings.HasPrefix(s, "urn:") {
		return s[i+1:]
	}
	return s
}

func shortAlg(s string) string {
	if i := strings.LastIndex(s, "#"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// errWriter keeps the first write error. Everything it writes has its
// control characters made visible (see neutralise): text and Markdown
// output carry URLs, page texts, names and file names from the inputs.
type errWriter struct {
	w   io.Writer
	err error
	// color lets Style's colour sequences through.
	color bool
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = io.WriteString(e.w, neutralise(fmt.Sprintf(format, args...), e.color))
}
