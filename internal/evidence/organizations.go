package evidence

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// AWS Organizations' policy types that bound what IAM grants.
const (
	SCP = "SERVICE_CONTROL_POLICY"
	RCP = "RESOURCE_CONTROL_POLICY"
)

// Organizations is what is known of the organization's SCPs and RCPs and
// of the path from its root to the account: the outputs of aws
// organizations list-policies, describe-policy, list-policies-for-target
// and list-parents.
type Organizations struct {
	// Policies by ID (p-...).
	Policies map[string]*OrgPolicy
	// Attachments are list-policies-for-target outputs: the policies of
	// one type attached directly to one target.
	Attachments []OrgAttachments
	// Parents are list-parents outputs.
	Parents []OrgParent
	// Listed are list-policies outputs: the policies of a type that the
	// organization has, not which of them apply to an account.
	Listed []Source
}

// OrgPolicy is an SCP or RCP.
type OrgPolicy struct {
	ID, ARN, Name, Type string
	AWSManaged          bool
	// Document is the policy's content (describe-policy), nil when only
	// its summary is known.
	Document *iampolicy.Policy
	DocErr   string
	Source   Source
}

// OrgAttachments is the policies of one type attached directly to a
// target (list-policies-for-target).
type OrgAttachments struct {
	// Target is the root, OU or account ID; "" when the output does not
	// say, and the sign-in's account is meant.
	Target string
	Type   string
	IDs    []string
	// Partial is set when the output is one page (it has a NextToken).
	Partial bool
	Source  Source
}

// OrgParent is a target's parent (list-parents).
type OrgParent struct {
	// Child is "" when the output does not say: the sign-in's account.
	Child      string
	Parent     string
	ParentType string // ROOT or ORGANIZATIONAL_UNIT
	Source     Source
}

