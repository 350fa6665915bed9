package report

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/shell"
)

// This file is the one renderer of a fix: the steps, the AWS CLI
// commands, the policy files and the IdP's steps (in general terms and in
// the product's own) are written here from the fix's typed changes, the
// same changes the check applied to a copy of the evidence, so what the
// admin pastes is what was checked. It is also the one place that writes
// a command that changes AWS (create-, update-, put-, delete-,
// associate- ...): TestMutatingCommandsAreRendered fails on such a
// command written anywhere else.

// Rendered is a fix as the administrator reads it.
type Rendered struct {
	// Steps are to be followed in order.
	Steps []string
	// Commands are shell commands (AWS CLI) with the real values.
	Commands []string
	// Files are files the commands read (policy documents).
	Files []File
	// IdP is the change to make at the identity provider, in general terms.
	IdP string
	// IdPSteps are the same change in the recognised product's own words
	// and places (IdPProduct), from its documentation (IdPDocs); IdPCode
	// are the indexes of the steps that are configuration text in the
	// product's language, to be pasted as they are.
	IdPProduct string
	IdPSteps   []string
	IdPDocs    string
	IdPCode    []int
	// DataLoss warns that the fix loses data.
	DataLoss string
}

// Render writes a fix as the administrator reads it: the read-only
// commands first, then the changes' commands; the steps before the
// changes, the changes' own, and the steps after; the IdP's steps in the
// product's terms when the product is known.
func Render(f diagnose.Fix) Rendered {
	var out Rendered
	out.Commands = slices.Clone(f.Reads)
	out.Steps = slices.Clone(f.Before)
	out.changes(f.Changes)
	out.Steps = append(out.Steps, f.After...)
	if out.DataLoss == "" {
		out.DataLoss = f.DataLoss
	}
	if out.IdP == "" && f.IdPText != "" {
		out.IdP = idpFix(f.IdPText)
	}
	withoutControls(&out)
	if len(f.ProductSteps) > 0 {
		out.IdPProduct, out.IdPSteps, out.IdPDocs = f.ProductName, slices.Clone(f.ProductSteps), f.ProductDocs
	} else {
		productSteps(f, &out)
	}
	return out
}

// idpFix says where at the identity provider a change is made.
func idpFix(what string) string {
	return "In the identity provider's Amazon Connect (AWS) application, " + what
}

