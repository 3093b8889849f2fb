package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/parsec-go/parsec/internal/flight"
	"github.com/parsec-go/parsec/source"
)

// batchConcurrency is the number of a batch read's calls in flight at once.
const batchConcurrency = 4

// Parameters reads several parameters. Cached ones come from memory; the
// rest are fetched with SSM GetParameters, ten names per call (grouped by
// WithDecryption), and stored under the same keys single reads use, so later
// [Cache.Parameter] calls hit. Results are in request order; a failed item
// is the zero Parameter at its index and is listed in the returned
// [*BatchError]. Duplicate requests are fetched once. Without a
// ParametersGetter in the source, items are read one by one.
//
// Each item is read as a single read of it would be, through the same
// shared call per key: an item whose key a single read is loading joins
// that call, and a single read that starts while a batch loads its key
// joins the batch's. An item with a value within its staleness bound waits
// for the batch call at most the stale wait, then gets that value; an
// item whose call failed gets the stale value within its bound, else the
// error; the key backs off as after a single read's failure, and while it
// backs off the item is answered from memory without calling SSM; not-found
// names are remembered (negative TTL). A call that fails with throttling or
// a server error is tried again with full jitter within a budget that ends
// before ctx's deadline (and the load timeout); one that gets no answer
// (connection refused, a hang) is not.
func (c *Cache) Parameters(ctx context.Context, reqs []ParameterRequest) ([]Parameter, error) {
	return readMany[Parameter](c, ctx, reqs, parameterBatch)
}

// Secrets reads several secrets. Cached ones come from memory; requests
// for the current version (no VersionID or VersionStage) are fetched with
// BatchGetSecretValue, twenty ids per call, the others one by one. Results
// are stored under the keys single reads use and returned in request order;
// failed items are zero and listed in the [*BatchError]. Shared calls,
// retries, stale values and backoff are as for [Cache.Parameters].
func (c *Cache) Secrets(ctx context.Context, reqs []SecretRequest) ([]Secret, error) {
	return readMany[Secret](c, ctx, reqs, secretBatch)
}

// batchKind describes one kind's batch call.
type batchKind[R request] struct {
	kind kind   // what it reads
	op   string // the batch operation, for errors and logs
	max  int    // names per call
	// batched reports whether r can go in a batch call of c's source.
	batched func(c *Cache, r R) bool
	// group is the flag a batch call is made with (WithDecryption).
	group func(k key) bool
	// name is what the batch call is given for k.
	name func(k key) string
	// call reads names, answering one result per name in order; a
	// result with neither value nor error is a name the answer did not
	// name (read on its own).
	call func(ctx context.Context, src source.Clients, names []string, group bool) ([]source.Result[value], error)
}

var parameterBatch = &batchKind[ParameterRequest]{
	kind:    kindParameter,
	op:      "GetParameters",
	max:     source.MaxGetParameters,
	batched: func(c *Cache, _ ParameterRequest) bool { return c.src.Parameters != nil },
	group:   func(k key) bool { return k.decrypt },
	name:    func(k key) string { return upstreamName(k.name, k.version, k.label) },
	call: func(ctx context.Context, src source.Clients, names []string, decrypt bool) ([]source.Result[value], error) {
		res, err := src.ReadParameters(ctx, names, decrypt)
		out := make([]source.Result[value], len(res))
		for i, r := range res {
			out[i].Err = r.Err
			if r.Value != nil {
				out[i].Value = newParameter(r.Value)
			}
		}
		return out, err
	},
}

var secretBatch = &batchKind[SecretRequest]{
	kind: kindSecret,
	op:   "BatchGetSecretValue",
	max:  source.MaxBatchSecrets,
	batched: func(c *Cache, r SecretRequest) bool {
		return c.src.SecretBatch != nil && r.VersionID == "" && r.VersionStage == ""
	},
	group: func(key) bool { return false },
	name:  func(k key) string { return k.name },
	call: func(ctx context.Context, src source.Clients, ids []string, _ bool) ([]source.Result[value], error) {
		res, err := src.ReadSecrets(ctx, ids)
		out := make([]source.Result[value], len(res))
		for i, r := range res {
			out[i].Err = r.Err
			if r.Value != nil {
				out[i].Value = newSecret(r.Value)
			}
		}
		return out, err
	},
}

