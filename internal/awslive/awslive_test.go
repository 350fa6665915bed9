package awslive_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/connect"

	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
	"github.com/samldoctor/samldoctor/internal/report"
	"github.com/samldoctor/samldoctor/internal/signin"
)

func clients(srv *awsfake.Server) awslive.Clients {
	cfg := aws.Config{
		Region:       "ap-southeast-2",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
	}
	return awslive.NewClients(cfg, awslive.Options{MaxBackoff: 10 * time.Millisecond})
}

func readCapture(t testing.TB, path string) *capture.Capture {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := signin.NewReader(capture.Options{})
	if err := r.Read(filepath.Base(path), bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

// target is what the CLI fills in from the capture.
func target(c *capture.Capture) awslive.Target {
	s := signin.SubjectOf(c)
	return awslive.Target{Region: s.Region, InstanceID: s.InstanceID, RoleArn: s.RoleArn, ProviderArn: s.ProviderArn,
		RoleSessionName: s.RoleSessionName, SignInRegion: "us-east-1", Since: s.At.AddDate(0, 0, -90)}
}

func findings(res *diagnose.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.ID+"/"+f.Severity)
	}
	sort.Strings(out)
	return out
}

// Each example gives the same findings from the AWS CLI files, live from
// an account holding the same facts, and from a collect bundle.
func TestLiveBundleAndFilesAgree(t *testing.T) {
	for _, name := range []string{"not-onboarded", "access-denied", "bad-request"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", "aws-data", name)
			c := readCapture(t, filepath.Join("..", "..", "examples", name+".har"))
			files := evidence.NewSet()
			if err := files.LoadPaths([]string{dir}); err != nil {
				t.Fatal(err)
			}
			offline := diagnose.Run(diagnose.Input{Capture: c, AWS: files})

			world, err := awsfake.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			srv := awsfake.New(world)
			defer srv.Close()
			col := &awslive.Collector{Clients: clients(srv)}
			bundle := col.Collect(context.Background(), target(c))
			if len(bundle.Denied) > 0 {
				t.Fatalf("denied: %+v", bundle.Denied)
			}
			live := evidence.NewSet()
			if err := live.LoadBundle("live", bundle); err != nil {
				t.Fatal(err)
			}
			liveRes := diagnose.Run(diagnose.Input{Capture: c, AWS: live})

			b, _ := json.Marshal(bundle)
			fromFile := evidence.NewSet()
			if err := fromFile.Load("bundle.json", b); err != nil {
				t.Fatal(err)
			}
			bundleRes := diagnose.Run(diagnose.Input{Capture: c, AWS: fromFile})

			// The provider's encryption settings travel through every path.
			for src, set := range map[string]*evidence.Set{"files": files, "live": live, "bundle": fromFile} {
				p := providerOf(set)
				if p == nil || !strings.HasPrefix(p.UUID, "SAMLSP") || p.AssertionEncryptionMode != "Allowed" {
					t.Errorf("%s: provider %+v", src, p)
				}
			}
			want := findings(offline)
			if got := findings(liveRes); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("live findings differ:\nfiles %v\nlive  %v", want, got)
			}
			if got := findings(bundleRes); strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("bundle findings differ:\nfiles  %v\nbundle %v", want, got)
			}
			if liveRes.Findings[0].ID != offline.Findings[0].ID || liveRes.Verdict != offline.Verdict {
				t.Errorf("root cause: files %s (%s), live %s (%s)", offline.Findings[0].ID, offline.Verdict, liveRes.Findings[0].ID, liveRes.Verdict)
			}
			for _, call := range srv.Calls() {
				if !awslive.IsAllowed(call) {
					t.Errorf("a call not on the allow-list reached AWS: %s", call)
				}
			}
		})
	}
}

func providerOf(s *evidence.Set) *evidence.SAMLProvider {
	if len(s.Providers) > 0 {
		return s.Providers[0]
	}
	if len(s.Unattributed.Providers) > 0 {
		return s.Unattributed.Providers[0]
	}
	return nil
}

