package assertion

import (
	"bytes"
	"crypto"
	_ "crypto/sha1" // digests
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Candidate is a certificate a signature may be verified with, and where
// it came from.
type Candidate struct {
	Cert   *x509.Certificate
	Source string
	// Trusted is false for the certificate the message carries itself
	// (KeyInfo): it proves the document intact, not who signed it.
	Trusted bool
}

// CandidateFromDER makes a trusted candidate from a DER certificate.
func CandidateFromDER(der []byte, source string) (Candidate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Candidate{}, fmt.Errorf("%s: %w", source, err)
	}
	return Candidate{Cert: c, Source: source, Trusted: true}, nil
}

// ParseCerts reads PEM CERTIFICATE blocks, or one DER certificate; source
// names them in reports.
func ParseCerts(b []byte, source string) ([]Candidate, error) {
	var out []Candidate
	rest := b
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := CandidateFromDER(blk.Bytes, source)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		return out, nil
	}
	c, err := CandidateFromDER(b, source)
	if err != nil {
		return nil, fmt.Errorf("%s: neither a PEM CERTIFICATE nor a DER certificate", source)
	}
	return []Candidate{c}, nil
}

// Verification statuses.
const (
	SigValid = "valid"
	// SigValidEmbedded: intact, but only the message's own (untrusted)
	// certificate verifies it.
	SigValidEmbedded = "valid-embedded-only"
	SigInvalid       = "invalid"
	// SigUnchecked: no certificate to check it with.
	SigUnchecked = "unchecked"
	// SigRedacted: samldoctor redact removed its value; it cannot be checked.
	SigRedacted = "redacted"
)

// Verification is the verdict on one ds:Signature.
type Verification struct {
	Covers   string
	CoversID string
	Status   string
	// CertSource names the certificate that verified it.
	CertSource string
	Cert       *Certificate
	// Reason says why it is invalid.
	Reason string
	// Detail is the verifier's own message.
	Detail          string
	SignatureMethod string
	DigestMethod    string
	// Weak is set for SHA-1 signature or digest algorithms.
	Weak bool
	// CoversConsumed is set when the signed element is the Response or
	// the assertion AWS reads.
	CoversConsumed bool
	// CoversMessage is set when the signed element is the message's root
	// (the Response).
	CoversMessage bool
	// Signed is, for a signature moved away from what it signed (a
	// wrapped message), the path of the element whose content it still
	// verifies over: where the genuine signed element was put. Empty when
	// the signature is where it belongs, or nothing verifies.
	Signed string
}

// Reasons a signature is invalid.
const (
	ReasonContentChanged = "the signed content was changed after signing (digest mismatch)"
	ReasonKeyDiffers     = "it was not made with any of the certificates checked (a different key, or SignedInfo changed)"
	ReasonUndecodable    = "the SignatureValue is not valid base64 (the document was re-formatted or mangled after signing)"
	ReasonReference      = "its reference does not point at the element it sits in (a signature-wrapping shape)"
	ReasonUnsupported    = "it uses an algorithm samldoctor cannot check"
	ReasonAmbiguousID    = "the ID it references is used by more than one element, so the reference is ambiguous (a signature-wrapping shape)"
	// ReasonWholeDocument: goxmldsig reads URI="" as the element the
	// signature sits in; XML-DSig (and xmlsec1, Apache Santuario, OpenSAML)
	// as the whole document, whose digest an Assertion's cannot match.
	ReasonWholeDocument = "its Reference URI=\"\" means the whole document, not the Assertion it sits in (verifiers disagree on it; a signature-wrapping shape)"
	// ReasonOtherReference: a second Reference names content that
	// changed; goxmldsig checks only the first, xmlsec1 every one.
	ReasonOtherReference = "another of its references names content that was changed after signing (digest mismatch)"
)

