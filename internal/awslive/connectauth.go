package awslive

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	cntypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
)

// maxAuthProfiles bounds the authentication profiles described when the
// list marks none as the instance's default.
const maxAuthProfiles = 10

// approvedOrigins reads the origins allowed to embed the instance's CCP
// (ListApprovedOrigins, every page), recorded as one list-approved-origins
// output with the instance it is about (which the AWS CLI's output does
// not name). A page that fails records nothing of the list: origins not
// read are not origins missing.
func (c *Collector) approvedOrigins(ctx context.Context, t Target, opt func(*connect.Options)) {
	c.progress("Connect: approved origins of %s", t.InstanceID)
	origins := []string{}
	p := connect.NewListApprovedOriginsPaginator(c.Clients.Connect, &connect.ListApprovedOriginsInput{InstanceId: aws.String(t.InstanceID), MaxResults: aws.Int32(25)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			c.failed("connect:ListApprovedOrigins", t.InstanceID, "whether the page embedding the CCP is an approved origin of the instance", err)
			return
		}
		origins = append(origins, page.Origins...)
	}
	c.output("connect:ListApprovedOrigins", "aws connect list-approved-origins", map[string]any{"Origins": origins, "InstanceId": t.InstanceID})
}

// authProfiles reads the instance's authentication profiles
// (ListAuthenticationProfiles, every page), then describes the default
// one, or each (at most maxAuthProfiles) when the list marks none: its
// session length, session-inactivity sign-out and IP ranges.
func (c *Collector) authProfiles(ctx context.Context, t Target, opt func(*connect.Options)) {
	const affects = "the instance's authentication profile (its session length, inactivity sign-out and IP ranges)"
	c.progress("Connect: authentication profiles of %s", t.InstanceID)
	all := []cntypes.AuthenticationProfileSummary{}
	p := connect.NewListAuthenticationProfilesPaginator(c.Clients.Connect, &connect.ListAuthenticationProfilesInput{InstanceId: aws.String(t.InstanceID), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, opt)
		if err != nil {
			c.failed("connect:ListAuthenticationProfiles", t.InstanceID, affects, err)
			return
		}
		all = append(all, page.AuthenticationProfileSummaryList...)
	}
	c.output("connect:ListAuthenticationProfiles", "aws connect list-authentication-profiles", map[string]any{"AuthenticationProfileSummaryList": all, "InstanceId": t.InstanceID})
	var want []cntypes.AuthenticationProfileSummary
	for _, s := range all {
		if s.IsDefault {
			want = []cntypes.AuthenticationProfileSummary{s}
			break
		}
		if len(want) < maxAuthProfiles {
			want = append(want, s)
		}
	}
	var steps []func(*Collector)
	for _, s := range want {
		steps = append(steps, func(sc *Collector) {
			out, err := sc.Clients.Connect.DescribeAuthenticationProfile(ctx, &connect.DescribeAuthenticationProfileInput{InstanceId: aws.String(t.InstanceID), AuthenticationProfileId: s.Id}, opt)
			if err == nil && out.AuthenticationProfile == nil {
				err = errNoField("connect:DescribeAuthenticationProfile", "AuthenticationProfile")
			}
			if err != nil {
				sc.failed("connect:DescribeAuthenticationProfile", aws.ToString(s.Id), affects, err)
				return
			}
			sc.output("connect:DescribeAuthenticationProfile", "aws connect describe-authentication-profile", map[string]any{"AuthenticationProfile": out.AuthenticationProfile})
		})
	}
	c.parallel(steps...)
}