// A call not on the allow-list is refused before anything is sent.
func TestAllowList(t *testing.T) {
	srv := awsfake.New(awsfake.NewWorld())
	defer srv.Close()
	cl := clients(srv)
	_, err := cl.Connect.DeleteUser(context.Background(), &connect.DeleteUserInput{InstanceId: aws.String("i"), UserId: aws.String("u")})
	var na awslive.ErrNotAllowed
	if !errors.As(err, &na) || na.Action != "connect:DeleteUser" {
		t.Fatalf("err = %v, want ErrNotAllowed", err)
	}
	if calls := srv.Calls(); len(calls) != 0 {
		t.Errorf("the refused call reached the server: %v", calls)
	}
	for _, a := range awslive.Allowed {
		verb := a[strings.IndexByte(a, ':')+1:]
		if !(strings.HasPrefix(verb, "Get") || strings.HasPrefix(verb, "List") || strings.HasPrefix(verb, "Describe") ||
			strings.HasPrefix(verb, "Search") || strings.HasPrefix(verb, "Lookup") || verb == "SimulatePrincipalPolicy") {
			t.Errorf("%s does not read", a)
		}
	}
	if !strings.Contains(awslive.Policy(), `"iam:SimulatePrincipalPolicy"`) {
		t.Error("the printed policy lacks an allowed action")
	}
}

// bigWorld is an instance with n users, one of them the agent under
// another case.
func bigWorld(n int) *awsfake.World {
	w := awsfake.NewWorld()
	inst := "arn:aws:connect:ap-southeast-2:111122223333:instance/" + fixture.DefaultInstance
	w.Instance = map[string]any{"Id": fixture.DefaultInstance, "Arn": inst, "IdentityManagementType": "SAML"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%08d-0000-4000-8000-000000000000", i)
		name := fmt.Sprintf("agent%05d@example.com", i)
		if i == n/2 {
			name = "Jane.Doe@example.com"
		}
		w.Users = append(w.Users, map[string]any{"Id": id, "Arn": inst + "/agent/" + id, "Username": name,
			"IdentityInfo": map[string]any{"FirstName": "A", "LastName": "B"}, "SecurityProfileIds": []string{"sp"}, "RoutingProfileId": "rp",
			"PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE", "AutoAccept": false, "AfterContactWorkTimeLimit": 0}})
	}
	return w
}

func lookupCalls(srv *awsfake.Server) int {
	return srv.Count("connect:SearchUsers") + srv.Count("connect:ListUsers") + srv.Count("connect:DescribeUser")
}

func TestUserLookupCallCount(t *testing.T) {
	srv := awsfake.New(bigWorld(50000))
	defer srv.Close()
	tg := awslive.Target{Region: "ap-southeast-2", InstanceID: fixture.DefaultInstance}
	for _, name := range []string{"jane.doe@example.com", "Jane.Doe@example.com", "JANE.DOE@EXAMPLE.COM", "jane.doe@example.org", "nobody@example.com"} {
		before := lookupCalls(srv)
		tg.RoleSessionName = name
		b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), tg)
		if n := lookupCalls(srv) - before; n > 3 {
			t.Errorf("%s: %d Connect calls to find the user among 50,000, want at most 3", name, n)
		}
		set := evidence.NewSet()
		if err := set.LoadBundle("live", b); err != nil {
			t.Fatal(err)
		}
		ul := set.Users[fixture.DefaultInstance]
		if ul == nil || ul.SearchedFor[name] == "" {
			t.Fatalf("%s: the search is not recorded: %+v", name, ul)
		}
		found := false
		for _, u := range ul.Users {
			if strings.EqualFold(u.Username, "jane.doe@example.com") {
				found = true
			}
		}
		if want := name != "nobody@example.com"; found != want {
			t.Errorf("%s: Jane.Doe found %v, want %v", name, found, want)
		}
	}
}

// Without SearchUsers the collector reads the whole user list.
func TestListUsersFallback(t *testing.T) {
	srv := awsfake.New(bigWorld(2500))
	defer srv.Close()
	srv.Deny("connect:SearchUsers")
	var progress []string
	col := &awslive.Collector{Clients: clients(srv), Progress: func(s string) { progress = append(progress, s) }}
	b := col.Collect(context.Background(), awslive.Target{Region: "ap-southeast-2", InstanceID: fixture.DefaultInstance, RoleSessionName: "jane.doe@example.com"})
	if srv.Count("connect:ListUsers") != 3 {
		t.Errorf("%d ListUsers pages, want 3 (1000 per page)", srv.Count("connect:ListUsers"))
	}
	set := evidence.NewSet()
	set.LoadBundle("live", b)
	if ul := set.Users[fixture.DefaultInstance]; ul == nil || !ul.Complete || len(ul.Users) != 2500 {
		t.Errorf("user list: %+v", ul)
	}
	if len(progress) < 3 {
		t.Errorf("no progress for the long scan: %v", progress)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	w, err := awsfake.LoadDir(filepath.Join("..", "..", "examples", "aws-data", "access-denied"))
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(w)
	defer srv.Close()
	srv.Throttle("iam:GetRole", 2)
	srv.Throttle("connect:SearchUsers", 2)
	srv.Throttle("cloudtrail:LookupEvents", 1)
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), awslive.Target{Region: "ap-southeast-2", InstanceID: fixture.DefaultInstance,
		RoleArn: fixture.DefaultRole, ProviderArn: fixture.DefaultProvider, RoleSessionName: "jane.doe@example.com"})
	if len(b.Denied) != 0 {
		t.Fatalf("throttled calls were not retried: %+v", b.Denied)
	}
	if srv.Count("iam:GetRole") != 3 {
		t.Errorf("GetRole called %d times, want 3 (two throttled)", srv.Count("iam:GetRole"))
	}
}

