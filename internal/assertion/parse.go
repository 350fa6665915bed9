package assertion

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/samldoctor/samldoctor/internal/awsarn"
)

// MaxDepth bounds element nesting; SAML needs fewer than 20 levels.
const MaxDepth = 128

// SyntaxError is XML that cannot be read at all.
type SyntaxError struct {
	Err error
}

func (e *SyntaxError) Error() string { return "not well-formed XML: " + e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// HostileError is input built to attack XML parsers: entity declarations
// (billion laughs, XXE). It is refused, never parsed.
type HostileError struct {
	What string
}

func (e *HostileError) Error() string { return "refused: " + e.What }

// ReadDocument parses XML into an etree document with the limits samldoctor
// uses for untrusted input. A DOCTYPE declaring entities is refused before
// parsing (encoding/xml would not expand them, but nothing legitimate in
// SAML declares them); nesting is bounded by MaxDepth.
// CheckDocument reports whether xml is a well-formed document samldoctor
// accepts: no DOCTYPE or entities, not over-deep; a *HostileError says an
// attack shape was refused.
func CheckDocument(xml []byte) error {
	_, err := readDocument(xml)
	return err
}

func readDocument(xml []byte) (*etree.Document, error) {
	if i := bytes.Index(xml, []byte("<!DOCTYPE")); i >= 0 && bytes.Contains(xml[i:], []byte("<!ENTITY")) {
		return nil, &HostileError{What: "the XML declares entities in a DOCTYPE (a billion-laughs or XXE attack shape); SAML messages never do"}
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{MaxDepth: MaxDepth, PreserveCData: true}
	if err := doc.ReadFromBytes(xml); err != nil {
		return nil, &SyntaxError{Err: err}
	}
	if doc.Root() == nil {
		return nil, &SyntaxError{Err: fmt.Errorf("no root element")}
	}
	return doc, nil
}

// Parse reads one SAML message. It fails only when the bytes are not XML;
// everything else is recorded in the model.
func Parse(xml []byte) (*Message, error) {
	doc, err := readDocument(xml)
	if err != nil {
		return nil, err
	}
	p := &parser{m: &Message{Assertions: []Assertion{}, Signatures: []Signature{}, Anomalies: []Anomaly{}}}
	p.checkDirectives(doc)
	root, lenient := findRoot(doc.Root())
	if root == nil {
		p.m.Kind = ""
		p.m.Namespace = doc.Root().NamespaceURI()
		p.anomaly("not-saml", "/"+doc.Root().Tag, "the XML is not a SAML 2.0 message: its root element is <%s>", doc.Root().FullTag())
		return p.m, nil
	}
	p.lenient = lenient
	p.m.Kind = root.Tag
	p.m.Namespace = root.NamespaceURI()
	if root != doc.Root() {
		p.m.Wrapper = doc.Root().Tag
		p.anomalyAt("wrapped", root, "", "the SAML message is wrapped in <%s> (for example a SOAP envelope)", doc.Root().FullTag())
	}
	if lenient {
		p.anomalyAt("foreign-namespace", root, "", "<%s> is not in a SAML 2.0 namespace (namespace %q); AWS will not read it as SAML", root.FullTag(), root.NamespaceURI())
	}
	p.rootPath = path(root)
	p.message(root)
	p.checkIDs(root)
	p.checkNamespaces(root)
	p.signatures(root)
	p.aws()
	p.capped()
	return p.m, nil
}

type parser struct {
	m       *Message
	lenient bool
	// ids counts the elements that carry each ID; idElems holds the first
	// (its path is named only when needed: naming costs a sibling walk).
	ids      map[string]int
	idElems  map[string]*etree.Element
	rootPath string
	// counts are the anomalies seen by code; past maxAnomalies of one
	// code they are counted, not recorded.
	counts map[string]int
}

// maxAnomalies bounds the anomalies recorded of each code: a hostile
// document can have one per element, and naming each element's path costs
// a walk of its siblings, which over hundreds of thousands of elements
// would take hours. Each code keeps its first ones, so a signature-wrapping
// shape is never crowded out by harmless oddities.
const maxAnomalies = 100

func (p *parser) keep(code string) bool {
	if p.counts == nil {
		p.counts = map[string]int{}
	}
	p.counts[code]++
	return p.counts[code] <= maxAnomalies
}

func (p *parser) anomaly(code, at, format string, args ...any) {
	if p.keep(code) {
		p.m.Anomalies = append(p.m.Anomalies, Anomaly{Code: code, Path: at, Message: fmt.Sprintf(format, args...)})
	}
}

// anomalyAt is anomaly at an element, whose path is named only when the
// anomaly is recorded; suffix follows the path (e.g. "/@IssueInstant").
func (p *parser) anomalyAt(code string, e *etree.Element, suffix, format string, args ...any) {
	if p.keep(code) {
		p.m.Anomalies = append(p.m.Anomalies, Anomaly{Code: code, Path: path(e) + suffix, Message: fmt.Sprintf(format, args...)})
	}
}

// capped adds one anomaly per code that had more than it recorded.
func (p *parser) capped() {
	for _, code := range slices.Sorted(maps.Keys(p.counts)) {
		if n := p.counts[code]; n > maxAnomalies {
			p.m.Anomalies = append(p.m.Anomalies, Anomaly{Code: "anomalies-capped", Message: fmt.Sprintf("%d more %s anomalies are not listed", n-maxAnomalies, code)})
		}
	}
}

var protocolKinds = map[string]bool{
	"Response": true, "AuthnRequest": true, "LogoutRequest": true, "LogoutResponse": true,
	"ArtifactResponse": true, "ArtifactResolve": true,
}

// findRoot locates the SAML message: the document root, or the first SAML
// element below a wrapper (SOAP). When nothing is in a SAML namespace it
// falls back to local names and reports lenient=true.
func findRoot(top *etree.Element) (root *etree.Element, lenient bool) {
	isSAML := func(e *etree.Element) bool {
		ns := e.NamespaceURI()
		return (ns == NSProtocol && protocolKinds[e.Tag]) || (ns == NSAssertion && e.Tag == "Assertion")
	}
	isNamed := func(e *etree.Element) bool { return protocolKinds[e.Tag] || e.Tag == "Assertion" }
	if isSAML(top) {
		return top, false
	}
	var found, named *etree.Element
	walk(top, func(e *etree.Element) bool {
		if found != nil {
			return false
		}
		if isSAML(e) {
			found = e
			return false
		}
		if named == nil && isNamed(e) && e.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp" {
			named = e
		}
		return true
	})
	if found != nil {
		return found, false
	}
	if named != nil {
		return named, true
	}
	return nil, false
}

// walk visits e and its descendants depth-first while fn returns true.
func walk(e *etree.Element, fn func(*etree.Element) bool) {
	if !fn(e) {
		return
	}
	for _, c := range e.ChildElements() {
		walk(c, fn)
	}
}

// path names an element by local names and sibling positions.
func path(e *etree.Element) string {
	var parts []string
	for el := e; el != nil; el = el.Parent() {
		if el.Parent() == nil && el.Tag == "" {
			break
		}
		name := el.Tag
		if par := el.Parent(); par != nil {
			n, idx := 0, 0
			for _, s := range par.ChildElements() {
				if s.Tag == el.Tag {
					n++
					if s == el {
						idx = n
					}
				}
			}
			if n > 1 {
				name += "[" + strconv.Itoa(idx) + "]"
			}
		}
		parts = append(parts, name)
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return "/" + strings.Join(parts, "/")
}

// is reports whether e is the SAML element ns:local (by local name alone in
// lenient mode).
func (p *parser) is(e *etree.Element, ns, local string) bool {
	if e.Tag != local {
		return false
	}
	return p.lenient || e.NamespaceURI() == ns
}

func (p *parser) child(e *etree.Element, ns, local string) *etree.Element {
	for _, c := range e.ChildElements() {
		if p.is(c, ns, local) {
			return c
		}
	}
	return nil
}

func (p *parser) children(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if p.is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// text returns an element's character data, trimmed, and records comments
// inside it (the comment-injection trick that truncates values).
func (p *parser) text(e *etree.Element, what string) string {
	var b strings.Builder
	hasComment := false
	for _, t := range e.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Comment:
			hasComment = true
		}
	}
	if hasComment {
		p.anomalyAt("comment-in-value", e, "", "the %s contains an XML comment; parsers disagree on such values (the comment-injection attack), so AWS may read something else than shown", what)
	}
	return strings.TrimSpace(b.String())
}

func (p *parser) time(e *etree.Element, attr string) *Time {
	raw := e.SelectAttrValue(attr, "")
	if raw == "" {
		return nil
	}
	t, err := ParseTime(raw)
	if err != nil {
		p.anomalyAt("bad-time", e, "/@"+attr, "%s=%q is not a valid xs:dateTime: %v", attr, raw, err)
		return &Time{Raw: raw, Err: err.Error()}
	}
	return &Time{Raw: raw, Time: t}
}

// ParseTime parses an xs:dateTime as SAML uses it: RFC 3339 with optional
// fractional seconds; a value without a zone is taken as UTC.
func ParseTime(raw string) (time.Time, error) {
	s := strings.TrimSpace(raw)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("expected a time like 2024-01-02T15:04:05Z")
}

func (p *parser) message(root *etree.Element) {
	m := p.m
	m.ID = root.SelectAttrValue("ID", "")
	m.Version = root.SelectAttrValue("Version", "")
	m.IssueInstant = p.time(root, "IssueInstant")
	m.Destination = root.SelectAttrValue("Destination", "")
	m.InResponseTo = root.SelectAttrValue("InResponseTo", "")
	if iss := p.child(root, NSAssertion, "Issuer"); iss != nil {
		m.Issuer = p.text(iss, "Issuer")
	}
	if root.Tag == "Assertion" {
		p.m.Assertions = append(p.m.Assertions, p.assertion(root))
		return
	}
	if st := p.child(root, NSProtocol, "Status"); st != nil {
		s := &Status{}
		if sc := p.child(st, NSProtocol, "StatusCode"); sc != nil {
			s.Code = sc.SelectAttrValue("Value", "")
			if sub := p.child(sc, NSProtocol, "StatusCode"); sub != nil {
				s.SubCode = sub.SelectAttrValue("Value", "")
			}
		}
		if sm := p.child(st, NSProtocol, "StatusMessage"); sm != nil {
			s.Message = p.text(sm, "StatusMessage")
		}
		if sd := p.child(st, NSProtocol, "StatusDetail"); sd != nil {
			s.Detail = strings.TrimSpace(sd.Text())
		}
		m.Status = s
	} else if root.Tag == "Response" || root.Tag == "LogoutResponse" {
		p.anomalyAt("status-missing", root, "", "the %s has no Status element", root.Tag)
	}
	if root.Tag == "AuthnRequest" {
		r := &Request{
			AssertionConsumerServiceURL: root.SelectAttrValue("AssertionConsumerServiceURL", ""),
			ProtocolBinding:             root.SelectAttrValue("ProtocolBinding", ""),
			ForceAuthn:                  root.SelectAttrValue("ForceAuthn", ""),
			IsPassive:                   root.SelectAttrValue("IsPassive", ""),
		}
		if np := p.child(root, NSProtocol, "NameIDPolicy"); np != nil {
			r.NameIDPolicyFormat = np.SelectAttrValue("Format", "")
		}
		m.Request = r
	}
	// Assertions where SAML puts them: direct children of the Response.
	direct := map[*etree.Element]bool{}
	for _, c := range root.ChildElements() {
		switch {
		case p.is(c, NSAssertion, "Assertion"):
			direct[c] = true
			m.Assertions = append(m.Assertions, p.assertion(c))
		case p.is(c, NSAssertion, "EncryptedAssertion"):
			direct[c] = true
			p.encrypted(c)
		}
	}
	// Assertions anywhere else, inside the direct ones too, are a
	// signature-wrapping tell; they are read as well (the first
	// maxMisplaced), since a moved signature may cover one of them.
	walk(root, func(e *etree.Element) bool {
		if e == root || direct[e] {
			return true
		}
		if e.Tag == "Assertion" && (p.lenient || e.NamespaceURI() == NSAssertion) {
			p.anomalyAt("assertion-misplaced", e, "", "an Assertion is nested inside <%s> instead of being a direct child of the Response (a signature-wrapping shape)", e.Parent().FullTag())
			if len(m.Misplaced) < maxMisplaced {
				m.Misplaced = append(m.Misplaced, p.assertion(e))
			}
		}
		return true
	})
	if n := len(m.Assertions) + len(m.EncryptedAssertions); n > 1 {
		p.anomalyAt("multiple-assertions", root, "", "the Response carries %d assertions; AWS requires exactly one, and several are a signature-wrapping shape", n)
	}
}

// maxMisplaced bounds the misplaced assertions read: a wrapped message
// needs one or two, a hostile one may nest thousands.
const maxMisplaced = 16

func (p *parser) assertion(e *etree.Element) Assertion {
	a := Assertion{Path: path(e), ID: e.SelectAttrValue("ID", ""), IssueInstant: p.time(e, "IssueInstant"), Attributes: []Attribute{}}
	if iss := p.child(e, NSAssertion, "Issuer"); iss != nil {
		a.Issuer = p.text(iss, "assertion Issuer")
	}
	if s := p.child(e, NSAssertion, "Subject"); s != nil {
		sub := &Subject{Confirmations: []SubjectConfirmation{}}
		if n := p.child(s, NSAssertion, "NameID"); n != nil {
			sub.NameID = &NameID{
				Value:           p.text(n, "NameID"),
				Format:          n.SelectAttrValue("Format", ""),
				NameQualifier:   n.SelectAttrValue("NameQualifier", ""),
				SPNameQualifier: n.SelectAttrValue("SPNameQualifier", ""),
			}
		} else if p.child(s, NSAssertion, "EncryptedID") != nil {
			p.anomalyAt("encrypted-nameid", s, "", "the NameID is encrypted (EncryptedID)")
		}
		for _, sc := range p.children(s, NSAssertion, "SubjectConfirmation") {
			c := SubjectConfirmation{Method: sc.SelectAttrValue("Method", "")}
			if d := p.child(sc, NSAssertion, "SubjectConfirmationData"); d != nil {
				c.HasData = true
				c.Recipient = d.SelectAttrValue("Recipient", "")
				c.NotBefore = p.time(d, "NotBefore")
				c.NotOnOrAfter = p.time(d, "NotOnOrAfter")
				c.InResponseTo = d.SelectAttrValue("InResponseTo", "")
				c.Address = d.SelectAttrValue("Address", "")
			}
			sub.Confirmations = append(sub.Confirmations, c)
		}
		a.Subject = sub
	}
	if c := p.child(e, NSAssertion, "Conditions"); c != nil {
		cond := &Conditions{NotBefore: p.time(c, "NotBefore"), NotOnOrAfter: p.time(c, "NotOnOrAfter"), Audiences: []string{}}
		for _, ar := range p.children(c, NSAssertion, "AudienceRestriction") {
			for _, au := range p.children(ar, NSAssertion, "Audience") {
				cond.Audiences = append(cond.Audiences, p.text(au, "Audience"))
			}
		}
		a.Conditions = cond
	}
	for _, as := range p.children(e, NSAssertion, "AuthnStatement") {
		st := AuthnStatement{
			AuthnInstant:        p.time(as, "AuthnInstant"),
			SessionNotOnOrAfter: p.time(as, "SessionNotOnOrAfter"),
			SessionIndex:        as.SelectAttrValue("SessionIndex", ""),
		}
		if ac := p.child(as, NSAssertion, "AuthnContext"); ac != nil {
			if ref := p.child(ac, NSAssertion, "AuthnContextClassRef"); ref != nil {
				st.AuthnContextClassRef = p.text(ref, "AuthnContextClassRef")
			}
		}
		a.AuthnStatements = append(a.AuthnStatements, st)
	}
	for _, st := range p.children(e, NSAssertion, "AttributeStatement") {
		for _, at := range p.children(st, NSAssertion, "Attribute") {
			attr := Attribute{
				Name:         at.SelectAttrValue("Name", ""),
				NameFormat:   at.SelectAttrValue("NameFormat", ""),
				FriendlyName: at.SelectAttrValue("FriendlyName", ""),
				Values:       []string{},
			}
			for _, v := range p.children(at, NSAssertion, "AttributeValue") {
				attr.Values = append(attr.Values, p.text(v, "value of attribute "+attr.Name))
			}
			if len(p.children(at, NSAssertion, "EncryptedAttribute")) > 0 {
				p.anomalyAt("encrypted-attribute", at, "", "attribute %s has encrypted values", attr.Name)
			}
			a.Attributes = append(a.Attributes, attr)
		}
		for range p.children(st, NSAssertion, "EncryptedAttribute") {
			p.anomalyAt("encrypted-attribute", st, "", "the AttributeStatement carries an EncryptedAttribute")
		}
	}
	return a
}

func (p *parser) encrypted(e *etree.Element) {
	ea := EncryptedAssertion{Path: path(e)}
	walk(e, func(c *etree.Element) bool {
		if c.Tag == "EncryptionMethod" {
			alg := c.SelectAttrValue("Algorithm", "")
			if c.Parent() != nil && c.Parent().Tag == "EncryptedKey" {
				ea.KeyTransportMethod = alg
			} else if ea.EncryptionMethod == "" {
				ea.EncryptionMethod = alg
			}
		}
		return true
	})
	p.m.EncryptedAssertions = append(p.m.EncryptedAssertions, ea)
}

// checkDirectives reports a DOCTYPE, which a SAML message never needs.
func (p *parser) checkDirectives(doc *etree.Document) {
	for _, t := range doc.Child {
		d, ok := t.(*etree.Directive)
		if !ok {
			continue
		}
		// Entity declarations never get here: ReadDocument refuses them.
		if strings.HasPrefix(strings.TrimSpace(d.Data), "DOCTYPE") {
			p.anomaly("doctype", "", "the document has a DOCTYPE, which SAML messages never need")
		}
	}
}

// checkIDs reports ID attributes used more than once, and counts them
// (in the whole document, as a verifier resolving a reference would).
func (p *parser) checkIDs(root *etree.Element) {
	seen := map[string]*etree.Element{}
	p.ids, p.idElems = map[string]int{}, map[string]*etree.Element{}
	walk(root.Parent(), func(e *etree.Element) bool {
		if id := e.SelectAttrValue("ID", ""); id != "" {
			p.ids[id]++
		}
		return true
	})
	walk(root, func(e *etree.Element) bool {
		if id := e.SelectAttrValue("ID", ""); id != "" {
			if first, dup := seen[id]; dup {
				if p.keep("duplicate-id") {
					p.m.Anomalies = append(p.m.Anomalies, Anomaly{Code: "duplicate-id", Path: path(e), Message: fmt.Sprintf("ID %q is used by %s and %s; a signature reference to it is ambiguous", id, path(first), path(e))})
				}
			} else {
				seen[id] = e
				p.idElems[id] = e
			}
		}
		return true
	})
}

// samlNames maps SAML element local names to their namespaces, to spot
// elements that carry a SAML name in another namespace (GO-2026-6909).
var samlNames = map[string]string{
	"Status": NSProtocol, "StatusCode": NSProtocol, "StatusMessage": NSProtocol,
	"Assertion": NSAssertion, "Issuer": NSAssertion, "Subject": NSAssertion, "NameID": NSAssertion,
	"SubjectConfirmation": NSAssertion, "SubjectConfirmationData": NSAssertion, "Conditions": NSAssertion,
	"AudienceRestriction": NSAssertion, "Audience": NSAssertion, "AuthnStatement": NSAssertion,
	"AttributeStatement": NSAssertion, "Attribute": NSAssertion, "AttributeValue": NSAssertion,
}

func (p *parser) checkNamespaces(root *etree.Element) {
	if p.lenient {
		return // already reported once for the whole document
	}
	walk(root, func(e *etree.Element) bool {
		if e.Tag == "AttributeValue" || e.Tag == "Signature" || e.Tag == "Extensions" {
			return false // free content
		}
		if want, ok := samlNames[e.Tag]; ok && e.NamespaceURI() != want {
			if e.Space != "" && e.NamespaceURI() == "" {
				p.anomalyAt("foreign-namespace", e, "", "<%s> uses the prefix %q, which is not declared, so it is in no namespace; AWS ignores it", e.FullTag(), e.Space)
			} else {
				p.anomalyAt("foreign-namespace", e, "", "<%s> has a SAML element name but namespace %q instead of %q; AWS ignores it", e.FullTag(), e.NamespaceURI(), want)
			}
		}
		return true
	})
}

func (p *parser) signatures(root *etree.Element) {
	walk(root, func(e *etree.Element) bool {
		if !(e.Tag == "Signature" && e.NamespaceURI() == NSDSig) {
			return true
		}
		parent := e.Parent()
		s := Signature{Certificates: []Certificate{}}
		if parent != nil {
			s.Covers = path(parent)
			s.CoversID = parent.SelectAttrValue("ID", "")
		}
		if si := childNS(e, NSDSig, "SignedInfo"); si != nil {
			if c := childNS(si, NSDSig, "CanonicalizationMethod"); c != nil {
				s.CanonicalizationMethod = c.SelectAttrValue("Algorithm", "")
			}
			if sm := childNS(si, NSDSig, "SignatureMethod"); sm != nil {
				s.SignatureMethod = sm.SelectAttrValue("Algorithm", "")
			}
			refs := childrenNS(si, NSDSig, "Reference")
			s.References = len(refs)
			if len(refs) > 0 {
				r := refs[0]
				s.ReferenceURI = r.SelectAttrValue("URI", "")
				if dm := childNS(r, NSDSig, "DigestMethod"); dm != nil {
					s.DigestMethod = dm.SelectAttrValue("Algorithm", "")
				}
				if ts := childNS(r, NSDSig, "Transforms"); ts != nil {
					for _, t := range childrenNS(ts, NSDSig, "Transform") {
						s.Transforms = append(s.Transforms, t.SelectAttrValue("Algorithm", ""))
					}
				}
			}
		}
		if sv := childNS(e, NSDSig, "SignatureValue"); sv != nil && strings.TrimSpace(sv.Text()) == RedactedSignature {
			s.Redacted = true
		}
		if ki := childNS(e, NSDSig, "KeyInfo"); ki != nil {
			s.HasKeyInfo = true
			walk(ki, func(c *etree.Element) bool {
				if c.Tag == "X509Certificate" && c.NamespaceURI() == NSDSig {
					s.Certificates = append(s.Certificates, ParseCertificate(c.Text()))
				}
				return true
			})
		}
		if s.ReferenceURI != "" && s.CoversID != "" && s.ReferenceURI != "#"+s.CoversID {
			p.anomaly("signature-reference-mismatch", s.Covers, "the signature in %s references %s but its parent's ID is %q", s.Covers, s.ReferenceURI, s.CoversID)
		}
		if s.References > 1 {
			p.anomaly("signature-multiple-references", s.Covers, "the signature in %s has %d references", s.Covers, s.References)
		}
		p.m.Signatures = append(p.m.Signatures, s)
		return false
	})
}

func childNS(e *etree.Element, ns, local string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func childrenNS(e *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

// ParseCertificate reads a base64 DER certificate as found in X509Certificate.
func ParseCertificate(b64 string) Certificate {
	clean := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, b64)
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		der, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "="))
	}
	if err != nil {
		return Certificate{Err: "the X509Certificate is not valid base64"}
	}
	return DescribeCertificate(der)
}

