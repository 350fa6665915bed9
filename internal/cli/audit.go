package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/audit"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/inputfile"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
	"github.com/samldoctor/samldoctor/internal/trail"
)

func auditCmd(e *env) *cobra.Command {
	var format, idpUsers, idpFilter, idpAssignments, field, transform, since, idpMetadata, trailSQL, trailTable, trailResult string
	var awsData, trails []string
	var live bool
	var instanceID, capturePath string
	var af awsFlags
	cmd := &cobra.Command{
		Use:   "audit [--aws-data PATH...] [--idp-users FILE [--session-name-field COLUMN] [--session-name-transform none|lower]] [--trail PATH... [--since 7d]]",
		Short: "Find the agents who will fail to sign in, from the account's own data, before anyone sends a capture",
		Long: `audit judges an Amazon Connect SAML set-up without a capture, offline, from AWS CLI outputs (or a
samldoctor collect bundle) and the identity provider's user export:

  - each IAM SAML provider's signing certificates: expired, or expiring within 30 days
    (iam.cert_expiring; AWS gives no warning, and ValidUntil is not the certificate's expiry);
  - with --idp-metadata, signing certificates the IdP publishes that a provider trusting it lacks
    (iam.cert_not_in_provider); providers that require encryption without a key (iam.no_decryption_key);
  - each instance's identity management (connect.instance_not_saml), and every Connect role that
    trusts a SAML provider (CloudTrail shows GetFederationToken with it, --capture sends it, or its
    policies name Connect; others are iam.role_not_for_connect, information): whether it may call
    connect:GetFederationToken for the instance's users
    (iam.federation_token_denied, with the near miss named, as diagnose says it), and whether its
    trust policy lets the provider's agents in through the global or the Regional sign-in endpoint
    (iam.trust_policy_denies);
  - Connect users that look like one person (the same e-mail, or first and last name, from
    describe-user or from the IdP users that name them: idp.multiple_profiles);
  - Connect users whose names differ only by case (connect.duplicate_users);
  - with --idp-users, each IdP user's RoleSessionName against the Connect users: invalid for STS
    (aws.session_name_invalid), matching only up to case (connect.username_case_mismatch), matching
    none (connect.user_not_found), and Connect users no IdP user names (connect.user_without_idp_user);
  - with --trail, CloudTrail's log files (as the trail writes them to S3, synced with aws s3 sync; read
    in parallel, digest files skipped): failed AssumeRoleWithSAML and GetFederationToken grouped by
    error and role, under the cause each error means (iam.trust_policy_denies,
    iam.federation_token_denied, ...; trail.unexplained_failure when no rule knows it), with the agents
    and the first and last time; and agents who now sign in with another role than the one Connect
    bound them to (connect.role_changed: "Bad Request"). An organisation's trail can be aggregated by
    AWS instead: --trail-sql athena (or cloudtrail-lake --trail-table ID) prints the query, and
    --trail-result reads its CSV result.

--idp-users reads Microsoft Entra's "Download users" CSV (userPrincipalName, documented or Graph's
header), Okta's users report (Username) and Password Health report (Login), Google Workspace's
"Download users" CSV (Email Address), recognised by their header; any other CSV, or a JSON array, with
--session-name-field. --session-name-transform lower says the IdP lower-cases the value. Okta's Current
Assignments report (Application login) lists who is assigned to the Connect application: its users
are agents, and one without a Connect user is an error; of a directory-wide export it is a warning.
--idp-assignments FILE reads who is assigned to the Connect application beside a users export (Okta's
Current Assignments report; an Entra enterprise app's users, Get-MgServicePrincipalAppRoleAssignedTo
-ServicePrincipalId ID -All | Export-Csv): its users are agents, a user it does not list is not one,
and a role column names Connect roles. --idp-users-filter COLUMN=VALUE narrows an export
(Department=Contact Centre, "Application name=Amazon Connect").

Nothing leaves the machine unless you ask: --aws --instance-id ID --region R reads the same from AWS
(describe-instance, list-users, the account's SAML providers, the roles that trust one and their
policies, CloudTrail's event history for --since; read-only calls). Exit status: 0 when no finding is an error, 1 when one is, 2 for bad input.`,
		Example: `  aws connect list-users --instance-id ID > users.json
  aws iam get-saml-provider --saml-provider-arn ARN > provider.json
  samldoctor audit --aws-data users.json --aws-data provider.json --idp-users entra-users.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := formatFlag(format, "text", "json", "markdown"); err != nil {
				return err
			}
			// --aws-data dir/*.json and --trail dir/*.json.gz, expanded
			// by the shell.
			sorted, err := sortArgs(args, true, true)
			if err != nil {
				return err
			}
			awsData, trails = append(awsData, sorted.awsData...), append(trails, sorted.trails...)
			window, err := parseSince(since)
			if err != nil {
				return err
			}
			if trailSQL != "" {
				q, err := audit.TrailSQL(trailSQL, trailTable, time.Now().Add(-window))
				if err != nil {
					return usage("%v", err)
				}
				fmt.Fprintln(e.stdout, q)
				return nil
			}
			if len(awsData) == 0 && len(trails) == 0 && trailResult == "" && !live {
				return usage("audit needs --aws-data (the AWS CLI outputs, or a samldoctor collect bundle), --trail (CloudTrail log files) or --trail-result (a query's result) to audit")
			}
			if len(trails) > 0 && trailResult != "" {
				return usage("give --trail or --trail-result, not both")
			}
			now := time.Now()
			// The log files are read while the rest is loaded: reading them
			// keeps every core busy, the rest one.
			var trailRead func() (*audit.Trail, error)
			if len(trails) > 0 {
				l, err := trail.List(trails)
				if err != nil {
					return err
				}
				e.noteSkipped("--trail", l.Skipped)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan struct{})
				var t *audit.Trail
				var terr error
				go func() {
					defer close(done)
					t, terr = e.readTrail(ctx, l.Files, now.Add(-window))
				}()
				trailRead = func() (*audit.Trail, error) { <-done; return t, terr }
				defer func() { cancel(); <-done }()
			}
			set := evidence.NewSet()
			if err := set.LoadPaths(awsData); err != nil {
				return err
			}
			e.noteAWSData(set, nil, sorted.moved)
			e.noteSkipped("--aws-data", set.NotRegular)
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
			if live {
				if instanceID == "" || af.region == "" {
					return usage("audit --aws needs --instance-id and --region")
				}
				b, err := e.collectAccount(af, awslive.Target{InstanceID: instanceID, Region: af.region, Since: time.Now().Add(-window)})
				if err != nil {
					return err
				}
				if err := set.LoadBundle("AWS", b); err != nil {
					return err
				}
			}
			in := audit.Input{AWS: set, Now: now}
			if trailResult != "" {
				f, err := os.Open(trailResult)
				if err != nil {
					return err
				}
				defer f.Close()
				t, err := audit.ReadTrailResult(trailResult, io.LimitReader(text(f), audit.MaxIdPExport))
				if err != nil {
					return err
				}
				in.Trail = t
			}
			if capturePath != "" {
				c, err := e.readCapture([]string{capturePath}, false, "")
				if err != nil {
					return err
				}
				s := signin.SubjectOf(c)
				if s == nil || s.RoleSessionName == "" && s.RoleArn == "" {
					return fmt.Errorf("%s: no RoleSessionName or Role in the capture's sign-in", capturePath)
				}
				// The capture's sign-in to Connect says its role is a Connect
				// role, and which provider its issuer is.
				if s.RoleArn != "" && s.InstanceID != "" {
					in.ConnectRoles = map[string]string{s.RoleArn: "the capture " + capturePath}
				}
				if s.Issuer != "" && s.ProviderArn != "" {
					in.ProviderIssuers = map[string]string{s.Issuer: s.ProviderArn}
				}
				in.SignIn, in.SignInWhere = s, "the capture "+capturePath
				if idpUsers != "" && s.RoleSessionName != "" {
					f, err := os.Open(idpUsers)
					if err != nil {
						return err
					}
					col, tr, line, err := audit.InferSessionName(io.LimitReader(text(f), audit.MaxIdPExport), s.RoleSessionName)
					f.Close()
					if err != nil {
						return fmt.Errorf("%s: %w", idpUsers, err)
					}
					field, transform = col, tr
					fmt.Fprintf(e.stderr, "samldoctor: the capture's RoleSessionName %q is column %s of %s line %d%s\n", s.RoleSessionName, col, idpUsers, line, map[string]string{"lower": ", lower-cased", "none": ""}[tr])
				}
			}
			if idpUsers != "" {
				f, err := os.Open(idpUsers)
				if err != nil {
					return err
				}
				defer f.Close()
				u, err := audit.ReadIdPExport(idpUsers, io.LimitReader(text(f), audit.MaxIdPExport), audit.ExportOptions{Field: field, Transform: transform, Filter: idpFilter})
				if err != nil {
					return usage("%v", err)
				}
				in.IdPUsers = u
			}
			if idpAssignments != "" {
				f, err := os.Open(idpAssignments)
				if err != nil {
					return err
				}
				defer f.Close()
				as, err := audit.ReadIdPAssignments(idpAssignments, io.LimitReader(text(f), audit.MaxIdPExport), idpFilter)
				if err != nil {
					return usage("%v", err)
				}
				in.Assignments = as
			}
			if trailRead != nil {
				if in.Trail, err = trailRead(); err != nil {
					return err
				}
			}
			res := audit.Run(in)
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
	cmd.Flags().StringVar(&idpAssignments, "idp-assignments", "", "who is assigned to the Connect application at the IdP: Okta's Current Assignments report, or an Entra enterprise app's app role assignments (Get-MgServicePrincipalAppRoleAssignedTo | Export-Csv); settles which --idp-users are agents")
	cmd.Flags().StringVar(&idpFilter, "idp-users-filter", "", "keep the --idp-users rows whose COLUMN is VALUE (COLUMN=VALUE: a department, a group, an org unit; \"Application name=Amazon Connect\" of Okta's Current Assignments report)")
	cmd.Flags().StringVar(&field, "session-name-field", "", "the export's column (or JSON key) the IdP sends as RoleSessionName")
	cmd.Flags().StringVar(&transform, "session-name-transform", "none", "what the IdP does to it: none or lower")
	cmd.Flags().StringVar(&capturePath, "capture", "", "a capture of one agent's sign-in: its role is a Connect role, its issuer names its provider, and its RoleSessionName tells which column of --idp-users the IdP sends (and whether it lower-cases it)")
	cmd.Flags().BoolVar(&live, "aws", false, "read the instance, its users, the account's SAML providers and the roles that trust one, and CloudTrail's event history from AWS now (read-only calls)")
	cmd.Flags().StringVar(&instanceID, "instance-id", "", "with --aws: the Connect instance ID")
	af.add(cmd)
	cmd.Flags().StringVar(&idpMetadata, "idp-metadata", "", "the identity provider's current SAML metadata: its certificates against the providers'")
	cmd.Flags().StringArrayVar(&trails, "trail", nil, "CloudTrail log files or folders as the trail writes them to S3 (AWSLogs/.../*.json.gz; repeatable)")
	cmd.Flags().StringVar(&trailSQL, "trail-sql", "", "print the SQL that computes --trail's aggregate on AWS (athena or cloudtrail-lake), and exit")
	cmd.Flags().StringVar(&trailTable, "trail-table", "", "for --trail-sql: the Athena table (default cloudtrail_logs_pp, AWS's partition-projected table) or the CloudTrail Lake event data store ID")
	cmd.Flags().StringVar(&trailResult, "trail-result", "", "the CSV result of --trail-sql's query, read instead of --trail")
	cmd.Flags().StringVar(&since, "since", audit.DefaultSinceFlag, "how far back the CloudTrail records are read: 7d, 36h, ...")
	return cmd
}

// parseSince reads --since (audit.ParseSince).
func parseSince(s string) (time.Duration, error) {
	d, err := audit.ParseSince(s)
	if err != nil {
		return 0, usage("%v", err)
	}
	return d, nil
}

// readTrail reads CloudTrail log files (trail.List's) in parallel into
// one aggregate, with progress on stderr.
func (e *env) readTrail(ctx context.Context, files []string, since time.Time) (*audit.Trail, error) {
	var progress func(done, total int)
	if e.stderrTTY {
		var mu sync.Mutex
		progress = func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			if done == total || done%50 == 0 {
				fmt.Fprintf(e.stderr, "\rsamldoctor: CloudTrail: %d of %d log files read", done, total)
				if done == total {
					fmt.Fprintln(e.stderr)
				}
			}
		}
	}
	sinks, st, err := trail.Read(ctx, files, since, runtime.NumCPU(), audit.NewTrail, progress)
	if err != nil {
		return nil, err
	}
	t := audit.NewTrail()
	for _, s := range sinks {
		t.Merge(s)
	}
	t.Files, t.Records, t.Since = st.Files, st.Records, since
	return t, nil
}

// text reads a file as UTF-8 text: an export saved by Windows PowerShell
// 5.1 is UTF-16 (inputfile.Text).
func text(r io.Reader) io.Reader {
	t, _ := inputfile.Text(r, 64<<10)
	return t
}

// noteSkipped says on stderr which files of a folder given to flag were
// not read and why.
func (e *env) noteSkipped(flag string, skipped []inputfile.Skipped) {
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "samldoctor: %s: %s\n", flag, s)
	}
}
