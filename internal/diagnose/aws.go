package diagnose

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/catalog"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
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
		r.add(Finding{ID: "iam.reserved_sso_role", Severity: Error,
			Title:    "The Role value is an IAM Identity Center permission-set role, which SAML federation cannot assume",
			Evidence: []Evidence{{What: "role", Value: r.roleUsed, Where: r.attrWhere(assertion.AttrRole)}},
			Explains: []string{"signin.issuer_not_in_provider", "signin.not_authorized_assume_role"},
			Fix: &Fix{Summary: "Create a dedicated IAM role for Connect federation that trusts the IAM SAML provider, and send its ARN in the Role attribute.",
				IdPText: "send that role's ARN in the Role attribute, with the IAM SAML provider made from the application's metadata (in IAM Identity Center: a custom SAML 2.0 application for Amazon Connect, not a permission set).",
				Check:   &fix.Check{Result: fix.NotChecked, Why: "the new role does not exist yet, so there is nothing to diagnose it against"}}})
		return
	}
	if r.role == nil {
		r.roleNotFound(ra)
		return
	}
	if r.has("iam.provider_not_found") {
		// AWS stops at the missing provider; a trust policy naming it
		// would not help, and must not be proposed.
		r.covered[catalog.StageAssumeRole] = true
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
	r.covered[catalog.StageAssumeRole] = true
	ev := []Evidence{{What: "role in the Role attribute", Value: r.roleUsed, Where: r.attrWhere(assertion.AttrRole)}}
	detail := "AWS cannot assume a role that does not exist; role names are case-sensitive and the path is part of the ARN."
	if r.aws.RolesComplete != nil {
		ev = append(ev, Evidence{What: "roles of the account", Value: fmt.Sprintf("%d roles, none with this ARN", len(r.aws.Roles)), Where: r.aws.RolesComplete.String()})
	}
	for _, n := range near {
		ev = append(ev, Evidence{What: "similar role", Value: n, Where: r.roleSource(n)})
	}
	f := Finding{ID: "iam.role_not_found", Severity: Error,
		Title:  fmt.Sprintf("The role %s does not exist", r.roleUsed),
		Detail: detail, Evidence: ev, Explains: []string{"signin.not_authorized_assume_role"}}
	if len(near) > 0 {
		f.Fix = r.newFix(fmt.Sprintf("Send the existing role's exact ARN, %s.", near[0]), fix.SendRoles{Roles: []string{rolePair(near[0], r.providerUsed)}})
	} else {
		f.Fix = &Fix{Summary: "Send the ARN of an existing role, exactly.", IdPText: "set the Role value to the exact ARN of the Connect federation role, with " + r.providerUsed + ".",
			Check: &fix.Check{Result: fix.NotChecked, Why: "no role of the account is close to the one sent, so which role is meant is not in the evidence"}}
	}
	r.add(f)
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
			} else if strings.EqualFold(awsarn.ProviderName(a), awsarn.ProviderName(r.providerUsed)) {
				near = append(near, a)
			}
		}
		if !found {
			ev := []Evidence{{What: "SAML provider in the Role attribute", Value: r.providerUsed, Where: r.attrWhere(assertion.AttrRole)},
				{What: "SAML providers of the account", Value: strings.Join(pl.ARNs, ", "), Where: pl.Source.String()}}
			r.providerNotFound(ev, pl.ARNs, near)
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
		r.add(Finding{ID: "iam.issuer_mismatch", Severity: Error,
			Title:  fmt.Sprintf("The response's issuer %q is not the provider's entity ID", iss),
			Detail: detail,
			Evidence: []Evidence{{What: "Issuer", Value: iss, Where: r.at("/Response/Issuer")},
				{What: "entityID in the provider's metadata", Value: strings.Join(ids, ", "), Where: p.Source.String() + " SAMLMetadataDocument"}},
			Explains: []string{"signin.issuer_not_in_provider"},
			Fix:      r.newFix("Upload the metadata of the identity provider application that signs the agents in (each IdP application has its own issuer).", fix.UpdateProviderMetadata{Provider: r.providerUsed})})
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
	download := "In the IAM console, open Identity providers > " + awsarn.ProviderName(r.providerUsed) + ": download the provider's encryption certificate (SAML encryption section) and note its sign-in URL."
	encryptChanges := []fix.Change{fix.EncryptAssertion{Provider: r.providerUsed}}
	if own != "" {
		encryptChanges = append(encryptChanges, fix.SetACS{Value: own})
	}
	encryptFix := r.newFix("Make the IdP encrypt the assertion for the provider's encryption certificate.", encryptChanges...)
	encryptFix.Before = append([]string{download}, encryptFix.Before...)
	switch {
	case strings.EqualFold(p.AssertionEncryptionMode, "Required") && !encrypted:
		r.add(Finding{ID: "iam.encryption_required", Severity: Error,
			Title: fmt.Sprintf("The SAML provider %s requires encrypted assertions, and this one is not encrypted", awsarn.ProviderName(r.providerUsed)),
			Evidence: []Evidence{{What: "AssertionEncryptionMode", Value: p.AssertionEncryptionMode, Where: src},
				{What: "Assertion", Value: "not encrypted (saml:Assertion, no saml:EncryptedAssertion)", Where: r.at(r.assert.Path)}},
			Explains:     []string{"signin.invalid_saml_response"},
			Fix:          encryptFix,
			Alternatives: []Fix{*r.newFix("Only if encryption is not required by your policy: allow unencrypted assertions.", fix.SetEncryptionMode{Provider: r.providerUsed, Value: "Allowed"})}})
	case encrypted && p.PrivateKeysKnown && len(p.PrivateKeyIDs) == 0:
		r.add(Finding{ID: "iam.no_decryption_key", Severity: Error,
			Title: fmt.Sprintf("The assertion is encrypted, but the SAML provider %s holds no private key to decrypt it", awsarn.ProviderName(r.providerUsed)),
			Evidence: []Evidence{{What: "EncryptedAssertion", Value: "decrypted here with --sp-key", Where: r.where()},
				{What: "PrivateKeyList", Value: "empty", Where: src}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix:      r.newFix("Upload the private key whose certificate the IdP encrypts with to the SAML provider.", fix.AddPrivateKey{Provider: r.providerUsed})})
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
			title = fmt.Sprintf("The %s is the sign-in URL of another SAML provider (%s), not of %s (%s)", u.what, si.ProviderID, awsarn.ProviderName(r.providerUsed), p.UUID)
			detail = "IAM gives each SAML provider its own sign-in URL, ending in the provider's SAMLProviderUUID. The Role attribute names one provider and the URL another; AWS does not document what it does then, and the provider's keys for encrypted assertions are tied to its own URL."
			summary = "Post to the sign-in URL of the provider the Role attribute names: " + own + "."
		case si.ProviderID == "" && encrypted:
			title = fmt.Sprintf("The encrypted assertion went to the shared sign-in URL, not to the provider's own (%s)", own)
			detail = "AWS documents that with SAML encryption the sign-in URL must include the identifier it assigns to the provider."
			summary = "Post encrypted assertions to " + own + "."
		default:
			continue
		}
		r.add(Finding{ID: "iam.provider_signin_url", Severity: Warning,
			Title: title, Detail: detail,
			Evidence: []Evidence{{What: u.what, Value: u.url, Where: u.where},
				{What: "SAMLProviderUUID", Value: p.UUID, Where: src}},
			Explains: []string{"signin.invalid_saml_response"},
			Fix:      r.newFix(summary, fix.SetACS{Value: own})})
		return
	}
}

