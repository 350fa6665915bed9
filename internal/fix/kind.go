package fix

import "strings"

// Kind names one kind of change a fix makes to the sign-in's
// configuration. Each kind is one type of this package; its name is the
// stable id docs/findings.md and the JSON output use.
type Kind string

// The kinds of change, by where they are made.
const (
	// At the identity provider.
	KindSetAttribute     Kind = "idp.set_attribute"
	KindSendRoles        Kind = "idp.send_roles"
	KindSetAudience      Kind = "idp.set_audience"
	KindSetACS           Kind = "idp.set_acs"
	KindSetRelayState    Kind = "idp.set_relay_state"
	KindSyncIdPClock     Kind = "idp.sync_clock"
	KindEncryptAssertion Kind = "idp.encrypt_assertion"
	KindDropSessionTags  Kind = "idp.drop_session_tags"
	// In IAM.
	KindEditStatement          Kind = "iam.edit_statement"
	KindPutRolePolicy          Kind = "iam.put_role_policy"
	KindUpdateTrustPolicy      Kind = "iam.update_trust_policy"
	KindUpdateProviderMetadata Kind = "iam.update_saml_metadata"
	KindCreateProvider         Kind = "iam.create_saml_provider"
	KindSetEncryptionMode      Kind = "iam.set_encryption_mode"
	KindAddPrivateKey          Kind = "iam.add_private_key"
	// In Amazon Connect.
	KindCreateUser              Kind = "connect.create_user"
	KindRecreateUser            Kind = "connect.recreate_user"
	KindDeleteUser              Kind = "connect.delete_user"
	KindAddTrafficGroupUser     Kind = "connect.associate_traffic_distribution_group_user"
	KindAssociateApprovedOrigin Kind = "connect.associate_approved_origin"
	// In the agent application, Amazon Connect Streams' initCCP.
	KindSetCCPURL     Kind = "streams.set_ccp_url"
	KindSetLoginPopup Kind = "streams.set_login_popup"
	// In the agent application's web server.
	KindSetReferrerPolicy Kind = "app.set_referrer_policy"
	// In AWS Organizations.
	KindUpdateOrgPolicy Kind = "organizations.update_policy"
)

// Kinds are every kind, in the order docs/findings.md lists them.
var Kinds = []Kind{KindSetAttribute, KindSendRoles, KindSetAudience, KindSetACS, KindSetRelayState, KindSyncIdPClock, KindEncryptAssertion,
	KindEditStatement, KindPutRolePolicy, KindUpdateTrustPolicy, KindUpdateProviderMetadata, KindCreateProvider, KindSetEncryptionMode, KindAddPrivateKey,
	KindCreateUser, KindRecreateUser, KindDeleteUser, KindAddTrafficGroupUser, KindAssociateApprovedOrigin, KindSetCCPURL, KindSetLoginPopup, KindSetReferrerPolicy, KindUpdateOrgPolicy, KindDropSessionTags}

// Where is the system a kind of change is made in: "idp", "iam",
// "connect", "streams" (the agent application's Streams settings), "app"
// (its web server) or "organizations".
func (k Kind) Where() string {
	s, _, _ := strings.Cut(string(k), ".")
	return s
}

// Doc says what each kind of change does, for docs/findings.md.
var Doc = map[Kind]string{
	KindSetAttribute:            "set a SAML attribute (RoleSessionName, SessionDuration) to a value, with the case transformation that yields it when there is one",
	KindSendRoles:               "send exactly these Role values (`ROLE-ARN,PROVIDER-ARN`)",
	KindSetAudience:             "set the audience (identifier, entity ID)",
	KindSetACS:                  "set the ACS (Reply) URL and the Recipient",
	KindSetRelayState:           "set the RelayState",
	KindSyncIdPClock:            "synchronise the IdP server's clock (the offset measured)",
	KindEncryptAssertion:        "encrypt the assertion for the IAM SAML provider's certificate",
	KindEditStatement:           "correct one statement of an identity policy in place (inline: `put-role-policy`; managed: `create-policy-version --set-as-default`)",
	KindPutRolePolicy:           "add an inline policy to the role",
	KindUpdateTrustPolicy:       "correct the role's trust policy in place (add a value, a provider, an action, or a statement; nothing removed)",
	KindUpdateProviderMetadata:  "upload the IdP's current metadata to the IAM SAML provider",
	KindCreateProvider:          "create the IAM SAML provider",
	KindSetEncryptionMode:       "set the provider's assertion encryption mode",
	KindAddPrivateKey:           "upload a decryption key to the provider",
	KindCreateUser:              "create the Connect user",
	KindRecreateUser:            "delete the Connect user and create it under another name (data loss)",
	KindDeleteUser:              "delete the Connect user (data loss)",
	KindAddTrafficGroupUser:     "add the Connect user to a Global Resiliency traffic distribution group",
	KindAssociateApprovedOrigin: "approve the origin (scheme, host, port) of the page embedding the CCP (`associate-approved-origin`)",
	KindSetCCPURL:               "set Amazon Connect Streams' `ccpUrl` in the agent application's `initCCP` call",
	KindSetLoginPopup:           "sign in through Streams' login popup: `loginPopup: true`, `loginPopupAutoClose: true` (and `loginUrl`)",
	KindSetReferrerPolicy:       "answer the page embedding the CCP with a `Referrer-Policy` that sends its origin cross-origin (`strict-origin-when-cross-origin`)",
	KindUpdateOrgPolicy:         "correct one statement of the organization's SCP or RCP in place (Organizations' UpdatePolicy with the corrected content, from the management account)",
	KindDropSessionTags:         "stop sending session tags (`PrincipalTag:KEY` attributes) or naming keys in `TransitiveTagKeys`",
}
