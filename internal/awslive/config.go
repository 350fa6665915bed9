package awslive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Options bound the live calls: nothing waits on AWS forever.
type Options struct {
	// Profile and Region are as for the AWS CLI (--profile, --region).
	Profile, Region string
	// DialTimeout bounds connecting; CallTimeout each attempt of a call
	// (the request and its whole answer); Timeout the whole collection.
	DialTimeout, CallTimeout, Timeout time.Duration
	// MaxBackoff caps the wait between retries of a throttled call.
	MaxBackoff time.Duration
	// MaxAnswer, when set, caps every answer at that many bytes instead
	// of each call's own cap (see answerCap).
	MaxAnswer int64
}

// answerCap is the cap on each call's answer.
func (o Options) answerCap() func(call string) int64 {
	if o.MaxAnswer > 0 {
		return func(string) int64 { return o.MaxAnswer }
	}
	return answerCap
}

// Defaults for Options: a read-only call answers in well under a second;
// a page of 100 users or 50 events in a few.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultCallTimeout = 20 * time.Second
	DefaultTimeout     = 2 * time.Minute
	DefaultMaxBackoff  = 20 * time.Second
)

func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	return o
}

// LoadConfig reads the standard credential chain (AWS_PROFILE or Profile,
// SSO profiles after `aws sso login`, environment variables, instance
// roles) and checks that it yields credentials. The SDK's own log lines
// (such as "falling back to IMDSv1") are not printed: a missing credential
// is one error that says what to do.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	o = o.withDefaults()
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return aws.Config{}, fmt.Errorf("no AWS credentials found (set AWS_PROFILE or --profile, run aws sso login, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): %w", errors.Unwrap(err))
	}
	return cfg, nil
}

// httpClient is the SDK's HTTP client with a connect deadline and a
// deadline on each attempt.
func httpClient(o Options) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = o.DialTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = o.DialTimeout
			t.ResponseHeaderTimeout = o.CallTimeout
		}).
		WithTimeout(o.CallTimeout)
}

// unreachable reports whether err says AWS could not be reached at all
// (refused, no such host, no route, no connection within the dial
// deadline), as opposed to an answer: retrying that only delays the
// verdict.
func unreachable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// timedOut reports whether err is a deadline: the service accepted the
// connection and did not answer in time.
func timedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// breaker remembers hosts found unreachable, so that the other calls to
// them fail at once with the same error instead of each waiting for its
// own dial deadline.
type breaker struct {
	mu   sync.Mutex
	down map[string]error
}

func (b *breaker) add(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("samldoctorBreaker", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		host := ""
		if req, ok := in.Request.(*smithyhttp.Request); ok {
			host = req.URL.Host
		}
		b.mu.Lock()
		err := b.down[host]
		b.mu.Unlock()
		if err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, err
		}
		out, md, err := next.HandleFinalize(ctx, in)
		if err != nil && unreachable(err) && host != "" {
			b.mu.Lock()
			b.down[host] = err
			b.mu.Unlock()
		}
		return out, md, err
	}), middleware.After)
}
