package diagnose

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// resolveRole finds the role the sign-in used among the evidence, and
// gives it the facts that came without a role name.
func (r *run) resolveRole() {
	if r.roleUsed == "" {
		return
	}
	ra, err := awsarn.ParseRole(r.roleUsed)
	if err != nil {
		return
	}
	for _, ro := range r.aws.Roles {
		if ro.ARN == r.roleUsed || (ro.ARN == "" && ro.Name == ra.Name) {
			r.role = ro
		}
	}
	if r.role == nil {
		if len(r.aws.Unattributed.AttachedPolicies) == 0 && len(r.aws.Unattributed.InlineNames) == 0 {
			return
		}
		// Outputs of list-attached-role-policies / list-role-policies
		// without get-role: they are about this sign-in's role.
		r.role = &evidence.Role{ARN: r.roleUsed, Name: ra.Name, Path: ra.Path, Inline: map[string]*iampolicy.Policy{}}
		r.aws.Roles = append(r.aws.Roles, r.role)
	}
	ro := r.role
	for _, l := range r.aws.Unattributed.AttachedPolicies {
		if !ro.AttachedComplete {
			ro.Attached = append(ro.Attached, l.Policies...)
		}
	}
	if len(r.aws.Unattributed.AttachedPolicies) > 0 {
		ro.AttachedComplete = true
	}
	if len(r.aws.Unattributed.InlineNames) > 0 && !ro.InlineComplete {
		ro.InlineComplete = true
		for _, l := range r.aws.Unattributed.InlineNames {
			for _, n := range l.Names {
				if _, ok := ro.Inline[n]; !ok {
					ro.Inline[n] = nil // named, document not known
				}
			}
		}
	}
	// A lone get-policy-version output belongs to the one attached policy
	// whose document is missing.
	var missing []string
	for _, ap := range ro.Attached {
		if mp := r.aws.Policies[ap.ARN]; mp == nil || mp.Default() == nil {
			missing = append(missing, ap.ARN)
		}
	}
	if len(missing) == 1 && len(r.aws.Unattributed.PolicyVersions) == 1 {
		v := r.aws.Unattributed.PolicyVersions[0]
		mp := r.aws.Policies[missing[0]]
		if mp == nil {
			mp = &evidence.ManagedPolicy{ARN: missing[0], Versions: map[string]*iampolicy.Policy{}, Source: v.Source}
			r.aws.Policies[missing[0]] = mp
		}
		mp.Versions[v.VersionID] = v.Document
		if mp.DefaultVersionID == "" {
			mp.DefaultVersionID = v.VersionID
		}
	}
}

// provider returns the IAM SAML provider the sign-in named, when known.
func (r *run) provider() *evidence.SAMLProvider {
	for _, p := range r.aws.Providers {
		if p.ARN == r.providerUsed {
			return p
		}
	}
	if r.providerUsed != "" && len(r.aws.Unattributed.Providers) == 1 {
		p := r.aws.Unattributed.Providers[0]
		p.ARN = r.providerUsed
		r.aws.Providers = append(r.aws.Providers, p)
		r.aws.Unattributed.Providers = nil
		return p
	}
	return nil
}

// checkAssumeRole judges what AssumeRoleWithSAML needs (S3).
func (r *run) checkAssumeRole() {
	r.resolveRole()
	if r.providerUsed != "" {
		r.checkProvider()
	}
	if r.roleUsed == "" {
		return
	}
	ra, _ := awsarn.ParseRole(r.roleUsed)
	if strings.HasPrefix(ra.Path, "/aws-reserved/sso.amazonaws.com/") || strings.HasPrefix(ra.Name, "AWSReservedSSO_") {
		r.add(Finding{ID: "iam.reserved_sso_role", Severity: Error, Stage: StageAssumeRole,
			Title:    "The Role value is an IAM Identity Center permission-set role, which SAML federation cannot assume",
			Detail:   "Roles named AWSReservedSSO_* belong to IAM Identity Center and do not work with AssumeRoleWithSAML.",
			Evidence: []Evidence{{What: "role", Value: r.roleUsed, Where: r.attrWhere(assertion.AttrRole)}},
			Explains: []string{"signin.issuer_not_in_provider", "signin.not_authorized_assume_role"},
			Fix: &Fix{Summary: "Create a dedicated IAM role for Connect federation that trusts the IAM SAML provider, and send its ARN in the Role attribute.",
				IdP: "In IAM Identity Center, use a custom SAML 2.0 application for Amazon Connect whose Role attribute maps to that role and the IAM SAML provider made from the application's metadata."}})
		return
	}
	if r.role == nil {
		r.roleNotFound(ra)
		return
	}
	if r.role.Trust == nil {
		return
	}
	r.checkTrust()
}

