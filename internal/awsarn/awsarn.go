// Package awsarn parses and builds the AWS names that SAML sign-in to Amazon
// Connect uses: IAM role and SAML-provider ARNs, Connect instance and user
// ARNs, AWS sign-in endpoints, and the Connect federation relay state.
package awsarn

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

var (
	partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	accountRE   = regexp.MustCompile(`^\d{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
	// IAM names: role names [\w+=,.@-]{1,64}; provider names [\w._-]{1,128}.
	roleNameRE     = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	providerNameRE = regexp.MustCompile(`^[\w._-]{1,128}$`)
	instanceIDRE   = regexp.MustCompile(`^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$`)
)

// Parse parses an ARN.
func Parse(s string) (ARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ARN{}, fmt.Errorf("%q is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)", s)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	if !partitionRE.MatchString(a.Partition) {
		return a, fmt.Errorf("%q: unknown partition %q", s, a.Partition)
	}
	return a, nil
}

// ValidRegion reports whether s has the shape of an AWS Region code.
func ValidRegion(s string) bool { return regionRE.MatchString(s) }

// ValidInstanceID reports whether s has the shape of a Connect instance ID.
func ValidInstanceID(s string) bool { return instanceIDRE.MatchString(s) }

// Role is an IAM role ARN.
type Role struct {
	ARN
	Path string // "/" or "/a/b/"
	Name string
}

// SameRole reports whether two role ARNs name one role: the same account
// and name, with a path or without (CloudTrail's session issuer keeps the
// path; an assumed-role ARN and many Role attributes do not).
func SameRole(a, b string) bool {
	if a == b {
		return true
	}
	ra, errA := ParseRole(a)
	rb, errB := ParseRole(b)
	return errA == nil && errB == nil && ra.Partition == rb.Partition && ra.Account == rb.Account && ra.Name == rb.Name
}

// ParseRole parses an IAM role ARN (arn:aws:iam::123456789012:role/path/Name).
func ParseRole(s string) (Role, error) {
	a, err := Parse(s)
	if err != nil {
		return Role{}, err
	}
	if a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
		return Role{}, fmt.Errorf("%q is not an IAM role ARN", s)
	}
	if a.Region != "" {
		return Role{}, fmt.Errorf("%q: IAM ARNs have no Region, found %q", s, a.Region)
	}
	if !accountRE.MatchString(a.Account) {
		return Role{}, fmt.Errorf("%q: the account %q is not 12 digits", s, a.Account)
	}
	rest := strings.TrimPrefix(a.Resource, "role")
	i := strings.LastIndex(rest, "/")
	r := Role{ARN: a, Path: rest[:i+1], Name: rest[i+1:]}
	if !roleNameRE.MatchString(r.Name) {
		return r, fmt.Errorf("%q: %q is not a valid role name", s, r.Name)
	}
	return r, nil
}

// Provider is an IAM SAML provider ARN.
type Provider struct {
	ARN
	Name string
}

// ParseProvider parses an IAM SAML provider ARN.
func ParseProvider(s string) (Provider, error) {
	a, err := Parse(s)
	if err != nil {
		return Provider{}, err
	}
	if a.Service != "iam" || !strings.HasPrefix(a.Resource, "saml-provider/") {
		return Provider{}, fmt.Errorf("%q is not an IAM SAML provider ARN", s)
	}
	if a.Region != "" {
		return Provider{}, fmt.Errorf("%q: IAM ARNs have no Region, found %q", s, a.Region)
	}
	if !accountRE.MatchString(a.Account) {
		return Provider{}, fmt.Errorf("%q: the account %q is not 12 digits", s, a.Account)
	}
	p := Provider{ARN: a, Name: strings.TrimPrefix(a.Resource, "saml-provider/")}
	if !providerNameRE.MatchString(p.Name) {
		return p, fmt.Errorf("%q: %q is not a valid SAML provider name", s, p.Name)
	}
	return p, nil
}

// RolePair is one value of the https://aws.amazon.com/SAML/Attributes/Role
// attribute: a role ARN and a SAML provider ARN, comma-separated, in either
// order.
type RolePair struct {
	Role     Role
	Provider Provider
	// ProviderFirst records the order the IdP used (both are accepted).
	ProviderFirst bool
	// SpacedComma is set when white space surrounds the comma.
	SpacedComma bool
}

// ParseRolePair splits and checks one Role attribute value.
func ParseRolePair(v string) (RolePair, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 2 {
		return RolePair{}, fmt.Errorf("%q has %d comma-separated parts; AWS expects exactly two ARNs, a role and a SAML provider", v, len(parts))
	}
	var p RolePair
	for i, raw := range parts {
		s := strings.TrimSpace(raw)
		if s != raw {
			p.SpacedComma = true
		}
		switch {
		case strings.Contains(s, ":role/"):
			r, err := ParseRole(s)
			if err != nil {
				return p, err
			}
			p.Role = r
		case strings.Contains(s, ":saml-provider/"):
			pr, err := ParseProvider(s)
			if err != nil {
				return p, err
			}
			p.Provider = pr
			p.ProviderFirst = i == 0
		default:
			return p, fmt.Errorf("%q is neither an IAM role ARN nor a SAML provider ARN", s)
		}
	}
	switch {
	case p.Role.Name == "":
		return p, errors.New("no role ARN (arn:aws:iam::ACCOUNT:role/NAME) in the value")
	case p.Provider.Name == "":
		return p, errors.New("no SAML provider ARN (arn:aws:iam::ACCOUNT:saml-provider/NAME) in the value")
	case p.Role.Account != p.Provider.Account:
		return p, fmt.Errorf("the role is in account %s but the SAML provider is in account %s; both must be in the same account", p.Role.Account, p.Provider.Account)
	case p.Role.Partition != p.Provider.Partition:
		return p, fmt.Errorf("the role is in partition %s but the SAML provider is in partition %s", p.Role.Partition, p.Provider.Partition)
	}
	return p, nil
}

// SignIn describes an AWS sign-in SAML endpoint.
type SignIn struct {
	URL       string
	Partition string
	Region    string // "" for the partition's default endpoint
	// DefaultRegion is the Region the unqualified endpoint lives in.
	DefaultRegion string
	// ProviderID is the SAML provider's own identifier (SAMLProviderUUID,
	// e.g. SAMLSPD9IMTW2LM46J042K) in a provider's sign-in URL,
	// https://[REGION.]signin.aws.amazon.com/saml/acs/ID, which IAM gives
	// each provider and requires for encrypted assertions; "" for the
	// shared endpoint.
	ProviderID string
	// Global is set for an Amazon Connect Global Resiliency sign-in
	// endpoint: https://INSTANCE-ID.REGION.sign-in.connect.aws/saml?...
	Global *GlobalSignIn
}

// GlobalSignIn is what a Global Resiliency sign-in URL names: the source
// instance and its Region (from the host), and its query's instanceId,
// accountId, role (the IAM role's name), idp (the SAML provider's name)
// and destination.
type GlobalSignIn struct {
	// Base is the URL without its query: the Audience and the SAML:aud
	// prefix (the trust policy tests StringLike Base*).
	Base                                string
	InstanceID, Region                  string
	QueryInstanceID, AccountID          string
	RoleName, ProviderName, Destination string
}

// globalSignInRE is Amazon Connect Global Resiliency's sign-in endpoint
// (adminguide "integrate-idp"): the IdP posts there, with no RelayState.
var globalSignInRE = regexp.MustCompile(`^https://([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([a-z0-9-]+)\.sign-in\.connect\.aws(?::443)?(/saml)/?(?:\?(.*))?$`)

// GlobalSignInURL is the Global Resiliency sign-in URL for an instance,
// as AWS documents it.
func GlobalSignInURL(instanceID, region, account, roleName, providerName, destination string) string {
	q := "instanceId=" + url.QueryEscape(instanceID) + "&accountId=" + url.QueryEscape(account) + "&role=" + url.QueryEscape(roleName) + "&idp=" + url.QueryEscape(providerName)
	if destination != "" {
		q += "&destination=" + destination
	}
	return "https://" + instanceID + "." + region + ".sign-in.connect.aws/saml?&" + q
}

func parseGlobalSignIn(u string) (SignIn, bool) {
	m := globalSignInRE.FindStringSubmatch(u)
	if m == nil || !ValidRegion(m[2]) {
		return SignIn{}, false
	}
	g := &GlobalSignIn{Base: "https://" + m[1] + "." + m[2] + ".sign-in.connect.aws/saml", InstanceID: m[1], Region: m[2]}
	q, _ := url.ParseQuery(strings.TrimLeft(m[4], "&"))
	g.QueryInstanceID, g.AccountID = q.Get("instanceId"), q.Get("accountId")
	g.RoleName, g.ProviderName, g.Destination = q.Get("role"), q.Get("idp"), q.Get("destination")
	return SignIn{URL: u, Partition: "aws", Region: m[2], DefaultRegion: m[2], Global: g}, true
}

// An explicit default port (:443), which some IdPs write in the form
// action or the Recipient, names the same endpoint.
var signInRE = regexp.MustCompile(`^https://(?:([a-z0-9-]+)\.)?signin\.(aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)(?::443)?(?:(?:/static)?/saml/?|/saml/acs/([A-Za-z0-9]{1,128})/?)$`)

// ParseSignIn recognises an AWS sign-in SAML endpoint URL (the ACS URL):
// https://signin.aws.amazon.com/saml, https://REGION.signin.aws.amazon.com/saml,
// .../static/saml, a provider's own .../saml/acs/ID, the GovCloud and
// China partitions, and Amazon Connect Global Resiliency's
// https://INSTANCE-ID.REGION.sign-in.connect.aws/saml?... (with its query).
func ParseSignIn(u string) (SignIn, bool) {
	u = strings.TrimSpace(u)
	if s, ok := parseGlobalSignIn(u); ok {
		return s, true
	}
	m := signInRE.FindStringSubmatch(u)
	if m == nil {
		return SignIn{}, false
	}
	s := SignIn{URL: u, Region: m[1], ProviderID: m[3]}
	switch m[2] {
	case "aws.amazon.com":
		s.Partition, s.DefaultRegion = "aws", "us-east-1"
	case "amazonaws-us-gov.com":
		s.Partition, s.DefaultRegion = "aws-us-gov", "us-gov-west-1"
	case "amazonaws.cn":
		s.Partition, s.DefaultRegion = "aws-cn", "cn-north-1"
	}
	if s.Region != "" && !ValidRegion(s.Region) {
		return SignIn{}, false
	}
	return s, true
}

// IsSignInHost reports whether host is an AWS sign-in host.
func IsSignInHost(host string) bool {
	_, ok := ParseSignIn("https://" + host + "/saml")
	return ok
}

// SignInURL is the sign-in SAML endpoint of a partition, regional when
// region is not empty.
func SignInURL(partition, region string) string {
	domain := "aws.amazon.com"
	switch partition {
	case "aws-us-gov":
		domain = "amazonaws-us-gov.com"
	case "aws-cn":
		domain = "amazonaws.cn"
	}
	if region == "" {
		return "https://signin." + domain + "/saml"
	}
	return "https://" + region + ".signin." + domain + "/saml"
}

// ProviderSignInURL is a SAML provider's own sign-in endpoint, the one its
// encrypted assertions must be posted to.
func ProviderSignInURL(partition, region, providerID string) string {
	return SignInURL(partition, region) + "/acs/" + providerID
}

// Audiences AWS documents as accepted in AudienceRestriction, by partition.
func Audiences(partition string) []string {
	switch partition {
	case "aws-us-gov":
		return []string{"urn:amazon:webservices:govcloud", "https://signin.amazonaws-us-gov.com/saml"}
	case "aws-cn":
		return []string{"urn:amazon:webservices:cn", "https://signin.amazonaws.cn/saml"}
	}
	return []string{"urn:amazon:webservices", "https://signin.aws.amazon.com/saml"}
}

// RelayState is a parsed RelayState value.
type RelayState struct {
	Raw string
	// Kind is "connect-federation" (the console's /connect/federate/ID),
	// "connect-app" (an instance's own domain), "aws-console", or "other".
	Kind        string
	Partition   string
	Region      string
	InstanceID  string
	Destination string
	NewDomain   bool
	// Problems are departures from the documented grammar.
	Problems []string
}

var consoleHostRE = regexp.MustCompile(`^(?:([a-z0-9-]+)\.)?console\.(aws\.amazon\.com|amazonaws-us-gov\.com|amazonaws\.cn)$`)

// ParseRelayState reads a RelayState as Amazon Connect documents it:
// https://REGION.console.aws.amazon.com/connect/federate/INSTANCE-ID
// [?destination=%2Fccp-v2&new_domain=true] (GovCloud:
// https://console.amazonaws-us-gov.com/connect/federate/INSTANCE-ID).
func ParseRelayState(raw string) RelayState {
	rs := RelayState{Raw: raw, Kind: "other"}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		rs.Problems = append(rs.Problems, "the RelayState is not an absolute URL")
		return rs
	}
	host := strings.ToLower(u.Hostname())
	if IsConnectAppHost(host) {
		rs.Kind = "connect-app"
		rs.Problems = append(rs.Problems, "the RelayState points at the instance's own domain, not at the console's /connect/federate/INSTANCE-ID URL")
		return rs
	}
	m := consoleHostRE.FindStringSubmatch(host)
	if m == nil {
		return rs
	}
	rs.Kind = "aws-console"
	rs.Region = m[1]
	switch m[2] {
	case "aws.amazon.com":
		rs.Partition = "aws"
	case "amazonaws-us-gov.com":
		rs.Partition = "aws-us-gov"
	case "amazonaws.cn":
		rs.Partition = "aws-cn"
	}
	if u.Scheme != "https" {
		rs.Problems = append(rs.Problems, "the RelayState does not use https")
	}
	path := u.Path
	const prefix = "/connect/federate/"
	if !strings.HasPrefix(path, prefix) {
		rs.Problems = append(rs.Problems, "the RelayState is an AWS console URL but not a Connect federation URL (/connect/federate/INSTANCE-ID); the agent lands in the AWS console instead of Connect")
		return rs
	}
	rs.Kind = "connect-federation"
	id := strings.Trim(strings.TrimPrefix(path, prefix), "/")
	rs.InstanceID = id
	if !ValidInstanceID(id) {
		rs.Problems = append(rs.Problems, fmt.Sprintf("%q is not a Connect instance ID (a lower-case GUID)", id))
	}
	if rs.Region == "" && rs.Partition == "aws" {
		rs.Problems = append(rs.Problems, "the console host has no Region; use https://REGION.console.aws.amazon.com/connect/federate/INSTANCE-ID with the instance's Region")
	} else if rs.Region != "" && !ValidRegion(rs.Region) {
		rs.Problems = append(rs.Problems, fmt.Sprintf("%q is not an AWS Region code", rs.Region))
	}
	q := u.Query()
	if d, ok := q["destination"]; ok && len(d) > 0 {
		rs.Destination = d[0]
		// The documented form with new_domain inside the encoded value:
		// destination=%2Fccp-v2%2Fchat%26new_domain=true.
		if before, after, found := strings.Cut(rs.Destination, "&"); found {
			rs.Destination = before
			if inner, err := url.ParseQuery(after); err == nil && inner.Get("new_domain") == "true" {
				rs.NewDomain = true
			}
		}
		if !strings.HasPrefix(rs.Destination, "/") {
			rs.Problems = append(rs.Problems, fmt.Sprintf("destination %q does not start with '/'", rs.Destination))
		}
	}
	if q.Get("new_domain") == "true" {
		rs.NewDomain = true
	}
	if rs.NewDomain && strings.HasPrefix(rs.Destination, "/connect/") {
		rs.Problems = append(rs.Problems, "with new_domain=true the destination must not start with /connect (drop that prefix)")
	}
	return rs
}

// FederationURL builds the documented relay state for an instance.
func FederationURL(partition, region, instanceID string) string {
	switch partition {
	case "aws-us-gov":
		return "https://console.amazonaws-us-gov.com/connect/federate/" + instanceID
	case "aws-cn":
		return "https://" + region + ".console.amazonaws.cn/connect/federate/" + instanceID
	}
	return "https://" + region + ".console.aws.amazon.com/connect/federate/" + instanceID
}

// IsConnectAppHost reports whether host serves an Amazon Connect instance's
// own pages (ALIAS.my.connect.aws, the older ALIAS.awsapps.com, and
// ALIAS.govcloud.connect.aws in AWS GovCloud (US)).
func IsConnectAppHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, ".my.connect.aws") || strings.HasSuffix(host, ".awsapps.com") ||
		strings.HasSuffix(host, ".govcloud.connect.aws")
}

