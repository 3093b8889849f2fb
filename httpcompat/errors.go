package httpcompat

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// errorStatus maps a read's error to the status, the AWS-style error code
// and the message of the answer:
//
//   - an invalid request (*cache.RequestError): 400 ValidationException,
//     naming the field and the rule;
//   - an upstream client error (not found, access denied, validation): 400
//     with the AWS code, as the extension answers 400 (it says only "an
//     unexpected error occurred while executing request");
//   - throttled after retries, no usable cached value: 429;
//   - the cache's loads at their bound (cache.ErrOverloaded): 429
//     TooManyRequestsException;
//   - upstream 5xx or unreachable: 502; timed out: 504; a panicking
//     upstream call: 502;
//   - the cache closed: 503; no upstream client for the route: 501;
//   - the request's own context ending: 503 RequestCanceled;
//   - anything else: 500 with a generic message.
//
// Messages hold the operation, the name, the AWS code and AWS's own message
// (which names, never values); never a value or the token. They go in the
// [ErrorMessageHeader] header, and in the body only with [WithJSONErrors].
func errorStatus(err error) (status int, code, msg string) {
	var re *cache.RequestError
	var se *source.Error
	switch {
	case errors.As(err, &re):
		return http.StatusBadRequest, "ValidationException", re.Error()
	case errors.Is(err, cache.ErrOverloaded):
		return http.StatusTooManyRequests, "TooManyRequestsException", sanitize(err.Error()) // op, name and the bound
	case errors.As(err, &se):
		return sourceStatus(se)
	case errors.Is(err, cache.ErrClosed):
		return http.StatusServiceUnavailable, "ServiceUnavailable", "the cache is closed"
	case errors.Is(err, cache.ErrNoSource):
		return http.StatusNotImplemented, "NotImplemented", sanitize(err.Error()) // op and name
	case errors.Is(err, cache.ErrPanic):
		return http.StatusBadGateway, "InternalFailure", sanitize(err.Error()) // op, name and the panic's type only
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "RequestTimeout", "the upstream call timed out"
	case errors.Is(err, context.Canceled):
		return http.StatusServiceUnavailable, "RequestCanceled", "the request was canceled"
	}
	return http.StatusInternalServerError, "InternalFailure", "internal error"
}

func sourceStatus(e *source.Error) (int, string, string) {
	bare := *e
	bare.Message = "" // added once below, sanitized
	msg := bare.Error()
	if timedOut(e) {
		// source.Error says "unavailable" for every kind of unavailability;
		// say what happened.
		msg = e.Op + " " + strconv.Quote(e.Name) + ": timed out"
		if e.Code != "" {
			msg += " (" + e.Code + ")"
		}
	}
	if m := sanitize(e.Message); m != "" {
		msg += ": " + m
	}
	code := e.Code
	status := http.StatusBadRequest
	switch e.Kind {
	case source.ErrThrottled:
		status = http.StatusTooManyRequests
		if code == "" {
			code = "ThrottlingException"
		}
	case source.ErrUnavailable:
		status = http.StatusBadGateway
		if timedOut(e) {
			status = http.StatusGatewayTimeout
		}
		if code == "" {
			code = "ServiceUnavailable"
			if status == http.StatusGatewayTimeout {
				code = "RequestTimeout"
			}
		}
	}
	if code == "" {
		code = "ValidationException"
	}
	return status, code, msg
}

// timedOut reports whether an unavailability was a timeout.
func timedOut(e *source.Error) bool {
	if e.Code == "RequestTimeout" || e.Code == "RequestTimeoutException" {
		return true
	}
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// sanitize keeps an AWS message printable and short.
func sanitize(m string) string {
	const max = 512
	m = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(m, "?"))
	if len(m) > max {
		m = strings.ToValidUTF8(m[:max], "") + "…"
	}
	return strings.TrimSpace(m)
}

// The plain-text bodies of error replies. For the statuses the extension
// has, its bytes; for the statuses parsec adds, a fixed sentence per status
// that quotes nothing of the request (the detail is in the headers).
const (
	// upstreamErrorBody is the extension's answer (400, text/plain) to every
	// error of the upstream call, recorded from the real extension.
	upstreamErrorBody = "an unexpected error occurred while executing request"
	throttledBody     = "too many requests: the upstream service throttled the read; retry later"
	overloadedBody    = "too many requests: the cache's upstream reads in progress are at their limit, so no call was made; retry later"
	badGatewayBody    = "the upstream service failed or could not be reached"
	timeoutBody       = "the upstream call timed out"
	closedBody        = "the server is shutting down"
	canceledBody      = "the request was canceled"
	noSourceBody      = "this server has no upstream client for this kind of read"
	internalBody      = "internal error"
)

// upstreamText returns the plain-text body for a read that failed with
// err: the extension's text for a 400 (whatever the cause: the extension
// sends every upstream error as that 400), a fixed text for the others;
// a 429 says which limit refused the read (the upstream service's, or the
// cache's bound on its loads, cache.ErrOverloaded, when no call was made).
func upstreamText(err error, status int, code string) string {
	switch status {
	case http.StatusBadRequest:
		return upstreamErrorBody
	case http.StatusTooManyRequests:
		if errors.Is(err, cache.ErrOverloaded) {
			return overloadedBody
		}
		return throttledBody
	case http.StatusBadGateway:
		return badGatewayBody
	case http.StatusGatewayTimeout:
		return timeoutBody
	case http.StatusServiceUnavailable:
		if code == "RequestCanceled" {
			return canceledBody
		}
		return closedBody
	case http.StatusNotImplemented:
		return noSourceBody
	}
	return internalBody
}

// headerText makes a message safe as a header value: printable ASCII only
// (sanitize has removed control characters; anything else becomes '?').
func headerText(m string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r >= 0x7f {
			return '?'
		}
		return r
	}, sanitize(m))
}
