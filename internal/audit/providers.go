package audit

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/samldoctor/samldoctor/internal/evidence"
)

// get-saml-provider's output has no ARN: a provider read from it is named
// by what the rest of the evidence settles, in this order:
//
//   - the file's name: get-saml-provider-NAME.json (or provider-NAME.json,
//     saml-provider-NAME.json), NAME one of the account's providers;
//   - its CreateDate (and ValidUntil) against list-saml-providers';
//   - its metadata's entity ID: the issuer a capture shows with a
//     provider ARN in its Role value (Input.ProviderIssuers), or a trust
//     policy's SAML:iss condition beside a provider principal;
//   - the one provider of list-saml-providers no other output is.
//
// A collect bundle and --aws name their providers already.

// providerID is a provider's ARN and how it was settled ("" when the
// output named it).
type providerID struct {
	arn, how string
}

var providerFileRE = regexp.MustCompile(`^(?:get-saml-provider|saml-provider|provider)[-_.](.+)\.json$`)

// settleProviders names every provider the evidence holds.
func (a *run) settleProviders() {
	s := a.in.AWS
	a.provIDs = map[*evidence.SAMLProvider]providerID{}
	taken := map[string]bool{}
	for _, p := range s.Providers {
		a.provIDs[p] = providerID{arn: p.ARN}
		taken[p.ARN] = true
	}
	var listed []string
	var dates []evidence.ProviderDates
	if s.ProviderList != nil {
		listed, dates = s.ProviderList.ARNs, s.ProviderList.Dates
	}
	// known are the provider ARNs the evidence names anywhere.
	known := append([]string{}, listed...)
	for _, ro := range s.Roles {
		if ro.Trust != nil {
			known = append(known, samlProviders(ro)...)
		}
	}
	for _, arn := range a.in.ProviderIssuers {
		known = append(known, arn)
	}
	settle := func(p *evidence.SAMLProvider, arn, how string) bool {
		if arn == "" || taken[arn] {
			return false
		}
		a.provIDs[p], taken[arn] = providerID{arn: arn, how: how}, true
		return true
	}
	var next []*evidence.SAMLProvider
	for _, p := range s.Unattributed.Providers {
		// The file's name.
		if m := providerFileRE.FindStringSubmatch(filepath.Base(p.Source.File)); m != nil {
			if arn := unique(known, func(arn string) bool { return strings.EqualFold(lastPart(arn), m[1]) }); settle(p, arn, fmt.Sprintf("the file's name, %s", filepath.Base(p.Source.File))) {
				continue
			}
		}
		// Its dates against list-saml-providers'.
		if !p.CreateDate.IsZero() && len(dates) == len(listed) {
			var match []string
			for i, d := range dates {
				if d.CreateDate.Equal(p.CreateDate) && (p.ValidUntil.IsZero() || d.ValidUntil.IsZero() || d.ValidUntil.Equal(p.ValidUntil)) && !taken[listed[i]] {
					match = append(match, listed[i])
				}
			}
			if len(match) == 1 && settle(p, match[0], fmt.Sprintf("its CreateDate %s, that of %s in %s", p.CreateDate.UTC().Format(time.RFC3339), lastPart(match[0]), s.ProviderList.Source)) {
				continue
			}
		}
		// Its entity ID: the issuer a capture shows with a provider, or a
		// trust policy's SAML:iss.
		if arn, how := a.providerOfEntity(p); settle(p, arn, how) {
			continue
		}
		next = append(next, p)
	}
	// The one listed provider no other output is.
	var free []string
	for _, arn := range listed {
		if !taken[arn] {
			free = append(free, arn)
		}
	}
	if len(next) == 1 && len(free) == 1 {
		settle(next[0], free[0], fmt.Sprintf("the one provider of %s no other output is", s.ProviderList.Source))
		next = nil
	}
	for _, p := range next {
		a.provIDs[p] = providerID{}
	}
}

// providerOfEntity is the provider whose entity ID is p's, by a capture's
// issuer or a trust policy's SAML:iss, and how that was seen.
func (a *run) providerOfEntity(p *evidence.SAMLProvider) (string, string) {
	if p.Metadata == nil {
		return "", ""
	}
	for _, e := range p.Metadata.Entities {
		if arn := a.in.ProviderIssuers[e.EntityID]; arn != "" {
			return arn, fmt.Sprintf("its entity ID %s, the issuer of a captured sign-in whose Role value names %s", e.EntityID, lastPart(arn))
		}
		var arns []string
		var where string
		for _, ro := range a.in.AWS.Roles {
			if ro.Trust == nil {
				continue
			}
			for _, st := range ro.Trust.Statements {
				for _, keys := range st.Condition {
					for k, vals := range keys {
						if !strings.EqualFold(k, "SAML:iss") || !slices.Contains(vals, e.EntityID) {
							continue
						}
						for _, f := range st.Principal["Federated"] {
							if strings.Contains(f, ":saml-provider/") && !slices.Contains(arns, f) {
								arns, where = append(arns, f), "role "+lastPart(ro.ARN)+"'s trust policy"
							}
						}
					}
				}
			}
		}
		if len(arns) == 1 {
			return arns[0], fmt.Sprintf("its entity ID %s, the SAML:iss %s requires of %s", e.EntityID, where, lastPart(arns[0]))
		}
	}
	return "", ""
}

// provider is how a finding names p: its ARN when settled (with how), or
// its file, and the ARN for a command (PROVIDER-ARN when unsettled, with
// the output that would settle it).
func (a *run) provider(p *evidence.SAMLProvider) (name, arn, how string) {
	id := a.provIDs[p]
	if id.arn != "" {
		return id.arn, id.arn, id.how
	}
	return p.Source.File, "PROVIDER-ARN", ""
}

// unsettledNote says which output would name a provider that could not be.
const unsettledNote = "get-saml-provider's output has no ARN, and nothing else read says which provider this is: add aws iam list-saml-providers output (its CreateDate tells), or save the output as get-saml-provider-NAME.json"

func unique(l []string, ok func(string) bool) string {
	var found string
	for _, s := range l {
		if ok(s) {
			if found != "" && found != s {
				return ""
			}
			found = s
		}
	}
	return found
}
