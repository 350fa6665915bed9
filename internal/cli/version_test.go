package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
		for i := 0; i < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		name          string
		bi            *debug.BuildInfo
		stV, stC, stD string
		want          string
	}{
		{"a release build's stamps", vcs(), "v1.2.0", "0123456789abcdef0123", "2026-12-01T10:00:00Z",
			"v1.2.0 (commit 0123456789ab, 2026-12-01T10:00:00Z), go1.26.8"},
		{"stamps win over the checkout's", vcs("vcs.revision", "ffffffffffffffff", "vcs.modified", "true"), "v1.2.0", "0123456789abcdef", "",
			"v1.2.0 (commit 0123456789ab), go1.26.8"},
		{"a build in a git checkout", vcs("vcs.revision", "abcdefabcdefabcdef", "vcs.time", "2026-11-30T08:00:00Z", "vcs.modified", "true"), "", "", "",
			"(devel) (commit abcdefabcdef, 2026-11-30T08:00:00Z, with uncommitted changes), go1.26.8"},
		{"near miss: modified=false is not dirty", vcs("vcs.revision", "abc", "vcs.time", "t", "vcs.modified", "false"), "", "", "",
			"(devel) (commit abc, t), go1.26.8"},
		{"no version control information", vcs(), "", "", "",
			"(devel) (commit unknown: built without version control information), go1.26.8"},
		{"no build information at all", nil, "", "", "",
			"(devel) (commit unknown: built without version control information), built without module information"},
	} {
		if got := versionOf(c.bi, c.stV, c.stC, c.stD); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
