//go:build ignore

// gen writes the example captures in this folder. Run it from the
// repository root: go run examples/gen.go
package main

import (
	"os"
	"time"

	"github.com/samldoctor/samldoctor/internal/fixture"
)

func main() {
	at := time.Date(2026, 11, 20, 9, 0, 1, 0, time.UTC)
	resp := fixture.Response{
		NameID:          "jane.doe@example.com",
		RoleSessionName: []string{"jane.doe@example.com"},
		SessionDuration: "43200",
		IssueInstant:    at.Add(-time.Second),
		SignAssertion:   true,
		SignResponse:    true,
	}.XML()
	for name, out := range map[string]fixture.Outcome{
		"not-onboarded": fixture.NotOnboarded,
		"access-denied": fixture.AccessDeniedAdmin,
		"bad-request":   fixture.BadRequest,
	} {
		har := fixture.HAR(fixture.Chrome, fixture.SignIn(resp, fixture.RelayState(), at, out))
		if err := os.WriteFile("examples/"+name+".har", har, 0o644); err != nil {
			panic(err)
		}
	}

}