func (r *run) roleNotFound(ra awsarn.Role) {
	var near []string
	for _, ro := range r.aws.Roles {
		if strings.EqualFold(ro.Name, ra.Name) || (ro.Name == ra.Name && ro.ARN != r.roleUsed) {
			near = append(near, ro.ARN)
		}
	}
	if r.aws.RolesComplete == nil && len(near) == 0 {
		return
	}
	ev := []Evidence{{What: "role in the Role attribute", Value: r.roleUsed, Where: r.attrWhere(assertion.AttrRole)}}
	detail := "AWS cannot assume a role that does not exist; role names are case-sensitive and the path is part of the ARN."
	if r.aws.RolesComplete != nil {
		ev = append(ev, Evidence{What: "roles of the account", Value: fmt.Sprintf("%d roles, none with this ARN", len(r.aws.Roles)), Where: r.aws.RolesComplete.String()})
	}
	for _, n := range near {
		ev = append(ev, Evidence{What: "similar role", Value: n, Where: r.roleSource(n)})
	}
	f := Finding{ID: "iam.role_not_found", Severity: Error, Stage: StageAssumeRole,
		Title:  fmt.Sprintf("The role %s does not exist", r.roleUsed),
		Detail: detail, Evidence: ev, Explains: []string{"signin.not_authorized_assume_role"},
		Fix: &Fix{Summary: "Send the ARN of an existing role, exactly.", IdP: idpFix("set the Role value to the exact role ARN, e.g. " + firstOr(near, r.roleUsed) + "," + r.providerUsed + ".")}}
	r.add(f)
}

func firstOr(l []string, def string) string {
	if len(l) > 0 {
		return l[0]
	}
	return def
}

func (r *run) roleSource(arn string) string {
	for _, ro := range r.aws.Roles {
		if ro.ARN == arn {
			return ro.Source.String()
		}
	}
	return ""
}

func (r *run) checkProvider() {
	if pl := r.aws.ProviderList; pl != nil {
		found := false
		var near []string
		for _, a := range pl.ARNs {
			if a == r.providerUsed {
				found = true
			} else if strings.EqualFold(providerName(a), providerName(r.providerUsed)) {
				near = append(near, a)
			}
		}
		if !found {
			ev := []Evidence{{What: "SAML provider in the Role attribute", Value: r.providerUsed, Where: r.attrWhere(assertion.AttrRole)},
				{What: "SAML providers of the account", Value: strings.Join(pl.ARNs, ", "), Where: pl.Source.String()}}
			r.add(Finding{ID: "iam.provider_not_found", Severity: Error, Stage: StageAssumeRole,
				Title:    fmt.Sprintf("The SAML provider %s does not exist", r.providerUsed),
				Detail:   "The Role attribute must name an IAM SAML provider of the role's account, exactly. AWS answers \"Specified provider doesn't exist\".",
				Evidence: ev, Explains: []string{"signin.provider_not_found"},
				Fix: &Fix{Summary: "Name an existing provider in the Role value" + nearText(near) + ", or create the provider from the IdP's metadata.",
					Commands: []string{fmt.Sprintf("aws iam create-saml-provider --name %s --saml-metadata-document file://idp-metadata.xml", providerName(r.providerUsed))},
					IdP:      idpFix("set the Role value's provider ARN to " + firstOr(near, "the provider's exact ARN") + ".")}})
		}
	}
	p := r.provider()
	if p == nil {
		return
	}
	r.checkEncryption(p)
	if p.Metadata == nil {
		return
	}
	ids := p.Metadata.EntityIDs()
	issuers := []string{}
	if r.parsed.Issuer != "" {
		issuers = append(issuers, r.parsed.Issuer)
	}
	if r.assert != nil && r.assert.Issuer != "" && r.assert.Issuer != r.parsed.Issuer {
		issuers = append(issuers, r.assert.Issuer)
	}
	for _, iss := range issuers {
		ok := false
		for _, id := range ids {
			if id == iss {
				ok = true
			}
		}
		if ok {
			continue
		}
		detail := "AWS accepts a response only from an issuer declared (entityID) in the metadata uploaded to the IAM SAML provider."
		for _, id := range ids {
			if strings.TrimSuffix(id, "/") == strings.TrimSuffix(iss, "/") {
				detail += " The two differ only by a trailing '/'."
			}
		}
		r.add(Finding{ID: "iam.issuer_mismatch", Severity: Error, Stage: StageAssumeRole,
			Title:  fmt.Sprintf("The response's issuer %q is not the provider's entity ID", iss),
			Detail: detail,
			Evidence: []Evidence{{What: "Issuer", Value: iss, Where: r.at("/Response/Issuer")},
				{What: "entityID in the provider's metadata", Value: strings.Join(ids, ", "), Where: p.Source.String() + " SAMLMetadataDocument"}},
			Explains: []string{"signin.issuer_not_in_provider"},
			Fix: &Fix{Summary: "Upload the metadata of the identity provider application that signs the agents in (each IdP application has its own issuer).",
				Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --saml-metadata-document file://idp-metadata.xml", r.providerUsed)},
				IdP:      "Download the federation metadata XML of the Amazon Connect application from the IdP and save it as idp-metadata.xml."}})
		break
	}
	r.checkProviderCerts(p)
}

