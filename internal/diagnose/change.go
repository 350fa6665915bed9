package diagnose

import (
	"github.com/samldoctor/samldoctor/internal/fix"
)

// newFix is a fix made of changes: its commands, policy files and IdP
// step are rendered from them.
func (r *run) newFix(summary string, changes ...fix.Change) *Fix {
	for i, c := range changes {
		changes[i] = r.inInstance(fix.Scoped(c))
	}
	return &Fix{Summary: summary, Changes: changes}
}

// inInstance fills in what a change's rendering needs from the sign-in
// when its maker did not: the Connect instance and Region it is made in,
// whether a new inline policy's name is known to be unused, the file an
// organization policy's content is written to.
func (r *run) inInstance(c fix.Change) fix.Change {
	here := func(k *fix.Connect) {
		if k.Region == "" {
			k.Region = r.subject.Region
		}
		if k.Instance == "" {
			k.Instance = r.subject.InstanceID
		}
	}
	switch x := c.(type) {
	case fix.CreateUser:
		here(&x.Connect)
		return x
	case fix.RecreateUser:
		here(&x.Connect)
		return x
	case fix.DeleteUser:
		here(&x.Connect)
		return x
	case fix.AddTrafficGroupUser:
		here(&x.Connect)
		return x
	case fix.PutRolePolicy:
		x.NameUnused = x.NameUnused || r.inlineNamesKnown(x.Role)
		return x
	case fix.UpdateOrgPolicy:
		if p := r.aws.Org.Policy(x.Policy); x.Name == "" && p != nil {
			x.Name = p.Name
		}
		return x
	}
	return c
}

// inlineNamesKnown reports whether the evidence holds every inline policy
// of the role, so that a new policy's name is known to be unused.
func (r *run) inlineNamesKnown(role string) bool {
	for _, ro := range r.aws.Roles {
		if ro.Name == role {
			return ro.InlineComplete
		}
	}
	return false
}

// rolePair writes a Role value.
func rolePair(role, provider string) string { return role + "," + provider }
