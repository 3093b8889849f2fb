package cache

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

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

// Batch calls that fail with a transient error are tried again, with full
// jitter, until they succeed or their context ends: a fleet of environments
// cold-starting together then spreads its calls over the account's quota
// instead of failing after the SDK's three attempts.
const (
	retryBase = 50 * time.Millisecond
	retryCap  = time.Second
)

// retryTransient calls fn until it returns something other than a
// transient error or ctx ends, pausing a random time between zero and
// min(retryCap, retryBase·2ⁿ) before the n-th retry. It returns fn's last
// result.
func retryTransient[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	for n := 0; ; n++ {
		v, err := fn()
		if err == nil || !source.IsTransient(err) {
			return v, err
		}
		pause := min(retryCap, retryBase<<min(n, 10))
		t := time.NewTimer(rand.N(pause) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}

// runChunks runs fn for chunks 0..n-1, a few at a time, on a context that
// ends with the caller's, with Close, or after the load timeout. It returns
// ErrClosed, running nothing, after Close.
func (c *Cache) runChunks(ctx context.Context, n int, fn func(ctx context.Context, i int)) error {
	if n == 0 {
		return nil
	}
	if !c.begin() {
		return ErrClosed
	}
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.loadTimeout)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
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
}

func (r ParameterRequest) forced() bool { return r.Refresh }
func (r ParameterRequest) id() string   { return r.Name }
func (r SecretRequest) forced() bool    { return r.Refresh }
func (r SecretRequest) id() string      { return r.SecretID }

// triage answers item i of a batch from a fresh entry (handing it to use)
// or fails it when it is invalid, and reports whether it still needs an
// upstream call.
func triage[R batchRequest](c *Cache, i int, req R, f *failures, use func(*entry)) bool {
	if !req.forced() {
		k := req.key()
		if e := c.fresh(&k); e != nil {
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
	return true
}