// roundDur writes a duration to the minute past an hour, else to the
// second.
func roundDur(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

func orX(s, x string) string {
	if s == "" {
		return x
	}
	return s
}

// clockByOS is how to synchronise a server's clock when the IdP product is
// not known; a known product's own steps replace it.
const clockByOS = "On Windows (AD FS): w32tm /config /syncfromflags:domhier /update, then w32tm /resync; on Linux (Keycloak, Shibboleth, SimpleSAMLphp, PingFederate): enable chrony or systemd-timesyncd (timedatectl set-ntp true)."

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
func withoutControls(f *Rendered) {
	kept := f.Commands[:0]
	dropped := false
	for _, c := range f.Commands {
		if shell.HasControl(c) {
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

// render writes the fix's commands, files and generic IdP step from its
// changes.
func (f *Rendered) changes(changes []fix.Change) {
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
	for _, c := range changes {
		if v := loadsFile(c); v != "" {
			f.Steps = append(f.Steps, fmt.Sprintf("%s No command is printed for it: the value %s, from the evidence, starts with what makes the AWS CLI read a file or fetch a URL and send its content instead (file://, fileb://, http://, https://). Check the value at its source first.", describe(c), shell.Quote(v)))
			continue
		}
		switch c := c.(type) {
		case fix.SetAttribute, fix.SendRoles, fix.SetAudience, fix.SetACS, fix.SetRelayState, fix.EncryptAssertion, fix.DropSessionTags:
			idpSteps = append(idpSteps, strings.TrimSuffix(strings.TrimPrefix(describe(c), "At the IdP, "), "."))
		case fix.SyncIdPClock:
			f.Steps = append(f.Steps, describe(c), clockByOS)
		case fix.EditStatement:
			name := file(slug(c.Policy), c.Document.Document())
			if c.Managed {
				f.Commands = append(f.Commands, fmt.Sprintf("aws iam create-policy-version %s --policy-document file://%s --set-as-default", arg("--policy-arn", c.Policy), name))
				f.Steps = append(f.Steps, "A managed policy keeps at most five versions: if create-policy-version says LimitExceeded, delete the oldest non-default one (aws iam list-policy-versions, aws iam delete-policy-version).")
			} else {
				f.Commands = append(f.Commands, fmt.Sprintf("aws iam put-role-policy %s %s --policy-document file://%s", arg("--role-name", c.Role), arg("--policy-name", c.Policy), name))
			}
		case fix.PutRolePolicy:
			name := file(slug(c.Policy), c.Document.Document())
			if !c.NameUnused {
				f.Steps = append(f.Steps, fmt.Sprintf("First check that role %s has no inline policy named %s (aws iam list-role-policies %s): put-role-policy with a name in use replaces that policy and drops its statements; use another name if it is listed.", c.Role, c.Policy, arg("--role-name", c.Role)))
			}
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam put-role-policy %s %s --policy-document file://%s", arg("--role-name", c.Role), arg("--policy-name", c.Policy), name))
		case fix.UpdateTrustPolicy:
			name := file("trust-policy-"+slug(c.Role), c.Document.Document())
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-assume-role-policy %s --policy-document file://%s", arg("--role-name", c.Role), name))
		case fix.UpdateProviderMetadata:
			idpSteps = append(idpSteps, "download the application's current federation metadata XML and save it as idp-metadata.xml")
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider %s --saml-metadata-document file://idp-metadata.xml", arg("--saml-provider-arn", c.Provider)))
		case fix.CreateProvider:
			idpSteps = append(idpSteps, "download the application's federation metadata XML and save it as idp-metadata.xml")
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam create-saml-provider %s --saml-metadata-document file://idp-metadata.xml", arg("--name", awsarn.ProviderName(c.Provider))))
		case fix.SetEncryptionMode:
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider %s %s", arg("--saml-provider-arn", c.Provider), arg("--assertion-encryption-mode", c.Value)))
		case fix.AddPrivateKey:
			f.Commands = append(f.Commands, fmt.Sprintf("aws iam update-saml-provider %s --add-private-key file://private-key.pem", arg("--saml-provider-arn", c.Provider)))
		case fix.CreateUser:
			in := c.Connect
			if c.Replica != "" {
				in.Region = c.Replica
			}
			f.Commands = append(f.Commands, createUserCommand(in, c.User, c.UserName))
			if c.User == nil || !c.User.Detailed {
				f.Steps = append(f.Steps, fmt.Sprintf("Replace the security profile and routing profile IDs with the agent's (aws connect list-security-profiles %[1]s %[2]s, and list-routing-profiles %[1]s %[2]s).", arg("--region", orX(c.Region, "REGION")), arg("--instance-id", orX(c.Instance, "INSTANCE-ID"))))
			}
		case fix.RecreateUser:
			cmds, steps, loss := recreateUser(c)
			f.Commands = append(f.Commands, cmds...)
			f.Steps = append(f.Steps, steps...)
			f.DataLoss = loss
		case fix.AddTrafficGroupUser:
			f.Commands = append(f.Commands, fmt.Sprintf("aws connect associate-traffic-distribution-group-user %s %s %s %s",
				arg("--region", c.Region), arg("--instance-id", c.Instance), arg("--traffic-distribution-group-id", c.Value), arg("--user-id", c.User.ID)))
		case fix.AssociateApprovedOrigin, fix.SetCCPURL, fix.SetLoginPopup, fix.SetReferrerPolicy:
			renderEmbedded(f, c)
		case fix.UpdateOrgPolicy:
			name := file(strings.ToLower(evidence.PolicyShort(c.Type))+"-"+slug(orX(c.Name, c.Policy)), c.Document.Document())
			f.Commands = append(f.Commands, fmt.Sprintf("aws organizations update-policy %s --content file://%s", arg("--policy-id", c.Policy), name))
			f.Steps = append(f.Steps, "Run it with the organization's management account, or the account delegated to administer its policies; the change applies at once to every account the policy is attached to.")
		case fix.DeleteUser:
			f.Commands = append(f.Commands, fmt.Sprintf("aws connect delete-user %s %s %s", arg("--region", c.Region), arg("--instance-id", c.Instance), arg("--user-id", c.User.ID)))
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
	del := fmt.Sprintf("aws connect delete-user %s %s %s", arg("--region", c.Region), arg("--instance-id", c.Instance), arg("--user-id", u.ID))
	create := createUserCommand(c.Connect, u, c.UserName)
	loss = fmt.Sprintf("Deleting user %s loses its history: contact records keep the old user ID and its metrics do not move to the new user. The create-user copies what describe-user shows (names, e-mail, mobile, phone settings, security and routing profiles, hierarchy group, tags), not its proficiencies. Prefer changing the IdP.", u.Username)
	if !u.Detailed {
		// The settings to copy are not in the evidence: the delete is not
		// printed beside a create that still has placeholders; it comes
		// in the steps, after them.
		cmds = append(cmds, fmt.Sprintf("aws connect describe-user %s %s %s > user.json", arg("--region", c.Region), arg("--instance-id", c.Instance), arg("--user-id", u.ID)))
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
	phone := []field{{"PhoneType", "SOFT_PHONE"}, {"AutoAccept", false}, {"AfterContactWorkTimeLimit", 0.0}}
	sps, rp := []string{"SECURITY-PROFILE-ID"}, "ROUTING-PROFILE-ID"
	hier, tags := "", ""
	var more []field // the identity's other fields, as describe-user shows them
	if u != nil {
		if u.FirstName != "" {
			first = u.FirstName
		}
		if u.LastName != "" {
			last = u.LastName
		}
		for _, kv := range []field{{"Email", u.Email}, {"SecondaryEmail", u.SecondaryEmail}, {"Mobile", u.Mobile}} {
			if kv.value != "" {
				more = append(more, kv)
			}
		}
		if u.Detailed {
			if len(u.Tags) > 0 {
				b, _ := json.Marshal(u.Tags) // sorted keys
				tags = " --tags " + shell.Quote(string(b))
			}
			if len(u.PhoneConfig) > 0 {
				phone = nil
				for _, k := range slices.Sorted(maps.Keys(u.PhoneConfig)) {
					if v := u.PhoneConfig[k]; v != nil {
						phone = append(phone, field{k, v})
					}
				}
			}
			if len(u.SecurityProfileIDs) > 0 {
				sps = u.SecurityProfileIDs
			}
			if u.RoutingProfileID != "" {
				rp = u.RoutingProfileID
			}
			if u.HierarchyGroupID != "" {
				hier = " " + arg("--hierarchy-group-id", u.HierarchyGroupID)
			}
		}
	}
	return fmt.Sprintf("aws connect create-user %s %s %s --identity-info %s --phone-config %s --security-profile-ids %s %s%s%s",
		arg("--region", orX(in.Region, "REGION")), arg("--instance-id", orX(in.Instance, "INSTANCE-ID")), arg("--username", name),
		shell.Quote(structArg(append([]field{{"FirstName", first}, {"LastName", last}}, more...))), shell.Quote(structArg(phone)), listArg(sps), arg("--routing-profile-id", rp), hier, tags)
}

// A field is one member of a structure parameter: a string, a bool or a
// number, as describe-user gives it.
type field struct {
	key   string
	value any
}

// structArg writes a structure parameter (--identity-info,
// --phone-config) in the AWS CLI's shorthand (FirstName=Jane,LastName=Doe)
// when the CLI reads every key and value back as written, else as JSON,
// which holds any value. The shorthand cannot hold a comma, '=', a quote,
// a bracket or a brace; it strips the blanks around a value, reads a
// backslash before a comma as an escaped comma (so a value ending in one
// swallows the next field), and stops at a character beyond U+FFFF (an
// emoji); a value that is not a string, a bool or a number has no
// shorthand.
func structArg(fields []field) string {
	plain := true
	var parts []string
	for _, kv := range fields {
		v, ok := shorthandValue(kv.value)
		plain = plain && ok && shorthandKey(kv.key)
		parts = append(parts, kv.key+"="+v)
	}
	if plain {
		return strings.Join(parts, ",")
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.key)
		v, err := json.Marshal(kv.value)
		if err != nil {
			v = []byte("null")
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

// shorthandKey reports whether the CLI's shorthand reads k as a key.
func shorthandKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shorthandValue writes v as the CLI's shorthand reads it back; ok is
// false when it cannot (see structArg).
func shorthandValue(v any) (string, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return phoneValue(v), true
	default:
		return fmt.Sprint(v), false
	}
	if s == "" || strings.ContainsAny(s, ",=\"'[]{}\\") {
		return s, false
	}
	r, _ := utf8.DecodeRuneInString(s)
	l, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(r) || unicode.IsSpace(l) {
		return s, false
	}
	for _, c := range s {
		if c > 0xffff || c < 0x20 || c == 0x7f {
			return s, false
		}
	}
	return s, true
}

// arg writes an option with a value from the evidence as one shell word:
// --user-id ID, or --user-id=ID when the value starts with '-', which the
// CLI would otherwise take for an option of its own.
func arg(flag, v string) string {
	if strings.HasPrefix(v, "-") {
		return flag + "=" + shell.Quote(v)
	}
	return flag + " " + shell.Quote(v)
}

// listArg writes a list of strings from the evidence: one shell word
// each, or the list in JSON when one of them could be read otherwise (a
// value starting with '-', '[' or a blank, where the CLI sees an option,
// a JSON list or nothing).
func listArg(l []string) string {
	var words []string
	for _, v := range l {
		if v == "" || strings.HasPrefix(strings.TrimLeftFunc(v, unicode.IsSpace), "[") || strings.HasPrefix(v, "-") {
			b, _ := json.Marshal(l)
			return shell.Quote(string(b))
		}
		words = append(words, shell.Quote(v))
	}
	return strings.Join(words, " ")
}

// paramFile are the prefixes that make the AWS CLI read an option's value
// from a file (and, in version 1, fetch it from a URL) instead of taking
// it as written: a value from the evidence with one of them would send
// that file's content to AWS.
var paramFile = []string{"file://", "fileb://", "http://", "https://"}

// loadsFile is the first value of a change's command that the AWS CLI
// would read as a file or a URL ("" when none is): the values from the
// evidence that the command passes as a whole option.
func loadsFile(c fix.Change) string {
	var vals []string
	user := func(u *evidence.User) {
		if u != nil {
			vals = append(vals, u.ID, u.RoutingProfileID, u.HierarchyGroupID)
			vals = append(vals, u.SecurityProfileIDs...)
		}
	}
	switch c := c.(type) {
	case fix.EditStatement:
		vals = append(vals, c.Role, c.Policy)
	case fix.PutRolePolicy:
		vals = append(vals, c.Role, c.Policy)
	case fix.UpdateTrustPolicy:
		vals = append(vals, c.Role)
	case fix.UpdateProviderMetadata:
		vals = append(vals, c.Provider)
	case fix.SetEncryptionMode:
		vals = append(vals, c.Provider, c.Value)
	case fix.AddPrivateKey:
		vals = append(vals, c.Provider)
	case fix.CreateUser:
		vals = append(vals, c.Region, c.Instance, c.Replica, c.UserName)
		user(c.User)
	case fix.RecreateUser:
		vals = append(vals, c.Region, c.Instance, c.UserName)
		user(c.User)
	case fix.DeleteUser:
		vals = append(vals, c.Region, c.Instance)
		user(c.User)
	case fix.AddTrafficGroupUser:
		vals = append(vals, c.Region, c.Instance, c.Value)
		user(c.User)
	case fix.AssociateApprovedOrigin:
		vals = append(vals, c.Region, c.Instance) // the origin goes in JSON
	case fix.UpdateOrgPolicy:
		vals = append(vals, c.Policy)
	}
	for _, v := range vals {
		for _, p := range paramFile {
			if strings.HasPrefix(v, p) {
				return v
			}
		}
	}
	return ""
}

// renderEmbedded writes a change to the embedded CCP as the fix's
// command or steps.
func renderEmbedded(f *Rendered, c fix.Change) {
	switch c := c.(type) {
	case fix.AssociateApprovedOrigin:
		// The origin goes in JSON: AWS CLI version 1 fetches an option's
		// value that starts with https:// and sends the page it gets.
		origin, _ := json.Marshal(map[string]string{"Origin": c.Value})
		f.Commands = append(f.Commands, fmt.Sprintf("aws connect associate-approved-origin %s %s --cli-input-json %s", arg("--instance-id", orX(c.Instance, "INSTANCE-ID")), arg("--region", orX(c.Region, "REGION")), shell.Quote(string(origin))))
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
	case fix.SetReferrerPolicy:
		f.Steps = append(f.Steps, describeEmbedded(c),
			fmt.Sprintf("In the web server, proxy or framework that serves the page (nginx: add_header Referrer-Policy %q always;), and remove any <meta name=\"referrer\"> from the page that withholds the origin. With %s the browser sends the page's origin, not its path, with the CCP frame's request.", c.Value, c.Value))
	}
}

// describe is one line for a change, as a person would say it.
func describe(c fix.Change) string {
	switch c := c.(type) {
	case fix.SetAttribute:
		s := fmt.Sprintf("At the IdP, make the %s attribute send %q", fix.ShortAttr(c.Attribute), c.Value)
		switch {
		case c.Source != "" && c.Transform != "":
			s += fmt.Sprintf(" (the %s case of what %s sends now)", c.Transform, fix.SourceLabel(c.Source))
		case c.Source != "":
			s += fmt.Sprintf(" (what %s sends now)", fix.SourceLabel(c.Source))
		case c.Attribute == assertion.AttrRoleSessionName:
			s += " (no attribute the IdP sends has this value: set it on the agent's profile)"
		}
		return s + scopeLabel(fix.ScopeOf(c)) + "."
	case fix.SendRoles:
		return "At the IdP, send the Role value " + strings.Join(c.Roles, " and ") + " and no other" + scopeLabel(fix.ScopeOf(c)) + "."
	case fix.SetAudience:
		return "At the IdP, set the audience (identifier, entity ID) to " + c.Value + "."
	case fix.SetACS:
		return "At the IdP, set the ACS (Reply) URL and the Recipient to " + c.Value + "."
	case fix.SetRelayState:
		return "At the IdP, set the RelayState to " + c.Value + "."
	case fix.SyncIdPClock:
		return "Synchronise the identity provider server's clock with NTP: it runs " + clockOffset(c.Offset) + "."
	case fix.EncryptAssertion:
		return "At the IdP, turn on assertion encryption with the encryption certificate of SAML provider " + awsarn.ProviderName(c.Provider) + "."
	case fix.EditStatement:
		return fmt.Sprintf("In %s of role %s, correct statement %d in place: %s.", policyLabel(c), c.Role, c.Statement, c.Edit)
	case fix.PutRolePolicy:
		return fmt.Sprintf("Add the inline policy %s to role %s.", c.Policy, c.Role)
	case fix.UpdateTrustPolicy:
		return fmt.Sprintf("In the trust policy of role %s, %s.", c.Role, c.Edit)
	case fix.UpdateProviderMetadata:
		return "Upload the IdP's current metadata to the IAM SAML provider " + awsarn.ProviderName(c.Provider) + "."
	case fix.CreateProvider:
		return "Create the IAM SAML provider " + awsarn.ProviderName(c.Provider) + " from the IdP's metadata."
	case fix.SetEncryptionMode:
		return "Set the assertion encryption mode of SAML provider " + awsarn.ProviderName(c.Provider) + " to " + c.Value + "."
	case fix.AddPrivateKey:
		return "Upload the private key the IdP encrypts for to SAML provider " + awsarn.ProviderName(c.Provider) + "."
	case fix.CreateUser:
		if c.Replica != "" {
			return fmt.Sprintf("Create the Connect user %q in the replica in %s.", c.UserName, c.Replica)
		}
		return fmt.Sprintf("Create the Connect user %q.", c.UserName)
	case fix.RecreateUser:
		return fmt.Sprintf("Delete the Connect user %q and create it again as %q.", c.User.Username, c.UserName)
	case fix.DeleteUser:
		return fmt.Sprintf("Delete the Connect user %q.", c.User.Username)
	case fix.AddTrafficGroupUser:
		return fmt.Sprintf("Add the Connect user %q to the traffic distribution group %s.", c.User.Username, c.Value)
	case fix.UpdateOrgPolicy:
		return fmt.Sprintf("In the organization's %s %s, correct %s.", evidence.PolicyShort(c.Type), c.Policy, c.Edit)
	case fix.DropSessionTags:
		return "At the IdP, " + c.What() + "."
	case fix.AssociateApprovedOrigin, fix.SetCCPURL, fix.SetLoginPopup, fix.SetReferrerPolicy:
		return describeEmbedded(c)
	}
	return string(c.Kind())
}

// scopeLabel says whom an IdP change reaches.
func scopeLabel(s fix.Scope) string {
	switch s {
	case fix.ScopeAgent:
		return ", for this agent only"
	case fix.ScopeGroup:
		return ", for the agents' group"
	case fix.ScopeApplication:
		return ", for every user of the application"
	}
	return ""
}

func policyLabel(c fix.EditStatement) string {
	if c.Managed {
		return "managed policy " + c.Policy
	}
	return "inline policy " + c.Policy
}

// slug makes a file name from a policy or role name: ConnectFederation
// becomes connect-federation.
func slug(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	prevLower := false
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z':
			if prevLower {
				b.WriteByte('-')
			}
			b.WriteRune(c + 'a' - 'A')
			prevLower = false
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
			prevLower = true
		default:
			b.WriteByte('-')
			prevLower = false
		}
	}
	return b.String()
}

// idpKind is the kind of product steps a change calls for (see
// internal/idp), when the products' data has steps for it.
func idpKind(c fix.Change) (string, bool) {
	switch c := c.(type) {
	case fix.SetAttribute:
		if c.Attribute == assertion.AttrRoleSessionName {
			return "rolesessionname", true
		}
	case fix.SendRoles:
		return "role", true
	case fix.SetAudience:
		return "audience", true
	case fix.SetACS:
		return "acs", true
	case fix.SetRelayState:
		return "relaystate", true
	case fix.UpdateProviderMetadata, fix.CreateProvider:
		return "metadata", true
	case fix.SyncIdPClock:
		return "clock", true
	}
	return "", false
}

// idpValuesFor fills the product steps' values from the change, so the
// steps name exactly what the change sets.
func idpValuesFor(f diagnose.Fix, product string, c fix.Change, kind string) (idp.Values, string) {
	v := f.IdPValues
	v.Scope = string(fix.ScopeOf(c))
	switch c := c.(type) {
	case fix.SetAttribute:
		v.ConnectUser = c.Value
		v.CaseTransform = c.Transform
		v.Source = c.Source
		v.SourceValue = f.Sent[c.Source]
		if p := idp.Lookup(product); p != nil {
			v.SourceExpr = p.Sources[c.Source]
		}
		switch {
		case c.Source == "":
			kind = "rolesessionname-profile"
		case c.Transform != "":
			kind = "rolesessionname-case"
		}
	case fix.SendRoles:
		v.RolePair = c.Roles[0]
		if ro, err := fix.SplitRolePair(c.Roles[0]); err == nil {
			v.RoleArn, v.ProviderArn = ro.RoleArn, ro.ProviderArn
			if a, err := awsarn.Parse(ro.RoleArn); err == nil {
				v.Account = a.Account
			}
		}
	case fix.SyncIdPClock:
		v.ClockOffset = clockOffset(c.Offset)
	case fix.SetAudience:
		v.Audience = c.Value
	case fix.SetACS:
		v.ACS = c.Value
	case fix.SetRelayState:
		v.RelayState = c.Value
		v.RelayStateEncoded = url.QueryEscape(c.Value)
		v.RelayStateDoubleEncoded = url.QueryEscape(v.RelayStateEncoded)
	}
	return v, kind
}

// clockOffset says how far a clock is off AWS's: "2h0m0s behind AWS's".
func clockOffset(d time.Duration) string {
	if d < 0 {
		return roundDur(-d) + " ahead of AWS's"
	}
	return roundDur(d) + " behind AWS's"
}

// productSteps writes the fix's IdP change in the product's own terms,
// with the values the change sets (or, for a manual fix, this sign-in's).
func productSteps(f diagnose.Fix, fx *Rendered) {
	if f.Product == nil || f.Product.Product == idp.Unknown || len(f.ProductSteps) > 0 {
		return // no product, or already in the product's terms: a pitfall of its own app
	}
	d := *f.Product
	if len(f.Changes) == 0 {
		kind := f.ProductKind
		if kind == "" {
			return
		}
		v := f.IdPValues
		if !configSafe(v) {
			return
		}
		if steps, docs, found := idp.Steps(d.Product, kind, v); found {
			fx.IdPProduct, fx.IdPSteps, fx.IdPDocs = d.Name, steps, docs
			fx.IdPCode = idp.CodeSteps(d.Product, kind)
		}
		return
	}
	// Every change made at the IdP, in order, in the product's terms; a
	// change the product's data has no steps for keeps its plain words.
	var steps []string
	var code []int
	docs, inProduct, clock := "", false, false
	for _, c := range f.Changes {
		kind, ok := idpKind(c)
		if sr, isRoles := c.(fix.SendRoles); isRoles && len(sr.Roles) != 1 {
			ok = false // the products' steps send one value; several keep the plain words
		}
		if !ok {
			if fix.Where(c) == "idp" {
				steps = append(steps, capitalise(strings.TrimPrefix(describe(c), "At the IdP, ")))
			}
			continue
		}
		v, kind := idpValuesFor(f, d.Product, c, kind)
		v = idp.WithExpression(d.Product, kind, v, f.Sent) // the expression diagnose's check evaluates (productexpr.go)
		if !configSafe(v) {
			return // a value that would break out of the product's syntax: the generic step stays
		}
		ps, pdocs, found := idp.Steps(d.Product, kind, v)
		if !found {
			if fix.Where(c) == "idp" {
				steps = append(steps, capitalise(strings.TrimPrefix(describe(c), "At the IdP, ")))
			}
			continue
		}
		for _, k := range idp.CodeSteps(d.Product, kind) {
			code = append(code, len(steps)+k)
		}
		steps = append(steps, ps...)
		inProduct = true
		clock = clock || kind == "clock"
		if docs == "" {
			docs = pdocs
		}
	}
	if !inProduct {
		return
	}
	fx.IdPProduct, fx.IdPSteps, fx.IdPDocs, fx.IdPCode = d.Name, steps, docs, code
	if clock {
		// The product's own steps say how its server keeps time.
		fx.Steps = slices.DeleteFunc(fx.Steps, func(s string) bool { return s == clockByOS })
	}
}

// configSafe reports whether the values drawn from the capture can be
// written into a product's configuration text (PHP strings, claim rules,
// expressions) as they are: no quote, backslash, dollar or control
// character that would end the string or run code there.
func configSafe(v idp.Values) bool {
	for _, s := range []string{v.Source, v.SourceValue, v.AgentAttr, v.AgentValue, v.SPEntity, v.ConnectUser, v.RolePair} {
		if strings.ContainsAny(s, "'\"\\$`\x00\r\n") {
			return false
		}
		for _, c := range s {
			if c < 0x20 || c == 0x7f {
				return false
			}
		}
	}
	return true
}

// capitalise starts a sentence with a capital letter.
func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// describeEmbedded is one line for a change to the embedded CCP.
func describeEmbedded(c fix.Change) string {
	switch c := c.(type) {
	case fix.AssociateApprovedOrigin:
		return fmt.Sprintf("Approve the origin %s for the Connect instance %s.", c.Value, orX(c.Instance, "INSTANCE-ID"))
	case fix.SetCCPURL:
		return "In the agent application, set Amazon Connect Streams' ccpUrl to " + c.Value + "."
	case fix.SetLoginPopup:
		s := "In the agent application, sign the agent in through Amazon Connect Streams' login popup (loginPopup: true, loginPopupAutoClose: true)"
		if c.Value != "" {
			s += " with loginUrl " + c.Value
		}
		return s + "."
	case fix.SetReferrerPolicy:
		return "Answer the agent application's page that embeds the CCP with the response header Referrer-Policy: " + c.Value + "."
	}
	return string(c.Kind())
}
