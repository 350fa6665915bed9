package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/awslive"
)

// scriptDir is the folder the printed script writes into.
const scriptDir = "samldoctor-aws-data"

// scriptCall is one AWS CLI call of the script: the file it writes and
// the arguments after "aws".
type scriptCall struct {
	file string
	args []string
}

// scriptPlan is what collect --script prints: the read-only AWS CLI calls
// for a sign-in, with the values of the capture (or the flags). A value
// that is missing or not of its kind is left as a placeholder in capitals
// and named in notes, never written into a command as it came.
type scriptPlan struct {
	region, instance, role, provider, user string
	// account and orgRegion are for the Organizations reads: the role's
	// account, and the Region of its partition's Organizations endpoint.
	account, orgRegion  string
	signInRegion, since string
	notes               []string
	calls               []scriptCall // the calls that need no earlier answer
	capture             string       // the capture to name in "then run"
}

func newScriptPlan(t awslive.Target, capture string) *scriptPlan {
	p := &scriptPlan{capture: capture}
	p.region = t.Region
	if !awsarn.ValidRegion(p.region) {
		p.note("the Connect instance's Region is not known: replace REGION (or pass --region)")
		p.region = "REGION"
	}
	p.instance = t.InstanceID
	if !awsarn.ValidInstanceID(p.instance) {
		p.note("the Connect instance is not known: replace INSTANCE-ID (or pass --instance-id)")
		p.instance = "INSTANCE-ID"
	}
	p.account, p.orgRegion = "ACCOUNT-ID", "us-east-1"
	if r, err := awsarn.ParseRole(t.RoleArn); err == nil {
		p.role = r.Name
		p.account = r.Account
		switch r.Partition {
		case "aws-us-gov":
			p.orgRegion = "us-gov-west-1"
		case "aws-cn":
			p.orgRegion = "cn-northwest-1"
		}
	} else {
		p.note("the role is not known: replace ROLE-NAME (or pass --role-arn)")
		p.role = "ROLE-NAME"
	}
	if _, err := awsarn.ParseProvider(t.ProviderArn); err == nil {
		p.provider = t.ProviderArn
	} else {
		p.note("the SAML provider is not known: replace PROVIDER-ARN (or pass --provider-arn), or take it from saml-providers.json")
		p.provider = "PROVIDER-ARN"
	}
	if t.RoleSessionName != "" && printable(t.RoleSessionName) {
		p.user = t.RoleSessionName
	} else {
		p.note("the agent's user name is not known: describe-user is left out (pass --user NAME to add it)")
	}
	p.signInRegion = t.SignInRegion
	if !awsarn.ValidRegion(p.signInRegion) {
		p.signInRegion = "us-east-1"
	}
	p.since = "START-DATE"
	if !t.Since.IsZero() {
		p.since = t.Since.UTC().Format("2006-01-02")
	} else {
		p.note("the sign-in's time is not known: replace START-DATE with the first day to search (CloudTrail keeps 90 days)")
	}
	r := []string{"--region", p.region}
	p.calls = []scriptCall{
		{"instance.json", append([]string{"connect", "describe-instance", "--instance-id", p.instance}, r...)},
		{"users.json", append([]string{"connect", "list-users", "--instance-id", p.instance}, r...)},
		{"role.json", append([]string{"iam", "get-role", "--role-name", p.role}, r...)},
		{"role-policies.json", append([]string{"iam", "list-role-policies", "--role-name", p.role}, r...)},
		{"attached-role-policies.json", append([]string{"iam", "list-attached-role-policies", "--role-name", p.role}, r...)},
		{"saml-providers.json", append([]string{"iam", "list-saml-providers"}, r...)},
		{"saml-provider.json", append([]string{"iam", "get-saml-provider", "--saml-provider-arn", p.provider}, r...)},
		{"connect-events.json", []string{"cloudtrail", "lookup-events", "--region", p.region, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=GetFederationToken", "--start-time", p.since}},
		{"sts-events.json", []string{"cloudtrail", "lookup-events", "--region", p.signInRegion, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRoleWithSAML", "--start-time", p.since}},
	}
	return p
}

func (p *scriptPlan) note(s string) { p.notes = append(p.notes, s) }

// printable reports whether s can be written into a script: no control
// characters, no backslash (JMESPath's raw strings keep it, shells do not
// agree on it).
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\\' || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// then is the command to run once the script has run.
func (p *scriptPlan) then() string {
	c := p.capture
	if c == "" {
		c = "CAPTURE.har"
	}
	return "samldoctor diagnose " + c + " --aws-data " + scriptDir
}

func (p *scriptPlan) header(w io.Writer, comment string) {
	fmt.Fprintf(w, "%s The read-only AWS CLI commands samldoctor needs for this sign-in (AWS CLI v2,\n", comment)
	fmt.Fprintf(w, "%s with read access to the account: add --profile NAME to each, or set AWS_PROFILE).\n", comment)
	fmt.Fprintf(w, "%s Run it in AWS CloudShell or a terminal; it writes into the folder %s.\n", comment, scriptDir)
	fmt.Fprintf(w, "%s A call that is refused is reported and skipped; samldoctor says what that leaves open.\n", comment)
	fmt.Fprintf(w, "%s The organizations commands (the SCPs and RCPs on the path from the organization's root\n", comment)
	fmt.Fprintf(w, "%s to the account) answer only in the management account or the account delegated to\n", comment)
	fmt.Fprintf(w, "%s administer its policies: elsewhere they are refused, and samldoctor says what that leaves open.\n", comment)
	fmt.Fprintf(w, "%s Then: %s\n", comment, p.then())
	for _, n := range p.notes {
		fmt.Fprintf(w, "%s Note: %s.\n", comment, n)
	}
}

// writeBash writes the plan as a bash script.
func (p *scriptPlan) writeBash(w io.Writer) {
	fmt.Fprintln(w, "#!/usr/bin/env bash")
	p.header(w, "#")
	q := shQuote
	fmt.Fprintf(w, "set -u\nmkdir -p %s && cd %s || exit 1\n", scriptDir, scriptDir)
	fmt.Fprintln(w, `save() { # FILE ARGS...: run aws ARGS with JSON output into FILE`)
	fmt.Fprintln(w, `	local file=$1; shift`)
	fmt.Fprintln(w, `	if aws "$@" --output json > "$file"; then echo "saved $file"; else rm -f "$file"; echo "skipped $file: aws $* failed" >&2; fi`)
	fmt.Fprintln(w, `}`)
	for _, c := range p.calls {
		fmt.Fprintf(w, "save %s %s\n", c.file, joinQuoted(c.args, q))
	}
	role, region := q(p.role), q(p.region)
	fmt.Fprintf(w, "for name in $(aws iam list-role-policies --role-name %s --region %s --query 'PolicyNames[]' --output text); do\n", role, region)
	fmt.Fprintf(w, "\tsave \"role-policy-$name.json\" iam get-role-policy --role-name %s --policy-name \"$name\" --region %s\ndone\n", role, region)
	fmt.Fprintf(w, "for arn in $(aws iam list-attached-role-policies --role-name %s --region %s --query 'AttachedPolicies[].PolicyArn' --output text); do\n", role, region)
	fmt.Fprintf(w, "\tname=${arn##*/}\n\tsave \"policy-$name.json\" iam get-policy --policy-arn \"$arn\" --region %s\n", region)
	fmt.Fprintf(w, "\tversion=$(aws iam get-policy --policy-arn \"$arn\" --region %s --query Policy.DefaultVersionId --output text)\n", region)
	fmt.Fprintf(w, "\tsave \"policy-$name-version.json\" iam get-policy-version --policy-arn \"$arn\" --version-id \"$version\" --region %s\ndone\n", region)
	if p.user != "" {
		query := "UserSummaryList[?Username==" + jmesRaw(p.user) + "].Id | [0]"
		fmt.Fprintf(w, "id=$(aws connect list-users --instance-id %s --region %s --query %s --output text)\n", q(p.instance), region, q(query))
		fmt.Fprintf(w, "if [ -n \"$id\" ] && [ \"$id\" != None ]; then save user.json connect describe-user --instance-id %s --user-id \"$id\" --region %s; fi\n", q(p.instance), region)
	}
	p.orgBash(w)
	fmt.Fprintf(w, "echo 'done: now run %s'\n", strings.ReplaceAll(p.then(), "'", `'\''`))
}

// orgBash writes the Organizations reads: from the account up to the
// root, each level's SCPs and RCPs and its parent, then the content of
// each policy that is not AWS managed. The files are named with their
// target, as samldoctor reads them.
func (p *scriptPlan) orgBash(w io.Writer) {
	q := shQuote
	r := q(p.orgRegion)
	fmt.Fprintf(w, "child=%s; ids=\n", q(p.account))
	fmt.Fprintln(w, `for level in 1 2 3 4 5 6 7; do`)
	fmt.Fprintln(w, `	for f in SERVICE_CONTROL_POLICY RESOURCE_CONTROL_POLICY; do`)
	fmt.Fprintln(w, `		short=scp; [ "$f" = RESOURCE_CONTROL_POLICY ] && short=rcp`)
	fmt.Fprintf(w, "\t\tsave \"org-$short-for-target-$child.json\" organizations list-policies-for-target --target-id \"$child\" --filter \"$f\" --region %s\n", r)
	fmt.Fprintf(w, "\t\tids=\"$ids $(aws organizations list-policies-for-target --target-id \"$child\" --filter \"$f\" --region %s --query 'Policies[?!AwsManaged].Id' --output text 2>/dev/null)\"\n", r)
	fmt.Fprintln(w, `	done`)
	fmt.Fprintln(w, `	case $child in r-*) break ;; esac`)
	fmt.Fprintf(w, "\tsave \"org-parents-$child.json\" organizations list-parents --child-id \"$child\" --region %s\n", r)
	fmt.Fprintf(w, "\tchild=$(aws organizations list-parents --child-id \"$child\" --region %s --query 'Parents[0].Id' --output text 2>/dev/null)\n", r)
	fmt.Fprintln(w, `	case $child in r-*|ou-*) ;; *) break ;; esac`)
	fmt.Fprintln(w, `done`)
	fmt.Fprintln(w, `for id in $(echo $ids | tr ' ' '\n' | grep '^p-' | sort -u); do`)
	fmt.Fprintf(w, "\tsave \"org-policy-$id.json\" organizations describe-policy --policy-id \"$id\" --region %s\ndone\n", r)
}

// writePowerShell writes the plan as a PowerShell script for Windows
// PowerShell 5.1 and PowerShell 7. Files are written with Out-File
// -Encoding utf8 (">" writes UTF-16 in 5.1), and PowerShell is told to
// read the AWS CLI's output in the code page the CLI writes it in when
// it is redirected on Windows (the system's ANSI code page).
func (p *scriptPlan) writePowerShell(w io.Writer) {
	p.header(w, "#")
	q := psQuote
	fmt.Fprintf(w, "$dir = %s\n", q(scriptDir))
	fmt.Fprintln(w, `New-Item -ItemType Directory -Force -Path $dir | Out-Null`)
	fmt.Fprintln(w, `if ($PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows) {`)
	fmt.Fprintln(w, `	# The AWS CLI writes redirected output in the system's ANSI code page: read it so.`)
	fmt.Fprintln(w, `	$acp = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Nls\CodePage').ACP`)
	fmt.Fprintln(w, `	[Console]::OutputEncoding = [Text.Encoding]::GetEncoding([int]$acp)`)
	fmt.Fprintln(w, `}`)
	fmt.Fprintln(w, `function Save([string]$File, [string[]]$Arguments) {`)
	fmt.Fprintln(w, `	$out = & aws @Arguments --output json`)
	fmt.Fprintln(w, `	if ($LASTEXITCODE -eq 0) { $out | Out-File -Encoding utf8 -FilePath (Join-Path $dir $File); "saved $File" }`)
	fmt.Fprintln(w, `	else { Write-Warning "skipped ${File}: aws $Arguments failed" }`)
	fmt.Fprintln(w, `}`)
	for _, c := range p.calls {
		fmt.Fprintf(w, "Save %s @(%s)\n", c.file, strings.Join(mapQuoted(c.args, q), ", "))
	}
	role, region := q(p.role), q(p.region)
	fmt.Fprintf(w, "foreach ($name in (aws iam list-role-policies --role-name %s --region %s --query 'PolicyNames[]' --output text) -split '\\s+' | Where-Object { $_ }) {\n", role, region)
	fmt.Fprintf(w, "\tSave \"role-policy-$name.json\" @('iam', 'get-role-policy', '--role-name', %s, '--policy-name', $name, '--region', %s)\n}\n", role, region)
	fmt.Fprintf(w, "foreach ($arn in (aws iam list-attached-role-policies --role-name %s --region %s --query 'AttachedPolicies[].PolicyArn' --output text) -split '\\s+' | Where-Object { $_ }) {\n", role, region)
	fmt.Fprintf(w, "\t$name = ($arn -split '/')[-1]\n\tSave \"policy-$name.json\" @('iam', 'get-policy', '--policy-arn', $arn, '--region', %s)\n", region)
	fmt.Fprintf(w, "\t$version = aws iam get-policy --policy-arn $arn --region %s --query Policy.DefaultVersionId --output text\n", region)
	fmt.Fprintf(w, "\tSave \"policy-$name-version.json\" @('iam', 'get-policy-version', '--policy-arn', $arn, '--version-id', $version, '--region', %s)\n}\n", region)
	if p.user != "" {
		// PowerShell 5.1 drops the double quotes of an argument passed to
		// a native command, so the JMESPath query uses only single quotes
		// (in its raw string) and backticks.
		query := "UserSummaryList[?Username==" + jmesRaw(p.user) + "].Id | [0]"
		fmt.Fprintf(w, "$id = aws connect list-users --instance-id %s --region %s --query %s --output text\n", q(p.instance), region, q(query))
		fmt.Fprintf(w, "if ($id -and $id -ne 'None') { Save user.json @('connect', 'describe-user', '--instance-id', %s, '--user-id', $id, '--region', %s) }\n", q(p.instance), region)
	}
	p.orgPowerShell(w)
	fmt.Fprintf(w, "Write-Output %s\n", q("done: now run "+p.then()))
}

// orgPowerShell is orgBash in PowerShell.
func (p *scriptPlan) orgPowerShell(w io.Writer) {
	q := psQuote
	r := q(p.orgRegion)
	fmt.Fprintf(w, "$child = %s; $ids = @()\n", q(p.account))
	fmt.Fprintln(w, `foreach ($level in 1..7) {`)
	fmt.Fprintln(w, `	foreach ($f in 'SERVICE_CONTROL_POLICY', 'RESOURCE_CONTROL_POLICY') {`)
	fmt.Fprintln(w, `		$short = if ($f -eq 'RESOURCE_CONTROL_POLICY') { 'rcp' } else { 'scp' }`)
	fmt.Fprintf(w, "\t\tSave \"org-$short-for-target-$child.json\" @('organizations', 'list-policies-for-target', '--target-id', $child, '--filter', $f, '--region', %s)\n", r)
	fmt.Fprintf(w, "\t\t$ids += (aws organizations list-policies-for-target --target-id $child --filter $f --region %s --query 'Policies[?!AwsManaged].Id' --output text 2>$null) -split '\\s+' | Where-Object { $_ -like 'p-*' }\n", r)
	fmt.Fprintln(w, `	}`)
	fmt.Fprintln(w, `	if ($child -like 'r-*') { break }`)
	fmt.Fprintf(w, "\tSave \"org-parents-$child.json\" @('organizations', 'list-parents', '--child-id', $child, '--region', %s)\n", r)
	fmt.Fprintf(w, "\t$child = aws organizations list-parents --child-id $child --region %s --query 'Parents[0].Id' --output text 2>$null\n", r)
	fmt.Fprintln(w, `	if (-not ($child -like 'r-*' -or $child -like 'ou-*')) { break }`)
	fmt.Fprintln(w, `}`)
	fmt.Fprintln(w, `foreach ($id in ($ids | Sort-Object -Unique)) {`)
	fmt.Fprintf(w, "\tSave \"org-policy-$id.json\" @('organizations', 'describe-policy', '--policy-id', $id, '--region', %s)\n}\n", r)
}

// shQuote quotes s for bash: as it is when it holds only safe characters,
// else in single quotes.
func shQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,:/=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote quotes s for PowerShell in single quotes, doubling the quote
// characters PowerShell takes for one (the ASCII one and its typographic
// forms).
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		b.WriteRune(r)
		if r == '\'' || r == '‘' || r == '’' || r == '‚' || r == '‛' {
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// jmesRaw is s as a JMESPath raw string literal.
func jmesRaw(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func mapQuoted(args []string, q func(string) string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = q(a)
	}
	return out
}

func joinQuoted(args []string, q func(string) string) string {
	return strings.Join(mapQuoted(args, q), " ")
}

// psArg is s as a PowerShell command argument: as it is when safe, else
// quoted.
func psArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/\\") == "" {
		return s
	}
	return psQuote(s)
}
