package cache

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"golang.org/x/sync/singleflight"

	"github.com/parsec-go/parsec/source"
)

// Cache holds parameters and secrets in memory. Build one per process with
// [New], outside the Lambda handler, and share it. It is safe for concurrent
// use; call [Cache.Close] when done.
type Cache struct {
	cfg    config
	src    source.Clients
	store  *ristretto.Cache[uint64, *entry] // nil when caching is off
	seed   maphash.Seed
	flight singleflight.Group
	stats  counters

	ctx    context.Context // loads run under it, detached from callers; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup // loads and background refreshes in progress
	gen    atomic.Uint64  // load sequence: a later load's value wins

	mu     sync.RWMutex      // protects index and closed; serialises stores
	index  map[uint64]*entry // every stored entry, to enforce maxEntries ourselves
	closed bool
}

// entry is one cached answer: a value, or a remembered failure. Entries are
// immutable once stored except for the atomics; a change stores a new entry.
type entry struct {
	key    key
	param  Parameter
	secret Secret
	params []Parameter // a path's parameters; shared, never changed
	err    error       // non-nil: a remembered not-found, or a transient failure during backoff
	gen    uint64      // the load that produced it

	fetched    time.Time
	refreshAt  time.Time // a read after this starts a background reload; zero: never
	expires    time.Time // fresh until
	staleUntil time.Time // may be served after a failed reload until
	retryAt    time.Time // after a transient failure: no upstream call before this
	failures   int       // consecutive transient failures

	lastUse    atomic.Int64 // unix nanoseconds, updated at most once a second
	refreshing atomic.Bool  // a background reload has started
	decoded    sync.Map     // reflect.Type → decoded value, for the typed reads
}

// New returns a cache reading from src. It does no I/O. Options configure
// it; with none it behaves like the extension with its defaults (TTL 300 s,
// 1000 entries), plus parsec's refresh-ahead, stale-on-error and negative
// caching, each documented on its option.
func New(src source.Clients, opts ...Option) (*Cache, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Cache{cfg: cfg, src: src, seed: maphash.MakeSeed(), index: make(map[uint64]*entry)}
	if cfg.enabled && cfg.maxEntries > 0 && (cfg.paramTTL > 0 || cfg.secretTTL > 0) {
		// Cost 1 per entry and twice the room we use, so ristretto's
		// admission policy never has to choose: we enforce maxEntries.
		maxCost := int64(2 * cfg.maxEntries)
		store, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{
			NumCounters:        10 * maxCost,
			MaxCost:            maxCost,
			BufferItems:        64,
			IgnoreInternalCost: true,
			OnReject:           func(*ristretto.Item[*entry]) { c.stats.dropped.Add(1) },
		})
		if err != nil {
			return nil, fmt.Errorf("cache: %w", err)
		}
		c.store = store
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, n := range cfg.notes {
		cfg.logger.LogAttrs(context.Background(), slog.LevelInfo, n)
	}
	return c, nil
}

// Close cancels the loads in progress, waits for them and for background
// refreshes to end, and releases the store. Reads after Close return values
// still in memory or [ErrClosed]. Close is idempotent and always returns nil.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	if c.store != nil {
		c.store.Close()
	}
	return nil
}

// hash is the store's key for k: the seeded hash of each string field,
// mixed with the others. It does not allocate. Distinct keys may collide;
// every lookup compares the full key stored in the entry.
func (c *Cache) hash(k key) uint64 {
	h := maphash.String(c.seed, k.name)
	if k.label != "" {
		h ^= mix(maphash.String(c.seed, k.label) + 0x9e3779b97f4a7c15)
	}
	if k.id != "" {
		h ^= mix(maphash.String(c.seed, k.id) + 0xc2b2ae3d27d4eb4f)
	}
	extra := uint64(k.version)<<9 | uint64(k.kind)<<1
	if k.decrypt {
		extra |= 1
	}
	return mix(h ^ mix(extra+0x165667b19e3779f9))
}

