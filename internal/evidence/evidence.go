// Package evidence holds the AWS facts a diagnosis is judged against:
// Connect users and instances, IAM roles and their policies, IAM SAML
// providers, CloudTrail events, and the IdP's metadata. The facts have the
// same types whether they come from AWS CLI JSON files, a collect bundle or
// live API calls.
package evidence

import (
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/inputfile"
)

// Set is every fact known, with where each came from.
type Set struct {
	Sources []Source

	Instances []*Instance
	// Users by instance ID.
	Users map[string]*UserList
	Roles []*Role
	// Policies are managed policies by ARN.
	Policies  map[string]*ManagedPolicy
	Providers []*SAMLProvider
	// ProviderList is the account's SAML providers (list-saml-providers),
	// nil when not known.
	ProviderList *ProviderList
	// RolesComplete is set when every role of the account is known
	// (get-account-authorization-details).
	RolesComplete *Source
	Events        []*Event
	// EventSources are the lookup-events files read.
	EventSources []Source
	// IdPMetadata is the IdP's own metadata (--idp-metadata).
	IdPMetadata *Metadata
	// Simulations are IAM policy-simulator verdicts.
	Simulations []*Simulation
	// TrafficGroups are Connect traffic distribution groups (Global
	// Resiliency) and, when read, their users.
	TrafficGroups []*TrafficGroup
	// Org is the organization's SCPs and RCPs and the account's place in
	// it (aws organizations outputs).
	Org Organizations
	// AuthProfiles are Connect authentication profiles; ApprovedOrigins
	// the instances' approved origins (who may embed the CCP).
	AuthProfiles    []*AuthProfile
	ApprovedOrigins []*ApprovedOrigins
	// AuthProfileLists are list-authentication-profiles outputs: which
	// profiles an instance has and which is its default.
	AuthProfileLists []*AuthProfileList
	// Denied and NotFound are calls of a live collection that AWS refused
	// or that found nothing.
	Denied   []Denied
	NotFound []NotFound
	// Skipped are files of --aws-data left out: JSON that is no output
	// samldoctor reads.
	Skipped []Skipped

	// Facts read from outputs that do not say which role or provider they
	// are about (list-attached-role-policies, list-role-policies,
	// get-policy-version, get-saml-provider): they are taken to be about
	// the role and provider of the sign-in when that is unambiguous.
	Unattributed Unattributed

	// NotRegular are files in --aws-data folders that were not read
	// (named pipes, devices): the caller says so.
	NotRegular []inputfile.Skipped
}

// Unattributed facts.
type Unattributed struct {
	AttachedPolicies []AttachedPolicyList
	InlineNames      []InlineNameList
	PolicyVersions   []PolicyVersion
	Providers        []*SAMLProvider
}

// Source names where a fact came from: a file (and the AWS CLI command that
// writes its shape), a bundle, or a live API call.
type Source struct {
	File string
	// Kind is the AWS CLI command whose output the file holds, e.g.
	// "aws connect list-users", or "live: iam:GetRole".
	Kind string
}

func (s Source) String() string {
	if s.File == "" {
		return s.Kind
	}
	return s.File + " (" + s.Kind + ")"
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{Users: map[string]*UserList{}, Policies: map[string]*ManagedPolicy{}}
}

// Empty reports whether no AWS fact is known.
func (s *Set) Empty() bool {
	return len(s.Instances) == 0 && len(s.Users) == 0 && len(s.Simulations) == 0 && len(s.Denied) == 0 && len(s.NotFound) == 0 && len(s.Roles) == 0 && len(s.Policies) == 0 &&
		len(s.Providers) == 0 && s.ProviderList == nil && len(s.EventSources) == 0 && len(s.AuthProfiles) == 0 && len(s.ApprovedOrigins) == 0 && len(s.AuthProfileLists) == 0 &&
		len(s.Unattributed.AttachedPolicies) == 0 && len(s.Unattributed.InlineNames) == 0 &&
		len(s.Unattributed.PolicyVersions) == 0 && len(s.Unattributed.Providers) == 0 && s.Org.Empty()
}

// Instance is a Connect instance (describe-instance, list-instances).
type Instance struct {
	ID                     string
	ARN                    string
	Alias                  string
	IdentityManagementType string
	Status                 string
	// ReplicaRegions are the Regions it is replicated to (Global
	// Resiliency), from describe-instance's ReplicationConfiguration. A
	// replica has the same instance ID.
	ReplicaRegions []string
	Source         Source
}

// Region is the instance's Region, from its ARN.
func (i *Instance) Region() string { return arnPart(i.ARN, 3) }

// Account is the instance's account, from its ARN.
func (i *Instance) Account() string { return arnPart(i.ARN, 4) }

func arnPart(arn string, n int) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) > n {
		return p[n]
	}
	return ""
}

// UserList is what is known of one instance's users.
type UserList struct {
	InstanceID string
	Users      []*User
	// Complete is set when the list holds every user of the instance
	// (list-users read to the end); a search only says who matched it.
	Complete bool
	// SearchedFor are the user names samldoctor collect searched for,
	// each with how (the SearchUsers conditions): for them, no match
	// means no user in any of the cases searched.
	SearchedFor map[string]string
	// CompleteIn are the Regions whose whole user list was read, and
	// SearchedIn the names searched for in a Region (samldoctor collect
	// in a replica's Region).
	CompleteIn map[string]bool
	SearchedIn map[string]map[string]bool
	// Partial are list-users outputs that are one page (they hold a
	// NextToken: --max-items, or a run cut short): what is not in them
	// may be on another page.
	Partial []Source
	Sources []Source
	// index finds a user by ID ("id:...") or, without one, by name
	// ("name:..."), so that adding n users costs n, not n².
	index map[string]int
}

