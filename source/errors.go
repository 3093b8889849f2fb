package source

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The kinds of upstream failure. An error returned by [Classify] matches
// exactly one of them with errors.Is. Each prints differently.
var (
	// ErrNotFound: the parameter, secret, version, label or stage does not
	// exist (ParameterNotFound, ParameterVersionNotFound,
	// ResourceNotFoundException).
	ErrNotFound = errors.New("not found")
	// ErrAccessDenied: the caller may not read the value or decrypt it
	// (AccessDeniedException, KMS errors, rejected credentials).
	ErrAccessDenied = errors.New("access denied")
	// ErrThrottled: the service refused the call because of a rate limit,
	// after the SDK's retries.
	ErrThrottled = errors.New("throttled")
	// ErrInvalid: the service rejected the request itself
	// (ValidationException, InvalidRequestException, InvalidParameterException
	// and any other client error).
	ErrInvalid = errors.New("rejected by the service")
	// ErrUnavailable: the service failed (5xx), could not be reached, or did
	// not answer in time. Transient: a later call may succeed.
	ErrUnavailable = errors.New("unavailable")
	// ErrConfig: the client could not make the call at all because of its
	// own configuration: no region, no credentials, no endpoint. Whatever
	// a credential provider's own call answered (the EC2 metadata
	// service's 403 on a host without a role, STS refusing a role) is this
	// kind, never ErrAccessDenied: the service was not asked. Not
	// transient: nothing changes until the configuration does.
	ErrConfig = errors.New("client misconfigured")
	// ErrNoClient: the operation's field of [Clients] is nil.
	ErrNoClient = errors.New("no upstream client configured")
)

// Error is a classified upstream failure. It matches its Kind with errors.Is
// and unwraps to the cause, so errors.As finds the SDK's errors
// (*smithy.OperationError, the service's typed error such as
// *types.ParameterNotFound, *net.OpError). Its message holds the operation,
// the name, the kind, and the cause's own words: AWS's code and message, the
// transport error with host and port, or a custom source's text. Never a
// value: AWS's messages name parameters and rules, not values.
type Error struct {
	Op      string // the upstream operation, for example "GetParameter"
	Name    string // the parameter name or secret id as requested
	Code    string // the AWS error code, for example "ParameterNotFound"; empty when the service did not answer
	Message string // the service's message, or the cause's text when there is no code
	Kind    error  // ErrNotFound, ErrAccessDenied, ErrThrottled, ErrInvalid, ErrUnavailable or ErrConfig
	Err     error  // the cause
}

// Error returns, for example,
// `GetParameter "/a/b": not found: ParameterNotFound: Parameter /a/b not found`
// or `GetParameter "/a/b": unavailable: dial tcp 127.0.0.1:1: connect: connection refused`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(" \"")
	b.WriteString(e.Name)
	b.WriteString("\": ")
	if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Transient reports whether a later call may succeed without any change:
// throttling and unavailability.
func (e *Error) Transient() bool { return e.Kind == ErrThrottled || e.Kind == ErrUnavailable }

// Compact returns a copy of e that keeps what its message says and what
// errors.Is and errors.As find, but not the SDK's error chain, which holds
// the request and the response with their headers (several KiB): the cause
// becomes an error of the service's type for the not-found codes (so
// errors.As still finds *types.ParameterNotFound and the others), a
// *smithy.GenericAPIError for other codes, or plain text; inside a small
// *smithy.OperationError and response error with the same operation,
// status and request id when e's cause had them, so its text is the SDK's.
// The cache keeps remembered failures in this form.
func (e *Error) Compact() *Error {
	c := *e
	msg := aws.String(e.Message)
	var cause error
	switch e.Code {
	case "ParameterNotFound":
		cause = &ssmtypes.ParameterNotFound{Message: msg}
	case "ParameterVersionNotFound":
		cause = &ssmtypes.ParameterVersionNotFound{Message: msg}
	case "ResourceNotFoundException":
		cause = &smtypes.ResourceNotFoundException{Message: msg}
	case "":
		cause = errors.New(e.Message)
	default:
		cause = &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(e.Err, &resp) && resp.Response != nil && resp.Response.Response != nil {
		small := &smithyhttp.ResponseError{Err: cause,
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: resp.HTTPStatusCode()}}}
		cause = small
		var aws *awshttp.ResponseError
		if errors.As(e.Err, &aws) {
			cause = &awshttp.ResponseError{ResponseError: small, RequestID: aws.RequestID}
		}
	}
	var op *smithy.OperationError
	if errors.As(e.Err, &op) {
		cause = &smithy.OperationError{ServiceID: op.ServiceID, OperationName: op.OperationName, Err: cause}
	}
	c.Err = cause
	return &c
}

