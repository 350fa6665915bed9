package evidence

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Bundle is what `samldoctor collect` writes and `--aws` gathers: the
// answers of read-only AWS calls in the AWS CLI's own JSON shapes, plus
// the calls that were denied or found nothing. It loads through the same
// code as AWS CLI files.
type Bundle struct {
	// Version is set (to 1) in every bundle; it is how a file is known to
	// be one.
	Version     int            `json:"samldoctorBundle"`
	CollectedAt time.Time      `json:"collectedAt"`
	Target      BundleTarget   `json:"target"`
	Outputs     []BundleOutput `json:"outputs"`
	Denied      []Denied       `json:"denied"`
	NotFound    []NotFound     `json:"notFound"`
}

// BundleTarget is what the evidence was collected about.
type BundleTarget struct {
	Region          string    `json:"region"`
	InstanceID      string    `json:"instanceId"`
	RoleArn         string    `json:"roleArn,omitempty"`
	ProviderArn     string    `json:"providerArn,omitempty"`
	RoleSessionName string    `json:"roleSessionName,omitempty"`
	SignInRegion    string    `json:"signInRegion,omitempty"`
	Since           time.Time `json:"since,omitzero"`
	// GlobalResiliency is set when the sign-in went through Global
	// Resiliency's endpoint: its traffic distribution groups are read.
	GlobalResiliency bool `json:"globalResiliency,omitempty"`
}

// BundleOutput is one call's answer.
type BundleOutput struct {
	Call   string          `json:"call"`
	Kind   string          `json:"kind"`
	Output json.RawMessage `json:"output"`
}

// Denied is a call AWS refused (or that failed): what it would have told
// is undetermined.
type Denied struct {
	Call     string `json:"call"`
	Resource string `json:"resource,omitempty"`
	Error    string `json:"error"`
	Affects  string `json:"affects,omitempty"`
	Source   Source `json:"-"`
}

// NotFound is a call that answered that the resource does not exist.
type NotFound struct {
	Call     string `json:"call"`
	Resource string `json:"resource"`
	Error    string `json:"error"`
	Source   Source `json:"-"`
}

// LoadBundle loads a bundle; name names it in sources ("live" for calls
// made now).
func (s *Set) LoadBundle(name string, b *Bundle) error {
	for i, o := range b.Outputs {
		where := fmt.Sprintf("%s: %s", name, o.Call)
		if err := s.Load(where, o.Output); err != nil {
			return fmt.Errorf("%s output %d: %w", name, i, err)
		}
	}
	for _, d := range b.Denied {
		d.Source = Source{File: name, Kind: d.Call}
		s.Denied = append(s.Denied, d)
	}
	for _, n := range b.NotFound {
		n.Source = Source{File: name, Kind: n.Call}
		s.NotFound = append(s.NotFound, n)
	}
	if !b.CollectedAt.IsZero() {
		s.Sources = append(s.Sources, Source{File: name, Kind: "samldoctor collect, " + b.CollectedAt.Format(time.RFC3339)})
	}
	return nil
}

// Simulation is IAM's own verdict (simulate-principal-policy).
type Simulation struct {
	Action                       string
	Resource                     string
	Decision                     string
	MatchedStatements            []string
	MissingContext               []string
	AllowedByOrganizations       *bool
	AllowedByPermissionsBoundary *bool
	Source                       Source
}

// Unreachable counts the calls that failed because AWS could not be
// reached, with the first reason.
func (b *Bundle) Unreachable() (int, string) {
	n, why := 0, ""
	for _, d := range b.Denied {
		if strings.HasPrefix(d.Error, "AWS could not be reached") {
			if n == 0 {
				why = strings.TrimPrefix(d.Error, "AWS could not be reached ")
			}
			n++
		}
	}
	return n, why
}
