package signin

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
)

// Subject is the sign-in AWS judged, as the capture tells it.
type Subject struct {
	// Message is the index in the capture's messages.
	Message         int
	Issuer          string
	NameID          string
	RoleSessionName string
	RoleArn         string
	ProviderArn     string
	Partition       string
	Account         string
	Region          string
	InstanceID      string
	// PostedTo is the AWS sign-in endpoint the message was posted to.
	PostedTo string
	// At is the time the sign-in is judged at: AWS's Date header on the
	// POST's response when the capture has it, else the POST's start time.
	At time.Time
}

// Judged is the sign-in of a capture that AWS judged: its message, where
// it was posted, and its subject.
type Judged struct {
	Subject *Subject
	Message *capture.Message
	// Post is the POST of Message to AWS sign-in; Posted is false when
	// the capture does not show one (the last SAMLResponse seen is
	// judged).
	Post   capture.Place
	Posted bool
	// Global is the Global Resiliency sign-in URL Message was posted to,
	// when it was.
	Global *awsarn.GlobalSignIn
	// InstanceFromEvidence is set when the capture does not name the
	// instance and the one instance of the AWS evidence was taken.
	InstanceFromEvidence bool
}

// Instance is an Amazon Connect instance the AWS evidence holds.
type Instance struct {
	ID, Region, Account string
}

// Judge finds the sign-in of a capture that AWS judged: the last
// SAMLResponse posted to AWS sign-in, else the last SAMLResponse seen
// (not an external IdP's response to IAM Identity Center, which is its
// leg of the sign-in). known are the Connect instances the AWS evidence
// holds: the only one is the sign-in's when the capture names none, and
// the sign-in's gives its account. nil when the capture has no such
// SAMLResponse.
func Judge(c *capture.Capture, known []Instance) *Judged {
	idx := -1
	for i, m := range c.Messages {
		if m.Type != "SAMLResponse" {
			continue
		}
		if _, ok := m.PostedToSignIn(); ok {
			idx = i
		}
	}
	if idx < 0 {
		for i, m := range c.Messages {
			if _, toIIC := PostedToIdentityCenter(m); m.Type == "SAMLResponse" && !toIIC {
				idx = i
			}
		}
	}
	if idx < 0 {
		return nil
	}
	m := c.Messages[idx]
	s := &Subject{Message: idx}
	j := &Judged{Subject: s, Message: m}
	if p, ok := m.PostedToSignIn(); ok {
		j.Post, j.Posted = p, true
		s.PostedTo = stripQuery(p.URL)
		if si, ok := awsarn.ParseSignIn(p.URL); ok && si.Global != nil {
			// Its query names the instance, account, role and
			// provider: part of the endpoint, kept.
			j.Global, s.PostedTo = si.Global, p.URL
		}
		s.At = p.Time
		if !p.ServerDate.IsZero() {
			s.At = p.ServerDate
		}
	} else if len(m.Seen) > 0 {
		s.At = m.Seen[0].Time
	}
	if m.Parsed != nil {
		// The assertion a signature covers, by the document's shape;
		// the diagnosis settles it once the signatures are verified.
		s.JudgedOn(m, m.Parsed.Consumed(), m.Parsed.AWS)
	}
	if rs := RelayState(m); rs != nil && rs.Kind == "connect-federation" {
		s.InstanceID, s.Region = rs.InstanceID, rs.Region
		if rs.Region == "" && rs.Partition == "aws-us-gov" {
			s.Region = "us-gov-west-1"
		}
	}
	// A Global Resiliency sign-in needs no RelayState: its URL names the
	// instance.
	if g := j.Global; g != nil {
		if s.InstanceID == "" {
			s.InstanceID, s.Region = g.InstanceID, g.Region
		}
		if s.Account == "" {
			s.Account = g.AccountID
		}
	}
	// Evidence may name the instance when the capture does not.
	if s.InstanceID == "" && len(known) == 1 {
		s.InstanceID, s.Region = known[0].ID, known[0].Region
		j.InstanceFromEvidence = true
	}
	if s.Account == "" {
		for _, i := range known {
			if i.ID == s.InstanceID {
				s.Account = i.Account
			}
		}
	}
	if s.Partition == "" {
		// Connect's own pages name GovCloud when nothing else does
		// (ALIAS.govcloud.connect.aws; Connect there is in us-gov-west-1
		// only).
		for _, p := range c.Pages {
			if part := awsarn.ConnectAppPartition(hostOf(p.URL)); part != "" {
				s.Partition = part
				if s.Region == "" {
					s.Region = "us-gov-west-1"
				}
			}
		}
	}
	if s.Partition == "" {
		s.Partition = "aws"
	}
	return j
}

