package diagnose

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// The IdP products' own pitfalls, each a known cause of a finding the
// stages already make, told in the product's terms: Okta's AWS Account
// Federation catalog app (its Group Filter, Role Value Pattern, Identity
// Provider ARN and SAML User Roles), Entra ID's AWS Single-Account Access
// gallery app (its role import, and assignments without a role), AD FS's
// IdP-initiated sign-on without a RelayState, and IAM Identity Center as
// the IdP (its portal's error pages, and an external IdP's NameID).

// productPitfalls adds to the findings what the product and the evidence
// tell of their cause.
func (r *run) productPitfalls() {
	d := idp.Detect(r.observations())
	switch d.Product {
	case "okta":
		if start, ok := r.capturedURL(oktaAWSAppRE); ok {
			r.oktaAWSApp(start)
		}
	case "entra":
		r.entraAWSApp()
	case "adfs":
		r.adfsRelayState()
	case "iam-identity-center":
		r.identityCenterNameID()
	}
}

// capturedURL is the first URL of the capture (a page, or a place a
// message was seen) that matches re.
func (r *run) capturedURL(re *regexp.Regexp) (string, bool) {
	for _, p := range r.in.Capture.Pages {
		if re.MatchString(p.URL) {
			return p.URL, true
		}
	}
	for _, m := range r.in.Capture.Messages {
		for _, p := range m.Seen {
			if re.MatchString(p.URL) {
				return p.URL, true
			}
		}
	}
	return "", false
}

// finding returns the finding of an id, nil when there is none.
func (r *run) finding(id string) *Finding {
	for i := range r.res.Findings {
		if r.res.Findings[i].ID == id {
			return &r.res.Findings[i]
		}
	}
	return nil
}

// addSteps appends steps to a fix, once.
func addSteps(f *Fix, steps ...string) {
	if f == nil {
		return
	}
	for _, s := range steps {
		if !slices.Contains(f.After, s) {
			f.After = append(f.After, s)
		}
	}
}

// oktaAWSAppRE is Okta's AWS Account Federation catalog app: its launch
// URL (/home/amazon_aws/APP-ID/...) and its SSO URL
// (/app/amazon_aws/EXTERNAL-KEY/sso/saml).
var oktaAWSAppRE = regexp.MustCompile(`^https://[^/]+/(home|app)/amazon_aws/`)

// groupFilterRoleRE is what the default Group Filter of Okta's AWS app
// captures as the role name ([\w\-]+): a name with any other character IAM
// allows (+=,.@) is dropped.
var groupFilterRoleRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

const oktaAWSDocs = "https://help.okta.com/en-us/content/topics/deploymentguides/aws/aws-enable-role-based.htm"

