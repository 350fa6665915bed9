package redact_test

import (
	"bytes"
	"testing"

	"github.com/samldoctor/samldoctor/internal/redact"
)

func TestDbg(t *testing.T) {
	var p position
	for _, q := range positions {
		if q.name == "multipart" {
			p = q
		}
	}
	har := planted(carriers[9], 1, p, "x", "0")
	var out bytes.Buffer
	redact.HAR("d.har", bytes.NewReader(har), &out)
	s := out.String()
	i := bytes.Index(out.Bytes(), []byte("postData"))
	t.Logf("%s", s[i:i+400])
	j := bytes.Index(out.Bytes(), []byte(`name=\"note`))
	t.Logf("%s", s[j:j+300])
}