// keySlot is one distinct key of a batch read and the items it answers.
type keySlot struct {
	waiting
	force  bool
	keep   bool
	fk     string
	items  []int
	ticket *flightTicket
}

// readMany is the read protocol for a batch: each item takes the hit path;
// the misses are grouped by key, each key's shared call is joined or led,
// the led ones are fetched in batch calls, and every key is awaited as a
// single read awaits its call.
func readMany[V value, R request](c *Cache, ctx context.Context, reqs []R, b *batchKind[R]) ([]V, error) {
	out := make([]V, len(reqs))
	var failed failures
	slots, single := triage[V](c, reqs, out, &failed, b)
	for _, s := range single {
		s.ticket = c.joinSingle(s)
	}
	leadBatch(c, ctx, slots, b)
	for _, s := range append(slots, single...) {
		e, err := c.await(ctx, s.ticket, s.waiting)
		s.ticket.Leave()
		for _, i := range s.items {
			if err != nil {
				failed.add(i, reqs[i].id(), err)
			} else {
				out[i], _ = e.val.(V)
			}
		}
	}
	return out, failed.err()
}

// triage answers each item it can from memory (fresh, backing off,
// remembered, or invalid) and returns the rest as slots, one per distinct
// key: those a batch call can read, and those read one by one.
func triage[V value, R request](c *Cache, reqs []R, out []V, failed *failures, b *batchKind[R]) (batched, single []*keySlot) {
	start := c.now()
	byKey := map[string]*keySlot{}
	for i, r := range reqs {
		k := r.key()
		var cur *entry
		if !r.forced() {
			e, st := c.fresh(&k, r.maxAge())
			switch st {
			case stateFresh, stateRefreshDue:
				out[i], _ = e.val.(V)
				continue
			case stateRemembered:
				failed.add(i, r.id(), e.err)
				continue
			}
			cur = e
		}
		if err := r.validate(); err != nil {
			failed.add(i, r.id(), err)
			continue
		}
		c.stats.misses.Add(1)
		nb := bound(start, r.maxAge())
		st := c.state(cur, start, nb)
		if !r.forced() && st == stateBackingOff {
			c.serveStale(cur, start)
			out[i], _ = cur.val.(V)
			continue
		}
		fk := c.flightKey(k, r.forced())
		s := byKey[fk]
		if s == nil {
			s = &keySlot{waiting: waiting{k: k, cur: cur, stale: !r.forced() && st == stateStale, start: start, notBefore: nb},
				force: r.forced(), keep: cur != nil && cur.err == nil, fk: fk}
			byKey[fk] = s
			if b.batched(c, r) {
				batched = append(batched, s)
			} else {
				single = append(single, s)
			}
		}
		s.notBefore = max(s.notBefore, nb)
		s.items = append(s.items, i)
	}
	return batched, single
}

// joinSingle joins or leads s's key's call as a single read does.
func (c *Cache) joinSingle(s *keySlot) *flightTicket {
	return c.flights.Join(s.fk, s.notBefore, s.keep, func(call *flightCall) (*entry, error) {
		return c.fill(call, s.k, s.cur, s.force, nil)
	})
}

// errNoAnswer answers the keys a batch's goroutine ended without
// answering: its client called runtime.Goexit.
var errNoAnswer = errors.New("batch ended without an answer")

// errUnnamed marks a batch item the answer did not name (a partial ARN,
// say): its call reads it on its own.
var errUnnamed = errors.New("not named by the batch answer")