// DescribeCertificate summarises a DER certificate.
func DescribeCertificate(der []byte) Certificate {
	sum := sha256.Sum256(der)
	c := Certificate{SHA256: hex.EncodeToString(sum[:]), DER: der}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		c.Err = "the certificate cannot be parsed: " + err.Error()
		return c
	}
	c.Subject = cert.Subject.String()
	c.Issuer = cert.Issuer.String()
	c.Serial = fmt.Sprintf("%X", cert.SerialNumber)
	c.NotBefore = cert.NotBefore.UTC()
	c.NotAfter = cert.NotAfter.UTC()
	return c
}

// aws builds the AWS view from the assertion AWS would consume (see
// consumed).
func (p *parser) aws() {
	a := p.consumed()
	if a == nil {
		return
	}
	v := View(a)
	for _, nm := range v.NearMisses {
		p.anomaly("aws-attribute-near-miss", a.Path, "attribute %q looks like %q but is not named exactly so (%s); AWS names are case-sensitive", nm.Found, nm.Expected, nm.How)
	}
	p.m.AWS = v
}

// consumed is, by the document's shape alone (nothing is verified here),
// the assertion a signature covers, which is the one AWS and goxmldsig
// would accept: the assertion whose own signature references it, else
// the first assertion of a Response whose signature references it, else
// the assertion (or the Response's) that a moved signature references by
// an ID no other element has; the first direct assertion when nothing is
// signed. Verification refines this (Judge): an unsigned sibling is never
// read in place of the signed assertion.
func (p *parser) consumed() *Assertion {
	m := p.m
	enveloped := func(s Signature) bool {
		return s.References > 0 && (s.ReferenceURI == "" || (s.ReferenceURI == "#"+s.CoversID && p.ids[s.CoversID] == 1))
	}
	// An assertion's own signature; a direct assertion first.
	for _, list := range [][]Assertion{m.Assertions, m.Misplaced} {
		for i := range list {
			for _, s := range m.Signatures {
				if s.Covers == list[i].Path && enveloped(s) {
					return m.AssertionAt(list[i].Path)
				}
			}
		}
	}
	for _, s := range m.Signatures {
		if s.Covers == p.rootPath && enveloped(s) && len(m.Assertions) > 0 {
			return &m.Assertions[0]
		}
	}
	// A moved signature: what its reference names.
	for _, s := range m.Signatures {
		id, ok := strings.CutPrefix(s.ReferenceURI, "#")
		if !ok || p.ids[id] != 1 || p.idElems[id] == nil {
			continue
		}
		at := path(p.idElems[id])
		if a := m.AssertionAt(at); a != nil {
			return a
		}
		if a := firstChildAssertion(m, at); a != nil {
			return a
		}
	}
	if len(m.Assertions) > 0 {
		return &m.Assertions[0]
	}
	return nil
}

