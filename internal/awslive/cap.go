package awslive

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
)

// Answer size caps. Every AWS answer the clients read is cut off at its
// call's cap, so that a hostile or broken endpoint cannot make the SDK
// decode gigabytes: the SDK decodes a whole answer in memory, at many
// times its size. The caps sit well above what AWS documents a call can
// return: a page of users, roles or policies is a few hundred kilobytes;
// LookupEvents returns at most 50 records of up to 256 KB each; a SAML
// provider's metadata document is at most 10,000,000 characters, which
// IAM's XML answer escapes.
const (
	DefaultMaxAnswer = 8 << 20
	MaxEventsAnswer  = 32 << 20
	MaxSAMLAnswer    = 64 << 20
)

// answerCap is the cap on the answer of call ("iam:GetSAMLProvider").
func answerCap(call string) int64 {
	switch call {
	case "iam:GetSAMLProvider":
		return MaxSAMLAnswer
	case "cloudtrail:LookupEvents":
		return MaxEventsAnswer
	}
	return DefaultMaxAnswer
}

// AnswerTooLargeError says which call's answer passed its cap.
type AnswerTooLargeError struct {
	Call string
	Cap  int64
}

func (e *AnswerTooLargeError) Error() string {
	return fmt.Sprintf("the answer to %s is larger than samldoctor's cap of %d MiB on it, so it was not read (an endpoint other than AWS, or a proxy, may be answering: check the Region, AWS_ENDPOINT_URL and the proxy settings)", e.Call, e.Cap>>20)
}

// isTooLarge reports whether err is an answer cut off at its cap.
func isTooLarge(err error) bool {
	var e *AnswerTooLargeError
	return errors.As(err, &e)
}

// callName is "connect:DescribeInstance" for the operation a request is
// made for, read from the SDK's stack values in its context.
func callName(r *http.Request) string {
	svc := strings.ToLower(strings.ReplaceAll(awsmiddleware.GetServiceID(r.Context()), " ", ""))
	op := awsmiddleware.GetOperationName(r.Context())
	if svc == "" && op == "" {
		return "an AWS call"
	}
	return svc + ":" + op
}

// cappedClient cuts every answer off at its call's cap: an answer that
// says it is larger is refused before its body is read, one that does not
// say fails when it passes the cap.
type cappedClient struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	cap func(call string) int64
}

func (c cappedClient) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	call := callName(r)
	limit := c.cap(call)
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, &AnswerTooLargeError{Call: call, Cap: limit}
	}
	resp.Body = &cappedBody{rc: resp.Body, left: limit, err: &AnswerTooLargeError{Call: call, Cap: limit}}
	return resp, nil
}

// cappedBody reads at most left bytes, then fails with err.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more says whether the answer ends at the cap.
		var one [1]byte
		if n, _ := io.ReadFull(b.rc, one[:]); n == 0 {
			return 0, io.EOF
		}
		return 0, b.err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
