package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
)

// Bounds of change notification (see [Cache.OnChange]).
const (
	// MaxSubscribers is how many functions [Cache.OnChange] registers at
	// once; one more is refused with [ErrTooManySubscribers].
	MaxSubscribers = 256
	// maxPendingChanges is how many changes wait for delivery; beyond it
	// they are dropped and one [ChangesDropped] is delivered instead.
	maxPendingChanges = 1024
)

// ErrTooManySubscribers is returned by [Cache.OnChange] when
// [MaxSubscribers] functions are registered already.
var ErrTooManySubscribers = errors.New("cache: too many change subscribers")

// ChangeKind says what a [Change] is about.
type ChangeKind uint8

const (
	// ParameterChanged: a value of the parameter [Change].Parameter names
	// was stored.
	ParameterChanged ChangeKind = iota + 1
	// SecretChanged: a value of the secret [Change].Secret names was
	// stored.
	SecretChanged
	// ChangesDropped: changes arrived faster than the subscribers took
	// them and some were dropped; a subscriber should read again
	// everything it watches.
	ChangesDropped
)

// Change tells a subscriber of [Cache.OnChange] that a load stored a value
// for a key whose version differs from the value it replaced, or that
// replaced no valid value (a first load, or a load after an invalidation
// or an eviction: OldVersion is then ""). It carries names and versions,
// never a value: read the value through the cache (the read is a hit).
type Change struct {
	Kind ChangeKind
	// Parameter holds the fields of the cache key for ParameterChanged:
	// Name, WithDecryption, Version and Label, as the read gave them.
	Parameter ParameterRequest
	// Secret holds the fields of the cache key for SecretChanged:
	// SecretID, VersionID and VersionStage, as the read gave them.
	Secret SecretRequest
	// OldVersion and NewVersion are the versions: a parameter's version
	// number, a secret's VersionId (for a Secrets Manager reference read
	// through SSM, whose version is 0, the LastModified time). OldVersion
	// is "" when no valid value was stored.
	OldVersion, NewVersion string
}

// watcher delivers changes to the subscribers of one Cache. It is created
// on the first OnChange and kept for the life of the cache.
type watcher struct {
	log *slog.Logger

	mu      sync.Mutex              // protects every field below
	subs    map[uint64]func(Change) // at most MaxSubscribers
	next    uint64                  // id of the next subscriber
	queue   []Change                // at most maxPendingChanges
	dropped bool                    // a change was dropped since the last delivery
	running bool                    // a delivery goroutine runs (at most one)
}

// OnChange registers fn to be called when a load (a miss, a refresh-ahead,
// a forced or MaxAge read, a batch read, a path listing's items) stores a
// parameter or secret value whose version differs from the value it
// replaced, or that replaced no valid value; see [Change]. It returns a
// function that unregisters fn (safe to call more than once); a delivery
// under way when it is called may still call fn once.
//
// Loads never wait for subscribers: a change is queued (at most 1024; past
// that it is dropped and a single [ChangesDropped] is delivered later) and
// delivered by one goroutine, started when changes are waiting and ended
// when none are, which calls the functions one at a time, outside every
// lock of the cache, in the order the changes were stored. A function may
// read the cache; it should return quickly, since it delays the next ones.
// A panic in fn is recovered and logged. A change may be delivered twice
// (two loads of one key storing the same new version): compare versions.
// At most [MaxSubscribers] functions are registered at once; one more
// fails with [ErrTooManySubscribers]. Changes are not delivered while
// caching is off.
func (c *Cache) OnChange(fn func(Change)) (cancel func(), err error) {
	if fn == nil {
		return nil, errors.New("cache: OnChange: fn must not be nil")
	}
	w := c.watch.Load()
	if w == nil {
		c.watch.CompareAndSwap(nil, &watcher{log: c.log, subs: map[uint64]func(Change){}})
		w = c.watch.Load()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.subs) >= MaxSubscribers {
		return nil, fmt.Errorf("%w: at most %d are registered at once", ErrTooManySubscribers, MaxSubscribers)
	}
	id := w.next
	w.next++
	w.subs[id] = fn
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			delete(w.subs, id)
			w.mu.Unlock()
		})
	}, nil
}

// changeBefore returns what notifyStored needs to know about what e
// replaces: the version of the valid value stored for e's key now. ok is
// false when nobody subscribes or e is not a parameter or secret value;
// then notifyStored is not called. It costs one atomic load when nobody
// subscribes.
func (c *Cache) changeBefore(e *entry) (old string, ok bool) {
	if c.watch.Load() == nil || e.err != nil || e.key.kind == kindPath {
		return "", false
	}
	if cur := c.store.value(&e.key); cur != nil {
		return versionOf(cur.val), true
	}
	return "", true
}

// notifyStored queues a Change when got, what the store holds for the key
// after a put of e, is e itself and its version differs from old.
func (c *Cache) notifyStored(e, got *entry, old string) {
	if got != e {
		return // refused: the stored value did not change
	}
	nv := versionOf(e.val)
	if nv == old {
		return
	}
	ch := Change{OldVersion: old, NewVersion: nv}
	k := e.key
	switch k.kind {
	case kindParameter:
		ch.Kind = ParameterChanged
		ch.Parameter = ParameterRequest{Name: k.name, WithDecryption: k.decrypt, Version: k.version, Label: k.label}
	case kindSecret:
		ch.Kind = SecretChanged
		ch.Secret = SecretRequest{SecretID: k.name, VersionID: k.versionID, VersionStage: k.stage}
	default:
		return
	}
	c.watch.Load().enqueue(ch)
}

// versionOf is the version a Change reports for a stored value.
func versionOf(v any) string {
	switch v := v.(type) {
	case Parameter:
		if v.Version != 0 {
			return strconv.FormatInt(v.Version, 10)
		}
		return "t" + strconv.FormatInt(v.LastModified.UnixNano(), 10)
	case Secret:
		return v.VersionID
	}
	return ""
}

// enqueue adds ch to the queue, or drops it when the queue is full, and
// starts the delivery goroutine if none runs. It never blocks on a
// subscriber.
func (w *watcher) enqueue(ch Change) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.subs) == 0 {
		return
	}
	if len(w.queue) >= maxPendingChanges {
		w.dropped = true
	} else {
		w.queue = append(w.queue, ch)
	}
	if !w.running {
		w.running = true
		go w.deliver()
	}
}

// deliver calls the subscribers with the queued changes until none are
// left, then ends.
func (w *watcher) deliver() {
	var subs []func(Change)
	for {
		w.mu.Lock()
		batch := w.queue
		w.queue = nil
		if w.dropped {
			batch = append(batch, Change{Kind: ChangesDropped})
			w.dropped = false
		}
		if len(batch) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		subs = subs[:0]
		for _, fn := range w.subs {
			subs = append(subs, fn)
		}
		w.mu.Unlock()
		for _, ch := range batch {
			for _, fn := range subs {
				w.call(fn, ch)
			}
		}
	}
}

// call runs fn with ch, recovering a panic.
func (w *watcher) call(fn func(Change), ch Change) {
	defer func() {
		if p := recover(); p != nil {
			w.log.LogAttrs(context.Background(), slog.LevelError, "change subscriber panicked",
				slog.String("panic", fmt.Sprintf("%T", p)))
		}
	}()
	fn(ch)
}
