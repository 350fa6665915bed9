package awsfake

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake, with a log of the calls it answered.
type Server struct {
	*httptest.Server
	World *World
	// Latency is added to every answer, as a distant Region's would be.
	Latency  time.Duration
	mu       sync.Mutex // guards what follows: requests come from other goroutines
	deny     map[string]bool
	throttle map[string]int
	calls    []string
	inFlight int
	maxIn    int
	bloat    int64
	declare  bool
}

// Bloat makes every answer exactly n bytes long: a well-formed answer in
// the call's protocol (JSON or IAM's XML) whose one field is padding, so
// that a client decodes all of it. Each such answer is logged as a call
// "bloated". It is written as it goes, never held,
// with its Content-Length when declare is set and chunked otherwise.
func (s *Server) Bloat(n int64, declare bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bloat, s.declare = n, declare
}

// writeBloat writes an answer of n bytes: head, padding, tail.
// iamAction is the IAM action the answer is to, "" for JSON.
func writeBloat(rw http.ResponseWriter, iamAction string, n int64, declare bool) {
	head, tail, ctype := `{"Padding":"`, `"}`, "application/json"
	if iamAction != "" {
		head = fmt.Sprintf(`<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult><Padding>`, iamAction, iamAction)
		tail, ctype = fmt.Sprintf(`</Padding></%sResult></%sResponse>`, iamAction, iamAction), "text/xml"
	}
	rw.Header().Set("Content-Type", ctype)
	if declare {
		rw.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	}
	pad := n - int64(len(head)+len(tail))
	io.WriteString(rw, head)
	chunk := []byte(strings.Repeat("a", 64<<10))
	for pad > 0 {
		w := chunk[:min(pad, int64(len(chunk)))]
		if _, err := rw.Write(w); err != nil {
			return // the client stopped reading
		}
		pad -= int64(len(w))
	}
	io.WriteString(rw, tail)
}

// MaxInFlight is the most requests the fake answered at once.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxIn
}

// New starts a fake serving w on loopback.
func New(w *World) *Server {
	s := &Server{World: w, deny: map[string]bool{}, throttle: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Deny makes these actions (e.g. "iam:GetRole") answer AccessDenied.
func (s *Server) Deny(actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		s.deny[a] = true
	}
}

// Throttle makes the next n calls of an action answer a throttling error.
func (s *Server) Throttle(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[action] = n
}

// Calls returns every call received, as IAM actions, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.calls...)
}

// Count returns how many calls of an action were received.
func (s *Server) Count(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if c == action {
			n++
		}
	}
	return n
}

func (s *Server) record(action string) (deny, throttle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, action)
	if s.throttle[action] > 0 {
		s.throttle[action]--
		return false, true
	}
	return s.deny[action], false
}

var credRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/`)

func (s *Server) serve(rw http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.maxIn = max(s.maxIn, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	bloat, declare := s.bloat, s.declare
	s.mu.Unlock()
	if bloat > 0 {
		s.record("bloated")
		action := ""
		if r.Header.Get("X-Amz-Target") == "" && strings.Contains(r.Header.Get("Content-Type"), "x-www-form-urlencoded") {
			form, _ := url.ParseQuery(string(body))
			action = form.Get("Action")
		}
		writeBloat(rw, action, bloat, declare)
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/instance/") || strings.HasPrefix(r.URL.Path, "/users") || r.URL.Path == "/search-users" || strings.HasPrefix(r.URL.Path, "/traffic-distribution-group") || strings.HasPrefix(r.URL.Path, "/authentication-profiles"):
		s.connect(rw, r, body)
	case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSOrganizationsV20161128."):
		s.organizations(rw, r, body)
	case r.Header.Get("X-Amz-Target") != "":
		s.cloudTrail(rw, r, body)
	default:
		form, _ := url.ParseQuery(string(body))
		s.iam(rw, form)
	}
}

// Connect: REST-JSON.

func connectError(rw http.ResponseWriter, status int, code, msg string) {
	rw.Header().Set("X-Amzn-ErrorType", code)
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]string{"message": msg})
}

// writeJSON answers in REST-JSON, whose timestamps are epoch seconds
// where the AWS CLI prints ISO 8601 strings.
func writeJSON(rw http.ResponseWriter, v any) {
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(wireTimes(v))
}

func wireTimes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && (strings.HasSuffix(k, "Time") || strings.HasSuffix(k, "Date")) {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					out[k] = float64(t.UnixNano()) / 1e9
					continue
				}
			}
			out[k] = wireTimes(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wireTimes(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wireTimes(e)
		}
		return out
	}
	return v
}

func (s *Server) connect(rw http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var action string
	switch {
	case parts[0] == "instance" && len(parts) == 3 && parts[2] == "approved-origins" && r.Method == http.MethodGet:
		action = "connect:ListApprovedOrigins"
	case parts[0] == "instance" && len(parts) == 2 && r.Method == http.MethodGet:
		action = "connect:DescribeInstance"
	case parts[0] == "authentication-profiles-summary" && len(parts) == 2 && r.Method == http.MethodGet:
		action = "connect:ListAuthenticationProfiles"
	case parts[0] == "authentication-profiles" && len(parts) == 3 && r.Method == http.MethodGet:
		action = "connect:DescribeAuthenticationProfile"
	case parts[0] == "search-users":
		action = "connect:SearchUsers"
	case parts[0] == "users-summary":
		action = "connect:ListUsers"
	case parts[0] == "users" && len(parts) == 3 && r.Method == http.MethodGet:
		action = "connect:DescribeUser"
	case parts[0] == "traffic-distribution-groups" && r.Method == http.MethodGet:
		action = "connect:ListTrafficDistributionGroups"
	case parts[0] == "traffic-distribution-group" && len(parts) == 3 && parts[2] == "user" && r.Method == http.MethodGet:
		action = "connect:ListTrafficDistributionGroupUsers"
	default:
		action = "connect:" + r.Method + " " + r.URL.Path
		s.record(action)
		connectError(rw, 400, "InvalidRequestException", "the fake does not serve "+r.URL.Path)
		return
	}
	deny, throttle := s.record(action)
	switch {
	case throttle:
		connectError(rw, 429, "ThrottlingException", "Rate exceeded")
		return
	case deny:
		connectError(rw, 403, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/Reader/admin is not authorized to perform: "+action)
		return
	}
	w := s.World
	instanceOK := func(id string) bool { return w.Instance != nil && str(w.Instance["Id"]) == id }
	switch action {
	case "connect:DescribeInstance":
		if other := w.Others[parts[1]]; other != nil {
			writeJSON(rw, map[string]any{"Instance": other})
			return
		}
		if !instanceOK(parts[1]) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		out := map[string]any{"Instance": w.Instance}
		if w.Replication != nil {
			out["ReplicationConfiguration"] = w.Replication
		}
		writeJSON(rw, out)
	case "connect:SearchUsers":
		var in struct {
			InstanceId     string
			MaxResults     int
			NextToken      string
			SearchCriteria UserCriteria
		}
		json.Unmarshal(body, &in)
		if !instanceOK(in.InstanceId) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		found, err := w.searchUsers(in.SearchCriteria, signedRegion(r))
		if err != nil {
			connectError(rw, 400, "InvalidParameterException", err.Error())
			return
		}
		page, next := paginate(len(found), in.MaxResults, 100, in.NextToken)
		out := map[string]any{"Users": found[page[0]:page[1]], "ApproximateTotalCount": len(found)}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(rw, out)
	case "connect:ListUsers":
		if !instanceOK(parts[1]) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		page, next := paginate(len(w.Users), max, 100, r.URL.Query().Get("nextToken"))
		var sum []map[string]any
		for _, u := range w.Users[page[0]:page[1]] {
			sum = append(sum, map[string]any{"Id": u["Id"], "Arn": u["Arn"], "Username": u["Username"], "LastModifiedRegion": u["LastModifiedRegion"]})
		}
		out := map[string]any{"UserSummaryList": sum}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(rw, out)
	case "connect:ListTrafficDistributionGroups":
		if !instanceOK(r.URL.Query().Get("instanceId")) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		writeJSON(rw, map[string]any{"TrafficDistributionGroupSummaryList": orEmptyList(w.TrafficGroups)})
	case "connect:ListTrafficDistributionGroupUsers":
		ids, ok := w.TrafficGroupUsers[parts[1]]
		if !ok {
			connectError(rw, 404, "ResourceNotFoundException", "Traffic distribution group not found")
			return
		}
		max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		page, next := paginate(len(ids), max, 100, r.URL.Query().Get("nextToken"))
		l := []map[string]any{}
		for _, id := range ids[page[0]:page[1]] {
			l = append(l, map[string]any{"UserId": id})
		}
		out := map[string]any{"TrafficDistributionGroupUserSummaryList": l}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(rw, out)
	case "connect:ListApprovedOrigins":
		// GET /instance/{InstanceId}/approved-origins?maxResults&nextToken:
		// {"Origins":[...],"NextToken":...}, at most 25 a page.
		if !instanceOK(parts[1]) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		if max > 25 {
			connectError(rw, 400, "InvalidParameterException", "maxResults must be at most 25")
			return
		}
		page, next := paginate(len(w.ApprovedOrigins), max, 25, r.URL.Query().Get("nextToken"))
		out := map[string]any{"Origins": append([]string{}, w.ApprovedOrigins[page[0]:page[1]]...)}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(rw, out)
	case "connect:ListAuthenticationProfiles":
		// GET /authentication-profiles-summary/{InstanceId}:
		// {"AuthenticationProfileSummaryList":[{Arn, Id, IsDefault,
		// LastModifiedRegion, LastModifiedTime, Name}],"NextToken":...}.
		if !instanceOK(parts[1]) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
		page, next := paginate(len(w.AuthProfiles), max, 100, r.URL.Query().Get("nextToken"))
		sum := []map[string]any{}
		for _, p := range w.AuthProfiles[page[0]:page[1]] {
			s := map[string]any{}
			for _, k := range []string{"Arn", "Id", "IsDefault", "LastModifiedRegion", "LastModifiedTime", "Name"} {
				if v, ok := p[k]; ok {
					s[k] = v
				}
			}
			sum = append(sum, s)
		}
		out := map[string]any{"AuthenticationProfileSummaryList": sum}
		if next != "" {
			out["NextToken"] = next
		}
		writeJSON(rw, out)
	case "connect:DescribeAuthenticationProfile":
		// GET /authentication-profiles/{InstanceId}/{AuthenticationProfileId}:
		// {"AuthenticationProfile":{...}}.
		if !instanceOK(parts[1]) {
			connectError(rw, 404, "ResourceNotFoundException", "Instance not found")
			return
		}
		for _, p := range w.AuthProfiles {
			if str(p["Id"]) == parts[2] {
				writeJSON(rw, map[string]any{"AuthenticationProfile": p})
				return
			}
		}
		connectError(rw, 404, "ResourceNotFoundException", "Authentication profile not found")
	case "connect:DescribeUser":
		for _, u := range w.Users {
			if str(u["Id"]) == parts[2] && instanceOK(parts[1]) {
				writeJSON(rw, map[string]any{"User": u})
				return
			}
		}
		connectError(rw, 404, "ResourceNotFoundException", "User not found")
	}
}

// paginate returns the [from, to) slice of a page and the next token.
func paginate(n, max, def int, token string) ([2]int, string) {
	if max <= 0 {
		max = def
	}
	from, _ := strconv.Atoi(token)
	if from > n {
		from = n
	}
	to := from + max
	if to >= n {
		return [2]int{from, n}, ""
	}
	return [2]int{from, to}, strconv.Itoa(to)
}

// CloudTrail: JSON 1.1.

func ctError(rw http.ResponseWriter, code, msg string) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	rw.WriteHeader(400)
	json.NewEncoder(rw).Encode(map[string]string{"__type": code, "message": msg})
}

func (s *Server) cloudTrail(rw http.ResponseWriter, r *http.Request, body []byte) {
	target := r.Header.Get("X-Amz-Target")
	if target != "CloudTrail_20131101.LookupEvents" {
		s.record("cloudtrail:" + target)
		ctError(rw, "InvalidRequestException", "the fake serves LookupEvents only")
		return
	}
	deny, throttle := s.record("cloudtrail:LookupEvents")
	switch {
	case throttle:
		ctError(rw, "ThrottlingException", "Rate exceeded")
		return
	case deny:
		ctError(rw, "AccessDeniedException", "not authorized to perform cloudtrail:LookupEvents")
		return
	}
	var in struct {
		LookupAttributes   []struct{ AttributeKey, AttributeValue string }
		StartTime, EndTime float64 // epoch seconds, as the SDK sends them
		MaxResults         int
		NextToken          string
	}
	json.Unmarshal(body, &in)
	region := ""
	if m := credRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	var found []map[string]any
	for _, e := range s.World.Events {
		ok := true
		for _, a := range in.LookupAttributes {
			if a.AttributeKey == "EventName" && str(e["EventName"]) != a.AttributeValue {
				ok = false
			}
		}
		var rec struct {
			AWSRegion string `json:"awsRegion"`
		}
		json.Unmarshal([]byte(str(e["CloudTrailEvent"])), &rec)
		if region != "" && rec.AWSRegion != "" && rec.AWSRegion != region {
			ok = false
		}
		// Only the events in [StartTime, EndTime], as CloudTrail answers.
		if t, err := time.Parse(time.RFC3339, str(e["EventTime"])); err == nil {
			if in.StartTime != 0 && float64(t.Unix()) < in.StartTime || in.EndTime != 0 && float64(t.Unix()) > in.EndTime {
				ok = false
			}
		}
		if ok {
			out := map[string]any{}
			for k, v := range e {
				out[k] = v
			}
			if t, err := time.Parse(time.RFC3339, str(e["EventTime"])); err == nil {
				out["EventTime"] = float64(t.Unix())
			}
			found = append(found, out)
		}
	}
	page, next := paginate(len(found), in.MaxResults, 50, in.NextToken)
	res := map[string]any{"Events": found[page[0]:page[1]]}
	if next != "" {
		res["NextToken"] = next
	}
	rw.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(rw).Encode(res)
}

// IAM: Query protocol, XML answers.

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func iamError(rw http.ResponseWriter, status int, code, msg string) {
	rw.Header().Set("Content-Type", "text/xml")
	rw.WriteHeader(status)
	fmt.Fprintf(rw, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>4a8f2c1e-0000-4000-8000-000000000001</RequestId></ErrorResponse>`, code, esc(msg))
}