// oktaAWSApp explains a missing or malformed Role from Okta's AWS Account
// Federation app by its own settings.
func (r *run) oktaAWSApp(start string) {
	seen := Evidence{What: "Okta's AWS Account Federation app (amazon_aws)", Value: start, Where: r.urlWhere(start)}
	if f := r.finding("aws.role_missing"); f != nil && r.awsView != nil && len(r.awsView.NearMisses) == 0 {
		f.Evidence = append(f.Evidence, seen)
		f.Detail += " Okta's AWS Account Federation app sends one Role value for each SAML User Role of the user's assignment, or, with Use Group Mapping, for each of the user's groups that its Group Filter matches; it sent none. " +
			"Either the user (or their group) is assigned to the app without a SAML User Role (Applications > AWS Account Federation > Assignments > the user > Edit > SAML User Roles), " +
			"or none of the user's groups matches the Group Filter (Sign On > Settings > Advanced Sign-on Settings): the default one, ^aws\\#\\S+\\#(?{{role}}[\\w\\-]+)\\#(?{{accountid}}\\d+)$, takes role names of letters, digits, _ and - only, so the group of a role named with '.', '+', '=', ',' or '@' is dropped (" + oktaAWSDocs + ")."
		dropped := r.rolesDroppedByGroupFilter()
		for _, ro := range dropped {
			f.Evidence = append(f.Evidence, Evidence{What: "role that trusts the provider, named with a character the default Group Filter drops", Value: ro.ARN, Where: ro.Source.String()})
		}
		if len(dropped) == 1 && (f.Fix == nil || len(f.Fix.Changes) == 0) {
			if p := r.providerTrusted(dropped[0]); p != "" {
				f.Fix = r.newFix(fmt.Sprintf("Make Okta send the role its Group Filter drops, %s: the Role value %s.", dropped[0].Name, rolePair(dropped[0].ARN, p)), fix.SendRoles{Roles: []string{rolePair(dropped[0].ARN, p)}})
			}
		}
		oktaSteps(f.Fix, "In the Okta Admin Console, Applications > AWS Account Federation > Assignments: edit the agent's (or their group's) assignment and select the Connect role under SAML User Roles.",
			"With Use Group Mapping (Sign On > Settings > Edit > Advanced Sign-on Settings), make the Group Filter take every character IAM allows in a role name, for example ^aws\\#\\S+\\#(?{{role}}[\\w+=,.@\\-]+)\\#(?{{accountid}}\\d+)$, or the other documented form aws_(?{{accountid}}\\d+)_(?{{role}}[a-zA-Z0-9+=,.@\\-_]+).")
	}
	if f := r.finding("aws.role_malformed"); f != nil && r.awsView != nil {
		var why []string
		for _, ro := range r.awsView.Roles {
			switch v := ro.Value; {
			case strings.Contains(v, "${") || strings.Contains(v, "{{"):
				why = append(why, fmt.Sprintf("%q has a placeholder of the Role Value Pattern left in it: the Group Filter did not capture it (its named groups must be {{role}} and {{accountid}})", v))
			case strings.Contains(v, "[SAML Provider Name]"):
				why = append(why, fmt.Sprintf("%q still holds [SAML Provider Name] from the documented Role Value Pattern: put the IAM SAML provider's name there", v))
			case ro.Problem != "" && ro.RoleArn != "" && ro.ProviderArn == "":
				why = append(why, fmt.Sprintf("%q has no SAML provider ARN: the app's Identity Provider ARN field (Sign On > Settings > Advanced Sign-on Settings, \"Required only for SAML SSO\") is empty or not the provider's ARN", v))
			}
		}
		if len(why) > 0 {
			f.Evidence = append(f.Evidence, seen)
			f.Detail += " Okta's AWS Account Federation app builds each Role value from its settings (Sign On > Settings > Advanced Sign-on Settings): the Identity Provider ARN, and with Use Group Mapping the Role Value Pattern arn:aws:iam::${accountid}:saml-provider/[SAML Provider Name],arn:aws:iam::${accountid}:role/${role} filled from the Group Filter's captures. " +
				strings.Join(why, "; ") + " (" + oktaAWSDocs + ")."
			oktaSteps(f.Fix, "In the Okta Admin Console, Applications > AWS Account Federation > Sign On > Settings > Edit > Advanced Sign-on Settings: set Identity Provider ARN to the IAM SAML provider's ARN, and with Use Group Mapping check that the Group Filter captures {{role}} and {{accountid}} and that the Role Value Pattern names the provider.")
		}
	}
}

// oktaSteps gives a fix's IdP steps in the terms of Okta's AWS Account
// Federation app, whose Role comes from its own settings, not from
// attribute statements.
func oktaSteps(f *Fix, steps ...string) {
	if f == nil {
		return
	}
	f.ProductName, f.ProductDocs = "Okta (AWS Account Federation app)", oktaAWSDocs
	for _, s := range steps {
		if !slices.Contains(f.ProductSteps, s) {
			f.ProductSteps = append(f.ProductSteps, s)
		}
	}
}

