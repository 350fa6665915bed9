package cli

import (
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/report"
)

func auditCmd(e *env) *cobra.Command {
	var format, idpUsers, field, transform string
	var awsData []string
	cmd := &cobra.Command{
		Use:   "audit --aws-data PATH... [--idp-users FILE [--session-name-field COLUMN] [--session-name-transform none|lower]]",
		Short: "Find the agents who will fail to sign in, from the account's own data, before anyone sends a capture",
		Long: `audit judges an Amazon Connect SAML set-up without a capture, offline, from AWS CLI outputs (or a
samldoctor collect bundle) and the identity provider's user export:

  - each IAM SAML provider's signing certificates: expired, or expiring within 30 days
    (iam.cert_expiring; AWS gives no warning, and ValidUntil is not the certificate's expiry);
  - each instance's identity management (connect.instance_not_saml);
  - Connect users whose names differ only by case (connect.duplicate_users);
  - with --idp-users, each IdP user's RoleSessionName against the Connect users: invalid for STS
    (aws.session_name_invalid), matching only up to case (connect.username_case_mismatch), matching
    none (connect.user_not_found), and Connect users no IdP user names (connect.user_without_idp_user).

--idp-users reads Microsoft Entra's "Download users" CSV (userPrincipalName), Okta's users report CSV
(Username) and Google Workspace's "Download users" CSV (Email Address), recognised by their header;
any other CSV, or a JSON array, with --session-name-field. --session-name-transform lower says the IdP
lower-cases the value.

Nothing leaves the machine. Exit status: 0 when no finding is an error, 1 when one is, 2 for bad input.`,
		Example: `  aws connect list-users --instance-id ID > users.json
  aws iam get-saml-provider --saml-provider-arn ARN > provider.json
  samldoctor audit --aws-data users.json --aws-data provider.json --idp-users entra-users.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(format, "text", "json", "markdown"); err != nil {
				return err
			}
			if len(awsData) == 0 {
				return usage("audit needs --aws-data: the AWS CLI outputs (or a samldoctor collect bundle) to audit")
			}
			set := evidence.NewSet()
			if err := set.LoadPaths(awsData); err != nil {
				return err
			}
			in := audit.Input{AWS: set, Now: time.Now()}
			if idpUsers != "" {
				f, err := os.Open(idpUsers)
				if err != nil {
					return err
				}
				defer f.Close()
				u, err := audit.ReadIdPUsers(idpUsers, io.LimitReader(f, audit.MaxIdPExport), field, transform)
				if err != nil {
					return err
				}
				in.IdPUsers = u
			}
			res := audit.Run(in)
			var err error
			switch format {
			case "json":
				err = report.WriteAuditJSON(e.stdout, res)
			case "markdown":
				err = report.WriteAuditMarkdown(e.stdout, res)
			default:
				err = report.WriteAuditText(e.stdout, res, e.style)
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
	cmd.Flags().StringArrayVar(&awsData, "aws-data", nil, "AWS CLI JSON output file or folder, or a collect bundle (repeatable)")
	cmd.Flags().StringVar(&idpUsers, "idp-users", "", "the identity provider's user export (Entra ID, Okta or Google Workspace CSV; other CSV or JSON with --session-name-field)")
	cmd.Flags().StringVar(&field, "session-name-field", "", "the export's column (or JSON key) the IdP sends as RoleSessionName")
	cmd.Flags().StringVar(&transform, "session-name-transform", "none", "what the IdP does to it: none or lower")
	return cmd
}
