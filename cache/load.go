package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/parsec-go/parsec/internal/flight"
)

// The miss path. Every read the hit path cannot answer, a single read or
// a batch item, goes through one shared call per key (internal/flight, on
// x/sync/singleflight) and waits for it in await. Single reads lead their
// call with fill; a batch leads many at once (batch.go) and answers each
// with its item of the batch call.

type (
	flightCall   = flight.Call
	flightTicket = flight.Ticket[*entry]
)

// flightValue unpacks a flight's result.
var flightValue = flight.Value[*entry]

// load answers a read that the hit path could not. cur is what the hit
// path found for k (nil: nothing, or a forced read). The caller waits on
// its own ctx; leaving early does not stop the call for the others.
func (c *Cache) load(ctx context.Context, k key, cur *entry, force bool, maxAge time.Duration) (*entry, error) {
	start := c.now()
	notBefore := bound(start, maxAge)
	c.stats.misses.Add(1)
	st := c.state(cur, start, notBefore)
	if !force {
		switch st {
		case stateBackingOff:
			c.serveStale(cur, start)
			return cur, nil
		case stateRemembered:
			return nil, cur.err
		}
	}
	if c.isClosed() {
		return nil, ErrClosed
	}
	keep := cur != nil && cur.err == nil // refreshes a value in memory
	t := c.flights.Join(c.flightKey(k, force), notBefore, keep, func(call *flightCall) (*entry, error) {
		return c.fill(call, k, cur, force, nil)
	})
	defer t.Leave()
	return c.await(ctx, t, waiting{k: k, cur: cur, stale: !force && st == stateStale, start: start, notBefore: notBefore})
}

// bound is the notBefore of a read at start with maxAge (0: none).
func bound(start int64, maxAge time.Duration) int64 {
	if maxAge > 0 {
		return start - int64(maxAge)
	}
	return noBound
}

// waiting is one read waiting for a shared call.
type waiting struct {
	k         key
	cur       *entry // what the read found in memory
	stale     bool   // cur is a value within its staleness bound
	start     int64
	notBefore int64
}

// await waits for t's call. A read that has a value within its staleness
// bound waits at most until the stale wait after the call started (and
// never past halfway to its own deadline), then gets that value, or a newer
// one stored meanwhile; the call goes on without it.
func (c *Cache) await(ctx context.Context, t *flightTicket, w waiting) (*entry, error) {
	var patience <-chan time.Time
	if w.stale {
		until := t.Call().Since + int64(c.cfg.staleWait) // on the cache's clock
		if dl, ok := ctx.Deadline(); ok {
			until = min(until, w.start+int64(dl.Sub(c.wall(w.start)))/2)
		}
		tm := time.NewTimer(max(time.Duration(until-c.now()), 0))
		defer tm.Stop()
		patience = tm.C
	}
	for {
		select {
		case r := <-t.C():
			if !t.Led {
				c.stats.coalesced.Add(1)
			}
			return c.answered(r.Val, r.Err, w)
		case <-patience:
			if e := c.staleNow(w); e != nil {
				return e, nil
			}
			patience = nil // past its bound meanwhile (a frozen process thawed): wait for the call
		case <-ctx.Done():
			return nil, &waitError{op: w.k.kind.spec().op, name: w.k.name, waited: time.Duration(c.now() - w.start), err: ctx.Err()}
		}
	}
}

// answered turns a call's result into the read's answer.
func (c *Cache) answered(v any, err error, w waiting) (*entry, error) {
	if errors.Is(err, flight.ErrGoexit) { // the fetch called runtime.Goexit: as a panic
		err = &panicError{op: w.k.kind.spec().op, name: w.k.name, typ: "runtime.Goexit"}
	}
	if err != nil {
		if w.stale && (errors.Is(err, ErrOverloaded) || errors.Is(err, flight.ErrAbandoned)) {
			if e := c.staleNow(w); e != nil {
				return e, nil
			}
		}
		return nil, err
	}
	e, _ := v.(*entry)
	if e == nil {
		return nil, fmt.Errorf("%s %q: no answer", w.k.kind.spec().op, w.k.name)
	}
	if e.err != nil {
		return nil, e.err
	}
	if now := c.now(); !isFresh(c.state(e, now, w.notBefore)) {
		c.serveStale(e, now)
	}
	return e, nil
}

// staleNow returns the value a reader that stops waiting gets: the value
// stored for its key now if it is newer than the one it found (a call may
// have stored one meanwhile: never hand out an older one), else that one;
// nil if the value is past its staleness bound by now (time may have
// jumped: a Lambda freeze).
func (c *Cache) staleNow(w waiting) *entry {
	now := c.now()
	cur := w.cur
	if e := c.store.value(&w.k); e != nil && e != cur && e.gen > cur.gen {
		cur = e
	}
	if !servable(cur, now) {
		return nil
	}
	if !isFresh(c.state(cur, now, w.notBefore)) {
		c.serveStale(cur, now)
	}
	return cur
}

// flightKey is k's call key: k as a string and the last invalidation of
// its name, so that a read that starts after an invalidation never joins a
// call that started before it. Forced reads share calls among themselves
// only.
func (c *Cache) flightKey(k key, force bool) string {
	fk := k.flightKey()
	if c.store != nil {
		fk += "\x00" + strconv.FormatUint(c.store.inval[slotOf(c.store.seed, &k)].Load(), 10)
	}
	if force {
		fk += "\x00refresh"
	}
	return fk
}

