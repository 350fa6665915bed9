package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/diagnose"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/idp"
)

// A product's configuration step (PHP, a claim rule) reaches Markdown as a
// code block, as it is to be pasted; a step of words stays escaped text.
func TestIdPCodeInMarkdown(t *testing.T) {
	fx := diagnose.Fix{Summary: "s",
		Changes:   []fix.Change{fix.SetAttribute{Attribute: assertion.AttrRoleSessionName, Value: "jane", Source: "uid", Scope: fix.ScopeApplication}},
		Product:   &idp.Detection{Product: "simplesamlphp", Name: "SimpleSAMLphp"},
		IdPValues: idp.Values{SPEntity: "urn:amazon:webservices<b>"}, Sent: map[string]string{"uid": "jane"}}
	rf := Render(fx)
	if len(rf.IdPCode) == 0 {
		t.Fatalf("no configuration step: %+v", rf)
	}
	php := rf.IdPSteps[rf.IdPCode[0]]
	if !strings.Contains(php, "core:AttributeCopy") || !strings.Contains(php, "=>") {
		t.Fatalf("configuration step %q, want SimpleSAMLphp's AttributeCopy", php)
	}
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
	if !strings.Contains(out, "urn:amazon:webservices&lt;b&gt;") || strings.Contains(out, "<b>") {
		t.Errorf("a step of words not escaped:\n%s", out)
	}
}
