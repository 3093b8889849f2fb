// Package flight is parsec's one primitive for shared upstream calls:
// golang.org/x/sync/singleflight underneath, and what parsec adds to it in
// one place.
//
// A [Call] knows who waits on it, its cancel function, when it started and
// the freshness its leader asked for (tightened by stricter callers that
// join before the leader looks at the store). A caller waits on its own
// context and may leave; the last waiter to leave cancels the call unless
// it keeps a value in memory fresh. A batch leads many calls at once
// ([Group.JoinAll]) and answers each as its upstream answer arrives, so a
// batch item and a single read of the same key share one call.
//
// Bound: a key is in a Group's map only while its call runs, and a key has
// at most one running call, so the map holds at most as many calls as run.
package flight

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"
)

// ErrAbandoned ends a call every waiter left before it began.
var ErrAbandoned = errors.New("load abandoned by every waiter")

// ErrGoexit ends a call whose function called runtime.Goexit (t.FailNow
// in a test's fake, say) instead of returning.
var ErrGoexit = errors.New("call ended by runtime.Goexit without an answer")

// Group runs at most one call per key at a time. The zero value is ready
// to use, with a clock that reads zero.
type Group[V any] struct {
	// Now stamps calls (nanoseconds on any monotonic origin); nil: zero.
	Now func() int64

	sf singleflight.Group
	mu sync.Mutex       // protects m and every Call's fields below
	m  map[string]*Call // the running call of each key
}

// Call is one shared upstream call.
type Call struct {
	// Since is when the call was created, on the Group's clock.
	Since int64

	mu        *sync.Mutex        // the Group's
	notBefore int64              // the strictest freshness asked for before Check
	checked   bool               // Check has run
	waiting   int                // callers waiting
	cancel    context.CancelFunc // set by Begin
	keep      bool               // never cancelled for lack of waiters
	begun     bool
}

// Ticket is one caller's place on a call: receive from C once, then Leave.
type Ticket[V any] struct {
	g    *Group[V]
	call *Call
	ch   <-chan singleflight.Result
	// Led reports whether this caller started the call.
	Led bool
}

// Join returns a ticket on key's running call, or starts a call that runs
// fn and returns a ticket on it. notBefore is the freshness the caller
// asks for (see [Call.Check]); keep marks a caller that refreshes a value
// in memory, whose call is never cancelled for lack of waiters.
func (g *Group[V]) Join(key string, notBefore int64, keep bool, fn func(*Call) (V, error)) *Ticket[V] {
	return g.join(key, notBefore, keep, func() func(*Call) (V, error) { return fn })
}

// join is Join with fn given by prep, which a call it starts runs first,
// on singleflight's goroutine (a bulk call waits for its answer there),
// before fn runs on a goroutine of its own (see run).
func (g *Group[V]) join(key string, notBefore int64, keep bool, prep func() func(*Call) (V, error)) *Ticket[V] {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.m[key]; c != nil {
		c.waiting++
		c.keep = c.keep || keep
		if !c.checked && notBefore > c.notBefore {
			c.notBefore = notBefore
		}
		return &Ticket[V]{g: g, call: c, ch: g.sf.DoChan(key, nil)}
	}
	c := &Call{mu: &g.mu, notBefore: notBefore, waiting: 1, keep: keep}
	if g.Now != nil {
		c.Since = g.Now()
	}
	if g.m == nil {
		g.m = map[string]*Call{}
	}
	g.m[key] = c
	ch := g.sf.DoChan(key, func() (any, error) {
		defer g.finish(key, c)
		return run(c, prep())
	})
	return &Ticket[V]{g: g, call: c, ch: ch, Led: true}
}

// run calls fn on a goroutine of its own and returns its result, or
// ErrGoexit if fn called runtime.Goexit: singleflight's DoChan never
// answers a call whose function did, and its waiters (a refresh-ahead
// holding Close, a read without a deadline) would wait for ever. The cost
// is one goroutine per call while fn runs, on the miss path only.
func run[V any](c *Call, fn func(*Call) (V, error)) (v V, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		err = ErrGoexit // stays unless fn returns
		v, err = fn(c)
	}()
	<-done
	return v, err
}

