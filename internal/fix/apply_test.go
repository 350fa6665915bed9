package fix

import (
	"errors"
	"testing"

	"github.com/samldoctor/samldoctor/internal/evidence"
)

// userWorld is a world whose instance has the users named.
func userWorld(names ...string) *World {
	aws := evidence.NewSet()
	ul := &evidence.UserList{}
	for i, n := range names {
		ul.Users = append(ul.Users, &evidence.User{ID: string(rune('a' + i)), Username: n})
	}
	aws.Users = map[string]*evidence.UserList{"inst": ul}
	w := NewAWSWorld(aws)
	w.Users = ul
	return w
}

// A user created under a name Connect refuses is refused, the empty name
// too (as before the changes became types: an empty name is no user);
// a valid name is created, and a deletion needs no name.
func TestCreatedUserNeedsAName(t *testing.T) {
	old := &evidence.User{ID: "a", Username: "Jane"}
	for _, tt := range []struct {
		c       Change
		refused bool
	}{
		{CreateUser{UserName: ""}, true},
		{RecreateUser{User: old, UserName: ""}, true},
		{CreateUser{UserName: "jane doe"}, true},
		{CreateUser{UserName: "jane.doe"}, false}, // near misses
		{RecreateUser{User: old, UserName: "jane"}, false},
		{DeleteUser{User: old}, false},
	} {
		w := userWorld("Jane")
		err := tt.c.Apply(w)
		var e *Error
		if got := errors.As(err, &e) && e.Refused; got != tt.refused {
			t.Errorf("%#v: %v, refused %v", tt.c, err, tt.refused)
		}
	}
}

// Two changes to the instance's users in one fix both apply: the world
// keeps editing its own copy of the list (the old world compared it with
// the diagnosis's list and found it no more after the first change).
func TestTwoUserChangesApply(t *testing.T) {
	w := userWorld("Jane", "Bob")
	orig := w.Users
	if ck := ApplyAll(w, []Change{DeleteUser{User: orig.Users[1]}, CreateUser{UserName: "jane.doe"}}); ck != nil {
		t.Fatalf("check %+v", ck)
	}
	var names []string
	for _, u := range w.AWS.Users["inst"].Users {
		names = append(names, u.Username)
	}
	if len(names) != 2 || names[0] != "Jane" || names[1] != "jane.doe" {
		t.Errorf("users %q", names)
	}
	if len(orig.Users) != 2 || orig.Users[1].Username != "Bob" {
		t.Errorf("the evidence's list changed: %v", orig.Users)
	}
}
