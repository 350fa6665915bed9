package fix

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/samldoctor/samldoctor/internal/assertion"
	"github.com/samldoctor/samldoctor/internal/capture"
	"github.com/samldoctor/samldoctor/internal/evidence"
)

// World is a copy of a diagnosis's inputs that changes are applied to
// without touching the original: the sign-in's message (its decoded
// assertion and the view AWS judged), the pages, the AWS evidence, and
// the embedded CCP's frames.
type World struct {
	Msg   capture.Message
	AWS   evidence.Set
	Pages []capture.Page
	// IdPHost is the host of the IdP page that posted the message: its
	// Date headers move with the IdP's clock.
	IdPHost string
	// Users is the instance's user list the diagnosis used (a list of
	// the original evidence; the world edits its own copy of it).
	Users *evidence.UserList
	// IdPMetadata is the metadata the IdP publishes, from --idp-metadata;
	// else the response's own issuer and KeyInfo certificates, and
	// MetadataAssumed says so.
	IdPMetadata     *evidence.Metadata
	MetadataAssumed bool
	// Embedded is the embedded CCP's frames, for the changes to it.
	Embedded *Embedded
	// Assumptions are what the model of a change takes for granted.
	Assumptions []string
}

// Embedded is what the embedded CCP's causes are judged on.
type Embedded struct {
	// Host is the CCP's host the frames load (Streams' ccpUrl); Origin
	// the embedding page's origin.
	Host   string
	Origin string
	// CSP are the frame-ancestors Connect answers the frame with: the
	// instance's approved origins. Reported: the browser's own reports
	// refuse the frame.
	CSP      [][]string
	Reported bool
	// Approved are the instance's approved origins, when known.
	Approved *evidence.ApprovedOrigins
	// PopupLogin: the sign-in goes through Streams' login popup, never a
	// frame; AutoClose: Streams closes the popup once the frame has the
	// session.
	PopupLogin, AutoClose bool
	// Withheld: the embedding page's referrer policy sends Connect no
	// origin with the frame's request, so Connect's frame-ancestors cannot
	// name it, approved or not. Approval says whether the origin is
	// approved: 1 yes, -1 no, 0 not in the evidence. Unsettled: a change
	// made the origin reach Connect, and whether Connect approves it is
	// not in the evidence.
	Withheld  bool
	Approval  int
	Unsettled bool
}

// nameOrigin is Connect answering the frame with frame-ancestors that
// name the embedding origin: the browser then shows it.
func (e *Embedded) nameOrigin() {
	csp := make([][]string, len(e.CSP))
	for i, p := range e.CSP {
		csp[i] = append(slices.Clone(p), e.Origin)
	}
	e.CSP, e.Reported = csp, false
}

// NewWorld is a world made from a copy of msg (whose parsed message the
// caller has already copied when it judged another view of it), pages
// and aws.
func NewWorld(msg *capture.Message, pages []capture.Page, aws *evidence.Set) *World {
	w := &World{Msg: *msg}
	w.Msg.Seen = slices.Clone(msg.Seen)
	if w.Msg.Parsed != nil {
		w.Msg.AWS = w.Msg.Parsed.AWS // the copy's, edited with it
	}
	w.AWS = copyAWS(aws)
	w.Pages = slices.Clone(pages)
	return w
}

// copyAWS is a copy of the AWS evidence whose lists a change may edit.
func copyAWS(src *evidence.Set) evidence.Set {
	c := *src
	// Facts were attributed to the sign-in's role and provider by the
	// first diagnosis; the copy does not attribute them again.
	c.Unattributed = evidence.Unattributed{}
	c.Roles = slices.Clone(src.Roles)
	c.Users = maps.Clone(src.Users)
	c.Providers = slices.Clone(src.Providers)
	c.Policies = maps.Clone(src.Policies)
	c.Events = slices.Clone(src.Events)
	c.Simulations = slices.Clone(src.Simulations)
	c.TrafficGroups = slices.Clone(src.TrafficGroups)
	c.Org.Policies = maps.Clone(src.Org.Policies)
	if pl := src.ProviderList; pl != nil {
		l := *pl
		l.ARNs = slices.Clone(pl.ARNs)
		c.ProviderList = &l
	}
	return c
}

// Assertion is the assertion the diagnosis judged, in the world's copy.
func (w *World) Assertion() *assertion.Assertion {
	if w.Msg.Parsed == nil {
		return nil
	}
	return w.Msg.Parsed.Consumed()
}

func (w *World) view() (*assertion.AWS, error) {
	if w.Msg.Parsed == nil || w.Msg.Parsed.AWS == nil {
		return nil, NotModelled("the message's attributes could not be read")
	}
	return w.Msg.Parsed.AWS, nil
}

func (w *World) role(name string) (*evidence.Role, error) {
	for i, ro := range w.AWS.Roles {
		if ro.Name == name {
			c := *ro
			c.Inline = maps.Clone(ro.Inline)
			c.Attached = slices.Clone(ro.Attached)
			w.AWS.Roles[i] = &c
			return &c, nil
		}
	}
	return nil, NotModelled("role %s is not in the AWS data", name)
}

func (w *World) provider(arn string) (*evidence.SAMLProvider, error) {
	for i, p := range w.AWS.Providers {
		if p.ARN == arn {
			c := *p
			w.AWS.Providers[i] = &c
			return &c, nil
		}
	}
	return nil, NotModelled("get-saml-provider output for %s is not in the AWS data", arn)
}

// users is the world's copy of the user list the diagnosis used, for
// editing.
func (w *World) users() (*evidence.UserList, error) {
	for k, ul := range w.AWS.Users {
		if ul == w.Users && ul != nil {
			c := *ul
			c.Users = slices.Clone(ul.Users)
			w.AWS.Users[k] = &c
			w.Users = &c
			return &c, nil
		}
	}
	return nil, NotModelled("the instance's user list is not in the AWS data")
}

// Error is a change that cannot be made as written.
type Error struct {
	// Refused: AWS would refuse the change. Wrong: its parts disagree
	// (applied as written, it does not produce what it says). Neither:
	// the check cannot model it.
	Refused, Wrong bool
	Why            string
}

func (e *Error) Error() string { return e.Why }

// NotModelled is a change the check cannot apply.
func NotModelled(format string, a ...any) error {
	return &Error{Why: fmt.Sprintf(format, a...)}
}

// Refused is a change AWS would refuse.
func Refused(format string, a ...any) error {
	return &Error{Refused: true, Why: fmt.Sprintf(format, a...)}
}

// Wrong is a change whose parts disagree: applied as written, it does
// not produce what it says it does.
func Wrong(format string, a ...any) error {
	return &Error{Wrong: true, Why: fmt.Sprintf(format, a...)}
}

// SourceLabel names a change's source as the admin sees it in the
// capture.
func SourceLabel(source string) string {
	if source == SourceNameID {
		return "the NameID"
	}
	return "attribute " + ShortAttr(source)
}

// ShortAttr is an AWS attribute's name without AWS's prefix.
func ShortAttr(name string) string {
	return strings.TrimPrefix(name, "https://aws.amazon.com/SAML/Attributes/")
}

// NewAWSWorld is a world of AWS evidence alone, for changes judged
// without a sign-in (the audit's).
func NewAWSWorld(aws *evidence.Set) *World {
	return &World{AWS: copyAWS(aws)}
}
