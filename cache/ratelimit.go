package cache

import (
	"sync"
	"time"
)

// DefaultNotFoundRate and DefaultNotFoundBurst bound how fast names that
// turn out not to exist may be asked upstream (see WithNotFoundRate): well
// under the 40 calls per second an account shares for SSM GetParameter.
const (
	DefaultNotFoundRate  = 10.0
	DefaultNotFoundBurst = 20
)

// notFoundBucket is a token bucket on the cache's clock that not-found
// answers drain: while it is empty, loads of names with nothing in memory
// are refused (ErrOverloaded), so a flood of distinct missing names costs
// the account at most rate calls per second after the first burst. Reads
// of names in memory (values, stale values, remembered failures) never
// consult it. A zero rate disables it.
//
// Bound: one float per cache, whatever the number of names.
type notFoundBucket struct {
	rate  float64 // tokens per second; 0: off
	burst float64

	mu     sync.Mutex // protects tokens and last
	tokens float64
	last   int64 // cache clock of the last update
}

func (b *notFoundBucket) init(rate float64, burst int) {
	b.rate, b.burst, b.tokens = rate, float64(burst), float64(burst)
}

// refill brings tokens up to now; b.mu is held.
func (b *notFoundBucket) refill(now int64) {
	if now > b.last {
		b.tokens = min(b.burst, b.tokens+float64(now-b.last)/float64(time.Second)*b.rate)
		b.last = now
	}
}

// allow reports whether a load of a name with nothing in memory may go
// upstream now.
func (b *notFoundBucket) allow(now int64) bool {
	if b.rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	return b.tokens >= 1
}

// spend records a not-found answer.
func (b *notFoundBucket) spend(now int64) {
	if b.rate <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens = max(b.tokens-1, -b.burst)
}

func (b *notFoundBucket) limit() int { return int(b.rate) }