// Verify checks every signature in the message against the candidates (and
// the certificate each signature carries, as an untrusted candidate). The
// verdicts come from goxmldsig; samldoctor only drives it one certificate
// at a time and classifies its errors for the explanation.
func Verify(xml []byte, m *Message, cands []Candidate) []Verification {
	doc, err := readDocument(xml)
	if err != nil {
		return nil
	}
	root, _ := findRoot(doc.Root())
	if root == nil {
		return nil
	}
	consumed := ""
	if m.AWS != nil {
		consumed = m.AWS.Assertion
	}
	ids := map[string]int{}
	walk(doc.Root(), func(e *etree.Element) bool {
		if id := e.SelectAttrValue("ID", ""); id != "" {
			ids[id]++
		}
		return true
	})
	var out []Verification
	i := 0
	walk(root, func(e *etree.Element) bool {
		if !(e.Tag == "Signature" && e.NamespaceURI() == NSDSig) {
			return true
		}
		if i < len(m.Signatures) {
			s := m.Signatures[i]
			v := verifyOne(doc.Root(), root, e, s, cands)
			if ids[s.CoversID] > 1 {
				// Resolved document-wide, as xmlsec1 does, the reference
				// is ambiguous; never call such a signature valid.
				v.Status, v.Reason, v.Cert, v.CertSource = SigInvalid, ReasonAmbiguousID, nil, ""
			}
			if v.Status == SigInvalid && (v.Reason == ReasonReference || v.Reason == ReasonAmbiguousID || v.Reason == ReasonWholeDocument) {
				v.Signed = signedContent(doc.Root(), e, s, cands)
			}
			v.CoversMessage = e.Parent() == root
			v.CoversConsumed = v.CoversMessage || v.Covers == consumed
			out = append(out, v)
		}
		i++
		return false
	})
	return out
}

func verifyOne(top, root, sigEl *etree.Element, s Signature, cands []Candidate) Verification {
	v := Verification{Covers: s.Covers, CoversID: s.CoversID, SignatureMethod: s.SignatureMethod, DigestMethod: s.DigestMethod}
	v.Weak = strings.HasSuffix(s.SignatureMethod, "#rsa-sha1") || strings.HasSuffix(s.SignatureMethod, "#dsa-sha1") ||
		strings.HasSuffix(s.SignatureMethod, "ecdsa-sha1") || strings.HasSuffix(s.DigestMethod, "#sha1")
	if s.Redacted {
		v.Status = SigRedacted
		return v
	}
	parent := sigEl.Parent()
	if parent == nil {
		v.Status, v.Reason = SigInvalid, ReasonReference
		return v
	}
	if s.References > 0 && s.ReferenceURI == "" && parent != top {
		v.Status, v.Reason = SigInvalid, ReasonWholeDocument
		return v
	}
	el, err := detach(top, parent)
	if err != nil {
		v.Status, v.Detail = SigInvalid, err.Error()
		return v
	}
	all := withKeyInfo(cands, s)
	if len(all) == 0 {
		v.Status = SigUnchecked
		return v
	}
	digestMismatch, keyMismatch := "", ""
	for _, c := range all {
		err := validateWith(el, c.Cert)
		if err == nil {
			// goxmldsig checks the first reference to the element;
			// every other must hold too, as xmlsec1 requires.
			if reason, detail := otherReferences(top, sigEl); reason != "" {
				v.Status, v.Reason, v.Detail = SigInvalid, reason, detail
				return v
			}
			v.Status = SigValid
			if !c.Trusted {
				v.Status = SigValidEmbedded
			}
			d := DescribeCertificate(c.Cert.Raw)
			v.Cert, v.CertSource = &d, c.Source
			if c.Trusted {
				return v
			}
			continue // a trusted candidate may still verify it
		}
		msg := err.Error()
		switch {
		case errors.Is(err, dsig.ErrMissingSignature) || msg == "Missing reference":
			v.Status, v.Reason, v.Detail = SigInvalid, ReasonReference, msg
			return v
		case msg == "Could not decode signature":
			v.Status, v.Reason, v.Detail = SigInvalid, ReasonUndecodable, msg
			return v
		case strings.HasPrefix(msg, "Unknown"):
			v.Status, v.Reason, v.Detail = SigInvalid, ReasonUnsupported, msg
			return v
		case msg == "Signature could not be verified":
			// The SignedInfo verified under this key: the content moved.
			digestMismatch = c.Source
		default:
			if keyMismatch == "" {
				keyMismatch = msg
			}
		}
	}
	if v.Status == SigValidEmbedded {
		return v
	}
	v.Status = SigInvalid
	if digestMismatch != "" {
		v.Reason, v.Detail = ReasonContentChanged, "SignedInfo verifies with "+digestMismatch+", but the digest of the signed element does not match"
	} else {
		v.Reason, v.Detail = ReasonKeyDiffers, keyMismatch
	}
	return v
}

// validateWith runs goxmldsig with one certificate as the only root. The
// KeyInfo is removed from a copy, since goxmldsig requires a KeyInfo
// certificate to equal a root byte for byte, and KeyInfo is outside what
// is signed. The clock is set inside the certificate's validity: expiry is
// judged separately, at the capture's time.
func validateWith(el *etree.Element, cert *x509.Certificate) error {
	cp := el.Copy()
	for _, c := range cp.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == NSDSig {
			for _, k := range c.ChildElements() {
				if k.Tag == "KeyInfo" && k.NamespaceURI() == NSDSig {
					c.RemoveChild(k)
				}
			}
		}
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(time.Second))
	_, err := ctx.Validate(cp)
	return err
}

