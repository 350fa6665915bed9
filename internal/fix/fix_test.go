package fix

import (
	"errors"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// sent is an assertion that sends these attributes (name, value pairs)
// and the NameID.
func sent(nameID string, attrs ...string) *assertion.Assertion {
	a := &assertion.Assertion{Subject: &assertion.Subject{NameID: &assertion.NameID{Value: nameID}}}
	for i := 0; i+1 < len(attrs); i += 2 {
		a.Attributes = append(a.Attributes, assertion.Attribute{Name: attrs[i], Values: []string{attrs[i+1]}})
	}
	return a
}

// A RoleSessionName change yields what its source and transformation make
// of the captured values: a wrong source, a wrong transformation, a value
// beyond ASCII under a case function, and a profile value set for
// everyone each fail, with the kind of failure the check reports.
func TestSessionNameFrom(t *testing.T) {
	rsn := assertion.AttrRoleSessionName
	a := sent("Jane.Doe@example.com", "uid", "JDOE", rsn, "Jane.Doe@example.com", "mail", "jane.doe@example.com", "twice", "a")
	a.Attributes = append(a.Attributes, assertion.Attribute{Name: "twice", Values: []string{"b"}})
	tests := []struct {
		name   string
		change SetAttribute
		want   string
		err    string // "wrong", "not modelled", or ""
	}{
		{"a copy of an attribute", SetAttribute{Attribute: rsn, Value: "jane.doe@example.com", Source: "mail"}, "jane.doe@example.com", ""},
		{"the lower case of what is sent", SetAttribute{Attribute: rsn, Value: "jane.doe@example.com", Source: rsn, Transform: "lower"}, "jane.doe@example.com", ""},
		{"the NameID", SetAttribute{Attribute: rsn, Value: "Jane.Doe@example.com", Source: SourceNameID}, "Jane.Doe@example.com", ""},
		{"upper where lower is needed", SetAttribute{Attribute: rsn, Value: "jane.doe@example.com", Source: rsn, Transform: "upper"}, "", "wrong"},
		{"a source not sent", SetAttribute{Attribute: rsn, Value: "jane.doe@example.com", Source: "email"}, "", "wrong"},
		{"a source sent twice", SetAttribute{Attribute: rsn, Value: "a", Source: "twice"}, "", "wrong"},
		{"a copy that is another value", SetAttribute{Attribute: rsn, Value: "jdoe", Source: "uid"}, "", "wrong"},
		{"a transformation of nothing", SetAttribute{Attribute: rsn, Value: "x", Transform: "lower"}, "", "wrong"},
		{"a profile value for everyone", SetAttribute{Attribute: rsn, Value: "jane", Scope: ScopeApplication}, "", "wrong"},
		{"a profile value for the agent", SetAttribute{Attribute: rsn, Value: "jane", Scope: ScopeAgent}, "jane", ""},
		{"a case function unknown", SetAttribute{Attribute: rsn, Value: "x", Source: "uid", Transform: "title"}, "", "not modelled"},
	}
	for _, tt := range tests {
		got, err := SessionNameFrom(a, tt.change)
		var e *Error
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		case tt.err == "wrong" && !(errors.As(err, &e) && e.Wrong):
			t.Errorf("%s: %q, %v; want a wrong change", tt.name, got, err)
		case tt.err == "not modelled" && !(errors.As(err, &e) && !e.Wrong && !e.Refused):
			t.Errorf("%s: %q, %v; want not modelled", tt.name, got, err)
		}
	}
	// Beyond ASCII the products' case functions differ (the Kelvin sign).
	k := sent("x", "cn", "\u212aelvin")
	if _, err := SessionNameFrom(k, SetAttribute{Attribute: rsn, Value: "kelvin", Source: "cn", Transform: "lower"}); err == nil || !strings.Contains(err.Error(), "beyond ASCII") {
		t.Errorf("a transformation beyond ASCII: %v", err)
	}
}