func iamOK(rw http.ResponseWriter, action, result string) {
	rw.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(rw, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>4a8f2c1e-0000-4000-8000-000000000002</RequestId></ResponseMetadata></%sResponse>`, action, action, result, action, action)
}

func (s *Server) iam(rw http.ResponseWriter, f url.Values) {
	op := f.Get("Action")
	deny, throttle := s.record("iam:" + op)
	switch {
	case throttle:
		iamError(rw, 400, "Throttling", "Rate exceeded")
		return
	case deny:
		iamError(rw, 403, "AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/Reader/admin is not authorized to perform: iam:"+op)
		return
	}
	w := s.World
	role := func() *Role {
		r := w.Roles[f.Get("RoleName")]
		if r == nil {
			iamError(rw, 404, "NoSuchEntity", "The role with name "+f.Get("RoleName")+" cannot be found.")
		}
		return r
	}
	enc := url.PathEscape
	switch op {
	case "GetRole":
		r := role()
		if r == nil {
			return
		}
		pb := ""
		if r.Boundary != "" {
			pb = "<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>" + esc(r.Boundary) + "</PermissionsBoundaryArn></PermissionsBoundary>"
		}
		iamOK(rw, op, fmt.Sprintf("<Role><Path>%s</Path><RoleName>%s</RoleName><RoleId>%s</RoleId><Arn>%s</Arn><CreateDate>%s</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration>%s</Role>",
			esc(r.Path), esc(r.Name), esc(r.ID), esc(r.ARN), esc(r.Created), esc(enc(r.Trust)), pb))
	case "ListRolePolicies":
		r := role()
		if r == nil {
			return
		}
		var b strings.Builder
		for n := range r.Inline {
			b.WriteString("<member>" + esc(n) + "</member>")
		}
		iamOK(rw, op, "<PolicyNames>"+b.String()+"</PolicyNames><IsTruncated>false</IsTruncated>")
	case "GetRolePolicy":
		r := role()
		if r == nil {
			return
		}
		d, ok := r.Inline[f.Get("PolicyName")]
		if !ok {
			iamError(rw, 404, "NoSuchEntity", "The role policy with name "+f.Get("PolicyName")+" cannot be found.")
			return
		}
		iamOK(rw, op, fmt.Sprintf("<RoleName>%s</RoleName><PolicyName>%s</PolicyName><PolicyDocument>%s</PolicyDocument>", esc(r.Name), esc(f.Get("PolicyName")), esc(enc(d))))
	case "ListAttachedRolePolicies":
		r := role()
		if r == nil {
			return
		}
		var b strings.Builder
		for _, a := range r.Attached {
			b.WriteString("<member><PolicyName>" + esc(a[0]) + "</PolicyName><PolicyArn>" + esc(a[1]) + "</PolicyArn></member>")
		}
		iamOK(rw, op, "<AttachedPolicies>"+b.String()+"</AttachedPolicies><IsTruncated>false</IsTruncated>")
	case "GetPolicy", "GetPolicyVersion":
		p := w.Policies[f.Get("PolicyArn")]
		if p == nil {
			iamError(rw, 404, "NoSuchEntity", "Policy "+f.Get("PolicyArn")+" was not found.")
			return
		}
		if op == "GetPolicy" {
			iamOK(rw, op, fmt.Sprintf("<Policy><PolicyName>%s</PolicyName><Arn>%s</Arn><DefaultVersionId>%s</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable></Policy>", esc(p.Name), esc(p.ARN), esc(p.Version)))
			return
		}
		iamOK(rw, op, fmt.Sprintf("<PolicyVersion><Document>%s</Document><VersionId>%s</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>", esc(enc(p.Document)), esc(p.Version)))
	case "GetSAMLProvider":
		p, ok := w.Providers[f.Get("SAMLProviderArn")]
		if !ok {
			iamError(rw, 404, "NoSuchEntity", "Manifest not found for arn "+f.Get("SAMLProviderArn"))
			return
		}
		var b strings.Builder
		if p.UUID != "" {
			b.WriteString("<SAMLProviderUUID>" + esc(p.UUID) + "</SAMLProviderUUID>")
		}
		b.WriteString("<SAMLMetadataDocument>" + esc(p.Metadata) + "</SAMLMetadataDocument><CreateDate>2024-03-11T09:30:00Z</CreateDate><ValidUntil>2124-03-11T09:30:00Z</ValidUntil>")
		if p.EncryptionMode != "" {
			b.WriteString("<AssertionEncryptionMode>" + esc(p.EncryptionMode) + "</AssertionEncryptionMode>")
		}
		if len(p.KeyIDs) > 0 || p.KeysListed {
			b.WriteString("<PrivateKeyList>")
			for _, k := range p.KeyIDs {
				b.WriteString("<member><KeyId>" + esc(k) + "</KeyId><Timestamp>2024-03-11T09:30:00Z</Timestamp></member>")
			}
			b.WriteString("</PrivateKeyList>")
		}
		iamOK(rw, op, b.String())
	case "ListRoles":
		// Two roles a page, so that callers page.
		names := slices.Sorted(maps.Keys(w.Roles))
		start := 0
		if m := f.Get("Marker"); m != "" {
			start, _ = strconv.Atoi(m)
		}
		end := min(start+2, len(names))
		var b strings.Builder
		for _, n := range names[start:end] {
			r := w.Roles[n]
			fmt.Fprintf(&b, "<member><Path>%s</Path><RoleName>%s</RoleName><RoleId>%s</RoleId><Arn>%s</Arn><CreateDate>%s</CreateDate><AssumeRolePolicyDocument>%s</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></member>",
				esc(r.Path), esc(r.Name), esc(r.ID), esc(r.ARN), esc(r.Created), esc(enc(r.Trust)))
		}
		more := ""
		if end < len(names) {
			more = "<IsTruncated>true</IsTruncated><Marker>" + strconv.Itoa(end) + "</Marker>"
		} else {
			more = "<IsTruncated>false</IsTruncated>"
		}
		iamOK(rw, op, "<Roles>"+b.String()+"</Roles>"+more)
	case "ListSAMLProviders":
		var b strings.Builder
		for arn := range w.Providers {
			b.WriteString("<member><Arn>" + esc(arn) + "</Arn><ValidUntil>2124-03-11T09:30:00Z</ValidUntil><CreateDate>2024-03-11T09:30:00Z</CreateDate></member>")
		}
		iamOK(rw, op, "<SAMLProviderList>"+b.String()+"</SAMLProviderList>")
	case "SimulatePrincipalPolicy":
		body, ok := w.simulation(f)
		if !ok {
			iamError(rw, 403, "AccessDenied", "User is not authorized to perform: iam:SimulatePrincipalPolicy (the fake holds no recorded answer)")
			return
		}
		iamOK(rw, op, body)
	default:
		iamError(rw, 400, "InvalidAction", "the fake does not serve "+op)
	}
}

func orEmptyList(l []map[string]any) []map[string]any {
	if l == nil {
		return []map[string]any{}
	}
	return l
}

// signedRegion is the Region a request was signed for (its SigV4
// credential scope).
func signedRegion(r *http.Request) string {
	if m := credRegion.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	return ""
}

// Silent starts a loopback listener that accepts connections and never
// answers (an endpoint that hangs); close stops it and its connections.
func Silent() (url string, close func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("awsfake: " + err.Error())
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return "http://" + ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}
}
