package diagnose

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/samlvalue"
)

// where names the message's place for evidence: the POST to AWS when
// there is one, else where it was first seen.
func (r *run) where() string {
	if r.posted {
		return placeWhere(r.post)
	}
	return placeWhere(r.msg.Seen[0])
}

func (r *run) at(path string) string {
	return path + " in the SAMLResponse, " + r.where()
}

func (r *run) attrWhere(name string) string {
	a := "/Response/Assertion"
	if r.assert != nil {
		a = r.assert.Path
	}
	return r.at(a + "/AttributeStatement/Attribute[@Name='" + name + "']")
}

// checkSAML judges the message itself (S1). It returns false when the
// message cannot be read far enough to check the AWS attributes.
func (r *run) checkSAML() bool {
	m := r.msg
	if r.valueEndsEarly() {
		return false
	}
	if m.DecodeError != "" || m.ParseError != "" || r.parsed == nil || r.parsed.Kind == "" {
		why := m.DecodeError
		if why == "" {
			why = m.ParseError
		}
		if why == "" {
			why = "the XML is not a SAML message"
		}
		r.add(Finding{ID: "saml.malformed", Severity: Error,
			Title:    "The SAMLResponse cannot be read",
			Detail:   "AWS sign-in rejects a SAMLResponse that is not base64 of a SAML 2.0 Response.",
			Evidence: []Evidence{{What: "SAMLResponse", Value: why, Where: r.where()}},
			Explains: []string{"signin.invalid_saml_response", "signin.invalid_base64"},
			Fix: &Fix{Summary: "Find what changes the SAMLResponse between the identity provider and AWS.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "what alters the message (a proxy, an extension, a custom page) is outside the IdP, IAM and Connect configuration"},
				After: []string{"Check that nothing between the browser and AWS (a proxy, a browser extension, a custom auto-post page) re-encodes the form.",
					"Decode the value the IdP produced (`samldoctor decode`) to see the document as sent."}}})
		return false
	}
	x := r.parsed
	for _, a := range x.Anomalies {
		switch a.Code {
		case "foreign-namespace":
			if a.Path == "/Response" || strings.Count(a.Path, "/") <= 1 {
				r.add(Finding{ID: "saml.malformed", Severity: Error,
					Title:    "The SAMLResponse's elements are not in the SAML 2.0 namespaces",
					Detail:   "AWS reads elements by namespace; a Response without the SAML namespaces is not a SAML Response to it.",
					Evidence: []Evidence{{What: "root element", Value: a.Message, Where: r.at(a.Path)}},
					Explains: []string{"signin.invalid_saml_response"},
					Fix:      &Fix{Summary: "The IdP (or something after it) strips namespaces; send the Response as the IdP generates it.", IdPText: "check that the SAML response is not transformed after signing."}})
				return false
			}
			r.add(Finding{ID: "saml.foreign_namespace", Severity: Warning,
				Title:    "An element has a SAML name in another namespace, and AWS ignores it",
				Evidence: []Evidence{{What: "element", Value: a.Message, Where: r.at(a.Path)}},
				Fix:      &Fix{Summary: "Fix the IdP's output so every SAML element is in its SAML namespace (an undeclared prefix is the usual cause)."}})
		case "multiple-assertions", "assertion-misplaced", "duplicate-id", "signature-reference-mismatch":
			r.wrapping("The message carries an assertion its signature does not cover, beside or around the one it does. Real IdPs never produce this; the message was tampered with, or a proxy rewrote it.",
				Evidence{What: anomalyWords[a.Code], Value: a.Message, Where: r.at(a.Path)})
		case "comment-in-value":
			r.add(Finding{ID: "saml.comment_in_value", Severity: Warning,
				Title:    "An XML comment sits inside a value",
				Evidence: []Evidence{{What: "value", Value: a.Message, Where: r.at(a.Path)}}})
		case "doctype":
			r.add(Finding{ID: "saml.malformed", Severity: Error,
				Title:    "The SAMLResponse has a DOCTYPE",
				Detail:   "SAML messages never carry a DOCTYPE; AWS rejects them, and entity declarations are an attack shape.",
				Evidence: []Evidence{{What: "DOCTYPE", Value: a.Message, Where: r.where()}},
				Explains: []string{"signin.invalid_saml_response"},
				Fix:      &Fix{Summary: "Send the Response as the IdP generates it; find what added the DOCTYPE."}})
		}
	}
	if x.Kind != "Response" {
		r.add(Finding{ID: "saml.malformed", Severity: Error,
			Title:    fmt.Sprintf("The SAMLResponse is a %s, not a Response", x.Kind),
			Evidence: []Evidence{{What: "root element", Value: x.Kind, Where: r.where()}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix:      &Fix{Summary: "AWS sign-in expects a samlp:Response carrying one Assertion.", IdPText: "send a SAML 2.0 Response (HTTP-POST binding) to the AWS sign-in endpoint."}})
		if x.Kind != "Assertion" {
			return false
		}
	}
	if x.Status != nil && !x.Status.Success() {
		st := shortURN(x.Status.Code)
		if x.Status.SubCode != "" {
			st += " / " + shortURN(x.Status.SubCode)
		}
		ev := []Evidence{{What: "samlp:StatusCode", Value: x.Status.Code, Where: r.at("/Response/Status")}}
		if x.Status.SubCode != "" {
			ev = append(ev, Evidence{What: "second-level StatusCode", Value: x.Status.SubCode, Where: r.at("/Response/Status/StatusCode")})
		}
		if x.Status.Message != "" {
			ev = append(ev, Evidence{What: "samlp:StatusMessage", Value: x.Status.Message, Where: r.at("/Response/Status")})
		}
		r.add(Finding{ID: "saml.status_failed", Severity: Error,
			Title:    "The identity provider refused the sign-in (" + st + ")",
			Evidence: ev, Explains: []string{"signin.invalid_saml_response"},
			Fix: &Fix{Summary: "Resolve the IdP's error first: its status message and its sign-in logs say why it refused.",
				Check:   &fix.Check{Result: fix.NotChecked, Why: "why the IdP refused is in its own sign-in log, not in the capture"},
				IdPText: ("check that the user is assigned to the application, and read the IdP's sign-in log for this attempt.")}})
		return false
	}
	if len(x.Assertions) == 0 && len(x.EncryptedAssertions) > 0 && r.msg.DecryptError != "" {
		r.add(Finding{ID: "saml.encrypted", Severity: Error,
			Title:    "The encrypted assertion does not decrypt with the key given",
			Detail:   "The key passed with --sp-key is not the one the IdP encrypted for. IAM decrypts with the private keys uploaded to the SAML provider; if none matches, sign-in fails.",
			Evidence: []Evidence{{What: "decryption", Value: r.msg.DecryptError, Where: r.at(x.EncryptedAssertions[0].Path)}},
			Fix: &Fix{Summary: "Make the IdP encrypt with the certificate of a private key the IAM SAML provider holds (or upload the IdP's key to the provider), or pass that key to --sp-key.",
				Reads: []string{fmt.Sprintf("aws iam get-saml-provider --saml-provider-arn %s   # PrivateKeyList shows the keys IAM holds", q(orX(r.providerUsed, "PROVIDER-ARN")))}}})
		return false
	}
	if len(x.Assertions) == 0 && len(x.EncryptedAssertions) > 0 {
		r.add(Finding{ID: "saml.encrypted", Severity: Info,
			Title:    "The assertion is encrypted; its attributes cannot be checked here",
			Detail:   "IAM accepts encrypted assertions when the SAML provider holds the private key. Without that key samldoctor cannot read Role, RoleSessionName, audience or times; the checks that need AWS data still run.",
			Evidence: []Evidence{{What: "EncryptedAssertion", Value: x.EncryptedAssertions[0].EncryptionMethod, Where: r.at(x.EncryptedAssertions[0].Path)}},
			Fix:      &Fix{Summary: "Pass the private key the IAM SAML provider uses for assertion encryption with --sp-key (it stays on this machine), or capture with encryption turned off at the IdP for a test user."}})
		return false
	}
	if len(x.Assertions) == 0 {
		r.add(Finding{ID: "saml.malformed", Severity: Error,
			Title:    "The Response carries no Assertion",
			Evidence: []Evidence{{What: "Response", Value: "no saml:Assertion element", Where: r.where()}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix:      &Fix{Summary: "The IdP must send one signed Assertion with the AWS attributes.", IdPText: "check the application's SAML configuration."}})
		return false
	}
	r.checkSigned()
	r.checkSignatures()
	r.checkTimes()
	r.checkAudience()
	r.checkSubject()
	return true
}

func shortURN(s string) string {
	if i := strings.LastIndex(s, ":"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func (r *run) checkSigned() {
	if len(r.parsed.Signatures) > 0 {
		return
	}
	r.add(Finding{ID: "saml.unsigned", Severity: Error,
		Title:    "Neither the Response nor the Assertion is signed",
		Evidence: []Evidence{{What: "ds:Signature", Value: "none in the message", Where: r.where()}},
		Explains: []string{"signin.signature_invalid", "signin.invalid_saml_response"},
		Fix: &Fix{Summary: "Turn signing on at the IdP.", IdPText: "set the signing option to sign the assertion (or the response and the assertion).",
			Check: &fix.Check{Result: fix.NotChecked, Why: "a signature made with the IdP's key cannot be modelled here"}}})
}

// checkTimes judges the validity window at the capture's time, never now.
func (r *run) checkTimes() {
	at := r.subject.At
	a := r.assert
	if at.IsZero() {
		return // a bare value: no capture time; reported by needs()
	}
	atWhere := "the POST to AWS sign-in, " + r.where()
	if r.posted && !r.post.ServerDate.IsZero() {
		atWhere = "AWS's Date header answering " + r.where()
	}
	atEv := Evidence{What: "time of the sign-in", Value: at.UTC().Format(time.RFC3339), Where: atWhere}
	type bound struct {
		t    *assertion.Time
		path string
	}
	var ends []bound
	if c := a.Conditions; c != nil && c.NotOnOrAfter != nil {
		ends = append(ends, bound{c.NotOnOrAfter, a.Path + "/Conditions/@NotOnOrAfter"})
	}
	if s := a.Subject; s != nil {
		for i, sc := range s.Confirmations {
			if sc.NotOnOrAfter != nil {
				ends = append(ends, bound{sc.NotOnOrAfter, fmt.Sprintf("%s/Subject/SubjectConfirmation[%d]/SubjectConfirmationData/@NotOnOrAfter", a.Path, i+1)})
			}
		}
	}
	for _, e := range ends {
		if e.t.Valid() && !at.Before(e.t.Time) {
			r.add(Finding{ID: "saml.expired", Severity: Error,
				Title:    fmt.Sprintf("The assertion had expired %s before it reached AWS", roundDur(at.Sub(e.t.Time))),
				Evidence: []Evidence{{What: "NotOnOrAfter", Value: e.t.Raw, Where: r.at(e.path)}, atEv},
				Explains: []string{"signin.expired"},
				Fix: r.timeFix("Sign in again straight from the IdP. If it happens again, lengthen the assertion's validity at the IdP (5 minutes is usual) and check the IdP server's clock.",
					"check the assertion validity / clock skew settings.")})
			break
		}
	}
	if c := a.Conditions; c != nil && c.NotBefore.Valid() && at.Before(c.NotBefore.Time) {
		ahead := c.NotBefore.Time.Sub(at)
		sev := Warning
		if ahead > time.Minute {
			sev = Error
		}
		r.add(Finding{ID: "saml.not_yet_valid", Severity: sev,
			Title:    fmt.Sprintf("The assertion was not valid yet: it starts %s after AWS received it", roundDur(ahead)),
			Detail:   "The identity provider's clock runs ahead of AWS's. AWS's tolerance for clock skew is not documented.",
			Evidence: []Evidence{{What: "Conditions NotBefore", Value: c.NotBefore.Raw, Where: r.at(a.Path + "/Conditions/@NotBefore")}, atEv},
			Explains: []string{"signin.expired"},
			Fix:      r.aheadFix(ahead)})
	}
	issued := r.parsed.IssueInstant
	path := "/Response/@IssueInstant"
	if !issued.Valid() {
		issued, path = a.IssueInstant, a.Path+"/@IssueInstant"
	}
	if issued.Valid() {
		age := at.Sub(issued.Time)
		switch {
		case age > 5*time.Minute:
			r.add(Finding{ID: "saml.stale_issue_instant", Severity: Error,
				Title:    fmt.Sprintf("The response was issued %s before it reached AWS; AWS accepts it for 5 minutes", roundDur(age)),
				Evidence: []Evidence{{What: "IssueInstant", Value: issued.Raw, Where: r.at(path)}, atEv},
				Explains: []string{"signin.redeem_window_passed", "signin.expired"},
				Fix:      r.timeFix("Sign in again straight from the IdP and complete the sign-in (and any role choice) within 5 minutes; check the IdP server's clock.", "")})
		case age < -time.Minute:
			if !r.has("saml.not_yet_valid") {
				r.add(Finding{ID: "saml.not_yet_valid", Severity: Error,
					Title:    fmt.Sprintf("The response claims to be issued %s after AWS received it", roundDur(-age)),
					Detail:   "The identity provider's clock runs ahead of AWS's.",
					Evidence: []Evidence{{What: "IssueInstant", Value: issued.Raw, Where: r.at(path)}, atEv},
					Explains: []string{"signin.expired"},
					Fix:      r.timeFix("Sync the identity provider's clock (NTP).", "")})
			}
		}
	}
}

func (r *run) partition() string {
	if r.subject.Partition != "" {
		return r.subject.Partition
	}
	return "aws"
}

func (r *run) checkAudience() {
	a := r.assert
	path := a.Path + "/Conditions/AudienceRestriction/Audience"
	var auds []string
	if a.Conditions != nil {
		auds = a.Conditions.Audiences
	}
	if r.global != nil {
		r.checkGlobalAudience(auds, path)
		return
	}
	accepted := awsarn.Audiences(r.partition())
	for _, au := range auds {
		for _, ok := range accepted {
			if au == ok {
				return
			}
		}
	}
	fx := r.newFix("Set the application's audience (identifier, entity ID) to "+accepted[0]+" ("+accepted[1]+" is also accepted).", fix.SetAudience{Value: accepted[0]})
	if len(auds) == 0 {
		r.add(Finding{ID: "saml.audience_invalid", Severity: Error,
			Title:    "The assertion names no audience",
			Detail:   "AWS requires an AudienceRestriction naming AWS: " + strings.Join(accepted, " or ") + ".",
			Evidence: []Evidence{{What: "Audience", Value: "none", Where: r.at(a.Path + "/Conditions")}},
			Explains: []string{"signin.audience_missing"}, Fix: fx})
		return
	}
	for _, au := range auds {
		base, _, hasSuffix := strings.Cut(au, "#")
		if hasSuffix && (base == accepted[0] || base == accepted[1]) {
			r.add(Finding{ID: "saml.audience_invalid", Severity: Error,
				Title:    fmt.Sprintf("The audience %q keeps a #suffix", au),
				Detail:   "Entra ID and others let an identifier carry a #suffix to tell several AWS apps apart; it must be stripped before sending. AWS does not accept the suffixed value.",
				Evidence: []Evidence{{What: "Audience", Value: au, Where: r.at(path)}},
				Explains: []string{"signin.audience_missing"}, Fix: fx})
			return
		}
		if s, ok := awsarn.ParseSignIn(au); ok && (s.Region != "" || s.ProviderID != "") {
			kind := "regional endpoint"
			if s.ProviderID != "" {
				kind = "provider's sign-in URL"
			}
			r.add(Finding{ID: "saml.audience_invalid", Severity: Warning,
				Title:    fmt.Sprintf("The audience is the %s %s, which AWS does not document as an audience", kind, au),
				Detail:   "AWS documents " + strings.Join(accepted, " and ") + " as audiences; regional endpoints and providers' own sign-in URLs belong in the Recipient and the ACS URL.",
				Evidence: []Evidence{{What: "Audience", Value: au, Where: r.at(path)}},
				Explains: []string{"signin.audience_missing"}, Fix: fx})
			return
		}
	}
	r.add(Finding{ID: "saml.audience_invalid", Severity: Error,
		Title:    fmt.Sprintf("The audience %q is not AWS", auds[0]),
		Detail:   "AWS accepts only " + strings.Join(accepted, " or ") + " as the audience.",
		Evidence: []Evidence{{What: "Audience", Value: strings.Join(auds, ", "), Where: r.at(path)}},
		Explains: []string{"signin.audience_missing"}, Fix: fx})
}

func (r *run) checkSubject() {
	a := r.assert
	if a.Subject == nil || a.Subject.NameID == nil || a.Subject.NameID.Value == "" {
		r.add(Finding{ID: "saml.nameid_missing", Severity: Error,
			Title:    "The assertion's Subject has no NameID",
			Evidence: []Evidence{{What: "Subject/NameID", Value: "missing", Where: r.at(a.Path + "/Subject")}},
			Explains: []string{"signin.not_authorized_assume_role"},
			Fix: &Fix{Summary: "Send a NameID.", IdPText: "set the Name ID (Unique User Identifier) claim, for example to the user's e-mail or a persistent ID.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which identifier the IdP should send as NameID is its choice; the capture does not show it"}}})
	}
	var bearer []assertion.SubjectConfirmation
	if a.Subject != nil {
		for _, c := range a.Subject.Confirmations {
			if c.Method == assertion.MethodBearer {
				bearer = append(bearer, c)
			}
		}
	}
	recipientFix := r.newFix("The SubjectConfirmationData must carry Recipient (the AWS sign-in endpoint) and NotOnOrAfter.", fix.SetACS{Value: r.acsURL()})
	switch {
	case len(bearer) == 0:
		r.add(Finding{ID: "saml.recipient_invalid", Severity: Error,
			Title:    "The assertion has no bearer SubjectConfirmation",
			Detail:   "AWS requires exactly one SubjectConfirmation (bearer) whose SubjectConfirmationData has a Recipient and a NotOnOrAfter.",
			Evidence: []Evidence{{What: "SubjectConfirmation", Value: "none with Method " + assertion.MethodBearer, Where: r.at(a.Path + "/Subject")}},
			Explains: []string{"signin.subject_confirmation_invalid"}, Fix: recipientFix})
		return
	case len(bearer) > 1:
		r.add(Finding{ID: "saml.recipient_invalid", Severity: Error,
			Title:    fmt.Sprintf("The assertion has %d bearer SubjectConfirmations; AWS requires exactly one", len(bearer)),
			Evidence: []Evidence{{What: "SubjectConfirmation", Value: fmt.Sprint(len(bearer)), Where: r.at(a.Path + "/Subject")}},
			Explains: []string{"signin.subject_confirmation_invalid"}, Fix: recipientFix})
		return
	}
	c := bearer[0]
	dataPath := a.Path + "/Subject/SubjectConfirmation/SubjectConfirmationData"
	if !c.HasData || c.Recipient == "" || c.NotOnOrAfter == nil {
		missing := []string{}
		if c.Recipient == "" {
			missing = append(missing, "Recipient")
		}
		if c.NotOnOrAfter == nil {
			missing = append(missing, "NotOnOrAfter")
		}
		r.add(Finding{ID: "saml.recipient_invalid", Severity: Error,
			Title:    "The SubjectConfirmationData lacks " + strings.Join(missing, " and "),
			Detail:   "AWS answers \"Responses must contain SubjectConfirmatonData with a Recipient and NotOnOrAfter\".",
			Evidence: []Evidence{{What: "SubjectConfirmationData", Value: "missing " + strings.Join(missing, ", "), Where: r.at(dataPath)}},
			Explains: []string{"signin.subject_confirmation_invalid"}, Fix: recipientFix})
		return
	}
	if _, ok := awsarn.ParseSignIn(c.Recipient); !ok {
		r.add(Finding{ID: "saml.recipient_invalid", Severity: Error,
			Title:    fmt.Sprintf("The Recipient %q is not an AWS sign-in endpoint", c.Recipient),
			Detail:   "The Recipient must be the AWS sign-in SAML endpoint (https://signin.aws.amazon.com/saml, https://REGION.signin.aws.amazon.com/saml, or the provider's own https://signin.aws.amazon.com/saml/acs/ID). It also becomes the SAML:aud key that role trust policies test.",
			Evidence: []Evidence{{What: "Recipient", Value: c.Recipient, Where: r.at(dataPath + "/@Recipient")}},
			Explains: []string{"signin.subject_confirmation_invalid", "signin.not_authorized_assume_role"}, Fix: recipientFix})
		return
	}
	if r.posted && stripQuery(c.Recipient) != stripQuery(r.subject.PostedTo) {
		r.add(Finding{ID: "saml.recipient_invalid", Severity: Warning,
			Title:  fmt.Sprintf("The Recipient is %s but the response was posted to %s", c.Recipient, r.subject.PostedTo),
			Detail: "AWS does not document whether the two must match, but the Recipient is the SAML:aud value the role's trust policy tests; a regional endpoint needs its own SAML:aud entry.",
			Evidence: []Evidence{{What: "Recipient", Value: c.Recipient, Where: r.at(dataPath + "/@Recipient")},
				{What: "POST target", Value: r.subject.PostedTo, Where: r.where()}},
			Fix: recipientFix})
	}
	if d := r.parsed.Destination; d != "" {
		if _, ok := awsarn.ParseSignIn(d); !ok {
			r.add(Finding{ID: "saml.recipient_invalid", Severity: Warning,
				Title:    fmt.Sprintf("The Response's Destination %q is not an AWS sign-in endpoint", d),
				Evidence: []Evidence{{What: "Destination", Value: d, Where: r.at("/Response/@Destination")}},
				Fix:      recipientFix})
		}
	}
}

// acsURL is the sign-in endpoint to configure: the one posted to, else the
// instance Region's regional endpoint (AWS's recommendation for Connect).
func (r *run) acsURL() string {
	if r.subject.PostedTo != "" {
		return r.subject.PostedTo
	}
	if r.subject.Region != "" {
		return awsarn.SignInURL(r.partition(), r.subject.Region)
	}
	return awsarn.SignInURL(r.partition(), "")
}

var (
	// STS: RoleSessionName [\w+=,.@-]{2,64}.
	stsSessionRE = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	// Connect SAML user names: [a-zA-Z0-9_.@-], '@' only in an e-mail.
	connectUserRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
	emailRE       = regexp.MustCompile(`^[A-Za-z0-9_.-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$`)
)

// checkAttributes judges the AWS attributes (S2).
func (r *run) checkAttributes() {
	v := r.awsView
	if v == nil {
		return
	}
	nearMiss := func(expected string) []Evidence {
		var ev []Evidence
		for _, n := range v.NearMisses {
			if n.Expected == expected {
				ev = append(ev, Evidence{What: "attribute named almost like AWS's (" + n.How + ")", Value: n.Found, Where: r.attrWhere(n.Found)})
			}
		}
		return ev
	}
	if !v.HasRoleAttribute {
		ev := append([]Evidence{{What: "attribute " + assertion.AttrRole, Value: "missing", Where: r.at(v.Assertion + "/AttributeStatement")}}, nearMiss(assertion.AttrRole)...)
		title := "The Role attribute is missing"
		if len(ev) > 1 {
			title = "The Role attribute is not named exactly " + assertion.AttrRole
		}
		r.add(Finding{ID: "aws.role_missing", Severity: Error, Title: title,
			Detail:   "AWS sign-in needs the attribute " + assertion.AttrRole + " (case-sensitive) with one or more values \"ROLE-ARN,PROVIDER-ARN\". Without it AWS answers \"Your request included an invalid SAML response\".",
			Evidence: ev, Explains: []string{"signin.invalid_saml_response"},
			Fix: r.rolesFix("Send the Role attribute under its exact name, "+assertion.AttrRole+".", r.nearMissValues(assertion.AttrRole))})
	}
	var bad []Evidence
	for i, ro := range v.Roles {
		if ro.Problem != "" && ro.Problem != "white space around the comma" {
			bad = append(bad, Evidence{What: fmt.Sprintf("Role value %d: %s", i+1, ro.Problem), Value: ro.Value, Where: r.attrWhere(assertion.AttrRole)})
		}
	}
	if len(bad) > 0 && len(bad) == len(v.Roles) {
		r.add(Finding{ID: "aws.role_malformed", Severity: Error,
			Title:    "The Role attribute's values are not role/provider ARN pairs",
			Detail:   "Each value must be a role ARN and an IAM SAML provider ARN of the same account, separated by a comma (either order).",
			Evidence: bad, Explains: []string{"signin.invalid_saml_response", "signin.provider_not_found", "signin.not_authorized_assume_role"},
			Fix: r.rolesFix("Send each Role value as ROLE-ARN,PROVIDER-ARN.", r.repairedRoles())})
	} else if len(bad) > 0 {
		r.add(Finding{ID: "aws.role_malformed", Severity: Warning,
			Title:    fmt.Sprintf("%d of the %d Role values are not valid role/provider pairs", len(bad), len(v.Roles)),
			Evidence: bad,
			Fix:      &Fix{Summary: "Remove or correct the broken values at the IdP.", Check: &fix.Check{Result: fix.NotChecked, Why: "AWS ignores the broken values when a valid one is sent"}}})
	}
	valid := 0
	for _, ro := range v.Roles {
		if ro.RoleArn != "" && ro.ProviderArn != "" {
			valid++
		}
	}
	if valid > 1 {
		f := Finding{ID: "aws.role_multiple", Severity: Info,
			Title:    fmt.Sprintf("The assertion offers %d roles, so AWS shows its role chooser", valid),
			Evidence: []Evidence{{What: "Role values", Value: fmt.Sprint(valid), Where: r.attrWhere(assertion.AttrRole)}},
			Explains: []string{"connect.bad_request"}}
		if pair, why, ok := r.preferredRole(); ok {
			f.Evidence = append(f.Evidence, why)
			f.Fix = r.newFix("Send agents exactly one Role value: the Connect federation role the agent is bound to, "+pair+".", fix.SendRoles{Roles: []string{pair}})
		} else if r.roleUsed != "" {
			f.Fix = r.newFix("Send agents exactly one Role value: the Connect federation role, "+rolePair(r.roleUsed, r.providerUsed)+" (the one picked).", fix.SendRoles{Roles: []string{rolePair(r.roleUsed, r.providerUsed)}})
		} else {
			f.Fix = &Fix{Summary: "Send agents exactly one Role value: the Connect federation role.", IdPText: "assign agents to one AWS role only.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "which role the agent picked is not in the capture, and CloudTrail does not show the role the user is bound to"}}
		}
		if r.msg.RoleIndex != "" {
			f.Evidence = append(f.Evidence, Evidence{What: "role picked in the role chooser (roleIndex)", Value: r.msg.RoleIndex, Where: r.roleIndexWhere()})
		} else {
			f.Severity = Warning
			f.Evidence = append(f.Evidence, Evidence{What: "role picked", Value: "not in the capture (no roleIndex POST)", Where: r.where()})
		}
		r.add(f)
	}
	// RoleSessionName.
	switch {
	case !v.HasRoleSessionName || (len(v.RoleSessionNameValues) == 0 && strings.TrimSpace(v.RoleSessionName) == ""):
		ev := append([]Evidence{{What: "attribute " + assertion.AttrRoleSessionName, Value: "missing or empty", Where: r.at(v.Assertion + "/AttributeStatement")}}, nearMiss(assertion.AttrRoleSessionName)...)
		r.addSessionNameFinding(Finding{ID: "aws.session_name_missing", Severity: Error,
			Title:    "The RoleSessionName attribute is missing or empty",
			Detail:   "AWS needs " + assertion.AttrRoleSessionName + " (case-sensitive), and Amazon Connect matches its value to the Connect user name.",
			Evidence: ev, Explains: []string{"signin.role_session_name_required"}}, "Send RoleSessionName with the agent's Connect user name",
			"add the claim/attribute "+assertion.AttrRoleSessionName+" mapped to the user attribute that equals the Connect user name (usually the user principal name or e-mail); make sure every agent has a value for it.")
	case v.RoleSessionNameAttributes > 1:
		// A second attribute is no spare: AWS refuses the assertion or
		// reads one of them, and which is not documented.
		r.addSessionNameFinding(Finding{ID: "aws.session_name_invalid", Severity: Error,
			Title:    fmt.Sprintf("RoleSessionName is sent in %d attributes; AWS expects one attribute with one value", v.RoleSessionNameAttributes),
			Detail:   "AWS refuses an assertion with several RoleSessionName values or reads only one of them, so the session name (and the Connect user it must match) is not what the IdP meant for every agent.",
			Evidence: []Evidence{{What: "RoleSessionName values, in document order", Value: strings.Join(v.RoleSessionNameValues, ", "), Where: r.attrWhere(assertion.AttrRoleSessionName)}},
			Explains: []string{"signin.role_session_name_invalid", "connect.not_onboarded"}}, "Send RoleSessionName once, from a single-valued user attribute", "keep one claim/attribute named "+assertion.AttrRoleSessionName+" (remove the duplicate mapping), mapped to a single-valued attribute.")
	case len(v.RoleSessionNameValues) > 1:
		r.addSessionNameFinding(Finding{ID: "aws.session_name_invalid", Severity: Error,
			Title:    fmt.Sprintf("RoleSessionName has %d values; AWS expects one", len(v.RoleSessionNameValues)),
			Evidence: []Evidence{{What: "RoleSessionName values", Value: strings.Join(v.RoleSessionNameValues, ", "), Where: r.attrWhere(assertion.AttrRoleSessionName)}},
			Explains: []string{"signin.role_session_name_invalid", "connect.not_onboarded"}}, "Map RoleSessionName to a single-valued user attribute", "map RoleSessionName to a single-valued attribute (not a group or multi-valued field).")
	default:
		rsn := v.RoleSessionName
		if !stsSessionRE.MatchString(rsn) {
			r.addSessionNameFinding(Finding{ID: "aws.session_name_invalid", Severity: Error,
				Title:    fmt.Sprintf("RoleSessionName %q does not match [a-zA-Z_0-9+=,.@-]{2,64}", rsn),
				Detail:   sessionNameProblem(rsn) + " STS refuses it: \"RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}\".",
				Evidence: []Evidence{{What: "RoleSessionName", Value: rsn, Where: r.attrWhere(assertion.AttrRoleSessionName)}},
				Explains: []string{"signin.role_session_name_invalid"}}, "Map RoleSessionName to an attribute without spaces or other characters outside [a-zA-Z_0-9+=,.@-], 2 to 64 long (the user principal name or e-mail, not the display name)",
				"map RoleSessionName to the user principal name / e-mail, not the display name.")
		} else if !connectUserRE.MatchString(rsn) || (strings.Contains(rsn, "@") && !emailRE.MatchString(rsn)) {
			r.addSessionNameFinding(Finding{ID: "aws.session_name_invalid", Severity: Warning,
				Title:    fmt.Sprintf("RoleSessionName %q passes STS but cannot be an Amazon Connect user name", rsn),
				Detail:   "Connect user names for SAML instances use only letters, digits and _ . @ -, and '@' only in an e-mail address; no Connect user can match this value.",
				Evidence: []Evidence{{What: "RoleSessionName", Value: rsn, Where: r.attrWhere(assertion.AttrRoleSessionName)}},
				Explains: []string{"connect.not_onboarded"}}, "Map RoleSessionName to a value that is also a valid Connect user name", "map RoleSessionName to the user principal name or e-mail.")
		}
	}
	if d := v.SessionDuration; d != "" {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil || n < 900 || n > 43200 {
			r.add(Finding{ID: "aws.session_duration_invalid", Severity: Warning,
				Title:    fmt.Sprintf("SessionDuration %q is not a whole number of seconds from 900 to 43200", d),
				Evidence: []Evidence{{What: "SessionDuration", Value: d, Where: r.attrWhere(assertion.AttrSessionDuration)}},
				Fix:      r.newFix("Send a SessionDuration between 900 and 43200 seconds, or none (the default is one hour; Connect's own session lasts 12 hours).", fix.SetAttribute{Attribute: assertion.AttrSessionDuration, Value: "3600"})})
		}
	}
	if s := v.SourceIdentity; s != "" && (!stsSessionRE.MatchString(s) || strings.HasPrefix(strings.ToLower(s), "aws:")) {
		r.add(Finding{ID: "aws.source_identity_invalid", Severity: Error,
			Title:    fmt.Sprintf("SourceIdentity %q is not valid", s),
			Evidence: []Evidence{{What: "SourceIdentity", Value: s, Where: r.attrWhere(assertion.AttrSourceIdentity)}},
			Explains: []string{"signin.source_identity_invalid"},
			Fix: &Fix{Summary: "Fix or remove the SourceIdentity attribute at the IdP.",
				Check: &fix.Check{Result: fix.NotChecked, Why: "what the SourceIdentity should be is the IdP's choice; the capture does not show it"}}})
	}
}

func sessionNameProblem(s string) string {
	switch {
	case len(s) < 2:
		return "It is shorter than 2 characters."
	case len(s) > 64:
		return fmt.Sprintf("It is %d characters long; the limit is 64.", len(s))
	case strings.ContainsRune(s, ' '):
		return "It contains a space (a display name?)."
	case strings.ContainsAny(s, `\/:`):
		return "It contains \\, / or : (a DOMAIN\\user name?)."
	}
	return "It contains characters outside [a-zA-Z_0-9+=,.@-]."
}

// rolePairExample is the Role value to send, with the real ARNs when known.
func (r *run) rolePairExample() string {
	role, prov := r.roleUsed, r.providerUsed
	if role == "" {
		role = "arn:" + r.partition() + ":iam::" + orX(r.subject.Account, "ACCOUNT-ID") + ":role/ROLE-NAME"
	}
	if prov == "" {
		prov = "arn:" + r.partition() + ":iam::" + orX(r.subject.Account, "ACCOUNT-ID") + ":saml-provider/PROVIDER-NAME"
	}
	return role + "," + prov
}

// anomalyWords name the document's anomalies in evidence (the codes are
// the JSON's, docs/json.md).
var anomalyWords = map[string]string{
	"multiple-assertions":          "several assertions",
	"assertion-misplaced":          "an assertion out of its place",
	"duplicate-id":                 "two elements with one ID",
	"signature-reference-mismatch": "a signature over another element",
}

func orX(s, x string) string {
	if s == "" {
		return x
	}
	return s
}

func (r *run) roleIndexWhere() string {
	for _, p := range r.msg.Seen {
		if p.RoleIndex != "" {
			return placeWhere(p)
		}
	}
	return r.where()
}

// checkRelayState judges the RelayState (S4).
func (r *run) checkRelayState() {
	if r.global != nil {
		return // Global Resiliency: "You don't need to configure a relay state"
	}
	m := r.msg
	fedURL := awsarn.FederationURL(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.InstanceID, "INSTANCE-ID"))
	fx := r.newFix("Set the application's RelayState to the Connect federation URL: "+fedURL+" (for AD FS, in the RelayState of the IdP-initiated sign-on URL).", fix.SetRelayState{Value: fedURL})
	if r.subject.Region == "" || r.subject.InstanceID == "" {
		fx.Check = &fix.Check{Result: fix.NotChecked, Why: "the instance's ID and Region are not in the capture: pass aws connect describe-instance output"}
	}
	if m.RelayState == "" {
		if !r.posted {
			return
		}
		r.add(Finding{ID: "aws.relay_state_missing", Severity: Error,
			Title:    "No RelayState was posted, so the agent lands in the AWS console, not Connect",
			Evidence: []Evidence{{What: "RelayState", Value: "none", Where: r.where()}},
			Fix:      fx})
		return
	}
	rs := awsarn.ParseRelayState(m.RelayState)
	ev := Evidence{What: "RelayState", Value: m.RelayState, Where: r.where()}
	if len(rs.Problems) > 0 {
		sev := Error
		if rs.Kind == "connect-federation" && rs.InstanceID != "" && awsarn.ValidInstanceID(rs.InstanceID) {
			sev = Warning
		}
		r.add(Finding{ID: "aws.relay_state_invalid", Severity: sev,
			Title:    "The RelayState is not the documented Connect federation URL",
			Detail:   strings.Join(rs.Problems, "; ") + ".",
			Evidence: []Evidence{ev}, Fix: fx})
		return
	}
	if rs.Kind != "connect-federation" {
		r.add(Finding{ID: "aws.relay_state_invalid", Severity: Error,
			Title:    "The RelayState does not lead to Amazon Connect",
			Evidence: []Evidence{ev}, Fix: fx})
		return
	}
	// The instance's own Region, when evidence has it.
	for _, in := range r.aws.Instances {
		if in.ID == rs.InstanceID && in.Region() != "" && rs.Region != "" && in.Region() != rs.Region {
			r.add(Finding{ID: "aws.relay_state_invalid", Severity: Error,
				Title:    fmt.Sprintf("The RelayState names Region %s, but instance %s is in %s", rs.Region, rs.InstanceID, in.Region()),
				Detail:   "The console host in the RelayState must be the instance's Region.",
				Evidence: []Evidence{ev, {What: "instance ARN", Value: in.ARN, Where: in.Source.String()}},
				Explains: []string{"connect.access_denied_admin", "connect.not_onboarded"},
				Fix:      r.newFix("Use the instance's Region in the RelayState: "+awsarn.FederationURL(r.partition(), in.Region(), in.ID), fix.SetRelayState{Value: awsarn.FederationURL(r.partition(), in.Region(), in.ID)})})
		}
	}
}

// timeFix is the fix for an assertion outside its validity: the IdP's
// clock when it is skewed (the same change as saml.idp_clock_skew), else a
// new sign-in, which changes no configuration.
func (r *run) timeFix(summary, idp string) *Fix {
	for _, f := range r.res.Findings {
		if f.ID == "saml.idp_clock_skew" && f.Severity == Error {
			return r.newFix("The identity provider's clock is off (see saml.idp_clock_skew): synchronise it; signing in again fails the same way until then.", f.Fix.Changes...)
		}
	}
	return &Fix{Summary: summary, IdPText: idp,
		Check: &fix.Check{Result: fix.NotChecked, Why: "a new sign-in makes a new assertion; nothing in the configuration is shown to be wrong"}}
}

// aheadFix synchronises the IdP's clock, which the assertion shows running
// at least ahead of AWS's: the skew finding's change when there is one,
// else the same change with the offset the NotBefore shows.
func (r *run) aheadFix(ahead time.Duration) *Fix {
	for _, f := range r.res.Findings {
		if f.ID == "saml.idp_clock_skew" && f.Severity == Error {
			return r.timeFix("", "")
		}
	}
	return r.newFix("Synchronise the identity provider's clock with NTP: the assertion starts "+roundDur(ahead)+" after AWS received it.", fix.SyncIdPClock{Offset: -ahead})
}

// nearMissValues are the values of the attribute named almost like the
// AWS attribute expected.
func (r *run) nearMissValues(expected string) []string {
	for _, n := range r.awsView.NearMisses {
		if n.Expected != expected {
			continue
		}
		for _, a := range r.assert.Attributes {
			if a.Name == n.Found {
				return a.Values
			}
		}
	}
	return nil
}

// repairedRoles are the Role values with what can be repaired from the
// evidence: a role ARN alone gets the provider its trust policy names, or
// the account's only provider.
func (r *run) repairedRoles() []string {
	var out []string
	for _, ro := range r.awsView.Roles {
		if ro.RoleArn != "" && ro.ProviderArn != "" {
			out = append(out, rolePair(ro.RoleArn, ro.ProviderArn))
			continue
		}
		v := strings.TrimSpace(strings.Trim(ro.Value, ","))
		if !strings.Contains(v, ":role/") || strings.Contains(v, ",") {
			continue
		}
		if p := r.providerFor(v); p != "" {
			out = append(out, rolePair(v, p))
		}
	}
	return out
}

// providerFor is the SAML provider a role trusts (its trust policy's only
// Federated principal), or the account's only provider.
func (r *run) providerFor(role string) string {
	for _, ro := range r.aws.Roles {
		if ro.ARN != role || ro.Trust == nil {
			continue
		}
		var fed []string
		for _, st := range ro.Trust.Statements {
			if st.Effect == "Allow" {
				fed = append(fed, st.Principal["Federated"]...)
			}
		}
		if len(uniq(fed)) == 1 {
			return fed[0]
		}
	}
	if pl := r.aws.ProviderList; pl != nil && len(pl.ARNs) == 1 {
		return pl.ARNs[0]
	}
	return ""
}

// rolesFix sends the given Role values when there are any that are real
// role/provider pairs; else the fix is generic and not checked.
func (r *run) rolesFix(summary string, values []string) *Fix {
	var pairs []string
	for _, v := range values {
		if ro, err := fix.SplitRolePair(v); err == nil {
			pairs = append(pairs, rolePair(ro.RoleArn, ro.ProviderArn))
		}
	}
	if len(pairs) > 0 {
		// The attribute's name or form is the application's mapping:
		// every user gets it.
		return r.newFix(summary, fix.SendRoles{Roles: pairs, Scope: fix.ScopeApplication})
	}
	return &Fix{Summary: summary, IdPText: fmt.Sprintf("send the attribute %s (exactly, case-sensitive) with the value %s.", assertion.AttrRole, r.rolePairExample()),
		Check: &fix.Check{Result: fix.NotChecked, Why: "which role and provider to send is not in the capture or the AWS data (pass get-account-authorization-details and list-saml-providers output)"}}
}

// addSessionNameFinding adds a finding about RoleSessionName whose fix
// sends the value the evidence shows the agent's Connect user name to be,
// with that evidence; without it the fix is generic and not checked.
func (r *run) addSessionNameFinding(f Finding, summary, idp string) {
	if v, ev := r.sessionNameCandidate(); v != "" {
		f.Evidence = append(f.Evidence, ev)
		f.Fix = r.newFix(fmt.Sprintf("%s: send %q (%s).", summary, v, strings.ToLower(ev.What[:1])+ev.What[1:]), r.setSessionName(v))
	} else {
		why := "the agent's Connect user name is not in the evidence: pass aws connect list-users output, or CloudTrail with the agent's earlier sign-ins"
		if ul := r.users(); ul != nil && ul.Complete {
			why = "no Connect user of the instance is named as anything the IdP sends for this agent (NameID " + quoteOr(r.subject.NameID, "none") + "), so which user is theirs is not in the evidence: CloudTrail with the agent's earlier sign-ins would settle it"
		}
		f.Fix = &Fix{Summary: summary + ".", IdPText: idp,
			Check: &fix.Check{Result: fix.NotChecked, Why: why}}
	}
	r.add(f)
}

// valueEndsEarly reports (as capture.value_truncated) a bare value that
// stops before its XML does: the common mistake of copying a SAMLResponse
// in part. Nothing is judged from part of a message.
func (r *run) valueEndsEarly() bool {
	m := r.msg
	if len(m.Seen) == 0 || m.Seen[0].Where != "value" || m.Hostile {
		return false
	}
	what := ""
	if strings.Contains(m.DecodeError, "ends early") {
		what = m.DecodeError
	} else if open, early := samlvalue.EndsEarly(m.XML); early && len(m.XML) > 0 {
		what = fmt.Sprintf("the XML stops inside <%s> after %d bytes", open, len(m.XML))
	}
	if what == "" {
		return false
	}
	r.add(Finding{ID: "capture.value_truncated", Severity: Warning,
		Title:    fmt.Sprintf("The %s in %s ends early: most likely it was copied only in part", m.Type, m.Seen[0].File),
		Detail:   "A value that stops before its XML ends is what an incomplete copy gives (a selection that missed the end, a field that cut it); AWS received the whole value, so nothing is judged from this part.",
		Evidence: []Evidence{{What: m.Type, Value: what, Where: r.where()}},
		Fix: &Fix{Summary: samlvalue.CopyWhole,
			Check: &fix.Check{Result: fix.NotChecked, Why: "a whole copy is evidence, not a change to the sign-in"}}})
	return true
}
