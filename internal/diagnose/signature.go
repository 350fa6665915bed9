package diagnose

import (
	"fmt"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
)

// candidates are the certificates the message's signatures are checked
// with: the user's (--idp-cert, --idp-metadata) and the IAM SAML
// provider's.
func (r *run) candidates() (cands []assertion.Candidate, providerSources map[string]bool) {
	providerSources = map[string]bool{}
	cands = append(cands, r.in.Certs...)
	if md := r.aws.IdPMetadata; md != nil {
		for _, e := range md.Entities {
			for _, c := range e.SigningCerts {
				if cand, err := assertion.CandidateFromDER(c.DER, "the IdP metadata (--idp-metadata)"); err == nil {
					cands = append(cands, cand)
				}
			}
		}
	}
	if r.providerUsed != "" {
		if p := r.provider(); p != nil && p.Metadata != nil {
			src := "the metadata of IAM SAML provider " + r.providerUsed + " (" + p.Source.String() + ")"
			for _, e := range p.Metadata.Entities {
				for _, c := range e.SigningCerts {
					if cand, err := assertion.CandidateFromDER(c.DER, src); err == nil {
						cands = append(cands, cand)
						providerSources[src] = true
					}
				}
			}
		}
	}
	return cands, providerSources
}

// checkSignatures verifies every signature (goxmldsig, one certificate at a
// time) and judges which assertion the valid ones cover.
func (r *run) checkSignatures() {
	if len(r.parsed.Signatures) == 0 {
		return
	}
	cands, fromProvider := r.candidates()
	vs := r.verify(cands)
	// The sign-in is judged on the assertion a valid signature covers,
	// never on an unsigned sibling (a wrapped message's evil assertion).
	if a := assertion.Judge(r.parsed, vs); a != nil && (r.assert == nil || a.Path != r.assert.Path) {
		provider := r.providerUsed
		r.judgeOn(a, assertion.View(a))
		if r.providerUsed != provider {
			// Its Role names another provider: check with that
			// provider's certificates.
			cands, fromProvider = r.candidates()
			vs = r.verify(cands)
		}
	}
	r.res.Signatures = vs
	trusted := len(cands) > 0
	coveredConsumed := false
	anyValid := false
	for _, v := range vs {
		if v.Status == assertion.SigValid || v.Status == assertion.SigValidEmbedded {
			anyValid = true
			if v.CoversMessage || (r.assert != nil && v.Covers == r.assert.Path) {
				coveredConsumed = true
			}
		}
	}
	for _, v := range vs {
		if v.Status == assertion.SigRedacted {
			if !r.has("saml.signature_redacted") {
				r.add(Finding{ID: "saml.signature_redacted", Severity: Info,
					Title:    "The capture was redacted: signature values were removed, so signatures cannot be checked",
					Evidence: []Evidence{{What: "SignatureValue", Value: assertion.RedactedSignature, Where: r.at(v.Covers + "/Signature/SignatureValue")}},
					Fix:      &Fix{Summary: "To check signatures, run samldoctor on the original capture (on the machine that has it)."}})
			}
			continue
		}
		where := r.at(v.Covers + "/Signature")
		ev := []Evidence{{What: "signature on " + v.Covers, Value: v.Status, Where: where}}
		if v.Detail != "" {
			ev = append(ev, Evidence{What: "verifier", Value: v.Detail, Where: where})
		}
		switch {
		case v.Status == assertion.SigInvalid && (v.Reason == assertion.ReasonReference || v.Reason == assertion.ReasonAmbiguousID || v.Reason == assertion.ReasonWholeDocument):
			if v.Signed != "" {
				ev = append(ev, Evidence{What: "the content it signed, moved aside", Value: v.Signed, Where: r.at(v.Signed)})
			}
			r.wrapping("The signature "+v.Reason+": a tampered message moves a signed element aside and puts another where AWS reads.", ev...)
		case v.Status == assertion.SigInvalid:
			f := Finding{ID: "saml.signature_invalid", Severity: Error,
				Title:    fmt.Sprintf("The signature on %s does not verify: %s", v.Covers, v.Reason),
				Evidence: ev, Explains: []string{"signin.signature_invalid"}}
			switch v.Reason {
			case assertion.ReasonContentChanged, assertion.ReasonUndecodable:
				f.Detail = "Something between the identity provider and AWS changed the signed XML (re-formatting, re-encoding, an edit); AWS rejects it as \"Response signature invalid\"."
				f.Fix = &Fix{Summary: "Post the response exactly as the IdP produced it: check proxies, browser extensions and any custom auto-post page that rewrite it.",
					Check: &fix.Check{Result: fix.NotChecked, Why: "what altered the signed XML is outside the IdP, IAM and Connect configuration"}}
			default:
				f.Detail = "None of the certificates checked made this signature."
				var srcs []string
				for _, c := range cands {
					srcs = append(srcs, c.Source)
				}
				f.Evidence = append(f.Evidence, Evidence{What: "certificates checked", Value: strings.Join(uniq(srcs), "; "), Where: where})
				// Which certificate the IdP signs with now is evidence to
				// get first: no change is offered before it is known.
				f.Fix = &Fix{Summary: "Diagnose again with the IdP's current signing certificate (--idp-cert or --idp-metadata): if it verifies the response, samldoctor gives the provider update that passes.",
					Check: &fix.Check{Result: fix.NotChecked, Why: "no certificate known so far made this signature, so which one the provider should hold is not in the evidence"}}
			}
			r.add(f)
		case v.Status == assertion.SigValid && len(fromProvider) > 0 && !fromProvider[v.CertSource] && !r.has("iam.cert_not_in_provider"):
			r.add(Finding{ID: "iam.cert_not_in_provider", Severity: Error,
				Title:    "The response is signed with a certificate the IAM SAML provider does not have",
				Detail:   "It verifies with " + v.CertSource + ", but with none of the provider's certificates: the IdP's signing certificate changed and the provider was not updated (\"Response signature invalid\").",
				Evidence: append(ev, Evidence{What: "verified with", Value: certName(*v.Cert), Where: v.CertSource}),
				Explains: []string{"signin.signature_invalid"},
				Fix:      r.newFix("Update the IAM SAML provider with the IdP's current metadata.", fix.UpdateProviderMetadata{Provider: r.providerUsed})})
		case v.Status == assertion.SigValidEmbedded && trusted && len(fromProvider) == 0 && !r.has("saml.signature_invalid"):
			r.add(Finding{ID: "saml.signature_invalid", Severity: Error,
				Title:    fmt.Sprintf("The signature on %s is intact but was not made with the certificate you gave", v.Covers),
				Detail:   "It verifies only with the certificate the message carries (" + certName(*v.Cert) + "), which proves nothing about who signed it.",
				Evidence: ev, Explains: []string{"signin.signature_invalid"},
				Fix: &Fix{Summary: "Check that the certificate given is the IdP's current signing certificate; if the IdP rotated it, update the IAM SAML provider."}})
		}
		if v.Weak && !r.has("saml.weak_algorithm") {
			r.add(Finding{ID: "saml.weak_algorithm", Severity: Warning,
				Title:    "The signature uses SHA-1",
				Evidence: []Evidence{{What: "algorithms", Value: v.SignatureMethod + ", " + v.DigestMethod, Where: where}},
				Fix:      &Fix{Summary: "Set the application's signing algorithm to SHA-256 at the IdP."}})
		}
		r.checkCertTimes(v)
	}
	if anyValid && !coveredConsumed && r.assert != nil {
		r.wrapping("A signature verifies, but over another element than the Response or the assertion judged: an XML signature-wrapping shape.",
			Evidence{What: "assertion judged", Value: r.assert.Path, Where: r.where()})
	}
	r.wrappedAssertions()
}

