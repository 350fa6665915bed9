package assertion

import (
	"crypto/x509"
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
}

// Reasons a signature is invalid.
const (
	ReasonContentChanged = "the signed content was changed after signing (digest mismatch)"
	ReasonKeyDiffers     = "it was not made with any of the certificates checked (a different key, or SignedInfo changed)"
	ReasonUndecodable    = "the SignatureValue is not valid base64 (the document was re-formatted or mangled after signing)"
	ReasonReference      = "its reference does not point at the element it sits in (a signature-wrapping shape)"
	ReasonUnsupported    = "it uses an algorithm samldoctor cannot check"
	ReasonAmbiguousID    = "the ID it references is used by more than one element, so the reference is ambiguous (a signature-wrapping shape)"
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
	if len(m.Assertions) > 0 {
		consumed = m.Assertions[0].Path
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
			v := verifyOne(root, e, s, cands)
			if ids[s.CoversID] > 1 {
				// Resolved document-wide, as xmlsec1 does, the reference
				// is ambiguous; never call such a signature valid.
				v.Status, v.Reason, v.Cert, v.CertSource = SigInvalid, ReasonAmbiguousID, nil, ""
			}
			v.CoversConsumed = e.Parent() == root || v.Covers == consumed
			out = append(out, v)
		}
		i++
		return false
	})
	return out
}

func verifyOne(root, sigEl *etree.Element, s Signature, cands []Candidate) Verification {
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
	el := parent
	if parent != root {
		nsctx, err := etreeutils.NSBuildParentContext(parent)
		if err == nil {
			el, err = etreeutils.NSDetatch(nsctx, parent)
		}
		if err != nil {
			v.Status, v.Detail = SigInvalid, err.Error()
			return v
		}
	} else {
		el = parent.Copy()
	}
	all := append([]Candidate{}, cands...)
	for _, c := range s.Certificates {
		if c.DER == nil {
			continue
		}
		if x, err := x509.ParseCertificate(c.DER); err == nil {
			all = append(all, Candidate{Cert: x, Source: "the certificate in the signature's KeyInfo", Trusted: false})
		}
	}
	if len(all) == 0 {
		v.Status = SigUnchecked
		return v
	}
	digestMismatch, keyMismatch := "", ""
	for _, c := range all {
		err := validateWith(el, c.Cert)
		if err == nil {
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
