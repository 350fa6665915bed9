package awslive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	cntypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// Target is what to collect evidence about; the capture fills it in when
// the user does not. It is recorded in the bundle as it was.
type Target = evidence.BundleTarget

// Clients are the SDK clients to collect with. CloudTrail is asked per
// Region, since events land where they happen.
type Clients struct {
	Connect    *connect.Client
	IAM        *iam.Client
	CloudTrail func(region string) *cloudtrail.Client
	// Organizations reads the SCPs and RCPs; nil leaves them out.
	Organizations *organizations.Client
}

// NewClients builds the clients from an SDK config (see LoadConfig), with
// the allow-list guard, the deadlines of o, and the SDK's retryer for
// throttling; a service that cannot be reached is not retried, and once a
// host is found unreachable the other calls to it fail at once. Tests
// point cfg at local servers.
func NewClients(cfg aws.Config, o Options) Clients {
	o = o.withDefaults()
	cfg = cfg.Copy()
	cfg.HTTPClient = cappedClient{next: httpClient(o), cap: o.answerCap()}
	b := &breaker{down: map[string]error{}}
	cfg.APIOptions = append(cfg.APIOptions, guard, b.add)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 8
			so.MaxBackoff = o.MaxBackoff
			so.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if unreachable(err) || isTooLarge(err) {
					return aws.FalseTernary
				}
				return aws.UnknownTernary
			})}, so.Retryables...)
		})
	}
	return Clients{
		Connect: connect.NewFromConfig(cfg),
		IAM:     iam.NewFromConfig(cfg),
		CloudTrail: func(region string) *cloudtrail.Client {
			return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.Region = region })
		},
		Organizations: organizations.NewFromConfig(cfg),
	}
}

// Collector gathers the evidence into a bundle.
type Collector struct {
	Clients  Clients
	Progress func(string)
	// FullUserList reads the instance's whole user list (ListUsers,
	// paged) after the search, so that "no such user" does not rest on
	// SearchUsers alone.
	FullUserList bool
	b            *evidence.Bundle
	// pmu serialises Progress calls from steps that run at once.
	pmu *sync.Mutex
}

func (c *Collector) progress(format string, args ...any) {
	if c.Progress == nil {
		return
	}
	if c.pmu != nil {
		c.pmu.Lock()
		defer c.pmu.Unlock()
	}
	c.Progress(fmt.Sprintf(format, args...))
}

// output records one answer in the AWS CLI's shape.
func (c *Collector) output(call, kind string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.b.Outputs = append(c.b.Outputs, evidence.BundleOutput{Call: call, Kind: kind, Output: b})
}

// failed records a call that did not answer: as not found, or as denied
// with what its answer would have settled.
func (c *Collector) failed(call, resource, affects string, err error) {
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case code == "AWSOrganizationsNotInUseException" || code == "PolicyTypeNotEnabledException":
		// Not in an organization, or the policy type not enabled: no such
		// policy applies, and there is nothing to record.
	case code == "NoSuchEntity" || code == "ResourceNotFoundException":
		c.b.NotFound = append(c.b.NotFound, evidence.NotFound{Call: call, Resource: resource, Error: err.Error()})
	case strings.Contains(code, "AccessDenied") || strings.Contains(code, "Unauthorized") || strings.Contains(code, "NotAuthorized"):
		c.b.Denied = append(c.b.Denied, evidence.Denied{Call: call, Resource: resource, Error: code, Affects: affects})
	case isTooLarge(err):
		var e *AnswerTooLargeError
		errors.As(err, &e)
		c.b.Denied = append(c.b.Denied, evidence.Denied{Call: call, Resource: resource, Error: e.Error(), Affects: affects})
	case unreachable(err):
		c.b.Denied = append(c.b.Denied, evidence.Denied{Call: call, Resource: resource, Error: "AWS could not be reached (" + rootCause(err) + ")", Affects: affects})
	case timedOut(err):
		c.b.Denied = append(c.b.Denied, evidence.Denied{Call: call, Resource: resource, Error: "AWS did not answer in time (" + rootCause(err) + ")", Affects: affects})
	default:
		c.b.Denied = append(c.b.Denied, evidence.Denied{Call: call, Resource: resource, Error: err.Error(), Affects: affects})
	}
}