// rolesDroppedByGroupFilter are the roles of the evidence that trust one
// of the sign-in's possible providers and whose names Okta's default
// Group Filter does not take.
func (r *run) rolesDroppedByGroupFilter() []*evidence.Role {
	var out []*evidence.Role
	for _, ro := range r.aws.Roles {
		if ro.Name != "" && !groupFilterRoleRE.MatchString(ro.Name) && r.providerTrusted(ro) != "" {
			out = append(out, ro)
		}
	}
	return out
}

// issuerProviders are the IAM SAML providers the sign-in's issuer may be:
// the ones whose metadata declares it, else every provider the account
// lists.
func (r *run) issuerProviders() []string {
	var out []string
	if r.subject != nil && r.subject.Issuer != "" {
		for _, p := range r.aws.Providers {
			if p.Metadata != nil && slices.Contains(p.Metadata.EntityIDs(), r.subject.Issuer) && p.ARN != "" {
				out = append(out, p.ARN)
			}
		}
	}
	if len(out) == 0 && r.aws.ProviderList != nil {
		out = slices.Clone(r.aws.ProviderList.ARNs)
	}
	return out
}

// providerTrusted is the issuer's provider a role trusts, "" when none.
func (r *run) providerTrusted(ro *evidence.Role) string {
	if ro.Trust == nil {
		return ""
	}
	cands := r.issuerProviders()
	for _, st := range ro.Trust.Statements {
		if st.Effect != "Allow" || !allowsAction(st, "sts:AssumeRoleWithSAML") {
			continue
		}
		for _, p := range st.Principal["Federated"] {
			if slices.Contains(cands, p) {
				return p
			}
		}
	}
	return ""
}

