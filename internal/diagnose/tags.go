package diagnose

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/fix"
	"github.com/samldoctor/samldoctor/internal/iampolicy"
)

// STS's limits on the session tags of AssumeRoleWithSAML, from "Pass
// session tags in AWS STS" and the STS API's Tag type: at most 50 tags,
// keys of 1 to 128 characters and values of at most 256, from letters,
// digits, white space and _ . : / = + - @, one value each; and
// TransitiveTagKeys names tags that are sent. Any of them broken fails the
// sign-in with "Unable to validate tags (Service: AWSSecurityToken; ...
// Error Code: ValidationError)".
const (
	maxSessionTags = 50
	maxTagKey      = 128
	maxTagValue    = 256
	sessionTagDocs = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"
)

var tagTextRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// checkSessionTags judges the assertion's session tags against STS's
// limits (S2), offline.
func (r *run) checkSessionTags() {
	v := r.awsView
	if v == nil || len(v.PrincipalTags) == 0 && len(v.TransitiveTagKeys) == 0 {
		return
	}
	var ev []Evidence
	var titles []string
	var drop, dropTransitive []string
	add := func(title string, e Evidence, key string) {
		titles = append(titles, title)
		ev = append(ev, e)
		if key != "" && !slices.Contains(drop, key) {
			drop = append(drop, key)
		}
	}
	for _, t := range v.PrincipalTags {
		where := r.attrWhere(assertion.AttrPrincipalTag + t.Key)
		n := utf8.RuneCountInString(t.Key)
		switch {
		case n == 0:
			add("A session tag has an empty key", Evidence{What: "attribute", Value: assertion.AttrPrincipalTag, Where: where}, t.Key)
		case n > maxTagKey:
			add(fmt.Sprintf("The session tag key %s is %d characters long; STS takes at most %d", shorten(t.Key, 40), n, maxTagKey),
				Evidence{What: fmt.Sprintf("session tag key, %d characters (the limit is %d)", n, maxTagKey), Value: t.Key, Where: where}, t.Key)
		case !tagTextRE.MatchString(t.Key):
			add(fmt.Sprintf("The session tag key %q has characters STS does not take", t.Key),
				Evidence{What: "session tag key with characters outside letters, digits, spaces and _ . : / = + - @", Value: t.Key, Where: where}, t.Key)
		}
		if len(t.Values) > 1 {
			add(fmt.Sprintf("The session tag %s has %d values; STS takes one value per session tag", t.Key, len(t.Values)),
				Evidence{What: fmt.Sprintf("values of PrincipalTag:%s (%d; multivalued session tags are not supported)", t.Key, len(t.Values)), Value: strings.Join(t.Values, " | "), Where: where}, t.Key)
		}
		for _, val := range t.Values {
			if m := utf8.RuneCountInString(val); m > maxTagValue {
				add(fmt.Sprintf("The value of session tag %s is %d characters long; STS takes at most %d", t.Key, m, maxTagValue),
					Evidence{What: fmt.Sprintf("value of PrincipalTag:%s, %d characters (the limit is %d)", t.Key, m, maxTagValue), Value: shorten(val, 120), Where: where}, t.Key)
			} else if !tagTextRE.MatchString(val) {
				add(fmt.Sprintf("The value of session tag %s has characters STS does not take", t.Key),
					Evidence{What: fmt.Sprintf("value of PrincipalTag:%s with characters outside letters, digits, spaces and _ . : / = + - @", t.Key), Value: shorten(val, 120), Where: where}, t.Key)
			}
		}
	}
	if n := len(v.PrincipalTags); n > maxSessionTags {
		titles = append([]string{fmt.Sprintf("The assertion sends %d session tags; STS takes at most %d", n, maxSessionTags)}, titles...)
		ev = append([]Evidence{{What: fmt.Sprintf("PrincipalTag attributes: %d (the limit is %d)", n, maxSessionTags), Value: tagKeys(v.PrincipalTags), Where: r.at(v.Assertion + "/AttributeStatement")}}, ev...)
	}
	for _, k := range v.TransitiveTagKeys {
		if !slices.ContainsFunc(v.PrincipalTags, func(t assertion.Tag) bool { return strings.EqualFold(t.Key, k) }) {
			titles = append(titles, fmt.Sprintf("TransitiveTagKeys names %s, which is not a session tag the assertion sends", k))
			ev = append(ev, Evidence{What: "TransitiveTagKeys value with no PrincipalTag:" + k + " attribute", Value: k, Where: r.attrWhere(assertion.AttrTransitiveTagKeys)})
			dropTransitive = append(dropTransitive, k)
		}
	}
	if len(titles) == 0 {
		return
	}
	title := titles[0]
	if len(titles) > 1 {
		title += fmt.Sprintf(" (and %d more problems with the session tags)", len(titles)-1)
	}
	f := Finding{ID: "aws.session_tags_invalid", Severity: Error, Title: title,
		Detail: "STS validates the session tags of AssumeRoleWithSAML (the PrincipalTag:KEY attributes) before it assumes the role: at most 50, keys of 1 to 128 characters and values of at most 256, made of letters, digits, spaces and _ . : / = + - @, one value each; TransitiveTagKeys names tags that are sent (" + sessionTagDocs + "). " +
			"Otherwise the sign-in fails with \"Unable to validate tags (Service: AWSSecurityToken; Status Code: 400; Error Code: ValidationError)\".",
		Evidence: ev, Explains: []string{"signin.tags_invalid"}}
	excess := len(v.PrincipalTags) - len(drop) - maxSessionTags
	if excess > 0 {
		more, ok := r.excessTags(excess, drop)
		if !ok {
			f.Fix = &Fix{Summary: fmt.Sprintf("Send at most %d session tags: stop sending %d of the %d the IdP sends now%s.", maxSessionTags, excess+len(drop), len(v.PrincipalTags), dropNote(drop)),
				Check: &fix.Check{Result: fix.NotChecked, Why: "which session tags to stop sending is a choice: the role's policies, which show the tags they use, are not in the evidence (pass get-account-authorization-details or get-role and its policies)"}}
			r.add(f)
			return
		}
		drop = append(drop, more...)
	}
	c := fix.DropSessionTags{Tags: drop, TransitiveKeys: dropTransitive}
	f.Fix = r.newFix("Make the IdP send session tags STS accepts: "+c.What()+".", c)
	if len(drop) > 0 {
		f.Alternatives = []Fix{{Summary: "Keep the tags and map each to an attribute whose value STS accepts (one value, at most 256 characters, letters, digits, spaces and _ . : / = + - @).",
			Check: &fix.Check{Result: fix.NotChecked, Why: "which attribute holds an acceptable value is in the IdP's directory, not in the evidence"}}}
	}
	r.add(f)
}

