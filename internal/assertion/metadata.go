package assertion

import (
	"fmt"

	"github.com/beevik/etree"
)

// Metadata is SAML metadata: the entities it declares.
type Metadata struct {
	Entities []Entity
}

// Entity is one EntityDescriptor.
type Entity struct {
	EntityID     string
	SigningCerts []Certificate
}

// EntityIDs lists the metadata's entity IDs.
func (m *Metadata) EntityIDs() []string {
	var out []string
	for _, e := range m.Entities {
		out = append(out, e.EntityID)
	}
	return out
}

const nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"

// ParseMetadata reads SAML metadata (an EntityDescriptor or an
// EntitiesDescriptor) and returns each entity's ID and the certificates of
// its IdP signing keys (KeyDescriptor use="signing" or without use).
func ParseMetadata(xml []byte) (*Metadata, error) {
	doc, err := readDocument(xml)
	if err != nil {
		return nil, fmt.Errorf("SAML metadata: %w", err)
	}
	md := &Metadata{}
	var visit func(e *etree.Element)
	visit = func(e *etree.Element) {
		if e.Tag == "EntityDescriptor" && e.NamespaceURI() == nsMetadata {
			ent := Entity{EntityID: e.SelectAttrValue("entityID", "")}
			for _, idp := range e.ChildElements() {
				if idp.Tag != "IDPSSODescriptor" || idp.NamespaceURI() != nsMetadata {
					continue
				}
				for _, kd := range idp.ChildElements() {
					if kd.Tag != "KeyDescriptor" || kd.NamespaceURI() != nsMetadata {
						continue
					}
					if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
						continue
					}
					for _, c := range kd.FindElements(".//X509Certificate") {
						if c.NamespaceURI() == NSDSig {
							ent.SigningCerts = append(ent.SigningCerts, ParseCertificate(c.Text()))
						}
					}
				}
			}
			md.Entities = append(md.Entities, ent)
			return
		}
		for _, c := range e.ChildElements() {
			visit(c)
		}
	}
	visit(doc.Root())
	if len(md.Entities) == 0 {
		return nil, fmt.Errorf("SAML metadata: no EntityDescriptor in the %s namespace", nsMetadata)
	}
	return md, nil
}
