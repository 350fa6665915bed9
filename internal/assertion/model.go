// Package assertion reads a SAML 2.0 protocol message (a Response, an
// AuthnRequest, a bare Assertion, ...) into a lenient model: it records what
// is there and what is odd, and never stops at the first problem. Broken,
// unsigned, expired, tampered and namespace-less documents all parse.
//
// Nothing here is verified: the model says what the document claims, for
// diagnosis. Signature verification lives beside it and takes its facts only
// from the verified bytes.
package assertion

import "time"

// SAML and XML-DSig namespaces.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"
	NSXEnc      = "http://www.w3.org/2001/04/xmlenc#"

	StatusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	MethodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// AWS attribute names (case-sensitive, as AWS requires).
const (
	AttrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	AttrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	AttrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// Message is one parsed SAML message.
type Message struct {
	// Kind is the root's local name: Response, AuthnRequest, LogoutRequest,
	// LogoutResponse, ArtifactResponse, or Assertion for a bare assertion.
	// Empty when the XML is not a SAML message at all.
	Kind string
	// Namespace of the root element as found.
	Namespace string
	// Wrapper is the local name of the element the message came wrapped
	// in (a SOAP Envelope), if any.
	Wrapper      string
	ID           string
	Version      string
	IssueInstant *Time
	Destination  string
	InResponseTo string
	Issuer       string
	Status       *Status
	// Request is set for AuthnRequest messages.
	Request *Request

	// Assertions are the assertions where SAML puts them: the Response's
	// direct children (or the message itself, for a bare Assertion).
	Assertions []Assertion
	// Misplaced are assertions anywhere else (nested in another
	// assertion, in a Signature, an Extensions or a wrapped Response): the
	// signature-wrapping shapes. A moved signature may cover one of them.
	Misplaced           []Assertion
	EncryptedAssertions []EncryptedAssertion
	Signatures          []Signature
	Anomalies           []Anomaly
	// AWS is the view AWS sign-in takes of the assertion it would consume:
	// the one a signature covers (see Consumed), never an unsigned sibling.
	// It is reported beside the message, not inside the SAML model.
	AWS *AWS
}

// Consumed is the assertion AWS would read (the one AWS names by its
// Path), or nil when the message carries none.
func (m *Message) Consumed() *Assertion {
	if m == nil || m.AWS == nil {
		return nil
	}
	return m.AssertionAt(m.AWS.Assertion)
}

// AssertionAt is the assertion, direct or misplaced, at path.
func (m *Message) AssertionAt(path string) *Assertion {
	for i := range m.Assertions {
		if m.Assertions[i].Path == path {
			return &m.Assertions[i]
		}
	}
	for i := range m.Misplaced {
		if m.Misplaced[i].Path == path {
			return &m.Misplaced[i]
		}
	}
	return nil
}

// Time is a timestamp as written and as parsed.
type Time struct {
	Raw  string
	Time time.Time
	// Err says why Raw did not parse.
	Err string
}

// Valid reports whether the timestamp parsed.
func (t *Time) Valid() bool { return t != nil && t.Err == "" }

// Status is a Response's samlp:Status.
type Status struct {
	Code    string
	SubCode string
	Message string
	Detail  string
}

// Success reports whether the status code is Success.
func (s *Status) Success() bool { return s != nil && s.Code == StatusSuccess }

// Request holds the fields of an AuthnRequest that matter for diagnosis.
type Request struct {
	AssertionConsumerServiceURL string
	ProtocolBinding             string
	NameIDPolicyFormat          string
	ForceAuthn                  string
	IsPassive                   string
}

// Assertion is one saml:Assertion.
type Assertion struct {
	// Path locates the element, e.g. /Response/Assertion[1].
	Path            string
	ID              string
	IssueInstant    *Time
	Issuer          string
	Subject         *Subject
	Conditions      *Conditions
	AuthnStatements []AuthnStatement
	Attributes      []Attribute
}

// Subject is an assertion's saml:Subject.
type Subject struct {
	NameID        *NameID
	Confirmations []SubjectConfirmation
}

// NameID is a saml:NameID.
type NameID struct {
	Value           string
	Format          string
	NameQualifier   string
	SPNameQualifier string
}

// SubjectConfirmation is one saml:SubjectConfirmation with its data.
type SubjectConfirmation struct {
	Method       string
	HasData      bool
	Recipient    string
	NotBefore    *Time
	NotOnOrAfter *Time
	InResponseTo string
	Address      string
}

// Conditions is an assertion's saml:Conditions.
type Conditions struct {
	NotBefore    *Time
	NotOnOrAfter *Time
	Audiences    []string
}

// AuthnStatement is one saml:AuthnStatement.
type AuthnStatement struct {
	AuthnInstant         *Time
	SessionNotOnOrAfter  *Time
	SessionIndex         string
	AuthnContextClassRef string
}

// Attribute is one saml:Attribute with all its values.
type Attribute struct {
	Name         string
	NameFormat   string
	FriendlyName string
	Values       []string
}

// EncryptedAssertion is a saml:EncryptedAssertion, which cannot be read
// without the service provider's private key.
type EncryptedAssertion struct {
	Path               string
	EncryptionMethod   string
	KeyTransportMethod string
}

// Signature is one ds:Signature, as written (not verified).
type Signature struct {
	// Covers is the path of the element the signature sits in.
	Covers string
	// CoversID is that element's ID attribute.
	CoversID               string
	ReferenceURI           string
	References             int
	CanonicalizationMethod string
	SignatureMethod        string
	DigestMethod           string
	Transforms             []string
	Certificates           []Certificate
	HasKeyInfo             bool
	// Redacted is set when samldoctor redact removed the SignatureValue.
	Redacted bool
}

// RedactedSignature replaces a SignatureValue in a redacted capture.
const RedactedSignature = "REDACTED-BY-SAMLDOCTOR"

// Certificate describes an X.509 certificate found in a KeyInfo.
type Certificate struct {
	Subject   string
	Issuer    string
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time
	SHA256    string
	// Err says why the certificate could not be read.
	Err string
	// DER is the certificate as found (not printed).
	DER []byte
}

// Anomaly is something odd about the document, with where it was seen.
type Anomaly struct {
	Code    string
	Message string
	Path    string
}

// AWS is what AWS sign-in reads from the assertion it consumes.
type AWS struct {
	// Assertion is the path of the assertion read.
	Assertion string
	Roles     []Role
	// RoleSessionName is the first value; RoleSessionNameValues lists every
	// value, of every RoleSessionName attribute, when there is not exactly
	// one; RoleSessionNameAttributes counts the attributes (AWS expects
	// one attribute with one value).
	RoleSessionName           string
	RoleSessionNameValues     []string
	RoleSessionNameAttributes int
	HasRoleSessionName        bool
	SessionDuration           string
	SourceIdentity            string
	PrincipalTags             []Tag
	TransitiveTagKeys         []string
	HasRoleAttribute          bool
	// NearMisses are attributes whose names differ from AWS's only by case,
	// scheme, white space, or that use the AWS name as FriendlyName.
	NearMisses []NearMiss
}

// Role is one value of the Role attribute, split.
type Role struct {
	Value       string
	RoleArn     string
	ProviderArn string
	// Problem says why the value is not a valid role/provider pair.
	Problem string
}

// Tag is a session tag sent as a PrincipalTag attribute.
type Tag struct {
	Key    string
	Values []string
}

// NearMiss is an attribute that looks like an AWS attribute but is not
// named exactly as AWS requires.
type NearMiss struct {
	Found    string
	Expected string
	How      string
}