// errNoField says an answer lacks the field it exists to give (an
// endpoint other than AWS answering).
func errNoField(call, field string) error {
	return fmt.Errorf("the answer to %s has no %s", call, field)
}

// rootCause is the innermost error's text: "dial tcp 127.0.0.1:1:
// connect: connection refused", not the SDK's wrapping of it.
func rootCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the deadline passed"
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		err = u
	}
	return err.Error()
}

// Collect makes the read-only calls for t and returns what they answered.
// ctx bounds the whole collection: calls not made by its deadline are
// recorded as not answered.
func (c *Collector) Collect(ctx context.Context, t Target) *evidence.Bundle {
	c.b = &evidence.Bundle{Version: 1, CollectedAt: time.Now().UTC(), Target: t}
	var steps []func(*Collector)
	if t.InstanceID != "" && t.Region != "" {
		steps = append(steps, func(s *Collector) { s.connect(ctx, t) })
	}
	if t.RoleArn != "" || t.ProviderArn != "" {
		steps = append(steps, func(s *Collector) { s.iam(ctx, t) })
	}
	if t.RoleArn != "" {
		steps = append(steps, func(s *Collector) { s.organizations(ctx, t) })
	}
	if t.RoleSessionName != "" {
		steps = append(steps, func(s *Collector) { s.cloudTrail(ctx, t) })
	}
	c.parallel(steps...)
	return c.b
}

// CollectAccount reads what samldoctor audit judges an instance by: the
// instance, its whole user list, every SAML provider of the account, and
// the sign-in records of CloudTrail's event history since t.Since
// (LookupEvents: GetFederationToken in the instance's Region,
// AssumeRoleWithSAML in the sign-in endpoint's).
func (c *Collector) CollectAccount(ctx context.Context, t Target) *evidence.Bundle {
	c.b = &evidence.Bundle{Version: 1, CollectedAt: time.Now().UTC(), Target: t}
	opt := func(o *connect.Options) { o.Region = t.Region }
	since := t.Since
	if since.IsZero() {
		since = time.Now().AddDate(0, 0, -7)
	}
	steps := []func(*Collector){
		func(s *Collector) { s.instance(ctx, t, opt) },
		func(s *Collector) { s.listUsers(ctx, t, opt) },
		func(s *Collector) { s.providers(ctx) },
		func(s *Collector) { s.samlRoles(ctx, t) },
		func(s *Collector) { s.lookup(ctx, t, since, t.Region, "GetFederationToken") },
	}
	// STS logs AssumeRoleWithSAML in the Region of the sign-in endpoint
	// the IdP posts to: us-east-1 for the global one, the instance's for
	// its Regional one (which AWS recommends for Connect). Without a
	// sign-in to say which, both.
	for _, r := range signInRegions(t) {
		steps = append(steps, func(s *Collector) { s.lookup(ctx, t, since, r, "AssumeRoleWithSAML") })
	}
	c.parallel(steps...)
	return c.b
}

// providers reads every SAML provider of the account, each at once.
func (c *Collector) providers(ctx context.Context) {
	lp, err := c.Clients.IAM.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		c.failed("iam:ListSAMLProviders", "", "the account's SAML providers and their certificates", err)
		return
	}
	c.output("iam:ListSAMLProviders", "aws iam list-saml-providers", map[string]any{"SAMLProviderList": lp.SAMLProviderList})
	var steps []func(*Collector)
	for _, p := range lp.SAMLProviderList {
		arn := aws.ToString(p.Arn)
		steps = append(steps, func(s *Collector) { s.provider(ctx, Target{ProviderArn: arn}) })
	}
	c.parallel(steps...)
}

// signInRegions are the Regions whose CloudTrail holds an account's
// AssumeRoleWithSAML records: the sign-in's, when known; else us-east-1
// (the global endpoint) and the instance's Region.
func signInRegions(t Target) []string {
	if t.SignInRegion != "" {
		return []string{t.SignInRegion}
	}
	if t.Region == "" || t.Region == "us-east-1" {
		return []string{"us-east-1"}
	}
	return []string{"us-east-1", t.Region}
}

