package diagnose

import (
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// manualIdPKinds maps findings whose fix is made by hand at the identity
// provider (no change samldoctor can model) to the kind of product steps
// (see internal/idp).
var manualIdPKinds = map[string]string{
	"saml.unsigned":       "signing",
	"saml.weak_algorithm": "signing-algorithm",
	"saml.nameid_missing": "nameid",
	"saml.status_failed":  "assignment",
	"saml.cert_expired":   "metadata",
	// An IdP's error page: the setting its code names.
	"idp.user_not_assigned":  "assignment",
	"idp.reply_url_mismatch": "acs",
	"idp.app_not_found":      "audience",
}

// observations gathers what in the capture may name the IdP product.
func (r *run) observations() []idp.Observation {
	var obs []idp.Observation
	add := func(kind, value, where string) {
		if value != "" {
			obs = append(obs, idp.Observation{Kind: kind, Value: value, Where: where})
		}
	}
	if md := r.aws.IdPMetadata; md != nil {
		for _, id := range md.EntityIDs() {
			add("issuer", id, "--idp-metadata entityID")
		}
	}
	for _, p := range r.in.Capture.Pages {
		if p.Stage == "idp" {
			add("host", hostOfURL(p.URL), pageWhere(p))
			add("url", p.URL, pageWhere(p))
			for _, e := range p.Errors {
				add("error-page", e.Code, pageWhere(p))
			}
		}
	}
	if r.msg == nil {
		return obs
	}
	for _, p := range r.msg.Seen {
		if p.Where == "html-form" && !awsarn.IsSignInHost(hostOfURL(p.URL)) {
			add("host", hostOfURL(p.URL), placeWhere(p))
			add("url", p.URL, placeWhere(p))
		}
	}
	x := r.parsed
	if x == nil {
		return obs
	}
	add("issuer", x.Issuer, r.at("/Response/Issuer"))
	add("id", x.ID, r.at("/Response/@ID"))
	add("wrapped", x.Wrapper, r.where())
	for _, a := range x.Assertions {
		add("issuer", a.Issuer, r.at(a.Path+"/Issuer"))
		add("id", a.ID, r.at(a.Path+"/@ID"))
		for _, at := range a.Attributes {
			add("attribute", at.Name, r.at(a.Path+"/AttributeStatement"))
		}
	}
	for _, s := range x.Signatures {
		for _, c := range s.Certificates {
			add("cert", c.Subject, r.at(s.Covers+"/Signature/KeyInfo"))
		}
	}
	return obs
}

func hostOfURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

// applyIdP names the product and rewrites the IdP part of each fix in its
// terms, with the values of this sign-in.
func (r *run) applyIdP() {
	if r.res.IdP == nil {
		r.detectIdP()
	}
	d := *r.res.IdP
	if d.Product == idp.Unknown {
		return
	}
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		if f.Fix != nil {
			r.productFacts(d, f.ID, f.Fix)
		}
		for j := range f.Alternatives {
			r.productFacts(d, f.ID, &f.Alternatives[j])
		}
	}
}

// productFacts gives a fix what its IdP steps are rendered with in the
// product's terms: the product, this sign-in's values, what the IdP sent
// (every source, when a change names one), and for a manual step at the IdP the
// kind of steps it takes.
func (r *run) productFacts(d idp.Detection, id string, fx *Fix) {
	if r.subject == nil {
		return // no sign-in to fill the steps with
	}
	if fx.Product != nil {
		return // made with its own values (another attempt's)
	}
	fx.Product, fx.IdPValues = &d, r.idpValues()
	if len(fx.Changes) == 0 {
		fx.ProductKind = manualIdPKinds[id]
	}
	for _, c := range fx.Changes {
		if sa, ok := c.(fix.SetAttribute); ok && sa.Source != "" {
			// Every source, not only the one named: a product's
			// expression binds its variables from all of them
			// (idp.WithExpression).
			fx.Sent = r.sentValues()
		}
	}
}

// detectIdP names the product from the capture's evidence, before the
// fixes are checked: what the product can do decides which fix comes
// first.
func (r *run) detectIdP() {
	d := idp.Detect(r.observations())
	r.res.IdP = &d
}

// cannotTransform reports whether the product the capture shows has no
// case function for the change's transformation.
func (r *run) cannotTransform(c fix.Change) bool {
	sa, ok := c.(fix.SetAttribute)
	if !ok || sa.Transform == "" || r.res.IdP == nil {
		return false
	}
	p := idp.Lookup(r.res.IdP.Product)
	return p != nil && p.NoCaseTransform
}

func (r *run) idpValues() idp.Values {
	fed := awsarn.FederationURL(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.InstanceID, "INSTANCE-ID"))
	once := url.QueryEscape(fed)
	agentAttr, agentValue := fix.IdentityAttribute(r.assert)
	if agentAttr == "" && r.subject.RoleSessionName != "" {
		// No attribute equals the NameID: the agent is told apart by the
		// RoleSessionName the IdP sends them today.
		agentAttr, agentValue = assertion.AttrRoleSessionName, r.subject.RoleSessionName
	}
	entity, link := r.spEntity()
	return idp.Values{
		AgentAttr:               agentAttr,
		AgentValue:              agentValue,
		SPEntity:                entity,
		SPEntityEncoded:         url.QueryEscape(entity),
		StartLink:               link,
		Variant:                 r.idpVariant(),
		RoleSessionName:         r.subject.RoleSessionName,
		RolePair:                r.rolePairExample(),
		RoleArn:                 orX(r.roleUsed, "ROLE-ARN"),
		ProviderArn:             orX(r.providerUsed, "PROVIDER-ARN"),
		Account:                 orX(r.subject.Account, "ACCOUNT-ID"),
		ACS:                     r.acsURL(),
		Audience:                awsarn.Audiences(r.partition())[0],
		RelayState:              fed,
		RelayStateEncoded:       once,
		RelayStateDoubleEncoded: url.QueryEscape(once),
	}
}

// spEntity is the AWS application's entity as the IdP knows it: the
// entity in the IdP-initiated link the agent started from (SimpleSAMLphp's
// spentityid, AD FS's loginToRp), else the audience the assertion names
// today; and that link.
func (r *run) spEntity() (entity, link string) {
	for _, p := range r.in.Capture.Pages {
		u, err := url.Parse(p.URL)
		if err != nil || awsarn.IsSignInHost(strings.ToLower(u.Hostname())) {
			continue
		}
		q := u.Query()
		for _, k := range []string{"spentityid", "loginToRp"} {
			if e := q.Get(k); e != "" {
				return e, p.URL
			}
		}
	}
	if r.assert != nil && r.assert.Conditions != nil && len(r.assert.Conditions.Audiences) > 0 {
		return r.assert.Conditions.Audiences[0], ""
	}
	return "urn:amazon:webservices", ""
}

// idpVariant is the product's application variant the capture shows:
// Okta's AWS Account Federation catalog app starts at /home/amazon_aws/.
func (r *run) idpVariant() string {
	for _, p := range r.in.Capture.Pages {
		if u, err := url.Parse(p.URL); err == nil && strings.HasPrefix(u.Path, "/home/amazon_aws/") {
			return "aws-account-federation"
		}
	}
	return ""
}
