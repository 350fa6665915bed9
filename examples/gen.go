//go:build ignore

// gen writes the example captures in this folder. Run it from the
// repository root: go run examples/gen.go
package main

import (
	"encoding/base64"
	"encoding/json"
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
		// The IAM SAML provider holds the certificate the example is signed
		// with, as the account would.
		write("examples/aws-data/"+name+"/saml-provider.json", map[string]any{
			"SAMLMetadataDocument": metadata(fixture.DefaultIssuer, fixture.TestKey().DER),
			"CreateDate":           "2024-03-11T09:30:00+00:00",
			"ValidUntil":           "2124-03-11T09:30:00+00:00",
			"SAMLProviderArn":      fixture.DefaultProvider,
		})
		write("examples/aws-data/"+name+"/saml-providers.json", map[string]any{"SAMLProviderList": []any{map[string]string{
			"Arn": fixture.DefaultProvider, "ValidUntil": "2124-03-11T09:30:00+00:00", "CreateDate": "2024-03-11T09:30:00+00:00"}}})
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

// metadata is the IdP metadata an IAM SAML provider holds (get-saml-provider
// adds SAMLProviderArn only in samldoctor's own bundles; the AWS CLI's
// output lacks it, and samldoctor then takes the provider of the sign-in).
func metadata(entityID string, cert []byte) string {
	return `<?xml version="1.0" encoding="utf-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + entityID + `">` +
		`<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing">` +
		`<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + base64.StdEncoding.EncodeToString(cert) +
		`</X509Certificate></X509Data></KeyInfo></KeyDescriptor>` +
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-123456789abc/saml2"/>` +
		`</IDPSSODescriptor></EntityDescriptor>`
}
