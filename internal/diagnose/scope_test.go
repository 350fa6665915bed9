package diagnose

import "testing"

func TestCallFamily(t *testing.T) {
	for call, want := range map[string]string{
		"connect:DescribeInstance": "instance", "connect:SearchUsers": "users", "connect:ListUsers": "users",
		"iam:GetSAMLProvider": "providers", "iam:ListSAMLProviders": "providers", "iam:GetRole": "roles",
		"iam:SimulatePrincipalPolicy": "simulation", "cloudtrail:LookupEvents": "events",
		// Near miss: a call of no family is its own.
		"sts:GetCallerIdentity": "aws sts get-caller-identity",
	} {
		if got := callFamily(call); got != want {
			t.Errorf("callFamily(%s) = %q, want %q", call, got, want)
		}
	}
}

func TestWithProfile(t *testing.T) {
	for _, tt := range []struct{ in, profile, want string }{
		{"aws connect list-users --region R > users.json", " --profile PROFILE", "aws connect list-users --profile PROFILE --region R > users.json"},
		{"aws iam list-saml-providers --output json > saml-providers.json", " --profile PROFILE", "aws iam list-saml-providers --profile PROFILE --output json > saml-providers.json"},
		// Near misses: no profile to add, one there already, not aws.
		{"aws connect list-users --region R", "", "aws connect list-users --region R"},
		{"aws connect list-users --profile X --region R", " --profile PROFILE", "aws connect list-users --profile X --region R"},
		{"samldoctor diagnose c.har", " --profile PROFILE", "samldoctor diagnose c.har"},
	} {
		if got := withProfile(tt.in, tt.profile); got != tt.want {
			t.Errorf("withProfile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
