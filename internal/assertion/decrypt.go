package assertion

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// ParsePrivateKey reads the RSA private key held by the IAM SAML provider
// for assertion encryption (PEM: PKCS#1 or PKCS#8); name is used in
// messages.
func ParsePrivateKey(b []byte, name string) (*rsa.PrivateKey, error) {
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if rk, ok := k.(*rsa.PrivateKey); ok {
				return rk, nil
			}
			return nil, fmt.Errorf("%s: the key is not an RSA key", name)
		}
	}
	return nil, fmt.Errorf("%s: no PEM RSA PRIVATE KEY or PRIVATE KEY block", name)
}

// Decrypt replaces each EncryptedAssertion of a Response by the assertion
// it holds, decrypted with key (crewjam/saml's xmlenc does the
// cryptography: RSA-OAEP or RSA 1.5 key transport, AES-CBC or AES-GCM).
// The result is the message as AWS reads it after decryption.
func Decrypt(xml []byte, key *rsa.PrivateKey) ([]byte, error) {
	doc, err := readDocument(xml)
	if err != nil {
		return nil, err
	}
	root, _ := findRoot(doc.Root())
	if root == nil {
		return nil, errors.New("not a SAML message")
	}
	n := 0
	for _, ea := range root.ChildElements() {
		if ea.Tag != "EncryptedAssertion" || ea.NamespaceURI() != NSAssertion {
			continue
		}
		var data, sibKey *etree.Element
		for _, c := range ea.ChildElements() {
			switch {
			case c.Tag == "EncryptedData" && c.NamespaceURI() == NSXEnc:
				data = c
			case c.Tag == "EncryptedKey" && c.NamespaceURI() == NSXEnc:
				sibKey = c
			}
		}
		if data == nil {
			return nil, errors.New("EncryptedAssertion without EncryptedData")
		}
		var plain []byte
		if sibKey != nil && data.FindElement("./KeyInfo/EncryptedKey") == nil {
			k, err := xmlenc.Decrypt(key, sibKey)
			if err != nil {
				return nil, fmt.Errorf("decrypting the EncryptedKey: %w", err)
			}
			plain, err = xmlenc.Decrypt(k, data)
			if err != nil {
				return nil, fmt.Errorf("decrypting the assertion: %w", err)
			}
		} else {
			plain, err = xmlenc.Decrypt(key, data)
			if err != nil {
				return nil, fmt.Errorf("decrypting the assertion: %w", err)
			}
		}
		pd, err := readDocument(plain)
		if err != nil {
			return nil, fmt.Errorf("the decrypted assertion: %w", err)
		}
		a := pd.Root()
		if a.Tag != "Assertion" {
			return nil, fmt.Errorf("the decrypted element is <%s>, not an Assertion", a.FullTag())
		}
		// Carry the namespaces the assertion inherits from its context.
		a = a.Copy()
		if a.Space != "" && a.SelectAttr("xmlns:"+a.Space) == nil {
			if uri := a.NamespaceURI(); uri != "" {
				a.CreateAttr("xmlns:"+a.Space, uri)
			}
		}
		idx := ea.Index()
		root.RemoveChildAt(idx)
		root.InsertChildAt(idx, a)
		n++
	}
	if n == 0 {
		return nil, errors.New("no EncryptedAssertion to decrypt")
	}
	return doc.WriteToBytes()
}
