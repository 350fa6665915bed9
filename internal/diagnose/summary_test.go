package diagnose_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// summaryValue is what a fix's summary quotes from its changes: a value
// in double quotes, an ARN, a URL.
var summaryValue = regexp.MustCompile(`"[^"]+"|arn:aws[\w-]*:[^\s,;()"]+|https?://[^\s,;()"]+`)

// changeWords is every value a fix's changes hold, and what the evidence
// they name says (a user's name, a role's ARN in a Role value).
func changeWords(cs []fix.Change) string {
	var b strings.Builder
	for _, c := range cs {
		f := flat(c)
		for _, s := range []string{f.Attribute, f.Value, f.Source, f.Role, f.Policy, f.Edit, f.Provider, f.UserName, f.Region, f.Instance} {
			b.WriteString(s + "\n")
		}
		for _, s := range append(append(f.Roles, f.Tags...), f.TransitiveKeys...) {
			b.WriteString(s + "\n")
		}
		switch c.(type) {
		case fix.SendRoles:
			b.WriteString(assertion.AttrRole + "\n") // the attribute the kind sends
		case fix.SetAudience:
			// The audiences AWS sign-in accepts, which a summary may name
			// beside the one set.
			b.WriteString(strings.Join(awsarn.Audiences("aws"), "\n") + "\n")
		}
		if f.User != nil {
			b.WriteString(f.User.Username + "\n" + f.User.ID + "\n")
		}
	}
	return b.String()
}

// A fix's summary is written beside its changes, so it is held to them:
// every value it quotes (a user name, an ARN, a URL) is one the changes
// set or name. A summary that said "jane.doe" while the change sets
// "Jane.Doe" fails here. Every failing scenario, through both products,
// first fixes and alternatives.
func TestSummariesQuoteTheirChanges(t *testing.T) {
	checked := 0
	for _, product := range []string{"entra", "simplesamlphp"} {
		for _, tt := range causeCases() {
			s := base()
			if product == "simplesamlphp" {
				s = sspScenario(rsn)
			}
			tt.produce(&s)
			res := s.run(t)
			for _, f := range res.Findings {
				fixes := f.Alternatives
				if f.Fix != nil {
					fixes = append([]diagnose.Fix{*f.Fix}, fixes...)
				}
				for _, fx := range fixes {
					if len(fx.Changes) == 0 {
						continue
					}
					words := changeWords(fx.Changes)
					for _, v := range summaryValue.FindAllString(fx.Summary, -1) {
						v = strings.TrimRight(strings.Trim(v, `"`), ".:")
						if strings.Contains(v, "REGION") || strings.Contains(v, "INSTANCE-ID") {
							continue // a placeholder, filled in the steps
						}
						checked++
						if !strings.Contains(words, v) {
							t.Errorf("%s %s: %s: the summary quotes %q, which its changes do not hold:\n%s\nchanges: %s", product, tt.id, f.ID, v, fx.Summary, changeKeys(fx.Changes))
						}
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d quoted values checked: the pattern is stale", checked)
	}
}
