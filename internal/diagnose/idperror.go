package diagnose

import (
	"fmt"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/errorpage"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// idpRefusal is what each cause an IdP's error code means says, and what
// to change; the product's own steps come from package idp (the kinds in
// manualIdPKinds).
var idpRefusal = map[string]struct {
	title, detail, fx string
	steps             []string
}{
	"idp.user_not_assigned": {
		title:  "The agent is not assigned to the Amazon Connect application in %s, which refused the sign-in",
		detail: "The identity provider only signs users in to an application they (or a group they are in) are assigned to.",
		fx:     "Assign the agent, or a group the agent is in, to the Amazon Connect application at the identity provider (and to the app role that carries the AWS role).",
		steps:  []string{"Assign the agent (or their group) to the Amazon Connect application and its AWS role.", "Sign in again from the identity provider's app portal."},
	},
	"idp.reply_url_mismatch": {
		title:  "The reply URL the request asks for is not configured for the application in %s, which refused the sign-in",
		detail: "The identity provider sends the SAMLResponse only to a reply URL (Assertion Consumer Service URL) configured for the application; for AWS it is the sign-in endpoint, https://signin.aws.amazon.com/saml or the Region's own.",
		fx:     "Add the AWS sign-in endpoint the request asks for to the application's reply URLs (Assertion Consumer Service URLs).",
		steps:  []string{"Add the AWS sign-in endpoint (https://signin.aws.amazon.com/saml, or https://REGION.signin.aws.amazon.com/saml for a Regional endpoint) to the application's reply URLs."},
	},
	"idp.app_not_found": {
		title:  "No application in %s matches the request's identifier (entity ID), so it refused the sign-in",
		detail: "The request named an application (its SP entity ID or app ID) the identity provider does not have, or does not have under that identifier.",
		fx:     "Set the application's identifier (entity ID) to the one AWS uses (urn:amazon:webservices), or start the sign-in from the application's own sign-in URL.",
		steps:  []string{"Set the application's identifier (entity ID) to urn:amazon:webservices.", "Start the sign-in from the application's own user access URL (the app portal tile)."},
	},
	"idp.authentication_required": {
		title:  "A sign-in policy in %s asked for more than the agent gave (MFA, another method), so it stopped the sign-in",
		detail: "A sign-in policy (Conditional Access, MFA, an authentication context) asked for more than the agent gave, so no SAMLResponse was sent.",
		fx:     "Have the agent complete the sign-in the policy asks for (MFA), or adjust the policy for the Amazon Connect application; the IdP's sign-in log says which policy applied.",
		steps:  []string{"Open the identity provider's sign-in log entry for this attempt (its code or correlation ID is on the page) and read which policy stopped it.", "Have the agent complete that step, or change the policy's scope for the Amazon Connect application."},
	},
	"idp.error": {
		title:  "The identity provider (%s) showed an error page instead of sending a SAMLResponse",
		detail: "The identity provider stopped the sign-in itself; AWS and Connect were never reached.",
		fx:     "Look the error up in the identity provider's log (the page's code, Activity ID or reference) and correct what it names.",
		steps:  []string{"Find the attempt in the identity provider's log by the code or reference the page shows.", "Correct what it names, then sign in again from the identity provider's app portal."},
	},
}

// lastIdPError is the last IdP error page of the capture and its mark.
func lastIdPError(pages []capture.Page) (capture.Page, capture.ErrorMark, bool) {
	var page capture.Page
	var mark capture.ErrorMark
	found := false
	for _, p := range pages {
		for _, e := range p.Errors {
			if e.ID == errorpage.IdPErrorPage {
				page, mark, found = p, e, true
			}
		}
	}
	return page, mark, found
}

// idpError explains a sign-in the identity provider stopped with its own
// error page, before sending any SAML: the cause its code means and the
// change at the IdP. It reports whether it did.
func (r *run) idpError() bool {
	p, m, ok := lastIdPError(r.in.Capture.Pages)
	if !ok {
		return false
	}
	why, known := idpRefusal[m.Cause]
	if !known {
		why = idpRefusal["idp.error"]
		m.Cause = "idp.error"
	}
	if r.subject == nil {
		// No message: the product's steps are filled in with AWS's
		// defaults (the sign-in endpoint, the audience).
		r.subject = &signin.Subject{}
	}
	name, steps := "the identity provider", why.steps
	if prod := idp.Lookup(m.Product); prod != nil {
		name = prod.Name
		if _, _, ok := idp.Steps(prod.ID, manualIdPKinds[m.Cause], idp.Values{}); ok {
			steps = nil // the product's own steps say it
		}
	}
	ev := []Evidence{{What: "error page", Value: m.Excerpt, Where: pageWhere(p)},
		{What: "code", Value: m.Code, Where: pageWhere(p)}}
	detail := m.Text + ". "
	if m.Docs != "" {
		detail = m.Text + " (" + m.Docs + "). "
	}
	r.add(Finding{ID: m.Cause, Severity: Error,
		Title:    fmt.Sprintf(why.title, name),
		Detail:   detail + why.detail + " The identity provider sent no SAMLResponse, so AWS sign-in and Amazon Connect were never reached: nothing in IAM or Connect is at fault for this attempt.",
		Evidence: ev, Explains: []string{errorpage.IdPErrorPage},
		Fix: &Fix{Summary: why.fx, After: steps,
			Check: &fix.Check{Result: fix.NotChecked, Why: "the identity provider's configuration is not in the evidence; sign in again after the change and capture it"}}})
	return true
}
