package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/internal/awsname"
)

// RoleSessionName is the session name of every role parsec assumes; it
// shows in CloudTrail as the role session of the reads.
const RoleSessionName = "parsec"

// roleCredentialsWindow is how long before they expire assumed credentials
// are refreshed, so no read waits for STS once a role is in use.
const roleCredentialsWindow = time.Minute

// roleKey is the context key of [WithRole].
type roleKey struct{}

// WithRole returns a context under which the reads of the Clients of [New]
// go through the IAM role roleARN (arn:PARTITION:iam::ACCOUNT:role/NAME),
// assumed with STS AssumeRole (session name [RoleSessionName]) from the
// config's own credentials: a read of another account's parameters and
// secrets. The role's credentials are cached and refreshed before they
// expire, so a role in use costs no STS call per read; one client set is
// kept per (role, region) in use, at most [WithMaxRoles] roles, the least
// recently used dropped. An empty roleARN means the config's own
// credentials.
//
// A malformed role ARN, or one of another partition than the config's
// region, fails the read before any call with an [*Error] of Kind
// [ErrInvalid] (Code "InvalidRoleARN" or "PartitionMismatch"); a role STS
// will not let the caller assume fails it with Kind [ErrAccessDenied],
// STS's code and STS's words (Op is the read's, the message names the
// role); STS throttling or unavailable, with [ErrThrottled] or
// [ErrUnavailable]. Clients not made by [New] refuse a read with a role
// ([ErrNoClient]): they have no way to assume it.
func WithRole(ctx context.Context, roleARN string) context.Context {
	if roleARN == "" && RoleFrom(ctx) == "" {
		return ctx
	}
	return context.WithValue(ctx, roleKey{}, roleARN)
}

// RoleFrom returns the role of [WithRole] in ctx, or "".
func RoleFrom(ctx context.Context) string {
	s, _ := ctx.Value(roleKey{}).(string)
	return s
}

// CheckRole reports whether roleARN has the form of an IAM role ARN. The
// error wraps [ErrMalformedARN] and names the rule. It does not say whether
// the role exists or may be assumed.
func CheckRole(roleARN string) error {
	_, err := parseRole(roleARN)
	return err
}

// parseRole checks a role ARN and returns its partition.
func parseRole(s string) (partition string, err error) {
	a, err := awsname.RoleARN(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformedARN, err)
	}
	return a.Partition, nil
}

// checkRole refuses a malformed role or one of another partition.
func (r *router) checkRole(op, name, role string) error {
	p, err := parseRole(role)
	if err != nil {
		return localError(op, name, "InvalidRoleARN", fmt.Errorf("role %s: %w", role, err))
	}
	if p != r.partition {
		return localError(op, name, "PartitionMismatch", fmt.Errorf(
			"%w: role %s is in partition %s, the client's region %q in partition %s", ErrPartitionMismatch, role, p, r.home, r.partition))
	}
	return nil
}

// roleCredentials returns the cached credentials of role, assumed through
// STS from the config's own credentials.
func (r *router) roleCredentials(role string) aws.CredentialsProvider {
	p := stscreds.NewAssumeRoleProvider(r.sts(), role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName
	})
	return aws.NewCredentialsCache(roleProvider{role: role, p: p}, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = roleCredentialsWindow
	})
}

// roleProvider marks the errors of assuming a role, so that they are told
// apart from the service's own.
type roleProvider struct {
	role string
	p    aws.CredentialsProvider
}

func (p roleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.p.Retrieve(ctx)
	if err != nil {
		return c, &roleError{role: p.role, err: err}
	}
	return c, nil
}

// roleError is a failure to assume a role.
type roleError struct {
	role string
	err  error
}

func (e *roleError) Error() string { return "AssumeRole " + e.role + ": " + e.err.Error() }
func (e *roleError) Unwrap() error { return e.err }

// classifyRole classifies the error of a call through a role: a failure
// to assume the role becomes an [*Error] whose Kind says whether STS
// refused it (4xx: [ErrAccessDenied]), throttled it or failed; any other
// error is classified as usual.
func classifyRole(op, name string, err error) error {
	var re *roleError
	if !errors.As(err, &re) || errors.Is(err, context.Canceled) {
		return Classify(op, name, err)
	}
	e := &Error{Op: op, Name: name, Err: err, Code: "AssumeRoleFailed"}
	msg := ""
	var api smithy.APIError
	if errors.As(re.err, &api) {
		e.Code, msg = api.ErrorCode(), api.ErrorMessage()
	}
	status := 0
	var resp *smithyhttp.ResponseError
	if errors.As(re.err, &resp) && resp.Response != nil && resp.Response.Response != nil {
		status = resp.HTTPStatusCode()
	}
	_, throttled := retry.DefaultThrottleErrorCodes[e.Code]
	switch {
	case throttled || status == http.StatusTooManyRequests:
		e.Kind = ErrThrottled
	case status >= 500 || status == 0 && msg == "":
		e.Kind = ErrUnavailable
	default:
		e.Kind = ErrAccessDenied
	}
	if msg == "" {
		msg = causeText(re.err)
	}
	e.Message = fmt.Sprintf("STS AssumeRole of %s: %s", re.role, msg)
	return e
}
