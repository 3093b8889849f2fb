package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The kinds of upstream failure. An error returned by [Classify] matches
// exactly one of them with errors.Is.
var (
	// ErrNotFound: the parameter, secret, version, label or stage does not
	// exist (ParameterNotFound, ParameterVersionNotFound,
	// ResourceNotFoundException).
	ErrNotFound = errors.New("not found")
	// ErrAccessDenied: the caller may not read the value or decrypt it
	// (AccessDeniedException, KMS and credential errors).
	ErrAccessDenied = errors.New("access denied")
	// ErrThrottled: the service refused the call because of a rate limit,
	// after the SDK's retries.
	ErrThrottled = errors.New("throttled")
	// ErrInvalid: the service rejected the request itself
	// (ValidationException, InvalidRequestException, InvalidParameterException
	// and any other client error).
	ErrInvalid = errors.New("invalid request")
	// ErrUnavailable: the service failed (5xx), could not be reached, or did
	// not answer in time. Transient: a later call may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// Error is a classified upstream failure. It matches its Kind with errors.Is
// and unwraps to the SDK's error, so errors.As finds *smithy.OperationError
// and the service's typed error (for example *types.ParameterNotFound).
// Its message holds the operation, the name and the AWS error code; never a
// value.
type Error struct {
	Op      string // the upstream operation, for example "GetParameter"
	Name    string // the parameter name or secret id as requested
	Code    string // the AWS error code, for example "ParameterNotFound"; empty for transport errors
	Message string // the service's message; AWS puts names and rules in it, never values
	Kind    error  // ErrNotFound, ErrAccessDenied, ErrThrottled, ErrInvalid or ErrUnavailable
	Err     error  // the SDK's error
}

// Error returns "GetParameter /a/b: ParameterNotFound: not found".
func (e *Error) Error() string {
	code := e.Code
	if code == "" {
		code = "no response"
	}
	return fmt.Sprintf("%s %q: %s: %v", e.Op, e.Name, code, e.Kind)
}

// Unwrap returns the kind and the SDK's error.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Transient reports whether a later call may succeed without any change:
// throttling and unavailability.
func (e *Error) Transient() bool { return e.Kind == ErrThrottled || e.Kind == ErrUnavailable }

// IsTransient reports whether err is a classified throttling or
// unavailability error.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient()
}

var notFoundCodes = map[string]bool{
	"ParameterNotFound":         true,
	"ParameterVersionNotFound":  true,
	"ResourceNotFoundException": true,
}

var accessDeniedCodes = map[string]bool{
	"AccessDeniedException":       true,
	"AccessDenied":                true,
	"UnrecognizedClientException": true,
	"InvalidSignatureException":   true,
	"ExpiredTokenException":       true,
	"InvalidClientTokenId":        true,
	"DecryptionFailure":           true,
	"KMSAccessDeniedException":    true,
	"KMSDisabledException":        true,
	"KMSInvalidStateException":    true,
	"KMSNotFoundException":        true,
}

var unavailableCodes = map[string]bool{
	"InternalServerError":     true,
	"InternalServiceError":    true,
	"InternalFailure":         true,
	"ServiceUnavailable":      true,
	"RequestTimeout":          true,
	"RequestTimeoutException": true,
}

// Classify wraps an error returned by an SDK call into an [*Error] of the
// right kind. It returns nil for nil, and err itself when err is the
// caller's own context ending (context.Canceled), which is no upstream
// failure. A deadline that ends the call counts as ErrUnavailable.
func Classify(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	e := &Error{Op: op, Name: name, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code = api.ErrorCode()
		e.Message = api.ErrorMessage()
	}
	status := 0
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	_, throttle := retry.DefaultThrottleErrorCodes[e.Code]
	switch {
	case notFoundCodes[e.Code]:
		e.Kind = ErrNotFound
	case accessDeniedCodes[e.Code]:
		e.Kind = ErrAccessDenied
	case throttle || status == http.StatusTooManyRequests:
		e.Kind = ErrThrottled
	case unavailableCodes[e.Code] || status >= 500:
		e.Kind = ErrUnavailable
	case e.Code == "" && status == 0:
		// No answer from the service: connection refused or reset, DNS,
		// timeout, or the per-call deadline.
		e.Kind = ErrUnavailable
	case status == http.StatusForbidden:
		e.Kind = ErrAccessDenied
	default:
		e.Kind = ErrInvalid
	}
	return e
}