// samlRoles reads every role of the account whose trust policy names a
// SAML provider (ListRoles shows each role's trust policy), then each such
// role's policies, as a sign-in's role is read: the roles agents sign in
// with, judged by audit whether or not anyone used them lately.
func (c *Collector) samlRoles(ctx context.Context, t Target) {
	var steps []func(*Collector)
	lr := iam.NewListRolesPaginator(c.Clients.IAM, &iam.ListRolesInput{})
	seen := 0
	for lr.HasMorePages() {
		out, err := lr.NextPage(ctx)
		if err != nil {
			c.failed("iam:ListRoles", "", "which roles trust a SAML provider, and their policies", err)
			return
		}
		for _, r := range out.Roles {
			seen++
			if !trustsSAMLProvider(aws.ToString(r.AssumeRolePolicyDocument)) {
				continue
			}
			rt := Target{RoleArn: aws.ToString(r.Arn), InstanceID: t.InstanceID, Region: t.Region}
			steps = append(steps, func(s *Collector) { s.role(ctx, rt) })
		}
		c.progress("IAM: %d roles read, %d trust a SAML provider", seen, len(steps))
	}
	c.parallel(steps...)
}

// trustsSAMLProvider reports whether a trust policy (as IAM returns it,
// URL-encoded) names a SAML provider as a federated principal.
func trustsSAMLProvider(doc string) bool {
	p, err := iampolicy.Parse(doc)
	if err != nil {
		return false
	}
	for _, st := range p.Statements {
		for _, f := range st.Principal["Federated"] {
			if strings.Contains(f, ":saml-provider/") {
				return true
			}
		}
	}
	return false
}

// parallel runs independent steps at once, each recording into its own
// bundle, then adds their answers in the order the steps are given: the
// bundle is the same whatever order AWS answered in.
func (c *Collector) parallel(steps ...func(*Collector)) {
	if c.pmu == nil {
		c.pmu = &sync.Mutex{}
	}
	subs := make([]*Collector, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		subs[i] = &Collector{Clients: c.Clients, Progress: c.Progress, FullUserList: c.FullUserList, b: &evidence.Bundle{}, pmu: c.pmu}
		wg.Add(1)
		go func(s *Collector) {
			defer wg.Done()
			step(s)
		}(subs[i])
	}
	wg.Wait()
	for _, s := range subs {
		c.b.Outputs = append(c.b.Outputs, s.b.Outputs...)
		c.b.Denied = append(c.b.Denied, s.b.Denied...)
		c.b.NotFound = append(c.b.NotFound, s.b.NotFound...)
	}
}

func (c *Collector) connect(ctx context.Context, t Target) {
	opt := func(o *connect.Options) { o.Region = t.Region }
	steps := []func(*Collector){func(s *Collector) { s.instance(ctx, t, opt) },
		func(s *Collector) { s.approvedOrigins(ctx, t, opt) }, func(s *Collector) { s.authProfiles(ctx, t, opt) }}
	if t.RoleSessionName != "" {
		steps = append(steps, func(s *Collector) { s.findUser(ctx, t, opt) })
	}
	c.parallel(steps...)
}

// instance reads the instance, and for Global Resiliency its traffic
// distribution groups and replicas.
func (c *Collector) instance(ctx context.Context, t Target, opt func(*connect.Options)) {
	c.progress("Connect: instance %s in %s", t.InstanceID, t.Region)
	di, err := c.Clients.Connect.DescribeInstance(ctx, &connect.DescribeInstanceInput{InstanceId: aws.String(t.InstanceID)}, opt)
	if err != nil {
		c.failed("connect:DescribeInstance", t.InstanceID, "whether the instance exists and uses SAML", err)
	} else {
		out := map[string]any{"Instance": di.Instance}
		if di.ReplicationConfiguration != nil {
			out["ReplicationConfiguration"] = di.ReplicationConfiguration
		}
		c.output("connect:DescribeInstance", "aws connect describe-instance", out)
	}
	if t.GlobalResiliency {
		c.trafficGroups(ctx, t, opt)
		if err == nil && t.RoleSessionName != "" && di.ReplicationConfiguration != nil {
			c.replicaUsers(ctx, t, di.ReplicationConfiguration.ReplicationStatusSummaryList)
		}
	}
}