// wrapping reports a signature-wrapping shape: one finding per message,
// which gathers every sign of it.
func (r *run) wrapping(detail string, ev ...Evidence) {
	for i := range r.res.Findings {
		if f := &r.res.Findings[i]; f.ID == "saml.signature_wrapping" {
			f.Evidence = append(f.Evidence, ev...)
			return
		}
	}
	r.add(Finding{ID: "saml.signature_wrapping", Severity: Error,
		Title:    "The message has the shape of an XML signature-wrapping attack",
		Detail:   detail + " samldoctor judges the sign-in on the assertion a valid signature covers, never on an unsigned one beside it.",
		Evidence: ev, Explains: []string{"signin.invalid_saml_response", "signin.signature_invalid"},
		Fix: &Fix{Summary: "Do not trust this message. Find what altered it between the identity provider and the browser, and capture a sign-in straight from the IdP.",
			Check: &fix.Check{Result: fix.NotChecked, Why: "what altered the message is outside the IdP, IAM and Connect configuration"}}})
}

// wrappedAssertions names, in a wrapped message's finding, the assertion
// judged and the ones no valid signature covers, with whom each names.
func (r *run) wrappedAssertions() {
	if !r.has("saml.signature_wrapping") || r.assert == nil {
		return
	}
	who := func(a *assertion.Assertion) string {
		v := assertion.View(a)
		switch {
		case v.RoleSessionName != "":
			return "RoleSessionName " + v.RoleSessionName
		case a.Subject != nil && a.Subject.NameID != nil:
			return "NameID " + a.Subject.NameID.Value
		}
		return "no RoleSessionName or NameID"
	}
	ev := []Evidence{{What: "assertion judged (the one a signature covers)", Value: r.assert.Path + ": " + who(r.assert), Where: r.at(r.assert.Path)}}
	for _, list := range [][]assertion.Assertion{r.parsed.Assertions, r.parsed.Misplaced} {
		for i := range list {
			if a := &list[i]; a.Path != r.assert.Path {
				ev = append(ev, Evidence{What: "assertion no valid signature covers", Value: a.Path + ": " + who(a), Where: r.at(a.Path)})
			}
		}
	}
	r.wrapping("", ev...)
}