// leadBatch joins or leads the call of each keySlot's key and fetches the
// keys it leads in batch calls, in the background; each led call ends when
// its key's answer arrives. Every led call is answered, whatever happens.
func leadBatch[R request](c *Cache, ctx context.Context, slots []*keySlot, b *batchKind[R]) {
	if len(slots) == 0 {
		return
	}
	keys := make([]string, len(slots))
	notBefore := make([]int64, len(slots))
	keep := make([]bool, len(slots))
	for i, s := range slots {
		keys[i], notBefore[i], keep[i] = s.fk, s.notBefore, s.keep
	}
	bulk := c.flights.JoinAll(keys, notBefore, keep, func(i int, call *flightCall, r flight.Result[*entry]) (*entry, error) {
		return c.settleItem(call, slots[i], r)
	})
	var led []int
	for i, t := range bulk.Tickets {
		slots[i].ticket = t
		switch s := slots[i]; {
		case !t.Led:
		case s.cur == nil && !c.notFound.allow(c.now()):
			// As admit refuses a single read's load: no upstream call for
			// a name with nothing in memory while not-found answers are
			// over their rate (settleItem passes the error on).
			bulk.Answer(i, flight.Result[*entry]{Val: &entry{}, Err: &overloadError{op: s.k.kind.spec().op, name: s.k.name, limit: c.notFound.limit(), notFound: true}})
		default:
			led = append(led, i)
		}
	}
	if len(led) == 0 {
		return
	}
	chunks := chunk(slots, led, b, c.now())
	if !c.begin() {
		bulk.Fail(ErrClosed)
		return
	}
	go func() {
		defer c.wg.Done()
		defer bulk.Fail(errNoAnswer) // answers nothing already answered
		bctx, cancel := c.budget(ctx)
		defer cancel()
		sem := make(chan struct{}, batchConcurrency)
		var wg sync.WaitGroup
		for _, ch := range chunks {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				runChunk(c, bctx, ch, b, bulk)
			})
		}
		wg.Wait()
	}()
}

// batchChunk is the names of one batch call and, for each, the slots it
// answers.
type batchChunk struct {
	group   bool
	role    string // the keys' role: one call reads through one role
	noStale bool   // some key has no value to serve on a failure (failover may help it)
	names   []string
	slots   [][]int
}

// chunk groups the led slots by the flag of their call and their role, and
// by the name the call takes (two keys may name one upstream value), at
// most b.max names a call.
func chunk[R request](slots []*keySlot, led []int, b *batchKind[R], now int64) []*batchChunk {
	type callKey struct {
		flag bool
		role string
	}
	var chunks []*batchChunk
	open := map[callKey]*batchChunk{}
	where := map[callKey]map[string]int{}
	for _, i := range led {
		k := slots[i].k
		g, name := callKey{b.group(k), k.role}, b.name(k)
		ch := open[g]
		if ch != nil && !servable(slots[i].cur, now) {
			ch.noStale = true
		}
		if j, ok := where[g][name]; ok && ch != nil {
			ch.slots[j] = append(ch.slots[j], i)
			continue
		}
		if ch == nil || len(ch.names) == b.max {
			ch = &batchChunk{group: g.flag, role: g.role, noStale: !servable(slots[i].cur, now)}
			chunks = append(chunks, ch)
			open[g], where[g] = ch, map[string]int{}
		}
		where[g][name] = len(ch.names)
		ch.names = append(ch.names, name)
		ch.slots = append(ch.slots, []int{i})
	}
	return chunks
}

// runChunk makes one batch call, retried while throttled (source.Retry),
// and answers each of its keys' calls.
func runChunk[R request](c *Cache, ctx context.Context, ch *batchChunk, b *batchKind[R], bulk *flight.Bulk[*entry]) {
	var gen uint64
	res, err := source.Retry(ctx, func() (res []source.Result[value], err error) {
		c.stats.loads.Add(1)
		gen = c.loads.Add(1)
		cctx, cancel := c.upstream(ctx, key{kind: b.kind, role: ch.role}, ch.noStale) // as a single read's call
		defer cancel()
		defer c.recoverBatch(b.kind, b.op, ch.names, &err)
		res, err = b.call(cctx, c.src, ch.names, ch.group)
		if err != nil {
			c.stats.loadErrors.Add(1)
		}
		return res, err
	})
	if err != nil && errors.Is(context.Cause(ctx), errCallerBudget) && errors.Is(err, context.DeadlineExceeded) {
		err = &budgetError{err}
	}
	for j := range ch.names {
		r := flight.Result[*entry]{Val: &entry{started: gen}}
		switch {
		case err != nil:
			r.Err = err
		case j >= len(res):
			r.Err = errUnnamed
		case res[j].Value != nil:
			r.Val.val = res[j].Value
		case res[j].Err != nil:
			r.Err = res[j].Err
		default:
			r.Err = errUnnamed
		}
		for _, i := range ch.slots[j] {
			bulk.Answer(i, r)
		}
	}
}