// A denied call becomes a finding that says what is undetermined.
func TestDeniedCalls(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "access-denied")
	w, err := awsfake.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(w)
	defer srv.Close()
	srv.Deny("iam:GetRole", "cloudtrail:LookupEvents")
	c := readCapture(t, filepath.Join("..", "..", "examples", "access-denied.har"))
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
	set := evidence.NewSet()
	set.LoadBundle("live", b)
	res := diagnose.Run(diagnose.Input{Capture: c, AWS: set})
	var titles []string
	for _, f := range res.Findings {
		if f.ID == "aws.call_denied" {
			titles = append(titles, f.Title)
		}
	}
	joined := strings.Join(titles, "\n")
	if !strings.Contains(joined, "Could not call iam:GetRole: AccessDenied; the role's trust policy and role ID is undetermined") ||
		!strings.Contains(joined, "Could not call cloudtrail:LookupEvents: AccessDeniedException") {
		t.Errorf("denied findings:\n%s", joined)
	}
	for _, f := range res.Findings {
		if f.ID == "iam.federation_token_denied" {
			t.Error("without the role, its permissions cannot have been judged")
		}
	}
}

// Where IAM's simulator (which sees SCPs) denies what the role's own
// policies allow, the disagreement is the finding.
func TestSimulationDisagrees(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "not-onboarded")
	w, err := awsfake.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	w.SimDecision = "explicitDeny"
	srv := awsfake.New(w)
	defer srv.Close()
	c := readCapture(t, filepath.Join("..", "..", "examples", "access-denied.har"))
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
	set := evidence.NewSet()
	set.LoadBundle("live", b)
	res := diagnose.Run(diagnose.Input{Capture: c, AWS: set})
	f := res.Findings[0]
	if f.ID != "iam.simulation_disagrees" || f.Severity != diagnose.Error || !strings.Contains(f.Title, "service control policy") {
		t.Fatalf("first finding %s %s: %s", f.ID, f.Severity, f.Title)
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	url, stop := awsfake.Silent()
	t.Cleanup(stop)
	return url
}

// refusedURL is a loopback port nothing listens on.
func refusedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// An endpoint that accepts and never answers, or refuses: every call ends
// (within its own deadline, or the run's), each becomes a finding that
// says AWS did not answer or could not be reached, and nothing hangs.
func TestUnansweredCalls(t *testing.T) {
	c := readCapture(t, filepath.Join("..", "..", "examples", "access-denied.har"))
	for _, tt := range []struct {
		name, url, want string
	}{
		{"silent", silentServer(t), "AWS did not answer in time"},
		{"refused", refusedURL(t), "AWS could not be reached"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := aws.Config{Region: "ap-southeast-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), BaseEndpoint: aws.String(tt.url)}
			o := awslive.Options{DialTimeout: 200 * time.Millisecond, CallTimeout: 200 * time.Millisecond, MaxBackoff: 10 * time.Millisecond}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			done := make(chan *evidence.Bundle)
			go func() { done <- (&awslive.Collector{Clients: awslive.NewClients(cfg, o)}).Collect(ctx, target(c)) }()
			var b *evidence.Bundle
			select {
			case b = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the collection hung past its deadline")
			}
			if len(b.Outputs) != 0 || len(b.Denied) < 5 {
				t.Fatalf("outputs %d, denied %d", len(b.Outputs), len(b.Denied))
			}
			for _, d := range b.Denied {
				if !strings.HasPrefix(d.Error, tt.want) {
					t.Errorf("%s: %q, want %q", d.Call, d.Error, tt.want)
				}
			}
			set := evidence.NewSet()
			set.LoadBundle("live", b)
			res := diagnose.Run(diagnose.Input{Capture: c, AWS: set})
			n := 0
			for _, f := range res.Findings {
				if f.ID == "aws.call_denied" && strings.Contains(f.Title, tt.want) {
					n++
				}
			}
			if n != len(b.Denied) {
				t.Errorf("%d findings say %q, want %d: %v", n, tt.want, len(b.Denied), findings(res))
			}
		})
	}
}

