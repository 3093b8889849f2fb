package resolve

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parsec-go/parsec/cache"
)

const (
	// DefaultCheckInterval is how often, at most, [Live.Get] starts a
	// background read of the cache when [WithCheckInterval] does not say.
	DefaultCheckInterval = time.Second
	// MaxCallbacks is how many functions [Live.OnChange] registers at once
	// on one Live.
	MaxCallbacks = 64
	// refreshTimeout bounds one background read of a Live.
	refreshTimeout = 30 * time.Second
)

// ErrClosed is returned by [Live.OnChange] after [Live.Close].
var ErrClosed = errors.New("resolve: live value closed")

// WatchOption configures [Watch].
type WatchOption func(*watchOptions)

type watchOptions struct {
	interval time.Duration
	maxAge   time.Duration
}

// WithCheckInterval sets how often, at most, [Live.Get] starts a
// background read of the cache (default [DefaultCheckInterval]). The read
// is a hit while the cached value is fresh; it is what lets the cache
// refresh ahead of the TTL, and what notices a value that changed while no
// notification could say so. d must be positive.
func WithCheckInterval(d time.Duration) WatchOption {
	return func(o *watchOptions) { o.interval = d }
}

// WithMaxAge makes each background read ask for a value fetched at most d
// ago (see cache.ParameterRequest.MaxAge): the value is then reloaded from
// AWS at least every d, whatever the cache's TTL (default 0: the TTL
// decides).
func WithMaxAge(d time.Duration) WatchOption {
	return func(o *watchOptions) { o.maxAge = d }
}

// Live is the current value of one reference, for long-running code: Get
// returns it from memory, without allocation or lock, and it follows the
// cache. When a load stores a new version of what it names (a
// refresh-ahead, a MaxAge reload, a read after an invalidation, a forced
// read, anyone's read of that key), Live converts it, swaps it in, and calls
// the functions registered with OnChange, once per new version. A new
// version that does not convert, or a failed read, keeps the current value
// (see Err). It is safe for concurrent use; call Close when done.
type Live[T any] struct {
	c     *cache.Cache
	ref   Reference
	tpl   *Template
	opts  watchOptions
	epoch time.Time
	ctx   context.Context
	stop  context.CancelFunc
	unsub func()

	cur     atomic.Pointer[liveValue[T]]
	next    atomic.Int64 // when Get next starts a check, in ns since epoch
	again   atomic.Bool  // a check is wanted
	running atomic.Bool  // the check goroutine runs (at most one)
	lastErr atomic.Pointer[error]

	mu     sync.Mutex                  // protects every field below, and orders wg.Add before Close's wg.Wait
	subs   map[uint64]func(old, new T) // at most MaxCallbacks
	nextID uint64
	closed bool
	wg     sync.WaitGroup
}

type liveValue[T any] struct {
	val     T
	version string
}

