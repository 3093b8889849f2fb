package source

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Batch calls that fail with throttling are tried again, with full jitter,
// within the caller's deadline: a fleet of environments cold-starting
// together then spreads its calls over the account's quota instead of
// failing after the SDK's three attempts. A server error (5xx) is tried
// again at most serverRetries times, as the SDK's standard retryer does for
// a single read, so that a batch fails about as fast as a single read. A
// call that got no answer at all (connection refused or reset, a DNS
// failure, a hang cut off by the deadline) is not retried: the upstream is
// down.
const (
	retryBase     = 50 * time.Millisecond
	retryCap      = time.Second
	serverRetries = 2
)

// retryable reports whether a call that failed with err is worth trying
// again, and whether err is throttling (retried for as long as the
// deadline allows) rather than a server error: throttling, or an answer
// from the service with a server error status. Transport failures are not.
func retryable(err error) (retry, throttled bool) {
	var se *Error
	if !errors.As(err, &se) {
		return false, false
	}
	switch se.Kind {
	case ErrThrottled:
		return true, true
	case ErrUnavailable:
		var resp *smithyhttp.ResponseError
		return se.Code != "" || errors.As(err, &resp) && resp.HTTPStatusCode() >= 500, false
	}
	return false, false
}

// Retry calls fn, a batch call whose errors are classified ([Classify]),
// until it returns something other than a retryable error (throttling, or
// a server error for the third time), or until the next pause, a random
// time between zero and min(1 s, 50 ms·2ⁿ) before the n-th retry, would
// end after ctx's deadline, or ctx ends during it. It returns fn's last
// result. The SDK's own retryer runs inside each call: Retry is the
// budgeted layer above it for batches that a fleet throttles.
func Retry[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	server := 0
	for n := 0; ; n++ {
		v, err := fn()
		if err == nil {
			return v, nil
		}
		retry, throttled := retryable(err)
		if !throttled {
			server++
		}
		if !retry || server > serverRetries {
			return v, err
		}
		pause := rand.N(min(retryCap, retryBase<<min(n, 10))) + 1
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= pause {
			return v, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}
