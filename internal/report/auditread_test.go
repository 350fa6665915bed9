package report

import (
	"fmt"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/audit"
)

// The "Read:" list shows at most maxReadLines inputs, then how many more.
func TestAuditReadList(t *testing.T) {
	for _, c := range []struct {
		n         int
		want, not string
	}{
		{13, "  - f12.json\n", "more"}, // one past the bound: listed, not "1 more"
		{20, "  … and 8 more (--format json lists them all)\n", "f12.json"},
	} {
		res := &audit.Result{}
		for i := range c.n {
			res.Scope = append(res.Scope, fmt.Sprintf("f%d.json", i))
		}
		var b strings.Builder
		if err := WriteAuditText(&b, res, Style{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) || strings.Contains(b.String(), c.not) {
			t.Errorf("%d inputs: want %q and no %q in:\n%s", c.n, c.want, c.not, b.String())
		}
	}
}
