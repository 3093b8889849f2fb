package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/parsec-go/parsec/source"
)

// The policy: what an entry means for a read at a given moment (state),
// what a failed load leaves behind (failed), how long a key backs off, and
// when a background reload starts. Every time involved is on the cache's
// one clock (Cache.now); time.Time appears only in logs and values.
//
// How a key that keeps failing is answered (backoff base 1 s, a value in
// memory within its staleness bound):
//
//  1. t=0   the value's TTL ends; a read loads, the upstream fails (failure 1):
//     the reader gets the stale value, retry = now (no wait after one failure)
//  2. t=0.1 the next read loads again, fails (failure 2): stale value, retry = now+~1 s
//  3. t=0.5 reads get the stale value without an upstream call (backing off)
//  4. t=1.1 a read loads again: success stores a fresh value and clears the
//     failures; or failure 3 backs off ~2 s, and so on up to the maximum
//  5. past stale the value is no longer served: reads get the error,
//     and the key backs off as a key without a value does, remembered in
//     the failure budget (never in the values' room)

// freshness is what an entry is worth to a read at one moment.
type freshness uint8

const (
	// stateExpired: nothing servable; the read loads and waits.
	stateExpired freshness = iota
	// stateFresh: served from memory.
	stateFresh
	// stateRefreshDue: served from memory, and one background reload starts.
	stateRefreshDue
	// stateStale: past its TTL (or the read's MaxAge) within the staleness
	// bound: the read loads, and gets this value if the load fails or is
	// slow (the stale wait).
	stateStale
	// stateBackingOff: past its TTL while the key backs off after repeated
	// failures: served without an upstream call.
	stateBackingOff
	// stateRemembered: a remembered not-found or backoff error, answered
	// without an upstream call.
	stateRemembered
)

// noBound is the notBefore of a read without MaxAge.
const noBound = math.MinInt64

// state is what e (nil: nothing stored) is worth at now to a read that
// wants a value fetched after notBefore (noBound: any). A read with
// MaxAge never gets a remembered not-found older than its bound, but a key
// backing off stays backing off whatever the bound.
func (c *Cache) state(e *entry, now, notBefore int64) freshness {
	switch {
	case e == nil:
		return stateExpired
	case e.err != nil:
		if now < e.fresh && (e.failures > 0 || e.fetched > notBefore) {
			return stateRemembered
		}
		return stateExpired
	case now < e.fresh && e.fetched > notBefore:
		if e.refresh != 0 && now >= e.refresh {
			return stateRefreshDue
		}
		return stateFresh
	case now < e.stale && now < e.retry:
		return stateBackingOff
	case now < e.stale:
		return stateStale
	}
	return stateExpired
}

// isFresh reports whether st is served from memory as fresh.
func isFresh(st freshness) bool { return st == stateFresh || st == stateRefreshDue }

// servable reports whether e is a value a read may get instead of waiting
// or failing at now: within its staleness bound.
func servable(e *entry, now int64) bool { return e != nil && e.err == nil && now < e.stale }

// failed decides what a failed load leaves behind and returns: a remembered
// not-found, a stale value, a backoff, or just the error. It never removes
// or changes a stored value that may still be served because of a failure.
// cur is what was stored for k when the load began.
func (c *Cache) failed(k key, cur *entry, gen uint64, err error, force bool, now int64) (*entry, error) {
	c.logFailure(k, err)
	hasValue := cur != nil && cur.err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		c.notFound.spend(now)
		c.rememberNotFound(k, err, gen, now)
	case hasValue && !force && now < cur.stale && c.cfg.staleOn(err):
		return c.keepStale(k, cur, gen, now), nil
	case source.IsTransient(err) && c.cfg.backoffBase > 0 && (!hasValue || !force && now >= cur.stale):
		// A value past its staleness bound can no longer be served: the
		// key backs off as one without a value does, or every read would
		// call the failing upstream once the bound has passed.
		c.backOff(k, cur, gen, err, now)
	}
	return nil, err
}

// keepStale keeps cur's value, servable until its staleness bound, and
// backs the key off; it returns what readers get.
func (c *Cache) keepStale(k key, cur *entry, gen uint64, now int64) *entry {
	n := cur.failures + 1
	wait := int64(c.backoff(n))
	ne := &entry{key: k, val: cur.val, started: gen, born: cur.born, fetched: cur.fetched,
		fresh: cur.fresh, stale: cur.stale, failures: n, retry: now + wait}
	if cur.refresh != 0 {
		ne.refresh = max(now+wait, 1)
	}
	if got := c.put(ne, cur); got != ne && got != nil && got.err == nil {
		return got // a newer value arrived meanwhile: never go back to this one
	}
	return ne
}

