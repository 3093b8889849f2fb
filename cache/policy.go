package cache

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/parsec-go/parsec/source"
)

// The failure policy: what a failed load leaves behind, how long a key
// backs off, when a value is served stale, and when a background reload
// starts. Its times are set in stamp and read by the hit path (fresh) and by
// load.
//
// How a key that keeps failing is answered (backoff base 1 s, a value in
// memory within its staleness bound):
//
//  1. t=0   the value's TTL ends; a read loads, the upstream fails (failure 1):
//     the reader gets the stale value, retryAt = now (no wait after one failure)
//  2. t=0.1 the next read loads again, fails (failure 2): stale value, retryAt = now+~1 s
//  3. t=0.5 reads get the stale value without an upstream call (backing off)
//  4. t=1.1 a read loads again: success stores a fresh value and clears the
//     failures; or failure 3 backs off ~2 s, and so on up to the maximum
//  5. past staleUntil the value is no longer served: reads get the error,
//     and the key backs off as a key without a value does, remembered in
//     the failure budget (never in the values' room)

// failed decides what a failed load leaves behind and returns: a remembered
// not-found, a stale value, a backoff, or just the error. It never removes
// or changes a stored value that may still be served because of a failure.
func (c *Cache) failed(k key, cur *entry, gen uint64, err error, force bool, now time.Time) (*entry, error) {
	code := ""
	var se *source.Error
	if errors.As(err, &se) {
		code = se.Code
	}
	c.log.LogAttrs(context.Background(), slog.LevelWarn, "upstream call failed",
		slog.String("kind", k.kind.spec().name), slog.String("name", k.name), slog.String("code", code), slog.String("error", err.Error()))

	hasValue := cur != nil && cur.err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		c.rememberNotFound(k, err, gen, now)
		return nil, err
	case hasValue && !force && now.Before(cur.staleUntil) && c.cfg.staleOn(err):
		n := cur.failures + 1
		wait := c.backoff(n)
		ne := &entry{key: k, val: cur.val, started: gen, born: cur.born, fetched: cur.fetched,
			expires: cur.expires, staleUntil: cur.staleUntil, failures: n, retryAt: now.Add(wait)}
		if !cur.refreshAt.IsZero() {
			ne.refreshAt = now.Add(wait)
		}
		if got := c.put(ne, cur); got != ne && got != nil && got.err == nil {
			return got, nil // a newer value arrived meanwhile: never go back to this one
		}
		return ne, nil
	case source.IsTransient(err) && c.cfg.backoffBase > 0 && (!hasValue || !force && !now.Before(cur.staleUntil)):
		// A value past its staleness bound can no longer be served: the
		// key backs off as one without a value does, or every read would
		// call the failing upstream once the bound has passed.
		n := 1
		if cur != nil {
			n = cur.failures + 1
		}
		retry := now.Add(c.backoff(n))
		c.put(&entry{key: k, err: compact(err), started: gen, born: gen, fetched: now, expires: retry, retryAt: retry,
			staleUntil: now.Add(c.cfg.backoffMax + c.cfg.backoffBase), failures: n}, cur)
		return nil, err
	}
	return nil, err
}

// compact returns the form of err a remembered failure keeps: without the
// SDK's error chain, which holds the request and response (several KiB).
func compact(err error) error {
	var se *source.Error
	if errors.As(err, &se) {
		return se.Compact()
	}
	return err
}

// rememberNotFound remembers a not-found answer for the negative TTL, in the
// failure budget; it replaces a value stored for k.
func (c *Cache) rememberNotFound(k key, err error, gen uint64, now time.Time) {
	if c.cfg.negativeTTL > 0 {
		exp := now.Add(c.cfg.negativeTTL)
		c.put(&entry{key: k, err: compact(err), started: gen, born: gen, fetched: now, expires: exp, staleUntil: exp}, nil)
	}
}

// backoff is how long a key waits after its n-th consecutive transient
// failure: nothing after the first, then base·2^(n-2) jittered by ±50 %,
// capped at the maximum.
func (c *Cache) backoff(n int) time.Duration {
	if n < 2 || c.cfg.backoffBase <= 0 {
		return 0
	}
	d := c.cfg.backoffBase
	for i := 2; i < n && d < c.cfg.backoffMax; i++ {
		d *= 2
	}
	d = d/2 + rand.N(d)
	return min(d, c.cfg.backoffMax)
}

// stamp sets a fresh entry's times from the TTL of its kind.
func (c *Cache) stamp(e *entry, now time.Time) {
	ttl := c.cfg.ttl[e.key.kind]
	e.fetched = now
	e.expires = now.Add(ttl)
	e.staleUntil = e.expires.Add(c.cfg.maxStale)
	if f := c.cfg.refreshAhead; f > 0 && ttl > 0 {
		f -= rand.Float64() * 0.1 // jitter: a fleet started together spreads its refreshes
		e.refreshAt = now.Add(time.Duration(max(f, 0.05) * float64(ttl)))
	}
}

// serveStale counts, and logs at DEBUG, a value served past its TTL.
func (c *Cache) serveStale(e *entry, now time.Time) {
	c.stats.staleServes.Add(1)
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.LogAttrs(context.Background(), slog.LevelDebug, "serving stale value",
			slog.String("kind", e.key.kind.spec().name), slog.String("name", e.key.name),
			slog.Duration("age", now.Sub(e.fetched)), slog.Int("failures", e.failures))
	}
}

// refreshAhead starts one background reload of e's key; readers keep
// getting e meanwhile. The reload runs on the cache's context with the load
// timeout, so a Lambda freeze cannot leave it running unbounded, and a late
// result never replaces a newer version (answers are ordered on arrival,
// see fill).
func (c *Cache) refreshAhead(e *entry) {
	if !c.begin() {
		return
	}
	c.stats.refreshes.Add(1)
	go func() {
		defer c.wg.Done()
		k := e.key
		fk := c.flightKey(k)
		c.waits.join(fk)
		defer c.waits.leave(fk)
		r := <-c.flight.DoChan(fk, func() (any, error) { return c.fill(fk, k, false, e, time.Time{}) })
		if errors.Is(r.Err, ErrOverloaded) {
			e.refreshing.Store(false) // no slot: a later hit tries again
		}
	}()
}
