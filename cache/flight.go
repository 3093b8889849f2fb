package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"
)

// load answers a read that the hit path could not: from a stale entry while
// its key backs off, else through the key's shared flight. The caller waits
// on its own ctx; leaving early does not stop the flight for the others.
//
// A read that finds a value within its staleness bound waits for the
// flight at most until the stale wait after the flight started (and never
// past halfway to its own deadline), then gets that value, or a newer one
// stored meanwhile; the flight goes on without it.
//
// With maxAge positive the read wants a value fetched less than maxAge
// before it started (after notBefore), as the hit path does. A flight led
// by a read with a looser bound may answer with a value in memory that is
// older than that (see fill); the read then asks once more, leading or
// joining a flight that fetches. A value older than the read's bound that
// it gets because the upstream failed or is slow counts as a stale serve.
func (c *Cache) load(ctx context.Context, k key, force bool, maxAge time.Duration) (*entry, error) {
	start := time.Now()
	var notBefore time.Time
	if maxAge > 0 {
		notBefore = start.Add(-maxAge)
	}
	e, again, err := c.loadOnce(ctx, k, force, start, notBefore)
	if again {
		e, _, err = c.loadOnce(ctx, k, force, start, notBefore)
	}
	return e, err
}

// loadOnce is one round of load. again reports an answer from a flight this
// read did not lead that is older than notBefore.
func (c *Cache) loadOnce(ctx context.Context, k key, force bool, start, notBefore time.Time) (_ *entry, again bool, _ error) {
	c.stats.misses.Add(1)
	cur := c.store.current(k)
	if !force && cur != nil && start.Before(cur.retryAt) && start.Before(cur.staleUntil) {
		if cur.err != nil {
			return nil, false, cur.err // backing off after repeated failures
		}
		c.serveStale(cur, start)
		return cur, false, nil
	}
	if c.isClosed() {
		return nil, false, ErrClosed
	}
	stale := !force && cur != nil && cur.err == nil && start.Before(cur.staleUntil)
	fk := c.flightKey(k)
	if force {
		fk += "\x00refresh" // forced reads coalesce among themselves only
	}
	since := c.waits.join(fk)
	defer c.waits.leave(fk)
	led := false
	ch := c.flight.DoChan(fk, func() (any, error) {
		led = true
		return c.fill(fk, k, force, nil, notBefore)
	})
	var patience <-chan time.Time
	if stale {
		d := since.Add(c.cfg.staleWait).Sub(start)
		if dl, ok := ctx.Deadline(); ok {
			d = min(d, dl.Sub(start)/2)
		}
		t := time.NewTimer(max(d, 0))
		defer t.Stop()
		patience = t.C
	}
	for {
		select {
		case r := <-ch:
			if !led {
				c.stats.coalesced.Add(1)
			}
			if r.Err != nil {
				if stale && (errors.Is(r.Err, ErrOverloaded) || errors.Is(r.Err, errAbandoned)) {
					if e := c.staleNow(k, cur, notBefore); e != nil {
						return e, false, nil
					}
				}
				return nil, false, r.Err
			}
			e := r.Val.(*entry)
			if e.err != nil {
				return nil, false, e.err
			}
			if !led && !e.fetched.After(notBefore) && e.failures == 0 {
				return e, true, nil
			}
			if now := time.Now(); !now.Before(e.expires) || !e.fetched.After(notBefore) {
				c.serveStale(e, now)
			}
			return e, false, nil
		case <-patience:
			if e := c.staleNow(k, cur, notBefore); e != nil {
				return e, false, nil
			}
			patience = nil // past its bound meanwhile (a frozen process thawed): wait for the flight
		case <-ctx.Done():
			return nil, false, &waitError{op: k.kind.spec().op, name: k.name, waited: time.Since(start), err: ctx.Err()}
		}
	}
}

// flightKey is k's singleflight key: k as a string and the last
// invalidation of its name, so that a read that starts after an
// invalidation never joins a flight that started before it.
func (c *Cache) flightKey(k key) string {
	fk := k.flightKey()
	if c.store == nil {
		return fk
	}
	return fk + "\x00" + strconv.FormatUint(c.store.inval[slotOf(c.store.seed, &k)].Load(), 10)
}

