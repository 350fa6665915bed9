package diagnose

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// This file is the one place that writes a command that changes AWS
// (create-, update-, put-, delete-, associate- ...): every such command is
// rendered from a typed Change, the same Change the check applied to a
// copy of the evidence, so the command the admin pastes is the change that
// was checked. TestMutatingCommandsAreRendered fails on such a command
// written anywhere else.

// clockByOS is how to synchronise a server's clock when the IdP product is
// not known; a known product's own steps replace it.
const clockByOS = "On Windows (AD FS): w32tm /config /syncfromflags:domhier /update, then w32tm /resync; on Linux (Keycloak, Shibboleth, SimpleSAMLphp, PingFederate): enable chrony or systemd-timesyncd (timedatectl set-ntp true)."

// safeWord is a shell word that needs no quoting in bash, zsh or
// PowerShell: ARNs, IDs, Regions, e-mail addresses.
var safeWord = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// q quotes a value from the evidence as one shell word, so that nothing in
// a capture or an AWS output (a space, ;, $, a newline, a brace) can run
// as a command when the line is pasted: words outside safeWord go in
// single quotes, where the shell reads every character as it is.
func q(s string) string {
	if safeWord.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// phoneValue writes a phone-config value as the CLI's shorthand takes it:
// whole numbers as integers (JSON decodes 1000000 as a float64 that %v
// would write 1e+06).
func phoneValue(v any) string {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

// withoutControls drops the commands of a fix that hold a control
// character from the evidence (a newline in a user name): quoted, it could
// run nothing, but it is not a value AWS takes, and a line that spans
// lines is not pasted whole.
func withoutControls(f *Fix) {
	kept := f.Commands[:0]
	dropped := false
	for _, c := range f.Commands {
		if strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
			dropped = true
			continue
		}
		kept = append(kept, c)
	}
	f.Commands = kept
	if dropped {
		f.Steps = append(f.Steps, "A value this change would use holds a control character (a line break, an escape), which AWS does not take: samldoctor prints no command with it. Correct the value at its source first.")
	}
}

// NewFix is a fix made of changes outside a diagnosis (the audit's): its
// commands, policy files and steps are rendered by the same code as a
// diagnosis's.
func NewFix(aws *evidence.Set, summary string, changes ...fix.Change) *Fix {
	if aws == nil {
		aws = evidence.NewSet()
	}
	r := &run{aws: aws, subject: &signin.Subject{}}
	return r.newFix(summary, changes...)
}

// render writes the fix's commands, files and generic IdP step from its
// changes.
func (r *run) render(f *Fix) {
	files := map[string]bool{}
	file := func(base, content string) string {
		name := base + ".json"
		for i := 2; files[name]; i++ {
			name = fmt.Sprintf("%s-%d.json", base, i)
		}
		files[name] = true
		f.Files = append(f.Files, File{Name: name, Content: content})
		return name
	}
	var idpSteps []string
	for _, c := range f.Changes {
		switch c := c.(type) {
		case fix.SetAttribute, fix.SendRoles, fix.SetAudience, fix.SetACS, fix.SetRelayState, fix.EncryptAssertion, fix.DropSessionTags:
			idpSteps = append(idpSteps, strings.TrimSuffix(strings.TrimPrefix(r.describe(c), "At the IdP, "), "."))
		case fix.SyncIdPClock:
			f.Steps = append(f.Steps, r.describe(c), clockByOS)
		case fix.EditStatement:
			name := file(slug(c.Policy), c.Document.Document())
			if c.Managed {
				f.Commands = append(f.Commands, fmt.Sprintf("aws iam create-policy-version --policy-arn %s --policy-document file://%s --set-as-default", q(c.Policy), name))
				f.Steps = append(f.Steps, "A managed policy keeps at most five versions: if create-policy-version says LimitExceeded, delete the oldest non-default one (aws iam list-policy-versions, aws iam delete-policy-version).")
			} else {
				f.Commands = append(f.Commands, fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name %s --policy-document file://%s", q(c.Role), q(c.Policy), name))
			}
		case fix.PutRolePolicy:
			name := file(slug(c.Policy), c.Document.Document())
			if !c.NameUnused {
				f.Steps = append(f.Steps, fmt.Sprintf("First check that role %s has no inline policy named %s (aws iam list-role-policies --role-name %s): put-role-policy with a name in use replaces that policy and drops its statements; use another name if it is listed.", c.Role, c.Policy, c.Role))
			}
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam put-role-policy --role-name %s --policy-name %s --policy-document file://%s", q(c.Role), q(c.Policy), name))
		case fix.UpdateTrustPolicy:
			name := file("trust-policy-"+slug(c.Role), c.Document.Document())
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://%s", q(c.Role), name))
		case fix.UpdateProviderMetadata:
			idpSteps = append(idpSteps, "download the application's current federation metadata XML and save it as idp-metadata.xml")
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --saml-metadata-document file://idp-metadata.xml", q(c.Provider)))
		case fix.CreateProvider:
			idpSteps = append(idpSteps, "download the application's federation metadata XML and save it as idp-metadata.xml")
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam create-saml-provider --name %s --saml-metadata-document file://idp-metadata.xml", q(providerName(c.Provider))))
		case fix.SetEncryptionMode:
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --assertion-encryption-mode %s", q(c.Provider), q(c.Value)))
		case fix.AddPrivateKey:
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider --saml-provider-arn %s --add-private-key file://private-key.pem", q(c.Provider)))
		case fix.CreateUser:
			in := c.Connect
			if c.Replica != "" {
				in.Region = c.Replica
			}
			f.Commands = append(f.Commands, createUserCommand(in, c.User, c.UserName))
			if c.User == nil || !c.User.Detailed {
				f.Steps = append(f.Steps, fmt.Sprintf("Replace the security profile and routing profile IDs with the agent's (aws connect list-security-profiles --region %[1]s --instance-id %[2]s, and list-routing-profiles --region %[1]s --instance-id %[2]s).", orX(c.Region, "REGION"), orX(c.Instance, "INSTANCE-ID")))
			}
		case fix.RecreateUser:
			cmds, steps, loss := recreateUser(c)
			f.Commands = append(f.Commands, cmds...)
			f.Steps = append(f.Steps, steps...)
			f.DataLoss = loss
		case fix.AddTrafficGroupUser:
			f.Commands = append(f.Commands, fmt.Sprintf("aws connect associate-traffic-distribution-group-user --region %s --instance-id %s --traffic-distribution-group-id %s --user-id %s",
				q(c.Region), q(c.Instance), q(c.Value), q(c.User.ID)))
		case fix.AssociateApprovedOrigin, fix.SetCCPURL, fix.SetLoginPopup:
			renderEmbedded(f, c)
		case fix.UpdateOrgPolicy:
			name := file(c.File, c.Document.Document())
			f.Commands = append(f.Commands, fmt.Sprintf("aws organizations update-policy --policy-id %s --content file://%s", q(c.Policy), name))
			f.Steps = append(f.Steps, "Run it with the organization's management account, or the account delegated to administer its policies; the change applies at once to every account the policy is attached to.")
		case fix.DeleteUser:
			f.Commands = append(f.Commands, fmt.Sprintf("aws connect delete-user --region %s --instance-id %s --user-id %s", q(c.Region), q(c.Instance), q(c.User.ID)))
			f.DataLoss = fmt.Sprintf("Deleting user %s loses its history (contact records keep the old user ID; metrics and settings are gone).", c.User.Username)
		}
	}
	if len(idpSteps) > 0 {
		f.IdP = idpFix(strings.Join(idpSteps, "; then ") + ".")
	}
	withoutControls(f)
}

// recreateUser is the last-resort fix: create the user again under the
// name the IdP sends, keeping its current settings, and delete the old one.
func recreateUser(c fix.RecreateUser) (cmds, steps []string, loss string) {
	u := c.User
	del := fmt.Sprintf("aws connect delete-user --region %s --instance-id %s --user-id %s", q(c.Region), q(c.Instance), q(u.ID))
	create := createUserCommand(c.Connect, u, c.UserName)
	loss = fmt.Sprintf("Deleting user %s loses its history (contact records keep the old user ID, metrics and settings not copied). Prefer changing the IdP.", u.Username)
	if !u.Detailed {
		// The settings to copy are not in the evidence: the delete is not
		// printed beside a create that still has placeholders; it comes
		// in the steps, after them.
		cmds = append(cmds, fmt.Sprintf("aws connect describe-user --region %s --instance-id %s --user-id %s > user.json", q(c.Region), q(c.Instance), q(u.ID)))
		steps = append(steps, "Keep the user's settings first (describe-user above), then run samldoctor again with user.json in --aws-data: it prints the create-user with those settings, and the delete after it. Do not delete the user before that.")
		return cmds, steps, loss
	}
	// Create first, and delete only once the new user exists: pasted as
	// one line, a create that fails deletes nothing.
	cmds = append(cmds, create+" && "+del)
	steps = append(steps, "If create-user answers that the user name exists (Connect may hold names that differ only in case as one), run the delete-user part first and then the create-user part: the settings in it are the old user's.")
	return cmds, steps, loss
}

// createUserCommand writes aws connect create-user with the user's current
// settings when known, else placeholders to fill in.
func createUserCommand(in fix.Connect, u *evidence.User, name string) string {
	first, last := "FIRST-NAME", "LAST-NAME"
	phone := "PhoneType=SOFT_PHONE,AutoAccept=false,AfterContactWorkTimeLimit=0"
	sps, rp := "SECURITY-PROFILE-ID", "ROUTING-PROFILE-ID"
	hier, tags := "", ""
	var more [][2]string // the identity's other fields, as describe-user shows them
	if u != nil {
		if u.FirstName != "" {
			first = u.FirstName
		}
		if u.LastName != "" {
			last = u.LastName
		}
		for _, kv := range [][2]string{{"Email", u.Email}, {"SecondaryEmail", u.SecondaryEmail}, {"Mobile", u.Mobile}} {
			if kv[1] != "" {
				more = append(more, kv)
			}
		}
		if u.Detailed {
			if len(u.Tags) > 0 {
				b, _ := json.Marshal(u.Tags) // sorted keys
				tags = " --tags " + q(string(b))
			}
			if len(u.PhoneConfig) > 0 {
				var parts []string
				for _, k := range slices.Sorted(maps.Keys(u.PhoneConfig)) {
					if v := u.PhoneConfig[k]; v != nil {
						parts = append(parts, k+"="+phoneValue(v))
					}
				}
				phone = strings.Join(parts, ",")
			}
			if len(u.SecurityProfileIDs) > 0 {
				var ids []string
				for _, id := range u.SecurityProfileIDs {
					ids = append(ids, q(id))
				}
				sps = strings.Join(ids, " ")
			}
			if u.RoutingProfileID != "" {
				rp = u.RoutingProfileID
			}
			if u.HierarchyGroupID != "" {
				hier = " --hierarchy-group-id " + q(u.HierarchyGroupID)
			}
		}
	}
	return fmt.Sprintf("aws connect create-user --region %s --instance-id %s --username %s --identity-info %s --phone-config %s --security-profile-ids %s --routing-profile-id %s%s%s",
		q(orX(in.Region, "REGION")), q(orX(in.Instance, "INSTANCE-ID")), q(name),
		q(identityInfo(append([][2]string{{"FirstName", first}, {"LastName", last}}, more...))), q(phone), sps, q(rp), hier, tags)
}

// identityInfo writes --identity-info in the AWS CLI's shorthand
// (FirstName=Jane,LastName=Doe) when no value holds a character the
// shorthand reads as syntax, else as JSON, which holds any value.
func identityInfo(fields [][2]string) string {
	plain := true
	for _, kv := range fields {
		plain = plain && !strings.ContainsAny(kv[1], ",=\"'[]{}")
	}
	if plain {
		var parts []string
		for _, kv := range fields {
			parts = append(parts, kv[0]+"="+kv[1])
		}
		return strings.Join(parts, ",")
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// renderEmbedded writes a change to the embedded CCP as the fix's
// command or steps.
func renderEmbedded(f *Fix, c fix.Change) {
	switch c := c.(type) {
	case fix.AssociateApprovedOrigin:
		f.Commands = append(f.Commands, fmt.Sprintf("aws connect associate-approved-origin --instance-id %s --origin %s --region %s", q(orX(c.Instance, "INSTANCE-ID")), q(c.Value), q(orX(c.Region, "REGION"))))
	case fix.SetCCPURL:
		f.Steps = append(f.Steps, describeEmbedded(c),
			fmt.Sprintf("In the page's connect.core.initCCP(container, {...}) call: ccpUrl: %q. The approved origins stay as they are: they belong to the instance, not to its domain.", c.Value))
	case fix.SetLoginPopup:
		login := "the identity provider's sign-in URL for the Amazon Connect app (IdP-initiated: the app's user access URL or tile link, whose RelayState federates into the instance)"
		if c.Value != "" {
			login = fmt.Sprintf("%q", c.Value)
		}
		f.Steps = append(f.Steps, describeEmbedded(c),
			"In the page's connect.core.initCCP(container, {...}) call: loginPopup: true, loginPopupAutoClose: true (or loginOptions: {autoClose: true}), loginUrl: "+login+". Do not load the identity provider or AWS sign-in in a frame: both refuse it (X-Frame-Options), and Streams closes its popup once the CCP's frame has the session.")
	}
}