// detach copies e with the namespace declarations in scope where it sits,
// so that it canonicalises on its own as it did in place.
func detach(top, e *etree.Element) (*etree.Element, error) {
	if e == top {
		return e.Copy(), nil
	}
	nsctx, err := etreeutils.NSBuildParentContext(e)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(nsctx, e)
}

// byID is every element of the document whose ID attribute is id (at most
// max of them).
func byID(top *etree.Element, id string, max int) []*etree.Element {
	var out []*etree.Element
	walk(top, func(e *etree.Element) bool {
		if len(out) < max && e.SelectAttrValue("ID", "") == id {
			out = append(out, e)
		}
		return len(out) < max
	})
	return out
}

func isAncestor(a, e *etree.Element) bool {
	for p := e.Parent(); p != nil; p = p.Parent() {
		if p == a {
			return true
		}
	}
	return false
}

// signedContent is, for a signature not where its reference points (a
// wrapped message), the path of the element its reference names whose
// content it still verifies over (goxmldsig, with the signature put back
// in it): the genuine signed element the wrapping moved aside. Empty when
// none does.
func signedContent(top, sigEl *etree.Element, s Signature, cands []Candidate) string {
	id, ok := strings.CutPrefix(s.ReferenceURI, "#")
	if !ok || id == "" {
		return ""
	}
	all := withKeyInfo(cands, s)
	for _, e := range byID(top, id, 4) {
		if isAncestor(e, sigEl) && sigEl.Parent() != e {
			continue // deeper inside: not an enveloped shape goxmldsig reads
		}
		el, err := detach(top, e)
		if err != nil {
			continue
		}
		if sigEl.Parent() != e {
			sig, err := detach(top, sigEl)
			if err != nil {
				continue
			}
			el.AddChild(sig)
		}
		for _, c := range all {
			if validateWith(el, c.Cert) == nil {
				return path(e)
			}
		}
	}
	return ""
}

// withKeyInfo is the candidates and the signature's own certificates.
func withKeyInfo(cands []Candidate, s Signature) []Candidate {
	all := append([]Candidate{}, cands...)
	for _, c := range s.Certificates {
		if c.DER == nil {
			continue
		}
		if x, err := x509.ParseCertificate(c.DER); err == nil {
			all = append(all, Candidate{Cert: x, Source: "the certificate in the signature's KeyInfo", Trusted: false})
		}
	}
	return all
}

// Digest algorithms of XML-DSig and XML-Enc.
var digests = map[string]crypto.Hash{
	"http://www.w3.org/2000/09/xmldsig#sha1":        crypto.SHA1,
	"http://www.w3.org/2001/04/xmlenc#sha256":       crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
	"http://www.w3.org/2001/04/xmlenc#sha512":       crypto.SHA512,
}

// otherReferences checks the digest of every Reference of a signature
// whose SignedInfo goxmldsig has verified, past the first one naming the
// signed element (which goxmldsig checked): the whole signature holds only
// if all of them do. It returns a reason when one does not.
func otherReferences(top, sigEl *etree.Element) (reason, detail string) {
	si := childNS(sigEl, NSDSig, "SignedInfo")
	if si == nil {
		return "", ""
	}
	refs := childrenNS(si, NSDSig, "Reference")
	if len(refs) < 2 {
		return "", ""
	}
	parentID := sigEl.Parent().SelectAttrValue("ID", "")
	first := true
	for _, ref := range refs {
		uri := ref.SelectAttrValue("URI", "")
		if first && (uri == "" || uri == "#"+parentID) {
			first = false // goxmldsig's
			continue
		}
		var target *etree.Element
		switch id, ok := strings.CutPrefix(uri, "#"); {
		case uri == "":
			target = top
		case !ok || id == "":
			return ReasonUnsupported, fmt.Sprintf("Reference URI %q is not a same-document reference", uri)
		default:
			found := byID(top, id, 2)
			if len(found) != 1 {
				return ReasonAmbiguousID, fmt.Sprintf("Reference URI %q names %d elements", uri, len(found))
			}
			target = found[0]
		}
		ok, why := digestMatches(top, target, sigEl, ref)
		if why != "" {
			return ReasonUnsupported, why
		}
		if !ok {
			return ReasonOtherReference, fmt.Sprintf("the digest of the element Reference URI %q names does not match", uri)
		}
	}
	return "", ""
}