// backOff remembers a transient failure of a key without a servable value,
// so that reads answer with it without an upstream call until the backoff
// ends.
func (c *Cache) backOff(k key, cur *entry, gen uint64, err error, now int64) {
	n := 1
	if cur != nil {
		n = cur.failures + 1
	}
	wait := c.backoff(n)
	retry := now + int64(wait)
	c.put(&entry{key: k, err: &rememberedError{err: compact(err), backoff: wait, failures: n, since: c.wall(now)},
		started: gen, born: gen, fetched: now, fresh: retry, retry: retry,
		stale: now + int64(c.cfg.backoffMax+c.cfg.backoffBase), failures: n}, cur)
}

// logFailure logs a failed upstream call: a not-found at DEBUG (an
// expected answer, which a flood of missing names must not turn into a
// flood of log lines), anything else at WARN.
func (c *Cache) logFailure(k key, err error) {
	level := slog.LevelWarn
	if errors.Is(err, ErrNotFound) {
		level = slog.LevelDebug
	}
	if !c.log.Enabled(context.Background(), level) {
		return
	}
	code := ""
	var se *source.Error
	if errors.As(err, &se) {
		code = se.Code
	}
	c.log.LogAttrs(context.Background(), level, "upstream call failed",
		slog.String("kind", k.kind.spec().name), slog.String("name", k.name), slog.String("code", code), slog.String("error", err.Error()))
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

// rememberedError is what reads get from a remembered failure: the
// failure's own error, saying that it was remembered, since when and for
// how long. It matches what the failure matched.
type rememberedError struct {
	err      error
	ttl      time.Duration // a not-found: how long it is remembered
	backoff  time.Duration // a transient failure: how long the key backs off
	failures int
	since    time.Time
}

func (e *rememberedError) Error() string {
	at := e.since.Format("15:04:05")
	if e.failures > 0 {
		return fmt.Sprintf("%v (backing off for %v after %d failures, since %s)", e.err, e.backoff, e.failures, at)
	}
	return fmt.Sprintf("%v (remembered for %v, since %s)", e.err, e.ttl, at)
}

func (e *rememberedError) Unwrap() error { return e.err }

// rememberNotFound remembers a not-found answer for the negative TTL, in the
// failure budget; it replaces a value stored for k.
func (c *Cache) rememberNotFound(k key, err error, gen uint64, now int64) {
	if c.cfg.negativeTTL > 0 {
		exp := now + int64(c.cfg.negativeTTL)
		c.put(&entry{key: k, err: &rememberedError{err: compact(err), ttl: c.cfg.negativeTTL, since: c.wall(now)},
			started: gen, born: gen, fetched: now, fresh: exp, stale: exp}, nil)
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
func (c *Cache) stamp(e *entry, now int64) {
	ttl := c.cfg.ttl[e.key.kind]
	e.fetched = now
	e.fresh = now + int64(ttl)
	e.stale = e.fresh + int64(c.cfg.maxStale)
	if f := c.cfg.refreshAhead; f > 0 && ttl > 0 {
		f -= rand.Float64() * 0.1 // jitter: a fleet started together spreads its refreshes
		e.refresh = max(now+int64(max(f, 0.05)*float64(ttl)), 1)
	}
	c.capExpiry(e, now) // a secret that rotates before the TTL ends (rotation.go)
}

// serveStale counts, and logs at DEBUG, a value served past its TTL.
func (c *Cache) serveStale(e *entry, now int64) {
	c.stats.staleServes.Add(1)
	if c.log.Enabled(context.Background(), slog.LevelDebug) {
		c.log.LogAttrs(context.Background(), slog.LevelDebug, "serving stale value",
			slog.String("kind", e.key.kind.spec().name), slog.String("name", e.key.name),
			slog.Duration("age", time.Duration(now-e.fetched)), slog.Int("failures", e.failures))
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
		t := c.flights.Join(c.flightKey(k, false), noBound, true, func(call *flightCall) (*entry, error) {
			return c.fill(call, k, e, false, e)
		})
		defer t.Leave()
		got, err := flightValue(<-t.C())
		if err != nil || got != nil && got.failures > 0 {
			c.stats.refreshFailures.Add(1) // an error, or the value kept after a failure
		}
		if errors.Is(err, ErrOverloaded) {
			e.refreshing.Store(false) // no slot: a later hit tries again
		}
	}()
}
