package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// MaxFile bounds one AWS CLI output file.
const MaxFile = 512 << 20

// Commands lists the AWS CLI outputs recognised, for messages and docs.
var Commands = []string{
	"aws connect list-users", "aws connect search-users", "aws connect describe-user",
	"aws connect describe-instance", "aws connect list-instances",
	"aws iam get-account-authorization-details", "aws iam get-role", "aws iam get-role-policy",
	"aws iam list-role-policies", "aws iam list-attached-role-policies", "aws iam get-policy",
	"aws iam get-policy-version", "aws iam get-saml-provider", "aws iam list-saml-providers",
	"aws cloudtrail lookup-events", "aws iam simulate-principal-policy", "aws iam list-roles",
	"aws organizations list-policies-for-target", "aws organizations describe-policy", "aws organizations list-parents",
	"aws organizations list-policies",
	"aws connect describe-authentication-profile", "aws connect list-approved-origins", "aws connect list-authentication-profiles",
}

// LoadPaths reads AWS CLI JSON outputs from files, or from every *.json file
// in folders, into the set.
func (s *Set) LoadPaths(paths []string) error {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("--aws-data %s: %w", p, unwrap(err))
		}
		if !st.IsDir() {
			if err := s.loadOrSkip(p); err != nil {
				return err
			}
			continue
		}
		var files []string
		skipped := len(s.NotRegular)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".json") {
				if ok, why := inputfile.InFolder(path, d); !ok {
					s.NotRegular = append(s.NotRegular, inputfile.Skipped{Path: path, Why: why})
					return nil
				}
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("--aws-data %s: %w", p, err)
		}
		sort.Strings(files)
		if len(files) == 0 {
			if len(s.NotRegular) > skipped {
				return fmt.Errorf("--aws-data %s: the folder has no .json file that can be read (%s)", p, s.NotRegular[skipped])
			}
			return fmt.Errorf("--aws-data %s: the folder has no .json files", p)
		}
		for _, f := range files {
			if err := s.loadOrSkip(f); err != nil {
				return err
			}
		}
	}
	if len(s.Skipped) == 1 && s.Empty() {
		return s.Skipped[0].err
	}
	if len(s.Skipped) > 0 && s.Empty() {
		var names []string
		for _, k := range s.Skipped {
			names = append(names, k.String())
		}
		return fmt.Errorf("--aws-data: no file holds an AWS CLI output samldoctor reads (%s); it reads the JSON output of: %s", strings.Join(names, "; "), strings.Join(Commands, ", "))
	}
	return nil
}

// Skipped is a file of --aws-data that holds JSON samldoctor does not read
// (aws sts get-caller-identity's output left in the folder, say): it is
// left out with a note instead of stopping the run.
type Skipped struct {
	File string
	// What the file is, when known ("aws sts get-caller-identity"), and
	// why it is not read.
	What, Why string
	err       error
}

func (k Skipped) String() string {
	if k.What != "" {
		return k.File + " (" + k.What + "): " + k.Why
	}
	return k.File + ": " + k.Why
}

// NotReadError is a JSON document that is no AWS CLI output samldoctor
// reads.
type NotReadError struct {
	File string
	Keys []string
	// What names the AWS CLI command that writes this shape, when known.
	What string
}

func (e *NotReadError) Error() string {
	if e.What != "" {
		return fmt.Sprintf("%s: the output of %s, which samldoctor does not read; it reads the JSON output of: %s", e.File, e.What, strings.Join(Commands, ", "))
	}
	return fmt.Sprintf("%s: not an AWS CLI output samldoctor knows (its top-level keys are %v); it reads the JSON output of: %s",
		e.File, e.Keys, strings.Join(Commands, ", "))
}

// loadOrSkip loads a file, recording it as skipped when it is JSON that
// is no output samldoctor reads.
func (s *Set) loadOrSkip(name string) error {
	err := s.LoadFile(name)
	var nr *NotReadError
	if errors.As(err, &nr) {
		why := fmt.Sprintf("not an AWS CLI output samldoctor knows (top-level keys %s)", strings.Join(nr.Keys, ", "))
		if nr.What != "" {
			why = "samldoctor does not read this output"
		}
		s.Skipped = append(s.Skipped, Skipped{File: name, What: nr.What, Why: why, err: err})
		return nil
	}
	return err
}

// otherOutputs are AWS CLI outputs met beside the ones read, by their
// top-level keys, so that a note names them.
var otherOutputs = []struct {
	keys []string
	what string
}{
	{[]string{"Account", "Arn", "UserId"}, "aws sts get-caller-identity"},
	{[]string{"Credentials", "AssumedRoleUser"}, "aws sts assume-role"},
	{[]string{"Users", "IsTruncated"}, "aws iam list-users"},
	{[]string{"User"}, "aws iam get-user"},
	{[]string{"Groups"}, "aws iam list-groups"},
	{[]string{"Policies", "IsTruncated"}, "aws iam list-policies"},
	{[]string{"AccountAliases"}, "aws iam list-account-aliases"},
	{[]string{"SecurityProfileSummaryList"}, "aws connect list-security-profiles"},
	{[]string{"RoutingProfileSummaryList"}, "aws connect list-routing-profiles"},
	{[]string{"Attribute"}, "aws connect describe-instance-attribute"},
	{[]string{"trailList"}, "aws cloudtrail describe-trails"},
	{[]string{"Records"}, "a CloudTrail log file (give it to samldoctor audit --trail)"},
	{[]string{"log"}, "a HAR (give it to samldoctor as the capture: samldoctor diagnose FILE)"},
	{[]string{"requests"}, "a SAML-tracer export (give it to samldoctor as the capture: samldoctor diagnose FILE)"},
}

