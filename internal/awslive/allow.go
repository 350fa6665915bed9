// Package awslive gathers, from a live AWS account, the evidence that AWS
// CLI files give offline: read-only calls through aws-sdk-go-v2 with the
// standard credential chain. Every call goes through one allow-list; a call
// not on it fails before anything is sent.
package awslive

import (
	"context"
	"fmt"
	"sort"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// Allowed is every AWS API call samldoctor may make, as IAM actions. They
// only read; none changes state or issues credentials. This is the one
// place the list lives: the clients refuse any other call, and
// `samldoctor permissions` prints the policy made from it.
var Allowed = []string{
	"connect:DescribeInstance",
	"connect:SearchUsers",
	"connect:ListUsers",
	"connect:DescribeUser",
	"connect:ListTrafficDistributionGroups",
	"connect:ListTrafficDistributionGroupUsers",
	"connect:ListApprovedOrigins",
	"connect:ListAuthenticationProfiles",
	"connect:DescribeAuthenticationProfile",
	"iam:ListRoles",
	"iam:GetRole",
	"iam:ListRolePolicies",
	"iam:GetRolePolicy",
	"iam:ListAttachedRolePolicies",
	"iam:GetPolicy",
	"iam:GetPolicyVersion",
	"iam:GetSAMLProvider",
	"iam:ListSAMLProviders",
	"iam:SimulatePrincipalPolicy",
	"cloudtrail:LookupEvents",
	"organizations:ListParents",
	"organizations:ListPoliciesForTarget",
	"organizations:DescribePolicy",
}

// serviceAction maps the SDK's service IDs to IAM action prefixes.
var serviceAction = map[string]string{"Connect": "connect", "IAM": "iam", "CloudTrail": "cloudtrail", "Organizations": "organizations"}

// IsAllowed reports whether an IAM action is on the allow-list.
func IsAllowed(action string) bool {
	for _, a := range Allowed {
		if a == action {
			return true
		}
	}
	return false
}

// ErrNotAllowed is a call refused by the allow-list.
type ErrNotAllowed struct{ Action string }

func (e ErrNotAllowed) Error() string {
	return fmt.Sprintf("samldoctor does not call %s: it is not on its read-only allow-list", e.Action)
}

// guard is an SDK middleware that refuses calls not on the allow-list,
// before they are serialized, signed or sent. It runs in the Serialize
// step, after the SDK has recorded the service and operation names.
func guard(stack *middleware.Stack) error {
	return stack.Serialize.Add(middleware.SerializeMiddlewareFunc("samldoctorAllowList",
		func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
			action := serviceAction[awsmiddleware.GetServiceID(ctx)] + ":" + awsmiddleware.GetOperationName(ctx)
			if !IsAllowed(action) {
				return middleware.SerializeOutput{}, middleware.Metadata{}, ErrNotAllowed{Action: action}
			}
			return next.HandleSerialize(ctx, in)
		}), middleware.Before)
}

// Policy is the minimal IAM policy samldoctor needs, as JSON.
func Policy() string {
	actions := append([]string{}, Allowed...)
	sort.Strings(actions)
	return (&iampolicy.Policy{Version: "2012-10-17", Statements: []iampolicy.Statement{iampolicy.NewStatement(iampolicy.Statement{
		Sid: "SamldoctorReadOnly", Effect: "Allow", Action: actions, Resource: []string{"*"},
	})}}).Document()
}
