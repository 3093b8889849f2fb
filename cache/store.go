package cache

import (
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// entry is one cached answer: a value, or a remembered failure. Entries are
// immutable once stored except for the atomics and decoded; a change stores
// a new entry.
type entry struct {
	key key
	val any    // a Parameter, a Secret or a []Parameter, by key.kind; nil for a failure
	err error  // a remembered not-found or backoff error, compact (see source.Error.Compact)
	gen uint64 // the number of the load that produced it: a later load's answer wins

	// freshNs and refreshNs are expires and refreshAt on the cache's
	// monotonic clock (nanoseconds since Cache.epoch; refreshNs 0: never),
	// set by Cache.put: the hit path compares them with one monotonic
	// clock read instead of time.Now's two.
	freshNs, refreshNs int64

	fetched    time.Time
	refreshAt  time.Time // a read after this starts a background reload; zero: never
	expires    time.Time // fresh until
	staleUntil time.Time // may be served after a failed reload until; the hard expiry
	retryAt    time.Time // after a transient failure: no upstream call before this
	failures   int       // consecutive transient failures

	refreshing atomic.Bool // a background reload has started
	decoded    sync.Map    // reflect.Type → decoded value, for the typed reads
}

// store holds the entries: ristretto is the one store of record and its
// admission and eviction decide what stays (O(1) per insert at any size).
// Values and remembered failures live in two ristretto caches, so that a
// flood of distinct missing names can only push out other failures, never a
// value.
//
// Each entry costs 1 and internal cost is ignored, so MaxCost is a number
// of entries: under it nothing is refused. No TTL is given to ristretto (a
// TTL costs a clock read on every Get, and ristretto hides expired items, so
// they could not be served stale): freshness and the hard expiry are
// decided by the cache from the entry's times, and the entry limit bounds
// memory.
type store struct {
	seed     maphash.Seed
	values   *ristretto.Cache[uint64, *entry]
	failures *ristretto.Cache[uint64, *entry]
	stats    *counters

	mu       sync.Mutex // serialises writes, so that each decides on the state the previous one left; protects closed
	closed   bool
	held     atomic.Int64 // entries in both caches
	clearing atomic.Bool  // Clear reports every entry it drops as evicted: do not count those
}

// failureBudget is how many remembered failures a cache with room for n
// values keeps: a quarter of n, at least 16 and at most 10,000.
func failureBudget(n int) int { return min(max(n/4, 16), 10_000) }

func newStore(maxEntries int, stats *counters) (*store, error) {
	s := &store{seed: maphash.MakeSeed(), stats: stats}
	var err error
	if s.values, err = s.newCache(maxEntries); err != nil {
		return nil, err
	}
	if s.failures, err = s.newCache(failureBudget(maxEntries)); err != nil {
		s.values.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) newCache(n int) (*ristretto.Cache[uint64, *entry], error) {
	c, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{
		NumCounters:        10 * int64(n),
		MaxCost:            int64(n),
		BufferItems:        64,
		IgnoreInternalCost: true,
		// Both run on ristretto's goroutine while a write waits for it
		// (see put), so the counts are current when put returns.
		OnReject: func(*ristretto.Item[*entry]) { s.stats.rejected.Add(1); s.held.Add(-1) },
		OnEvict: func(*ristretto.Item[*entry]) {
			if !s.clearing.Load() {
				s.stats.evictions.Add(1)
				s.held.Add(-1)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return c, nil
}

// value returns the value entry stored for k, fresh or not, or nil. It does
// not allocate or read the clock: it is the hit path's lookup.
func (s *store) value(k *key) *entry {
	if s == nil {
		return nil
	}
	e, ok := s.values.Get(hash(s.seed, k))
	if !ok || e.key != *k {
		return nil
	}
	return e
}

// failure returns the remembered failure stored for k, or nil.
func (s *store) failure(k *key) *entry {
	if s == nil {
		return nil
	}
	e, ok := s.failures.Get(hash(s.seed, k))
	if !ok || e.key != *k {
		return nil
	}
	return e
}

// current returns what is stored for k, a value or a failure, or nil. The
// two are never stored together for one key (see put).
func (s *store) current(k key) *entry {
	if e := s.value(&k); e != nil {
		return e
	}
	return s.failure(&k)
}

// put stores e, a value or a failure, and removes what the other cache held
// for its key. It does not store e when a later answer is stored already,
// or, when expect is not nil, when the stored entry is no longer expect.
// It reports whether it stored e.
//
// A new key's Set is asynchronous in ristretto; put waits for it, under
// the lock, so that a read right after the load is a hit and the next
// write sees this one.
func (s *store) put(e, expect *entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	h := hash(s.seed, &e.key)
	// One Get per cache: each Get also counts as a use of the key in
	// ristretto's admission sketch.
	v, _ := s.values.Get(h)
	f, _ := s.failures.Get(h)
	cur := v
	if cur == nil || cur.key != e.key {
		cur = f
	}
	if cur != nil && cur.key != e.key {
		cur = nil
	}
	if expect != nil && cur != expect || cur != nil && cur.gen > e.gen {
		return false
	}
	into, other, old, otherOld := s.values, s.failures, v, f
	if e.err != nil {
		into, other, old, otherOld = s.failures, s.values, f, v
	}
	if otherOld != nil && otherOld.key == e.key {
		other.Del(h)
		s.held.Add(-1)
	}
	if old == nil {
		s.held.Add(1) // a new key; one that replaces a colliding key's entry does not change the count
	}
	if !into.Set(h, e, 1) {
		s.stats.dropped.Add(1)
		if old == nil {
			s.held.Add(-1)
		}
		return false
	}
	into.Wait()
	return true
}

// del removes what is stored for k.
func (s *store) del(k key) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	h := hash(s.seed, &k)
	for _, c := range [...]*ristretto.Cache[uint64, *entry]{s.values, s.failures} {
		if e, ok := c.Get(h); ok && e.key == k {
			c.Del(h)
			s.held.Add(-1)
		}
	}
}

// clear removes every entry.
func (s *store) clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.clearing.Store(true)
	s.values.Clear()
	s.failures.Clear()
	s.clearing.Store(false)
	s.held.Store(0)
}

// entries is the number of entries held, values and failures.
func (s *store) entries() int {
	if s == nil {
		return 0
	}
	return int(s.held.Load())
}

// close releases both caches. Writes after close do nothing. The caller
// makes sure no load is still running (ristretto's Close racing a Set can
// panic).
func (s *store) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.values.Close()
		s.failures.Close()
	}
}