func otherOutput(top map[string]json.RawMessage) string {
	for _, o := range otherOutputs {
		all := true
		for _, k := range o.keys {
			if _, ok := top[k]; !ok {
				all = false
			}
		}
		if all {
			return o.what
		}
	}
	return ""
}

func unwrap(err error) error {
	var pe *fs.PathError
	if e, ok := err.(*fs.PathError); ok {
		pe = e
		return pe.Err
	}
	return err
}

// LoadFile reads one AWS CLI JSON output (at most MaxFile bytes). A file
// that is not JSON is told apart from its start (the AWS CLI's text,
// table or YAML output, an image, an empty file...), never read whole.
func (s *Set) LoadFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("--aws-data %s: %w", name, unwrap(err))
	}
	defer f.Close()
	text, _ := inputfile.Text(f, 8192)
	head, _ := text.Peek(8192)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) == 0 || t[0] != '{' && t[0] != '[' {
		return fmt.Errorf("--aws-data %s: %s", name, notJSON(t))
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > 2*MaxFile {
		return fmt.Errorf("--aws-data %s: %d bytes, more than the %d MiB limit for AWS CLI JSON output", name, st.Size(), MaxFile>>20)
	}
	b, err := inputfile.ReadFrom("--aws-data", name, text, MaxFile, inputfile.JSON)
	if err != nil {
		return err
	}
	return s.Load(name, b)
}

