package diagnose

import (
	"net/url"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// idpFixKinds maps findings whose fix is at the identity provider to the
// kind of change (see internal/idp).
var idpFixKinds = map[string]string{
	"aws.role_missing":               "role",
	"aws.role_malformed":             "role",
	"aws.role_multiple":              "role",
	"iam.role_not_found":             "role",
	"iam.provider_not_found":         "role",
	"connect.role_changed":           "role",
	"aws.session_name_missing":       "rolesessionname",
	"aws.session_name_invalid":       "rolesessionname",
	"connect.user_not_found":         "rolesessionname",
	"connect.username_case_mismatch": "rolesessionname-case",
	"saml.audience_invalid":          "audience",
	"saml.recipient_invalid":         "acs",
	"aws.relay_state_missing":        "relaystate",
	"aws.relay_state_invalid":        "relaystate",
	"iam.issuer_mismatch":            "metadata",
	"iam.cert_not_in_provider":       "metadata",
	"saml.cert_expired":              "metadata",
	"saml.unsigned":                  "signing",
	"saml.weak_algorithm":            "signing-algorithm",
	"saml.nameid_missing":            "nameid",
	"saml.status_failed":             "assignment",
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
	d := idp.Detect(r.observations())
	r.res.IdP = &d
	if d.Product == idp.Unknown {
		return
	}
	v := r.idpValues()
	for i := range r.res.Findings {
		f := &r.res.Findings[i]
		kind, ok := idpFixKinds[f.ID]
		if !ok || f.Fix == nil {
			continue
		}
		if kind == "rolesessionname" || kind == "rolesessionname-case" {
			v.ConnectUser = r.connectUserFor(f)
			v.CaseTransform = ""
			switch u := v.ConnectUser; {
			case u == "":
			case u == strings.ToLower(u) && strings.EqualFold(u, r.subject.RoleSessionName):
				v.CaseTransform = "lower"
			case u == strings.ToUpper(u) && strings.EqualFold(u, r.subject.RoleSessionName):
				v.CaseTransform = "upper"
			}
		}
		steps, docs, ok := idp.Steps(d.Product, kind, v)
		if !ok {
			continue
		}
		f.Fix.IdPProduct, f.Fix.IdPSteps, f.Fix.IdPDocs = d.Name, steps, docs
	}
}

// connectUserFor is the Connect user name the IdP should send, from the
// finding's evidence.
func (r *run) connectUserFor(f *Finding) string {
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.What, "Connect user differing only by case") || e.What == "similar user name" {
			name, _, _ := strings.Cut(e.Value, " (")
			return name
		}
	}
	return ""
}

func (r *run) idpValues() idp.Values {
	fed := awsarn.FederationURL(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.InstanceID, "INSTANCE-ID"))
	once := url.QueryEscape(fed)
	return idp.Values{
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
