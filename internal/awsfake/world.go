// Package awsfake is a local stand-in for the AWS APIs samldoctor reads,
// for tests: one httptest server that speaks each service's wire protocol
// (Connect REST-JSON, IAM Query/XML, CloudTrail and Organizations JSON 1.1)
// with responses shaped like AWS's documented ones, including pagination, throttling,
// AccessDenied and NoSuchEntity. Its world is loaded from the same AWS CLI
// JSON files the offline tests use, so live and offline runs see the same
// account.
package awsfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// World is the account the fake serves.
type World struct {
	Instance map[string]any // describe-instance's Instance (the first loaded)
	// Others are the account's other instances, by ID: DescribeInstance
	// answers for them too.
	Others    map[string]map[string]any
	Users     []map[string]any // the fullest record known of each user
	Roles     map[string]*Role // by name
	Policies  map[string]*Policy
	Providers map[string]*Provider // by ARN
	Events    []map[string]any     // lookup-events' Events
	// Simulations are recorded simulate-principal-policy answers
	// (EvaluationResults); SimDecision, when set, overrides them as an
	// organization SCP's denial would.
	Simulations []map[string]any
	SimDecision string
	// TrafficGroups are the instance's traffic distribution groups
	// (list-traffic-distribution-groups' summaries) and TrafficGroupUsers
	// their members' user IDs, by group ID.
	TrafficGroups     []map[string]any
	TrafficGroupUsers map[string][]string
	// Replication is describe-instance's ReplicationConfiguration (Global
	// Resiliency); ReplicaUsers the users of the instance's replica in
	// each Region (the same instance ID), answered to calls signed for
	// that Region.
	Replication  map[string]any
	ReplicaUsers map[string][]map[string]any
	// Org is the organization the account is in; nil when it is in none.
	Org *Org
	// ApprovedOrigins are the instance's approved origins
	// (list-approved-origins' Origins); none when no output was loaded, as
	// an instance that approved none answers.
	ApprovedOrigins []string
	// AuthProfiles are the instance's authentication profiles
	// (describe-authentication-profile's AuthenticationProfile).
	AuthProfiles []map[string]any
}

// Role is an IAM role.
type Role struct {
	Name, ID, ARN, Path, Created string
	Trust                        string // JSON
	Inline                       map[string]string
	Attached                     [][2]string // name, ARN
	Boundary                     string
}

// Provider is an IAM SAML provider, as get-saml-provider shows it.
type Provider struct {
	Metadata string // XML
	// UUID is SAMLProviderUUID, the ID in the provider's own sign-in URL.
	UUID string
	// EncryptionMode is AssertionEncryptionMode: "Required", "Allowed" or "".
	EncryptionMode string
	// KeyIDs are the KeyIds of PrivateKeyList; KeysListed says the output
	// had the list, empty or not.
	KeyIDs     []string
	KeysListed bool
}

// Policy is a managed policy.
type Policy struct {
	Name, ARN, Version string
	Document           string
}

// NewWorld returns an empty world.
func NewWorld() *World {
	return &World{Roles: map[string]*Role{}, Policies: map[string]*Policy{}, Providers: map[string]*Provider{}}
}