// Load reads one AWS CLI JSON output held in memory; name is used in
// messages.
func (s *Set) Load(name string, b []byte) error {
	b = inputfile.Bytes(b)
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' && t[0] != '[' {
		return fmt.Errorf("%s: %s", name, notJSON(t))
	}
	top, err := topLevel(b)
	if err != nil {
		return fmt.Errorf("%s: not JSON output of the AWS CLI: %s", name, err)
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("samldoctorBundle"):
		var bundle Bundle
		if err := json.Unmarshal(b, &bundle); err != nil {
			return fmt.Errorf("%s: a samldoctor bundle that cannot be read: %w", name, err)
		}
		return s.LoadBundle(name, &bundle)
	case has("TrafficDistributionGroupSummaryList"):
		err = s.loadTrafficGroups(name, top)
	case has("TrafficDistributionGroupUserSummaryList"):
		err = s.loadTrafficGroupUsers(name, top)
	case has("EvaluationResults"):
		err = s.loadSimulation(name, b, top)
	case has("UserSummaryList"):
		err = s.loadListUsers(name, b, top)
	case has("Users") && (has("ApproximateTotalCount") || looksLikeUsers(top["Users"])):
		err = s.loadSearchUsers(name, b, top)
	case has("User") && !bytes.Contains(top["User"], []byte(`"UserName"`)): // not IAM's get-user
		err = s.loadDescribeUser(name, b, top)
	case has("Instance"):
		err = s.loadDescribeInstance(name, b, top)
	case has("InstanceSummaryList"):
		err = s.loadListInstances(name, b, top)
	case has("RoleDetailList") || (has("Policies") && has("UserDetailList")):
		err = s.loadAuthDetails(name, b, top)
	case has("Role"):
		err = s.loadGetRole(name, b, top)
	case has("PolicyDocument") && has("RoleName"):
		err = s.loadGetRolePolicy(name, b, top)
	case has("PolicyVersion"):
		err = s.loadGetPolicyVersion(name, b, top)
	case has("Policy") && bytes.Contains(top["Policy"], []byte(`"PolicySummary"`)):
		err = s.loadDescribeOrgPolicy(name, top)
	case has("Policies") && (has("TargetId") || looksLikeOrgPolicies(top["Policies"])):
		err = s.loadOrgPolicies(name, top)
	case has("Parents"):
		err = s.loadListParents(name, top)
	case has("Policy"):
		err = s.loadGetPolicy(name, b, top)
	case has("AttachedPolicies"):
		err = s.loadListAttached(name, b, top)
	case has("PolicyNames"):
		err = s.loadListRolePolicies(name, b, top)
	case has("SAMLMetadataDocument"):
		err = s.loadGetSAMLProvider(name, b, top)
	case has("SAMLProviderList"):
		err = s.loadListSAMLProviders(name, b, top)
	case has("Events"):
		err = s.loadLookupEvents(name, b, top)
	case has("Roles"):
		err = s.loadListRoles(name, b, top)
	case has("AuthenticationProfileSummaryList"):
		err = s.loadAuthProfileList(name, top)
	case has("AuthenticationProfile"):
		err = s.loadAuthProfile(name, top)
	case has("Origins"):
		err = s.loadApprovedOrigins(name, top)
	default:
		return &NotReadError{File: name, Keys: slices.Sorted(maps.Keys(top)), What: otherOutput(top)}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// topLevel splits a JSON object into its members' raw values. It reads with
// jsonscan, several times faster than encoding/json into a map: a
// list-users output of 100,000 users is 26 MB. When the text is not an
// object, encoding/json's error says why, with the line.
func topLevel(b []byte) (map[string]json.RawMessage, error) {
	top := map[string]json.RawMessage{}
	d := jsonscan.NewDecoder(bytes.NewReader(b), 64<<10)
	err := d.ReadObject(func(key string) error {
		if _, err := d.Peek(); err != nil {
			return err
		}
		start := d.Offset()
		if err := d.Skip(); err != nil {
			return err
		}
		top[key] = b[start:d.Offset():d.Offset()]
		return nil
	})
	if err == nil && !d.AtEOF() {
		err = errors.New("more after the object")
	}
	if err != nil {
		var m map[string]json.RawMessage
		if jerr := json.Unmarshal(b, &m); jerr != nil {
			return nil, errors.New(jsonErr(b, jerr))
		}
		return nil, err
	}
	return top, nil
}

func jsonErr(b []byte, err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		line := 1 + bytes.Count(b[:min(int(se.Offset), len(b))], []byte("\n"))
		return fmt.Sprintf("line %d (byte %d): %v", line, se.Offset, err)
	}
	return err.Error()
}

func looksLikeUsers(raw json.RawMessage) bool {
	var us []map[string]json.RawMessage
	if json.Unmarshal(raw, &us) != nil {
		return false
	}
	for _, u := range us {
		if _, ok := u["Username"]; ok {
			return true
		}
	}
	return len(us) == 0
}

// Connect user ARNs: arn:aws:connect:REGION:ACCOUNT:instance/ID/agent/USERID.
func instanceOfUserARN(arn string) string {
	res := arnPart(arn, 5)
	if !strings.HasPrefix(res, "instance/") {
		return ""
	}
	parts := strings.Split(res, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return ""
}

func (s *Set) userList(instance string, src Source) *UserList {
	ul := s.Users[instance]
	if ul == nil {
		ul = &UserList{InstanceID: instance}
		s.Users[instance] = ul
	}
	ul.Sources = append(ul.Sources, src)
	return ul
}

type apiUser struct {
	ID           string `json:"Id"`
	Arn          string `json:"Arn"`
	Username     string `json:"Username"`
	IdentityInfo struct {
		FirstName      string `json:"FirstName"`
		LastName       string `json:"LastName"`
		Email          string `json:"Email"`
		SecondaryEmail string `json:"SecondaryEmail"`
		Mobile         string `json:"Mobile"`
	} `json:"IdentityInfo"`
	Tags               map[string]string `json:"Tags"`
	PhoneConfig        map[string]any    `json:"PhoneConfig"`
	SecurityProfileIds []string          `json:"SecurityProfileIds"`
	RoutingProfileID   string            `json:"RoutingProfileId"`
	HierarchyGroupID   string            `json:"HierarchyGroupId"`
	DirectoryUserID    string            `json:"DirectoryUserId"`
}

func (u apiUser) user(src Source, detailed bool) *User {
	return &User{ID: u.ID, ARN: u.Arn, Username: u.Username, FirstName: u.IdentityInfo.FirstName, LastName: u.IdentityInfo.LastName, Email: u.IdentityInfo.Email,
		SecondaryEmail: u.IdentityInfo.SecondaryEmail, Mobile: u.IdentityInfo.Mobile, Tags: u.Tags,
		Detailed: detailed, PhoneConfig: u.PhoneConfig, SecurityProfileIDs: u.SecurityProfileIds, RoutingProfileID: u.RoutingProfileID,
		HierarchyGroupID: u.HierarchyGroupID, DirectoryUserID: u.DirectoryUserID, Source: src}
}

// addUser adds or completes a user: the same ID (or, for a user without
// one, the same name) is one user, the detailed answer winning.
func (ul *UserList) addUser(u *User) {
	if ul.index == nil || len(ul.index) > len(ul.Users) {
		ul.reindex()
	}
	key := "name:" + u.Username
	if u.ID != "" {
		key = "id:" + u.ID
	}
	if r := arnPart(u.ARN, 3); r != "" && !slices.Contains(u.Regions, r) {
		u.Regions = append(u.Regions, r)
	}
	if i, ok := ul.index[key]; ok && i < len(ul.Users) && userKey(ul.Users[i]) == key {
		old := ul.Users[i]
		for _, r := range old.Regions {
			if !slices.Contains(u.Regions, r) {
				u.Regions = append(u.Regions, r)
			}
		}
		if u.Detailed || !old.Detailed {
			ul.Users[i] = u
		} else {
			old.Regions = u.Regions
		}
		return
	}
	ul.index[key] = len(ul.Users)
	ul.Users = append(ul.Users, u)
}

func userKey(u *User) string {
	if u.ID != "" {
		return "id:" + u.ID
	}
	return "name:" + u.Username
}

// reindex rebuilds the index (after Users was edited directly).
func (ul *UserList) reindex() {
	ul.index = make(map[string]int, len(ul.Users))
	for i, u := range ul.Users {
		if _, ok := ul.index[userKey(u)]; !ok {
			ul.index[userKey(u)] = i
		}
	}
}

func (s *Set) loadListUsers(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		UserSummaryList []apiUser
		NextToken       string
	}
	var err error
	if out.UserSummaryList, err = readUserSummaries(top["UserSummaryList"]); err != nil {
		return fmt.Errorf("list-users output: UserSummaryList: %w", err)
	}
	if t, ok := top["NextToken"]; ok && json.Unmarshal(t, &out.NextToken) != nil {
		return fmt.Errorf("list-users output: NextToken is not a string: %s", t)
	}
	kind := "aws connect list-users"
	if out.NextToken != "" {
		kind += ", one page: it has a NextToken"
	}
	src := s.source(name, kind)
	instance := ""
	for _, u := range out.UserSummaryList {
		if id := instanceOfUserARN(u.Arn); id != "" {
			instance = id
			break
		}
	}
	ul := s.userList(instance, src)
	if out.NextToken != "" {
		ul.Partial = append(ul.Partial, src)
	}
	if out.NextToken == "" {
		ul.Complete = true
		if len(out.UserSummaryList) > 0 {
			if r := arnPart(out.UserSummaryList[0].Arn, 3); r != "" {
				if ul.CompleteIn == nil {
					ul.CompleteIn = map[string]bool{}
				}
				ul.CompleteIn[r] = true
			}
		}
	}
	for _, u := range out.UserSummaryList {
		ul.addUser(u.user(src, false))
	}
	return nil
}

// readUserSummaries reads list-users' UserSummaryList with jsonscan: for
// 100,000 users, encoding/json's reflection took most of an audit's time.
func readUserSummaries(raw []byte) ([]apiUser, error) {
	d := jsonscan.NewDecoder(bytes.NewReader(raw), 64<<10)
	if k, err := d.Peek(); err != nil || k == jsonscan.Null {
		return nil, err
	}
	var users []apiUser
	err := d.ReadArray(func(int) error {
		var u apiUser
		if k, err := d.Peek(); err != nil || k != jsonscan.Object {
			if err == nil {
				err = fmt.Errorf("a user is a JSON %s, not an object", k)
			}
			return err
		}
		err := d.ReadMembers(func(key []byte) error {
			var err error
			switch string(key) {
			case "Id":
				u.ID, err = d.ReadText(maxUserField)
			case "Arn":
				u.Arn, err = d.ReadText(maxUserField)
			case "Username":
				u.Username, err = d.ReadText(maxUserField)
			default:
				err = d.Skip()
			}
			return err
		})
		users = append(users, u)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("byte %d: %w", d.Offset(), err)
	}
	return users, nil
}

// maxUserField bounds a user's ID, ARN or name as read (Connect's own
// limits are far below it).
const maxUserField = 4096

// source records that the file name, the output of an AWS CLI command
// (kind), was read.
func (s *Set) source(name, kind string) Source {
	src := Source{File: name, Kind: kind}
	s.Sources = append(s.Sources, src)
	return src
}

func (s *Set) loadSearchUsers(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		Users []apiUser `json:"Users"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("search-users output: %w", err)
	}
	src := s.source(name, "aws connect search-users")
	// samldoctor collect records what it searched for; the AWS CLI's
	// output does not.
	var searched, how, instance, region, inRegion string
	json.Unmarshal(top["SearchedUsername"], &searched)
	json.Unmarshal(top["SearchedHow"], &how)
	json.Unmarshal(top["Region"], &region)
	// A search in a Global Resiliency replica's Region says only that the
	// name is, or is not, there.
	json.Unmarshal(top["SearchedInRegion"], &inRegion)
	json.Unmarshal(top["InstanceId"], &instance)
	for _, u := range out.Users {
		if id := instanceOfUserARN(u.Arn); id != "" {
			instance = id
		}
	}
	ul := s.userList(instance, src)
	for _, u := range out.Users {
		ul.addUser(u.user(src, true))
	}
	if searched != "" {
		if ul.SearchedFor == nil {
			ul.SearchedFor = map[string]string{}
		}
		if how == "" {
			how = "SearchUsers for Username " + strconv.Quote(searched)
		}
		ul.SearchedFor[searched] = how
	}
	if inRegion != "" && region != "" {
		if ul.SearchedIn == nil {
			ul.SearchedIn = map[string]map[string]bool{}
		}
		if ul.SearchedIn[region] == nil {
			ul.SearchedIn[region] = map[string]bool{}
		}
		ul.SearchedIn[region][inRegion] = true
	}
	return nil
}

func (s *Set) loadDescribeUser(name string, raw []byte, top map[string]json.RawMessage) error {
	var u apiUser
	if err := json.Unmarshal(top["User"], &u); err != nil {
		return fmt.Errorf("describe-user output: %w", err)
	}
	src := s.source(name, "aws connect describe-user")
	s.userList(instanceOfUserARN(u.Arn), src).addUser(u.user(src, true))
	return nil
}

type apiInstance struct {
	ID                     string `json:"Id"`
	Arn                    string `json:"Arn"`
	IdentityManagementType string `json:"IdentityManagementType"`
	InstanceAlias          string `json:"InstanceAlias"`
	InstanceStatus         string `json:"InstanceStatus"`
	// ReplicationConfiguration is describe-instance's, beside Instance.
	ReplicationConfiguration apiReplication `json:"-"`
}

type apiReplication struct {
	ReplicationStatusSummaryList []struct {
		Region string `json:"Region"`
	} `json:"ReplicationStatusSummaryList"`
}

func (s *Set) addInstance(i apiInstance, src Source) {
	in := &Instance{ID: i.ID, ARN: i.Arn, Alias: i.InstanceAlias, IdentityManagementType: i.IdentityManagementType, Status: i.InstanceStatus, Source: src}
	for _, have := range s.Instances {
		if have.ID == i.ID {
			in = have // the first output read describes it; replicas add up
			break
		}
	}
	for _, r := range i.ReplicationConfiguration.ReplicationStatusSummaryList {
		if r.Region != "" && r.Region != in.Region() && !slices.Contains(in.ReplicaRegions, r.Region) {
			in.ReplicaRegions = append(in.ReplicaRegions, r.Region)
		}
	}
	if in.Source == src {
		s.Instances = append(s.Instances, in)
	}
}

func (s *Set) loadDescribeInstance(name string, raw []byte, top map[string]json.RawMessage) error {
	var i apiInstance
	if err := json.Unmarshal(top["Instance"], &i); err != nil {
		return fmt.Errorf("describe-instance output: %w", err)
	}
	if rc, ok := top["ReplicationConfiguration"]; ok {
		if err := json.Unmarshal(rc, &i.ReplicationConfiguration); err != nil {
			return fmt.Errorf("describe-instance output: ReplicationConfiguration: %w", err)
		}
	}
	src := s.source(name, "aws connect describe-instance")
	s.addInstance(i, src)
	return nil
}

func (s *Set) loadListInstances(name string, raw []byte, top map[string]json.RawMessage) error {
	var is []apiInstance
	if err := json.Unmarshal(top["InstanceSummaryList"], &is); err != nil {
		return fmt.Errorf("list-instances output: %w", err)
	}
	src := s.source(name, "aws connect list-instances")
	for _, i := range is {
		s.addInstance(i, src)
	}
	return nil
}

type apiRole struct {
	Path                     string          `json:"Path"`
	RoleName                 string          `json:"RoleName"`
	RoleID                   string          `json:"RoleId"`
	Arn                      string          `json:"Arn"`
	CreateDate               time.Time       `json:"CreateDate"`
	AssumeRolePolicyDocument json.RawMessage `json:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int             `json:"MaxSessionDuration"`
	PermissionsBoundary      struct {
		Arn string `json:"PermissionsBoundaryArn"`
	} `json:"PermissionsBoundary"`
	RolePolicyList []struct {
		PolicyName     string          `json:"PolicyName"`
		PolicyDocument json.RawMessage `json:"PolicyDocument"`
	} `json:"RolePolicyList"`
	AttachedManagedPolicies []struct {
		PolicyName string `json:"PolicyName"`
		PolicyArn  string `json:"PolicyArn"`
	} `json:"AttachedManagedPolicies"`
	Tags []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
}

func (s *Set) addRole(r apiRole, src Source, full bool) (*Role, error) {
	role := &Role{ARN: r.Arn, Name: r.RoleName, Path: r.Path, ID: r.RoleID, CreateDate: r.CreateDate, MaxSessionDuration: r.MaxSessionDuration,
		PermissionsBoundary: r.PermissionsBoundary.Arn, Inline: map[string]*iampolicy.Policy{}, Source: src}
	if tagsKnown(src) {
		role.Tags, role.TagsKnown = map[string]string{}, true
		for _, t := range r.Tags {
			role.Tags[t.Key] = t.Value
		}
	}
	if len(r.AssumeRolePolicyDocument) > 0 {
		p, err := iampolicy.ParseJSON(r.AssumeRolePolicyDocument)
		if err != nil {
			role.TrustErr = err.Error()
		}
		role.Trust = p
	}
	if full {
		role.InlineComplete, role.AttachedComplete = true, true
		for _, ip := range r.RolePolicyList {
			p, err := iampolicy.ParseJSON(ip.PolicyDocument)
			if err != nil {
				return nil, fmt.Errorf("role %s, inline policy %s: %w", r.RoleName, ip.PolicyName, err)
			}
			role.Inline[ip.PolicyName] = p
		}
		for _, ap := range r.AttachedManagedPolicies {
			role.Attached = append(role.Attached, AttachedPolicy{Name: ap.PolicyName, ARN: ap.PolicyArn})
		}
	}
	for i, have := range s.Roles {
		// A role named by get-role-policy alone has no ARN yet: the
		// files are joined by the role they name, in whatever order
		// they are read.
		if have.ARN == role.ARN || have.ARN == "" && have.Name == role.Name {
			// Keep what the earlier source knew that this one does not.
			if !full {
				role.Inline, role.InlineComplete = have.Inline, have.InlineComplete
				role.Attached, role.AttachedComplete = have.Attached, have.AttachedComplete
				if role.Trust == nil && role.TrustErr == "" {
					role.Trust, role.TrustErr = have.Trust, have.TrustErr
				}
				if !role.TagsKnown {
					role.Tags, role.TagsKnown = have.Tags, have.TagsKnown
				}
			} else {
				for k, v := range have.Inline {
					if _, ok := role.Inline[k]; !ok && have.ARN == "" {
						role.Inline[k] = v
					}
				}
			}
			s.Roles[i] = role
			return role, nil
		}
	}
	s.Roles = append(s.Roles, role)
	return role, nil
}

// tagsKnown reports whether an output shows a role's tags whenever it has
// any: get-role and get-account-authorization-details do, list-roles does
// not.
func tagsKnown(src Source) bool {
	return strings.HasSuffix(src.Kind, "get-role") || strings.HasSuffix(src.Kind, "get-account-authorization-details")
}

// RoleByName finds a role by exact name.
func (s *Set) RoleByName(name string) *Role {
	for _, r := range s.Roles {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (s *Set) loadAuthDetails(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		RoleDetailList []apiRole `json:"RoleDetailList"`
		Policies       []struct {
			PolicyName        string `json:"PolicyName"`
			Arn               string `json:"Arn"`
			DefaultVersionID  string `json:"DefaultVersionId"`
			PolicyVersionList []struct {
				Document         json.RawMessage `json:"Document"`
				VersionID        string          `json:"VersionId"`
				IsDefaultVersion bool            `json:"IsDefaultVersion"`
			} `json:"PolicyVersionList"`
		} `json:"Policies"`
		IsTruncated bool `json:"IsTruncated"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("get-account-authorization-details output: %w", err)
	}
	src := s.source(name, "aws iam get-account-authorization-details")
	for _, r := range out.RoleDetailList {
		if _, err := s.addRole(r, src, true); err != nil {
			return err
		}
	}
	if len(out.RoleDetailList) > 0 && !out.IsTruncated {
		s.RolesComplete = &src
	}
	for _, p := range out.Policies {
		mp := &ManagedPolicy{ARN: p.Arn, Name: p.PolicyName, DefaultVersionID: p.DefaultVersionID, Versions: map[string]*iampolicy.Policy{}, Source: src}
		for _, v := range p.PolicyVersionList {
			doc, err := iampolicy.ParseJSON(v.Document)
			if err != nil {
				return fmt.Errorf("policy %s version %s: %w", p.Arn, v.VersionID, err)
			}
			mp.Versions[v.VersionID] = doc
			if v.IsDefaultVersion && mp.DefaultVersionID == "" {
				mp.DefaultVersionID = v.VersionID
			}
		}
		s.Policies[p.Arn] = mp
	}
	return nil
}

func (s *Set) loadGetRole(name string, raw []byte, top map[string]json.RawMessage) error {
	var r apiRole
	if err := json.Unmarshal(top["Role"], &r); err != nil {
		return fmt.Errorf("get-role output: %w", err)
	}
	src := s.source(name, "aws iam get-role")
	_, err := s.addRole(r, src, false)
	return err
}

func (s *Set) loadListRoles(name string, raw []byte, top map[string]json.RawMessage) error {
	var rs []apiRole
	if err := json.Unmarshal(top["Roles"], &rs); err != nil {
		return fmt.Errorf("list-roles output: %w", err)
	}
	src := s.source(name, "aws iam list-roles")
	for _, r := range rs {
		if _, err := s.addRole(r, src, false); err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) loadGetRolePolicy(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		RoleName       string          `json:"RoleName"`
		PolicyName     string          `json:"PolicyName"`
		PolicyDocument json.RawMessage `json:"PolicyDocument"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("get-role-policy output: %w", err)
	}
	p, err := iampolicy.ParseJSON(out.PolicyDocument)
	if err != nil {
		return fmt.Errorf("inline policy %s: %w", out.PolicyName, err)
	}
	src := s.source(name, "aws iam get-role-policy")
	r := s.RoleByName(out.RoleName)
	if r == nil {
		r = &Role{Name: out.RoleName, Inline: map[string]*iampolicy.Policy{}, Source: src}
		s.Roles = append(s.Roles, r)
	}
	r.Inline[out.PolicyName] = p
	return nil
}

// namedRole is the role of that name, added when new.
func (s *Set) namedRole(name string, src Source) *Role {
	r := s.RoleByName(name)
	if r == nil {
		r = &Role{Name: name, Inline: map[string]*iampolicy.Policy{}, Source: src}
		s.Roles = append(s.Roles, r)
	}
	return r
}

func (s *Set) loadGetPolicyVersion(name string, raw []byte, top map[string]json.RawMessage) error {
	var v struct {
		Document         json.RawMessage `json:"Document"`
		VersionID        string          `json:"VersionId"`
		IsDefaultVersion bool            `json:"IsDefaultVersion"`
	}
	if err := json.Unmarshal(top["PolicyVersion"], &v); err != nil {
		return fmt.Errorf("get-policy-version output: %w", err)
	}
	doc, err := iampolicy.ParseJSON(v.Document)
	if err != nil {
		return err
	}
	src := s.source(name, "aws iam get-policy-version")
	// Not in the AWS CLI's output; samldoctor's own bundles add it.
	var arn string
	if a, ok := top["PolicyArn"]; ok && json.Unmarshal(a, &arn) == nil && arn != "" {
		mp := s.Policies[arn]
		if mp == nil {
			mp = &ManagedPolicy{ARN: arn, Versions: map[string]*iampolicy.Policy{}, Source: src}
			s.Policies[arn] = mp
		}
		mp.Versions[v.VersionID] = doc
		if v.IsDefaultVersion && mp.DefaultVersionID == "" {
			mp.DefaultVersionID = v.VersionID
		}
		return nil
	}
	s.Unattributed.PolicyVersions = append(s.Unattributed.PolicyVersions, PolicyVersion{VersionID: v.VersionID, IsDefault: v.IsDefaultVersion, Document: doc, Source: src})
	return nil
}

func (s *Set) loadGetPolicy(name string, raw []byte, top map[string]json.RawMessage) error {
	var p struct {
		PolicyName       string `json:"PolicyName"`
		Arn              string `json:"Arn"`
		DefaultVersionID string `json:"DefaultVersionId"`
	}
	if err := json.Unmarshal(top["Policy"], &p); err != nil || p.Arn == "" {
		return fmt.Errorf("get-policy output: no Policy.Arn")
	}
	src := s.source(name, "aws iam get-policy")
	mp := s.Policies[p.Arn]
	if mp == nil {
		mp = &ManagedPolicy{ARN: p.Arn, Versions: map[string]*iampolicy.Policy{}, Source: src}
		s.Policies[p.Arn] = mp
	}
	mp.Name, mp.DefaultVersionID = p.PolicyName, p.DefaultVersionID
	return nil
}

func (s *Set) loadListAttached(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		AttachedPolicies []struct {
			PolicyName string `json:"PolicyName"`
			PolicyArn  string `json:"PolicyArn"`
		} `json:"AttachedPolicies"`
		// Not in the AWS CLI's output; samldoctor's own bundles add it.
		RoleName string `json:"RoleName"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("list-attached-role-policies output: %w", err)
	}
	src := s.source(name, "aws iam list-attached-role-policies")
	l := AttachedPolicyList{Source: src, Policies: []AttachedPolicy{}}
	for _, p := range out.AttachedPolicies {
		l.Policies = append(l.Policies, AttachedPolicy{Name: p.PolicyName, ARN: p.PolicyArn})
	}
	if out.RoleName != "" {
		r := s.namedRole(out.RoleName, src)
		r.Attached, r.AttachedComplete = append(r.Attached, l.Policies...), true
		return nil
	}
	s.Unattributed.AttachedPolicies = append(s.Unattributed.AttachedPolicies, l)
	return nil
}

func (s *Set) loadListRolePolicies(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		PolicyNames []string `json:"PolicyNames"`
		// Not in the AWS CLI's output; samldoctor's own bundles add it.
		RoleName string `json:"RoleName"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("list-role-policies output: %w", err)
	}
	src := s.source(name, "aws iam list-role-policies")
	if out.RoleName != "" {
		r := s.namedRole(out.RoleName, src)
		for _, n := range out.PolicyNames {
			if _, ok := r.Inline[n]; !ok {
				r.Inline[n] = nil // named, document not known yet
			}
		}
		r.InlineComplete = true
		return nil
	}
	s.Unattributed.InlineNames = append(s.Unattributed.InlineNames, InlineNameList{Names: append([]string{}, out.PolicyNames...), Source: src})
	return nil
}

func (s *Set) loadGetSAMLProvider(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		SAMLMetadataDocument    string    `json:"SAMLMetadataDocument"`
		ValidUntil              time.Time `json:"ValidUntil"`
		CreateDate              time.Time `json:"CreateDate"`
		AssertionEncryptionMode string    `json:"AssertionEncryptionMode"`
		SAMLProviderUUID        string    `json:"SAMLProviderUUID"`
		PrivateKeyList          *[]struct {
			KeyID string `json:"KeyId"`
		} `json:"PrivateKeyList"`
		// Not in the AWS CLI's output; samldoctor's own bundles add it.
		SAMLProviderArn string `json:"SAMLProviderArn"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("get-saml-provider output: %w", err)
	}
	src := s.source(name, "aws iam get-saml-provider")
	p := &SAMLProvider{ARN: out.SAMLProviderArn, ValidUntil: out.ValidUntil, CreateDate: out.CreateDate,
		AssertionEncryptionMode: out.AssertionEncryptionMode, UUID: out.SAMLProviderUUID, Source: src}
	if out.PrivateKeyList != nil {
		p.PrivateKeysKnown = true
		for _, k := range *out.PrivateKeyList {
			p.PrivateKeyIDs = append(p.PrivateKeyIDs, k.KeyID)
		}
	}
	md, err := assertion.ParseMetadata([]byte(out.SAMLMetadataDocument))
	if err != nil {
		p.MetadataErr = err.Error()
	}
	p.Metadata = md
	if p.ARN != "" {
		s.Providers = append(s.Providers, p)
	} else {
		s.Unattributed.Providers = append(s.Unattributed.Providers, p)
	}
	return nil
}

func (s *Set) loadListSAMLProviders(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		SAMLProviderList []struct {
			Arn        string    `json:"Arn"`
			ValidUntil time.Time `json:"ValidUntil"`
			CreateDate time.Time `json:"CreateDate"`
		} `json:"SAMLProviderList"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("list-saml-providers output: %w", err)
	}
	src := s.source(name, "aws iam list-saml-providers")
	pl := &ProviderList{Source: src, ARNs: []string{}}
	for _, p := range out.SAMLProviderList {
		pl.ARNs = append(pl.ARNs, p.Arn)
		pl.Dates = append(pl.Dates, ProviderDates{CreateDate: p.CreateDate, ValidUntil: p.ValidUntil})
	}
	s.ProviderList = pl
	return nil
}

func (s *Set) loadLookupEvents(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		Events []struct {
			EventID         string    `json:"EventId"`
			EventName       string    `json:"EventName"`
			EventTime       time.Time `json:"EventTime"`
			EventSource     string    `json:"EventSource"`
			Username        string    `json:"Username"`
			CloudTrailEvent string    `json:"CloudTrailEvent"`
		} `json:"Events"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("lookup-events output: %w", err)
	}
	src := s.source(name, "aws cloudtrail lookup-events")
	s.EventSources = append(s.EventSources, src)
	for i, e := range out.Events {
		ev := &Event{ID: e.EventID, Name: e.EventName, Time: e.EventTime, Source: e.EventSource, Username: e.Username, File: src}
		if e.CloudTrailEvent != "" {
			if err := fillEvent(ev, e.CloudTrailEvent); err != nil {
				return fmt.Errorf("event %d (%s): CloudTrailEvent: %w", i, e.EventID, err)
			}
		}
		s.Events = append(s.Events, ev)
	}
	return nil
}

// fillEvent reads the fields diagnosis uses from a CloudTrail record.
func fillEvent(ev *Event, record string) error {
	var r struct {
		EventSource  string `json:"eventSource"`
		EventName    string `json:"eventName"`
		AWSRegion    string `json:"awsRegion"`
		ErrorCode    string `json:"errorCode"`
		ErrorMessage string `json:"errorMessage"`
		Recipient    string `json:"recipientAccountId"`
		UserIdentity struct {
			Type           string `json:"type"`
			PrincipalID    string `json:"principalId"`
			Arn            string `json:"arn"`
			UserName       string `json:"userName"`
			SessionContext struct {
				SessionIssuer struct {
					Arn string `json:"arn"`
				} `json:"sessionIssuer"`
			} `json:"sessionContext"`
		} `json:"userIdentity"`
		RequestParameters map[string]any `json:"requestParameters"`
		ResponseElements  map[string]any `json:"responseElements"`
	}
	if err := json.Unmarshal([]byte(record), &r); err != nil {
		return err
	}
	if ev.Source == "" {
		ev.Source = r.EventSource
	}
	if ev.Name == "" {
		ev.Name = r.EventName
	}
	ev.Region, ev.ErrorCode, ev.ErrorMsg, ev.Account = r.AWSRegion, r.ErrorCode, r.ErrorMessage, r.Recipient
	ev.IdentityType, ev.IdentityARN, ev.PrincipalID = r.UserIdentity.Type, r.UserIdentity.Arn, r.UserIdentity.PrincipalID
	ev.SessionIssuerARN = r.UserIdentity.SessionContext.SessionIssuer.Arn
	str := func(m map[string]any, keys ...string) string {
		for _, k := range keys {
			if v, ok := m[k].(string); ok {
				return v
			}
		}
		return ""
	}
	ev.RoleARN = str(r.RequestParameters, "roleArn")
	ev.PrincipalARN = str(r.RequestParameters, "principalArn")
	ev.RoleSessionName = str(r.RequestParameters, "roleSessionName")
	ev.InstanceID = str(r.RequestParameters, "InstanceId", "instanceId")
	if aru, ok := r.ResponseElements["assumedRoleUser"].(map[string]any); ok {
		ev.AssumedRoleID = str(aru, "assumedRoleId")
	}
	return nil
}

func (s *Set) loadSimulation(name string, raw []byte, top map[string]json.RawMessage) error {
	var out struct {
		EvaluationResults []struct {
			EvalActionName    string `json:"EvalActionName"`
			EvalResourceName  string `json:"EvalResourceName"`
			EvalDecision      string `json:"EvalDecision"`
			MatchedStatements []struct {
				SourcePolicyID   string `json:"SourcePolicyId"`
				SourcePolicyType string `json:"SourcePolicyType"`
			} `json:"MatchedStatements"`
			MissingContextValues        []string `json:"MissingContextValues"`
			OrganizationsDecisionDetail *struct {
				AllowedByOrganizations bool `json:"AllowedByOrganizations"`
			} `json:"OrganizationsDecisionDetail"`
			PermissionsBoundaryDecisionDetail *struct {
				AllowedByPermissionsBoundary bool `json:"AllowedByPermissionsBoundary"`
			} `json:"PermissionsBoundaryDecisionDetail"`
		} `json:"EvaluationResults"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("simulate-principal-policy output: %w", err)
	}
	src := s.source(name, "aws iam simulate-principal-policy")
	for _, r := range out.EvaluationResults {
		sim := &Simulation{Action: r.EvalActionName, Resource: r.EvalResourceName, Decision: r.EvalDecision, MissingContext: r.MissingContextValues, Source: src}
		for _, m := range r.MatchedStatements {
			sim.MatchedStatements = append(sim.MatchedStatements, m.SourcePolicyType+" "+m.SourcePolicyID)
		}
		if d := r.OrganizationsDecisionDetail; d != nil {
			v := d.AllowedByOrganizations
			sim.AllowedByOrganizations = &v
		}
		if d := r.PermissionsBoundaryDecisionDetail; d != nil {
			v := d.AllowedByPermissionsBoundary
			sim.AllowedByPermissionsBoundary = &v
		}
		s.Simulations = append(s.Simulations, sim)
	}
	return nil
}

