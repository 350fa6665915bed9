package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
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
			c, err := readCaptures(e, args, showSecrets, spKey)
			if err != nil {
				return err
			}
			set := evidence.NewSet()
			if err := set.LoadPaths(awsData); err != nil {
				return err
			}
			if live {
				b, err := e.collect(af, targetFrom(c))
				if err != nil {
					return err
				}
				if err := set.LoadBundle("AWS", b); err != nil {
					return err
				}
			}
			if idpMetadata != "" {
				b, err := inputfile.Read("--idp-metadata", idpMetadata, inputfile.MaxMetadata, inputfile.XML)
				if err != nil {
					return err
				}
				md, err := assertion.ParseMetadata(b)
				if err != nil {
					return fmt.Errorf("--idp-metadata %s: %w", idpMetadata, err)
				}
				set.IdPMetadata = md
			}
			var certs []assertion.Candidate
			for _, f := range idpCerts {
				b, err := inputfile.Read("--idp-cert", f, inputfile.MaxCert, inputfile.PEMOrDER)
				if err != nil {
					return err
				}
				cs, err := assertion.ParseCerts(b, f)
				if err != nil {
					return fmt.Errorf("--idp-cert %s: %w", f, err)
				}
				certs = append(certs, cs...)
			}
			res := diagnose.Run(diagnose.Input{Capture: c, AWS: set, Certs: certs})
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
