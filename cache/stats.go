package cache

import (
	"sync/atomic"
	"unsafe"
)

// Stats is a snapshot of a cache's counters since [New].
type Stats struct {
	Hits           uint64 // reads answered from memory
	NegativeHits   uint64 // reads answered by a remembered not-found or backoff error
	Misses         uint64 // reads that needed more than the hit path
	Loads          uint64 // upstream calls made
	LoadErrors     uint64 // upstream calls that failed (or panicked)
	Coalesced      uint64 // reads that waited for another reader's upstream call
	StaleServes    uint64 // reads answered with a value past its TTL because the upstream failed
	RefreshesAhead uint64 // background reloads started before an entry's TTL ended
	Evictions      uint64 // entries the store evicted to admit another, at its limit
	Rejected       uint64 // new entries the store's admission policy refused, at its limit
	Dropped        uint64 // writes the store refused because its buffer was full (expected 0; a test watches it)
	Entries        int    // entries held now, values and remembered failures
}

// Stats returns a snapshot of the cache's counters. It is safe to call at
// any time, including after Close.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits:           c.stats.hitCount(),
		NegativeHits:   c.stats.negativeHits.Load(),
		Misses:         c.stats.misses.Load(),
		Loads:          c.stats.loads.Load(),
		LoadErrors:     c.stats.loadErrors.Load(),
		Coalesced:      c.stats.coalesced.Load(),
		StaleServes:    c.stats.staleServes.Load(),
		RefreshesAhead: c.stats.refreshes.Load(),
		Evictions:      c.stats.evictions.Load(),
		Rejected:       c.stats.rejected.Load(),
		Dropped:        c.stats.dropped.Load(),
		Entries:        c.store.entries(),
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
	dropped                                            atomic.Uint64
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
