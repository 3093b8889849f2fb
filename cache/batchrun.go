package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/source"
)

// ItemError is one failed item of a batch read.
type ItemError struct {
	Index int    // the item's position in the request
	Name  string // the parameter name or secret id as requested
	Err   error  // why it failed: a *RequestError or an upstream error
}

func (e ItemError) Error() string { return fmt.Sprintf("%q: %v", e.Name, e.Err) }

// Unwrap returns the item's error.
func (e ItemError) Unwrap() error { return e.Err }

// BatchError reports the items of a batch read that failed; the others
// succeeded. errors.Is and errors.As see every item's error.
type BatchError struct {
	Items []ItemError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the batch failed", len(e.Items))
	for i, it := range e.Items {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Items)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(it.Error())
	}
	return b.String()
}

// Unwrap returns every item's error.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Items))
	for i, it := range e.Items {
		errs[i] = it
	}
	return errs
}

// Batch calls that fail with throttling are tried again, with full jitter,
// within a budget that ends before the caller's deadline: a fleet of
// environments cold-starting together then spreads its calls over the
// account's quota instead of failing after the SDK's three attempts, and
// the caller still gets the stale values in memory, or the error, before
// its own deadline. A server error (5xx) is tried again at most
// serverRetries times within that budget, as the SDK's standard retryer
// does for a single read, so that a batch fails about as fast as a single
// read. A call that got no answer at all (connection refused or reset, a
// DNS failure, a hang cut off by the budget) is not retried: the upstream
// is down, and the items fall back to their stale values at once, as
// single reads do.
const (
	retryBase     = 50 * time.Millisecond
	retryCap      = time.Second
	serverRetries = 2
	// budgetShare is the share of the time left before the caller's
	// deadline that a batch read's upstream calls may use; the rest is
	// left for answering with stale values.
	budgetShare = 0.8
)

// retryable reports whether a batch call that failed with err is worth
// trying again, and whether err is throttling (retried for as long as the
// budget lasts) rather than a server error: throttling, or an answer from
// the service with a server error status. Transport failures are not.
func retryable(err error) (retry, throttled bool) {
	var se *source.Error
	if !errors.As(err, &se) {
		return false, false
	}
	switch se.Kind {
	case source.ErrThrottled:
		return true, true
	case source.ErrUnavailable:
		var resp *smithyhttp.ResponseError
		return se.Code != "" || errors.As(err, &resp) && resp.HTTPStatusCode() >= 500, false
	}
	return false, false
}

// retryTransient calls fn until it returns something other than a
// [retryable] error (or a server error for the serverRetries-th time), or
// until the next pause, a random time between zero and
// min(retryCap, retryBase·2ⁿ) before the n-th retry, would end after ctx's
// deadline or ctx ends during it. It returns fn's last result.
func retryTransient[T any](ctx context.Context, fn func() (T, error)) (T, error) {
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

// budget returns a context for a batch read's upstream calls: it ends with
// ctx, with Close, after the load timeout, or once budgetShare of the time
// left before ctx's deadline has passed, whichever comes first.
func (c *Cache) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.cfg.loadTimeout
	if dl, ok := ctx.Deadline(); ok {
		d = min(d, time.Duration(float64(time.Until(dl))*budgetShare))
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	stop := context.AfterFunc(c.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// runChunks runs fn for chunks 0..n-1, a few at a time, on the context
// [Cache.budget] gives. It returns ErrClosed, running nothing, after Close.
func (c *Cache) runChunks(ctx context.Context, n int, fn func(ctx context.Context, i int)) error {
	if n == 0 {
		return nil
	}
	if !c.begin() {
		return ErrClosed
	}
	defer c.wg.Done()
	ctx, cancel := c.budget(ctx)
	defer cancel()
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, i)
		})
	}
	wg.Wait()
	return nil
}

// failures collects the failed items of a batch read. It is safe for
// concurrent use.
type failures struct {
	mu    sync.Mutex
	items []ItemError
}

func (f *failures) add(i int, name string, err error) {
	f.mu.Lock()
	f.items = append(f.items, ItemError{Index: i, Name: name, Err: err})
	f.mu.Unlock()
}