// recoverBatch turns a panic of a batch call's client into the call's
// error, which every key of the call gets (a panic on the batch's
// goroutine would end the process), as recoverLoad does for a single
// read's call.
func (c *Cache) recoverBatch(k kind, op string, names []string, err *error) {
	if p := recover(); p != nil {
		*err = &panicError{op: op, name: strings.Join(names, ","), typ: fmt.Sprintf("%T", p)}
		c.stats.loadErrors.Add(1)
		c.log.LogAttrs(context.Background(), slog.LevelError, "upstream call panicked",
			slog.String("kind", k.spec().name), slog.String("op", op), slog.Int("names", len(names)), slog.String("panic", fmt.Sprintf("%T", p)))
	}
}

// settleItem is the body of a call a batch leads, run with the batch's
// answer for its key: it stores what arrived, as fill does for a single
// read, and returns what the call's waiters get. A key the answer did not
// name is read on its own, in the same call.
func (c *Cache) settleItem(call *flightCall, s *keySlot, r flight.Result[*entry]) (res *entry, err error) {
	if errors.Is(r.Err, errUnnamed) {
		return c.fill(call, s.k, s.cur, s.force, nil)
	}
	if !c.begin() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	defer c.recoverLoad(s.k, &res, &err)
	if r.Val == nil && !errors.Is(r.Err, errNoAnswer) || errors.Is(r.Err, ErrClosed) || c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	if errors.Is(r.Err, errNoAnswer) { // the batch's client called runtime.Goexit: as a single read's (see answered)
		return nil, &panicError{op: s.k.kind.spec().op, name: s.k.name, typ: "runtime.Goexit"}
	}
	if errors.Is(r.Err, ErrOverloaded) || errors.Is(r.Err, flight.ErrAbandoned) {
		return nil, r.Err // refused before any call (leadBatch), or cut off by its caller's budget: nothing to remember
	}
	now := c.now()
	if r.Err != nil {
		return c.failed(s.k, s.cur, r.Val.started, r.Err, s.force, now)
	}
	return c.settleValue(s.k, r.Val.val, r.Val.started, now), nil
}

// budgetShare is the share of the time left before the caller's deadline
// that a batch read's upstream calls may use; the rest is left for
// answering with stale values.
const budgetShare = 0.8

// budget returns a context for a batch read's upstream calls: detached
// from ctx's cancellation (other readers may share the calls), it ends
// with Close, after the load timeout, or once budgetShare of the time left
// before ctx's deadline has passed, whichever comes first.
func (c *Cache) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	d, cause := c.cfg.loadTimeout, error(nil)
	if dl, ok := ctx.Deadline(); ok {
		if share := time.Duration(float64(time.Until(dl)) * budgetShare); share < d {
			d, cause = share, errCallerBudget
		}
	}
	ctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), d, cause)
	stop := context.AfterFunc(c.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// errCallerBudget is the cause of a budget that the deadline of the batch
// read leading the calls ended, before the load timeout.
var errCallerBudget = errors.New("the batch read's budget ended")

// budgetError is a batch call cut off by the deadline of the batch read
// that led it (see budget), not by the upstream: nothing is remembered
// for its keys (no backoff for other readers, as when a single read's
// caller leaves), and a waiter with a stale value gets it, as when a call
// is abandoned.
type budgetError struct{ err error }

func (e *budgetError) Error() string        { return e.err.Error() }
func (e *budgetError) Unwrap() error        { return e.err }
func (e *budgetError) Is(target error) bool { return target == flight.ErrAbandoned }
