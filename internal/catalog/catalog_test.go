package catalog_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/samldoctor/samldoctor/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite docs/findings.md from the catalog")

// docs/findings.md is generated from the catalog; it fails when stale.
func TestFindingsDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "findings.md")
	want := catalog.FindingsDoc()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("docs/findings.md is stale: go test ./internal/catalog -run TestFindingsDoc -update")
	}
}
