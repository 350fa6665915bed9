package nearname

import "testing"

func TestNearest(t *testing.T) {
	flags := []string{"aws-data", "aws", "aws-timeout", "format", "idp-metadata", "idp-cert", "sp-key"}
	for name, want := range map[string]string{"aws-dat": "aws-data", "fromat": "format", "idp-meta": "idp-metadata", "spkey": "sp-key", "zzzzzz": ""} {
		if got := Nearest(name, flags, 3); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if d := Distance("connect:GetFederationTokens", "connect:GetFederationToken"); d != 1 {
		t.Errorf("distance %d", d)
	}
}
