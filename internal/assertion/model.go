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
	Kind string `json:"kind"`
	// Namespace of the root element as found.
	Namespace string `json:"namespace"`
	// Wrapper is the local name of the element the message came wrapped
	// in (a SOAP Envelope), if any.
	Wrapper      string  `json:"wrapper,omitempty"`
	ID           string  `json:"id,omitempty"`
	Version      string  `json:"version,omitempty"`
	IssueInstant *Time   `json:"issueInstant,omitempty"`
	Destination  string  `json:"destination,omitempty"`
	InResponseTo string  `json:"inResponseTo,omitempty"`
	Issuer       string  `json:"issuer,omitempty"`
	Status       *Status `json:"status,omitempty"`
	// Request is set for AuthnRequest messages.
	Request *Request `json:"request,omitempty"`

	Assertions          []Assertion          `json:"assertions"`
	EncryptedAssertions []EncryptedAssertion `json:"encryptedAssertions,omitempty"`
	Signatures          []Signature          `json:"signatures"`
	Anomalies           []Anomaly            `json:"anomalies"`
	// AWS is the view AWS sign-in takes of the assertion it would consume.
	// It is reported beside the message, not inside the SAML model.
	AWS *AWS `json:"-"`
}

// Time is a timestamp as written and as parsed.
type Time struct {
	Raw  string    `json:"raw"`
	Time time.Time `json:"time,omitzero"`
	// Err says why Raw did not parse.
	Err string `json:"error,omitempty"`
}

// Valid reports whether the timestamp parsed.
func (t *Time) Valid() bool { return t != nil && t.Err == "" }

// Status is a Response's samlp:Status.
type Status struct {
	Code    string `json:"code"`
	SubCode string `json:"subCode,omitempty"`
	Message string `json:"message,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Success reports whether the status code is Success.
func (s *Status) Success() bool { return s != nil && s.Code == StatusSuccess }

// Request holds the fields of an AuthnRequest that matter for diagnosis.
type Request struct {
	AssertionConsumerServiceURL string `json:"assertionConsumerServiceURL,omitempty"`
	ProtocolBinding             string `json:"protocolBinding,omitempty"`
	NameIDPolicyFormat          string `json:"nameIdPolicyFormat,omitempty"`
	ForceAuthn                  string `json:"forceAuthn,omitempty"`
	IsPassive                   string `json:"isPassive,omitempty"`
}

// Assertion is one saml:Assertion.
type Assertion struct {
	// Path locates the element, e.g. /Response/Assertion[1].
	Path            string           `json:"path"`
	ID              string           `json:"id,omitempty"`
	IssueInstant    *Time            `json:"issueInstant,omitempty"`
	Issuer          string           `json:"issuer,omitempty"`
	Subject         *Subject         `json:"subject,omitempty"`
	Conditions      *Conditions      `json:"conditions,omitempty"`
	AuthnStatements []AuthnStatement `json:"authnStatements,omitempty"`
	Attributes      []Attribute      `json:"attributes"`
}

// Subject is an assertion's saml:Subject.
type Subject struct {
	NameID        *NameID               `json:"nameId,omitempty"`
	Confirmations []SubjectConfirmation `json:"confirmations"`
}

// NameID is a saml:NameID.
type NameID struct {
	Value           string `json:"value"`
	Format          string `json:"format,omitempty"`
	NameQualifier   string `json:"nameQualifier,omitempty"`
	SPNameQualifier string `json:"spNameQualifier,omitempty"`
}

// SubjectConfirmation is one saml:SubjectConfirmation with its data.
type SubjectConfirmation struct {
	Method       string `json:"method"`
	HasData      bool   `json:"hasData"`
	Recipient    string `json:"recipient,omitempty"`
	NotBefore    *Time  `json:"notBefore,omitempty"`
	NotOnOrAfter *Time  `json:"notOnOrAfter,omitempty"`
	InResponseTo string `json:"inResponseTo,omitempty"`
	Address      string `json:"address,omitempty"`
}

// Conditions is an assertion's saml:Conditions.
type Conditions struct {
	NotBefore    *Time    `json:"notBefore,omitempty"`
	NotOnOrAfter *Time    `json:"notOnOrAfter,omitempty"`
	Audiences    []string `json:"audiences"`
}

// AuthnStatement is one saml:AuthnStatement.
type AuthnStatement struct {
	AuthnInstant         *Time  `json:"authnInstant,omitempty"`
	SessionNotOnOrAfter  *Time  `json:"sessionNotOnOrAfter,omitempty"`
	SessionIndex         string `json:"sessionIndex,omitempty"`
	AuthnContextClassRef string `json:"authnContextClassRef,omitempty"`
}

// Attribute is one saml:Attribute with all its values.
type Attribute struct {
	Name         string   `json:"name"`
	NameFormat   string   `json:"nameFormat,omitempty"`
	FriendlyName string   `json:"friendlyName,omitempty"`
	Values       []string `json:"values"`
}

// EncryptedAssertion is a saml:EncryptedAssertion, which cannot be read
// without the service provider's private key.
type EncryptedAssertion struct {
	Path               string `json:"path"`
	EncryptionMethod   string `json:"encryptionMethod,omitempty"`
	KeyTransportMethod string `json:"keyTransportMethod,omitempty"`
}

// Signature is one ds:Signature, as written (not verified).
type Signature struct {
	// Covers is the path of the element the signature sits in.
	Covers string `json:"covers"`
	// CoversID is that element's ID attribute.
	CoversID               string        `json:"coversId,omitempty"`
	ReferenceURI           string        `json:"referenceUri"`
	References             int           `json:"references"`
	CanonicalizationMethod string        `json:"canonicalizationMethod,omitempty"`
	SignatureMethod        string        `json:"signatureMethod,omitempty"`
	DigestMethod           string        `json:"digestMethod,omitempty"`
	Transforms             []string      `json:"transforms,omitempty"`
	Certificates           []Certificate `json:"certificates"`
	HasKeyInfo             bool          `json:"hasKeyInfo"`
	// Redacted is set when samldoctor redact removed the SignatureValue.
	Redacted bool `json:"redacted,omitempty"`
}

// RedactedSignature replaces a SignatureValue in a redacted capture.
const RedactedSignature = "REDACTED-BY-SAMLDOCTOR"

// Certificate describes an X.509 certificate found in a KeyInfo.
type Certificate struct {
	Subject   string    `json:"subject,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	Serial    string    `json:"serial,omitempty"`
	NotBefore time.Time `json:"notBefore,omitzero"`
	NotAfter  time.Time `json:"notAfter,omitzero"`
	SHA256    string    `json:"sha256,omitempty"`
	// Err says why the certificate could not be read.
	Err string `json:"error,omitempty"`
	// DER is the certificate as found (not printed).
	DER []byte `json:"-"`
}