// A user whose name is in a mix of case no searched variant covers: the
// search misses it, and the finding says how absence was established and
// which flag settles it; --full-user-list reads every user and finds it.
// The fake's search compares case-sensitively, as AWS may.
func TestUserLookupOddCase(t *testing.T) {
	w := bigWorld(50000)
	w.Users[25000]["Username"] = "JaNe.DoE@example.com"
	srv := awsfake.New(w)
	defer srv.Close()
	c := readCapture(t, filepath.Join("..", "..", "examples", "not-onboarded.har"))
	run := func(full bool) (*diagnose.Result, []string) {
		var progress []string
		col := &awslive.Collector{Clients: clients(srv), FullUserList: full, Progress: func(s string) { progress = append(progress, s) }}
		tg := target(c)
		tg.RoleArn, tg.ProviderArn, tg.Since = "", "", time.Time{} // the user is the question here
		set := evidence.NewSet()
		if err := set.LoadBundle("live", col.Collect(context.Background(), tg)); err != nil {
			t.Fatal(err)
		}
		return diagnose.Run(diagnose.Input{Capture: c, AWS: set}), progress
	}

	before := lookupCalls(srv)
	res, _ := run(false)
	if n := lookupCalls(srv) - before; n > 3 {
		t.Errorf("%d Connect calls, want at most 3", n)
	}
	var f *diagnose.Finding
	for i := range res.Findings {
		if res.Findings[i].ID == "connect.user_not_found" {
			f = &res.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no connect.user_not_found: %v", findings(res))
	}
	var how string
	for _, e := range f.Evidence {
		how += e.What + ": " + e.Value + "\n"
	}
	for _, want := range []string{`EXACT "jane.doe@example.com", "JANE.DOE@EXAMPLE.COM", "Jane.Doe@example.com"`, "no user matched", "--full-user-list"} {
		if !strings.Contains(how, want) {
			t.Errorf("evidence lacks %q:\n%s", want, how)
		}
	}

	pages := srv.Count("connect:ListUsers")
	res, progress := run(true)
	if n := srv.Count("connect:ListUsers") - pages; n != 50 {
		t.Errorf("%d ListUsers pages, want 50 (1000 per page)", n)
	}
	if len(progress) < 50 {
		t.Errorf("progress: %d lines", len(progress))
	}
	got := findings(res)
	if !slices.Contains(got, "connect.username_case_mismatch/error") || slices.Contains(got, "connect.user_not_found/error") {
		t.Errorf("with the whole list: %v", got)
	}
}

// Global Resiliency: the collector reads the instance's traffic
// distribution groups and their members (paged); an agent in none is
// found live as from files.
func TestTrafficGroupsLive(t *testing.T) {
	w := bigWorld(250)
	jane := w.Users[125]
	w.TrafficGroups = []map[string]any{{"Id": "tdg-0001", "Arn": "arn:aws:connect:ap-southeast-2:111122223333:traffic-distribution-group/tdg-0001", "Name": "Default", "IsDefault": true}}
	var members []string
	for _, u := range w.Users {
		if u["Username"] != "Jane.Doe@example.com" {
			members = append(members, u["Id"].(string))
		}
	}
	w.TrafficGroupUsers = map[string][]string{"tdg-0001": members}
	srv := awsfake.New(w)
	defer srv.Close()

	c := globalCapture(t)
	tg := target(c)
	tg.RoleArn, tg.ProviderArn, tg.Since, tg.GlobalResiliency = "", "", time.Time{}, true
	if tg.InstanceID != fixture.DefaultInstance {
		t.Fatalf("target %+v", tg)
	}
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), tg)
	if n := srv.Count("connect:ListTrafficDistributionGroupUsers"); n != 3 {
		t.Errorf("%d member pages, want 3 (100 per page)", n)
	}
	set := evidence.NewSet()
	if err := set.LoadBundle("live", b); err != nil {
		t.Fatal(err)
	}
	res := diagnose.Run(diagnose.Input{Capture: c, AWS: set})
	var f *diagnose.Finding
	for i := range res.Findings {
		if res.Findings[i].ID == "connect.not_in_traffic_distribution_group" {
			f = &res.Findings[i]
		}
	}
	if f == nil || len(report.Render(*f.Fix).Commands) != 1 || !strings.Contains(report.Render(*f.Fix).Commands[0], "--traffic-distribution-group-id tdg-0001 --user-id "+jane["Id"].(string)) {
		t.Fatalf("findings %v; %+v", findings(res), f)
	}
	for _, call := range srv.Calls() {
		if !awslive.IsAllowed(call) {
			t.Errorf("a call not on the allow-list reached AWS: %s", call)
		}
	}
}

