package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/inputs"
	"github.com/samldoctor/samldoctor/internal/report"
)

func diagnoseCmd(e *env) *cobra.Command {
	var f diagnoseFlags
	cmd := &cobra.Command{
		Use:   "diagnose FILE... [--aws-data PATH...] [--idp-metadata FILE] [--idp-cert FILE]",
		Short: "Explain why the sign-in in a capture failed, and how to fix it",
		Long: `diagnose judges the sign-in in a capture stage by stage: the SAML message, its AWS attributes,
AssumeRoleWithSAML, the RelayState, connect:GetFederationToken, the Connect user, and the user's earlier
sign-ins. Each finding names its evidence and gives the fix with the real values filled in.

--aws-data takes the JSON output of AWS CLI commands (files, or folders of .json files), recognised by
their shape: aws connect list-users / search-users / describe-user / describe-instance, aws iam
get-account-authorization-details / get-role / get-role-policy / list-role-policies /
list-attached-role-policies / get-policy / get-policy-version / get-saml-provider / list-saml-providers,
and aws cloudtrail lookup-events. Without it, diagnose says which of them would settle each question.

Every fix is checked before it is shown: its changes are applied to a copy of the evidence and the
sign-in is diagnosed again ("checked: ...", "not enough alone: ...", "not checked: ..."), and a fix that
would break what works today (a deleted user, a dropped provider, another agent's binding) says so and
is never offered first.

Exit status: 0 when the capture shows the sign-in reaching Amazon Connect and no finding is an error;
1 when the sign-in failed, an error was found, or the capture does not show the outcome (cut short, no
answer, a bare value); 2 for bad input.`,
		Example: `  samldoctor diagnose examples/not-onboarded.har
  samldoctor diagnose capture.har --aws-data aws-data/ --format markdown > ticket.md`,
		Args: needsFiles("a capture file", captureHint),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			sorted, err := sortArgs(args, len(f.awsData) > 0, false)
			if err != nil {
				return err
			}
			if len(sorted.captures) == 0 {
				return usage("diagnose needs a capture file besides the AWS data (%s): samldoctor diagnose FILE --aws-data PATH... (%s; - reads standard input)", strings.Join(append(append([]string{}, f.awsData...), args...), ", "), captureHint)
			}
			f.awsData = append(f.awsData, sorted.awsData...)
			return e.diagnose(&f, sorted.captures, sorted.moved, func(in *inputs.Builder) error { return e.readCaptures(in, sorted.captures) })
		},
	}
	f.add(cmd)
	return cmd
}

// diagnoseFlags are diagnose's flags; record takes them too, and
// diagnoses its recording the same way.
type diagnoseFlags struct {
	format, idpMetadata, spKey string
	awsData, idpCerts          []string
	showSecrets, live          bool
	af                         awsFlags
}

func (f *diagnoseFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringArrayVar(&f.awsData, "aws-data", nil, "AWS CLI JSON output file or folder (repeatable)")
	cmd.Flags().StringVar(&f.idpMetadata, "idp-metadata", "", "the identity provider's SAML metadata XML")
	cmd.Flags().StringArrayVar(&f.idpCerts, "idp-cert", nil, "an IdP signing certificate, PEM or DER (repeatable)")
	cmd.Flags().BoolVar(&f.live, "aws", false, "read the evidence from AWS now (read-only calls, standard credential chain)")
	f.af.add(cmd)
	cmd.Flags().BoolVar(&f.showSecrets, "show-secrets", false, "keep tokens and credentials in the URLs shown")
	cmd.Flags().StringVar(&f.spKey, "sp-key", "", "private key (PEM) of the IAM SAML provider, to decrypt encrypted assertions")
}

// check validates the flags before anything is read.
func (f *diagnoseFlags) check() error {
	if err := formatFlag(f.format, "text", "json", "markdown"); err != nil {
		return err
	}
	return nil
}

// diagnose reads the captures (read), the evidence the flags name, and
// prints the diagnosis; a failed sign-in is exit status 1.
//
// captures name what read reads, for the note on which argument was
// taken as what (moved: an argument was taken for AWS data).
func (e *env) diagnose(f *diagnoseFlags, captures []string, moved bool, read func(*inputs.Builder) error) error {
	opts, err := e.captureOptions(f.showSecrets, f.spKey)
	if err != nil {
		return err
	}
	in := inputs.New(opts)
	if err := read(in); err != nil {
		return err
	}
	if err := in.AWSDataPaths(f.awsData); err != nil {
		return err
	}
	e.noteAWSData(in.AWS(), captures, moved)
	e.noteSkipped("--aws-data", in.Skipped())
	if f.live {
		in.Live = func(ctx context.Context, c *capture.Capture) (*evidence.Bundle, error) {
			return e.collect(f.af, targetFrom(c))
		}
	}
	if f.idpMetadata != "" {
		b, err := inputfile.Read("--idp-metadata", f.idpMetadata, inputfile.MaxMetadata, inputfile.XML)
		if err != nil {
			return err
		}
		if err := in.IdPMetadata("--idp-metadata "+f.idpMetadata, b); err != nil {
			return err
		}
	}
	for _, file := range f.idpCerts {
		b, err := inputfile.Read("--idp-cert", file, inputfile.MaxCert, inputfile.PEMOrDER)
		if err != nil {
			return err
		}
		if err := in.IdPCert("--idp-cert "+file, b); err != nil {
			return err
		}
	}
	input, err := in.Input(context.Background())
	if err != nil {
		return err
	}
	c, set := input.Capture, input.AWS
	res := diagnose.Run(input)
	switch f.format {
	case "json":
		err = report.WriteDiagnoseJSON(e.stdout, c, res, set)
	case "markdown":
		err = report.WriteDiagnoseMarkdown(e.stdout, c, res)
	default:
		err = report.WriteDiagnoseText(e.stdout, c, res, e.style)
	}
	if err != nil {
		return err
	}
	if res.Failed() {
		return exitError{code: ExitProblems}
	}
	return nil
}
