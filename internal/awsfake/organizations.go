package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Organizations: JSON 1.1 (X-Amz-Target AWSOrganizationsV20161128.*), the
// answers shaped as the AWS CLI prints them. A world without an
// organization answers as AWS does an account outside one
// (AWSOrganizationsNotInUseException).

// Org is the organization the account is in, as its AWS CLI outputs show
// it.
type Org struct {
	// Policies are describe-policy's Policy objects, by ID.
	Policies map[string]map[string]any
	// Attached are list-policies-for-target's summaries, by target and
	// policy type.
	Attached map[string]map[string][]map[string]any
	// Parents are list-parents' answers, by child.
	Parents map[string][]map[string]any
}

func (w *World) org() *Org {
	if w.Org == nil {
		w.Org = &Org{Policies: map[string]map[string]any{}, Attached: map[string]map[string][]map[string]any{}, Parents: map[string][]map[string]any{}}
	}
	return w.Org
}

var orgTargetRE = regexp.MustCompile(`(?:^|[^0-9A-Za-z])(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32}|[0-9]{12})(?:[^0-9A-Za-z]|$)`)

// loadOrg loads an Organizations output; the target of a
// list-policies-for-target or list-parents output is taken from the file's
// name, as samldoctor reads it. It reports whether the file was one.
func (w *World) loadOrg(name string, b []byte) (bool, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return false, nil
	}
	target := ""
	if m := orgTargetRE.FindStringSubmatch(name); m != nil {
		target = m[1]
	}
	switch {
	case top["Parents"] != nil:
		if target == "" {
			return true, fmt.Errorf("a list-parents output whose file name names no child")
		}
		var l []map[string]any
		json.Unmarshal(top["Parents"], &l)
		w.org().Parents[target] = l
	case top["Policies"] != nil && strings.Contains(strings.ToLower(name), "for-target"):
		if target == "" {
			return true, fmt.Errorf("a list-policies-for-target output whose file name names no target")
		}
		var l []map[string]any
		json.Unmarshal(top["Policies"], &l)
		o := w.org()
		if o.Attached[target] == nil {
			o.Attached[target] = map[string][]map[string]any{}
		}
		for _, p := range l {
			typ := str(p["Type"])
			o.Attached[target][typ] = append(o.Attached[target][typ], p)
		}
	case top["Policy"] != nil && strings.Contains(string(top["Policy"]), `"PolicySummary"`):
		var p map[string]any
		json.Unmarshal(top["Policy"], &p)
		sum, _ := p["PolicySummary"].(map[string]any)
		w.org().Policies[str(sum["Id"])] = p
	default:
		return false, nil
	}
	return true, nil
}

func orgError(rw http.ResponseWriter, code, msg string) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.WriteHeader(400)
	json.NewEncoder(rw).Encode(map[string]string{"__type": code, "Message": msg})
}

func (s *Server) organizations(rw http.ResponseWriter, r *http.Request, body []byte) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128.")
	deny, throttle := s.record("organizations:" + op)
	switch {
	case throttle:
		orgError(rw, "TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress.")
		return
	case deny:
		orgError(rw, "AccessDeniedException", "You don't have permissions to access this resource.")
		return
	}
	o := s.World.Org
	if o == nil {
		orgError(rw, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
		return
	}
	var in struct {
		ChildId, TargetId, Filter, PolicyId string
	}
	json.Unmarshal(body, &in)
	var out any
	switch op {
	case "ListParents":
		l, ok := o.Parents[in.ChildId]
		if !ok {
			orgError(rw, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
			return
		}
		out = map[string]any{"Parents": l}
	case "ListPoliciesForTarget":
		byType, ok := o.Attached[in.TargetId]
		if !ok {
			orgError(rw, "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified.")
			return
		}
		enabled := false
		for _, bt := range o.Attached {
			enabled = enabled || len(bt[in.Filter]) > 0
		}
		if !enabled {
			orgError(rw, "PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types.")
			return
		}
		l := byType[in.Filter]
		if l == nil {
			l = []map[string]any{}
		}
		out = map[string]any{"Policies": l}
	case "DescribePolicy":
		p, ok := o.Policies[in.PolicyId]
		if !ok {
			orgError(rw, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
			return
		}
		out = map[string]any{"Policy": p}
	default:
		orgError(rw, "InvalidInputException", "the fake does not serve "+op)
		return
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(rw).Encode(out)
}
