package cache

import (
	"sync/atomic"
	"unsafe"
)

// Stats is a snapshot of a cache's counters since [New].
//
// Every read of a key counts once, whatever its path: a single read
// ([Cache.Parameter], [Cache.Secret], the typed reads), each item of a batch
// read ([Cache.Parameters], [Cache.Secrets], [Cache.Prefetch], the SDK-shaped
// batch calls of package sdkcache), a path listing ([Cache.ParametersByPath],
// one read of the path's key) and an SDK-shaped call of package sdkcache is
// a hit, a negative hit or a miss. Upstream
// calls are counted apart from reads: a batch call answers up to ten or
// twenty misses with one load.
type Stats struct {
	// Hits counts reads answered from a fresh value in memory, with no
	// upstream call.
	Hits uint64
	// NegativeHits counts reads answered from memory by a remembered
	// not-found or backoff error, with no upstream call.
	NegativeHits uint64
	// Misses counts reads that needed more than the hit path: an upstream
	// call of their own or shared, a batch call, or an answer from a stale
	// value or a backoff error while their key backs off.
	Misses uint64
	// Loads counts upstream calls made: one per single load, per batch or
	// path call (each retry too).
	Loads uint64
	// LoadErrors counts upstream calls that failed (or panicked).
	LoadErrors uint64
	// Coalesced counts reads that waited for another reader's upstream call
	// instead of making their own.
	Coalesced uint64
	// StaleServes counts reads (single reads and batch items) answered with
	// a value past its TTL because the upstream failed or the key backs off.
	StaleServes uint64
	// RefreshesAhead counts background reloads started before an entry's
	// TTL ended.
	RefreshesAhead uint64
	// RefreshFailures counts those background reloads that failed
	// (readers kept the value in memory); each is also in LoadErrors.
	RefreshFailures uint64
	// Bypassed is always 0: the SDK-shaped calls that bypass the cache are
	// sdkcache.Reader's now, which counts them (Reader.Bypassed).
	//
	// Deprecated: use sdkcache.Reader.Bypassed.
	Bypassed uint64
	// Evictions counts entries the store evicted to admit another, at its
	// limit.
	Evictions uint64
	// Rejected counts new entries the store's admission policy refused, at
	// its limit.
	Rejected uint64
	// Dropped counts writes the store refused because its buffer was full
	// (expected 0; a test watches it).
	Dropped uint64
	// Entries is the number of entries held now, values and remembered
	// failures.
	Entries int
}

// Stats returns a snapshot of the cache's counters. It is safe to call at
// any time, including after Close.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits:            c.stats.hitCount(),
		NegativeHits:    c.stats.negativeHits.Load(),
		Misses:          c.stats.misses.Load(),
		Loads:           c.stats.loads.Load(),
		LoadErrors:      c.stats.loadErrors.Load(),
		Coalesced:       c.stats.coalesced.Load(),
		StaleServes:     c.stats.staleServes.Load(),
		RefreshesAhead:  c.stats.refreshes.Load(),
		RefreshFailures: c.stats.refreshFailures.Load(),
		Bypassed:        c.stats.bypassed.Load(),
		Evictions:       c.stats.evictions.Load(),
		Rejected:        c.stats.rejected.Load(),
		Dropped:         c.stats.dropped.Load(),
		Entries:         c.store.entries(),
	}
}

const hitStripes = 16

// paddedCounter sits alone on its cache line so hits on different keys do
// not contend.
type paddedCounter struct {
	n atomic.Uint64
	_ [56]byte
}

type counters struct {
	hits                                               [hitStripes]paddedCounter
	negativeHits, misses, loads, loadErrors, coalesced atomic.Uint64
	staleServes, refreshes, evictions, rejected        atomic.Uint64
	dropped, bypassed, refreshFailures                 atomic.Uint64
}

// hit counts a hit on a stripe chosen by the address of the calling
// goroutine's stack (no lock, no allocation, no random number: a few
// instructions), so that goroutines hitting the same key on different
// cores mostly do not bounce one cache line between them. A stack that
// grows moves, and with it the stripe, which only changes where it counts.
func (s *counters) hit() {
	var local byte
	a := uintptr(unsafe.Pointer(&local)) >> 13 // stacks start at least 8 KiB apart
	s.hits[(a^a>>4^a>>8)%hitStripes].n.Add(1)
}

func (s *counters) hitCount() uint64 {
	var n uint64
	for i := range s.hits {
		n += s.hits[i].n.Load()
	}
	return n
}
