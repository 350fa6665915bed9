package evidence

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuthProfile is a Connect instance's authentication profile
// (describe-authentication-profile): the settings that sign an agent
// out (session inactivity, allowed and blocked IP ranges) and the
// session's length.
type AuthProfile struct {
	ID, ARN, Name string
	IsDefault     bool
	// InstanceID is the instance whose profile it is, from its ARN.
	InstanceID string
	AllowedIps []string
	BlockedIps []string
	// MaxSession is the long-lived session's length (MaxSessionDuration,
	// minutes in the output); 0 when the output does not give it.
	MaxSession time.Duration
	// Inactivity is SessionInactivityDuration; InactivitySignOut whether
	// SessionInactivityHandlingEnabled is set (nil: the output predates
	// the setting).
	Inactivity        time.Duration
	InactivitySignOut *bool
	LastModified      time.Time
	Source            Source
}

// ApprovedOrigins is a list-approved-origins output: the origins allowed
// to embed the instance's CCP. The AWS CLI's output does not name the
// instance; samldoctor collect adds it.
type ApprovedOrigins struct {
	InstanceID string
	Origins    []string
	// Partial is set when the output holds a NextToken: more origins
	// follow on another page.
	Partial bool
	Source  Source
}

// Has reports whether the list approves origin byte for byte (scheme,
// host and port), as Connect compares it; a trailing slash aside.
func (a *ApprovedOrigins) Has(origin string) bool {
	for _, o := range a.Origins {
		if strings.TrimSuffix(o, "/") == strings.TrimSuffix(origin, "/") {
			return true
		}
	}
	return false
}

// AuthProfileList is a list-authentication-profiles output: an
// instance's profiles by name, and which is its default. The AWS CLI's
// output does not name the instance; samldoctor collect adds it, and the
// profiles' ARNs name it too.
type AuthProfileList struct {
	InstanceID string
	Profiles   []AuthProfileSummary
	// Partial is set when the output holds a NextToken.
	Partial bool
	Source  Source
}

// AuthProfileSummary is one profile of a list.
type AuthProfileSummary struct {
	ID, ARN, Name string
	IsDefault     bool
}

// loadAuthProfileList reads aws connect list-authentication-profiles.
func (s *Set) loadAuthProfileList(name string, top map[string]json.RawMessage) error {
	l := &AuthProfileList{Source: s.source(name, "aws connect list-authentication-profiles")}
	var sums []struct {
		ID        string `json:"Id"`
		Arn       string `json:"Arn"`
		Name      string `json:"Name"`
		IsDefault bool   `json:"IsDefault"`
	}
	if err := json.Unmarshal(top["AuthenticationProfileSummaryList"], &sums); err != nil {
		return fmt.Errorf("list-authentication-profiles output: %w", err)
	}
	for _, p := range sums {
		l.Profiles = append(l.Profiles, AuthProfileSummary{ID: p.ID, ARN: p.Arn, Name: p.Name, IsDefault: p.IsDefault})
		if l.InstanceID == "" {
			l.InstanceID = profileInstance(p.Arn)
		}
	}
	json.Unmarshal(top["InstanceId"], &l.InstanceID)
	var next string
	json.Unmarshal(top["NextToken"], &next)
	l.Partial = next != ""
	s.AuthProfileLists = append(s.AuthProfileLists, l)
	return nil
}

// profileInstance is the instance an authentication profile's ARN names:
// arn:aws:connect:REGION:ACCOUNT:instance/INSTANCE-ID/authentication-profile/ID.
func profileInstance(arn string) string {
	rest, ok := strings.CutPrefix(arnPart(arn, 5), "instance/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

// loadAuthProfile reads aws connect describe-authentication-profile.
func (s *Set) loadAuthProfile(name string, top map[string]json.RawMessage) error {
	var p struct {
		ID                               string   `json:"Id"`
		Arn                              string   `json:"Arn"`
		Name                             string   `json:"Name"`
		IsDefault                        bool     `json:"IsDefault"`
		AllowedIps                       []string `json:"AllowedIps"`
		BlockedIps                       []string `json:"BlockedIps"`
		MaxSessionDuration               *int     `json:"MaxSessionDuration"`
		SessionInactivityDuration        *int     `json:"SessionInactivityDuration"`
		SessionInactivityHandlingEnabled *bool    `json:"SessionInactivityHandlingEnabled"`
		LastModifiedTime                 any      `json:"LastModifiedTime"`
	}
	if err := json.Unmarshal(top["AuthenticationProfile"], &p); err != nil {
		return fmt.Errorf("describe-authentication-profile output: %w", err)
	}
	ap := &AuthProfile{ID: p.ID, ARN: p.Arn, Name: p.Name, IsDefault: p.IsDefault, AllowedIps: p.AllowedIps, BlockedIps: p.BlockedIps,
		InactivitySignOut: p.SessionInactivityHandlingEnabled, Source: s.source(name, "aws connect describe-authentication-profile")}
	if p.MaxSessionDuration != nil {
		ap.MaxSession = time.Duration(*p.MaxSessionDuration) * time.Minute
	}
	if p.SessionInactivityDuration != nil {
		ap.Inactivity = time.Duration(*p.SessionInactivityDuration) * time.Minute
	}
	ap.LastModified = awsTime(p.LastModifiedTime)
	ap.InstanceID = profileInstance(p.Arn)
	s.AuthProfiles = append(s.AuthProfiles, ap)
	return nil
}

// awsTime reads a timestamp as the AWS CLI prints it: ISO 8601, or
// seconds since the epoch.
func awsTime(v any) time.Time {
	switch t := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"} {
			if x, err := time.Parse(layout, t); err == nil {
				return x.UTC()
			}
		}
	case float64:
		return time.Unix(int64(t), 0).UTC()
	}
	return time.Time{}
}

// loadApprovedOrigins reads aws connect list-approved-origins.
func (s *Set) loadApprovedOrigins(name string, top map[string]json.RawMessage) error {
	var l ApprovedOrigins
	if err := json.Unmarshal(top["Origins"], &l.Origins); err != nil {
		return fmt.Errorf("list-approved-origins output: %w", err)
	}
	json.Unmarshal(top["InstanceId"], &l.InstanceID)
	var next string
	json.Unmarshal(top["NextToken"], &next)
	l.Partial = next != ""
	l.Source = s.source(name, "aws connect list-approved-origins")
	s.ApprovedOrigins = append(s.ApprovedOrigins, &l)
	return nil
}

// OriginsOf is the approved-origins list of an instance: the one that
// names it, else the only one that names no instance.
func (s *Set) OriginsOf(instanceID string) *ApprovedOrigins {
	var unnamed []*ApprovedOrigins
	for _, l := range s.ApprovedOrigins {
		if l.InstanceID != "" && l.InstanceID == instanceID {
			return l
		}
		if l.InstanceID == "" {
			unnamed = append(unnamed, l)
		}
	}
	if len(unnamed) == 1 {
		return unnamed[0]
	}
	return nil
}

// AuthProfileOf is the authentication profile that applies to an
// instance's agents as far as the evidence tells: the instance's default
// profile, else the only profile read (of that instance, or naming
// none).
func (s *Set) AuthProfileOf(instanceID string) *AuthProfile {
	var mine []*AuthProfile
	for _, p := range s.AuthProfiles {
		if p.InstanceID == "" || instanceID == "" || p.InstanceID == instanceID {
			mine = append(mine, p)
		}
	}
	for _, p := range mine {
		if p.IsDefault {
			return p
		}
	}
	if len(mine) == 1 {
		return mine[0]
	}
	return nil
}