// replicaUsers looks the user up in each replica of a Global Resiliency
// instance (the same instance ID in another Region): an agent must exist
// in all of them. One exact SearchUsers per replica.
func (c *Collector) replicaUsers(ctx context.Context, t Target, replicas []cntypes.ReplicationStatusSummary) {
	for _, rep := range replicas {
		region := aws.ToString(rep.Region)
		if region == "" || region == t.Region {
			continue
		}
		c.progress("Connect: looking for user %q in the replica in %s", t.RoleSessionName, region)
		out, err := c.Clients.Connect.SearchUsers(ctx, &connect.SearchUsersInput{
			InstanceId: aws.String(t.InstanceID),
			MaxResults: aws.Int32(10),
			SearchCriteria: &cntypes.UserSearchCriteria{StringCondition: &cntypes.StringCondition{
				FieldName: aws.String("Username"), Value: aws.String(t.RoleSessionName), ComparisonType: cntypes.StringComparisonTypeExact}},
		}, func(o *connect.Options) { o.Region = region })
		if err != nil {
			c.failed("connect:SearchUsers", t.InstanceID+" in "+region, "whether the user exists in the replica in "+region, err)
			continue
		}
		c.output("connect:SearchUsers", "aws connect search-users", map[string]any{"Users": out.Users, "ApproximateTotalCount": len(out.Users),
			"SearchedInRegion": t.RoleSessionName, "Region": region, "InstanceId": t.InstanceID})
	}
}

// maxTrafficGroups bounds the groups whose users are read.
const maxTrafficGroups = 10

// trafficGroups reads a Global Resiliency instance's traffic distribution
// groups and their users: an agent in none cannot sign in.
func (c *Collector) trafficGroups(ctx context.Context, t Target, opt func(*connect.Options)) {
	c.progress("Connect: traffic distribution groups of %s", t.InstanceID)
	out, err := c.Clients.Connect.ListTrafficDistributionGroups(ctx, &connect.ListTrafficDistributionGroupsInput{InstanceId: aws.String(t.InstanceID), MaxResults: aws.Int32(10)}, opt)
	if err != nil {
		c.failed("connect:ListTrafficDistributionGroups", t.InstanceID, "whether the agent is in a traffic distribution group (Global Resiliency)", err)
		return
	}
	c.output("connect:ListTrafficDistributionGroups", "aws connect list-traffic-distribution-groups", map[string]any{"TrafficDistributionGroupSummaryList": out.TrafficDistributionGroupSummaryList})
	for i, g := range out.TrafficDistributionGroupSummaryList {
		if i == maxTrafficGroups {
			break
		}
		users := []cntypes.TrafficDistributionGroupUserSummary{}
		read := true
		p := connect.NewListTrafficDistributionGroupUsersPaginator(c.Clients.Connect, &connect.ListTrafficDistributionGroupUsersInput{TrafficDistributionGroupId: g.Id, MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, opt)
			if err != nil {
				// Not read is not empty: nothing is recorded.
				c.failed("connect:ListTrafficDistributionGroupUsers", aws.ToString(g.Id), "whether the agent is in traffic distribution group "+aws.ToString(g.Name), err)
				read = false
				break
			}
			users = append(users, page.TrafficDistributionGroupUserSummaryList...)
		}
		if read {
			c.output("connect:ListTrafficDistributionGroupUsers", "aws connect list-traffic-distribution-group-users",
				map[string]any{"TrafficDistributionGroupUserSummaryList": users, "TrafficDistributionGroupId": aws.ToString(g.Id)})
		}
	}
}