// staleNow returns the value a reader that stops waiting gets: the value
// stored for k now if it is newer than cur (a flight may have stored one
// meanwhile: never hand out an older one), else cur; nil if that value is
// past its staleness bound by now (time may have jumped: a Lambda freeze).
// notBefore is the reader's MaxAge bound, as in load.
func (c *Cache) staleNow(k key, cur *entry, notBefore time.Time) *entry {
	now := time.Now()
	if e := c.store.value(&k); e != nil && e != cur && e.gen > cur.gen {
		cur = e
	}
	if !now.Before(cur.staleUntil) {
		return nil
	}
	if !now.Before(cur.expires) || !cur.fetched.After(notBefore) {
		c.serveStale(cur, now)
	}
	return cur
}

// errAbandoned ends a load that every waiter left before it started.
var errAbandoned = errors.New("load abandoned by every waiter")

// fill is the body of the flight fk: it makes the one upstream call for k
// and stores what it learnt. trigger is the entry a refresh-ahead started
// from.
//
// Why fill checks the store again (the habit of groupcache's load):
//
//  1. reader A misses k; reader B misses k
//  2. A's flight runs, stores v, ends
//  3. B calls DoChan after the flight ended and starts a new one
//
// Without the check B's flight would call upstream again for a value that
// is already fresh. The value found must also have been fetched after
// notBefore, the bound of the read that leads the flight (MaxAge); zero:
// any.
//
// Answers are ordered by arrival: store.put numbers each answer when it
// stores it, and the last to arrive wins, whichever load started first.
// That alone would let a slow answer go back to an older version than a
// caller was already given:
//
//  1. a refresh L1 starts at t=8.5 s, SSM answers version 2, the answer is slow
//  2. a forced read L2 starts at t=9 s and stores version 3, which readers get
//  3. L1's version 2 arrives at t=13.5 s
//
// so an answer whose load started before the stored one arrived replaces
// it only if it is not an older version (olderOf): L1 is refused,
// and its waiters get version 3. The other order, the one a start number
// got wrong, now comes out right:
//
//  1. a plain read L1 starts at t=0, its request is slow
//  2. a forced read L2 at t=0.1 s stores version 1
//  3. the value changes upstream at t=0.2 s; L1 reaches SSM after that
//  4. L1 answers version 2 at t=0.5 s and replaces version 1 (it is newer)
//
// Loads hold a slot of WithMaxLoads from here to their end; one that every
// waiter has left is cancelled unless it refreshes a value in memory.
func (c *Cache) fill(fk string, k key, force bool, trigger *entry, notBefore time.Time) (res *entry, err error) {
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
		if trigger == nil && now.Before(cur.expires) && cur.fetched.After(notBefore) {
			return cur, nil // another flight stored it meanwhile
		}
		if trigger != nil && cur != trigger && now.Before(cur.refreshAt) {
			return cur, nil // refreshed meanwhile
		}
	}
	if n := c.active.Add(1); n > int64(c.cfg.maxLoads) {
		c.active.Add(-1)
		return nil, &overloadError{op: k.kind.spec().op, name: k.name, limit: c.cfg.maxLoads}
	}
	defer c.active.Add(-1)
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout(k.kind))
	defer cancel()
	keep := cur != nil && cur.err == nil // refreshes a value in memory
	if !c.waits.started(fk, cancel, keep) {
		return nil, errAbandoned
	}
	defer c.waits.done(fk)
	c.stats.loads.Add(1)
	started := c.loads.Add(1)
	v, err := k.kind.spec().fetch(ctx, c.src, k)
	now := time.Now()
	if err == nil {
		e := &entry{key: k, val: v, started: started, born: started}
		c.stamp(e, now)
		if got := c.put(e, nil); got != e && got != nil && got.err == nil {
			return got, nil // a newer version arrived first: its waiters get that one
		}
		if after := k.kind.spec().stored; after != nil && c.caching(k.kind) {
			after(c, k, v, started, now)
		}
		return e, nil
	}
	c.stats.loadErrors.Add(1)
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, err // every waiter left: not an upstream failure, nothing to remember
	}
	return c.failed(k, cur, started, err, force, now)
}
