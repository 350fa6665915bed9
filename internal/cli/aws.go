package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// awsFlags are the flags of commands that call AWS.
type awsFlags struct {
	profile, region string
	timeout         time.Duration
	fullUserList    bool
}

func (f *awsFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.profile, "profile", "", "AWS profile (as with the AWS CLI; SSO profiles work)")
	cmd.Flags().StringVar(&f.region, "region", "", "the Connect instance's Region (default: from the capture's RelayState)")
	cmd.Flags().DurationVar(&f.timeout, "aws-timeout", awslive.DefaultTimeout, "the most the AWS calls may take together; each call also has its own deadline")
	cmd.Flags().BoolVar(&f.fullUserList, "full-user-list", false, "also read the instance's whole user list (ListUsers, paged; progress on stderr), so that \"no such user\" does not rest on a search alone")
}

// targetFrom reads what to collect about from the capture's sign-in.
func targetFrom(c *capture.Capture) awslive.Target {
	var t awslive.Target
	if c == nil {
		return t
	}
	if s := signin.SubjectOf(c); s != nil {
		t.Region, t.InstanceID = s.Region, s.InstanceID
		t.RoleArn, t.ProviderArn, t.RoleSessionName = s.RoleArn, s.ProviderArn, s.RoleSessionName
		if si, ok := awsarn.ParseSignIn(s.PostedTo); ok {
			t.GlobalResiliency = si.Global != nil
			t.SignInRegion = si.DefaultRegion
			if si.Region != "" {
				t.SignInRegion = si.Region
			}
		}
		if !s.At.IsZero() {
			t.Since = s.At.AddDate(0, 0, -90)
		}
	}
	return t
}

// collect gathers a sign-in's evidence live, within the --aws-timeout
// deadline.
func (e *env) collect(f awsFlags, t awslive.Target) (*evidence.Bundle, error) {
	if f.region != "" {
		t.Region = f.region
	}
	return e.collectWith(f, t, (*awslive.Collector).Collect)
}

// collectAccount gathers what audit --aws judges, within the
// --aws-timeout deadline.
func (e *env) collectAccount(f awsFlags, t awslive.Target) (*evidence.Bundle, error) {
	return e.collectWith(f, t, (*awslive.Collector).CollectAccount)
}

// collectWith loads the AWS configuration (credential chain, --profile,
// the Region) and runs one of the collector's reads, with progress on
// stderr and a clear word when AWS could not be reached at all.
func (e *env) collectWith(f awsFlags, t awslive.Target, read func(*awslive.Collector, context.Context, awslive.Target) *evidence.Bundle) (*evidence.Bundle, error) {
	o := awslive.Options{Profile: f.profile, Region: t.Region, Timeout: f.timeout}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	cfg, err := awslive.LoadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	col := &awslive.Collector{Clients: awslive.NewClients(cfg, o), FullUserList: f.fullUserList}
	col.Progress = func(s string) { fmt.Fprintf(e.stderr, "samldoctor: %s\n", s) }
	b := read(col, ctx, t)
	if n, why := b.Unreachable(); n > 0 && n == len(b.Denied) && len(b.Outputs) == 0 {
		fmt.Fprintf(e.stderr, "samldoctor: AWS could not be reached: %s; no AWS evidence was read\n", why)
	}
	return b, nil
}

