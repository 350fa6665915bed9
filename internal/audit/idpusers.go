package audit

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// IdPUsers is an identity provider's user export: the value each user's
// RoleSessionName is made from.
type IdPUsers struct {
	File string
	// Format is "entra", "okta", "google", "csv" or "json".
	Format string
	// Field is the column the RoleSessionName comes from; Transform is
	// "none" or "lower" (what the IdP does to it).
	Field, Transform string
	Users            []IdPUser
	// Assigned says the export lists who is assigned to the Connect
	// application (an assignment report), not the whole directory: each
	// of its users is an agent.
	Assigned bool
	// Filter is the --idp-users-filter the users were narrowed by
	// (COLUMN=VALUE), "" for none.
	Filter string
	// Roles are the role ARNs an assignment export's role column names,
	// each with where: roles the IdP sends to Connect users.
	Roles map[string]string
}

// IdPUser is one user of the export.
type IdPUser struct {
	// Line is where it is in the file (1-based, the header is line 1).
	Line int
	// SessionName is the RoleSessionName the IdP sends for the user.
	SessionName string
	// FirstName, LastName and Email are the person's, when the export has
	// them (each format's columns, see personColumns).
	FirstName, LastName, Email string
	// ID is the user's object ID (Entra's id or objectId), what an
	// assignment export names the user by.
	ID string
}

// personColumns are the export columns (normalised) that hold a person's
// first name, last name and e-mail: Entra ID's givenName, surname and
// mail; Okta's First name, Last name and Primary email; Google
// Workspace's First Name, Last Name and Email Address.
var personColumns = struct{ first, last, email []string }{
	first: []string{"givenname", "firstname"},
	last:  []string{"surname", "lastname"},
	email: []string{"mail", "primaryemail", "emailaddress", "email"},
}

// columnOf is the first of names among the normalised header, or -1.
func columnOf(norm []string, names []string) int {
	for _, n := range names {
		for i, h := range norm {
			if h == n {
				return i
			}
		}
	}
	return -1
}

// MaxIdPUsers bounds an export's users, MaxIdPExport its bytes (what is
// past it is not read, and the export is then incomplete).
const (
	MaxIdPUsers  = 2_000_000
	MaxIdPExport = 1 << 30
)

// exportFormats are the IdP exports recognised by their header: the
// column that holds the user name Connect users are usually named after,
// and another the header must have too ("" for none); assigned marks the
// exports that list who is assigned to an application.
var exportFormats = []struct {
	name, column, with string
	assigned           bool
}{
	// Okta, Reports > Application Access Audit > Current Assignments: User,
	// Login, Application name, Application instance, Application login,
	// Assigned on, Unassigned on, Last login, ... (help.okta.com,
	// app-current-assignments-report). Application login is the user name
	// the app receives: the RoleSessionName.
	{"okta-assignments", "applicationlogin", "assignedon", true},
	// Microsoft Entra admin center, Users > Download users: the documented
	// header (User principal name, Display name, ...) and the one it writes
	// (Graph's properties: id, userPrincipalName, displayName, ...).
	{"entra", "userprincipalname", "", false},
	// Okta, Reports > Users (its CSV export).
	{"okta", "username", "", false},
	// Google Workspace admin console, Users > Download users.
	{"google", "emailaddress", "", false},
	// Okta, Reports > Okta Password Health: User, Login, Status,
	// Activation date, Authentication Source, Last Login, Last Password
	// Change (help.okta.com, okta-password-health-report).
	{"okta-password-health", "login", "lastpasswordchange", false},
}

// normalizeHeader makes header names comparable: lower case, without
// spaces or underscores, without a bracketed note ("Email Address
// [Required]").
func normalizeHeader(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	if i := strings.IndexByte(h, '['); i > 0 {
		h = h[:i]
	}
	h = strings.ToLower(h)
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(h)
}

// ReadIdPUsers reads an IdP user export: CSV with a header (Entra ID,
// Okta and Google Workspace exports are recognised by it), or a JSON array
// of objects. field names the column or key to take the RoleSessionName
// from ("" for the format's own); transform is "none" or "lower".
func ReadIdPUsers(name string, r io.Reader, field, transform string) (*IdPUsers, error) {
	return ReadIdPExport(name, r, ExportOptions{Field: field, Transform: transform})
}

// ExportOptions say how to read an IdP export.
type ExportOptions struct {
	// Field and Transform: as ReadIdPUsers' field and transform.
	Field, Transform string
	// Filter (COLUMN=VALUE, --idp-users-filter) keeps the users whose
	// COLUMN is VALUE (case aside): a department, a group, an org unit of
	// a directory-wide export.
	Filter string
}