// globalCapture is Jane's sign-in through Global Resiliency's endpoint,
// answered by Connect's "not onboarded".
func globalCapture(t *testing.T) *capture.Capture {
	t.Helper()
	gr := awsarn.GlobalSignInURL(fixture.DefaultInstance, "ap-southeast-2", "111122223333", "ConnectAgents", "EntraID", "/connect/ccp-v2")
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	xml := fixture.Response{NameID: "Jane.Doe@example.com", RoleSessionName: []string{"Jane.Doe@example.com"}, IssueInstant: at.Add(-time.Second), SignAssertion: true,
		Destination: gr, Audience: "https://" + fixture.DefaultInstance + ".ap-southeast-2.sign-in.connect.aws/saml"}.XML()
	steps := fixture.SignIn(xml, "", at, fixture.NotOnboarded)
	steps[0].Body = fixture.AutoPostPage(gr, base64.StdEncoding.EncodeToString(xml), "")
	steps[1].URL, steps[1].Location = gr, "https://example-corp.my.connect.aws/ccp-v2/"
	steps[2].URL = steps[1].Location
	r := signin.NewReader(capture.Options{})
	if err := r.Read("gr.har", bytes.NewReader(fixture.HAR(fixture.Chrome, steps))); err != nil {
		t.Fatal(err)
	}
	return r.Finish()
}

// Global Resiliency: the agent must exist in every replica. The collector
// reads the replicas from DescribeInstance and searches each one's Region
// (the same instance ID); the fake answers calls signed for the replica's
// Region from its users.
func TestReplicaUsersLive(t *testing.T) {
	for _, c := range []struct {
		name    string
		replica []string
		want    bool
	}{
		{"missing in the replica", []string{"agent00001@example.com"}, true},
		{"in both", []string{"agent00001@example.com", "Jane.Doe@example.com"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := bigWorld(10)
			w.Replication = map[string]any{"SourceRegion": "ap-southeast-2", "ReplicationStatusSummaryList": []any{
				map[string]any{"Region": "ap-southeast-2", "ReplicationStatus": "INSTANCE_REPLICATION_COMPLETE"},
				map[string]any{"Region": "ap-northeast-1", "ReplicationStatus": "INSTANCE_REPLICATION_COMPLETE"}}}
			w.TrafficGroups = []map[string]any{}
			var rep []map[string]any
			for _, u := range w.Users {
				if slices.Contains(c.replica, u["Username"].(string)) {
					cp := maps.Clone(u)
					cp["Arn"] = strings.Replace(u["Arn"].(string), ":ap-southeast-2:", ":ap-northeast-1:", 1)
					rep = append(rep, cp)
				}
			}
			w.ReplicaUsers = map[string][]map[string]any{"ap-northeast-1": rep}
			srv := awsfake.New(w)
			defer srv.Close()
			capt := globalCapture(t)
			tg := target(capt)
			tg.RoleArn, tg.ProviderArn, tg.Since, tg.GlobalResiliency = "", "", time.Time{}, true
			b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), tg)
			set := evidence.NewSet()
			if err := set.LoadBundle("live", b); err != nil {
				t.Fatal(err)
			}
			res := diagnose.Run(diagnose.Input{Capture: capt, AWS: set})
			got := slices.Contains(findings(res), "connect.user_not_in_replica/error")
			if got != c.want {
				t.Errorf("connect.user_not_in_replica %v, want %v: %v", got, c.want, findings(res))
			}
		})
	}
}