// firstChildAssertion is the first assertion (direct or misplaced) that is
// a child of the element at path: the assertion of a signed Response.
func firstChildAssertion(m *Message, at string) *Assertion {
	if at == "" {
		return nil
	}
	for _, list := range [][]Assertion{m.Assertions, m.Misplaced} {
		for i := range list {
			rest, ok := strings.CutPrefix(list[i].Path, at+"/")
			if ok && !strings.Contains(rest, "/") {
				return &list[i]
			}
		}
	}
	return nil
}

// View is what AWS sign-in reads from an assertion.
func View(a *Assertion) *AWS {
	v := &AWS{Assertion: a.Path, Roles: []Role{}}
	var sessionNames []string
	for _, at := range a.Attributes {
		switch {
		case at.Name == AttrRole:
			v.HasRoleAttribute = true
			for _, val := range at.Values {
				r := Role{Value: val}
				pair, err := awsarn.ParseRolePair(val)
				if pair.Role.Name != "" {
					r.RoleArn = pair.Role.ARN.String()
				}
				if pair.Provider.Name != "" {
					r.ProviderArn = pair.Provider.ARN.String()
				}
				if err != nil {
					r.Problem = err.Error()
				} else if pair.SpacedComma {
					r.Problem = "white space around the comma"
				}
				v.Roles = append(v.Roles, r)
			}
		case at.Name == AttrRoleSessionName:
			// Every attribute's values count: AWS reads one
			// attribute with one value, and a second one is not a
			// spare (AWS refuses it or picks one).
			v.HasRoleSessionName = true
			v.RoleSessionNameAttributes++
			sessionNames = append(sessionNames, at.Values...)
		case at.Name == AttrSessionDuration:
			if len(at.Values) > 0 {
				v.SessionDuration = at.Values[0]
			}
		case at.Name == AttrSourceIdentity:
			if len(at.Values) > 0 {
				v.SourceIdentity = at.Values[0]
			}
		case strings.HasPrefix(at.Name, AttrPrincipalTag):
			v.PrincipalTags = append(v.PrincipalTags, Tag{Key: strings.TrimPrefix(at.Name, AttrPrincipalTag), Values: at.Values})
		case at.Name == AttrTransitiveTagKeys:
			v.TransitiveTagKeys = append(v.TransitiveTagKeys, at.Values...)
		default:
			if nm, ok := nearMiss(at); ok {
				v.NearMisses = append(v.NearMisses, nm)
			}
		}
	}
	if len(sessionNames) > 0 {
		v.RoleSessionName = sessionNames[0]
	}
	if v.HasRoleSessionName && (len(sessionNames) != 1 || v.RoleSessionNameAttributes > 1) {
		v.RoleSessionNameValues = append([]string{}, sessionNames...)
	}
	return v
}

