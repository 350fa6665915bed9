package awslive_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// The field fixtures whose cause is an organization's policy give the
// same findings from the AWS CLI files, live (the path and the policies
// read with ListParents, ListPoliciesForTarget and DescribePolicy) and
// from a collect bundle.
func TestOrganizationsLive(t *testing.T) {
	for _, name := range []string{"rcp-denies", "scp-denies"} {
		t.Run(name, func(t *testing.T) {
			field := filepath.Join("..", "..", "testdata", "field")
			dir := filepath.Join(field, "aws-data", name)
			c := readCapture(t, filepath.Join(field, name+".har"))
			files := evidence.NewSet()
			if err := files.LoadPaths([]string{dir}); err != nil {
				t.Fatal(err)
			}
			offline := diagnose.Run(diagnose.Input{Capture: c, AWS: files})
			w, err := awsfake.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			// IAM's simulator, which evaluates SCPs, answers as the
			// organization's SCPs do.
			w.SimDecision = "allowed"
			if name == "scp-denies" {
				w.SimDecision = "explicitDeny"
			}
			srv := awsfake.New(w)
			defer srv.Close()
			b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
			if len(b.Denied) > 0 {
				t.Fatalf("denied: %+v", b.Denied)
			}
			live := evidence.NewSet()
			if err := live.LoadBundle("live", b); err != nil {
				t.Fatal(err)
			}
			liveRes := diagnose.Run(diagnose.Input{Capture: c, AWS: live})
			raw, _ := json.Marshal(b)
			fromFile := evidence.NewSet()
			if err := fromFile.Load("bundle.json", raw); err != nil {
				t.Fatal(err)
			}
			bundleRes := diagnose.Run(diagnose.Input{Capture: c, AWS: fromFile})
			want := findings(offline)
			if !strings.Contains(strings.Join(want, " "), "_denies/error") {
				t.Fatalf("offline: %v", want)
			}
			for src, res := range map[string]*diagnose.Result{"live": liveRes, "bundle": bundleRes} {
				if got := findings(res); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s findings differ:\nfiles %v\n%s %v", src, want, src, got)
				}
				if res.Findings[0].ID != offline.Findings[0].ID || res.Findings[0].Fix.Summary != offline.Findings[0].Fix.Summary {
					t.Errorf("%s: first %s %q, files %s %q", src, res.Findings[0].ID, res.Findings[0].Fix.Summary, offline.Findings[0].ID, offline.Findings[0].Fix.Summary)
				}
			}
			for _, call := range []string{"organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:DescribePolicy"} {
				if srv.Count(call) == 0 {
					t.Errorf("%s was not called", call)
				}
			}
			for _, call := range srv.Calls() {
				if !awslive.IsAllowed(call) {
					t.Errorf("a call not on the allow-list reached AWS: %s", call)
				}
			}
			// The account, its OU and the root, two types each.
			if n := srv.Count("organizations:ListPoliciesForTarget"); n != 6 {
				t.Errorf("ListPoliciesForTarget called %d times, want 6", n)
			}
		})
	}
}

// From a member account Organizations refuses: one call is made, the
// refusal is information (Organizations answers its management account),
// and a warning only when the sign-in's failure may come from its
// policies.
func TestOrganizationsDenied(t *testing.T) {
	for _, tt := range []struct {
		name, capture, data string
		sev                 string
	}{
		{"the trust policy allows, STS refused", "rcp-denies", "rcp-denies", diagnose.Warning},
		{"nothing the organization explains", "not-onboarded", "not-onboarded", diagnose.Info},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", "aws-data", tt.data)
			har := filepath.Join("..", "..", "examples", tt.capture+".har")
			if tt.capture == "rcp-denies" {
				dir = filepath.Join("..", "..", "testdata", "field", "aws-data", tt.data)
				har = filepath.Join("..", "..", "testdata", "field", tt.capture+".har")
			}
			w, err := awsfake.LoadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			w.SimDecision = "allowed"
			srv := awsfake.New(w)
			defer srv.Close()
			srv.Deny("organizations:ListParents")
			c := readCapture(t, har)
			b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), target(c))
			if n := srv.Count("organizations:ListPoliciesForTarget") + srv.Count("organizations:DescribePolicy"); n != 0 {
				t.Errorf("%d more Organizations calls after the refusal", n)
			}
			set := evidence.NewSet()
			set.LoadBundle("live", b)
			res := diagnose.Run(diagnose.Input{Capture: c, AWS: set})
			var got *diagnose.Finding
			for i, f := range res.Findings {
				if f.ID == "aws.call_denied" && strings.Contains(f.Title, "organizations:ListParents") {
					got = &res.Findings[i]
				}
			}
			if got == nil || got.Severity != tt.sev || !strings.Contains(got.Title, "management account") {
				t.Fatalf("finding %+v, want severity %s", got, tt.sev)
			}
			if find := res.Findings[0].ID; find == "iam.rcp_denies" {
				t.Error("the RCPs were judged without having been read")
			}
		})
	}
}
