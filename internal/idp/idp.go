// Package idp names the identity-provider product that produced a SAML
// response, from evidence in the capture (issuer shape, IdP host names and
// URLs, certificate subjects, attribute names, message ID style), and gives
// fixes in that product's own words and places.
//
// Each product's evidence rules and fix steps are data, one file per
// product in products/, so that a product can be corrected without touching
// the diagnosis logic. docs/idps.md lists them with their sources.
package idp

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

//go:embed products/*.json
var productFiles embed.FS

// Unknown is the product when the evidence does not settle it.
const Unknown = "unknown"

// Product is one IdP product: how to recognise it and how to fix things in
// it.
type Product struct {
	ID    string         `json:"id"`
	Name  string         `json:"name"`
	Clues []Rule         `json:"clues"`
	Fixes map[string]Fix `json:"fixes"`
	// Errors are the product's own error pages: the texts it shows when it
	// stops a sign-in before sending any SAML, from its documentation.
	Errors []ErrorPage `json:"errors"`
	// Sources name, for attributes the product sends by default, the
	// product's own source expression (Entra's name claim is
	// user.userprincipalname), so that a step can name it.
	Sources map[string]string `json:"sources,omitempty"`
	// NoCaseTransform is set for a product whose attribute mappings have
	// no case function (AD FS's claim rule language, Google's SAML
	// attribute mapping): a case transformation cannot be made there.
	NoCaseTransform bool `json:"noCaseTransform,omitempty"`
	// Language is the language of the product's expressions (a Fix's
	// Expr): "entra" (claim transformations) or "okta" (Okta Expression
	// Language); see package expr.
	Language string `json:"language,omitempty"`
	// Variables bind the product's expression variables to the sources
	// in the capture that show their values (with Sources, each of which
	// binds a default claim's source attribute); see Bind.
	Variables []Variable `json:"variables,omitempty"`
}

// ErrorPage is one error the product shows, recognised by its text.
type ErrorPage struct {
	// ID is the cause it means: idp.user_not_assigned, idp.app_not_found,
	// idp.reply_url_mismatch, idp.authentication_required, idp.error.
	ID      string `json:"id"`
	Pattern string `json:"pattern"`
	Says    string `json:"says"`
	Docs    string `json:"docs"`
	// OnHost is set for a text too generic to name the product anywhere
	// but on the product's own hosts ("An unexpected error has
	// occurred").
	OnHost bool `json:"onHost,omitempty"`
	re     *regexp.Regexp
	// words gate the pattern: for one of its alternatives, every word
	// must be in the page (see requiredWords).
	words [][]string
}

// ErrorMatch is an error page found in a text.
type ErrorMatch struct {
	Product string
	Cause   string
	Says    string
	Docs    string
	// Code is the text matched, or the pattern's first group (AADSTS50105,
	// app_not_enabled_for_user); At is where it starts.
	Code string
	At   int
}

// FindErrors finds the products' error texts in the text of a page of
// host; the first rule of a product that matches wins (specific codes come
// before a product's generic one).
func FindErrors(host, text string) []ErrorMatch {
	var out []ErrorMatch
	lower := []byte(strings.ToLower(text))
	for _, p := range Products {
		for _, e := range p.Errors {
			if e.OnHost && !p.isHost(host) || !e.mayMatch(lower) {
				continue
			}
			if loc := e.re.FindStringSubmatchIndex(text); loc != nil {
				// The code is the pattern's first group when it has one
				// (the pattern may need context the code does not
				// include: "(AADSTS50105):").
				if len(loc) >= 4 && loc[2] >= 0 {
					loc = loc[2:4]
				}
				out = append(out, ErrorMatch{Product: p.ID, Cause: e.ID, Says: e.Says, Docs: e.Docs, Code: text[loc[0]:loc[1]], At: loc[0]})
				break
			}
		}
	}
	return out
}

// IsHost reports whether a host name is one of a product's sign-in hosts
// (the host clues that settle or strongly suggest it).
func IsHost(host string) bool {
	for _, p := range Products {
		if p.isHost(host) {
			return true
		}
	}
	return false
}

func (p *Product) isHost(host string) bool {
	for _, r := range p.Clues {
		if r.Kind == "host" && r.Weight >= 2 && r.re.MatchString(host) {
			return true
		}
	}
	return false
}