// checkEncryption judges the provider's assertion-encryption setting and
// its own sign-in URL against the message: IAM rejects an unencrypted
// assertion when the provider's AssertionEncryptionMode is Required,
// cannot decrypt without a private key, and gives each provider a sign-in
// URL with its SAMLProviderUUID (https://signin.aws.amazon.com/saml/acs/ID),
// which encrypted assertions must be posted to.
func (r *run) checkEncryption(p *evidence.SAMLProvider) {
	encrypted := r.msg.Decrypted
	src := p.Source.String()
	own := ""
	if p.UUID != "" {
		// On the host the response was posted to (regional or not).
		region := ""
		if si, ok := awsarn.ParseSignIn(r.subject.PostedTo); ok {
			region = si.Region
		}
		own = awsarn.ProviderSignInURL(r.partition(), region, p.UUID)
	}
	encryptSteps := []string{"In the IAM console, open Identity providers > " + providerName(r.providerUsed) + ": download the provider's encryption certificate (SAML encryption section) and its sign-in URL.",
		"At the IdP, turn on assertion encryption for the Amazon Connect application with that certificate."}
	if own != "" {
		encryptSteps = append(encryptSteps, "Set the application's ACS (Reply) URL and the Recipient to "+own+".")
	}
	switch {
	case strings.EqualFold(p.AssertionEncryptionMode, "Required") && !encrypted:
		r.add(Finding{ID: "iam.encryption_required", Severity: Error, Stage: StageAssumeRole,
			Title:  fmt.Sprintf("The SAML provider %s requires encrypted assertions, and this one is not encrypted", providerName(r.providerUsed)),
			Detail: "With AssertionEncryptionMode Required, IAM rejects a response whose assertion is sent in the clear.",
			Evidence: []Evidence{{What: "AssertionEncryptionMode", Value: p.AssertionEncryptionMode, Where: src},
				{What: "Assertion", Value: "not encrypted (saml:Assertion, no saml:EncryptedAssertion)", Where: r.at(r.assert.Path)}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix: &Fix{Summary: "Make the IdP encrypt the assertion for the provider, or, if encryption is not wanted, allow unencrypted assertions.",
				Steps:    encryptSteps,
				Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --assertion-encryption-mode Allowed   # only if encryption is not required by policy", r.providerUsed)}}})
	case encrypted && p.PrivateKeysKnown && len(p.PrivateKeyIDs) == 0:
		r.add(Finding{ID: "iam.no_decryption_key", Severity: Error, Stage: StageAssumeRole,
			Title:  fmt.Sprintf("The assertion is encrypted, but the SAML provider %s holds no private key to decrypt it", providerName(r.providerUsed)),
			Detail: "IAM decrypts assertions with the private keys uploaded to the SAML provider; its PrivateKeyList is empty.",
			Evidence: []Evidence{{What: "EncryptedAssertion", Value: "decrypted here with --sp-key", Where: r.where()},
				{What: "PrivateKeyList", Value: "empty", Where: src}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix: &Fix{Summary: "Upload the private key whose certificate the IdP encrypts with to the SAML provider.",
				Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --add-private-key file://private-key.pem", r.providerUsed)}}})
	}
	if p.UUID == "" || !strings.HasPrefix(p.UUID, "SAML") {
		return // the sign-in URL's ID cannot be compared
	}
	type seenURL struct{ what, url, where string }
	urls := []seenURL{{"POST target", r.subject.PostedTo, r.where()}}
	if c := r.bearer(); c != nil {
		urls = append(urls, seenURL{"Recipient", c.Recipient, r.at(r.assert.Path + "/Subject/SubjectConfirmation/SubjectConfirmationData/@Recipient")})
	}
	for _, u := range urls {
		si, ok := awsarn.ParseSignIn(u.url)
		if !ok {
			continue
		}
		var title, detail, summary string
		switch {
		case si.ProviderID != "" && si.ProviderID != p.UUID:
			title = fmt.Sprintf("The %s is the sign-in URL of another SAML provider (%s), not of %s (%s)", u.what, si.ProviderID, providerName(r.providerUsed), p.UUID)
			detail = "IAM gives each SAML provider its own sign-in URL, ending in the provider's SAMLProviderUUID. The Role attribute names one provider and the URL another; AWS does not document what it does then, and the provider's keys for encrypted assertions are tied to its own URL."
			summary = "Post to the sign-in URL of the provider the Role attribute names: " + own + "."
		case si.ProviderID == "" && encrypted:
			title = fmt.Sprintf("The encrypted assertion went to the shared sign-in URL, not to the provider's own (%s)", own)
			detail = "AWS documents that with SAML encryption the sign-in URL must include the identifier it assigns to the provider."
			summary = "Post encrypted assertions to " + own + "."
		default:
			continue
		}
		r.add(Finding{ID: "iam.provider_signin_url", Severity: Warning, Stage: StageAssumeRole,
			Title: title, Detail: detail,
			Evidence: []Evidence{{What: u.what, Value: u.url, Where: u.where},
				{What: "SAMLProviderUUID", Value: p.UUID, Where: src}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix:      &Fix{Summary: summary, IdP: idpFix("set the ACS (Reply) URL and the Recipient to " + own + ".")}})
		return
	}
}

func nearText(near []string) string {
	if len(near) == 0 {
		return ""
	}
	return " (the account has " + strings.Join(near, ", ") + ")"
}

func providerName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// checkProviderCerts compares the certificates the response was signed
// with (from KeyInfo) and the IdP's current metadata with the provider's.
func (r *run) checkProviderCerts(p *evidence.SAMLProvider) {
	known := map[string]bool{}
	var list []string
	for _, e := range p.Metadata.Entities {
		for _, c := range e.SigningCerts {
			known[c.SHA256] = true
			list = append(list, certName(c))
		}
	}
	if len(known) == 0 || r.has("iam.cert_not_in_provider") {
		return
	}
	for _, sig := range r.parsed.Signatures {
		for _, c := range sig.Certificates {
			if c.SHA256 == "" || known[c.SHA256] {
				continue
			}
			r.add(Finding{ID: "iam.cert_not_in_provider", Severity: Error, Stage: StageAssumeRole,
				Title:  "The response is signed with a certificate the IAM SAML provider does not have",
				Detail: "AWS checks the signature against the certificates in the provider's metadata. This is what happens after the IdP rotates its signing certificate and the provider is not updated (\"Response signature invalid\").",
				Evidence: []Evidence{{What: "signing certificate (KeyInfo)", Value: certName(c), Where: r.at(sig.Covers + "/Signature/KeyInfo")},
					{What: "certificates in the provider's metadata", Value: strings.Join(list, "; "), Where: p.Source.String() + " SAMLMetadataDocument"}},
				Explains: []string{"signin.signature_invalid"},
				Fix: &Fix{Summary: "Update the IAM SAML provider with the IdP's current metadata.",
					Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --saml-metadata-document file://idp-metadata.xml", r.providerUsed)},
					IdP:      "Download the current federation metadata XML of the Amazon Connect application (with the new signing certificate) and save it as idp-metadata.xml."}})
			return
		}
	}
	if md := r.aws.IdPMetadata; md != nil {
		for _, e := range md.Entities {
			for _, c := range e.SigningCerts {
				if c.SHA256 != "" && !known[c.SHA256] {
					r.add(Finding{ID: "iam.cert_not_in_provider", Severity: Warning, Stage: StageAssumeRole,
						Title: "The IdP's metadata has a signing certificate the IAM SAML provider does not have",
						Evidence: []Evidence{{What: "certificate in the IdP's metadata", Value: certName(c), Where: "--idp-metadata"},
							{What: "certificates in the provider's metadata", Value: strings.Join(list, "; "), Where: p.Source.String() + " SAMLMetadataDocument"}},
						Explains: []string{"signin.signature_invalid"},
						Fix: &Fix{Summary: "Update the provider before the IdP starts signing with the new certificate.",
							Commands: []string{fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --saml-metadata-document file://idp-metadata.xml", r.providerUsed)}}})
					return
				}
			}
		}
	}
}

func certName(c assertion.Certificate) string {
	s := c.Subject
	if s == "" {
		s = "certificate"
	}
	if !c.NotAfter.IsZero() {
		s += ", expires " + c.NotAfter.Format("2006-01-02")
	}
	if len(c.SHA256) >= 16 {
		s += ", SHA-256 " + c.SHA256[:16] + "…"
	}
	return s
}

// samlContext is the request context of AssumeRoleWithSAML, as far as the
// assertion tells it.
func (r *run) samlContext() iampolicy.Context {
	ctx := iampolicy.NewContext()
	if c := r.bearer(); c != nil && c.Recipient != "" {
		ctx.Set("saml:aud", c.Recipient)
	}
	if r.subject.Issuer != "" {
		ctx.Set("saml:iss", r.subject.Issuer)
		if r.subject.Account != "" && r.providerUsed != "" {
			sum := sha1.Sum([]byte(r.subject.Issuer + r.subject.Account + "/" + providerName(r.providerUsed)))
			ctx.Set("saml:namequalifier", base64.StdEncoding.EncodeToString(sum[:]))
		}
	}
	if r.assert != nil && r.assert.Subject != nil && r.assert.Subject.NameID != nil {
		n := r.assert.Subject.NameID
		ctx.Set("saml:sub", n.Value)
		t := n.Format
		switch t {
		case "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":
			t = "persistent"
		case "urn:oasis:names:tc:SAML:2.0:nameid-format:transient":
			t = "transient"
		}
		if t != "" {
			ctx.Set("saml:sub_type", t)
		} else {
			ctx.SetAbsent("saml:sub_type")
		}
	}
	if r.subject.Account != "" && r.providerUsed != "" {
		ctx.Set("saml:doc", r.subject.Account+"/"+providerName(r.providerUsed))
	}
	if r.awsView != nil {
		for _, t := range r.awsView.PrincipalTags {
			ctx.Set("aws:RequestTag/"+t.Key, t.Values...)
		}
		if r.awsView.SourceIdentity != "" {
			ctx.Set("sts:SourceIdentity", r.awsView.SourceIdentity)
		} else {
			ctx.SetAbsent("sts:SourceIdentity")
		}
	}
	ctx.Set("sts:RoleSessionName", r.subject.RoleSessionName)
	return ctx
}

func (r *run) bearer() *assertion.SubjectConfirmation {
	if r.assert == nil || r.assert.Subject == nil {
		return nil
	}
	for i, c := range r.assert.Subject.Confirmations {
		if c.Method == assertion.MethodBearer {
			return &r.assert.Subject.Confirmations[i]
		}
	}
	return nil
}

func (r *run) checkTrust() {
	ro := r.role
	trust := []iampolicy.Named{{Name: "trust policy of " + ro.Name, Policy: ro.Trust}}
	who := &iampolicy.Principal{Type: "Federated", ID: r.providerUsed}
	ctx := r.samlContext()
	actions := []string{"sts:AssumeRoleWithSAML"}
	if r.awsView != nil && len(r.awsView.PrincipalTags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if r.awsView != nil && r.awsView.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	var denied, unknown []string
	var ev []Evidence
	for _, act := range actions {
		res := iampolicy.Evaluate(trust, iampolicy.Request{Action: act, Principal: who, Context: ctx})
		switch res.Decision {
		case iampolicy.ImplicitDeny, iampolicy.ExplicitDeny:
			denied = append(denied, act)
			ev = append(ev, Evidence{What: "trust policy verdict for " + act, Value: string(res.Decision) + r.trustWhy(act, res), Where: ro.Source.String() + " AssumeRolePolicyDocument"})
		case iampolicy.Undetermined:
			unknown = append(unknown, act+": "+strings.Join(res.Reasons(), "; "))
		}
	}
	if len(denied) > 0 {
		doc := r.trustPolicyDoc()
		r.add(Finding{ID: "iam.trust_policy_denies", Severity: Error, Stage: StageAssumeRole,
			Title:    fmt.Sprintf("The trust policy of role %s does not allow %s for this sign-in", ro.Name, strings.Join(denied, " and ")),
			Detail:   "The role's trust policy must allow sts:AssumeRoleWithSAML for the Federated principal " + r.providerUsed + ", with conditions the assertion meets (SAML:aud is the assertion's Recipient), plus sts:TagSession when session tags are sent and sts:SetSourceIdentity when a SourceIdentity is sent.",
			Evidence: append(ev, Evidence{What: "SAML:aud (the Recipient)", Value: firstValue(ctx, "saml:aud"), Where: r.at("SubjectConfirmationData/@Recipient")}),
			Explains: []string{"signin.not_authorized_assume_role"},
			Fix: &Fix{Summary: "Replace the role's trust policy with one that trusts the provider for this sign-in.",
				Policy: doc, PolicyFile: "trust-policy.json",
				Commands: []string{fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json", ro.Name)}}})
	} else if len(unknown) > 0 {
		r.add(Finding{ID: "iam.trust_policy_undetermined", Severity: Warning, Stage: StageAssumeRole,
			Title:    fmt.Sprintf("Whether the trust policy of role %s allows this sign-in cannot be settled offline", ro.Name),
			Evidence: []Evidence{{What: "undetermined", Value: strings.Join(unknown, " | "), Where: ro.Source.String() + " AssumeRolePolicyDocument"}}})
	}
}

func firstValue(ctx iampolicy.Context, key string) string {
	if v := ctx.Values[strings.ToLower(key)]; len(v) > 0 {
		return v[0]
	}
	return "(none)"
}

// trustWhy explains a trust-policy denial by the statements that would
// otherwise apply.
func (r *run) trustWhy(action string, res iampolicy.Result) string {
	if len(res.Deny) > 0 {
		return ": denied by " + res.Deny[0].String()
	}
	var why []string
	for _, st := range r.role.Trust.Statements {
		if st.Effect != "Allow" {
			continue
		}
		acts := st.Action
		match := false
		for _, a := range acts {
			if strings.EqualFold(a, action) || a == "*" || strings.EqualFold(a, "sts:*") {
				match = true
			}
		}
		if !match {
			continue
		}
		fed := st.Principal["Federated"]
		if len(fed) > 0 && !contains(fed, r.providerUsed) {
			why = append(why, fmt.Sprintf("statement %d trusts %s, not %s", st.Index+1, strings.Join(fed, ", "), r.providerUsed))
			continue
		}
		for op, keys := range st.Condition {
			for k, vals := range keys {
				why = append(why, fmt.Sprintf("statement %d requires %s %s in [%s]", st.Index+1, k, op, strings.Join(vals, ", ")))
			}
		}
	}
	if len(why) == 0 {
		return ": no statement allows " + action
	}
	return ": " + strings.Join(why, "; ")
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// trustPolicyDoc is the trust policy to use: the provider, the Recipient
// (and the global endpoint) as SAML:aud, and session tags when sent.
func (r *run) trustPolicyDoc() string {
	auds := []string{awsarn.SignInURL(r.partition(), "")}
	if c := r.bearer(); c != nil && c.Recipient != "" && c.Recipient != auds[0] {
		if _, ok := awsarn.ParseSignIn(c.Recipient); ok {
			auds = append(auds, c.Recipient)
		}
	}
	actions := []string{"sts:AssumeRoleWithSAML"}
	if r.awsView != nil && len(r.awsView.PrincipalTags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if r.awsView != nil && r.awsView.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	var action any = actions
	if len(actions) == 1 {
		action = actions[0]
	}
	var aud any = auds
	if len(auds) == 1 {
		aud = auds[0]
	}
	doc := policyDoc{Version: "2012-10-17", Statement: []policyStatement{{
		Effect:    "Allow",
		Principal: map[string]string{"Federated": r.providerUsed},
		Action:    action,
		Condition: map[string]map[string]any{"StringEquals": {"SAML:aud": aud}},
	}}}
	return indentJSON(doc)
}

// policyDoc writes a policy with its elements in the usual order.
type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]string         `json:"Principal,omitempty"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

func indentJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return strings.ReplaceAll(string(b), `\u0026`, "&")
}

// userARN is the resource connect:GetFederationToken is authorised on.
func (r *run) userARN(roleID string) string {
	return awsarn.ConnectUserARN(r.partition(), r.subject.Region, r.subject.Account, r.subject.InstanceID, roleID+":"+r.subject.RoleSessionName)
}

// federationPolicyDoc is the documented permission policy, with the real
// Region, account and instance.
func (r *run) federationPolicyDoc() string {
	return indentJSON(policyDoc{Version: "2012-10-17", Statement: []policyStatement{{
		Sid:      "AllowConnectFederation",
		Effect:   "Allow",
		Action:   "connect:GetFederationToken",
		Resource: awsarn.ConnectUserARN(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.Account, "ACCOUNT-ID"), orX(r.subject.InstanceID, "INSTANCE-ID"), "${aws:userid}"),
	}}})
}

// checkFederation evaluates the role's identity policies for
// connect:GetFederationToken (S5).
func (r *run) checkFederation() {
	ro := r.role
	if ro == nil || r.subject.InstanceID == "" || r.subject.Region == "" || r.subject.Account == "" || r.subject.RoleSessionName == "" {
		return
	}
	if !ro.InlineComplete && !ro.AttachedComplete {
		return
	}
	var policies []iampolicy.Named
	var missing []string
	var names []string
	for _, n := range slices.Sorted(maps.Keys(ro.Inline)) {
		if p := ro.Inline[n]; p != nil {
			policies = append(policies, iampolicy.Named{Name: "inline policy " + n, Policy: p})
			names = append(names, "inline "+n)
		} else {
			missing = append(missing, "inline policy "+n)
		}
	}
	for _, ap := range ro.Attached {
		if mp := r.aws.Policies[ap.ARN]; mp != nil && mp.Default() != nil {
			policies = append(policies, iampolicy.Named{Name: "managed policy " + ap.Name, Policy: mp.Default()})
			names = append(names, ap.ARN)
		} else {
			missing = append(missing, "managed policy "+ap.ARN)
		}
	}
	if !ro.InlineComplete {
		missing = append(missing, "the role's inline policies (list-role-policies)")
	}
	if !ro.AttachedComplete {
		missing = append(missing, "the role's attached policies (list-attached-role-policies)")
	}
	roleID, idKnown := ro.ID, ro.ID != ""
	if !idKnown {
		roleID = "AROA-ROLE-ID"
	}
	ctx := iampolicy.NewContext()
	ctx.Set("aws:userid", roleID+":"+r.subject.RoleSessionName)
	ctx.SetAbsent("aws:username")
	ctx.Set("connect:InstanceId", r.subject.InstanceID)
	ctx.Set("aws:RequestedRegion", r.subject.Region)
	ctx.Set("aws:PrincipalArn", ro.ARN)
	ctx.Set("aws:PrincipalAccount", r.subject.Account)
	ctx.Set("aws:PrincipalType", "AssumedRole")
	if r.awsView != nil {
		for _, t := range r.awsView.PrincipalTags {
			ctx.Set("aws:PrincipalTag/"+t.Key, t.Values...)
		}
		if r.awsView.SourceIdentity == "" {
			ctx.SetAbsent("aws:SourceIdentity")
		}
	}
	if !r.subject.At.IsZero() {
		ctx.Set("aws:CurrentTime", r.subject.At.UTC().Format("2006-01-02T15:04:05Z"))
		ctx.Set("aws:EpochTime", fmt.Sprint(r.subject.At.Unix()))
	}
	req := iampolicy.Request{Action: "connect:GetFederationToken", Resource: r.userARN(roleID), Context: ctx}
	res := iampolicy.Evaluate(policies, req)
	defer func() { r.compareSimulation(res.Decision, req.Resource) }()
	if ro.PermissionsBoundary != "" {
		if mp := r.aws.Policies[ro.PermissionsBoundary]; mp != nil && mp.Default() != nil {
			b := iampolicy.Evaluate([]iampolicy.Named{{Name: "permissions boundary " + ro.PermissionsBoundary, Policy: mp.Default()}}, req)
			res = iampolicy.Intersect(res, b)
		} else {
			missing = append(missing, "the permissions boundary "+ro.PermissionsBoundary)
		}
	}
	checked := Evidence{What: "identity policies evaluated for connect:GetFederationToken on " + r.userARN(roleID), Value: strings.Join(names, ", "), Where: ro.Source.String()}
	if !idKnown {
		checked.Value += " (the role ID is not in the evidence; aws:userid uses a placeholder)"
	}
	fix := &Fix{Summary: fmt.Sprintf("Allow role %s to call connect:GetFederationToken for its users in instance %s.", ro.Name, r.subject.InstanceID),
		Policy: r.federationPolicyDoc(), PolicyFile: "connect-federation-policy.json",
		Commands: []string{fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name AmazonConnectFederation --policy-document file://connect-federation-policy.json", ro.Name)},
		Steps: []string{"Or, to use a managed policy: aws iam create-policy --policy-name AmazonConnectFederation --policy-document file://connect-federation-policy.json, then " +
			fmt.Sprintf("aws iam attach-role-policy --role-name %s --policy-arn arn:%s:iam::%s:policy/AmazonConnectFederation", ro.Name, r.partition(), r.subject.Account)}}
	switch res.Decision {
	case iampolicy.ExplicitDeny:
		var ev []Evidence
		for _, d := range res.Deny {
			ev = append(ev, Evidence{What: "explicit Deny", Value: d.String(), Where: ro.Source.String()})
		}
		r.add(Finding{ID: "iam.federation_token_denied", Severity: Error, Stage: StageFederation,
			Title:    fmt.Sprintf("A Deny in role %s's policies blocks connect:GetFederationToken", ro.Name),
			Detail:   "An explicit Deny wins over any Allow; Connect answers \"Access denied, Please contact your AWS account administrator\".",
			Evidence: append([]Evidence{checked}, ev...), Explains: []string{"connect.access_denied_admin"},
			Fix: &Fix{Summary: "Remove connect:GetFederationToken (or this instance's users) from the Deny statement named above, and keep an Allow like the policy below.",
				Policy: fix.Policy, PolicyFile: fix.PolicyFile, Commands: fix.Commands}})
	case iampolicy.ImplicitDeny:
		if len(missing) > 0 {
			r.add(Finding{ID: "iam.federation_token_undetermined", Severity: Warning, Stage: StageFederation,
				Title:    fmt.Sprintf("No policy known so far lets role %s call connect:GetFederationToken, but some of its policies are missing", ro.Name),
				Evidence: []Evidence{checked, {What: "not in the evidence", Value: strings.Join(missing, "; "), Where: "--aws-data"}},
				Explains: []string{"connect.access_denied_admin"},
				Fix: &Fix{Summary: "Pass every policy of the role so the check can be settled.",
					Commands: []string{"aws iam get-account-authorization-details --filter Role LocalManagedPolicy AWSManagedPolicy > iam.json"}}})
			return
		}
		r.add(Finding{ID: "iam.federation_token_denied", Severity: Error, Stage: StageFederation,
			Title:    fmt.Sprintf("Role %s may not call connect:GetFederationToken for instance %s", ro.Name, r.subject.InstanceID),
			Detail:   "After AWS sign-in, Connect calls connect:GetFederationToken as the role on arn:...:instance/ID/user/${aws:userid}; no policy of the role allows it, so Connect answers \"Access denied, Please contact your AWS account administrator\".",
			Evidence: []Evidence{checked}, Explains: []string{"connect.access_denied_admin"}, Fix: fix})
	case iampolicy.Undetermined:
		r.add(Finding{ID: "iam.federation_token_undetermined", Severity: Warning, Stage: StageFederation,
			Title:    fmt.Sprintf("Whether role %s may call connect:GetFederationToken cannot be settled offline", ro.Name),
			Evidence: []Evidence{checked, {What: "undetermined", Value: strings.Join(res.Reasons(), "; "), Where: ro.Source.String()}},
			Explains: []string{"connect.access_denied_admin"},
			Fix:      &Fix{Summary: "Check with IAM's policy simulator, which knows the live context: " + r.simulateCommand(roleID)}})
	case iampolicy.Allowed:
		if r.symptoms["connect.access_denied_admin"] {
			var al []string
			for _, a := range res.Allow {
				al = append(al, a.String())
			}
			r.add(Finding{ID: "iam.federation_token_allowed", Severity: Info, Stage: StageFederation,
				Title:    fmt.Sprintf("Role %s's own policies allow connect:GetFederationToken", ro.Name),
				Detail:   "The denial then comes from outside the role's policies: an organization SCP or RCP, a Region restriction, or the instance (see the other findings).",
				Evidence: []Evidence{checked, {What: "allowed by", Value: strings.Join(al, ", "), Where: ro.Source.String()}},
				Fix:      &Fix{Summary: "Check the organization's SCPs for connect:GetFederationToken or a Region restriction; IAM's simulator includes SCPs: " + r.simulateCommand(roleID)}})
		}
	}
}

func (r *run) simulateCommand(roleID string) string {
	return fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names connect:GetFederationToken --resource-arns %s --context-entries ContextKeyName=aws:userid,ContextKeyValues=%s,ContextKeyType=string",
		r.roleUsed, r.userARN(roleID), roleID+":"+r.subject.RoleSessionName)
}
