package cache

import (
	"context"
	"time"
)

// The read protocol, one for every kind: the hit path (fresh), then the
// miss path (load). Parameter, Secret and ParametersByPath are each one
// call of read; batch items take the same steps in batch.go.

// request is what read needs of a request type.
type request interface {
	ParameterRequest | SecretRequest | PathRequest
	key() key
	validate() error
	forced() bool
	maxAge() time.Duration
	id() string
}

// read answers r with its entry: from memory while the entry is fresh,
// else through its key's shared call. The hit path does one store lookup,
// one clock read, no allocation, no logging, no lock beyond the store's
// own. Each caller takes its value out of the entry with a comma-ok
// assertion to its own concrete type (cheaper than one through a type
// parameter, which copies the value twice on the hit path).
//
// k, force and maxAge are r's key, Refresh and MaxAge, computed by the
// non-generic caller: a method call through a type parameter is an
// indirect call that is not inlined, which the hit path cannot afford; r
// itself serves the miss path only (validate).
func read[R request](c *Cache, ctx context.Context, k key, force bool, maxAge time.Duration, r R) (*entry, error) {
	var cur *entry
	if !force {
		e, st := c.fresh(&k, maxAge)
		switch st {
		case stateFresh, stateRefreshDue:
			return e, nil
		case stateRemembered:
			return nil, e.err
		}
		cur = e
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return c.load(ctx, k, cur, force, maxAge)
}

// Parameter returns the parameter req names: from memory while its entry is
// fresh, else from SSM through one shared call. The error is a
// [*RequestError] for a request that is invalid, an error matching ctx's
// error (saying what it waited for, and how long) if ctx ends first,
// [ErrClosed], or an upstream error matching one of the kinds
// ([ErrNotFound], …).
func (c *Cache) Parameter(ctx context.Context, req ParameterRequest) (Parameter, error) {
	e, err := read(c, ctx, req.key(), req.Refresh, req.MaxAge, req)
	if err != nil {
		return Parameter{}, err
	}
	p, _ := e.val.(Parameter)
	return p, nil
}

// Secret returns the secret version req names: from memory while its entry
// is fresh, else from Secrets Manager through one shared call. Errors are
// as for [Cache.Parameter].
func (c *Cache) Secret(ctx context.Context, req SecretRequest) (Secret, error) {
	e, err := read(c, ctx, req.key(), req.Refresh, req.MaxAge, req)
	if err != nil {
		return Secret{}, err
	}
	s, _ := e.val.(Secret)
	return s, nil
}

// ParametersByPath returns every parameter under req.Path, in SSM's order,
// read with GetParametersByPath page by page through one shared call per
// path. The listing is cached like a single read (same TTL, refresh-ahead,
// stale-on-error), and each parameter is also stored under the key of a
// single read of its name with the same WithDecryption, before the listing
// is; a newer version stored there since is returned in the listing's
// place. The returned slice is the caller's own.
func (c *Cache) ParametersByPath(ctx context.Context, req PathRequest) ([]Parameter, error) {
	e, err := read(c, ctx, req.key(), req.Refresh, req.MaxAge, req)
	if err != nil {
		return nil, err
	}
	l, _ := e.val.(listing)
	return c.newestItems(req, l), nil
}

// newestItems returns a copy of a path's listing in which each parameter
// is the newer of the listed version and the one stored under its single
// read's key: a listing is one entry, fetched at one moment, and a single
// or forced read may have stored a newer version of one of its parameters
// since; a caller who was given that version must not get an older one
// from the listing.
func (c *Cache) newestItems(req PathRequest, list listing) []Parameter {
	out := cloneSlice([]Parameter(list))
	for i, p := range out {
		k := ParameterRequest{Name: p.Name, WithDecryption: req.WithDecryption}.key()
		if e := c.store.value(&k); e != nil {
			if q, ok := e.val.(Parameter); ok && q.Version > p.Version {
				out[i] = q
			}
		}
	}
	return out
}

// fresh is the hit path: what is stored for k, a value or a remembered
// failure (nil: nothing), and its state for a read with maxAge (a negative
// maxAge is a miss, for the read to reject). A value whose refresh is due
// starts one background reload.
func (c *Cache) fresh(k *key, maxAge time.Duration) (*entry, freshness) {
	if c.store == nil || maxAge < 0 {
		return nil, stateExpired
	}
	// store.value, by hand: the call is not inlined, and this is the
	// path a hit takes.
	e, ok := c.store.values.Get(hash(c.store.seed, k))
	if !ok || e.key != *k || !c.store.valid(e) {
		return c.rememberedFailure(k, maxAge)
	}
	now := c.now()
	st := c.state(e, now, bound(now, maxAge))
	switch st {
	case stateFresh:
		c.stats.hit()
	case stateRefreshDue:
		c.stats.hit()
		if e.refreshing.CompareAndSwap(false, true) {
			c.refreshAhead(e)
		}
	}
	return e, st
}

// rememberedFailure returns the remembered failure for k and its state,
// or nil: nothing remembered.
func (c *Cache) rememberedFailure(k *key, maxAge time.Duration) (*entry, freshness) {
	e := c.store.failure(k)
	if e == nil {
		return nil, stateExpired
	}
	now := c.now()
	st := c.state(e, now, bound(now, maxAge))
	if st == stateRemembered {
		c.stats.negativeHits.Add(1)
	}
	return e, st
}

func (r ParameterRequest) forced() bool          { return r.Refresh }
func (r ParameterRequest) id() string            { return r.Name }
func (r ParameterRequest) maxAge() time.Duration { return r.MaxAge }
func (r SecretRequest) forced() bool             { return r.Refresh }
func (r SecretRequest) id() string               { return r.SecretID }
func (r SecretRequest) maxAge() time.Duration    { return r.MaxAge }
func (r PathRequest) forced() bool               { return r.Refresh }
func (r PathRequest) id() string                 { return r.Path }
func (r PathRequest) maxAge() time.Duration      { return r.MaxAge }