// LoadDir builds the world from a folder of AWS CLI outputs.
func LoadDir(dir string) (*World, error) {
	w := NewWorld()
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if ok, err := w.loadOrg(filepath.Base(f), b); ok || err != nil {
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		if err := w.load(b); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return w, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func doc(v any) string {
	if s, ok := v.(string); ok {
		if d, err := url.PathUnescape(s); err == nil {
			return d
		}
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (w *World) addUser(u map[string]any) {
	for i, have := range w.Users {
		if str(have["Id"]) == str(u["Id"]) {
			for k, v := range u {
				w.Users[i][k] = v
			}
			return
		}
	}
	w.Users = append(w.Users, u)
}

func (w *World) load(b []byte) error {
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		return err
	}
	list := func(k string) []any { l, _ := top[k].([]any); return l }
	switch {
	case top["UserSummaryList"] != nil:
		for _, u := range list("UserSummaryList") {
			w.addUser(u.(map[string]any))
		}
	case top["User"] != nil:
		w.addUser(top["User"].(map[string]any))
	case top["EvaluationResults"] != nil:
		for _, r := range list("EvaluationResults") {
			w.Simulations = append(w.Simulations, r.(map[string]any))
		}
	case top["Instance"] != nil:
		in := top["Instance"].(map[string]any)
		if w.Instance == nil {
			w.Instance = in
		} else {
			if w.Others == nil {
				w.Others = map[string]map[string]any{}
			}
			w.Others[str(in["Id"])] = in
		}
	case top["RoleDetailList"] != nil:
		for _, r := range list("RoleDetailList") {
			rm := r.(map[string]any)
			role := w.role(rm)
			for _, ip := range rm["RolePolicyList"].([]any) {
				m := ip.(map[string]any)
				role.Inline[str(m["PolicyName"])] = doc(m["PolicyDocument"])
			}
			for _, ap := range rm["AttachedManagedPolicies"].([]any) {
				m := ap.(map[string]any)
				role.Attached = append(role.Attached, [2]string{str(m["PolicyName"]), str(m["PolicyArn"])})
			}
		}
		for _, p := range list("Policies") {
			pm := p.(map[string]any)
			pol := &Policy{Name: str(pm["PolicyName"]), ARN: str(pm["Arn"]), Version: str(pm["DefaultVersionId"])}
			for _, v := range pm["PolicyVersionList"].([]any) {
				vm := v.(map[string]any)
				if str(vm["VersionId"]) == pol.Version {
					pol.Document = doc(vm["Document"])
				}
			}
			w.Policies[pol.ARN] = pol
		}
	case top["Role"] != nil:
		w.role(top["Role"].(map[string]any))
	case top["Events"] != nil:
		for _, e := range list("Events") {
			w.Events = append(w.Events, e.(map[string]any))
		}
	case top["SAMLProviderList"] != nil:
		// The providers are known from get-saml-provider outputs.
	case top["Origins"] != nil:
		for _, o := range list("Origins") {
			w.ApprovedOrigins = append(w.ApprovedOrigins, str(o))
		}
	case top["AuthenticationProfile"] != nil:
		w.AuthProfiles = append(w.AuthProfiles, top["AuthenticationProfile"].(map[string]any))
	case top["AuthenticationProfileSummaryList"] != nil:
		// The profiles are known from describe-authentication-profile
		// outputs; the fake lists those.
	case top["SAMLMetadataDocument"] != nil:
		arn := str(top["SAMLProviderArn"])
		if arn == "" {
			return fmt.Errorf("get-saml-provider output without SAMLProviderArn (add it for the fake)")
		}
		p := &Provider{Metadata: str(top["SAMLMetadataDocument"]), UUID: str(top["SAMLProviderUUID"]), EncryptionMode: str(top["AssertionEncryptionMode"])}
		_, p.KeysListed = top["PrivateKeyList"]
		for _, k := range list("PrivateKeyList") {
			if m, ok := k.(map[string]any); ok {
				p.KeyIDs = append(p.KeyIDs, str(m["KeyId"]))
			}
		}
		w.Providers[arn] = p
	default:
		return fmt.Errorf("not an output the fake loads")
	}
	return nil
}

func (w *World) role(m map[string]any) *Role {
	name := str(m["RoleName"])
	r := w.Roles[name]
	if r == nil {
		r = &Role{Name: name, Inline: map[string]string{}}
		w.Roles[name] = r
	}
	r.ID, r.ARN, r.Path, r.Created = str(m["RoleId"]), str(m["Arn"]), str(m["Path"]), str(m["CreateDate"])
	r.Trust = doc(m["AssumeRolePolicyDocument"])
	if pb, ok := m["PermissionsBoundary"].(map[string]any); ok {
		r.Boundary = str(pb["PermissionsBoundaryArn"])
	}
	return r
}

// UserCriteria is SearchUsers' SearchCriteria, as far as the fake
// answers it: a Username string condition, or an OR of such criteria.
type UserCriteria struct {
	StringCondition *struct{ FieldName, Value, ComparisonType string }
	OrConditions    []UserCriteria
}

// searchUsers answers a user search. It compares case-sensitively: AWS
// does not document whether SearchUsers does, so the fake takes the
// stricter reading, which a lookup must survive.
func (w *World) searchUsers(c UserCriteria, region string) ([]map[string]any, error) {
	match, err := userMatcher(c)
	if err != nil {
		return nil, err
	}
	users := w.Users
	if r, ok := w.ReplicaUsers[region]; ok {
		users = r
	}
	var out []map[string]any
	for _, u := range users {
		if match(str(u["Username"])) {
			out = append(out, u)
		}
	}
	return out, nil
}

func userMatcher(c UserCriteria) (func(string) bool, error) {
	if sc := c.StringCondition; sc != nil {
		if sc.FieldName != "Username" {
			return nil, fmt.Errorf("the fake searches by Username only")
		}
		v := sc.Value
		switch sc.ComparisonType {
		case "EXACT":
			return func(n string) bool { return n == v }, nil
		case "CONTAINS":
			return func(n string) bool { return strings.Contains(n, v) }, nil
		case "STARTS_WITH":
			return func(n string) bool { return strings.HasPrefix(n, v) }, nil
		}
		return nil, fmt.Errorf("unknown ComparisonType %q", sc.ComparisonType)
	}
	if len(c.OrConditions) == 0 {
		return nil, fmt.Errorf("SearchCriteria has neither StringCondition nor OrConditions")
	}
	var ms []func(string) bool
	for _, o := range c.OrConditions {
		m, err := userMatcher(o)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return func(n string) bool {
		for _, m := range ms {
			if m(n) {
				return true
			}
		}
		return false
	}, nil
}
