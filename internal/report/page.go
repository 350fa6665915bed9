package report

import (
	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// PageDiagnosis is what samldoctor serve's page shows of a diagnosis:
// diagnose's JSON said in the page's terms (Web.Say), and the words the
// command line prints for what the JSON holds as tokens.
type PageDiagnosis struct {
	DiagnoseJSON
	Words PageWords `json:"words"`
}

// PageWords are the command line's words for the page.
type PageWords struct {
	// Seen says, for each message, where each place saw it (as inspect
	// prints it: "entry 1: in a form on … → form action …").
	Seen [][]string `json:"seen"`
	// Signatures says each verdict of Signatures ("not verified: …").
	Signatures []string `json:"signatures"`
	// Read lists what was read: the captures, the AWS data files, the
	// files skipped and why.
	Read []string `json:"read"`
}

// NewPageDiagnosis is the page's form of a diagnosis of c with the AWS
// evidence aws (nil when there was none).
func NewPageDiagnosis(c *capture.Capture, res *diagnose.Result, aws *evidence.Set) PageDiagnosis {
	d := Web.diagnoseJSON(NewDiagnoseJSON(c, res, aws))
	w := PageWords{Seen: [][]string{}, Signatures: []string{}, Read: []string{}}
	for _, m := range c.Messages {
		var seen []string
		for _, p := range m.Seen {
			seen = append(seen, PlaceWords(p))
		}
		w.Seen = append(w.Seen, orEmpty(seen))
	}
	for _, v := range res.Signatures {
		w.Signatures = append(w.Signatures, Web.Say(SignatureWords(v)))
	}
	for _, s := range c.Sources {
		w.Read = append(w.Read, s.File+" (capture)")
	}
	if aws != nil {
		for _, s := range aws.Sources {
			w.Read = append(w.Read, s.String())
		}
		for _, k := range aws.Skipped {
			w.Read = append(w.Read, "skipped "+k.String())
		}
		for _, k := range aws.NotRegular {
			w.Read = append(w.Read, k.String())
		}
	}
	return PageDiagnosis{DiagnoseJSON: d, Words: w}
}

// diagnoseJSON says a diagnosis's text in the medium's terms.
func (m Medium) diagnoseJSON(d DiagnoseJSON) DiagnoseJSON {
	d.Verdict = m.Say(d.Verdict)
	d.Findings = m.findings(d.Findings)
	for i := range d.Attempts {
		d.Attempts[i].Verdict = m.Say(d.Attempts[i].Verdict)
		d.Attempts[i].Findings = m.findings(d.Attempts[i].Findings)
	}
	for i := range d.Warnings {
		d.Warnings[i].Message = m.Say(d.Warnings[i].Message)
	}
	return d
}

func (m Medium) findings(l []Finding) []Finding {
	out := make([]Finding, len(l))
	for i, f := range l {
		f.Title, f.Detail, f.Downgraded = m.Say(f.Title), m.Say(f.Detail), m.Say(f.Downgraded)
		f.Evidence = m.evidence(f.Evidence)
		if f.Fix != nil {
			fx := m.fix(f.ID, *f.Fix)
			f.Fix = &fx
		}
		if f.Alternatives != nil {
			alts := make([]Fix, len(f.Alternatives))
			for j, a := range f.Alternatives {
				alts[j] = m.fix(f.ID, a)
			}
			f.Alternatives = alts
		}
		out[i] = f
	}
	return out
}

func (m Medium) evidence(l []Evidence) []Evidence {
	out := make([]Evidence, len(l))
	for i, e := range l {
		out[i] = Evidence{What: m.Say(e.What), Value: m.Say(e.Value), Where: m.Say(e.Where)}
	}
	return out
}

func (m Medium) fix(id string, f Fix) Fix {
	f.Summary, f.IdP, f.DataLoss = m.Say(f.Summary), m.Say(f.IdP), m.Say(f.DataLoss)
	f.Steps, f.IdPSteps = m.SayAll(f.Steps), m.SayAll(f.IdPSteps)
	if f.Commands != nil {
		cmds := make([]string, len(f.Commands))
		for i, c := range f.Commands {
			cmds[i] = m.Say(c)
		}
		f.Commands = cmds
	}
	f.Check = checkForMedium(id, f.Check)
	f.Check.Why = m.Say(f.Check.Why)
	f.Check.Breaks = m.SayAll(f.Check.Breaks)
	return f
}

// NewPageAudit is the page's form of an audit: its JSON in the page's
// terms (its Scope is the page's "Read:" list).
func NewPageAudit(res *audit.Result) AuditJSON {
	a := NewAuditJSON(res)
	for i, f := range a.Findings {
		f.Title, f.Detail = Web.Say(f.Title), Web.Say(f.Detail)
		f.Evidence = Web.evidence(f.Evidence)
		if f.Fix != nil {
			fx := Web.fix(f.ID, *f.Fix)
			f.Fix = &fx
		}
		a.Findings[i] = f
	}
	a.Scope = Web.SayAll(a.Scope)
	return a
}
