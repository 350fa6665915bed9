package diagnose_test

import (
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// flatChange is every field a change of any kind can have, for tests that
// look at one field whatever the kind (the kind itself is asserted where
// it matters).
type flatChange struct {
	Attribute, Value, Source, Transform string
	Scope                               fix.Scope
	Roles                               []string
	Offset                              time.Duration
	Role, Policy, Edit, Provider        string
	Managed                             bool
	Statement                           int
	Document                            *iampolicy.Policy
	User                                *evidence.User
	UserName, Region, Instance          string
	Tags, TransitiveKeys                []string
}

func flat(c fix.Change) flatChange {
	var f flatChange
	f.Scope = fix.ScopeOf(c)
	switch c := c.(type) {
	case fix.SetAttribute:
		f.Attribute, f.Value, f.Source, f.Transform = c.Attribute, c.Value, c.Source, c.Transform
	case fix.SendRoles:
		f.Roles = c.Roles
	case fix.SetAudience:
		f.Value = c.Value
	case fix.SetACS:
		f.Value = c.Value
	case fix.SetRelayState:
		f.Value = c.Value
	case fix.SyncIdPClock:
		f.Offset = c.Offset
	case fix.EncryptAssertion:
		f.Provider = c.Provider
	case fix.DropSessionTags:
		f.Tags, f.TransitiveKeys = c.Tags, c.TransitiveKeys
	case fix.EditStatement:
		f.Role, f.Policy, f.Managed, f.Statement, f.Edit, f.Document = c.Role, c.Policy, c.Managed, c.Statement, c.Edit, c.Document
	case fix.PutRolePolicy:
		f.Role, f.Policy, f.Document = c.Role, c.Policy, c.Document
	case fix.UpdateTrustPolicy:
		f.Role, f.Edit, f.Document = c.Role, c.Edit, c.Document
	case fix.UpdateProviderMetadata:
		f.Provider = c.Provider
	case fix.CreateProvider:
		f.Provider = c.Provider
	case fix.SetEncryptionMode:
		f.Provider, f.Value = c.Provider, c.Value
	case fix.AddPrivateKey:
		f.Provider = c.Provider
	case fix.CreateUser:
		f.UserName, f.User, f.Region, f.Instance = c.UserName, c.User, c.Replica, c.Instance
	case fix.RecreateUser:
		f.UserName, f.User, f.Region, f.Instance = c.UserName, c.User, c.Region, c.Instance
	case fix.DeleteUser:
		f.User, f.Region, f.Instance = c.User, c.Region, c.Instance
	case fix.AddTrafficGroupUser:
		f.User, f.Value, f.Region, f.Instance = c.User, c.Value, c.Region, c.Instance
	case fix.AssociateApprovedOrigin:
		f.Value, f.Region, f.Instance = c.Value, c.Region, c.Instance
	case fix.SetCCPURL:
		f.Value = c.Value
	case fix.SetLoginPopup:
		f.Value = c.Value
	case fix.UpdateOrgPolicy:
		f.Policy, f.Value, f.Statement, f.Edit, f.Document = c.Policy, c.Type, c.Statement, c.Edit, c.Document
	}
	return f
}