// IsTransient reports whether err is a classified throttling or
// unavailability error, or any error in err's chain with a Transient()
// bool method that reports true (the cache's overload error has one).
func IsTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

// codeKinds is the one table from AWS error codes to kinds, for single
// calls and for the items of batch answers alike. Codes not listed are
// classified by HTTP status (see kindOf).
var codeKinds = map[string]error{
	"ParameterNotFound":         ErrNotFound,
	"ParameterVersionNotFound":  ErrNotFound,
	"ResourceNotFoundException": ErrNotFound,

	"AccessDeniedException":       ErrAccessDenied,
	"AccessDenied":                ErrAccessDenied,
	"UnrecognizedClientException": ErrAccessDenied,
	"InvalidSignatureException":   ErrAccessDenied,
	"ExpiredTokenException":       ErrAccessDenied,
	"InvalidClientTokenId":        ErrAccessDenied,
	"DecryptionFailure":           ErrAccessDenied,
	"KMSAccessDeniedException":    ErrAccessDenied,
	"KMSDisabledException":        ErrAccessDenied,
	"KMSInvalidStateException":    ErrAccessDenied,
	"KMSNotFoundException":        ErrAccessDenied,

	"InternalServerError":     ErrUnavailable,
	"InternalServiceError":    ErrUnavailable,
	"InternalFailure":         ErrUnavailable,
	"ServiceUnavailable":      ErrUnavailable,
	"RequestTimeout":          ErrUnavailable,
	"RequestTimeoutException": ErrUnavailable,
}

// kindOf classifies an AWS error code and HTTP status (0 when unknown).
func kindOf(code string, status int) error {
	if k := codeKinds[code]; k != nil {
		return k
	}
	if _, throttle := retry.DefaultThrottleErrorCodes[code]; throttle || status == http.StatusTooManyRequests {
		return ErrThrottled
	}
	switch {
	case status >= 500:
		return ErrUnavailable
	case status == http.StatusForbidden:
		return ErrAccessDenied
	}
	return ErrInvalid
}

// Classify wraps an error returned by an upstream call into an [*Error] of
// the right kind. It returns nil for nil, err itself when err is already an
// [*Error], and err itself when err is the caller's own context ending
// (context.Canceled), which is no upstream failure. A deadline that ends
// the call counts as ErrUnavailable; an error the service did not answer
// with (a custom source's, a dial error) keeps its own text in Message.
func Classify(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) || errors.Is(err, context.Canceled) {
		return err
	}
	e := &Error{Op: op, Name: name, Err: err}
	if notSent(err) {
		e.Kind, e.Message = ErrConfig, configText(err)
		return e
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code, e.Message = api.ErrorCode(), api.ErrorMessage()
	}
	status := 0
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.Response != nil && resp.Response.Response != nil {
		status = resp.HTTPStatusCode()
	}
	switch {
	case e.Code != "" || status != 0:
		e.Kind = kindOf(e.Code, status)
	case isConfigError(err):
		e.Kind, e.Message = ErrConfig, configText(err)
	default:
		// No answer from the service: connection refused or reset, DNS,
		// timeout, the per-call deadline, or a custom source's own error.
		e.Kind, e.Message = ErrUnavailable, causeText(err)
	}
	return e
}

// notSent reports whether the SDK failed before sending the request
// because of its configuration, by the errors' types: a missing region, or
// another SDK operation failing inside the call's own one. The only calls
// the SDK makes inside an operation are those of the credential chain
// (EC2 instance metadata, STS, SSO), so whatever status or code such a call
// got (the metadata service's 403 on a host without a role, STS's
// AccessDenied for a role that cannot be assumed) is the credentials'
// failure, not the service's answer: it must not be read as one.
func notSent(err error) bool {
	var mr *aws.MissingRegionError
	if errors.As(err, &mr) {
		return true
	}
	var outer, inner *smithy.OperationError
	return errors.As(err, &outer) && errors.As(outer.Err, &inner)
}

// isConfigError reports whether the SDK failed before sending anything
// because of its configuration, when no type tells (see notSent). The SDK
// gives these no type of their own (the endpoint rules and the identity
// resolver return plain wrapped text), so the two phrases it always uses
// are matched; they are consulted only when the service did not answer.
func isConfigError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "failed to resolve service endpoint") || strings.Contains(s, "get identity:")
}

// configText is what a configuration error says: the whole chain's own
// words below the operation ("get identity: failed to refresh cached
// credentials, no EC2 IMDS role found, operation error ec2imds:
// GetMetadata, http response error StatusCode: 403, …"), not only its
// innermost network error.
func configText(err error) string {
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// causeText is what an error that the service did not answer says, without
// the SDK's framing: the network error (with host and port) when there is
// one, else the operation error's cause, else the error's own text.
func causeText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer before the call's deadline (" + context.DeadlineExceeded.Error() + ")"
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}