// mix is splitmix64's finaliser: every input bit affects every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// fresh returns the fresh entry for k, or nil. This is the hit path: no
// allocation, no logging, no lock beyond the store's.
func (c *Cache) fresh(k key) *entry {
	if c.store == nil {
		return nil
	}
	h := c.hash(k)
	e, ok := c.store.Get(h)
	if !ok || e.key != k {
		return nil
	}
	now := time.Now()
	if !now.Before(e.expires) {
		return nil
	}
	if e.err != nil {
		c.stats.negativeHits.Add(1)
		return e
	}
	c.stats.hit()
	if n := now.UnixNano(); n-e.lastUse.Load() > int64(time.Second) {
		e.lastUse.Store(n)
	}
	if !e.refreshAt.IsZero() && !now.Before(e.refreshAt) && e.refreshing.CompareAndSwap(false, true) {
		c.refreshAhead(e)
	}
	return e
}

// current returns the stored entry for k, fresh or not, or nil.
func (c *Cache) current(k key) *entry {
	if c.store == nil {
		return nil
	}
	c.mu.RLock()
	e := c.index[c.hash(k)]
	c.mu.RUnlock()
	if e == nil || e.key != k {
		return nil
	}
	return e
}

func (c *Cache) ttl(k kind) time.Duration {
	if k == kindSecret {
		return c.cfg.secretTTL
	}
	return c.cfg.paramTTL // parameters and paths
}

func (c *Cache) caching(k kind) bool { return c.store != nil && c.ttl(k) > 0 }

// put stores e unless a newer load already stored a value for its key, or,
// when expect is not nil, unless the stored entry is no longer expect.
func (c *Cache) put(e, expect *entry) {
	if !c.caching(e.key.kind) {
		return
	}
	now := time.Now()
	hard := e.staleUntil.Sub(now)
	if hard <= 0 {
		return
	}
	h := c.hash(e.key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	cur, exists := c.index[h]
	if expect != nil && cur != expect {
		return
	}
	if exists && cur.key == e.key && cur.gen > e.gen {
		return // a later load already stored its answer
	}
	if !exists && len(c.index) >= c.cfg.maxEntries {
		c.evictLocked(now)
	}
	e.lastUse.Store(now.UnixNano())
	c.index[h] = e
	if !c.store.SetWithTTL(h, e, 1, hard) {
		c.stats.dropped.Add(1)
		delete(c.index, h)
		return
	}
	c.store.Wait() // a Set of a new key is asynchronous; make it visible now
}

// evictLocked makes room for one entry: it drops every entry past its hard
// expiry and, if that is not enough, the least recently used one.
func (c *Cache) evictLocked(now time.Time) {
	var oldest uint64
	var oldestUse int64
	found := false
	for h, e := range c.index {
		if !now.Before(e.staleUntil) {
			delete(c.index, h)
			c.store.Del(h)
			continue
		}
		if u := e.lastUse.Load(); !found || u < oldestUse {
			oldest, oldestUse, found = h, u, true
		}
	}
	if len(c.index) >= c.cfg.maxEntries && found {
		delete(c.index, oldest)
		c.store.Del(oldest)
		c.stats.evictions.Add(1)
	}
}

// InvalidateParameter drops the cached answer for req, so the next read goes
// upstream. A load already in flight for it may still store its result.
func (c *Cache) InvalidateParameter(req ParameterRequest) { c.invalidate(req.key()) }

// InvalidateSecret drops the cached answer for req.
func (c *Cache) InvalidateSecret(req SecretRequest) { c.invalidate(req.key()) }

func (c *Cache) invalidate(k key) {
	if c.store == nil {
		return
	}
	h := c.hash(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.index[h]; e != nil && e.key == k && !c.closed {
		delete(c.index, h)
		c.store.Del(h)
	}
}

// InvalidateAll drops every cached answer.
func (c *Cache) InvalidateAll() {
	if c.store == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	for h := range c.index {
		c.store.Del(h)
	}
	clear(c.index)
}