// Independent calls run at once: Connect, IAM and CloudTrail, and within
// them what does not wait on another answer.
func TestCallsRunConcurrently(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "access-denied")
	world, err := awsfake.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(world)
	defer srv.Close()
	srv.Latency = 20 * time.Millisecond
	c := readCapture(t, filepath.Join("..", "..", "examples", "access-denied.har"))
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
	if n := srv.MaxInFlight(); n < 3 {
		t.Errorf("at most %d calls in flight at once, want at least 3 (Connect, IAM, CloudTrail)", n)
	}
	// The answers are in the same order whatever order they came in.
	var calls []string
	for _, o := range b.Outputs {
		calls = append(calls, o.Call)
	}
	b2 := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
	var calls2 []string
	for _, o := range b2.Outputs {
		calls2 = append(calls2, o.Call)
	}
	if !slices.Equal(calls, calls2) || calls[0] != "connect:DescribeInstance" {
		t.Errorf("order differs between runs:\n%v\n%v", calls, calls2)
	}
}

// BenchmarkCollectLatency is the live collection of a sign-in's evidence
// when every AWS call takes 100 ms (a distant Region).
func BenchmarkCollectLatency(b *testing.B) {
	dir := filepath.Join("..", "..", "examples", "aws-data", "access-denied")
	world, err := awsfake.LoadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	srv := awsfake.New(world)
	defer srv.Close()
	srv.Latency = 100 * time.Millisecond
	c := readCapture(b, filepath.Join("..", "..", "examples", "access-denied.har"))
	tg := target(c)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		(&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), tg)
	}
	b.ReportMetric(float64(len(srv.Calls()))/float64(b.N), "calls/op")
}

// Every answer is cut off at the cap, whether it says its length or not:
// each call becomes a finding that names the call and the cap, none is
// retried. An answer exactly at the cap is read (the near miss).
func TestOversizeAnswers(t *testing.T) {
	c := readCapture(t, filepath.Join("..", "..", "examples", "access-denied.har"))
	const limit = 1 << 20
	for _, tt := range []struct {
		name    string
		size    int64
		declare bool
		over    bool
	}{
		{"declared, one byte over", limit + 1, true, true},
		{"chunked, one byte over", limit + 1, false, true},
		{"chunked, far over", 64 << 20, false, true},
		{"declared, at the cap", limit, true, false},
		{"chunked, at the cap", limit, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w, err := awsfake.LoadDir(filepath.Join("..", "..", "examples", "aws-data", "not-onboarded"))
			if err != nil {
				t.Fatal(err)
			}
			srv := awsfake.New(w)
			defer srv.Close()
			srv.Bloat(tt.size, tt.declare)
			cfg := aws.Config{Region: "ap-southeast-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""), BaseEndpoint: aws.String(srv.URL)}
			col := &awslive.Collector{Clients: awslive.NewClients(cfg, awslive.Options{MaxBackoff: 10 * time.Millisecond, MaxAnswer: limit})}
			b := col.Collect(context.Background(), target(c))
			calls := srv.Count("bloated")
			if !tt.over {
				// Padding is all these answers hold: GetRole's names no
				// role, which is said as such, not as a cap.
				if len(b.Outputs) < 5 {
					t.Fatalf("an answer at the cap: %d outputs, denied %+v", len(b.Outputs), b.Denied)
				}
				for _, d := range b.Denied {
					if strings.Contains(d.Error, "cap") {
						t.Errorf("an answer at the cap refused: %s: %s", d.Call, d.Error)
					}
				}
				return
			}
			if len(b.Outputs) != 0 || len(b.Denied) < 5 {
				t.Fatalf("outputs %d, denied %d", len(b.Outputs), len(b.Denied))
			}
			if calls != len(b.Denied) {
				t.Errorf("%d calls made for %d refused answers: a refused answer was retried", calls, len(b.Denied))
			}
			for _, d := range b.Denied {
				if want := "the answer to " + d.Call + " is larger than samldoctor's cap of 1 MiB"; !strings.HasPrefix(d.Error, want) {
					t.Errorf("%s: %q, want %q", d.Call, d.Error, want)
				}
			}
		})
	}
}

// Peak memory of a collection against answers of 256 MiB and 1 GiB, at
// the default caps: the same for both (the caps, not the answers, bound
// it). peak-heap-MiB is the most heap in use, sampled every millisecond.
func BenchmarkOversizeAnswer(b *testing.B) {
	c := readCapture(b, filepath.Join("..", "..", "examples", "access-denied.har"))
	for _, size := range []int64{256 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			w, err := awsfake.LoadDir(filepath.Join("..", "..", "examples", "aws-data", "not-onboarded"))
			if err != nil {
				b.Fatal(err)
			}
			srv := awsfake.New(w)
			defer srv.Close()
			srv.Bloat(size, false)
			var peak uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
			}()
			runtime.GC()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bd := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
				if len(bd.Denied) == 0 {
					b.Fatal("no answer was refused")
				}
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