// findUser looks the user up in at most three Connect calls, whatever the
// instance's size: one SearchUsers whose OrConditions carry the name in
// the cases an IdP or an admin write it (as sent, lower, upper, the local
// part capitalised) and the local part in those cases (another domain),
// then DescribeUser for the user found. AWS does not document whether
// SearchUsers compares case-sensitively, and its index may lag behind
// writes, so a miss is recorded with how it was searched;
// Collector.FullUserList settles it with the whole ListUsers. Without
// SearchUsers it reads the whole ListUsers.
func (c *Collector) findUser(ctx context.Context, t Target, opt func(*connect.Options)) {
	rsn := t.RoleSessionName
	exact := caseVariants(rsn)
	var contains []string
	if local, _, ok := strings.Cut(rsn, "@"); ok && len(local) >= 2 {
		if len(local) > 25 {
			local = local[:25] // CONTAINS takes 2 to 25 characters
		}
		contains = caseVariants(local)
	}
	var or []cntypes.UserSearchCriteria
	cond := func(v string, cmp cntypes.StringComparisonType) cntypes.UserSearchCriteria {
		return cntypes.UserSearchCriteria{StringCondition: &cntypes.StringCondition{FieldName: aws.String("Username"), Value: aws.String(v), ComparisonType: cmp}}
	}
	for _, v := range exact {
		or = append(or, cond(v, cntypes.StringComparisonTypeExact))
	}
	for _, v := range contains {
		or = append(or, cond(v, cntypes.StringComparisonTypeContains))
	}
	how := "one SearchUsers call for Username EXACT " + quoteList(exact)
	if len(contains) > 0 {
		how += " or CONTAINS " + quoteList(contains)
	}
	c.progress("Connect: looking for user %q", rsn)
	out, err := c.Clients.Connect.SearchUsers(ctx, &connect.SearchUsersInput{
		InstanceId:     aws.String(t.InstanceID),
		MaxResults:     aws.Int32(100),
		SearchCriteria: &cntypes.UserSearchCriteria{OrConditions: or},
	}, opt)
	if err != nil {
		c.failed("connect:SearchUsers", rsn, "", err)
		c.listUsers(ctx, t, opt)
		return
	}
	found := out.Users
	c.output("connect:SearchUsers", "aws connect search-users", map[string]any{"Users": found, "ApproximateTotalCount": len(found),
		"SearchedUsername": rsn, "SearchedHow": how, "InstanceId": t.InstanceID})
	// The user's full settings, for a create-user command that keeps them.
	var pick *cntypes.UserSearchSummary
	for i, u := range found {
		if n := aws.ToString(u.Username); n == rsn || pick == nil && strings.EqualFold(n, rsn) {
			pick = &found[i]
		}
	}
	if pick != nil {
		du, err := c.Clients.Connect.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: aws.String(t.InstanceID), UserId: pick.Id}, opt)
		if err != nil {
			c.failed("connect:DescribeUser", aws.ToString(pick.Id), "the user's settings for a create-user command", err)
		} else {
			c.output("connect:DescribeUser", "aws connect describe-user", map[string]any{"User": du.User})
		}
	}
	if c.FullUserList {
		c.listUsers(ctx, t, opt)
	}
}

// caseVariants are a user name as sent, in lower and upper case, and with
// each part of its local part capitalised (jane.doe@example.com:
// Jane.Doe@example.com), without repeats.
func caseVariants(s string) []string {
	local, domain, at := strings.Cut(s, "@")
	title := []byte(strings.ToLower(local))
	for i := range title {
		if (i == 0 || strings.IndexByte("._-+ ", title[i-1]) >= 0) && title[i] >= 'a' && title[i] <= 'z' {
			title[i] -= 'a' - 'A'
		}
	}
	t := string(title)
	if at {
		t += "@" + strings.ToLower(domain)
	}
	var out []string
	for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s), t} {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func (c *Collector) listUsers(ctx context.Context, t Target, opt func(*connect.Options)) {
	var all []cntypes.UserSummary
	p := connect.NewListUsersPaginator(c.Clients.Connect, &connect.ListUsersInput{InstanceId: aws.String(t.InstanceID), MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx, opt)
		if err != nil {
			c.failed("connect:ListUsers", t.InstanceID, "whether a Connect user named "+t.RoleSessionName+" exists", err)
			return
		}
		all = append(all, out.UserSummaryList...)
		c.progress("Connect: %d users read", len(all))
	}
	c.output("connect:ListUsers", "aws connect list-users", map[string]any{"UserSummaryList": all})
}

func (c *Collector) iam(ctx context.Context, t Target) {
	var steps []func(*Collector)
	if t.RoleArn != "" {
		steps = append(steps, func(s *Collector) { s.role(ctx, t) })
	}
	if t.ProviderArn != "" {
		steps = append(steps, func(s *Collector) { s.provider(ctx, t) }, func(s *Collector) { s.providerList(ctx) })
	}
	c.parallel(steps...)
}

func (c *Collector) provider(ctx context.Context, t Target) {
	cl := c.Clients.IAM
	{
		sp, err := cl.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(t.ProviderArn)})
		if err != nil {
			c.failed("iam:GetSAMLProvider", t.ProviderArn, "whether the response's issuer and certificate match the provider", err)
		} else {
			c.output("iam:GetSAMLProvider", "aws iam get-saml-provider", struct {
				*iam.GetSAMLProviderOutput
				SAMLProviderArn string
			}{sp, t.ProviderArn})
		}
	}
}

