package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// The embedded CCP's causes are judged on an embedWorld made from the
// capture, and its fixes (the ccpUrl, Streams' login popup, an approved
// origin) are checked by making their changes in a copy of it and
// judging again, as check.go does for the sign-in's stages.

// embedWorld is what the embedded CCP's causes are judged on: the frames
// the capture shows, and the facts a change can make otherwise
// (fix.Embedded).
type embedWorld struct {
	e *embedding
	fix.Embedded
}

func (r *run) embedWorldOf(e *embedding) *embedWorld {
	w := &embedWorld{e: e, Embedded: fix.Embedded{Host: e.host, Origin: e.embed, CSP: e.csp, Reported: len(e.refused) > 0, Withheld: e.withheld}}
	if in, _ := r.ccpInstance(e.host); in != "" {
		if l := r.aws.OriginsOf(in); l != nil {
			c := *l
			c.Origins = slices.Clone(l.Origins)
			w.Approved = &c
			w.Approval = -1
			if e.embed != "" && l.Has(e.embed) {
				w.Approval = 1
			}
		}
	}
	return w
}

// embedded cause ids.
const (
	idDomainMismatch = "ccp.domain_mismatch"
	idPopupStuck     = "ccp.login_popup_stuck"
	idSigninInFrame  = "ccp.signin_in_frame"
	idOriginRefused  = "ccp.origin_not_approved"
)

// mismatch is the federation landing, when the capture's sign-ins all
// landed on another host than the CCP's frames load.
func (w *embedWorld) mismatch() (landing, bool) {
	if w.Host == "" || len(w.e.landings) == 0 {
		return landing{}, false
	}
	for _, l := range w.e.landings {
		if l.host == w.Host {
			return landing{}, false
		}
	}
	return w.e.landings[len(w.e.landings)-1], true
}

func (w *embedWorld) refused() bool {
	if w.Origin == "" {
		return false
	}
	if w.Reported {
		return true
	}
	if w.CSP == nil {
		return false
	}
	return (&embedding{embed: w.Origin, csp: w.CSP, cspPage: w.e.cspPage}).cspRefuses()
}

// causes are the ids of the embedded CCP's causes the world shows, for
// the symptoms observed.
func (r *run) embeddedCauses(w *embedWorld) []string {
	var out []string
	noSession := r.symptoms[errorpage.CCPNoSession] || r.symptoms[popupOpen]
	if l, ok := w.mismatch(); ok && noSession {
		if a, _ := alias(l.host); a == firstOf(alias(w.Host)) {
			out = append(out, idDomainMismatch)
		} else {
			out = append(out, idPopupStuck)
		}
	}
	if r.symptoms[frameRefused] && w.refused() {
		out = append(out, idOriginRefused)
	}
	if r.symptoms[signinFramed] && !w.PopupLogin {
		out = append(out, idSigninInFrame)
	}
	if _, why := w.e.stuckPopup(); r.symptoms[popupOpen] && leftOpen(why) && !w.AutoClose {
		out = append(out, idPopupStuck)
	}
	return out
}

func firstOf(a, _ string) string { return a }

// checkEmbeddedFix checks a fix made only of changes to the embedded CCP
// against the frames the capture shows; false when the fix is not one.
func (r *run) checkEmbeddedFix(f *Fix) bool {
	if len(f.Changes) == 0 {
		return false
	}
	for _, c := range f.Changes {
		if fix.Where(c) != "streams" && c.Kind() != fix.KindAssociateApprovedOrigin && c.Kind() != fix.KindSetReferrerPolicy {
			return false
		}
	}
	e := readEmbedding(r.in.Capture)
	if e == nil {
		f.Check = &fix.Check{Result: fix.NotChecked, Why: "the capture shows no CCP loaded in a frame to judge the change against"}
		return true
	}
	w := r.embedWorldOf(e)
	before := r.embeddedCauses(w)
	for _, c := range f.Changes {
		if err := c.Apply(&fix.World{Embedded: &w.Embedded}); err != nil {
			f.Check = fix.Failed(err)
			return true
		}
	}
	after := r.embeddedCauses(w)
	ck := &fix.Check{After: after}
	switch {
	case w.Unsettled:
		ck.Result = fix.NotChecked
		ck.Why = "the browser would send Connect the page's origin, " + w.Origin + "; whether the instance approves it is not in the evidence (aws connect list-approved-origins shows it)"
		ck.After = nil
	case len(after) == 0:
		ck.Result = fix.Passes
		ck.Why = "with this change, none of the causes the capture shows of the embedded CCP's failure remains (" + strings.Join(before, ", ") + " judged again on the frames, the federation's landing and the CCP's Content-Security-Policy)"
	default:
		ck.Result = fix.StillFails
		ck.Why = "not enough alone: the embedded CCP still fails because of " + strings.Join(after, ", ")
	}
	if ck.After == nil {
		ck.After = []string{}
	}
	f.Check = ck
	return true
}

// ccpInstance is the Connect instance whose CCP host is given: the
// instance of the evidence with that alias, else the sign-in's, else the
// evidence's only one; with its Region.
func (r *run) ccpInstance(host string) (string, string) {
	a, _ := alias(host)
	for _, in := range r.aws.Instances {
		if in.Alias != "" && strings.EqualFold(in.Alias, a) {
			return in.ID, in.Region()
		}
	}
	if id := r.subjectInstance(); id != "" {
		return id, r.subjectRegion()
	}
	if len(r.aws.Instances) == 1 {
		return r.aws.Instances[0].ID, r.aws.Instances[0].Region()
	}
	return "", ""
}

// approveFix is the fix approving the embedding page's origin for the
// instance of the CCP's host, after listing the approved origins.
func (r *run) approveFix(summary, origin, host string) *Fix {
	instance, region := r.ccpInstance(host)
	f := r.newFix(summary, fix.AssociateApprovedOrigin{Value: origin, Connect: fix.Connect{Instance: instance, Region: region}})
	f.Reads = append(f.Reads, fmt.Sprintf("aws connect list-approved-origins --instance-id %s --region %s", q(orX(instance, "INSTANCE-ID")), q(orX(region, "REGION"))))
	return f
}

// regionalSignIn is the Regional sign-in endpoint of the instance's
// Region, for the fixes that name it.
func regionalSignIn(partition, region string) string {
	if region == "" || !awsarn.ValidRegion(region) {
		return awsarn.SignInURL(partition, "REGION")
	}
	return awsarn.SignInURL(partition, region)
}
