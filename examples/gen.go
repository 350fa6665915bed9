//go:build ignore

// gen writes the example captures in this folder. Run it from the
// repository root: go run examples/gen.go [name...] (no names: all; the
// signed examples change at each run, their IDs being random).
package main

import (
	"encoding/json"
	"os"
	"slices"
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
	// Each example account's provider has its own SAMLProviderUUID.
	providerIDs := map[string]string{"not-onboarded": "SAMLSPD9IMTW2LM46J042K", "access-denied": "SAMLSPK3Q8W5E2R7T1Y4U6", "bad-request": "SAMLSPM6N2B8V4C1X7Z3L9"}
	for name, out := range map[string]fixture.Outcome{
		"not-onboarded": fixture.NotOnboarded,
		"access-denied": fixture.AccessDeniedAdmin,
		"bad-request":   fixture.BadRequest,
	} {
		if len(os.Args) > 1 && !slices.Contains(os.Args[1:], name) {
			continue
		}
		har := fixture.HAR(fixture.Chrome, fixture.SignIn(resp, fixture.RelayState(), at, out))
		if err := os.WriteFile("examples/"+name+".har", har, 0o644); err != nil {
			panic(err)
		}
		// The IAM SAML provider holds the certificate the example is signed
		// with, as the account would.
		write("examples/aws-data/"+name+"/saml-provider.json", fixture.GetSAMLProvider(providerIDs[name]))
		write("examples/aws-data/"+name+"/saml-providers.json", map[string]any{"SAMLProviderList": []any{map[string]string{
			"Arn": fixture.DefaultProvider, "ValidUntil": "2124-03-11T09:30:00+00:00", "CreateDate": "2024-03-11T09:30:00+00:00"}}})
	}
	// Entra ID refuses the sign-in: the agent is not assigned to the app.
	if len(os.Args) == 1 || slices.Contains(os.Args[1:], "not-assigned") {
		har := fixture.HAR(fixture.Chrome, []fixture.Step{fixture.IdPErrorStep("entra", at)})
		if err := os.WriteFile("examples/not-assigned.har", har, 0o644); err != nil {
			panic(err)
		}
	}
}

func write(name string, v any) {
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(name, append(b, '\n'), 0o644); err != nil {
		panic(err)
	}
}