func (c *Collector) providerList(ctx context.Context) {
	lp, err := c.Clients.IAM.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		c.failed("iam:ListSAMLProviders", "", "whether the provider exists", err)
	} else {
		c.output("iam:ListSAMLProviders", "aws iam list-saml-providers", map[string]any{"SAMLProviderList": lp.SAMLProviderList})
	}
}

func (c *Collector) role(ctx context.Context, t Target) {
	cl := c.Clients.IAM
	ra, err := awsarn.ParseRole(t.RoleArn)
	if err != nil {
		return
	}
	c.progress("IAM: role %s", ra.Name)
	gr, err := cl.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(ra.Name)})
	if err == nil && gr.Role == nil {
		err = errNoField("iam:GetRole", "Role")
	}
	if err != nil {
		c.failed("iam:GetRole", t.RoleArn, "the role's trust policy and role ID", err)
		return
	}
	c.output("iam:GetRole", "aws iam get-role", map[string]any{"Role": gr.Role})
	c.parallel(func(s *Collector) { s.inlinePolicies(ctx, t, ra.Name) }, func(s *Collector) { s.managedPolicies(ctx, t, ra.Name, gr.Role) },
		func(s *Collector) { s.simulate(ctx, t, ra, gr.Role) })
}

// inlinePolicies reads the role's inline policies.
func (c *Collector) inlinePolicies(ctx context.Context, t Target, role string) {
	cl := c.Clients.IAM
	var names []string
	lp := iam.NewListRolePoliciesPaginator(cl, &iam.ListRolePoliciesInput{RoleName: aws.String(role)})
	ok := true
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			c.failed("iam:ListRolePolicies", t.RoleArn, "the role's inline policies", err)
			ok = false
			break
		}
		names = append(names, out.PolicyNames...)
	}
	if ok {
		// RoleName is not in the AWS CLI's output: the bundle adds it, so
		// that an account's several roles' lists are told apart.
		c.output("iam:ListRolePolicies", "aws iam list-role-policies", map[string]any{"RoleName": role, "PolicyNames": names})
		for _, n := range names {
			rp, err := cl.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(n)})
			if err != nil {
				c.failed("iam:GetRolePolicy", n, "the inline policy "+n, err)
				continue
			}
			c.output("iam:GetRolePolicy", "aws iam get-role-policy", map[string]any{"RoleName": rp.RoleName, "PolicyName": rp.PolicyName, "PolicyDocument": rp.PolicyDocument})
		}
	}
}

// managedPolicies reads the role's attached managed policies and its
// permissions boundary, each policy's document at once.
func (c *Collector) managedPolicies(ctx context.Context, t Target, role string, r *iamtypes.Role) {
	cl := c.Clients.IAM
	var attached []iamtypes.AttachedPolicy
	la := iam.NewListAttachedRolePoliciesPaginator(cl, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	ok := true
	for la.HasMorePages() {
		out, err := la.NextPage(ctx)
		if err != nil {
			c.failed("iam:ListAttachedRolePolicies", t.RoleArn, "the role's managed policies", err)
			ok = false
			break
		}
		attached = append(attached, out.AttachedPolicies...)
	}
	var arns []string
	if ok {
		c.output("iam:ListAttachedRolePolicies", "aws iam list-attached-role-policies", map[string]any{"RoleName": role, "AttachedPolicies": attached})
		for _, a := range attached {
			arns = append(arns, aws.ToString(a.PolicyArn))
		}
	}
	if r.PermissionsBoundary != nil {
		arns = append(arns, aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn))
	}
	var steps []func(*Collector)
	for _, arn := range arns {
		steps = append(steps, func(s *Collector) {
			gp, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
			if err == nil && gp.Policy == nil {
				err = errNoField("iam:GetPolicy", "Policy")
			}
			if err != nil {
				s.failed("iam:GetPolicy", arn, "the managed policy "+arn, err)
				return
			}
			s.output("iam:GetPolicy", "aws iam get-policy", map[string]any{"Policy": gp.Policy})
			gv, err := cl.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: gp.Policy.DefaultVersionId})
			if err != nil {
				s.failed("iam:GetPolicyVersion", arn, "the document of "+arn, err)
				return
			}
			s.output("iam:GetPolicyVersion", "aws iam get-policy-version", map[string]any{"PolicyVersion": gv.PolicyVersion, "PolicyArn": arn})
		})
	}
	c.parallel(steps...)
}