// Whom a change reaches: what its maker says, else Role values are the
// agent's and the application's settings everyone's; nothing outside the
// IdP has an IdP scope.
func TestScopeOf(t *testing.T) {
	for _, tt := range []struct {
		c    Change
		want Scope
	}{
		{SetAttribute{Attribute: "a"}, ScopeApplication},
		{SetAttribute{Attribute: "a", Scope: ScopeAgent}, ScopeAgent},
		{SendRoles{Roles: []string{"r"}}, ScopeAgent},
		{SendRoles{Roles: []string{"r"}, Scope: ScopeGroup}, ScopeGroup},
		{SetAudience{Value: "x"}, ScopeApplication},
		{SyncIdPClock{}, ScopeApplication},
		{PutRolePolicy{Role: "r"}, ""},
		{CreateUser{UserName: "u"}, ""},
		{SetCCPURL{Value: "x"}, ""},
	} {
		if got := ScopeOf(tt.c); got != tt.want {
			t.Errorf("%T: %q, want %q", tt.c, got, tt.want)
		}
		if s, ok := Scoped(tt.c).(SetAttribute); ok && s.Scope != tt.want {
			t.Errorf("Scoped(%T) leaves the scope %q", tt.c, s.Scope)
		}
	}
}

// Every kind is one type, documented, and made where its name says.
func TestKinds(t *testing.T) {
	seen := map[Kind]bool{}
	for _, k := range Kinds {
		if seen[k] {
			t.Errorf("%s listed twice", k)
		}
		seen[k] = true
		if Doc[k] == "" {
			t.Errorf("%s has no documentation line", k)
		}
		switch k.Where() {
		case "idp", "iam", "connect", "streams", "app", "organizations":
		default:
			t.Errorf("%s is made in %q", k, k.Where())
		}
	}
	if len(Doc) != len(Kinds) {
		t.Errorf("%d kinds documented, %d listed", len(Doc), len(Kinds))
	}
}

// Connect refuses user names outside its set; the check says so rather
// than passing a user AWS would not create.
func TestCreateUserRefusesBadNames(t *testing.T) {
	ul := &evidence.UserList{InstanceID: "i"}
	w := &World{AWS: evidence.Set{Users: map[string]*evidence.UserList{"i": ul}}, Users: ul}
	for name, ok := range map[string]bool{"jane.doe@example.com": true, "jane_doe": true, "jane doe": false, "jane@doe": false, "": false} {
		err := CreateUser{UserName: name}.Apply(w)
		var e *Error
		if ok && err != nil || !ok && !(errors.As(err, &e) && e.Refused) {
			t.Errorf("%q: %v", name, err)
		}
	}
	if n := len(w.Users.Users); n != 2 {
		t.Errorf("%d users created, want the 2 valid ones", n)
	}
	if len(ul.Users) != 0 {
		t.Error("the original user list was edited")
	}
}

// An approved origin is the embedding page's scheme, host and port, or
// the change is wrong; without frames it is not modelled.
func TestAssociateApprovedOrigin(t *testing.T) {
	mk := func() *World {
		return &World{Embedded: &Embedded{Origin: "https://agents.example.com", CSP: [][]string{{"'self'"}}, Reported: true}}
	}
	w := mk()
	if err := (AssociateApprovedOrigin{Value: "https://Agents.example.com"}).Apply(w); err != nil || w.Embedded.Reported || len(w.Embedded.CSP[0]) != 2 {
		t.Errorf("the embedding origin: %v %+v", err, w.Embedded)
	}
	for v, want := range map[string]string{"https://agents.example.com:8443": "wrong", "https://agents.example.com/desk": "not modelled", "agents.example.com": "not modelled"} {
		err := (AssociateApprovedOrigin{Value: v}).Apply(mk())
		var e *Error
		if !errors.As(err, &e) || (want == "wrong") != e.Wrong {
			t.Errorf("%s: %v, want %s", v, err, want)
		}
	}
	if err := (AssociateApprovedOrigin{Value: "https://agents.example.com"}).Apply(&World{}); err == nil {
		t.Error("no frames: the change was modelled")
	}
}