// TrafficGroup is a Connect traffic distribution group: with Global
// Resiliency, an agent who is in none cannot sign in
// (ResourceNotFoundException).
type TrafficGroup struct {
	// ID is "" when the output does not say which group its users are
	// in (the AWS CLI's list-traffic-distribution-group-users).
	ID, ARN, Name, InstanceARN string
	IsDefault                  bool
	// Users are the group's user IDs or ARNs, when UsersRead.
	Users     []string
	UsersRead bool
	Source    Source
}

// HasUser reports whether the group lists a user (by ID or ARN).
func (g *TrafficGroup) HasUser(id, arn string) bool {
	for _, u := range g.Users {
		if u == id || arn != "" && u == arn || strings.HasSuffix(u, "/"+id) {
			return true
		}
	}
	return false
}

// User is a Connect user.
type User struct {
	ID        string
	ARN       string
	Username  string
	FirstName string
	LastName  string
	Email     string
	// SecondaryEmail, Mobile and Tags are known from describe-user
	// (Detailed): a user created again keeps them.
	SecondaryEmail string
	Mobile         string
	Tags           map[string]string
	// Regions are the Regions whose outputs listed the user (from its
	// ARNs): with Global Resiliency, a source and its replicas share the
	// instance ID.
	Regions []string
	// Details are set when known from describe-user or search-users.
	Detailed           bool
	PhoneConfig        map[string]any
	SecurityProfileIDs []string
	RoutingProfileID   string
	HierarchyGroupID   string
	DirectoryUserID    string
	Source             Source
}

// Role is an IAM role.
type Role struct {
	ARN                 string
	Name                string
	Path                string
	ID                  string
	CreateDate          time.Time
	MaxSessionDuration  int
	Trust               *iampolicy.Policy
	TrustErr            string
	Inline              map[string]*iampolicy.Policy
	InlineComplete      bool
	Attached            []AttachedPolicy
	AttachedComplete    bool
	PermissionsBoundary string
	// Tags are the role's IAM tags, known (TagsKnown) from get-role and
	// get-account-authorization-details; list-roles does not show them.
	Tags      map[string]string
	TagsKnown bool
	Source    Source
}

// AttachedPolicy is a managed policy attached to a role.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// AttachedPolicyList is a list-attached-role-policies output.
type AttachedPolicyList struct {
	Policies []AttachedPolicy
	Source   Source
}

// InlineNameList is a list-role-policies output.
type InlineNameList struct {
	Names  []string
	Source Source
}

// ManagedPolicy is a managed policy with the versions known.
type ManagedPolicy struct {
	ARN              string
	Name             string
	DefaultVersionID string
	Versions         map[string]*iampolicy.Policy
	Source           Source
}

// Default returns the policy's default version, when known.
func (p *ManagedPolicy) Default() *iampolicy.Policy {
	if v, ok := p.Versions[p.DefaultVersionID]; ok {
		return v
	}
	if len(p.Versions) == 1 && p.DefaultVersionID == "" {
		for _, v := range p.Versions {
			return v
		}
	}
	return nil
}

// PolicyVersion is a get-policy-version output (it does not name its
// policy).
type PolicyVersion struct {
	VersionID string
	IsDefault bool
	Document  *iampolicy.Policy
	Source    Source
}

// SAMLProvider is an IAM SAML provider.
type SAMLProvider struct {
	ARN         string
	Metadata    *Metadata
	MetadataErr string
	ValidUntil  time.Time
	CreateDate  time.Time
	// AssertionEncryptionMode is "Required" (IAM rejects unencrypted
	// assertions), "Allowed", or "" when the output predates the setting.
	AssertionEncryptionMode string
	// UUID is SAMLProviderUUID, the ID in the provider's own sign-in URL
	// (https://signin.aws.amazon.com/saml/acs/UUID).
	UUID string
	// PrivateKeyIDs are the KeyIds of the decryption keys IAM holds;
	// PrivateKeysKnown says the output listed them (the list may be empty).
	PrivateKeyIDs    []string
	PrivateKeysKnown bool
	Source           Source
}

// ProviderList is a list-saml-providers output.
type ProviderList struct {
	ARNs []string
	// Dates are each ARN's CreateDate and ValidUntil (zero when the
	// output lacks them): what tells which provider a get-saml-provider
	// output, which has no ARN, is.
	Dates  []ProviderDates
	Source Source
}

// ProviderDates are a provider's CreateDate and ValidUntil.
type ProviderDates struct{ CreateDate, ValidUntil time.Time }

// Metadata is SAML metadata (the IdP's, or an IAM SAML provider's), read
// by assertion.ParseMetadata: XML stays inside package assertion.
type Metadata = assertion.Metadata

// Entity is one EntityDescriptor of metadata.
type Entity = assertion.Entity

// Event is a CloudTrail event (lookup-events).
type Event struct {
	ID     string
	Name   string
	Time   time.Time
	Source string // event source, e.g. sts.amazonaws.com
	Region string
	// Account is the account the event was recorded in
	// (recipientAccountId): what tells events of another account apart.
	Account   string
	ErrorCode string
	ErrorMsg  string
	Username  string
	// Identity of the caller.
	IdentityType string
	IdentityARN  string
	PrincipalID  string
	// SessionIssuerARN is the role behind an assumed-role session.
	SessionIssuerARN string
	// Request parameters that matter.
	RoleARN         string
	PrincipalARN    string
	RoleSessionName string
	InstanceID      string
	// AssumedRoleID is AssumeRoleWithSAML's responseElements
	// assumedRoleUser.assumedRoleId (ROLEID:session).
	AssumedRoleID string
	File          Source
}