// SubjectOf is the sign-in of the capture that AWS judged, found without
// judging it and without AWS evidence: what live AWS checks are made
// about. nil when the capture has no SAMLResponse.
func SubjectOf(c *capture.Capture) *Subject {
	j := Judge(c, nil)
	if j == nil {
		return nil
	}
	return j.Subject
}

// JudgedOn reads the subject's names and role from a, the assertion of m
// the sign-in is judged on (v is AWS's view of it): the issuer, the
// NameID, the RoleSessionName, and the Role value used (the only valid
// one, or the role chooser's pick), with its account and partition.
func (s *Subject) JudgedOn(m *capture.Message, a *assertion.Assertion, v *assertion.AWS) {
	s.Issuer, s.NameID, s.RoleSessionName = m.Parsed.Issuer, "", ""
	s.RoleArn, s.ProviderArn = "", ""
	if a != nil {
		if a.Issuer != "" && s.Issuer == "" {
			s.Issuer = a.Issuer
		}
		if sub := a.Subject; sub != nil && sub.NameID != nil {
			s.NameID = sub.NameID.Value
		}
	}
	if v != nil {
		s.RoleSessionName = v.RoleSessionName
		s.pickRole(m, v)
	}
}

// pickRole settles which Role value the sign-in used.
func (s *Subject) pickRole(m *capture.Message, v *assertion.AWS) {
	var valid []assertion.Role
	for _, ro := range v.Roles {
		if ro.Problem == "" || ro.RoleArn != "" && ro.ProviderArn != "" {
			valid = append(valid, ro)
		}
	}
	pick := func(ro assertion.Role) {
		s.RoleArn, s.ProviderArn = ro.RoleArn, ro.ProviderArn
		if a, err := awsarn.Parse(ro.RoleArn); err == nil {
			s.Partition, s.Account = a.Partition, a.Account
		}
	}
	switch {
	case len(valid) == 1:
		pick(valid[0])
	case m.RoleIndex != "":
		for _, ro := range valid {
			if ro.RoleArn == m.RoleIndex {
				pick(ro)
			}
		}
	}
	if s.RoleArn == "" && len(valid) > 0 {
		// Several roles and no pick seen: when every value names the
		// same provider, the provider is known all the same (its
		// certificates judge the signature).
		prov := valid[0].ProviderArn
		for _, ro := range valid {
			if ro.ProviderArn != prov {
				prov = ""
			}
		}
		if prov != "" {
			s.ProviderArn = prov
		}
	}
	if s.RoleArn == "" && len(valid) > 0 {
		// Several roles and no pick seen: the account is still known
		// when every value agrees.
		acct := ""
		for _, ro := range valid {
			a, _ := awsarn.Parse(ro.RoleArn)
			if acct == "" {
				acct = a.Account
			} else if acct != a.Account {
				acct = "-"
			}
		}
		if acct != "-" {
			a, _ := awsarn.Parse(valid[0].RoleArn)
			s.Account, s.Partition = a.Account, a.Partition
		}
	}
}

// identityCenterACSRE is IAM Identity Center's own SAML endpoint, where an
// external IdP (its identity source) posts: the ACS URL its settings show,
// https://REGION.signin.aws.amazon.com/platform/saml/acs/ID.
var identityCenterACSRE = regexp.MustCompile(`^https://(?:[a-z0-9-]+\.)?signin\.(?:aws\.amazon\.com|aws)/platform/saml/acs/`)

// PostedToIdentityCenter reports whether a message went to IAM Identity
// Center's ACS: the external IdP's leg of the sign-in, not AWS sign-in's.
func PostedToIdentityCenter(m *capture.Message) (capture.Place, bool) {
	for _, p := range m.Seen {
		if p.Where == "post" && identityCenterACSRE.MatchString(p.URL) {
			return p, true
		}
	}
	return capture.Place{}, false
}

func stripQuery(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		return u[:i]
	}
	return u
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}
