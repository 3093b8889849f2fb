package cache

import (
	"context"
	"time"
)

// Parameter returns the parameter req names: from memory while its entry is
// fresh, else from SSM through one shared call. The error is a
// [*RequestError] for a request that is invalid, an error matching ctx's
// error (saying what it waited for, and how long) if ctx ends first,
// [ErrClosed], or an upstream error matching one of the kinds
// ([ErrNotFound], …).
func (c *Cache) Parameter(ctx context.Context, req ParameterRequest) (Parameter, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(&k, req.MaxAge); e != nil {
			if e.err != nil {
				return Parameter{}, e.err
			}
			return e.val.(Parameter), nil
		}
	}
	if err := req.validate(); err != nil {
		return Parameter{}, err
	}
	e, err := c.load(ctx, k, req.Refresh, req.MaxAge)
	if err != nil {
		return Parameter{}, err
	}
	return e.val.(Parameter), nil
}

// Secret returns the secret version req names: from memory while its entry
// is fresh, else from Secrets Manager through one shared call. Errors are
// as for [Cache.Parameter].
func (c *Cache) Secret(ctx context.Context, req SecretRequest) (Secret, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(&k, req.MaxAge); e != nil {
			if e.err != nil {
				return Secret{}, e.err
			}
			return e.val.(Secret), nil
		}
	}
	if err := req.validate(); err != nil {
		return Secret{}, err
	}
	e, err := c.load(ctx, k, req.Refresh, req.MaxAge)
	if err != nil {
		return Secret{}, err
	}
	return e.val.(Secret), nil
}

// ParametersByPath returns every parameter under req.Path, in SSM's order,
// read with GetParametersByPath page by page through one shared call per
// path. The listing is cached like a single read (same TTL, refresh-ahead,
// stale-on-error), and each parameter is also stored under the key of a
// single read of its name with the same WithDecryption; a newer version
// stored there since is returned in the listing's place. The returned
// slice is the caller's own.
func (c *Cache) ParametersByPath(ctx context.Context, req PathRequest) ([]Parameter, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(&k, req.MaxAge); e != nil {
			if e.err != nil {
				return nil, e.err
			}
			return c.newestItems(req, e.val.([]Parameter)), nil
		}
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	e, err := c.load(ctx, k, req.Refresh, req.MaxAge)
	if err != nil {
		return nil, err
	}
	return c.newestItems(req, e.val.([]Parameter)), nil
}

// newestItems returns a copy of a path's listing in which each parameter
// is the newer of the listed version and the one stored under its single
// read's key: a listing is one entry, fetched at one moment, and a single
// or forced read may have stored a newer version of one of its parameters
// since; a caller who was given that version must not get an older one
// from the listing.
func (c *Cache) newestItems(req PathRequest, list []Parameter) []Parameter {
	out := cloneSlice(list)
	for i, p := range out {
		k := ParameterRequest{Name: p.Name, WithDecryption: req.WithDecryption}.key()
		if e := c.store.value(&k); e != nil {
			if q := e.val.(Parameter); q.Version > p.Version {
				out[i] = q
			}
		}
	}
	return out
}

// fresh returns the fresh entry for k, a value or a remembered failure, or
// nil; with maxAge positive, only one fetched less than maxAge ago (a
// negative maxAge is a miss, for the read to reject). This is the hit path:
// one store lookup, one clock read, no allocation, no logging, no lock
// beyond the store's own.
func (c *Cache) fresh(k *key, maxAge time.Duration) *entry {
	if c.store == nil || maxAge < 0 {
		return nil
	}
	// store.value, by hand: the call is not inlined, and this is the
	// path a hit takes.
	e, ok := c.store.values.Get(hash(c.store.seed, k))
	if !ok || e.key != *k || !c.store.valid(e) {
		return c.rememberedFailure(k, maxAge)
	}
	now := c.now()
	if now >= e.freshNs || maxAge > 0 && now-e.fetchedNs >= int64(maxAge) {
		return nil
	}
	c.stats.hit()
	if e.refreshNs != 0 && now >= e.refreshNs && e.refreshing.CompareAndSwap(false, true) {
		c.refreshAhead(e)
	}
	return e
}

// rememberedFailure returns the remembered not-found or backoff error for
// k while it lasts, or nil; with maxAge positive, a not-found only if it
// was learnt less than maxAge ago (a key backing off stays backing off).
func (c *Cache) rememberedFailure(k *key, maxAge time.Duration) *entry {
	e := c.store.failure(k)
	if e == nil {
		return nil
	}
	now := c.now()
	if now >= e.freshNs || maxAge > 0 && e.failures == 0 && now-e.fetchedNs >= int64(maxAge) {
		return nil
	}
	c.stats.negativeHits.Add(1)
	return e
}
