package report

import (
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
)

// The page's words for the command line's advice: each phrase said with
// the page's controls; the command line keeps its own; AWS CLI commands,
// and samldoctor commands the page's user can run, are left as written.
func TestSayForTheWeb(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Run these with read access to the account and pass the files, or their folder, with --aws-data. Or let samldoctor do it: diagnose --aws reads them from AWS itself, and collect --script bash|powershell prints every command it needs as one script.",
			"Run these with read access to the account and add the files they write under “AWS CLI outputs” (several can be chosen at once). Or let samldoctor do it: samldoctor serve --aws (started so) reads them from AWS itself, and on the command line, samldoctor collect CAPTURE.har --script bash|powershell prints every command it needs as one script."},
		{"Run list-users again without --max-items (the AWS CLI reads every page itself) and pass that file with --aws-data instead.",
			"Run list-users again without --max-items (the AWS CLI reads every page itself) and add that file under “AWS CLI outputs” instead."},
		{"no user's value is \"x\" in any case: name the column with --session-name-field", "no user's value is \"x\" in any case: name the column under “Session-name column”"},
		{"--aws-data users.json: not JSON (it starts with \"USERS\"): --aws-data takes the JSON output of the AWS CLI (aws ... --output json > FILE)",
			"“AWS CLI outputs”: users.json: not JSON (it starts with \"USERS\"): “AWS CLI outputs” takes the JSON output of the AWS CLI (aws ... --output json > FILE)"},
		{"--since \"a week\": give days (7d) or a duration (36h)", "“CloudTrail period” \"a week\": give days (7d) or a duration (36h)"},
		{"the IdP's new metadata is not in the evidence: audit again with --idp-metadata", "the IdP's new metadata is not in the evidence: audit again with the IdP's metadata under “IdP metadata”"},
		{"Check with the IdP's current signing certificate (--idp-cert or --idp-metadata), and update", "Check with the IdP's current signing certificate (under “IdP signing certificate” or “IdP metadata”), and update"},
		// Near misses: nothing of samldoctor's to say otherwise.
		{"aws connect list-users --profile PROFILE --region ap-southeast-2 --instance-id X --output json > users.json", "aws connect list-users --profile PROFILE --region ap-southeast-2 --instance-id X --output json > users.json"},
		{"samldoctor serve --aws --full-user-list", "samldoctor serve --aws --full-user-list"},
		{"The Connect user is \"Jane.Doe@example.com\"", "The Connect user is \"Jane.Doe@example.com\""},
	} {
		if got := Web.Say(tt.in); got != tt.want {
			t.Errorf("Web.Say(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if got := CLI.Say(tt.in); got != tt.in {
			t.Errorf("CLI.Say changed %q to %q", tt.in, got)
		}
	}
}

// Where a message was seen, and a signature's verdict, in the words the
// command line prints (inspect's "seen" row).
func TestWordsForTokens(t *testing.T) {
	p := capture.Place{File: "c.har", Entry: 0, Where: "html-form", URL: "https://idp/", FormAction: "https://signin.aws.amazon.com/saml", RoleChooser: true}
	if got, want := PlaceWords(p), "c.har entry 0: in a form on https://idp/ → form action https://signin.aws.amazon.com/saml (AWS role chooser)"; got != want {
		t.Errorf("PlaceWords = %q, want %q", got, want)
	}
	p = capture.Place{File: "v.txt", Entry: -1, Where: "value"}
	if got := PlaceWords(p); got != "v.txt: the SAML value itself" {
		t.Errorf("a value: %q", got)
	}
	for status, want := range map[string]string{assertion.SigValid: "verified with", assertion.SigValidEmbedded: "not verified:", assertion.SigUnchecked: "not verified:", assertion.SigRedacted: "not verified:", assertion.SigInvalid: "invalid"} {
		got := SignatureWords(assertion.Verification{Status: status, CertSource: "the IAM SAML provider"})
		if !strings.HasPrefix(got, want) || strings.Contains(got, status+" ") && status != assertion.SigInvalid {
			t.Errorf("%s: %q", status, got)
		}
	}
}
