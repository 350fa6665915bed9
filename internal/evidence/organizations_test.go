package evidence

import (
	"testing"
)

// The Organizations outputs, as the AWS CLI prints them: which target a
// list-policies-for-target or list-parents output is about comes from the
// bundle's record or the file's name; a list of policies that is not known
// to be for a target applies to no account.
func TestOrganizationsOutputs(t *testing.T) {
	const (
		forTarget = `{"Policies":[{"Id":"p-FullAWSAccess","Arn":"arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess","Name":"FullAWSAccess","Description":"Allows access to every operation","Type":"SERVICE_CONTROL_POLICY","AwsManaged":true},{"Id":"p-examplepolicyid111","Arn":"arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicyid111","Name":"DenyRegions","Type":"SERVICE_CONTROL_POLICY","AwsManaged":false}]}`
		describe  = `{"Policy":{"PolicySummary":{"Id":"p-examplepolicyid111","Arn":"arn:aws:organizations::999988887777:policy/o-a1b2c3d4e5/service_control_policy/p-examplepolicyid111","Name":"DenyRegions","Type":"SERVICE_CONTROL_POLICY","AwsManaged":false},"Content":"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"connect:*\",\"Resource\":\"*\"}}"}}`
		parents   = `{"Parents":[{"Id":"ou-ab12-11111111","Type":"ORGANIZATIONAL_UNIT"}]}`
		root      = `{"Parents":[{"Id":"r-ab12","Type":"ROOT"}]}`
	)
	s := NewSet()
	for name, data := range map[string]string{
		"org-scp-for-target-111122223333.json":     forTarget,
		"org-scp-for-target-ou-ab12-11111111.json": `{"Policies":[{"Id":"p-FullAWSAccess","Name":"FullAWSAccess","Type":"SERVICE_CONTROL_POLICY","AwsManaged":true}]}`,
		"org-policy.json":                          describe,
		"parents.json":                             parents,
		"org-parents-ou-ab12-11111111.json":        root,
		"scps.json":                                forTarget,
	} {
		if err := s.Load(name, []byte(data)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	o := &s.Org
	if got := len(o.Listed); got != 1 {
		t.Errorf("list-policies outputs %d, want 1 (scps.json names no target)", got)
	}
	if a, ok := o.Attached("111122223333", SCP, "111122223333"); !ok || a.Target != "111122223333" || len(a.IDs) != 2 {
		t.Errorf("the account's SCPs: %+v %v", a, ok)
	}
	if a, ok := o.Attached("ou-ab12-11111111", SCP, "111122223333"); !ok || len(a.IDs) != 1 {
		t.Errorf("the OU's SCPs: %+v %v", a, ok)
	}
	if _, ok := o.Attached("r-ab12", SCP, "111122223333"); ok {
		t.Error("the root's SCPs were never read")
	}
	path, complete := o.Path("111122223333")
	if !complete || len(path) != 3 || path[0] != "r-ab12" || path[1] != "ou-ab12-11111111" {
		t.Errorf("path %v complete %v", path, complete)
	}
	p := o.Policy("p-examplepolicyid111")
	if p == nil || p.Document == nil || p.Document.Statements[0].Effect != "Deny" {
		t.Fatalf("describe-policy: %+v", p)
	}
	if full := o.Policy("p-FullAWSAccess"); full == nil || full.Document == nil || !full.AWSManaged {
		t.Errorf("FullAWSAccess's documented content: %+v", full)
	}
	if o.ManagementAccount() != "999988887777" || o.OrgID() != "o-a1b2c3d4e5" {
		t.Errorf("management account %q, org %q", o.ManagementAccount(), o.OrgID())
	}
	// IAM's get-policy has a Policy too: it stays IAM's.
	s2 := NewSet()
	if err := s2.Load("p.json", []byte(`{"Policy":{"PolicyName":"M","Arn":"arn:aws:iam::111122223333:policy/M","DefaultVersionId":"v3"}}`)); err != nil {
		t.Fatal(err)
	}
	if len(s2.Policies) != 1 || !s2.Org.Empty() {
		t.Errorf("IAM get-policy read as Organizations': %+v %+v", s2.Policies, s2.Org)
	}
	// So has IAM's list-policies: it is not read.
	s3 := NewSet()
	err := s3.Load("l.json", []byte(`{"Policies":[{"PolicyName":"M","Arn":"arn:aws:iam::111122223333:policy/M"}],"IsTruncated":false}`))
	if err == nil || !s3.Org.Empty() {
		t.Errorf("IAM list-policies: %v %+v", err, s3.Org)
	}
}

// A role's tags are known from get-role, not from list-roles.
func TestRoleTags(t *testing.T) {
	s := NewSet()
	s.Load("role.json", []byte(`{"Role":{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R","Tags":[{"Key":"dp:exclude:identity","Value":"true"}]}}`))
	if r := s.RoleByName("R"); r == nil || !r.TagsKnown || r.Tags["dp:exclude:identity"] != "true" {
		t.Errorf("get-role tags: %+v", r)
	}
	s = NewSet()
	s.Load("roles.json", []byte(`{"Roles":[{"RoleName":"R","Arn":"arn:aws:iam::111122223333:role/R"}]}`))
	if r := s.RoleByName("R"); r == nil || r.TagsKnown {
		t.Errorf("list-roles shows no tags, yet they are known: %+v", r)
	}
}
