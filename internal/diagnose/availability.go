package diagnose

import (
	"fmt"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// AWS sign-in or Connect's federation failing on AWS's side: a 5xx, or
// no answer while the browser still reached other hosts afterwards. Not
// an error of the set-up, and not a capture cut short
// (capture.no_outcome): the capture goes on after it.

// Symptoms of an AWS service that did not answer.
const (
	signinUnavailable     = "signin.unavailable"
	federationUnavailable = "connect.federation_unavailable"
)

// unavailable are the pages of AWS sign-in and Connect's federation that
// failed on AWS's side, each with the later answer of another host that
// shows the browser still had a network (for a page with no answer).
func unavailable(pages []capture.Page) (out []capture.Page, later []*capture.Page) {
	for i, p := range pages {
		if p.Stage != signin.StageSignIn && p.Stage != signin.StageFederation {
			continue
		}
		if p.Status >= 500 && p.Status < 600 {
			out, later = append(out, p), append(later, nil)
			continue
		}
		if p.Status != 0 {
			continue
		}
		for j := i + 1; j < len(pages); j++ {
			q := pages[j]
			if q.File == p.File && q.Status > 0 && hostOfURL(q.URL) != hostOfURL(p.URL) && q.Time.After(p.Time) {
				out, later = append(out, p), append(later, &pages[j])
				break
			}
		}
	}
	return out, later
}

func unavailableSymptom(stage string) (string, string) {
	if stage == signin.StageFederation {
		return federationUnavailable, "Amazon Connect's federation (/connect/federate) did not answer the sign-in (a server error, or no answer)."
	}
	return signinUnavailable, "AWS sign-in did not answer the SAMLResponse (a server error, or no answer)."
}

func statusWords(p capture.Page) string {
	if p.Status == 0 {
		return "no answer (status 0)"
	}
	return fmt.Sprintf("status %d %s", p.Status, p.StatusText)
}

// observeUnavailable records AWS sign-in's or the federation's failure
// to answer as what the agent saw.
func (r *run) observeUnavailable() {
	pages, later := unavailable(r.in.Capture.Pages)
	at := map[string]int{}
	for i, p := range pages {
		id, text := unavailableSymptom(p.Stage)
		ev := Evidence{What: "answer", Value: statusWords(p), Where: pageWhere(p)}
		if later[i] != nil {
			ev.Value += fmt.Sprintf("; %s answered after it", hostOfURL(later[i].URL))
		}
		if k, ok := at[id]; ok {
			r.res.Symptoms[k].Evidence = append(r.res.Symptoms[k].Evidence, ev)
			continue
		}
		at[id] = len(r.res.Symptoms)
		r.res.Symptoms = append(r.res.Symptoms, Symptom{ID: id, Text: text, Evidence: []Evidence{ev}})
		r.symptoms[id] = true
	}
}

// checkUnavailable explains it: an AWS service event.
func (r *run) checkUnavailable() {
	pages, later := unavailable(r.in.Capture.Pages)
	if len(pages) == 0 {
		return
	}
	p := pages[0]
	id, _ := unavailableSymptom(p.Stage)
	what, stage := "AWS sign-in", catalog.StageAssumeRole
	if id == federationUnavailable {
		what, stage = "Amazon Connect's federation", catalog.StageFederation
	}
	ev := []Evidence{{What: what + " answered", Value: statusWords(p), Where: pageWhere(p)}}
	if later[0] != nil {
		ev = append(ev, Evidence{What: "a later request the browser got an answer to", Value: fmt.Sprintf("%s %s, status %d", later[0].Method, later[0].URL, later[0].Status), Where: pageWhere(*later[0])})
	}
	part, region := "aws", ""
	if r.subject != nil {
		part, region = orX(r.subject.Partition, "aws"), r.subject.Region
	}
	regional := regionalSignIn(part, region)
	title := fmt.Sprintf("%s failed on AWS's side (%s): an AWS service event, not the sign-in's set-up", what, statusWords(p))
	r.add(Finding{ID: "aws.service_unavailable", Severity: Error, Stage: stage,
		Title: title,
		Detail: what + " answered with a server error, or not at all while the browser still reached other hosts after it. Nothing in the identity provider's, IAM's or Connect's configuration makes AWS answer so; an AWS service event does (on 2023-06-13, STS, the console and Amazon Connect in us-east-1 failed this way). " +
			"A proxy or firewall between the browser and AWS can also drop the answer. The global endpoint https://signin.aws.amazon.com/saml is served from us-east-1; Regional endpoints keep sign-ins going when it fails.",
		Evidence: ev, Explains: []string{signinUnavailable, federationUnavailable},
		Fix: &Fix{Summary: "Sign in again in a few minutes and check AWS Health; to ride out the next event, post the SAMLResponse to a Regional sign-in endpoint (" + regional + ").",
			After: []string{"Check AWS Health for STS, AWS sign-in and Amazon Connect events in the Region: https://health.aws.amazon.com/health/status (the Service Health Dashboard) and your account's Health Dashboard in the console.",
				"Regional sign-in endpoints: https://REGION.signin.aws.amazon.com/saml (" + regional + " for this instance's Region). To use one, set it as the IdP application's ACS (Reply) URL and allow its SAML:aud in the role's trust policy beside https://signin.aws.amazon.com/saml; the IdP can then fail over to another Region's endpoint.",
				"If AWS Health shows no event, look for a proxy, firewall or TLS inspection between the agents' browsers and " + hostOfURL(p.URL) + "."},
			Reads: []string{"aws health describe-events --region us-east-1 --filter eventStatusCodes=open,services=STS,CONNECT   # read-only; needs a Business, Enterprise On-Ramp or Enterprise support plan"},
			Check: &fix.Check{Result: fix.NotChecked, Why: "an AWS service event is not a change to the identity provider, IAM or Connect: there is nothing to change"}}})
}
