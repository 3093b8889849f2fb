package cache

import (
	"context"
	"sync"
	"time"
)

// flightWaits counts the callers waiting on each flight key, so that a load
// every waiter has left can be cancelled (singleflight does not say who
// waits). singleflight runs at most one flight per key at a time, so a
// count per key is a count per flight; a caller that joins as one flight
// ends is counted on the next one too, which only keeps that one alive a
// little longer.
//
// Bound: a key is in m only while a caller waits on it or a load of it
// runs, so len(m) is at most the callers waiting plus WithMaxLoads.
type flightWaits struct {
	mu sync.Mutex // protects m and every flightWait in it
	m  map[string]*flightWait
}

type flightWait struct {
	waiting int                // callers waiting on the key
	since   time.Time          // when the current flight (or its first waiter) started
	cancel  context.CancelFunc // the running load's; nil when none runs
	keep    bool               // the running load refreshes a value in memory: never cancelled for lack of waiters
}

// join counts a caller waiting on fk and returns when the key's flight
// started (now, if none runs).
func (w *flightWaits) join(fk string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]*flightWait{}
	}
	f := w.m[fk]
	if f == nil {
		f = &flightWait{since: time.Now()}
		w.m[fk] = f
	}
	f.waiting++
	return f.since
}

// leave uncounts a caller; the last one to leave cancels the running load
// unless it keeps a value fresh.
func (w *flightWaits) leave(fk string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.m[fk]
	f.waiting--
	if f.waiting > 0 {
		return
	}
	if f.cancel == nil {
		delete(w.m, fk)
	} else if !f.keep {
		f.cancel()
	}
}

// started records the load of fk that has begun. It reports false, and
// records nothing, when every waiter has left already and the load would
// not refresh a value in memory.
func (w *flightWaits) started(fk string, cancel context.CancelFunc, keep bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.m[fk]
	if f == nil {
		if !keep {
			return false
		}
		if w.m == nil {
			w.m = map[string]*flightWait{}
		}
		f = &flightWait{since: time.Now()}
		w.m[fk] = f
	}
	f.cancel, f.keep = cancel, keep
	return true
}

// done records that fk's load has ended.
func (w *flightWaits) done(fk string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.m[fk]
	if f == nil {
		return
	}
	f.cancel, f.keep = nil, false
	if f.waiting == 0 {
		delete(w.m, fk)
	} else {
		f.since = time.Now() // the waiters left start the next flight
	}
}
