package evidence

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/samldoctor/samldoctor/internal/jsonscan"
)

// topKeys are the top-level keys that tell the AWS CLI outputs read apart
// (Load's switch), with the command that writes each.
var topKeys = map[string]string{
	"samldoctorBundle":                        "samldoctor collect",
	"TrafficDistributionGroupSummaryList":     "aws connect list-traffic-distribution-groups",
	"TrafficDistributionGroupUserSummaryList": "aws connect list-traffic-distribution-group-users",
	"EvaluationResults":                       "aws iam simulate-principal-policy",
	"UserSummaryList":                         "aws connect list-users",
	"Users":                                   "aws connect search-users",
	"User":                                    "aws connect describe-user",
	"Instance":                                "aws connect describe-instance",
	"InstanceSummaryList":                     "aws connect list-instances",
	"RoleDetailList":                          "aws iam get-account-authorization-details",
	"Role":                                    "aws iam get-role",
	"Roles":                                   "aws iam list-roles",
	"PolicyDocument":                          "aws iam get-role-policy",
	"PolicyVersion":                           "aws iam get-policy-version",
	"Policy":                                  "aws iam get-policy",
	"AttachedPolicies":                        "aws iam list-attached-role-policies",
	"PolicyNames":                             "aws iam list-role-policies",
	"SAMLMetadataDocument":                    "aws iam get-saml-provider",
	"SAMLProviderList":                        "aws iam list-saml-providers",
	"Events":                                  "aws cloudtrail lookup-events",
	"Parents":                                 "aws organizations list-parents",
	"Policies":                                "aws organizations list-policies-for-target",
	"AuthenticationProfile":                   "aws connect describe-authentication-profile",
	"Origins":                                 "aws connect list-approved-origins",
}

// What a file's start says it is, for Sniff.
const (
	SniffAWS     = "aws"     // an AWS CLI output samldoctor reads, or a bundle
	SniffOther   = "other"   // JSON of another kind
	SniffCapture = "capture" // a HAR or a SAML-tracer export
	SniffTrail   = "trail"   // a CloudTrail log file (Records)
)

// Sniff tells from the start of a JSON file (its first 64 KiB, say, as
// UTF-8) whether it is an AWS CLI output samldoctor reads, a capture, a
// CloudTrail log file or other JSON, by the top-level keys found in it;
// with what, the command that writes it. A file that is not a JSON object
// is "".
func Sniff(head []byte) (kind, what string) {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return "", ""
	}
	d := jsonscan.NewDecoder(bytes.NewReader(t), 64<<10)
	var keys []string
	d.ReadObject(func(key string) error {
		keys = append(keys, key)
		return d.Skip()
	})
	for _, k := range keys {
		switch k {
		case "log", "requests":
			return SniffCapture, ""
		case "Records":
			return SniffTrail, ""
		}
		if w, ok := topKeys[k]; ok {
			return SniffAWS, w
		}
	}
	return SniffOther, ""
}

var (
	tableTitle = regexp.MustCompile(`(?m)^\|\s*([A-Z][A-Za-z]+)\s*\|\s*$`)
	yamlKey    = regexp.MustCompile(`(?m)^([A-Z][A-Za-z]+):`)
	textKey    = regexp.MustCompile(`(?m)^([A-Z][A-Z0-9]+)\t`)
)

// notJSON says what a file given as AWS CLI JSON output is instead, and
// what to do: the AWS CLI's text, table or YAML output (re-run with
// --output json, naming the command when the output shows it), a capture,
// an image or archive, an empty file.
func notJSON(b []byte) string {
	if len(b) == 0 {
		return "the file is empty: run the AWS CLI command again with > FILE (and --output json), and check that it printed no error"
	}
	head := b[:min(len(b), 8192)]
	if !utf8Text(head) {
		ct := http.DetectContentType(head)
		return fmt.Sprintf("not JSON but %s: --aws-data takes the JSON output of the AWS CLI (aws ... --output json > FILE)", describeType(ct))
	}
	rerun := func(format, what string) string {
		cmd := "the AWS CLI command"
		if what != "" {
			cmd = what
		}
		return fmt.Sprintf("the AWS CLI's %s output, not JSON: run %s again with --output json (the default format may be set in your AWS profile: aws configure get output)", format, cmd)
	}
	s := string(head)
	switch {
	case strings.HasPrefix(s, "-") && tableTitle.MatchString(s):
		return rerun("table", commandOfOperation(tableTitle.FindStringSubmatch(s)[1]))
	case yamlKey.MatchString(s) && !strings.Contains(s, "\t"):
		for _, m := range yamlKey.FindAllStringSubmatch(s, -1) {
			if w, ok := topKeys[m[1]]; ok {
				return rerun("YAML", w)
			}
		}
		return rerun("YAML", "")
	case textKey.MatchString(s) || strings.Contains(strings.SplitN(s, "\n", 2)[0], "\t"):
		for _, m := range textKey.FindAllStringSubmatch(s, -1) {
			for k, w := range topKeys {
				if strings.ToUpper(k) == m[1] {
					return rerun("text", w)
				}
			}
		}
		return rerun("text", "")
	case strings.HasPrefix(s, "<"):
		return "XML, not JSON: SAML metadata goes to --idp-metadata; --aws-data takes the JSON output of the AWS CLI"
	case strings.HasPrefix(s, "An error occurred") || strings.HasPrefix(s, "aws:") || strings.HasPrefix(s, "usage: aws"):
		return fmt.Sprintf("the AWS CLI's error message, not its output (%q): fix the command and run it again", firstLine(s, 200))
	}
	return fmt.Sprintf("not JSON (it starts with %q): --aws-data takes the JSON output of the AWS CLI (aws ... --output json > FILE)", firstLine(s, 40))
}

// commandOfOperation is the AWS CLI command of an API operation's name
// (a table output's title): ListUsers → aws connect list-users.
func commandOfOperation(op string) string {
	var b strings.Builder
	for i, r := range op {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	for _, c := range Commands {
		if strings.HasSuffix(c, " "+b.String()) {
			return c
		}
	}
	return ""
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}

// utf8Text reports whether b looks like text: no NUL and no control
// characters other than white space.
func utf8Text(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return false
		}
	}
	return true
}

func describeType(ct string) string {
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "an image (" + ct + ")"
	case ct == "application/zip":
		return "a zip archive (unpack it and pass the folder)"
	case ct == "application/x-gzip":
		return "gzip-compressed data (CloudTrail log files go to samldoctor audit --trail; a .har.gz is a capture)"
	case ct == "application/pdf":
		return "a PDF document"
	}
	return "binary data"
}