// Watch resolves ref, a reference in any form of the grammar (one
// reference, possibly inside a longer string), reads and converts its
// value as [Load] does for a field of type T, and returns a [Live] that
// follows it. ctx bounds the first read only. It subscribes to the cache's
// changes ([cache.Cache.OnChange], at most cache.MaxSubscribers at once
// per cache); Close unsubscribes.
func Watch[T any](ctx context.Context, c *cache.Cache, ref string, opts ...WatchOption) (*Live[T], error) {
	o := watchOptions{interval: DefaultCheckInterval}
	for _, opt := range opts {
		opt(&o)
	}
	if o.interval <= 0 {
		return nil, &SyntaxError{Var: "Watch", Ref: ref, Rule: "the check interval must be positive, got " + o.interval.String()}
	}
	if o.maxAge < 0 {
		return nil, &SyntaxError{Var: "Watch", Ref: ref, Rule: "the max age must not be negative, got " + o.maxAge.String()}
	}
	tpl, err := Parse("Watch", ref)
	if err != nil {
		return nil, err
	}
	if tpl == nil || len(tpl.refs) != 1 {
		return nil, &SyntaxError{Var: "Watch", Ref: ref, Rule: "Watch takes exactly one reference (ssm:…, secretsmanager:…, arn:… or one {{resolve:…}})"}
	}
	if !convertible(reflect.TypeFor[T]()) {
		return nil, &SyntaxError{Var: "Watch", Ref: ref, Rule: "the type " + reflect.TypeFor[T]().String() + " cannot hold a resolved value"}
	}
	l := &Live[T]{c: c, ref: tpl.refs[0], tpl: tpl, opts: o, epoch: time.Now(), subs: map[uint64]func(T, T){}}
	res := fetchOne(ctx, c, l.ref, o.maxAge)
	if res.err != nil {
		return nil, &Error{Var: "Watch", Ref: l.ref.Text, Err: res.err}
	}
	v, err := l.convert(res.val)
	if err != nil {
		return nil, &Error{Var: "Watch", Ref: l.ref.Text, Err: err}
	}
	l.cur.Store(&liveValue[T]{val: v, version: res.version})
	l.next.Store(int64(o.interval))
	l.ctx, l.stop = context.WithCancel(context.Background())
	if l.unsub, err = c.OnChange(l.changed); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

// Get returns the current value. It does not allocate, lock or wait; at
// most once per check interval it starts a background read of the cache
// (see [WithCheckInterval]).
func (l *Live[T]) Get() T {
	if now := int64(time.Since(l.epoch)); now >= l.next.Load() {
		l.next.Store(now + int64(l.opts.interval))
		l.schedule()
	}
	return l.cur.Load().val
}

// Version returns the version of the current value: the parameter's
// version number, or the secret's VersionId.
func (l *Live[T]) Version() string { return l.cur.Load().version }

// Err returns the error of the last background read or conversion, or nil
// if it succeeded. The current value stays what it was when a read fails.
func (l *Live[T]) Err() error {
	if p := l.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// OnChange registers fn, called with the old and the new value each time a
// new version is swapped in, once per version, on Live's own goroutine, one
// call at a time and never while a lock is held. It returns a function
// that unregisters fn. At most [MaxCallbacks] functions are registered at
// once; after Close OnChange returns [ErrClosed]. A panic in fn is
// recovered and reported by Err.
func (l *Live[T]) OnChange(fn func(old, new T)) (cancel func(), err error) {
	if fn == nil {
		return nil, errors.New("resolve: OnChange: fn must not be nil")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return nil, ErrClosed
	case len(l.subs) >= MaxCallbacks:
		return nil, fmt.Errorf("resolve: OnChange: at most %d functions are registered at once", MaxCallbacks)
	}
	id := l.nextID
	l.nextID++
	l.subs[id] = fn
	return func() {
		l.mu.Lock()
		delete(l.subs, id)
		l.mu.Unlock()
	}, nil
}

// Close stops following the value: it unsubscribes from the cache, ends
// the background read if one runs and waits for it. Get keeps returning
// the last value. Close is idempotent. Do not call it from an OnChange
// function: it waits for the goroutine that runs them.
func (l *Live[T]) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	l.mu.Unlock()
	l.unsub()
	l.stop()
	l.wg.Wait()
}

// changed is Live's subscription to the cache's changes.
func (l *Live[T]) changed(ch cache.Change) {
	r := l.ref
	switch ch.Kind {
	case cache.ChangesDropped:
	case cache.ParameterChanged:
		p := ch.Parameter
		if r.Kind != KindParameter || p.Name != r.Name || p.Version != r.Version || p.Label != r.Label || !p.WithDecryption {
			return
		}
	case cache.SecretChanged:
		s := ch.Secret
		if r.Kind != KindSecret || s.SecretID != r.Name || s.VersionID != r.VersionID || s.VersionStage != r.VersionStage {
			return
		}
	default:
		return
	}
	if ch.NewVersion != "" && ch.NewVersion == l.cur.Load().version {
		return
	}
	l.schedule()
}

// schedule asks for a check and starts the check goroutine unless it runs.
func (l *Live[T]) schedule() {
	l.again.Store(true)
	if !l.running.CompareAndSwap(false, true) {
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.running.Store(false)
		return
	}
	l.wg.Add(1)
	l.mu.Unlock()
	go l.loop()
}

// loop checks until no check is wanted. A check asked for while the last
// one ran is not lost: again is set before running is tested.
func (l *Live[T]) loop() {
	defer l.wg.Done()
	for {
		for l.again.Swap(false) {
			l.refresh()
		}
		l.running.Store(false)
		if !l.again.Load() || !l.running.CompareAndSwap(false, true) {
			return
		}
	}
}

// refresh reads the reference through the cache (a hit while fresh) and
// swaps in a new version.
func (l *Live[T]) refresh() {
	ctx, cancel := context.WithTimeout(l.ctx, refreshTimeout)
	defer cancel()
	res := fetchOne(ctx, l.c, l.ref, l.opts.maxAge)
	if res.err != nil {
		if l.ctx.Err() == nil {
			l.setErr(&Error{Var: "Watch", Ref: l.ref.Text, Err: res.err})
		}
		return
	}
	old := l.cur.Load()
	if res.version == old.version {
		l.setErr(nil)
		return
	}
	v, err := l.convert(res.val)
	if err != nil {
		l.setErr(&Error{Var: "Watch", Ref: l.ref.Text, Err: err})
		return
	}
	l.setErr(nil)
	l.cur.Store(&liveValue[T]{val: v, version: res.version})
	l.mu.Lock()
	subs := make([]func(T, T), 0, len(l.subs))
	for _, fn := range l.subs {
		subs = append(subs, fn)
	}
	l.mu.Unlock()
	for _, fn := range subs {
		l.call(fn, old.val, v)
	}
}

func (l *Live[T]) call(fn func(T, T), old, new T) {
	defer func() {
		if p := recover(); p != nil {
			l.setErr(fmt.Errorf("resolve: an OnChange function of %s panicked (%T)", l.ref.Text, p))
		}
	}()
	fn(old, new)
}

func (l *Live[T]) setErr(err error) {
	if err == nil {
		if l.lastErr.Load() != nil {
			l.lastErr.Store(nil)
		}
		return
	}
	l.lastErr.Store(&err)
}

func (l *Live[T]) convert(s string) (T, error) {
	var v T
	err := convert(l.tpl.expand([]string{s}), reflect.ValueOf(&v).Elem())
	return v, err
}