var awsNames = []string{AttrRole, AttrRoleSessionName, AttrSessionDuration, AttrSourceIdentity, AttrTransitiveTagKeys}

// nearMiss reports whether an attribute was meant to be one of AWS's.
func nearMiss(at Attribute) (NearMiss, bool) {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
		return strings.TrimSuffix(s, "/")
	}
	for _, want := range awsNames {
		switch {
		case norm(at.Name) == norm(want):
			how := "different case"
			switch {
			case strings.TrimSpace(at.Name) != at.Name:
				how = "white space around the name"
			case strings.HasPrefix(at.Name, "http://"):
				how = "http:// instead of https://"
			case strings.EqualFold(at.Name, want):
				how = "different case"
			default:
				how = "different spelling"
			}
			return NearMiss{Found: at.Name, Expected: want, How: how}, true
		case strings.HasPrefix(norm(at.Name), norm(AttrPrincipalTag)) && !strings.HasPrefix(at.Name, AttrPrincipalTag):
			return NearMiss{Found: at.Name, Expected: AttrPrincipalTag + "KEY", How: "different case or scheme"}, true
		}
		short := want[strings.LastIndex(want, "/")+1:]
		if at.FriendlyName == short && at.Name != want {
			return NearMiss{Found: at.Name, Expected: want, How: "FriendlyName is " + short + " but Name is not AWS's"}, true
		}
		if strings.EqualFold(at.Name, short) {
			return NearMiss{Found: at.Name, Expected: want, How: "the short name instead of the full URI"}, true
		}
	}
	return NearMiss{}, false
}

// Indent re-serialises XML with indentation, for display. It keeps comments
// and CDATA; on XML it cannot read it returns the input unchanged.
func Indent(xml []byte) []byte {
	doc, err := readDocument(xml)
	if err != nil {
		return xml
	}
	doc.Indent(2)
	var b bytes.Buffer
	doc.WriteTo(&b)
	return b.Bytes()
}