// awsManagedOrgPolicies are the AWS managed policies Organizations
// attaches by itself, with their documented content: FullAWSAccess (SCPs)
// and RCPFullAWSAccess (RCPs, which cannot be detached).
var awsManagedOrgPolicies = map[string]struct{ name, typ, doc string }{
	"p-FullAWSAccess":    {"FullAWSAccess", SCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	"p-RCPFullAWSAccess": {"RCPFullAWSAccess", RCP, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
}

// Empty reports whether nothing about the organization is known.
func (o *Organizations) Empty() bool {
	return len(o.Policies) == 0 && len(o.Attachments) == 0 && len(o.Parents) == 0 && len(o.Listed) == 0
}

// Policy returns a policy by ID, the AWS managed ones Organizations
// attaches by itself included (their content is documented).
func (o *Organizations) Policy(id string) *OrgPolicy {
	if p := o.Policies[id]; p != nil && p.Document != nil {
		return p
	}
	if m, ok := awsManagedOrgPolicies[id]; ok {
		doc, _ := iampolicy.Parse(m.doc)
		return &OrgPolicy{ID: id, Name: m.name, Type: m.typ, AWSManaged: true, Document: doc,
			ARN:    "arn:aws:organizations::aws:policy/" + strings.ToLower(m.typ) + "/" + id,
			Source: Source{Kind: "AWS managed policy " + m.name + ", its documented content"}}
	}
	return o.Policies[id]
}

// ManagementAccount is the organization's management account, read from
// the ARN of a policy it created (arn:aws:organizations::ACCOUNT:policy/...);
// "" when no such policy is known.
func (o *Organizations) ManagementAccount() string {
	for _, p := range o.Policies {
		if parts := strings.SplitN(p.ARN, ":", 6); len(parts) == 6 && parts[2] == "organizations" && parts[4] != "aws" && parts[4] != "" {
			return parts[4]
		}
	}
	return ""
}

// OrgID is the organization's ID (o-...), read from a policy's ARN.
func (o *Organizations) OrgID() string {
	for _, p := range o.Policies {
		if m := orgIDRE.FindString(p.ARN); m != "" {
			return m
		}
	}
	return ""
}

var orgIDRE = regexp.MustCompile(`o-[a-z0-9]{10,32}`)

// Attached returns the policies of a type attached directly to a target,
// and where that was read; account is the sign-in's account, which an
// output that does not name its target is about.
func (o *Organizations) Attached(target, typ, account string) (*OrgAttachments, bool) {
	var found *OrgAttachments
	for i, a := range o.Attachments {
		if a.Type != typ {
			continue
		}
		if a.Target == target || a.Target == "" && target == account {
			found = &o.Attachments[i]
			if a.Target == target {
				return found, true
			}
		}
	}
	return found, found != nil
}

// Path is the path from the organization's root to the account, root
// first, as far as list-parents outputs tell it; complete is set when it
// reaches the root.
func (o *Organizations) Path(account string) (path []string, complete bool) {
	path = []string{account}
	child := account
	for range 10 { // an organization nests OUs five deep at most
		var parent *OrgParent
		for i, p := range o.Parents {
			if p.Child == child || p.Child == "" && child == account {
				parent = &o.Parents[i]
				if p.Child == child {
					break
				}
			}
		}
		if parent == nil {
			break
		}
		path = append([]string{parent.Parent}, path...)
		if parent.ParentType == "ROOT" || strings.HasPrefix(parent.Parent, "r-") {
			return path, true
		}
		child = parent.Parent
	}
	return path, false
}

// ParentSource is where the parent of a child was read.
func (o *Organizations) ParentSource(child, account string) (Source, bool) {
	for _, p := range o.Parents {
		if p.Child == child || p.Child == "" && child == account {
			return p.Source, true
		}
	}
	return Source{}, false
}

// targetRE finds an Organizations target's ID in a file name: an account
// ID, an OU ID or a root ID, not inside a longer word.
var targetRE = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}|[0-9]{12})(?:[^0-9A-Za-z]|$)`)

// targetInName is the target ID a file's name carries, "" when none.
func targetInName(name string) string {
	base := filepath.Base(name)
	if i := strings.LastIndex(base, ": "); i >= 0 {
		base = base[i+2:]
	}
	if m := targetRE.FindStringSubmatch(base); m != nil {
		return m[1]
	}
	return ""
}

type apiOrgPolicySummary struct {
	ID         string `json:"Id"`
	Arn        string `json:"Arn"`
	Name       string `json:"Name"`
	Type       string `json:"Type"`
	AwsManaged bool   `json:"AwsManaged"`
}

// looksLikeOrgPolicies reports whether a Policies list is Organizations'
// (policy summaries with a Type), not IAM's list-policies.
func looksLikeOrgPolicies(raw json.RawMessage) bool {
	var ps []map[string]json.RawMessage
	if json.Unmarshal(raw, &ps) != nil || len(ps) == 0 {
		return false
	}
	for _, p := range ps {
		if _, ok := p["PolicyName"]; ok {
			return false
		}
		if _, ok := p["Type"]; !ok {
			return false
		}
	}
	return true
}

func (o *Organizations) summary(s apiOrgPolicySummary, src Source) *OrgPolicy {
	if o.Policies == nil {
		o.Policies = map[string]*OrgPolicy{}
	}
	p := o.Policies[s.ID]
	if p == nil {
		p = &OrgPolicy{ID: s.ID, Source: src}
		o.Policies[s.ID] = p
	}
	p.ARN, p.Name, p.Type, p.AWSManaged = s.Arn, s.Name, s.Type, s.AwsManaged
	return p
}

// loadOrgPolicies reads list-policies or list-policies-for-target: the
// same shape. Only an output known to be list-policies-for-target says
// which policies apply to a target: its bundle record names the target
// (TargetId), or its file name says "for-target" (and carries the target's
// ID, else it is about the sign-in's account). Any other is the
// organization's list of policies of the type, which applies to no
// account in particular.
func (s *Set) loadOrgPolicies(name string, top map[string]json.RawMessage) error {
	var l []apiOrgPolicySummary
	if err := json.Unmarshal(top["Policies"], &l); err != nil {
		return fmt.Errorf("organizations list-policies output: %w", err)
	}
	var target, filter, next string
	json.Unmarshal(top["TargetId"], &target)
	json.Unmarshal(top["Filter"], &filter)
	json.Unmarshal(top["NextToken"], &next)
	_, forTarget := top["TargetId"]
	if !forTarget && strings.Contains(strings.ToLower(filepath.Base(name)), "for-target") {
		forTarget, target = true, targetInName(name)
	}
	if !forTarget {
		src := s.source(name, "aws organizations list-policies")
		s.Org.Listed = append(s.Org.Listed, src)
		for _, p := range l {
			s.Org.summary(p, src)
		}
		return nil
	}
	kind := "aws organizations list-policies-for-target"
	if next != "" {
		kind += ", one page: it has a NextToken"
	}
	src := s.source(name, kind)
	a := OrgAttachments{Target: target, Type: filter, Partial: next != "", Source: src}
	for _, p := range l {
		s.Org.summary(p, src)
		a.IDs = append(a.IDs, p.ID)
		if a.Type == "" {
			a.Type = p.Type
		}
	}
	if len(a.IDs) == 0 {
		// Organizations keeps at least one policy of an enabled type on
		// every target: an empty list is of a type not in use.
		return nil
	}
	s.Org.Attachments = append(s.Org.Attachments, a)
	return nil
}

// loadDescribeOrgPolicy reads describe-policy: a policy's summary and its
// content.
func (s *Set) loadDescribeOrgPolicy(name string, top map[string]json.RawMessage) error {
	var out struct {
		PolicySummary apiOrgPolicySummary `json:"PolicySummary"`
		Content       string              `json:"Content"`
	}
	if err := json.Unmarshal(top["Policy"], &out); err != nil {
		return fmt.Errorf("organizations describe-policy output: %w", err)
	}
	src := s.source(name, "aws organizations describe-policy")
	p := s.Org.summary(out.PolicySummary, src)
	p.Source = src
	doc, err := iampolicy.Parse(out.Content)
	if err != nil {
		p.DocErr = err.Error()
		return nil
	}
	p.Document = doc
	return nil
}

// loadListParents reads list-parents; its child comes from the bundle
// (ChildId) or the file's name, else it is the sign-in's account.
func (s *Set) loadListParents(name string, top map[string]json.RawMessage) error {
	var l []struct {
		ID   string `json:"Id"`
		Type string `json:"Type"`
	}
	if err := json.Unmarshal(top["Parents"], &l); err != nil {
		return fmt.Errorf("organizations list-parents output: %w", err)
	}
	var child string
	if err := json.Unmarshal(top["ChildId"], &child); err != nil {
		child = targetInName(name)
	}
	src := s.source(name, "aws organizations list-parents")
	for _, p := range l {
		s.Org.Parents = append(s.Org.Parents, OrgParent{Child: child, Parent: p.ID, ParentType: p.Type, Source: src})
	}
	return nil
}

// PolicyShort is a policy type's short name: "SCP" or "RCP".
func PolicyShort(typ string) string {
	if typ == RCP {
		return "RCP"
	}
	return "SCP"
}