// providerNotFound explains a Role value naming a provider that does not
// exist. The fix sends a provider that exists, preferring one the role's
// trust policy already trusts, then one named almost the same; creating a
// provider comes after.
func (r *run) providerNotFound(ev []Evidence, existing, near []string) {
	f := Finding{ID: "iam.provider_not_found", Severity: Error,
		Title:    fmt.Sprintf("The SAML provider %s does not exist", r.providerUsed),
		Detail:   "The Role attribute must name an IAM SAML provider of the role's account, exactly. AWS answers \"Specified provider doesn't exist\".",
		Evidence: ev, Explains: []string{"signin.provider_not_found"}}
	var trusted []string
	for _, ro := range r.aws.Roles {
		if ro.ARN != r.roleUsed || ro.Trust == nil {
			continue
		}
		for _, st := range ro.Trust.Statements {
			for _, p := range st.Principal["Federated"] {
				if st.Effect == "Allow" && allowsAction(st, "sts:AssumeRoleWithSAML") && slices.Contains(existing, p) && !slices.Contains(trusted, p) {
					trusted = append(trusted, p)
					f.Evidence = append(f.Evidence, Evidence{What: fmt.Sprintf("role %s trusts the existing provider", ro.Name), Value: p, Where: ro.Source.String() + " AssumeRolePolicyDocument"})
				}
			}
		}
	}
	create := r.newFix("Create the provider "+awsarn.ProviderName(r.providerUsed)+" from the IdP's metadata.", fix.CreateProvider{Provider: r.providerUsed})
	switch use := append(trusted, near...); {
	case len(use) > 0:
		f.Fix = r.newFix(fmt.Sprintf("Send the existing provider %s in the Role value instead.", use[0]), fix.SendRoles{Roles: []string{rolePair(r.roleUsed, use[0])}})
		f.Alternatives = []Fix{*create}
	default:
		f.Fix = create
	}
	r.add(f)
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
			r.add(Finding{ID: "iam.cert_not_in_provider", Severity: Error,
				Title:  "The response is signed with a certificate the IAM SAML provider does not have",
				Detail: "AWS checks the signature against the certificates in the provider's metadata. This is what happens after the IdP rotates its signing certificate and the provider is not updated (\"Response signature invalid\").",
				Evidence: []Evidence{{What: "signing certificate (KeyInfo)", Value: certName(c), Where: r.at(sig.Covers + "/Signature/KeyInfo")},
					{What: "certificates in the provider's metadata", Value: strings.Join(list, "; "), Where: p.Source.String() + " SAMLMetadataDocument"}},
				Explains: []string{"signin.signature_invalid"},
				Fix:      r.newFix("Update the IAM SAML provider with the IdP's current metadata.", fix.UpdateProviderMetadata{Provider: r.providerUsed})})
			return
		}
	}
	if md := r.aws.IdPMetadata; md != nil {
		for _, e := range md.Entities {
			for _, c := range e.SigningCerts {
				if c.SHA256 != "" && !known[c.SHA256] {
					r.add(Finding{ID: "iam.cert_not_in_provider", Severity: Warning,
						Title: "The IdP's metadata has a signing certificate the IAM SAML provider does not have",
						Evidence: []Evidence{{What: "certificate in the IdP's metadata", Value: certName(c), Where: "--idp-metadata"},
							{What: "certificates in the provider's metadata", Value: strings.Join(list, "; "), Where: p.Source.String() + " SAMLMetadataDocument"}},
						Explains: []string{"signin.signature_invalid"},
						Fix:      r.newFix("Update the provider before the IdP starts signing with the new certificate.", fix.UpdateProviderMetadata{Provider: r.providerUsed})})
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
	} else if r.auditAud != "" {
		ctx.Set("saml:aud", r.auditAud)
	}
	if r.subject.Issuer != "" {
		ctx.Set("saml:iss", r.subject.Issuer)
		if r.subject.Account != "" && r.providerUsed != "" {
			sum := sha1.Sum([]byte(r.subject.Issuer + r.subject.Account + "/" + awsarn.ProviderName(r.providerUsed)))
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
		ctx.Set("saml:doc", r.subject.Account+"/"+awsarn.ProviderName(r.providerUsed))
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
	if r.subject.RoleSessionName != AuditAgent {
		// An audit judges for any agent: a condition on the session
		// name stays undetermined.
		ctx.Set("sts:RoleSessionName", r.subject.RoleSessionName)
	}
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

// userARN is the resource connect:GetFederationToken is authorised on.
func (r *run) userARN(roleID string) string {
	return awsarn.ConnectUserARN(r.partition(), r.subject.Region, r.subject.Account, r.subject.InstanceID, roleID+":"+r.subject.RoleSessionName)
}

func (r *run) simulateCommand(roleID string) string {
	return fmt.Sprintf("aws iam simulate-principal-policy --policy-source-arn %s --action-names connect:GetFederationToken --resource-arns %s --context-entries ContextKeyName=aws:userid,ContextKeyValues=%s,ContextKeyType=string",
		q(r.roleUsed), q(r.userARN(roleID)), q(roleID+":"+r.subject.RoleSessionName))
}
