package audit

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Assignments is an export of who is assigned to the Amazon Connect
// application at the IdP: it settles which of a directory's users are
// agents, and which roles the IdP sends them.
type Assignments struct {
	File string
	// Format is "okta-assignments" (Okta's Current Assignments report) or
	// "entra-app-assignments" (an Entra enterprise application's
	// appRoleAssignedTo, exported with Microsoft Graph PowerShell).
	Format string
	// IDs are the assigned users' object IDs (Entra's PrincipalId, which
	// is the users export's id / objectId), Names their user names (Okta's
	// Login and Application login), lower-cased.
	IDs, Names map[string]bool
	// Groups counts the assignments to groups: their members are not in
	// the export.
	Groups int
	// Roles are the role ARNs a role column names (an Okta report with
	// the application's role attribute added), each with its line.
	Roles map[string]string
	Rows  int
}

// ReadIdPAssignments reads an assignment export, narrowed by filter
// (COLUMN=VALUE, as --idp-users-filter; "" for none):
//
//   - Okta, Reports > Application Access Audit > Current Assignments: User,
//     Login, Application name, Application instance, Application login,
//     Assigned on, Unassigned on, Last login, ... (help.okta.com,
//     app-current-assignments-report); rows with Unassigned on are left;
//   - Entra: Get-MgServicePrincipalAppRoleAssignedTo -ServicePrincipalId ID
//     -All | Export-Csv: AppRoleId, CreatedDateTime, DeletedDateTime, Id,
//     PrincipalDisplayName, PrincipalId, PrincipalType, ResourceDisplayName,
//     ResourceId (Graph's appRoleAssignment; Windows PowerShell writes a
//     "#TYPE ..." line first).
func ReadIdPAssignments(name string, r io.Reader, filter string) (*Assignments, error) {
	br := bufio.NewReader(r)
	// Windows PowerShell's Export-Csv writes "#TYPE TYPENAME" before the
	// header (without -NoTypeInformation).
	if head, _ := br.Peek(8); bytes.HasPrefix(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), []byte("#TYPE")) {
		if _, err := br.ReadString('\n'); err != nil {
			return nil, fmt.Errorf("%s: no header after the #TYPE line: %w", name, err)
		}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: not a CSV assignment export: %w", name, err)
	}
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normalizeHeader(h)
	}
	col := func(names ...string) int { return columnOf(norm, names) }
	a := &Assignments{File: name, IDs: map[string]bool{}, Names: map[string]bool{}, Roles: map[string]string{}}
	var login, appLogin, unassigned, principal, ptype, deleted int
	switch {
	case col("applicationlogin") >= 0 && col("assignedon") >= 0:
		a.Format = "okta-assignments"
		login, appLogin, unassigned = col("login"), col("applicationlogin"), col("unassignedon")
		principal, ptype, deleted = -1, -1, -1
	case col("principalid") >= 0 && col("approleid") >= 0:
		a.Format = "entra-app-assignments"
		login, appLogin, unassigned = -1, -1, -1
		principal, ptype, deleted = col("principalid"), col("principaltype"), col("deleteddatetime")
	default:
		return nil, fmt.Errorf("%s: not an assignment export (Okta's Current Assignments report, with Application login; or Entra's app role assignments, with PrincipalId and AppRoleId)", name)
	}
	roleCol := col(roleColumns...)
	filterCol, filterVal := -1, ""
	if filter != "" {
		fc, fv, ok := strings.Cut(filter, "=")
		if !ok || strings.TrimSpace(fc) == "" {
			return nil, fmt.Errorf("--idp-users-filter %q: give COLUMN=VALUE (Department=Contact Centre)", filter)
		}
		if filterCol = col(normalizeHeader(strings.TrimSpace(fc))); filterCol < 0 {
			return nil, fmt.Errorf("%s: --idp-users-filter: no column %q (the header has %s)", name, strings.TrimSpace(fc), strings.Join(header, ", "))
		}
		filterVal = strings.TrimSpace(fv)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		if a.Rows == MaxIdPUsers {
			return nil, fmt.Errorf("%s: more than %d assignments", name, MaxIdPUsers)
		}
		cell := func(i int) string {
			if i < 0 || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if filterCol >= 0 && !strings.EqualFold(cell(filterCol), filterVal) || cell(unassigned) != "" || cell(deleted) != "" {
			continue
		}
		a.Rows++
		switch {
		case strings.EqualFold(cell(ptype), "Group"):
			a.Groups++
			continue
		case principal >= 0 && !strings.EqualFold(cell(ptype), "User") && cell(ptype) != "":
			continue // a service principal
		}
		if v := cell(principal); v != "" {
			a.IDs[strings.ToLower(v)] = true
		}
		for _, i := range []int{login, appLogin} {
			if v := cell(i); v != "" {
				a.Names[strings.ToLower(v)] = true
			}
		}
		noteRoles(a.Roles, cell(roleCol), fmt.Sprintf("%s line %d", name, line))
	}
}

// roleColumns are the columns (normalised) an assignment export names the
// AWS roles of an assignment in (Okta's report with the app's role
// attribute added).
var roleColumns = []string{"role", "roles", "samlroles", "samluserroles", "awsrole", "awsroles"}

// noteRoles keeps the role ARNs of a role column's cell (one or several,
// each alone or as a Role value, ROLE-ARN,PROVIDER-ARN).
func noteRoles(roles map[string]string, cell, where string) {
	for _, v := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '|' || r == ' ' || r == ',' }) {
		if strings.Contains(v, ":role/") {
			if _, ok := roles[v]; !ok {
				roles[v] = where
			}
		}
	}
}

// assigned reports whether an IdP user is among the assigned.
func (a *Assignments) assigned(u IdPUser) bool {
	return a != nil && (u.ID != "" && a.IDs[strings.ToLower(u.ID)] || a.Names[strings.ToLower(u.SessionName)] || u.Email != "" && a.Names[strings.ToLower(u.Email)])
}
