package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Stamped by the release build (.goreleaser.yaml, .ci/run) with
// -ldflags "-X github.com/samldoctor/samldoctor/internal/cli.stampedVersion=v1.2.3 ...".
// A build without them takes what Go recorded (go install @version, or a
// build in a git checkout).
var stampedVersion, stampedCommit, stampedDate string

// version is the module version and the commit it was built from.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi, stampedVersion, stampedCommit, stampedDate)
}

// versionOf says the version, the commit and the Go version: from the
// release build's stamps when there are, else from the binary's build
// information; "commit unknown" when neither names one.
func versionOf(bi *debug.BuildInfo, stampV, stampC, stampD string) string {
	v, goVersion := stampV, ""
	var rev, when, dirty string
	if bi != nil {
		goVersion = bi.GoVersion
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = ", with uncommitted changes"
				}
			}
		}
	}
	if stampC != "" {
		rev, when, dirty = stampC, stampD, ""
	}
	if v == "" {
		v = "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev != "" && when != "":
		v += fmt.Sprintf(" (commit %s, %s%s)", rev, when, dirty)
	case rev != "":
		v += fmt.Sprintf(" (commit %s%s)", rev, dirty)
	default:
		v += " (commit unknown: built without version control information)"
	}
	if goVersion == "" {
		return v + ", built without module information"
	}
	return v + ", " + goVersion
}

func versionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print samldoctor's version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(e.stdout, "samldoctor version", version())
			return err
		},
	}
}
