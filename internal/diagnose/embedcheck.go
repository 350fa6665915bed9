package diagnose

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// The embedded CCP's causes are judged on an embedWorld made from the
// capture, and its fixes (the ccpUrl, Streams' login popup, an approved
// origin) are checked by making their changes in a copy of it and
// judging again, as check.go does for the sign-in's stages.

// embedWorld is what the embedded CCP's causes are judged on.
type embedWorld struct {
	e *embedding
	// host is the CCP's host the frames load (Streams' ccpUrl).
	host  string
	embed string
	// csp are the frame-ancestors Connect answers the frame with: the
	// instance's approved origins. reported: the browser's own reports
	// refuse the frame.
	csp      [][]string
	reported bool
	// approved are the instance's approved origins, when known.
	approved *evidence.ApprovedOrigins
	// popupLogin: the sign-in goes through Streams' login popup, never a
	// frame; autoClose: Streams closes the popup once the frame has the
	// session.
	popupLogin, autoClose bool
}

func (r *run) embedWorldOf(e *embedding) *embedWorld {
	w := &embedWorld{e: e, host: e.host, embed: e.embed, csp: e.csp, reported: len(e.refused) > 0}
	if in, _ := r.ccpInstance(e.host); in != "" {
		if l := r.aws.OriginsOf(in); l != nil {
			c := *l
			c.Origins = slices.Clone(l.Origins)
			w.approved = &c
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
	if w.host == "" || len(w.e.landings) == 0 {
		return landing{}, false
	}
	for _, l := range w.e.landings {
		if l.host == w.host {
			return landing{}, false
		}
	}
	return w.e.landings[len(w.e.landings)-1], true
}

func (w *embedWorld) refused() bool {
	if w.embed == "" {
		return false
	}
	if w.reported {
		return true
	}
	if w.csp == nil {
		return false
	}
	return (&embedding{embed: w.embed, csp: w.csp, cspPage: w.e.cspPage}).cspRefuses()
}

// causes are the ids of the embedded CCP's causes the world shows, for
// the symptoms observed.
func (r *run) embeddedCauses(w *embedWorld) []string {
	var out []string
	noSession := r.symptoms[errorpage.CCPNoSession] || r.symptoms[popupOpen]
	if l, ok := w.mismatch(); ok && noSession {
		if a, _ := alias(l.host); a == firstOf(alias(w.host)) {
			out = append(out, idDomainMismatch)
		} else {
			out = append(out, idPopupStuck)
		}
	}
	if r.symptoms[frameRefused] && w.refused() {
		out = append(out, idOriginRefused)
	}
	if r.symptoms[signinFramed] && !w.popupLogin {
		out = append(out, idSigninInFrame)
	}
	if _, why := w.e.stuckPopup(); r.symptoms[popupOpen] && leftOpen(why) && !w.autoClose {
		out = append(out, idPopupStuck)
	}
	return out
}

func firstOf(a, _ string) string { return a }

// embeddedKind reports whether a change is made to the embedded CCP.
func embeddedKind(k ChangeKind) bool {
	return k == AssociateApprovedOrigin || k == SetCCPURL || k == SetLoginPopup
}

// applyEmbedded makes one change in the world.
func applyEmbedded(w *embedWorld, c Change) error {
	switch c.Kind {
	case SetCCPURL:
		u, err := url.Parse(c.Value)
		if err != nil || u.Scheme != "https" || !isConnectApp(c.Value) || !isCCPPath(u.Path) {
			return refused("%q is not the CCP's URL of an Amazon Connect instance (https://ALIAS.my.connect.aws/ccp-v2/)", c.Value)
		}
		w.host = strings.ToLower(u.Hostname())
	case SetLoginPopup:
		w.popupLogin, w.autoClose = true, true
	case AssociateApprovedOrigin:
		o, err := url.Parse(c.Value)
		if err != nil || o.Host == "" || (o.Scheme != "https" && o.Scheme != "http") || strings.Trim(o.Path, "/") != "" || o.RawQuery != "" {
			return notModelled("the origin %q is not the embedding page's scheme, host and port", c.Value)
		}
		origin := strings.ToLower(o.Scheme + "://" + o.Host)
		if origin != w.embed {
			return wrongChange("the origin approved, %s, is not the embedding page's, %s", origin, w.embed)
		}
		if w.approved != nil {
			w.approved.Origins = append(w.approved.Origins, origin)
		}
		// Connect answers the frame with the approved origins as its
		// frame-ancestors; the browser then shows it.
		csp := make([][]string, len(w.csp))
		for i, p := range w.csp {
			csp[i] = append(slices.Clone(p), origin)
		}
		w.csp, w.reported = csp, false
	}
	return nil
}

// checkEmbeddedFix checks a fix made only of changes to the embedded CCP
// against the frames the capture shows; false when the fix is not one.
func (r *run) checkEmbeddedFix(f *Fix) bool {
	if len(f.Changes) == 0 {
		return false
	}
	for _, c := range f.Changes {
		if !embeddedKind(c.Kind) {
			return false
		}
	}
	e := readEmbedding(r.in.Capture)
	if e == nil {
		f.Check = &Check{Result: CheckNotChecked, Why: "the capture shows no CCP loaded in a frame to judge the change against"}
		return true
	}
	w := r.embedWorldOf(e)
	before := r.embeddedCauses(w)
	for _, c := range f.Changes {
		if err := applyEmbedded(w, c); err != nil {
			f.Check = r.changeCheck(err)
			return true
		}
	}
	after := r.embeddedCauses(w)
	ck := &Check{After: after}
	switch {
	case len(after) == 0:
		ck.Result = CheckPasses
		ck.Why = "with this change, none of the causes the capture shows of the embedded CCP's failure remains (" + strings.Join(before, ", ") + " judged again on the frames, the federation's landing and the CCP's Content-Security-Policy)"
	default:
		ck.Result = CheckStillFails
		ck.Why = "not enough alone: the embedded CCP still fails because of " + strings.Join(after, ", ")
	}
	if ck.After == nil {
		ck.After = []string{}
	}
	f.Check = ck
	return true
}

// changeCheck is the check of a change that could not be made.
func (*run) changeCheck(err error) *Check {
	var ce *changeError
	if errors.As(err, &ce) && ce.refused {
		return &Check{Result: CheckStillFails, Why: "AWS would refuse this change: " + ce.why}
	} else if errors.As(err, &ce) && ce.wrong {
		return &Check{Result: CheckStillFails, Why: "the change does not do what it says: " + ce.why}
	}
	return &Check{Result: CheckNotChecked, Why: "not modelled: " + err.Error()}
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

// describeEmbedded is one line for a change to the embedded CCP.
func describeEmbedded(c Change) string {
	switch c.Kind {
	case AssociateApprovedOrigin:
		return fmt.Sprintf("Approve the origin %s for the Connect instance %s.", c.Value, orX(c.Instance, "INSTANCE-ID"))
	case SetCCPURL:
		return "In the agent application, set Amazon Connect Streams' ccpUrl to " + c.Value + "."
	case SetLoginPopup:
		s := "In the agent application, sign the agent in through Amazon Connect Streams' login popup (loginPopup: true, loginPopupAutoClose: true)"
		if c.Value != "" {
			s += " with loginUrl " + c.Value
		}
		return s + "."
	}
	return string(c.Kind)
}

// approveFix is the fix approving the embedding page's origin for the
// instance of the CCP's host, after listing the approved origins.
func (r *run) approveFix(summary, origin, host string) *Fix {
	instance, region := r.ccpInstance(host)
	f := r.newFix(summary, Change{Kind: AssociateApprovedOrigin, Value: origin, Instance: instance, Region: region})
	f.Commands = append([]string{fmt.Sprintf("aws connect list-approved-origins --instance-id %s --region %s", q(orX(instance, "INSTANCE-ID")), q(orX(region, "REGION")))}, f.Commands...)
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

func init() {
	changeDoc[AssociateApprovedOrigin] = "approve the origin (scheme, host, port) of the page embedding the CCP (`associate-approved-origin`)"
	changeDoc[SetCCPURL] = "set Amazon Connect Streams' `ccpUrl` in the agent application's `initCCP` call"
	changeDoc[SetLoginPopup] = "sign in through Streams' login popup: `loginPopup: true`, `loginPopupAutoClose: true` (and `loginUrl`)"
}