// err returns the items, in request order, as a *BatchError; nil if none.
func (f *failures) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.items) == 0 {
		return nil
	}
	items := slices.Clone(f.items)
	slices.SortFunc(items, func(a, b ItemError) int { return cmp.Compare(a.Index, b.Index) })
	return &BatchError{Items: items}
}

// batchRequest is what the batch reads need of ParameterRequest and
// SecretRequest.
type batchRequest interface {
	key() key
	validate() error
	forced() bool
	id() string
	maxAge() time.Duration
}

func (r ParameterRequest) forced() bool          { return r.Refresh }
func (r ParameterRequest) id() string            { return r.Name }
func (r ParameterRequest) maxAge() time.Duration { return r.MaxAge }
func (r SecretRequest) forced() bool             { return r.Refresh }
func (r SecretRequest) id() string               { return r.SecretID }
func (r SecretRequest) maxAge() time.Duration    { return r.MaxAge }

// triage answers item i of a batch from a fresh entry (handing it to use),
// fails it when it is invalid, or, while its key backs off after repeated
// failures, answers it as a single read would (the stale value within its
// bound, else the remembered error) without an upstream call. It reports
// whether the item still needs an upstream call.
func triage[R batchRequest](c *Cache, i int, req R, f *failures, use func(*entry)) bool {
	k := req.key()
	if !req.forced() {
		if e := c.fresh(&k, req.maxAge()); e != nil {
			if e.err != nil {
				f.add(i, req.id(), e.err)
			} else {
				use(e)
			}
			return false
		}
	}
	if err := req.validate(); err != nil {
		f.add(i, req.id(), err)
		return false
	}
	if req.forced() {
		return true
	}
	now := time.Now()
	cur := c.store.current(k)
	if cur == nil || !now.Before(cur.retryAt) || !now.Before(cur.staleUntil) {
		return true
	}
	c.stats.misses.Add(1)
	if cur.err != nil {
		f.add(i, req.id(), cur.err)
		return false
	}
	c.serveStale(cur, now)
	use(cur)
	return false
}

// itemAnswer is what one key of a batch call got: its entry, or the error
// for its items.
type itemAnswer struct {
	e   *entry
	err error
}

// answers settles the items of one batch call once per key, so that a key
// requested twice is stored, or counted as failed, once. It is used by one
// goroutine.
type answers struct {
	c   *Cache
	gen uint64    // the number of the call's answer
	now time.Time // when it arrived
	m   map[key]itemAnswer
}

func (c *Cache) answers(gen uint64, now time.Time) *answers {
	return &answers{c: c, gen: gen, now: now, m: map[key]itemAnswer{}}
}

// value stores v under k and returns its entry.
func (a *answers) value(k key, v any) *entry {
	if r, ok := a.m[k]; ok {
		return r.e
	}
	e := a.c.storeValue(k, v, a.gen, a.now)
	if e == nil || e.err != nil { // not stored (closed): hand out what arrived
		e = &entry{key: k, val: v}
		a.c.stamp(e, a.now)
	}
	a.m[k] = itemAnswer{e: e} // a newer version stored first is what every item gets
	return e
}

// failed decides, as a single read's failed load does (see Cache.failed),
// what an item whose upstream answer was err gets: the stale value in
// memory within its bound (counted as a stale serve), or an error, after
// remembering a not-found or backing the key off. force is the item's
// Refresh.
func (a *answers) failed(k key, force bool, err error) (*entry, error) {
	if r, ok := a.m[k]; ok {
		return r.e, r.err
	}
	c := a.c
	var r itemAnswer
	if c.ctx.Err() != nil {
		r.err = ErrClosed // closed meanwhile: store nothing
		a.m[k] = r
		return nil, r.err
	}
	switch e, ferr := c.failed(k, c.store.current(k), a.gen, err, force, a.now); {
	case ferr != nil:
		r.err = ferr
	case e == nil || e.val == nil:
		r.err = err
	default:
		c.serveStale(e, a.now)
		r.e = e
	}
	a.m[k] = r
	return r.e, r.err
}
