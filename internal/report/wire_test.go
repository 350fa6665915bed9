package report

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docs/json.md documents every field of every wire type, and nothing
// else: renaming or adding a field without documenting it fails here.
func TestJSONDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	documented := map[string][]string{}
	for _, sec := range regexp.MustCompile(`(?m)^### `).Split(doc, -1)[1:] {
		name, body, _ := strings.Cut(sec, "\n")
		for _, row := range regexp.MustCompile("(?m)^\\| `([A-Za-z0-9]+)` \\|").FindAllStringSubmatch(body, -1) {
			documented[name] = append(documented[name], row[1])
		}
	}
	types := []any{Source{}, Truncation{}, Warning{}, Place{}, Message{}, AWS{}, Role{}, Tag{}, NearMiss{}, RelayState{}, SAML{}, Time{}, Status{}, Request{},
		Assertion{}, AssertionSubject{}, NameID{}, SubjectConfirmation{}, Conditions{}, AuthnStatement{}, Attribute{}, EncryptedAssertion{}, Signature{},
		Certificate{}, Anomaly{}, Page{}, ErrorPageMatch{}, Verification{}, IdP{}, IdPClue{}, AWSDataSource{}, Subject{}, Symptom{}, Evidence{},
		Finding{}, Fix{}, Change{}, Check{}, File{}, Wrong{}, Attempt{}, AuditSummary{}, AuditFinding{}, Affected{}}
	seen := map[string]bool{}
	for _, v := range types {
		typ := reflect.TypeOf(v)
		seen[typ.Name()] = true
		fields := jsonFields(typ)
		if !slices.Equal(fields, documented[typ.Name()]) {
			t.Errorf("%s: the type has %v, docs/json.md documents %v", typ.Name(), fields, documented[typ.Name()])
		}
	}
	for name := range documented {
		if !seen[name] {
			t.Errorf("docs/json.md documents a type %s that is not a wire type (or not in this test's list)", name)
		}
	}
	// The documents' own fields appear in their examples.
	for _, v := range []any{InspectJSON{}, DiagnoseJSON{}, DecodeJSON{}} {
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			if !strings.Contains(doc, `"`+f+`"`) {
				t.Errorf("%s.%s is not in docs/json.md", reflect.TypeOf(v).Name(), f)
			}
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