// Rule is one kind of evidence for a product.
type Rule struct {
	// Kind is what the pattern is matched against: "issuer", "host" (IdP
	// host names in the capture), "url" (IdP URLs), "cert" (signing
	// certificate subjects), "attribute" (attribute names), "id" (message
	// and assertion IDs), "wrapped" (the element wrapping the message).
	Kind    string `json:"kind"`
	Pattern string `json:"pattern"`
	// Weight: 3 settles it alone, 2 and 1 only together with others.
	Weight int    `json:"weight"`
	Says   string `json:"says"`
	re     *regexp.Regexp
}

// Fix is the steps for one kind of change, with the page they come from.
type Fix struct {
	Docs  string   `json:"docs"`
	Steps []string `json:"steps"`
	// Expr is, for a step that has the admin type an expression, that
	// expression as a template filled from the same Values; the steps
	// print it as {{.Expr}} and the check evaluates it (WithExpression,
	// Evaluate).
	Expr string `json:"expr,omitempty"`
}

// Kinds of fix made at the IdP.
var FixKinds = []string{"rolesessionname", "rolesessionname-case", "rolesessionname-profile", "role", "audience", "acs", "relaystate", "metadata", "signing", "signing-algorithm", "nameid", "assignment", "clock"}

// Products are all products known, in a stable order.
var Products = load()

