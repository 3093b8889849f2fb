package cache

import (
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/ristretto/v2"
)

// entry is one cached answer: a value, or a remembered failure. Entries are
// immutable once stored except for the atomics and decoded; a change stores
// a new entry.
//
// Its times are on the cache's one clock, nanoseconds since Cache.epoch
// read from the monotonic clock (see Cache.now); what they mean for a read
// is decided in one place, Cache.state (policy.go).
type entry struct {
	key key
	val value // a Parameter, a Secret or a listing, by key.kind; nil for a failure
	err error // a remembered not-found or backoff error, compact (see source.Error.Compact)
	// started numbers the load that produced it when the load started; gen
	// numbers the answer when it was stored (same counter). Answers are
	// ordered by arrival: a later answer replaces an earlier one, except
	// that an answer whose load started before the stored one arrived never
	// replaces it with an older version (see value.older).
	started, gen uint64
	// born numbers the load that fetched the value (for a failure: that
	// made the call); a stale copy of a value keeps its born. The entry is
	// valid while born is above the last invalidation of slot, its name's
	// (see invalidate.go).
	born uint64
	slot uint16

	fetched  int64 // when the value arrived (a failure: when it was learnt)
	fresh    int64 // served from memory until; a failure: remembered until
	refresh  int64 // a read after this starts a background reload; 0: never
	stale    int64 // may be served after a failed reload until: the hard expiry
	retry    int64 // after a transient failure: no upstream call before this; 0: none
	failures int   // consecutive transient failures

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
	seq      *atomic.Uint64 // numbers loads as they start and answers as they are stored

	mu       sync.Mutex // serialises writes, so that each decides on the state the previous one left; protects closed
	closed   bool
	count    atomic.Int64 // entries in both caches
	clearing atomic.Bool  // Clear reports every entry it drops as evicted: do not count those

	inval [invalSlots]atomic.Uint64 // the last invalidation of each slot (see invalidate.go)
}

// failureBudget is how many remembered failures a cache with room for n
// values keeps: a quarter of n, at least 16 and at most 10,000.
func failureBudget(n int) int { return min(max(n/4, 16), 10_000) }

func newStore(maxEntries int, stats *counters, seq *atomic.Uint64) (*store, error) {
	s := &store{seed: maphash.MakeSeed(), stats: stats, seq: seq}
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
		OnReject: func(*ristretto.Item[*entry]) { s.stats.rejected.Add(1); s.count.Add(-1) },
		OnEvict: func(*ristretto.Item[*entry]) {
			if !s.clearing.Load() {
				s.stats.evictions.Add(1)
				s.count.Add(-1)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return c, nil
}

// value returns the valid value entry stored for k, fresh or not, or nil.
// It does not allocate or read the clock.
func (s *store) value(k *key) *entry {
	if s == nil {
		return nil
	}
	e, ok := s.values.Get(hash(s.seed, k))
	if !ok || e.key != *k || !s.valid(e) {
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
	if !ok || e.key != *k || !s.valid(e) {
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
// for its key, and returns the entry stored for the key afterwards: e, or
// the entry that made put refuse it (nil when nothing is stored). It
// refuses e when, expect not nil, the stored entry is no longer expect, or
// when e's load started before the stored answer arrived and e holds an
// older version of the value, or is a failure and the stored answer a value
// (the last answer to arrive wins, but never by going back to a version
// some caller may have been given already). An invalidated entry counts as
// none. e is not stored, and put returns e, when its name was invalidated
// after e's value was fetched (its waiters asked before the invalidation;
// later reads load again). e.gen is taken here, under the lock: the order
// of gen is the order of arrival.
//
// A new key's Set is asynchronous in ristretto; put waits for it, under
// the lock, so that a read right after the load is a hit and the next
// write sees this one.
func (s *store) put(e, expect *entry) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	h := hash(s.seed, &e.key)
	// One Get per cache: each Get also counts as a use of the key in
	// ristretto's admission sketch.
	v, _ := s.values.Get(h)
	f, _ := s.failures.Get(h)
	cur := s.held(e.key, v, f)
	e.slot = slotOf(s.seed, &e.key)
	if !s.valid(e) {
		return e
	}
	if expect != nil && cur != expect || cur != nil && e.started < cur.gen && older(e, cur) {
		return cur
	}
	e.gen = s.seq.Add(1)
	if !s.set(h, e, v, f) {
		return cur
	}
	return e
}

// held is the valid entry for k among v and f, what the two caches hold
// under k's hash (either may hold another key's entry: a collision).
func (s *store) held(k key, v, f *entry) *entry {
	for _, e := range [2]*entry{v, f} {
		if e != nil && e.key == k && s.valid(e) {
			return e
		}
	}
	return nil
}

// set stores e under h in the cache of its sort (values or failures),
// removes what the other one held for its key, and waits for the write;
// v and f are what the caches held under h. s.mu is held. It reports false
// when ristretto's buffer refused the write.
func (s *store) set(h uint64, e, v, f *entry) bool {
	into, other, old, otherOld := s.values, s.failures, v, f
	if e.err != nil {
		into, other, old, otherOld = s.failures, s.values, f, v
	}
	if otherOld != nil && otherOld.key == e.key {
		other.Del(h)
		s.count.Add(-1)
	}
	if old == nil {
		s.count.Add(1) // a new key; one that replaces a colliding key's entry does not change the count
	}
	if !into.Set(h, e, 1) {
		s.stats.dropped.Add(1)
		if old == nil {
			s.count.Add(-1)
		}
		return false
	}
	into.Wait()
	return true
}

// older reports whether e holds an older version of the value than cur:
// both values, and the value can tell (see value.older); or e is a failure
// and cur a value (put asks only when e's load started before cur arrived:
// the value is the newer answer, and a failure learnt before it must not
// take it from the readers who were given it).
func older(e, cur *entry) bool {
	switch {
	case cur.err != nil:
		return false
	case e.err != nil:
		return true
	}
	return e.val.older(cur.val)
}

// clear removes every entry and invalidates every slot, so that no load in
// flight stores what it fetched and no read after clear joins one.
func (s *store) clear() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	// Fence the loads in flight, as an invalidation by name does: what
	// they fetched was asked before the clear and is not stored.
	n := s.seq.Add(1)
	for i := range s.inval {
		s.inval[i].Store(n)
	}
	s.clearing.Store(true)
	s.values.Clear()
	s.failures.Clear()
	s.clearing.Store(false)
	s.count.Store(0)
}

// entries is the number of entries held, values and failures.
func (s *store) entries() int {
	if s == nil {
		return 0
	}
	return int(s.count.Load())
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
