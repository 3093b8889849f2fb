package cache

import (
	"errors"
	"fmt"
	"time"

	"github.com/parsec-go/parsec/source"
)

// The kinds of upstream failure, shared with package source: a read's error
// matches one of them with errors.Is and still unwraps to the SDK's typed
// error.
var (
	ErrNotFound     = source.ErrNotFound
	ErrAccessDenied = source.ErrAccessDenied
	ErrThrottled    = source.ErrThrottled
	ErrInvalid      = source.ErrInvalid
	ErrUnavailable  = source.ErrUnavailable
	ErrConfig       = source.ErrConfig
)

var (
	// ErrClosed is returned by reads that need an upstream call after
	// [Cache.Close].
	ErrClosed = errors.New("cache: closed")
	// ErrInvalidRequest is matched by every [*RequestError].
	ErrInvalidRequest = errors.New("invalid request")
	// ErrPanic is matched by the error every waiter gets when an upstream
	// call panics.
	ErrPanic = errors.New("upstream call panicked")
	// ErrNoSource is matched when the upstream operation a read needs is
	// nil in the source.Clients given to [New]; it is source.ErrNoClient.
	ErrNoSource = source.ErrNoClient
	// ErrOverloaded is matched when a read needed an upstream load while
	// the loads in progress were at their bound (see [WithMaxLoads]). It
	// is transient: retry later.
	ErrOverloaded = errors.New("too many loads in progress")
)

// RequestError reports a request rejected before any upstream call: which
// field broke which rule. It matches [ErrInvalidRequest].
type RequestError struct {
	Field string // for example "name", "version", "versionId"
	Rule  string // for example "must be at most 2048 characters"
}

func (e *RequestError) Error() string { return e.Field + ": " + e.Rule }

// Is reports whether target is [ErrInvalidRequest].
func (e *RequestError) Is(target error) bool { return target == ErrInvalidRequest }

// panicError is what a recovered upstream panic becomes. It deliberately does
// not carry the panic value, which could hold anything.
type panicError struct {
	op, name string
	typ      string
}

func (e *panicError) Error() string {
	return fmt.Sprintf("%s %q: upstream call panicked (%s)", e.op, e.name, e.typ)
}

func (e *panicError) Is(target error) bool { return target == ErrPanic }

// waitError is what a caller gets when its context ends while it waits for
// an upstream call: what it waited for and how long. It unwraps to the
// context's error.
type waitError struct {
	op, name string
	waited   time.Duration
	err      error
}

func (e *waitError) Error() string {
	return fmt.Sprintf("%s %q: gave up waiting after %v: %v", e.op, e.name, e.waited, e.err)
}

func (e *waitError) Unwrap() error { return e.err }

// overloadError is what a read gets when the loads are at their bound, or
// when a name with nothing in memory is asked while not-found answers are
// over their rate. It matches [ErrOverloaded] and is transient for
// source.IsTransient. No upstream call was made.
type overloadError struct {
	op, name string
	limit    int
	notFound bool // the not-found rate, not the loads in progress
}

func (e *overloadError) Error() string {
	if e.notFound {
		return fmt.Sprintf("%s %q: not loaded: not-found answers are over their limit of %d per second (a flood of missing names); retry later",
			e.op, e.name, e.limit)
	}
	return fmt.Sprintf("%s %q: %v (limit %d); retry later", e.op, e.name, ErrOverloaded, e.limit)
}

func (e *overloadError) Is(target error) bool { return target == ErrOverloaded }

// Transient reports true: a later read may find a free slot.
func (e *overloadError) Transient() bool { return true }
