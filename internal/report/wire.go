package report

// The JSON output is a contract: these types are its wire form, documented
// field by field in docs/json.md (TestJSONDoc holds the two together), and
// the domain packages carry no output tags. A field is only ever added
// within a schemaVersion; renaming, removing or changing the meaning of
// one bumps it.

import (
	"encoding/json"
	"time"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/awsarn"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/evidence"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
	"github.com/samldoctor/samldoctor/internal/idp"
	"github.com/samldoctor/samldoctor/internal/signin"
)

// SchemaVersion is the version of the JSON output. 2: fixes carry typed
// changes, a check, files and alternatives; findings may be downgraded.
const SchemaVersion = 2

// Source is one input file.
type Source struct {
	File      string      `json:"file"`
	Format    string      `json:"format"`
	Gzip      bool        `json:"gzip,omitempty"`
	Creator   string      `json:"creator,omitempty"`
	Entries   int         `json:"entries"`
	Bytes     int64       `json:"bytes"`
	Truncated *Truncation `json:"truncated,omitempty"`
}

// Truncation is where a file that ends early stopped.
type Truncation struct {
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// Warning is something about the input a person should know.
type Warning struct {
	File    string `json:"file"`
	Entry   int    `json:"entry"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// Place is one place a message was seen.
type Place struct {
	File        string    `json:"file"`
	Entry       int       `json:"entry"`
	Time        time.Time `json:"time,omitzero"`
	ServerDate  time.Time `json:"serverDate,omitzero"`
	Method      string    `json:"method,omitempty"`
	URL         string    `json:"url,omitempty"`
	Where       string    `json:"where"`
	FormAction  string    `json:"formAction,omitempty"`
	RoleChooser bool      `json:"roleChooser,omitempty"`
	RelayState  string    `json:"relayState,omitempty"`
	RoleIndex   string    `json:"roleIndex,omitempty"`
	Status      int       `json:"status,omitempty"`
}

// Message is one SAML message, however often it was seen.
type Message struct {
	Type         string   `json:"type"`
	Binding      string   `json:"binding"`
	Seen         []Place  `json:"seen"`
	RelayState   string   `json:"relayState"`
	RoleIndex    string   `json:"roleIndex,omitempty"`
	Encoding     []string `json:"encoding"`
	Notes        []string `json:"notes,omitempty"`
	DecodeError  string   `json:"decodeError,omitempty"`
	Hostile      bool     `json:"hostile,omitempty"`
	ParseError   string   `json:"parseError,omitempty"`
	AWS          *AWS     `json:"aws"`
	SAML         *SAML    `json:"saml,omitempty"`
	DecryptError string   `json:"decryptError,omitempty"`
	Decrypted    bool     `json:"decrypted,omitempty"`
}

// AWS is what AWS sign-in reads from the message, and its RelayState.
type AWS struct {
	Assertion             string      `json:"assertion"`
	Roles                 []Role      `json:"roles"`
	RoleSessionName       string      `json:"roleSessionName"`
	RoleSessionNameValues []string    `json:"roleSessionNameValues,omitempty"`
	HasRoleSessionName    bool        `json:"hasRoleSessionName"`
	SessionDuration       string      `json:"sessionDuration,omitempty"`
	SourceIdentity        string      `json:"sourceIdentity,omitempty"`
	PrincipalTags         []Tag       `json:"principalTags,omitempty"`
	TransitiveTagKeys     []string    `json:"transitiveTagKeys,omitempty"`
	HasRoleAttribute      bool        `json:"hasRoleAttribute"`
	NearMisses            []NearMiss  `json:"nearMisses,omitempty"`
	RelayState            *RelayState `json:"relayState,omitempty"`
}

// Role is one value of the Role attribute.
type Role struct {
	Value       string `json:"value"`
	RoleArn     string `json:"roleArn,omitempty"`
	ProviderArn string `json:"providerArn,omitempty"`
	Problem     string `json:"problem,omitempty"`
}

// Tag is a session tag.
type Tag struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// NearMiss is an attribute named almost like one of AWS's.
type NearMiss struct {
	Found    string `json:"found"`
	Expected string `json:"expected"`
	How      string `json:"how"`
}

// RelayState is a RelayState read against the Connect federation URL.
type RelayState struct {
	Raw         string   `json:"raw"`
	Kind        string   `json:"kind"`
	Partition   string   `json:"partition,omitempty"`
	Region      string   `json:"region,omitempty"`
	InstanceID  string   `json:"instanceId,omitempty"`
	Destination string   `json:"destination,omitempty"`
	NewDomain   bool     `json:"newDomain,omitempty"`
	Problems    []string `json:"problems,omitempty"`
}

// SAML is a parsed SAML message.
type SAML struct {
	Kind                string               `json:"kind"`
	Namespace           string               `json:"namespace"`
	Wrapper             string               `json:"wrapper,omitempty"`
	ID                  string               `json:"id,omitempty"`
	Version             string               `json:"version,omitempty"`
	IssueInstant        *Time                `json:"issueInstant,omitempty"`
	Destination         string               `json:"destination,omitempty"`
	InResponseTo        string               `json:"inResponseTo,omitempty"`
	Issuer              string               `json:"issuer,omitempty"`
	Status              *Status              `json:"status,omitempty"`
	Request             *Request             `json:"request,omitempty"`
	Assertions          []Assertion          `json:"assertions"`
	EncryptedAssertions []EncryptedAssertion `json:"encryptedAssertions,omitempty"`
	Signatures          []Signature          `json:"signatures"`
	Anomalies           []Anomaly            `json:"anomalies"`
}

// Time is a timestamp as written and as parsed.
type Time struct {
	Raw   string    `json:"raw"`
	Time  time.Time `json:"time,omitzero"`
	Error string    `json:"error,omitempty"`
}

// Status is a Response's samlp:Status.
type Status struct {
	Code    string `json:"code"`
	SubCode string `json:"subCode,omitempty"`
	Message string `json:"message,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Request is what an AuthnRequest asks for.
type Request struct {
	AssertionConsumerServiceURL string `json:"assertionConsumerServiceURL,omitempty"`
	ProtocolBinding             string `json:"protocolBinding,omitempty"`
	NameIDPolicyFormat          string `json:"nameIdPolicyFormat,omitempty"`
	ForceAuthn                  string `json:"forceAuthn,omitempty"`
	IsPassive                   string `json:"isPassive,omitempty"`
}

// Assertion is one saml:Assertion.
type Assertion struct {
	Path            string            `json:"path"`
	ID              string            `json:"id,omitempty"`
	IssueInstant    *Time             `json:"issueInstant,omitempty"`
	Issuer          string            `json:"issuer,omitempty"`
	Subject         *AssertionSubject `json:"subject,omitempty"`
	Conditions      *Conditions       `json:"conditions,omitempty"`
	AuthnStatements []AuthnStatement  `json:"authnStatements,omitempty"`
	Attributes      []Attribute       `json:"attributes"`
}

// AssertionSubject is an assertion's saml:Subject.
type AssertionSubject struct {
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

// SubjectConfirmation is one saml:SubjectConfirmation and its data.
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

// Attribute is one saml:Attribute.
type Attribute struct {
	Name         string   `json:"name"`
	NameFormat   string   `json:"nameFormat,omitempty"`
	FriendlyName string   `json:"friendlyName,omitempty"`
	Values       []string `json:"values"`
}

// EncryptedAssertion is a saml:EncryptedAssertion.
type EncryptedAssertion struct {
	Path               string `json:"path"`
	EncryptionMethod   string `json:"encryptionMethod,omitempty"`
	KeyTransportMethod string `json:"keyTransportMethod,omitempty"`
}

// Signature is one ds:Signature as written.
type Signature struct {
	Covers                 string        `json:"covers"`
	CoversID               string        `json:"coversId,omitempty"`
	ReferenceURI           string        `json:"referenceUri"`
	References             int           `json:"references"`
	CanonicalizationMethod string        `json:"canonicalizationMethod,omitempty"`
	SignatureMethod        string        `json:"signatureMethod,omitempty"`
	DigestMethod           string        `json:"digestMethod,omitempty"`
	Transforms             []string      `json:"transforms,omitempty"`
	Certificates           []Certificate `json:"certificates"`
	HasKeyInfo             bool          `json:"hasKeyInfo"`
	Redacted               bool          `json:"redacted,omitempty"`
}

// Certificate is an X.509 certificate found in a KeyInfo.
type Certificate struct {
	Subject   string    `json:"subject,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	Serial    string    `json:"serial,omitempty"`
	NotBefore time.Time `json:"notBefore,omitzero"`
	NotAfter  time.Time `json:"notAfter,omitzero"`
	SHA256    string    `json:"sha256,omitempty"`
	Error     string    `json:"error,omitempty"`
}

// Anomaly is something odd about the document.
type Anomaly struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

// Page is a response along the sign-in path.
type Page struct {
	File       string           `json:"file"`
	Entry      int              `json:"entry"`
	Time       time.Time        `json:"time,omitzero"`
	ServerDate time.Time        `json:"serverDate,omitzero"`
	Method     string           `json:"method"`
	URL        string           `json:"url"`
	Stage      string           `json:"stage"`
	Status     int              `json:"status"`
	StatusText string           `json:"statusText,omitempty"`
	Location   string           `json:"location,omitempty"`
	MimeType   string           `json:"mimeType,omitempty"`
	Body       string           `json:"body"`
	Form       string           `json:"form,omitempty"`
	Errors     []ErrorPageMatch `json:"errors,omitempty"`
	// ReferrerOrigin is the origin of the page that made the request
	// (the site embedding the CCP, for a Connect page).
	ReferrerOrigin string   `json:"referrerOrigin,omitempty"`
	RoleChooser    bool     `json:"roleChooser,omitempty"`
	RoleOptions    []string `json:"roleOptions,omitempty"`
}

// ErrorPageMatch is a known error text found on a page.
type ErrorPageMatch struct {
	ID      string `json:"id"`
	Text    string `json:"text"`
	Excerpt string `json:"excerpt"`
	// Product, Cause, Code and Docs are set for an identity provider's
	// error page (id idp.error_page): the product (idp ids), the cause
	// its code means (a finding id: idp.user_not_assigned, ...), the
	// code as shown (AADSTS50105) and the product's page about it.
	Product string `json:"product,omitempty"`
	Cause   string `json:"cause,omitempty"`
	Code    string `json:"code,omitempty"`
	Docs    string `json:"docs,omitempty"`
}

// Verification is the verdict on one signature.
type Verification struct {
	Covers          string       `json:"covers"`
	CoversID        string       `json:"coversId,omitempty"`
	Status          string       `json:"status"`
	CertSource      string       `json:"certSource,omitempty"`
	Certificate     *Certificate `json:"certificate,omitempty"`
	Reason          string       `json:"reason,omitempty"`
	Detail          string       `json:"detail,omitempty"`
	SignatureMethod string       `json:"signatureMethod,omitempty"`
	DigestMethod    string       `json:"digestMethod,omitempty"`
	Weak            bool         `json:"weak,omitempty"`
	CoversConsumed  bool         `json:"coversConsumed"`
}

// IdP is the identity-provider product named, and why.
type IdP struct {
	Product  string    `json:"product"`
	Name     string    `json:"name"`
	Evidence []IdPClue `json:"evidence"`
	Reason   string    `json:"reason,omitempty"`
}

// IdPClue is one piece of evidence for a product.
type IdPClue struct {
	Product string `json:"product"`
	Kind    string `json:"kind"`
	Value   string `json:"value"`
	Where   string `json:"where"`
	Says    string `json:"says"`
	Weight  int    `json:"weight"`
}

// AWSDataSource is an AWS evidence file (or live call) that was read.
type AWSDataSource struct {
	File string `json:"file,omitempty"`
	Kind string `json:"kind"`
}

// Subject is the sign-in under diagnosis.
type Subject struct {
	Message         int       `json:"message"`
	Issuer          string    `json:"issuer,omitempty"`
	NameID          string    `json:"nameId,omitempty"`
	RoleSessionName string    `json:"roleSessionName,omitempty"`
	RoleArn         string    `json:"roleArn,omitempty"`
	ProviderArn     string    `json:"providerArn,omitempty"`
	Partition       string    `json:"partition,omitempty"`
	Account         string    `json:"account,omitempty"`
	Region          string    `json:"region,omitempty"`
	InstanceID      string    `json:"instanceId,omitempty"`
	PostedTo        string    `json:"postedTo,omitempty"`
	At              time.Time `json:"at,omitzero"`
}

// Symptom is what the person saw.
type Symptom struct {
	ID       string     `json:"id"`
	Text     string     `json:"text"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is one thing seen, and where.
type Evidence struct {
	What  string `json:"what"`
	Value string `json:"value,omitempty"`
	Where string `json:"where"`
}

// Finding is one judgement.
type Finding struct {
	ID           string     `json:"id"`
	Severity     string     `json:"severity"`
	Stage        string     `json:"stage"`
	Title        string     `json:"title"`
	Detail       string     `json:"detail,omitempty"`
	Downgraded   string     `json:"downgraded,omitempty"`
	ExplainedBy  string     `json:"explainedBy,omitempty"`
	Evidence     []Evidence `json:"evidence"`
	Explains     []string   `json:"explains"`
	Fix          *Fix       `json:"fix,omitempty"`
	Alternatives []Fix      `json:"alternatives,omitempty"`
	Wrong        []Wrong    `json:"wrong,omitempty"`
}

// Attempt is one sign-in of a capture that holds several.
type Attempt struct {
	Index           int       `json:"index"`
	Started         time.Time `json:"started,omitzero"`
	Issuer          string    `json:"issuer,omitempty"`
	RoleSessionName string    `json:"roleSessionName,omitempty"`
	RoleArn         string    `json:"roleArn,omitempty"`
	Outcome         string    `json:"outcome"`
	Verdict         string    `json:"verdict"`
	Symptoms        []string  `json:"symptoms"`
	Findings        []Finding `json:"findings"`
}

func wireAttempts(l []diagnose.Attempt) []Attempt {
	out := []Attempt{}
	for _, a := range l {
		w := Attempt{Index: a.Index, Started: a.Started, Outcome: a.Outcome, Verdict: a.Verdict, Symptoms: orEmpty(a.Symptoms), Findings: wireFindings(a.Result.Findings)}
		if s := a.Subject; s != nil {
			w.Issuer, w.RoleSessionName, w.RoleArn = s.Issuer, s.RoleSessionName, s.RoleArn
		}
		out = append(out, w)
	}
	return out
}

// Wrong is a value of the SAML message the first fix changes, with what
// it should be.
type Wrong struct {
	Field    string `json:"field"`
	Value    string `json:"value"`
	Expected string `json:"expected"`
}

// Fix is how to repair a finding: changes, what is rendered from them, and
// the check of them.
type Fix struct {
	Summary    string   `json:"summary"`
	Changes    []Change `json:"changes"`
	Check      Check    `json:"check"`
	Steps      []string `json:"steps,omitempty"`
	Commands   []string `json:"commands,omitempty"`
	Files      []File   `json:"files,omitempty"`
	IdP        string   `json:"idp,omitempty"`
	IdPProduct string   `json:"idpProduct,omitempty"`
	IdPSteps   []string `json:"idpSteps,omitempty"`
	// IdPCode are the indexes of IdPSteps that are configuration text.
	IdPCode  []int  `json:"idpCode,omitempty"`
	IdPDocs  string `json:"idpDocs,omitempty"`
	DataLoss string `json:"dataLoss,omitempty"`
}

// Change is one typed change.
type Change struct {
	Kind           string          `json:"kind"`
	Attribute      string          `json:"attribute,omitempty"`
	Value          string          `json:"value,omitempty"`
	Source         string          `json:"source,omitempty"`
	Transform      string          `json:"transform,omitempty"`
	Scope          string          `json:"scope,omitempty"`
	Roles          []string        `json:"roles,omitempty"`
	OffsetSeconds  int64           `json:"offsetSeconds,omitempty"`
	Role           string          `json:"role,omitempty"`
	Policy         string          `json:"policy,omitempty"`
	Managed        bool            `json:"managed,omitempty"`
	Statement      int             `json:"statement,omitempty"`
	Edit           string          `json:"edit,omitempty"`
	Document       json.RawMessage `json:"document,omitempty"`
	Provider       string          `json:"provider,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	UserID         string          `json:"userId,omitempty"`
	Tags           []string        `json:"tags,omitempty"`
	TransitiveKeys []string        `json:"transitiveKeys,omitempty"`
}

// Check is what applying a fix's changes and diagnosing again found.
type Check struct {
	Result    string   `json:"result"`
	After     []string `json:"after"`
	Why       string   `json:"why"`
	Uncovered []string `json:"uncovered,omitempty"`
	Breaks    []string `json:"breaks,omitempty"`
}

// File is a file a fix's commands read.
type File struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// Converters from the domain types.

func wireSources(l []capture.Source) []Source {
	out := make([]Source, len(l))
	for i, s := range l {
		out[i] = Source{File: s.File, Format: s.Format, Gzip: s.Gzip, Creator: s.Creator, Entries: s.Entries, Bytes: s.Bytes}
		if t := s.Truncated; t != nil {
			out[i].Truncated = &Truncation{Offset: t.Offset, Message: t.Message}
		}
	}
	return out
}

func wireWarnings(l []capture.Warning) []Warning {
	out := make([]Warning, len(l))
	for i, w := range l {
		out[i] = Warning(w)
	}
	return out
}

func wireMessages(l []*capture.Message) []Message {
	out := make([]Message, len(l))
	for i, m := range l {
		w := Message{Type: m.Type, Binding: m.Binding, RelayState: m.RelayState, RoleIndex: m.RoleIndex, Encoding: orEmpty(m.Encoding), Notes: m.Notes,
			DecodeError: m.DecodeError, Hostile: m.Hostile, ParseError: m.ParseError, DecryptError: m.DecryptError, Decrypted: m.Decrypted, Seen: []Place{}}
		for _, p := range m.Seen {
			w.Seen = append(w.Seen, Place{File: p.File, Entry: p.Entry, Time: p.Time, ServerDate: p.ServerDate, Method: p.Method, URL: p.URL, Where: p.Where,
				FormAction: p.FormAction, RoleChooser: p.RoleChooser, RelayState: p.RelayState, RoleIndex: p.RoleIndex, Status: p.Status})
		}
		if m.AWS != nil {
			w.AWS = wireAWS(m.AWS, signin.RelayState(m))
		}
		w.SAML = wireSAML(m.Parsed)
		out[i] = w
	}
	return out
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func wireAWS(a *assertion.AWS, rs *awsarn.RelayState) *AWS {
	w := &AWS{Roles: []Role{}}
	if a != nil {
		w = &AWS{Assertion: a.Assertion, Roles: []Role{}, RoleSessionName: a.RoleSessionName, RoleSessionNameValues: a.RoleSessionNameValues,
			HasRoleSessionName: a.HasRoleSessionName, SessionDuration: a.SessionDuration, SourceIdentity: a.SourceIdentity,
			TransitiveTagKeys: a.TransitiveTagKeys, HasRoleAttribute: a.HasRoleAttribute}
		for _, r := range a.Roles {
			w.Roles = append(w.Roles, Role(r))
		}
		for _, t := range a.PrincipalTags {
			w.PrincipalTags = append(w.PrincipalTags, Tag(t))
		}
		for _, n := range a.NearMisses {
			w.NearMisses = append(w.NearMisses, NearMiss(n))
		}
	}
	if rs != nil {
		r := RelayState(*rs)
		w.RelayState = &r
	}
	return w
}

func wireTime(t *assertion.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{Raw: t.Raw, Time: t.Time, Error: t.Err}
}

func wireCert(c assertion.Certificate) Certificate {
	return Certificate{Subject: c.Subject, Issuer: c.Issuer, Serial: c.Serial, NotBefore: c.NotBefore, NotAfter: c.NotAfter, SHA256: c.SHA256, Error: c.Err}
}

func wireSAML(m *assertion.Message) *SAML {
	if m == nil {
		return nil
	}
	w := &SAML{Kind: m.Kind, Namespace: m.Namespace, Wrapper: m.Wrapper, ID: m.ID, Version: m.Version, IssueInstant: wireTime(m.IssueInstant),
		Destination: m.Destination, InResponseTo: m.InResponseTo, Issuer: m.Issuer,
		Assertions: []Assertion{}, Signatures: []Signature{}, Anomalies: []Anomaly{}}
	if m.Status != nil {
		s := Status(*m.Status)
		w.Status = &s
	}
	if m.Request != nil {
		r := Request(*m.Request)
		w.Request = &r
	}
	for _, a := range m.Assertions {
		wa := Assertion{Path: a.Path, ID: a.ID, IssueInstant: wireTime(a.IssueInstant), Issuer: a.Issuer, Attributes: []Attribute{}}
		if s := a.Subject; s != nil {
			ws := &AssertionSubject{Confirmations: []SubjectConfirmation{}}
			if s.NameID != nil {
				n := NameID(*s.NameID)
				ws.NameID = &n
			}
			for _, c := range s.Confirmations {
				ws.Confirmations = append(ws.Confirmations, SubjectConfirmation{Method: c.Method, HasData: c.HasData, Recipient: c.Recipient,
					NotBefore: wireTime(c.NotBefore), NotOnOrAfter: wireTime(c.NotOnOrAfter), InResponseTo: c.InResponseTo, Address: c.Address})
			}
			wa.Subject = ws
		}
		if c := a.Conditions; c != nil {
			wa.Conditions = &Conditions{NotBefore: wireTime(c.NotBefore), NotOnOrAfter: wireTime(c.NotOnOrAfter), Audiences: orEmpty(c.Audiences)}
		}
		for _, s := range a.AuthnStatements {
			wa.AuthnStatements = append(wa.AuthnStatements, AuthnStatement{AuthnInstant: wireTime(s.AuthnInstant), SessionNotOnOrAfter: wireTime(s.SessionNotOnOrAfter),
				SessionIndex: s.SessionIndex, AuthnContextClassRef: s.AuthnContextClassRef})
		}
		for _, at := range a.Attributes {
			wa.Attributes = append(wa.Attributes, Attribute{Name: at.Name, NameFormat: at.NameFormat, FriendlyName: at.FriendlyName, Values: orEmpty(at.Values)})
		}
		w.Assertions = append(w.Assertions, wa)
	}
	for _, e := range m.EncryptedAssertions {
		w.EncryptedAssertions = append(w.EncryptedAssertions, EncryptedAssertion(e))
	}
	for _, s := range m.Signatures {
		ws := Signature{Covers: s.Covers, CoversID: s.CoversID, ReferenceURI: s.ReferenceURI, References: s.References, CanonicalizationMethod: s.CanonicalizationMethod,
			SignatureMethod: s.SignatureMethod, DigestMethod: s.DigestMethod, Transforms: s.Transforms, HasKeyInfo: s.HasKeyInfo, Redacted: s.Redacted, Certificates: []Certificate{}}
		for _, c := range s.Certificates {
			ws.Certificates = append(ws.Certificates, wireCert(c))
		}
		w.Signatures = append(w.Signatures, ws)
	}
	for _, a := range m.Anomalies {
		w.Anomalies = append(w.Anomalies, Anomaly(a))
	}
	return w
}

func wirePages(l []capture.Page) []Page {
	out := make([]Page, len(l))
	for i, p := range l {
		w := Page{File: p.File, Entry: p.Entry, Time: p.Time, ServerDate: p.ServerDate, Method: p.Method, URL: p.URL, Stage: p.Stage, Status: p.Status,
			StatusText: p.StatusText, Location: p.Location, MimeType: p.MimeType, Body: p.Body, Form: p.Form, ReferrerOrigin: p.ReferrerOrigin, RoleChooser: p.RoleChooser, RoleOptions: p.RoleOptions}
		for _, e := range p.Errors {
			w.Errors = append(w.Errors, wireMatch(e))
		}
		out[i] = w
	}
	return out
}

func wireMatch(m capture.ErrorMark) ErrorPageMatch { return ErrorPageMatch(m) }

func wireVerifications(l []assertion.Verification) []Verification {
	out := make([]Verification, len(l))
	for i, v := range l {
		out[i] = Verification{Covers: v.Covers, CoversID: v.CoversID, Status: v.Status, CertSource: v.CertSource, Reason: v.Reason, Detail: v.Detail,
			SignatureMethod: v.SignatureMethod, DigestMethod: v.DigestMethod, Weak: v.Weak, CoversConsumed: v.CoversConsumed}
		if v.Cert != nil {
			c := wireCert(*v.Cert)
			out[i].Certificate = &c
		}
	}
	return out
}

func wireIdP(d *idp.Detection) *IdP {
	if d == nil {
		return nil
	}
	w := &IdP{Product: d.Product, Name: d.Name, Reason: d.Reason, Evidence: []IdPClue{}}
	for _, c := range d.Evidence {
		w.Evidence = append(w.Evidence, IdPClue(c))
	}
	return w
}

func wireAWSData(l []evidence.Source) []AWSDataSource {
	out := make([]AWSDataSource, len(l))
	for i, s := range l {
		out[i] = AWSDataSource(s)
	}
	return out
}

func wireEvidence(l []diagnose.Evidence) []Evidence {
	out := make([]Evidence, len(l))
	for i, e := range l {
		out[i] = Evidence(e)
	}
	return out
}

func wireFindings(l []diagnose.Finding) []Finding {
	out := make([]Finding, len(l))
	for i, f := range l {
		w := Finding{ID: f.ID, Severity: f.Severity, Stage: string(f.Stage), Title: f.Title, Detail: f.Detail, Downgraded: f.Downgraded, ExplainedBy: f.ExplainedBy,
			Evidence: wireEvidence(f.Evidence), Explains: orEmpty(f.Explains)}
		if f.Fix != nil {
			fx := wireFix(*f.Fix)
			w.Fix = &fx
		}
		for _, a := range f.Alternatives {
			w.Alternatives = append(w.Alternatives, wireFix(a))
		}
		for _, x := range f.Wrong {
			w.Wrong = append(w.Wrong, Wrong(x))
		}
		out[i] = w
	}
	return out
}

func wireFix(f diagnose.Fix) Fix {
	rf := Render(f)
	w := Fix{Summary: f.Summary, Changes: []Change{}, Steps: rf.Steps, Commands: rf.Commands, IdP: rf.IdP, IdPProduct: rf.IdPProduct, IdPSteps: rf.IdPSteps, IdPCode: rf.IdPCode,
		IdPDocs: rf.IdPDocs, DataLoss: rf.DataLoss}
	for _, c := range f.Changes {
		w.Changes = append(w.Changes, wireChange(c))
	}
	w.Files = rf.Files
	if c := f.Check; c != nil {
		w.Check = Check{Result: c.Result, After: orEmpty(c.After), Why: c.Why, Breaks: c.Breaks}
		for _, s := range c.Uncovered {
			w.Check.Uncovered = append(w.Check.Uncovered, string(s))
		}
	}
	return w
}

// wireChange writes a typed change with the fields its kind has.
func wireChange(c fix.Change) Change {
	w := Change{Kind: string(c.Kind()), Scope: string(fix.ScopeOf(c))}
	doc := func(p *iampolicy.Policy) {
		if p != nil {
			w.Document = json.RawMessage(p.Document())
		}
	}
	user := func(u *evidence.User) {
		if u != nil {
			w.UserID = u.ID
		}
	}
	switch c := c.(type) {
	case fix.SetAttribute:
		w.Attribute, w.Value, w.Source, w.Transform = c.Attribute, c.Value, c.Source, c.Transform
	case fix.SendRoles:
		w.Roles = c.Roles
	case fix.SetAudience:
		w.Value = c.Value
	case fix.SetACS:
		w.Value = c.Value
	case fix.SetRelayState:
		w.Value = c.Value
	case fix.SyncIdPClock:
		w.OffsetSeconds = int64(c.Offset / time.Second)
	case fix.EncryptAssertion:
		w.Provider = c.Provider
	case fix.DropSessionTags:
		w.Tags, w.TransitiveKeys = c.Tags, c.TransitiveKeys
	case fix.EditStatement:
		w.Role, w.Policy, w.Managed, w.Statement, w.Edit = c.Role, c.Policy, c.Managed, c.Statement, c.Edit
		doc(c.Document)
	case fix.PutRolePolicy:
		w.Role, w.Policy = c.Role, c.Policy
		doc(c.Document)
	case fix.UpdateTrustPolicy:
		w.Role, w.Edit = c.Role, c.Edit
		doc(c.Document)
	case fix.UpdateProviderMetadata:
		w.Provider = c.Provider
	case fix.CreateProvider:
		w.Provider = c.Provider
	case fix.SetEncryptionMode:
		w.Provider, w.Value = c.Provider, c.Value
	case fix.AddPrivateKey:
		w.Provider = c.Provider
	case fix.CreateUser:
		w.UserName = c.UserName
		user(c.User)
	case fix.RecreateUser:
		w.UserName = c.UserName
		user(c.User)
	case fix.DeleteUser:
		user(c.User)
	case fix.AddTrafficGroupUser:
		w.Value = c.Value
		user(c.User)
	case fix.AssociateApprovedOrigin:
		w.Value = c.Value
	case fix.SetCCPURL:
		w.Value = c.Value
	case fix.SetLoginPopup:
		w.Value = c.Value
	case fix.SetReferrerPolicy:
		w.Value = c.Value
	case fix.UpdateOrgPolicy:
		w.Policy, w.Value, w.Statement, w.Edit = c.Policy, c.Type, c.Statement, c.Edit
		doc(c.Document)
	}
	return w
}

func wireSymptoms(l []diagnose.Symptom) []Symptom {
	out := make([]Symptom, len(l))
	for i, s := range l {
		out[i] = Symptom{ID: s.ID, Text: s.Text, Evidence: wireEvidence(s.Evidence)}
	}
	return out
}

func wireSubject(s *signin.Subject) *Subject {
	if s == nil {
		return nil
	}
	w := Subject(*s)
	return &w
}