// The embedding page's referrer policy: one that sends the origin lets
// Connect name an approved origin; approving an origin Connect is not
// told changes nothing; whether an origin not known approved is named is
// unsettled; a policy that withholds the origin is a wrong change.
func TestSetReferrerPolicy(t *testing.T) {
	mk := func(approval int) *World {
		return &World{Embedded: &Embedded{Origin: "https://agents.example.com", CSP: [][]string{{"'self'"}}, Withheld: true, Approval: approval}}
	}
	named := func(w *World) bool {
		return len(w.Embedded.CSP[0]) == 2 && w.Embedded.CSP[0][1] == "https://agents.example.com"
	}
	for _, tt := range []struct {
		name             string
		approval         int
		changes          []Change
		named, unsettled bool
	}{
		{"approved, policy set", 1, []Change{SetReferrerPolicy{Value: "strict-origin-when-cross-origin"}}, true, false},
		{"approved, origin approved again", 1, []Change{AssociateApprovedOrigin{Value: "https://agents.example.com"}}, false, false},
		{"not approved, policy set", -1, []Change{SetReferrerPolicy{Value: "origin"}}, false, false},
		{"not approved, both", -1, []Change{AssociateApprovedOrigin{Value: "https://agents.example.com"}, SetReferrerPolicy{Value: "strict-origin"}}, true, false},
		{"unknown, policy set", 0, []Change{SetReferrerPolicy{Value: "strict-origin-when-cross-origin"}}, false, true},
		{"unknown, both", 0, []Change{SetReferrerPolicy{Value: "strict-origin-when-cross-origin"}, AssociateApprovedOrigin{Value: "https://agents.example.com"}}, true, false},
	} {
		w := mk(tt.approval)
		if ck := ApplyAll(w, tt.changes); ck != nil {
			t.Fatalf("%s: %+v", tt.name, ck)
		}
		if named(w) != tt.named || w.Embedded.Unsettled != tt.unsettled || w.Embedded.Reported {
			t.Errorf("%s: %+v", tt.name, w.Embedded)
		}
	}
	for _, v := range []string{"no-referrer", "same-origin", "bogus"} {
		var e *Error
		if err := (SetReferrerPolicy{Value: v}).Apply(mk(1)); !errors.As(err, &e) || !e.Wrong {
			t.Errorf("%s: %v, want a wrong change", v, err)
		}
	}
	// Connect was told the origin already: the policy changes nothing.
	w := mk(1)
	w.Embedded.Withheld = false
	if err := (SetReferrerPolicy{Value: "origin"}).Apply(w); err != nil || named(w) {
		t.Errorf("not withheld: %v %+v", err, w.Embedded)
	}
}

// A Role value is ROLE-ARN,PROVIDER-ARN in either order; anything else
// AWS refuses.
func TestSplitRolePair(t *testing.T) {
	role, prov := "arn:aws:iam::111122223333:role/Agents", "arn:aws:iam::111122223333:saml-provider/Okta"
	for v, ok := range map[string]bool{role + "," + prov: true, prov + "," + role: true, " " + role + " , " + prov: true, role: false, role + "," + role: false} {
		r, err := SplitRolePair(v)
		if ok != (err == nil) || ok && (r.RoleArn != role || r.ProviderArn != prov) {
			t.Errorf("%q: %+v %v", v, r, err)
		}
	}
}

// A delete that names no user deletes nothing and is not modelled, rather
// than passing.
func TestDeleteNamesTheUser(t *testing.T) {
	ul := &evidence.UserList{InstanceID: "i", Users: []*evidence.User{{ID: "u1", Username: "jane"}}}
	w := &World{AWS: evidence.Set{Users: map[string]*evidence.UserList{"i": ul}}, Users: ul}
	for _, c := range []Change{DeleteUser{}, RecreateUser{UserName: "jane2"}} {
		if err := c.Apply(w); err == nil {
			t.Errorf("%T without a user: modelled", c)
		}
	}
	if err := (DeleteUser{User: ul.Users[0]}).Apply(w); err != nil || len(w.Users.Users) != 0 {
		t.Errorf("delete jane: %v, %d users left", err, len(w.Users.Users))
	}
}
