package diagnose

import (
	"slices"

	"github.com/samldoctor/samldoctor/internal/catalog"
)

// fromCatalog fills a finding's stage from the catalog, and keeps only the
// symptoms the catalog says it can explain.
func fromCatalog(f *Finding) {
	e, ok := catalog.Lookup(f.ID)
	if !ok {
		return // TestCatalogCoversFindings fails on it
	}
	if e.Stage != "" {
		f.Stage = e.Stage
	}
	if f.Detail == "" {
		f.Detail = e.Detail
	}
	if f.Explains == nil {
		f.Explains = slices.Clone(e.Explains)
	}
	if !slices.Contains(e.Explains, "*") {
		f.Explains = slices.DeleteFunc(f.Explains, func(s string) bool { return !slices.Contains(e.Explains, s) })
	}
}
