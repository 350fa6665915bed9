package capture

import "github.com/samldoctor/samldoctor/internal/samlvalue"

// CountDecodes runs f and says how many SAML values it decoded.
func CountDecodes(f func()) int {
	n := 0
	decodeValue = func(b []byte) (*samlvalue.Decoded, error) { n++; return samlvalue.Decode(b) }
	defer func() { decodeValue = samlvalue.Decode }()
	f()
	return n
}