func load() []*Product {
	entries, err := productFiles.ReadDir("products")
	if err != nil {
		panic(err)
	}
	var out []*Product
	for _, e := range entries {
		b, err := productFiles.ReadFile(path.Join("products", e.Name()))
		if err != nil {
			panic(err)
		}
		var p Product
		if err := json.Unmarshal(b, &p); err != nil {
			panic(fmt.Sprintf("idp: %s: %v", e.Name(), err))
		}
		for i := range p.Errors {
			p.Errors[i].re = regexp.MustCompile(p.Errors[i].Pattern)
			p.Errors[i].words = requiredWords(p.Errors[i].Pattern)
		}
		for i := range p.Clues {
			p.Clues[i].re = regexp.MustCompile(p.Clues[i].Pattern)
		}
		out = append(out, &p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup returns a product by id.
func Lookup(id string) *Product {
	for _, p := range Products {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Observation is one thing seen that may name the product.
type Observation struct {
	Kind  string
	Value string
	Where string
}

// Clue is an observation that matched a product's rule.
type Clue struct {
	Product string
	Kind    string
	Value   string
	Where   string
	Says    string
	Weight  int
}

// Detection is the product named, and why.
type Detection struct {
	Product  string
	Name     string
	Evidence []Clue
	// Reason says why the product is unknown.
	Reason string
}

// Decision thresholds: a product needs Settle points (one strong clue, or
// several weaker ones) and Lead points more than any other.
const (
	Settle = 3
	Lead   = 2
)

// Detect names the product from observations. It never guesses from a
// single weak hint, nor between two products with similar evidence.
func Detect(obs []Observation) Detection {
	scores := map[string]int{}
	var clues []Clue
	for _, p := range Products {
		for _, r := range p.Clues {
			for _, o := range obs {
				if o.Kind == r.Kind && r.re.MatchString(o.Value) {
					scores[p.ID] += r.Weight
					clues = append(clues, Clue{Product: p.ID, Kind: r.Kind, Value: o.Value, Where: o.Where, Says: r.Says, Weight: r.Weight})
					break // each rule counts once
				}
			}
		}
	}
	// A product's own error text names it: its codes (AADSTS50105,
	// app_not_configured_for_user) are its alone.
	for _, p := range Products {
	errs:
		for _, e := range p.Errors {
			for _, o := range obs {
				if o.Kind == "error-page" && e.re.MatchString(o.Value) {
					scores[p.ID] += Settle
					clues = append(clues, Clue{Product: p.ID, Kind: o.Kind, Value: o.Value, Where: o.Where, Says: "the IdP's error page shows " + p.Name + "'s own text", Weight: Settle})
					break errs
				}
			}
		}
	}
	ranked := make([]string, 0, len(scores))
	for id := range scores {
		ranked = append(ranked, id)
	}
	sort.Slice(ranked, func(i, j int) bool {
		if scores[ranked[i]] != scores[ranked[j]] {
			return scores[ranked[i]] > scores[ranked[j]]
		}
		return ranked[i] < ranked[j]
	})
	d := Detection{Product: Unknown, Name: "an identity provider samldoctor does not recognise", Evidence: []Clue{}}
	if len(ranked) == 0 {
		d.Reason = "nothing in the capture names the product"
		return d
	}
	best := ranked[0]
	second := 0
	if len(ranked) > 1 {
		second = scores[ranked[1]]
	}
	switch {
	case scores[best] < Settle:
		d.Reason = fmt.Sprintf("the only hints (%s) are too weak to name the product", hintList(clues))
		d.Evidence = clues
		return d
	case scores[best]-second < Lead:
		d.Reason = fmt.Sprintf("the evidence points at both %s and %s", Lookup(best).Name, Lookup(ranked[1]).Name)
		d.Evidence = clues
		return d
	}
	p := Lookup(best)
	d.Product, d.Name = p.ID, p.Name
	for _, c := range clues {
		if c.Product == best {
			d.Evidence = append(d.Evidence, c)
		}
	}
	return d
}

func hintList(clues []Clue) string {
	var s []string
	for _, c := range clues {
		s = append(s, c.Says)
	}
	return strings.Join(s, "; ")
}

// Values fill in a fix's steps.
type Values struct {
	RoleSessionName string
	// ConnectUser is the exact Connect user name the IdP should send, when
	// known; CaseTransform is "lower" or "upper" when a case transformation
	// of the sent value yields it, "" when none does.
	ConnectUser   string
	CaseTransform string
	RolePair      string
	RoleArn       string
	ProviderArn   string
	Account       string
	ACS           string
	Audience      string
	RelayState    string
	// RelayStateEncoded is RelayState URL-encoded once; ..DoubleEncoded
	// twice (AD FS nests it in its own RelayState).
	RelayStateEncoded       string
	RelayStateDoubleEncoded string
	// ClockOffset says how far the IdP's clock is off AWS's, e.g. "2h0m0s
	// behind AWS's".
	ClockOffset string
	// Source is what the IdP is seen to send that the change builds on:
	// an attribute's name as sent, or "NameID"; SourceValue its value for
	// this agent; SourceExpr the product's own name for it when the
	// product's data knows it (Entra's default claims).
	Source      string
	SourceValue string
	SourceExpr  string
	// Scope is whom the change reaches: "agent", "group" or
	// "application".
	Scope string
	// AgentAttr is an attribute the IdP sends whose value, AgentValue,
	// identifies this agent (it equals the NameID), for a rule scoped to
	// this agent; AgentValue is the NameID when no attribute equals it.
	AgentAttr  string
	AgentValue string
	// SPEntity is the application's service-provider entity as the IdP
	// knows it (the audience it sends today, or the entity in the
	// IdP-initiated link the agent started from); SPEntityEncoded is it
	// URL-encoded. StartLink is that link as the capture shows it.
	SPEntity        string
	SPEntityEncoded string
	StartLink       string
	// Variant is the product's application variant when the capture
	// settles it: "aws-account-federation" (Okta's catalog app).
	Variant string
	// SourceVar is the product's expression variable that holds the
	// source's value (Entra's user.userprincipalname, Okta's
	// appuser.userName); Expr the expression the step has the admin type,
	// rendered from the product's Expr template; ExprForm the same as the
	// product's form fields, where its console builds it from fields
	// (Entra's Manage transformation). Set by WithExpression.
	SourceVar string
	Expr      string
	ExprForm  string
}

// CodePrefix marks a step of a product's data that is configuration text
// in the product's own language (a SimpleSAMLphp authproc entry, an AD FS
// claim rule): renderers show it as code, as it is to be pasted.
const CodePrefix = "code: "

// CodeSteps are the indexes of the steps of a product's kind of fix that
// are configuration text.
func CodeSteps(product, kind string) []int {
	p := Lookup(product)
	if p == nil {
		return nil
	}
	var out []int
	for i, s := range p.Fixes[kind].Steps {
		if strings.HasPrefix(s, CodePrefix) {
			out = append(out, i)
		}
	}
	return out
}

// Steps returns the product's steps for a kind of fix with the values
// filled in, and the page they come from; ok is false when the product has
// none.
func Steps(product, kind string, v Values) (steps []string, docs string, ok bool) {
	p := Lookup(product)
	if p == nil {
		return nil, "", false
	}
	f, found := p.Fixes[kind]
	if !found {
		return nil, "", false
	}
	for _, s := range f.Steps {
		step, err := fill(strings.TrimPrefix(s, CodePrefix), v)
		if err != nil {
			return nil, "", false
		}
		steps = append(steps, step)
	}
	return steps, f.Docs, true
}