// ReadIdPExport reads an IdP export as ReadIdPUsers does, narrowed by
// opts.Filter.
func ReadIdPExport(name string, r io.Reader, opts ExportOptions) (*IdPUsers, error) {
	field, transform := opts.Field, opts.Transform
	switch transform {
	case "", "none":
		transform = "none"
	case "lower":
	default:
		return nil, fmt.Errorf("--session-name-transform %q: use none or lower", transform)
	}
	br := bufio.NewReader(r)
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	u := &IdPUsers{File: name, Transform: transform, Filter: opts.Filter}
	var fcol, fval string
	if opts.Filter != "" {
		var ok bool
		if fcol, fval, ok = strings.Cut(opts.Filter, "="); !ok || strings.TrimSpace(fcol) == "" {
			return nil, fmt.Errorf("--idp-users-filter %q: give COLUMN=VALUE (Department=Contact Centre)", opts.Filter)
		}
	}
	var err error
	if len(head) > 0 && head[0] == '[' {
		if fcol != "" {
			return nil, fmt.Errorf("%s: --idp-users-filter reads CSV exports only", name)
		}
		err = u.readJSON(br, field)
	} else {
		err = u.readCSV(br, field, strings.TrimSpace(fcol), strings.TrimSpace(fval))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if transform == "lower" {
		for i := range u.Users {
			u.Users[i].SessionName = strings.ToLower(u.Users[i].SessionName)
		}
	}
	return u, nil
}

func (u *IdPUsers) readCSV(r io.Reader, field, fcol, fval string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("not a CSV user export: %w", err)
	}
	col := -1
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normalizeHeader(h)
	}
	if field != "" {
		for i, h := range header {
			if h == field || norm[i] == normalizeHeader(field) {
				col, u.Field, u.Format = i, h, "csv"
			}
		}
		if col < 0 {
			return fmt.Errorf("no column %q (the header has %s)", field, strings.Join(header, ", "))
		}
	} else {
		for _, f := range exportFormats {
			if i := columnOf(norm, []string{f.column}); i >= 0 && (f.with == "" || columnOf(norm, []string{f.with}) >= 0) {
				col, u.Field, u.Format, u.Assigned = i, header[i], f.name, f.assigned
				break
			}
		}
		if col < 0 {
			return fmt.Errorf("not an Entra ID, Okta or Google Workspace user export (no userPrincipalName, Username, Login, Application login or Email Address column): name the column with --session-name-field")
		}
	}
	filter := -1
	if fcol != "" {
		if filter = columnOf(norm, []string{normalizeHeader(fcol)}); filter < 0 {
			return fmt.Errorf("--idp-users-filter: no column %q (the header has %s)", fcol, strings.Join(header, ", "))
		}
	}
	// An assignment report lists past assignments too: a row with its
	// Unassigned on set is no longer assigned.
	unassigned := -1
	if u.Assigned {
		unassigned = columnOf(norm, []string{"unassignedon"})
	}
	first, last, email := columnOf(norm, personColumns.first), columnOf(norm, personColumns.last), columnOf(norm, personColumns.email)
	id := columnOf(norm, []string{"id", "objectid"})
	roles := -1
	if u.Assigned {
		roles, u.Roles = columnOf(norm, roleColumns), map[string]string{}
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if len(u.Users) == MaxIdPUsers {
			return fmt.Errorf("more than %d users", MaxIdPUsers)
		}
		cell := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if filter >= 0 && !strings.EqualFold(cell(filter), fval) || unassigned >= 0 && cell(unassigned) != "" {
			continue
		}
		if col < len(rec) {
			if v := strings.TrimSpace(rec[col]); v != "" {
				u.Users = append(u.Users, IdPUser{Line: line, SessionName: v, FirstName: cell(first), LastName: cell(last), Email: cell(email), ID: cell(id)})
				if roles >= 0 {
					noteRoles(u.Roles, cell(roles), fmt.Sprintf("%s line %d", u.File, line))
				}
			}
		}
	}
}

func (u *IdPUsers) readJSON(r io.Reader, field string) error {
	if field == "" {
		return errors.New("a JSON export needs --session-name-field (the key that holds the user name)")
	}
	u.Format, u.Field = "json", field
	d := json.NewDecoder(r)
	if _, err := d.Token(); err != nil {
		return fmt.Errorf("not a JSON array: %w", err)
	}
	for i := 1; d.More(); i++ {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return fmt.Errorf("user %d: %w", i, err)
		}
		if len(u.Users) == MaxIdPUsers {
			return fmt.Errorf("more than %d users", MaxIdPUsers)
		}
		if v, ok := m[field].(string); ok && strings.TrimSpace(v) != "" {
			u.Users = append(u.Users, IdPUser{Line: i, SessionName: strings.TrimSpace(v)})
		}
	}
	return nil
}

// InferSessionName finds which column of a CSV export the IdP sends as
// RoleSessionName, and what it does to it, from one real RoleSessionName
// (a capture's): the column of a row holding that value, as is ("none")
// or lower-cased ("lower"). It says which row settled it.
func InferSessionName(r io.Reader, rsn string) (field, transform string, line int, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return "", "", 0, fmt.Errorf("not a CSV user export: %w", err)
	}
	for line = 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return "", "", 0, fmt.Errorf("no user's value is %q (the capture's RoleSessionName) in any case: name the column with --session-name-field", rsn)
		}
		if err != nil {
			return "", "", 0, fmt.Errorf("line %d: %w", line, err)
		}
		for i, v := range rec {
			v = strings.TrimSpace(v)
			if i >= len(header) || !strings.EqualFold(v, rsn) {
				continue
			}
			switch {
			case v == rsn:
				return header[i], "none", line, nil
			case strings.ToLower(v) == rsn:
				return header[i], "lower", line, nil
			}
		}
	}
}