// fill is the body of a single read's call: it makes the one upstream call
// for k and stores what it learnt. cur is what was stored for k when the
// read began; trigger is the entry a refresh-ahead started from.
//
// Why fill checks the store again (the habit of groupcache's load):
//
//  1. reader A misses k; reader B misses k
//  2. A's call runs, stores v, ends
//  3. B joins after the call ended and starts a new one
//
// Without the check B's call would go upstream again for a value that is
// already fresh. The value found must also have been fetched after the
// strictest MaxAge bound of the call's waiters so far (Call.Check); a read
// that joins after the check gets the answer fetched after it joined.
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
// it only if it is not an older version (value.older): L1 is refused,
// and its waiters get version 3. The other order, the one a start number
// got wrong, comes out right:
//
//  1. a plain read L1 starts at t=0, its request is slow
//  2. a forced read L2 at t=0.1 s stores version 1
//  3. the value changes upstream at t=0.2 s; L1 reaches SSM after that
//  4. L1 answers version 2 at t=0.5 s and replaces version 1 (it is newer)
//
// Loads hold a slot of WithMaxLoads from here to their end; one that every
// waiter has left is cancelled unless it refreshes a value in memory.
func (c *Cache) fill(call *flightCall, k key, cur *entry, force bool, trigger *entry) (res *entry, err error) {
	if !c.begin() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	defer c.recoverLoad(k, &res, &err)

	found, cur := c.recheck(call, k, cur, force, trigger)
	if found != nil {
		return found, nil
	}
	if err := c.admit(k, cur); err != nil {
		return nil, err
	}
	defer c.active.Add(-1)
	ctx, cancel := c.upstream(c.ctx, k, !servable(cur, c.now()))
	defer cancel()
	if !call.Begin(cancel) {
		return nil, flight.ErrAbandoned
	}
	c.stats.loads.Add(1)
	started := c.loads.Add(1)
	v, err := k.kind.spec().fetch(ctx, c.src, k, valueOf(cur))
	if err == nil {
		return c.settleValue(k, v, started, c.now()), nil
	}
	c.stats.loadErrors.Add(1)
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil, err // every waiter left: not an upstream failure, nothing to remember
	}
	return c.failed(k, cur, started, err, force, c.now())
}

// recheck looks at the store once more before a call goes upstream: found
// is a value stored meanwhile that answers the call (fresh for the
// strictest bound of its waiters, or, for a refresh-ahead, refreshed by
// another call); cur is what the call's failure policy starts from, the
// newer of what the read found and what is stored now.
func (c *Cache) recheck(call *flightCall, k key, cur *entry, force bool, trigger *entry) (found, _ *entry) {
	notBefore := call.Check()
	e := c.store.value(&k)
	if e == nil {
		return nil, cur
	}
	now := c.now()
	switch {
	case force:
	case trigger == nil && isFresh(c.state(e, now, notBefore)):
		return e, cur // another call stored it meanwhile
	case trigger != nil && e != trigger && now < e.refresh && e.fetched > notBefore:
		return e, cur // refreshed meanwhile, within the bound of a waiter with MaxAge
	}
	if cur == nil || e.gen > cur.gen {
		cur = e // a forced read's failure keeps it too
	}
	return nil, cur
}

// valueOf is the value e holds, or nil.
func valueOf(e *entry) value {
	if e == nil || e.err != nil {
		return nil
	}
	return e.val
}

// admit takes a slot of WithMaxLoads for a load of k; the caller releases
// it with c.active.Add(-1).
func (c *Cache) admit(k key, cur *entry) error {
	if n := c.active.Add(1); n > int64(c.cfg.maxLoads) {
		c.active.Add(-1)
		return &overloadError{op: k.kind.spec().op, name: k.name, limit: c.cfg.maxLoads}
	}
	if cur == nil && !c.notFound.allow(c.now()) {
		c.active.Add(-1)
		return &overloadError{op: k.kind.spec().op, name: k.name, limit: c.notFound.limit(), notFound: true}
	}
	return nil
}

// settleValue stores v, fetched by the load numbered started, under k and
// returns the entry readers get: v's, or a newer version's stored first.
func (c *Cache) settleValue(k key, v value, started uint64, now int64) *entry {
	c.servedBy(k, v)
	if after := k.kind.spec().stored; after != nil && c.caching(k.kind) {
		after(c, k, v, started, now)
	}
	e := &entry{key: k, val: v, started: started, born: started}
	c.stamp(e, now)
	if got := c.put(e, nil); got != e && got != nil && got.err == nil {
		return got // a newer version arrived first: its waiters get that one
	}
	return e
}

// recoverLoad turns a panic of an upstream call into an error for every
// waiter (a panic inside singleflight's DoChan would crash the process).
func (c *Cache) recoverLoad(k key, res **entry, err *error) {
	if p := recover(); p != nil {
		*res, *err = nil, &panicError{op: k.kind.spec().op, name: k.name, typ: fmt.Sprintf("%T", p)}
		c.stats.loadErrors.Add(1)
		c.log.LogAttrs(context.Background(), slog.LevelError, "upstream call panicked",
			slog.String("kind", k.kind.spec().name), slog.String("name", k.name), slog.String("panic", fmt.Sprintf("%T", p)))
	}
}
