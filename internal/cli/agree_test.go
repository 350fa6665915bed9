package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/cli"
)

// audit and diagnose judge the same evidence once: on every shipped
// example's AWS data, the causes diagnose finds for the example's sign-in
// (its errors) are the audit's errors, and the audit finds no error
// diagnose does not. The audit is given the IdP's export the examples'
// RoleSessionName comes from, as an administrator would.
func TestAuditAgreesWithDiagnose(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	dirs, err := filepath.Glob("examples/aws-data/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no example AWS data: %v", err)
	}
	errorsOf := func(t *testing.T, args ...string) []string {
		t.Helper()
		var out, errOut bytes.Buffer
		cli.Main(append(args, "--format", "json"), strings.NewReader(""), &out, &errOut)
		var res struct {
			Findings []struct{ ID, Severity string } `json:"findings"`
		}
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		var ids []string
		for _, f := range res.Findings {
			if f.Severity == "error" && !slices.Contains(ids, f.ID) {
				ids = append(ids, f.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat("examples/" + name + ".har"); err != nil {
				t.Fatalf("AWS data %s has no capture beside it: %v", dir, err)
			}
			d := errorsOf(t, "diagnose", "examples/"+name+".har", "--aws-data", dir)
			a := errorsOf(t, "audit", "--aws-data", dir, "--idp-users", "examples/idp-users/entra-users.csv")
			if len(d) == 0 || !slices.Equal(d, a) {
				t.Errorf("diagnose finds %q, audit %q", d, a)
			}
		})
	}
}
