package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/diagnose"
)

// A product's configuration step (PHP, a claim rule) reaches Markdown as a
// code block, as it is to be pasted; a step of words stays escaped text.
func TestIdPCodeInMarkdown(t *testing.T) {
	php := `'authproc' => [90 => ['class' => 'core:AttributeCopy', 'uid' => 'https://aws.amazon.com/SAML/Attributes/RoleSessionName']],`
	fx := diagnose.Fix{Summary: "s", IdPProduct: "SimpleSAMLphp", IdPDocs: "https://simplesamlphp.org/",
		IdPSteps: []string{"In the entry <urn:amazon:webservices> add:", php}, IdPCode: []int{1}}
	var b bytes.Buffer
	bw := &errWriter{w: &b}
	writeFixMarkdown(bw, "Fix", fx)
	out := b.String()
	if !strings.Contains(out, "```\n   "+php+"\n   ```") {
		t.Errorf("configuration not in a code block:\n%s", out)
	}
	if strings.Contains(out, "=&gt;") {
		t.Errorf("configuration escaped as HTML:\n%s", out)
	}
	// Near miss: the words around it are escaped.
	if !strings.Contains(out, "&lt;urn:amazon:webservices&gt;") {
		t.Errorf("a step of words not escaped:\n%s", out)
	}
}
