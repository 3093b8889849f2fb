package cache

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parsec-go/parsec/internal/flight"
	"github.com/parsec-go/parsec/source"
)

// Cache holds parameters and secrets in memory. Build one per process with
// [New], outside the Lambda handler, and share it. It is safe for concurrent
// use; call [Cache.Close] when done.
type Cache struct {
	cfg      config
	log      *slog.Logger
	src      source.Clients
	store    *store               // nil when caching is off
	flights  flight.Group[*entry] // one shared call per key (load.go)
	active   atomic.Int64         // loads holding a slot (see WithMaxLoads)
	notFound notFoundBucket       // not-found answers' rate (ratelimit.go)
	stats    counters
	watch    atomic.Pointer[watcher] // change subscribers (watch.go); nil until the first OnChange

	// loads numbers upstream calls as they start and answers as they are
	// stored (store.put): the last answer to arrive wins.
	loads atomic.Uint64

	epoch  time.Time       // the origin of the hit path's monotonic clock (see now)
	ctx    context.Context // loads run under it, detached from callers; Close cancels it
	cancel context.CancelFunc

	mu     sync.RWMutex   // protects closed and orders wg.Add before Close's wg.Wait
	closed bool           //
	wg     sync.WaitGroup // loads and background refreshes in progress
}

// New returns a cache reading from src. It does no I/O. Options configure
// it; with none it behaves like the extension with its defaults (TTL 300 s,
// 1000 entries), plus parsec's refresh-ahead, stale-on-error and negative
// caching, each documented on its option. An explicit option wins over
// [WithEnv] whatever their order.
func New(src source.Clients, opts ...Option) (*Cache, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if src, err = rotationClients(cfg, src); err != nil {
		return nil, err
	}
	c := &Cache{cfg: cfg, src: src, log: newLogger(cfg), epoch: time.Now()}
	c.flights.Now = c.now
	c.notFound.init(cfg.notFoundRate, cfg.notFoundBurst)
	if cfg.enabled && cfg.maxEntries > 0 && (cfg.ttl[kindParameter] > 0 || cfg.ttl[kindSecret] > 0) {
		if c.store, err = newStore(cfg.maxEntries, &c.stats, &c.loads); err != nil {
			return nil, err
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, n := range cfg.notes {
		c.log.LogAttrs(context.Background(), slog.LevelInfo, n)
	}
	return c, nil
}

// Close cancels the loads in progress, waits for them and for background
// refreshes to end, and releases the store. Reads after Close return
// [ErrClosed] when they need an upstream call. Close is idempotent and
// always returns nil.
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
	c.store.close()
	return nil
}

// begin registers a load or a background job, so that Close waits for it.
// It reports false after Close; otherwise the caller must call c.wg.Done.
func (c *Cache) begin() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

func (c *Cache) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// caching reports whether answers of kind k are kept.
func (c *Cache) caching(k kind) bool { return c.store != nil && c.cfg.ttl[k] > 0 }

// timeout bounds one upstream call of kind k.
func (c *Cache) timeout(k kind) time.Duration {
	if d := c.cfg.timeout[k]; d > 0 {
		return d
	}
	return c.cfg.loadTimeout
}

// now is the hit path's clock: nanoseconds since c.epoch, read from the
// monotonic clock only (time.Since of a time with a monotonic reading), as
// time.Time's own comparisons do.
func (c *Cache) now() int64 { return int64(time.Since(c.epoch)) }

// wall is the wall-clock time of t on the cache's clock, for logs and
// messages.
func (c *Cache) wall(t int64) time.Time { return c.epoch.Add(time.Duration(t)) }

// put stores e unless caching of its kind is off, a newer version is
// stored already, or (expect not nil) the stored entry is no longer expect
// (see store.put). It returns the entry stored for the key afterwards, or e
// when caching is off.
func (c *Cache) put(e, expect *entry) *entry {
	if !c.caching(e.key.kind) {
		return e
	}
	old, watched := c.changeBefore(e)
	got := c.store.put(e, expect)
	if watched {
		c.notifyStored(e, got, old) // see watch.go: the one place changes are seen
	}
	return got
}

// storeValue stores v, fetched at now by the load numbered gen when it
// started, under k, and returns the entry stored for k afterwards: v's, a
// newer version's that made put refuse v, or nil.
func (c *Cache) storeValue(k key, v value, gen uint64, now int64) *entry {
	e := &entry{key: k, val: v, started: gen, born: gen}
	c.stamp(e, now)
	return c.put(e, nil)
}

// InvalidateParameter drops every cached answer for req.Name, so that the
// next read of it goes upstream: each version, label and WithDecryption of
// the name, its ARN form, a remembered not-found, and the listings of the
// paths above it; a name under /aws/reference/secretsmanager/ drops that
// secret as [Cache.InvalidateSecret] does. Req's other fields are ignored.
// A load already in flight when it is called still answers the callers
// waiting on it, but what it fetched is not stored, and a read that starts
// after InvalidateParameter returns does not join it: a process that calls
// it after a write reads its write. It costs a few atomic stores, whatever
// the cache holds; the entries it drops leave the memory as they are
// reloaded or evicted.
func (c *Cache) InvalidateParameter(req ParameterRequest) { c.store.invalidateParameter(req.Name) }

// InvalidateSecret drops every cached answer for req.SecretID, as
// [Cache.InvalidateParameter] does for a parameter: each version id and
// stage, the secret's name and ARN forms (a full ARN and its name meet),
// its reads through /aws/reference/secretsmanager/, and a remembered
// not-found. Req's other fields are ignored.
func (c *Cache) InvalidateSecret(req SecretRequest) { c.store.invalidateSecret(req.SecretID) }

// InvalidateAll drops every cached answer.
func (c *Cache) InvalidateAll() { c.store.clear() }
