package awslive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/samldoctor/samldoctor/internal/awsfake"
	"github.com/samldoctor/samldoctor/internal/awslive"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fixture"
)

// authWorld is an instance with n approved origins and two
// authentication profiles, the second the default.
func authWorld(n int) *awsfake.World {
	w := bigWorld(1)
	for i := range n {
		w.ApprovedOrigins = append(w.ApprovedOrigins, fmt.Sprintf("https://app%02d.example.com", i))
	}
	arn := "arn:aws:connect:ap-southeast-2:111122223333:instance/" + fixture.DefaultInstance + "/authentication-profile/"
	w.AuthProfiles = []map[string]any{
		{"Id": "ap-night", "Arn": arn + "ap-night", "Name": "Night shift", "IsDefault": false, "MaxSessionDuration": 600.0},
		{"Id": "ap-default", "Arn": arn + "ap-default", "Name": "Default", "IsDefault": true, "MaxSessionDuration": 720.0,
			"SessionInactivityDuration": 45.0, "SessionInactivityHandlingEnabled": true, "AllowedIps": []any{"203.0.113.0/24"}, "BlockedIps": []any{},
			"LastModifiedTime": "2026-10-01T08:00:00Z", "LastModifiedRegion": "ap-southeast-2"},
	}
	return w
}

// The approved origins are read to the last page and the default
// authentication profile described; both load as the AWS CLI files do.
func TestConnectAuthLive(t *testing.T) {
	srv := awsfake.New(authWorld(60))
	defer srv.Close()
	tg := awslive.Target{Region: "ap-southeast-2", InstanceID: fixture.DefaultInstance}
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), tg)
	if len(b.Denied) != 0 || len(b.NotFound) != 0 {
		t.Fatalf("denied %+v, not found %+v", b.Denied, b.NotFound)
	}
	if n := srv.Count("connect:ListApprovedOrigins"); n != 3 {
		t.Errorf("%d ListApprovedOrigins pages for 60 origins, want 3 (25 a page)", n)
	}
	if n := srv.Count("connect:DescribeAuthenticationProfile"); n != 1 {
		t.Errorf("%d profiles described, want 1 (the default)", n)
	}
	// Through a bundle file too: the same facts.
	raw, _ := json.Marshal(b)
	for _, via := range []string{"live", "bundle"} {
		set := evidence.NewSet()
		var err error
		if via == "live" {
			err = set.LoadBundle("live", b)
		} else {
			err = set.Load("bundle.json", raw)
		}
		if err != nil {
			t.Fatal(err)
		}
		o := set.OriginsOf(fixture.DefaultInstance)
		if o == nil || len(o.Origins) != 60 || o.Partial || !o.Has("https://app59.example.com") || o.Has("https://app60.example.com") {
			t.Fatalf("%s: origins %+v", via, o)
		}
		p := set.AuthProfileOf(fixture.DefaultInstance)
		if p == nil || p.ID != "ap-default" || p.MaxSession != 12*time.Hour || p.Inactivity != 45*time.Minute || p.InactivitySignOut == nil || !*p.InactivitySignOut ||
			!slices.Equal(p.AllowedIps, []string{"203.0.113.0/24"}) || !p.LastModified.Equal(time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: profile %+v", via, p)
		}
		if l := set.AuthProfileLists; len(l) != 1 || l[0].InstanceID != fixture.DefaultInstance || len(l[0].Profiles) != 2 {
			t.Errorf("%s: profile list %+v", via, l)
		}
	}

	// No profile marked default: each is described.
	w := authWorld(0)
	w.AuthProfiles[1]["IsDefault"] = false
	srv2 := awsfake.New(w)
	defer srv2.Close()
	b = (&awslive.Collector{Clients: clients(srv2)}).Collect(context.Background(), tg)
	set := evidence.NewSet()
	if err := set.LoadBundle("live", b); err != nil {
		t.Fatal(err)
	}
	if n := srv2.Count("connect:DescribeAuthenticationProfile"); n != 2 || len(set.AuthProfiles) != 2 {
		t.Errorf("%d profiles described, %d loaded, want 2", n, len(set.AuthProfiles))
	}
	// An instance that approved none: an empty list, known to be empty.
	if o := set.OriginsOf(fixture.DefaultInstance); o == nil || len(o.Origins) != 0 {
		t.Errorf("origins %+v, want an empty list", o)
	}
}

// Refused calls are recorded with what they would have settled; a list
// not read is not an empty list.
func TestConnectAuthDenied(t *testing.T) {
	for _, deny := range []string{"connect:ListApprovedOrigins", "connect:ListAuthenticationProfiles", "connect:DescribeAuthenticationProfile"} {
		t.Run(deny, func(t *testing.T) {
			srv := awsfake.New(authWorld(30))
			defer srv.Close()
			srv.Deny(deny)
			b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), awslive.Target{Region: "ap-southeast-2", InstanceID: fixture.DefaultInstance})
			if len(b.Denied) != 1 || b.Denied[0].Call != deny || b.Denied[0].Error != "AccessDeniedException" || b.Denied[0].Affects == "" {
				t.Fatalf("denied %+v", b.Denied)
			}
			set := evidence.NewSet()
			if err := set.LoadBundle("live", b); err != nil {
				t.Fatal(err)
			}
			origins, profile := set.OriginsOf(fixture.DefaultInstance), set.AuthProfileOf(fixture.DefaultInstance)
			switch deny {
			case "connect:ListApprovedOrigins":
				if origins != nil || profile == nil {
					t.Errorf("origins %+v, profile %+v", origins, profile)
				}
			default:
				if origins == nil || len(origins.Origins) != 30 || profile != nil {
					t.Errorf("origins %+v, profile %+v", origins, profile)
				}
			}
		})
	}
	// The instance unknown to Connect: not found, nothing recorded as
	// empty.
	srv := awsfake.New(authWorld(3))
	defer srv.Close()
	b := (&awslive.Collector{Clients: clients(srv)}).Collect(context.Background(), awslive.Target{Region: "ap-southeast-2", InstanceID: "11111111-2222-4333-8444-555555555555"})
	var calls []string
	for _, n := range b.NotFound {
		calls = append(calls, n.Call)
	}
	slices.Sort(calls)
	if !slices.Equal(calls, []string{"connect:DescribeInstance", "connect:ListApprovedOrigins", "connect:ListAuthenticationProfiles"}) || len(b.Outputs) != 0 {
		t.Errorf("not found %v, outputs %d", calls, len(b.Outputs))
	}
}