// trustedProviders are the SAML providers a role's trust policy names.
func trustedProviders(ro *evidence.Role) []string {
	var out []string
	if ro.Trust == nil {
		return nil
	}
	for _, st := range ro.Trust.Statements {
		for _, p := range st.Principal["Federated"] {
			if strings.Contains(p, ":saml-provider/") && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

const entraAWSDocs = "https://learn.microsoft.com/en-us/entra/identity/saas-apps/amazon-web-service-tutorial#known-issues"

// entraAWSApp explains a missing Role from Entra ID: the Role claim is
// user.assignedroles, so an agent assigned without an AWS app role gets
// none; and Entra's role import (Provisioning) skips roles that trust
// several SAML providers or whose role and provider ARNs together reach
// 240 characters, so such a role cannot be assigned at all.
func (r *run) entraAWSApp() {
	f := r.finding("aws.role_missing")
	if f == nil || r.awsView == nil || len(r.awsView.NearMisses) > 0 {
		return
	}
	app := "the Amazon Connect (AWS) enterprise application"
	if u, ok := r.capturedURL(regexp.MustCompile(`(?i)myapps\.microsoft\.com/signin/AWS(%20| )Single-Account(%20| )Access/`)); ok {
		app = "the AWS Single-Account Access gallery application"
		f.Evidence = append(f.Evidence, Evidence{What: "sign-in started from the My Apps tile of AWS Single-Account Access", Value: u, Where: r.urlWhere(u)})
	}
	f.Detail += " In Entra ID's " + strings.TrimPrefix(app, "the ") + " the Role claim's source is user.assignedroles: Entra ID sends it only for an AWS role the agent (or their group) is assigned to, so an assignment with the default role (User, msiam_access) and no AWS role sends no Role. " +
		"The roles to assign come from the app's role import (Provisioning), which skips a role whose trust policy names more than one SAML provider, and one whose role ARN and provider ARN together are 240 characters or more (" + entraAWSDocs + ")."
	for _, ro := range r.aws.Roles {
		provs := trustedProviders(ro)
		if len(provs) == 0 {
			continue
		}
		if len(provs) > 1 {
			f.Evidence = append(f.Evidence, Evidence{What: "role Entra ID's role import skips: its trust policy names several SAML providers", Value: ro.ARN + " (" + strings.Join(provs, ", ") + ")", Where: ro.Source.String() + " AssumeRolePolicyDocument"})
			continue
		}
		if n := len(ro.ARN) + len(provs[0]); n >= 240 {
			f.Evidence = append(f.Evidence, Evidence{What: fmt.Sprintf("role Entra ID's role import skips: its role and provider ARNs are %d characters together (the limit is under 240)", n), Value: rolePair(ro.ARN, provs[0]), Where: ro.Source.String()})
		}
	}
	addSteps(f.Fix, "In the Microsoft Entra admin center, Enterprise applications > "+strings.TrimPrefix(app, "the ")+" > Users and groups: edit the agent's (or their group's) assignment and select the Connect role (not User or msiam_access).",
		"If the Connect role is not in the list, Entra ID's role import skipped it (see the evidence): make its trust policy name only this SAML provider, or shorten the role's name or path, and restart provisioning (Provisioning > Restart provisioning); or add an app role with the Value ROLE-ARN,PROVIDER-ARN by hand in App registrations > the application > App roles.")
}

const adfsRelayDocs = "https://aws.amazon.com/blogs/security/how-to-use-saml-to-automatically-direct-federated-users-to-a-specific-aws-management-console-page/"

var adfsIdPInitiatedRE = regexp.MustCompile(`(?i)^https://[^/]+/adfs/ls/IdpInitiatedSignOn\.aspx`)

// adfsRelayState explains a sign-in that posted no RelayState from AD FS's
// IdP-initiated sign-on page: the loginToRp link carries none, and AD FS
// ignores a RelayState in the link unless EnableRelayStateForIdpInitiatedSignOn
// is set; the agent then lands in the AWS console.
func (r *run) adfsRelayState() {
	f := r.finding("aws.relay_state_missing")
	if f == nil {
		return
	}
	start, ok := r.capturedURL(adfsIdPInitiatedRE)
	if !ok {
		return
	}
	u, _ := url.Parse(start)
	q := u.Query()
	f.Evidence = append(f.Evidence, Evidence{What: "AD FS IdP-initiated sign-on", Value: start, Where: r.urlWhere(start)})
	if loc := r.consoleLanding(); loc != "" {
		f.Evidence = append(f.Evidence, Evidence{What: "AWS sign-in sent the agent to the AWS console", Value: loc, Where: r.where()})
	}
	rpid := q.Get("loginToRp")
	if rpid == "" {
		rpid = awsarn.Audiences(r.partition())[0]
	}
	fed := awsarn.FederationURL(r.partition(), orX(r.subject.Region, "REGION"), orX(r.subject.InstanceID, "INSTANCE-ID"))
	link := "https://" + u.Host + "/adfs/ls/IdpInitiatedSignOn.aspx?RelayState=" + url.QueryEscape("RPID="+url.QueryEscape(rpid)+"&RelayState="+url.QueryEscape(fed))
	if q.Get("RelayState") != "" {
		f.Detail += " The sign-on link carries a RelayState, yet AD FS posted none: AD FS drops the RelayState of IdP-initiated sign-on unless it is enabled (Set-AdfsProperties -EnableRelayStateForIdpInitiatedSignOn $true)."
	} else {
		f.Detail += " The sign-in started from AD FS's IdP-initiated sign-on page with loginToRp=" + rpid + ", which names the relying party and no RelayState, so AD FS posted none."
	}
	f.Detail += " AD FS passes a RelayState only in the wrapped form RelayState=RPID%3D...%26RelayState%3D... (the relying party's identifier and the RelayState, each URL-encoded, then the whole URL-encoded again), and only with Set-AdfsProperties -EnableRelayStateForIdpInitiatedSignOn $true; the link for this relying party is " + link + " (" + adfsRelayDocs + ")."
	addSteps(f.Fix, "On the AD FS server, in PowerShell as an administrator: Set-AdfsProperties -EnableRelayStateForIdpInitiatedSignOn $true (then restart the AD FS service on each server of the farm).",
		"Give the agents this sign-on link instead of the loginToRp one: "+link)
}

// consoleLanding is where AWS sign-in sent the browser when it was the
// AWS console, not Connect.
func (r *run) consoleLanding() string {
	for _, p := range r.in.Capture.Pages {
		if p.Stage == "aws-signin" && p.Status >= 300 && p.Status < 400 && p.Location != "" {
			if h := hostOfURL(p.Location); awsarn.IsConsoleHost(h) && !strings.Contains(p.Location, "/connect/federate/") {
				return p.Location
			}
		}
	}
	return ""
}

// urlWhere is where a URL was seen in the capture.
func (r *run) urlWhere(u string) string {
	for _, p := range r.in.Capture.Pages {
		if p.URL == u {
			return pageWhere(p)
		}
	}
	for _, m := range r.in.Capture.Messages {
		for _, p := range m.Seen {
			if p.URL == u {
				return placeWhere(p)
			}
		}
	}
	return "the capture"
}

const identityCenterIdPDocs = "https://docs.aws.amazon.com/singlesignon/latest/userguide/troubleshooting.html"

var portalStoreRE = regexp.MustCompile(`^(d-[0-9a-f]{10})\.awsapps\.com$`)

// identityCenterNameID adds to IAM Identity Center's error page what the
// external IdP's response to it shows: Identity Center matches its NameID
// to a user name exactly, and takes only an e-mail address in the
// emailAddress format.
func (r *run) identityCenterNameID() {
	f := r.finding("idp.error")
	if f == nil {
		return
	}
	for _, m := range r.in.Capture.Messages {
		post, ok := signin.PostedToIdentityCenter(m)
		if !ok || m.Parsed == nil {
			continue
		}
		a := m.Parsed.Consumed()
		if a == nil || a.Subject == nil || a.Subject.NameID == nil {
			continue
		}
		n := a.Subject.NameID
		f.Evidence = append(f.Evidence, Evidence{What: "NameID the external IdP sent to IAM Identity Center (format " + orX(n.Format, "none") + ")", Value: n.Value, Where: placeWhere(post)})
		var wrong []string
		if n.Format != "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" {
			wrong = append(wrong, "its format is "+orX(n.Format, "not given")+", not urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")
		}
		if !emailRE.MatchString(n.Value) {
			wrong = append(wrong, fmt.Sprintf("%q is not an e-mail address (RFC 2822)", n.Value))
		}
		f.Detail += " With an external IdP as its identity source, IAM Identity Center matches the NameID of the IdP's response to an existing user's user name, exactly (not to the e-mail address), and requires the emailAddress format with an e-mail address for a value (" + identityCenterIdPDocs + ")."
		if len(wrong) > 0 {
			f.Detail += " This NameID cannot match: " + strings.Join(wrong, "; ") + "."
		} else {
			f.Detail += " Whether a user named exactly " + n.Value + " exists is in the identity store, not in the capture."
		}
		store := "IDENTITY-STORE-ID"
		for _, p := range r.in.Capture.Pages {
			if mm := portalStoreRE.FindStringSubmatch(hostOfURL(p.URL)); mm != nil {
				store = mm[1]
			}
		}
		addSteps(f.Fix, "At the external IdP, in the IAM Identity Center application, send the NameID in the emailAddress format with the value of the user's IAM Identity Center user name.",
			fmt.Sprintf("Check the user exists under that exact name: aws identitystore get-user-id --identity-store-id %s --alternate-identifier '{\"UniqueAttribute\":{\"AttributePath\":\"userName\",\"AttributeValue\":\"%s\"}}' (run where IAM Identity Center is administered; CloudTrail records the failed attempt as ExternalIdPDirectoryLogin).", store, n.Value))
		return
	}
}