// finish removes c, which is returning, so that the next Join starts anew.
func (g *Group[V]) finish(key string, c *Call) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m[key] == c {
		delete(g.m, key)
		g.sf.Forget(key)
	}
}

// Len is the number of calls running.
func (g *Group[V]) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}

// Wait returns the call's result, or ctx's error if ctx ends first.
func (t *Ticket[V]) Wait(ctx context.Context) (V, error) {
	select {
	case r := <-t.ch:
		return Value[V](r)
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// C delivers the call's result once; [Value] unpacks it.
func (t *Ticket[V]) C() <-chan singleflight.Result { return t.ch }

// Call returns the call the ticket is on.
func (t *Ticket[V]) Call() *Call { return t.call }

// Value unpacks a result received from [Ticket.C].
func Value[V any](r singleflight.Result) (V, error) {
	v, _ := r.Val.(V)
	return v, r.Err
}

// Leave gives the ticket up. The last waiter to leave cancels a call that
// has begun unless it keeps a value fresh; a call not begun yet will not
// begin (see [Call.Begin]).
func (t *Ticket[V]) Leave() {
	c := t.call
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting--
	if c.waiting == 0 && c.cancel != nil && !c.keep {
		c.cancel()
	}
}

// Check returns the strictest freshness the call's waiters asked for and
// fixes it: a caller that joins later gets the answer of an upstream call
// that began before it joined and ended after, fetched after it joined.
// The leader calls Check right before it looks at the store.
func (c *Call) Check() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked = true
	return c.notBefore
}

// Begin records that the call is going upstream, cancelled by cancel. It
// reports false when every waiter has left already and the call keeps no
// value fresh: the call should end with [ErrAbandoned] instead.
func (c *Call) Begin(cancel context.CancelFunc) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting == 0 && !c.keep {
		return false
	}
	c.cancel, c.begun = cancel, true
	return true
}

// Bulk is a batch leading several calls: each led call waits for its
// answer from [Bulk.Answer]. The batch must answer every led call, or
// call [Bulk.Fail], or the calls never end.
type Bulk[V any] struct {
	Tickets []*Ticket[V] // one per key, in the order given
	answers []chan Result[V]
	once    []sync.Once
}

// Result is one answer of a bulk call.
type Result[V any] struct {
	Val V
	Err error
}

// JoinAll joins or starts a call for each key, as Join does, with
// notBefore[i] and keep[i]. For each key the batch leads (Tickets[i].Led),
// the call runs settle with the batch's answer once it arrives: settle
// stores it and returns what the call's waiters get.
func (g *Group[V]) JoinAll(keys []string, notBefore []int64, keep []bool, settle func(i int, c *Call, r Result[V]) (V, error)) *Bulk[V] {
	b := &Bulk[V]{Tickets: make([]*Ticket[V], len(keys)), answers: make([]chan Result[V], len(keys)), once: make([]sync.Once, len(keys))}
	for i, k := range keys {
		ch := make(chan Result[V], 1)
		b.answers[i] = ch
		b.Tickets[i] = g.join(k, notBefore[i], keep[i], func() func(*Call) (V, error) {
			r := <-ch // no goroutine of run's while the answer is awaited
			return func(c *Call) (V, error) { return settle(i, c, r) }
		})
	}
	return b
}

// Answer delivers key i's answer to its call, once; later answers for i
// are ignored.
func (b *Bulk[V]) Answer(i int, r Result[V]) {
	b.once[i].Do(func() { b.answers[i] <- r })
}

// Fail answers every call not answered yet with err.
func (b *Bulk[V]) Fail(err error) {
	for i := range b.answers {
		b.Answer(i, Result[V]{Err: err})
	}
}
