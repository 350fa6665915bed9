package diagnose

import (
	"net/url"
	"slices"
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
			r.productSteps(d, f.ID, f.Fix)
		}
		for j := range f.Alternatives {
			r.productSteps(d, f.ID, &f.Alternatives[j])
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

// productSteps writes the fix's IdP change in the product's own terms,
// with the values the change sets (or, for a manual fix, this sign-in's).
func (r *run) productSteps(d idp.Detection, id string, fx *Fix) {
	if len(fx.IdPSteps) > 0 {
		return // already in the product's terms: a pitfall of its own app (idpproducts.go)
	}
	if len(fx.Changes) == 0 {
		kind, ok := manualIdPKinds[id]
		if !ok {
			return
		}
		v := r.idpValues()
		if !configSafe(v) {
			return
		}
		if steps, docs, found := idp.Steps(d.Product, kind, v); found {
			fx.IdPProduct, fx.IdPSteps, fx.IdPDocs = d.Name, steps, docs
			fx.IdPCode = idp.CodeSteps(d.Product, kind)
		}
		return
	}
	// Every change made at the IdP, in order, in the product's terms; a
	// change the product's data has no steps for keeps its plain words.
	var steps []string
	var code []int
	docs, inProduct, clock := "", false, false
	for _, c := range fx.Changes {
		kind, ok := idpKind(c)
		if sr, isRoles := c.(fix.SendRoles); isRoles && len(sr.Roles) != 1 {
			ok = false // the products' steps send one value; several keep the plain words
		}
		if !ok {
			if fix.Where(c) == "idp" {
				steps = append(steps, capitalise(strings.TrimPrefix(r.describe(c), "At the IdP, ")))
			}
			continue
		}
		v, kind := r.idpValuesFor(d.Product, c, kind)
		if !configSafe(v) {
			return // a value that would break out of the product's syntax: the generic step stays
		}
		ps, pdocs, found := idp.Steps(d.Product, kind, v)
		if !found {
			if fix.Where(c) == "idp" {
				steps = append(steps, capitalise(strings.TrimPrefix(r.describe(c), "At the IdP, ")))
			}
			continue
		}
		for _, k := range idp.CodeSteps(d.Product, kind) {
			code = append(code, len(steps)+k)
		}
		steps = append(steps, ps...)
		inProduct = true
		clock = clock || kind == "clock"
		if docs == "" {
			docs = pdocs
		}
	}
	if !inProduct {
		return
	}
	fx.IdPProduct, fx.IdPSteps, fx.IdPDocs, fx.IdPCode = d.Name, steps, docs, code
	if clock {
		// The product's own steps say how its server keeps time.
		fx.Steps = slices.DeleteFunc(fx.Steps, func(s string) bool { return s == clockByOS })
	}
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

// configSafe reports whether the values drawn from the capture can be
// written into a product's configuration text (PHP strings, claim rules,
// expressions) as they are: no quote, backslash, dollar or control
// character that would end the string or run code there.
func configSafe(v idp.Values) bool {
	for _, s := range []string{v.Source, v.SourceValue, v.AgentAttr, v.AgentValue, v.SPEntity, v.ConnectUser, v.RolePair} {
		if strings.ContainsAny(s, "'\"\\$`\x00\r\n") {
			return false
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// capitalise starts a sentence with a capital letter.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