func collectCmd(e *env) *cobra.Command {
	var af awsFlags
	var t awslive.Target
	var out, script string
	cmd := &cobra.Command{
		Use:   "collect (--instance-id ID --region REGION | CAPTURE...) (-o BUNDLE | --script bash|powershell) [--role-arn ARN] [--user NAME]",
		Short: "Save the AWS evidence for a sign-in into one file, for diagnosis elsewhere",
		Long: `collect makes the same read-only AWS calls as diagnose --aws and writes their answers into one
bundle file that someone without AWS access can pass to --aws-data (support tickets, air-gapped
analysis). What is not given is taken from the capture (RelayState, Role and RoleSessionName).

--script bash|powershell calls nothing: it prints the read-only AWS CLI commands that gather the
same evidence (with --region and --output json; the PowerShell script writes UTF-8 files, in
Windows PowerShell 5.1 and PowerShell 7), to run in AWS CloudShell or a terminal, and the
command to pass their folder to afterwards.`,
		Example: `  samldoctor collect --instance-id aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee --region eu-west-2 --user jane.doe@example.com --role-arn arn:aws:iam::111122223333:role/ConnectAgents -o bundle.json
  samldoctor collect capture.har -o bundle.json    # the instance, Region, role and user from the capture's sign-in
  samldoctor collect capture.har --script bash > collect.sh    # the AWS CLI commands, for CloudShell
  samldoctor collect capture.har --script powershell > collect.ps1`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if script != "" && script != "bash" && script != "powershell" {
				return usage("--script must be bash or powershell, not %q", script)
			}
			if script != "" && out != "" {
				return usage("collect takes -o BUNDLE (it calls AWS) or --script (it prints the AWS CLI commands), not both")
			}
			if out == "" && script == "" {
				return usage("collect needs -o BUNDLE (use -o - for standard output), or --script bash|powershell to print the AWS CLI commands instead")
			}
			from := awslive.Target{}
			if len(args) > 0 {
				c, err := e.readCapture(args, false, "")
				if err != nil {
					return err
				}
				from = targetFrom(c)
			}
			if t.InstanceID == "" {
				t.InstanceID = from.InstanceID
			}
			if t.RoleArn == "" {
				t.RoleArn = from.RoleArn
			}
			if t.ProviderArn == "" {
				t.ProviderArn = from.ProviderArn
			}
			if t.RoleSessionName == "" {
				t.RoleSessionName = from.RoleSessionName
			}
			t.Region, t.SignInRegion, t.Since = from.Region, from.SignInRegion, from.Since
			if t.InstanceID == "" && t.RoleArn == "" {
				return usage("collect needs --instance-id (or a capture whose RelayState names the instance)")
			}
			if script != "" {
				if af.region != "" {
					t.Region = af.region
				}
				name := ""
				if len(args) == 1 && args[0] != "-" {
					name = shQuote(args[0])
					if script == "powershell" {
						name = psArg(args[0])
					}
				}
				p := newScriptPlan(t, name)
				if script == "bash" {
					p.writeBash(e.stdout)
				} else {
					p.writePowerShell(e.stdout)
				}
				return nil
			}
			b, err := e.collect(af, t)
			if err != nil {
				return err
			}
			data, _ := json.MarshalIndent(b, "", "  ")
			data = append(data, '\n')
			if out == "-" {
				_, err = e.stdout.Write(data)
				return err
			}
			if err := os.WriteFile(out, data, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "samldoctor: wrote %s: %d answers, %d denied, %d not found\n", out, len(b.Outputs), len(b.Denied), len(b.NotFound))
			return nil
		},
	}
	af.add(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "the bundle file to write")
	cmd.Flags().StringVar(&script, "script", "", "print the AWS CLI commands instead, as a bash or powershell script (calls nothing)")
	cmd.Flags().StringVar(&t.InstanceID, "instance-id", "", "the Connect instance ID")
	cmd.Flags().StringVar(&t.RoleArn, "role-arn", "", "the IAM role the agents sign in with")
	cmd.Flags().StringVar(&t.ProviderArn, "provider-arn", "", "the IAM SAML provider")
	cmd.Flags().StringVar(&t.RoleSessionName, "user", "", "the agent's user name (RoleSessionName)")
	return cmd
}

func permissionsCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "permissions",
		Short: "Print the minimal read-only IAM policy samldoctor's AWS checks need",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(e.stdout, awslive.Policy())
			return err
		},
	}
}
