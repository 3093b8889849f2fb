package cache

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// load answers a read that the hit path could not: from a stale entry while
// its key backs off, else through the key's shared flight. The caller waits
// on its own ctx; leaving early does not stop the flight for the others.
func (c *Cache) load(ctx context.Context, k key, force bool) (*entry, error) {
	c.stats.misses.Add(1)
	start := time.Now()
	if !force {
		if cur := c.store.current(k); cur != nil && start.Before(cur.retryAt) && start.Before(cur.staleUntil) {
			if cur.err != nil {
				return nil, cur.err // backing off after repeated failures
			}
			c.serveStale(cur, start)
			return cur, nil
		}
	}
	if c.isClosed() {
		return nil, ErrClosed
	}
	fk := k.flightKey()
	if force {
		fk += "\x00refresh" // forced reads coalesce among themselves only
	}
	led := false
	ch := c.flight.DoChan(fk, func() (any, error) {
		led = true
		return c.fill(k, force, nil)
	})
	select {
	case r := <-ch:
		if !led {
			c.stats.coalesced.Add(1)
		}
		if r.Err != nil {
			return nil, r.Err
		}
		e := r.Val.(*entry)
		if e.err != nil {
			return nil, e.err
		}
		if now := time.Now(); !now.Before(e.expires) {
			c.serveStale(e, now)
		}
		return e, nil
	case <-ctx.Done():
		return nil, &waitError{op: k.kind.spec().op, name: k.name, waited: time.Since(start), err: ctx.Err()}
	}
}

// fill is the body of a flight: it makes the one upstream call for k and
// stores what it learnt. trigger is the entry a refresh-ahead started from.
//
// Why fill checks the store again (the habit of groupcache's load):
//
//  1. reader A misses k; reader B misses k
//  2. A's flight runs, stores v, ends
//  3. B calls DoChan after the flight ended and starts a new one
//
// Without the check B's flight would call upstream again for a value that
// is already fresh.
//
// Loads are numbered when they start, and a stored answer is replaced only
// by one of a later load (store.put compares entry.gen):
//
//  1. a plain load L1 starts (number 1) and is slow
//  2. a forced load L2 starts (number 2), answers v2, stores it
//  3. L1 answers v1 at last; store.put keeps v2, since 1 < 2
//
// (Ordering by arrival instead, so that the newest answer wins, needs only
// a different place to take the number: entry.gen is what put compares.)
func (c *Cache) fill(k key, force bool, trigger *entry) (res *entry, err error) {
	if !c.begin() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &panicError{op: k.kind.spec().op, name: k.name, typ: fmt.Sprintf("%T", p)}
			c.stats.loadErrors.Add(1)
			c.log.LogAttrs(context.Background(), slog.LevelError, "upstream call panicked",
				slog.String("kind", k.kind.spec().name), slog.String("name", k.name), slog.String("panic", fmt.Sprintf("%T", p)))
		}
	}()

	cur := c.store.current(k)
	if cur != nil && cur.err == nil && !force {
		now := time.Now()
		if trigger == nil && now.Before(cur.expires) {
			return cur, nil // another flight stored it meanwhile
		}
		if trigger != nil && cur != trigger && now.Before(cur.refreshAt) {
			return cur, nil // refreshed meanwhile
		}
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout(k.kind))
	defer cancel()
	c.stats.loads.Add(1)
	gen := c.loads.Add(1)
	v, err := k.kind.spec().fetch(ctx, c.src, k)
	now := time.Now()
	if err == nil {
		e := &entry{key: k, val: v, gen: gen}
		c.stamp(e, now)
		c.put(e, nil)
		if after := k.kind.spec().stored; after != nil && c.caching(k.kind) {
			after(c, k, v, gen, now)
		}
		return e, nil
	}
	c.stats.loadErrors.Add(1)
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	return c.failed(k, cur, gen, err, force, now)
}