// digestMatches computes a Reference's digest over target as its
// transforms say, and compares it with its DigestValue. why says what
// could not be computed.
func digestMatches(top, target, sigEl, ref *etree.Element) (ok bool, why string) {
	el, err := detach(top, target)
	if err != nil {
		return false, err.Error()
	}
	// Default: inclusive c14n 1.0, as XML-DSig converts a node set to octets.
	var canon dsig.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	if ts := childNS(ref, NSDSig, "Transforms"); ts != nil {
		for _, t := range childrenNS(ts, NSDSig, "Transform") {
			prefixes := ""
			for _, c := range t.ChildElements() {
				if c.Tag == "InclusiveNamespaces" {
					prefixes = c.SelectAttrValue("PrefixList", "")
				}
			}
			switch alg := t.SelectAttrValue("Algorithm", ""); dsig.AlgorithmID(alg) {
			case dsig.EnvelopedSignatureAltorithmId:
				if target == sigEl.Parent() || isAncestor(target, sigEl) {
					removeSame(el, target, sigEl)
				}
			case dsig.CanonicalXML10ExclusiveAlgorithmId:
				canon = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes)
			case dsig.CanonicalXML10ExclusiveWithCommentsAlgorithmId:
				canon = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(prefixes)
			case dsig.CanonicalXML11AlgorithmId:
				canon = dsig.MakeC14N11Canonicalizer()
			case dsig.CanonicalXML11WithCommentsAlgorithmId:
				canon = dsig.MakeC14N11WithCommentsCanonicalizer()
			case dsig.CanonicalXML10RecAlgorithmId:
				canon = dsig.MakeC14N10RecCanonicalizer()
			case dsig.CanonicalXML10WithCommentsAlgorithmId:
				canon = dsig.MakeC14N10WithCommentsCanonicalizer()
			default:
				return false, "unknown transform " + alg
			}
		}
	}
	alg := ""
	if dm := childNS(ref, NSDSig, "DigestMethod"); dm != nil {
		alg = dm.SelectAttrValue("Algorithm", "")
	}
	h, known := digests[alg]
	if !known {
		return false, "unknown digest algorithm " + alg
	}
	want := ""
	if dv := childNS(ref, NSDSig, "DigestValue"); dv != nil {
		want = strings.Join(strings.Fields(dv.Text()), "")
	}
	wantSum, err := base64.StdEncoding.DecodeString(want)
	if err != nil {
		return false, "" // a mangled DigestValue matches nothing
	}
	b, err := canon.Canonicalize(el)
	if err != nil {
		return false, err.Error()
	}
	hh := h.New()
	hh.Write(b)
	return bytes.Equal(hh.Sum(nil), wantSum), ""
}

// removeSame removes from cp (a copy of orig) the element at the place
// sigEl has in orig.
func removeSame(cp, orig, sigEl *etree.Element) {
	var idx []int
	for e := sigEl; e != orig && e.Parent() != nil; e = e.Parent() {
		for i, c := range e.Parent().ChildElements() {
			if c == e {
				idx = append(idx, i)
			}
		}
	}
	cur := cp
	for i := len(idx) - 1; i >= 0; i-- {
		kids := cur.ChildElements()
		if idx[i] >= len(kids) {
			return
		}
		if i == 0 {
			cur.RemoveChild(kids[idx[i]])
			return
		}
		cur = kids[idx[i]]
	}
}

// Judge is the assertion the sign-in is to be judged on, given the
// verdicts on the message's signatures: the one a valid signature covers,
// as AWS and goxmldsig select it (its own signature, else the signed
// Response's first assertion; a trusted certificate's verdict before the
// message's own), else the one a moved signature still verifies over (a
// wrapped message's genuine assertion), else what the document's shape
// says (Message.Consumed). Never an unsigned sibling of a signed one.
func Judge(m *Message, vs []Verification) *Assertion {
	for _, status := range []string{SigValid, SigValidEmbedded} {
		for _, v := range vs {
			if v.Status == status {
				if a := m.AssertionAt(v.Covers); a != nil {
					return a
				}
			}
		}
		for _, v := range vs {
			if v.Status == status && v.CoversMessage && len(m.Assertions) > 0 {
				return &m.Assertions[0]
			}
		}
	}
	for _, v := range vs {
		if v.Signed == "" {
			continue
		}
		if a := m.AssertionAt(v.Signed); a != nil {
			return a
		}
		if a := firstChildAssertion(m, v.Signed); a != nil {
			return a
		}
	}
	return m.Consumed()
}