// verify checks the message's signatures with the candidates.
func (r *run) verify(cands []assertion.Candidate) []assertion.Verification {
	if !r.msg.Decrypted || r.msg.Original == nil {
		return assertion.Verify(r.msg.XML, r.parsed, cands)
	}
	// The Response's signature covers the message as sent (with the
	// EncryptedAssertion); the assertion's, the decrypted assertion.
	var vs []assertion.Verification
	for _, v := range assertion.Verify(r.msg.XML, r.msg.Original, cands) {
		if v.CoversMessage {
			vs = append(vs, v)
		}
	}
	for _, v := range assertion.Verify(r.msg.DecryptedXML, r.parsed, cands) {
		if !v.CoversMessage {
			vs = append(vs, v)
		}
	}
	return vs
}

// checkCertTimes reports a signing certificate outside its validity at the
// time AWS received the response.
func (r *run) checkCertTimes(v assertion.Verification) {
	if v.Cert == nil || r.subject.At.IsZero() || r.has("saml.cert_expired") {
		return
	}
	c := v.Cert
	at := r.subject.At
	if (!c.NotAfter.IsZero() && at.After(c.NotAfter)) || (!c.NotBefore.IsZero() && at.Before(c.NotBefore)) {
		r.add(Finding{ID: "saml.cert_expired", Severity: Warning,
			Title: fmt.Sprintf("The signing certificate was not valid when the sign-in happened (valid %s to %s)", c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02")),
			Evidence: []Evidence{{What: "signing certificate", Value: certName(*c), Where: v.CertSource},
				{What: "time of the sign-in", Value: at.UTC().Format("2006-01-02T15:04:05Z"), Where: r.where()}},
			Fix: r.renewedCertFix()})
	}
}

func uniq(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range l {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// renewedCertFix renews the IdP's signing certificate, then uploads the
// new metadata: the upload is rendered from its change, the renewal is
// the IdP's and is not modelled.
func (r *run) renewedCertFix() *Fix {
	f := r.newFix("Renew the IdP's signing certificate, then update the IAM SAML provider with the new metadata.", fix.UpdateProviderMetadata{Provider: orX(r.providerUsed, "PROVIDER-ARN")})
	f.Before = append([]string{"Renew the signing certificate at the IdP first (the metadata to upload must hold the new one)."}, f.Before...)
	f.Check = &fix.Check{Result: fix.NotChecked, Why: "the new certificate is not in the evidence yet"}
	return f
}