// Anomaly is something odd about the document, with where it was seen.
type Anomaly struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

// AWS is what AWS sign-in reads from the assertion it consumes.
type AWS struct {
	// Assertion is the path of the assertion read.
	Assertion string `json:"assertion"`
	Roles     []Role `json:"roles"`
	// RoleSessionName is the first value; RoleSessionNameValues lists every
	// value when there is not exactly one.
	RoleSessionName       string   `json:"roleSessionName"`
	RoleSessionNameValues []string `json:"roleSessionNameValues,omitempty"`
	HasRoleSessionName    bool     `json:"hasRoleSessionName"`
	SessionDuration       string   `json:"sessionDuration,omitempty"`
	SourceIdentity        string   `json:"sourceIdentity,omitempty"`
	PrincipalTags         []Tag    `json:"principalTags,omitempty"`
	TransitiveTagKeys     []string `json:"transitiveTagKeys,omitempty"`
	HasRoleAttribute      bool     `json:"hasRoleAttribute"`
	// NearMisses are attributes whose names differ from AWS's only by case,
	// scheme, white space, or that use the AWS name as FriendlyName.
	NearMisses []NearMiss `json:"nearMisses,omitempty"`
}

// Role is one value of the Role attribute, split.
type Role struct {
	Value       string `json:"value"`
	RoleArn     string `json:"roleArn,omitempty"`
	ProviderArn string `json:"providerArn,omitempty"`
	// Problem says why the value is not a valid role/provider pair.
	Problem string `json:"problem,omitempty"`
}

// Tag is a session tag sent as a PrincipalTag attribute.
type Tag struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// NearMiss is an attribute that looks like an AWS attribute but is not
// named exactly as AWS requires.
type NearMiss struct {
	Found    string `json:"found"`
	Expected string `json:"expected"`
	How      string `json:"how"`
}