// loadTrafficGroups reads aws connect list-traffic-distribution-groups.
func (s *Set) loadTrafficGroups(name string, top map[string]json.RawMessage) error {
	var l []struct {
		ID          string `json:"Id"`
		Arn         string `json:"Arn"`
		Name        string `json:"Name"`
		InstanceArn string `json:"InstanceArn"`
		IsDefault   bool   `json:"IsDefault"`
	}
	if err := json.Unmarshal(top["TrafficDistributionGroupSummaryList"], &l); err != nil {
		return fmt.Errorf("list-traffic-distribution-groups output: %w", err)
	}
	src := s.source(name, "aws connect list-traffic-distribution-groups")
	for _, g := range l {
		tg := s.trafficGroup(g.ID, g.Arn, src)
		tg.Name, tg.InstanceARN, tg.IsDefault = g.Name, g.InstanceArn, g.IsDefault
	}
	return nil
}

// loadTrafficGroupUsers reads aws connect
// list-traffic-distribution-group-users; samldoctor collect adds the
// group's ID, which the AWS CLI's output does not carry.
func (s *Set) loadTrafficGroupUsers(name string, top map[string]json.RawMessage) error {
	var l []struct {
		UserID string `json:"UserId"`
	}
	if err := json.Unmarshal(top["TrafficDistributionGroupUserSummaryList"], &l); err != nil {
		return fmt.Errorf("list-traffic-distribution-group-users output: %w", err)
	}
	var id string
	json.Unmarshal(top["TrafficDistributionGroupId"], &id)
	src := s.source(name, "aws connect list-traffic-distribution-group-users")
	tg := s.trafficGroup(id, "", src)
	tg.UsersRead = true
	for _, u := range l {
		tg.Users = append(tg.Users, u.UserID)
	}
	return nil
}

func (s *Set) trafficGroup(id, arn string, src Source) *TrafficGroup {
	for _, g := range s.TrafficGroups {
		if id != "" && (g.ID == id || g.ARN == id) || arn != "" && (g.ARN == arn || g.ID == arn) {
			if g.ARN == "" {
				g.ARN = arn
			}
			return g
		}
	}
	g := &TrafficGroup{ID: id, ARN: arn, Source: src}
	s.TrafficGroups = append(s.TrafficGroups, g)
	return g
}