// simulate asks IAM's own verdict.
func (c *Collector) simulate(ctx context.Context, t Target, ra awsarn.Role, r *iamtypes.Role) {
	cl := c.Clients.IAM
	// IAM's own verdict on connect:GetFederationToken, beside the offline
	// evaluation (it includes SCPs that no file shows).
	if t.InstanceID != "" && t.Region != "" && t.RoleSessionName != "" && r.RoleId != nil {
		userID := aws.ToString(r.RoleId) + ":" + t.RoleSessionName
		res := awsarn.ConnectUserARN(ra.Partition, t.Region, ra.Account, t.InstanceID, userID)
		sim, err := cl.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(t.RoleArn),
			ActionNames:     []string{"connect:GetFederationToken"},
			ResourceArns:    []string{res},
			ContextEntries: []iamtypes.ContextEntry{
				{ContextKeyName: aws.String("aws:userid"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{userID}},
				{ContextKeyName: aws.String("connect:InstanceId"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{t.InstanceID}},
			},
		})
		if err != nil {
			c.failed("iam:SimulatePrincipalPolicy", t.RoleArn, "IAM's own verdict on connect:GetFederationToken", err)
		} else {
			c.output("iam:SimulatePrincipalPolicy", "aws iam simulate-principal-policy", map[string]any{"EvaluationResults": sim.EvaluationResults, "IsTruncated": sim.IsTruncated})
		}
	}
}

// cloudTrail looks for earlier federations of the user: GetFederationToken
// in the instance's Region, AssumeRoleWithSAML in the sign-in endpoint's.
func (c *Collector) cloudTrail(ctx context.Context, t Target) {
	since := t.Since
	if since.IsZero() {
		since = time.Now().AddDate(0, 0, -90)
	}
	type look struct{ region, event string }
	var looks []look
	if t.Region != "" {
		looks = append(looks, look{t.Region, "GetFederationToken"})
	}
	for _, r := range signInRegions(t) {
		looks = append(looks, look{r, "AssumeRoleWithSAML"})
	}
	var steps []func(*Collector)
	for _, l := range looks {
		steps = append(steps, func(s *Collector) { s.lookup(ctx, t, since, l.region, l.event) })
	}
	c.parallel(steps...)
}

// lookup reads one event name's records of the user in one Region.
func (c *Collector) lookup(ctx context.Context, t Target, since time.Time, region, event string) {
	cl := c.Clients.CloudTrail(region)
	var events []cttypes.Event
	p := cloudtrail.NewLookupEventsPaginator(cl, &cloudtrail.LookupEventsInput{
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(event)}},
		StartTime:        aws.Time(since),
		MaxResults:       aws.Int32(50),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			c.failed("cloudtrail:LookupEvents", region+" "+event, "earlier sign-ins of "+t.RoleSessionName+" (the \"Bad Request\" check)", err)
			return
		}
		for _, e := range out.Events {
			// One agent's (diagnose), or every agent's (audit).
			if e.CloudTrailEvent != nil && (t.RoleSessionName == "" || strings.Contains(strings.ToLower(*e.CloudTrailEvent), strings.ToLower(t.RoleSessionName))) {
				events = append(events, e)
			}
		}
		c.progress("CloudTrail %s: %d %s events so far", region, len(events), event)
	}
	c.output("cloudtrail:LookupEvents", "aws cloudtrail lookup-events", map[string]any{"Events": events})
}
