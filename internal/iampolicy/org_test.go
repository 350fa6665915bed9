package iampolicy

import "testing"

// Organizations' rule, as its user guide's "SCP evaluation" states it:
// every level on the path must allow, a Deny anywhere denies; a level not
// known leaves an Allow undetermined but not a Deny found elsewhere.
func TestEvaluateOrg(t *testing.T) {
	full := Named{Name: "FullAWSAccess", Policy: mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}
	allowS3 := Named{Name: "AllowS3", Policy: mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}
	denyConnect := Named{Name: "DenyConnect", Policy: mustParse(t, `{"Statement":[{"Effect":"Deny","Action":"connect:*","Resource":"*"}]}`)}
	denyUnknown := Named{Name: "DenyFromOutside", Policy: mustParse(t, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`)}
	level := func(target string, ps ...Named) Level { return Level{Target: target, Policies: ps, Complete: true} }
	tests := []struct {
		name     string
		levels   []Level
		complete bool
		want     Decision
		blocking string
	}{
		{"FullAWSAccess everywhere", []Level{level("r-ab12", full), level("ou-ab12-11111111", full), level("111122223333", full)}, true, Allowed, ""},
		{"a Deny at the OU", []Level{level("r-ab12", full), level("ou-ab12-11111111", full, denyConnect), level("111122223333", full)}, true, ExplicitDeny, ""},
		{"an allow-list without the action at the OU", []Level{level("r-ab12", full), level("ou-ab12-11111111", allowS3), level("111122223333", full)}, true, ImplicitDeny, "ou-ab12-11111111"},
		{"the same list, the OU not known in full", []Level{level("r-ab12", full), {Target: "ou-ab12-11111111", Policies: []Named{allowS3}}, level("111122223333", full)}, true, Undetermined, ""},
		{"a Deny found, the path not known in full", []Level{level("111122223333", full, denyConnect)}, false, ExplicitDeny, ""},
		{"every level allows, the path not known in full", []Level{level("111122223333", full)}, false, Undetermined, ""},
		{"a Deny on an unknown condition", []Level{level("r-ab12", full, denyUnknown), level("111122223333", full)}, true, Undetermined, ""},
		{"nothing known", nil, false, Undetermined, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := EvaluateOrg(tt.levels, tt.complete, federationRequest())
			if res.Decision != tt.want || res.Blocking != tt.blocking {
				t.Errorf("decision %s blocking %q, want %s %q (%+v)", res.Decision, res.Blocking, tt.want, tt.blocking, res)
			}
			if res.Decision == Undetermined && len(res.Reasons) == 0 {
				t.Error("undetermined without a reason")
			}
		})
	}
}

// A key under a prefix recorded absent is absent, others unknown.
func TestAbsentPrefix(t *testing.T) {
	ctx := NewContext()
	ctx.Set("aws:ResourceTag/Team", "agents")
	ctx.SetAbsentPrefix("aws:ResourceTag/")
	if _, in, known := ctx.Get("aws:resourcetag/Owner"); in || !known {
		t.Errorf("a tag not set under a prefix known in full: in %v known %v", in, known)
	}
	if v, in, _ := ctx.Get("aws:ResourceTag/Team"); !in || v[0] != "agents" {
		t.Errorf("the tag set: %v %v", v, in)
	}
	if _, _, known := ctx.Get("aws:PrincipalTag/Team"); known {
		t.Error("a key under another prefix is known")
	}
}
