package awslive

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	ortypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/samldoctor/samldoctor/internal/awsarn"
)

// orgAffects is what the Organizations reads settle.
const orgAffects = "the organization's SCPs and RCPs on the account (Organizations answers only in the management account or the account delegated to administer its policies)"

// orgRegion is the Region of Organizations' endpoint in a partition: the
// service has one endpoint per partition.
func orgRegion(partition string) string {
	switch partition {
	case "aws-us-gov":
		return "us-gov-west-1"
	case "aws-cn":
		return "cn-northwest-1"
	}
	return "us-east-1"
}

// organizations reads the account's place in its organization and the
// SCPs and RCPs on the way: ListParents from the account up to the root,
// ListPoliciesForTarget of each type for each level, then DescribePolicy
// for each policy that is not AWS managed. The bundle records the target
// of each list (TargetId, Filter, ChildId), which the AWS CLI's output
// does not carry. An account outside any organization, or a policy type
// not enabled, has nothing to read; a refusal stops the reads with one
// record.
func (c *Collector) organizations(ctx context.Context, t Target) {
	ra, err := awsarn.ParseRole(t.RoleArn)
	if err != nil || c.Clients.Organizations == nil {
		return
	}
	cl := c.Clients.Organizations
	opt := func(o *organizations.Options) { o.Region = orgRegion(ra.Partition) }
	c.progress("Organizations: the path of account %s and its SCPs and RCPs", ra.Account)
	targets := []string{ra.Account}
	child := ra.Account
	for range 6 { // the account, at most five OUs deep, then the root
		out, err := cl.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(child)}, opt)
		if err != nil {
			c.failed("organizations:ListParents", child, orgAffects, err)
			if len(targets) == 1 {
				return // nothing of the organization can be read
			}
			break
		}
		c.output("organizations:ListParents", "aws organizations list-parents", map[string]any{"Parents": out.Parents, "ChildId": child})
		if len(out.Parents) == 0 {
			break
		}
		p := out.Parents[0]
		targets = append(targets, aws.ToString(p.Id))
		if p.Type == ortypes.ParentTypeRoot {
			break
		}
		child = aws.ToString(p.Id)
	}
	var steps []func(*Collector)
	var ids [][]string
	for _, target := range targets {
		for _, typ := range []ortypes.PolicyType{ortypes.PolicyTypeServiceControlPolicy, ortypes.PolicyTypeResourceControlPolicy} {
			i := len(ids)
			ids = append(ids, nil)
			steps = append(steps, func(s *Collector) {
				var all []ortypes.PolicySummary
				p := organizations.NewListPoliciesForTargetPaginator(cl, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(target), Filter: typ})
				for p.HasMorePages() {
					page, err := p.NextPage(ctx, opt)
					if err != nil {
						s.failed("organizations:ListPoliciesForTarget", target+" "+string(typ), orgAffects, err)
						return
					}
					all = append(all, page.Policies...)
				}
				s.output("organizations:ListPoliciesForTarget", "aws organizations list-policies-for-target", map[string]any{"Policies": all, "TargetId": target, "Filter": string(typ)})
				for _, pol := range all {
					if !pol.AwsManaged {
						ids[i] = append(ids[i], aws.ToString(pol.Id))
					}
				}
			})
		}
	}
	c.parallel(steps...)
	var want []string
	for _, l := range ids {
		for _, id := range l {
			if !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
	}
	steps = nil
	for _, id := range want {
		steps = append(steps, func(s *Collector) {
			out, err := cl.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String(id)}, opt)
			if err == nil && out.Policy == nil {
				err = errNoField("organizations:DescribePolicy", "Policy")
			}
			if err != nil {
				s.failed("organizations:DescribePolicy", id, "the content of the organization's policy "+id, err)
				return
			}
			s.output("organizations:DescribePolicy", "aws organizations describe-policy", map[string]any{"Policy": out.Policy})
		})
	}
	c.parallel(steps...)
}
