package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/inputs"
	"github.com/samldoctor/samldoctor/internal/report"
)

func diagnoseCmd(e *env) *cobra.Command {
	var format, idpMetadata, spKey string
	var awsData, idpCerts []string
	var showSecrets, live bool
	var af awsFlags
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
			if err := formatFlag(format, "text", "json", "markdown"); err != nil {
				return err
			}
			opts, err := e.captureOptions(showSecrets, spKey)
			if err != nil {
				return err
			}
			in := inputs.New(opts)
			if err := e.readCaptures(in, args); err != nil {
				return err
			}
			if err := in.AWSDataPaths(awsData); err != nil {
				return err
			}
			e.noteSkipped("--aws-data", in.Skipped())
			if live {
				in.Live = func(ctx context.Context, c *capture.Capture) (*evidence.Bundle, error) {
					return e.collect(af, targetFrom(c))
				}
			}
			if idpMetadata != "" {
				b, err := inputfile.Read("--idp-metadata", idpMetadata, inputfile.MaxMetadata, inputfile.XML)
				if err != nil {
					return err
				}
				if err := in.IdPMetadata("--idp-metadata "+idpMetadata, b); err != nil {
					return err
				}
			}
			for _, f := range idpCerts {
				b, err := inputfile.Read("--idp-cert", f, inputfile.MaxCert, inputfile.PEMOrDER)
				if err != nil {
					return err
				}
				if err := in.IdPCert("--idp-cert "+f, b); err != nil {
					return err
				}
			}
			input, err := in.Input(context.Background())
			if err != nil {
				return err
			}
			c, set := input.Capture, input.AWS
			res := diagnose.Run(input)
			switch format {
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
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringArrayVar(&awsData, "aws-data", nil, "AWS CLI JSON output file or folder (repeatable)")
	cmd.Flags().StringVar(&idpMetadata, "idp-metadata", "", "the identity provider's SAML metadata XML")
	cmd.Flags().StringArrayVar(&idpCerts, "idp-cert", nil, "an IdP signing certificate, PEM or DER (repeatable)")
	cmd.Flags().BoolVar(&live, "aws", false, "read the evidence from AWS now (read-only calls, standard credential chain)")
	af.add(cmd)
	cmd.Flags().BoolVar(&showSecrets, "show-secrets", false, "keep tokens and credentials in the URLs shown")
	cmd.Flags().StringVar(&spKey, "sp-key", "", "private key (PEM) of the IAM SAML provider, to decrypt encrypted assertions")
	return cmd
}