// ConnectAppPartition is the partition a Connect host belongs to: instances
// in AWS GovCloud (US) use ALIAS.govcloud.connect.aws; "" when the host
// does not say.
func ConnectAppPartition(host string) string {
	if strings.HasSuffix(strings.ToLower(host), ".govcloud.connect.aws") {
		return "aws-us-gov"
	}
	return ""
}

// IsConsoleHost reports whether host is an AWS console host.
func IsConsoleHost(host string) bool {
	return consoleHostRE.MatchString(strings.ToLower(host))
}

// ConnectUserARN is the resource connect:GetFederationToken is authorised on:
// arn:PARTITION:connect:REGION:ACCOUNT:instance/ID/user/USERID.
func ConnectUserARN(partition, region, account, instanceID, userID string) string {
	return "arn:" + partition + ":connect:" + region + ":" + account + ":instance/" + instanceID + "/user/" + userID
}

// ConnectInstanceARN is an instance's ARN.
func ConnectInstanceARN(partition, region, account, instanceID string) string {
	return "arn:" + partition + ":connect:" + region + ":" + account + ":instance/" + instanceID
}

// ProviderName is the name of an IAM SAML provider (the last part of its
// ARN): Okta in arn:aws:iam::111122223333:saml-provider/Okta.
func ProviderName(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