func dropNote(drop []string) string {
	if len(drop) == 0 {
		return ""
	}
	return " (" + strings.Join(drop, ", ") + " among them, which STS refuses in any case)"
}

func tagKeys(tags []assertion.Tag) string {
	var keys []string
	for _, t := range tags {
		keys = append(keys, t.Key)
	}
	return strings.Join(keys, ", ")
}

// shorten cuts a long value for display, saying how long it was.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + fmt.Sprintf("… (%d characters)", len(r))
}

// excessTags chooses n session tags to stop sending, beyond those already
// dropped: the last ones that no policy of the role uses. It needs the
// role's policies to know which tags they use.
func (r *run) excessTags(n int, dropped []string) ([]string, bool) {
	docs := r.rolePolicyDocs()
	if docs == nil {
		return nil, false
	}
	tags := r.awsView.PrincipalTags
	var unused, used []string
	for i := len(tags) - 1; i >= 0; i-- {
		k := tags[i].Key
		if slices.Contains(dropped, k) {
			continue
		}
		if len(policiesUsingTag(docs, k)) == 0 {
			unused = append(unused, k)
		} else {
			used = append(used, k)
		}
	}
	pick := append(unused, used...)
	if len(pick) < n {
		return nil, false
	}
	out := slices.Clone(pick[:n])
	slices.Reverse(out)
	return out, true
}

// rolePolicyDocs are the role's trust and identity policies, by label;
// nil when the role's policies are not all in the evidence.
func (r *run) rolePolicyDocs() map[string]*iampolicy.Policy {
	ro := r.role
	if ro == nil || ro.Trust == nil || !ro.InlineComplete || !ro.AttachedComplete {
		return nil
	}
	docs := map[string]*iampolicy.Policy{"the trust policy of role " + ro.Name: ro.Trust}
	for _, n := range rolePolicies(ro, r.aws.Policies) {
		docs[n.Name] = n.Policy
	}
	return docs
}

// policiesUsingTag are the labels of the policies that name a session
// tag's key in a condition (aws:RequestTag/KEY, aws:PrincipalTag/KEY,
// or among the values of aws:TagKeys or sts:TransitiveTagKeys).
func policiesUsingTag(docs map[string]*iampolicy.Policy, key string) []string {
	var out []string
	for _, label := range slices.Sorted(maps.Keys(docs)) {
		d := strings.ToLower(docs[label].Document())
		k := strings.ToLower(key)
		if strings.Contains(d, "tag/"+k+"\"") || strings.Contains(d, "tag/"+k+"}") || strings.Contains(d, "\""+k+"\"") && (strings.Contains(d, "aws:tagkeys") || strings.Contains(d, "sts:transitivetagkeys")) {
			out = append(out, label)
		}
	}
	return out
}

// tagBreaks names the role's policies that use a session tag the change
// stops sending: what they allow or deny by it changes.
func (r *run) tagBreaks(c fix.DropSessionTags) []string {
	docs := r.rolePolicyDocs()
	var out []string
	for _, k := range c.Tags {
		for _, label := range policiesUsingTag(docs, k) {
			out = append(out, fmt.Sprintf("%s uses the session tag %s: what it allows or denies by it changes without the tag", label, k))
		}
	}
	return out
}
