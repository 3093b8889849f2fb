package cache_test

// The fault matrix: the cache's resilience proved through the real AWS SDK
// clients, talking to sourcetest's in-memory fake (no sockets) inside
// testing/synctest bubbles, so that outages of minutes run in fake time.
//
// The SDK makes one attempt per call (sourcetest's RetryMaxAttempts 1): the
// cache's own stale-on-error, backoff and coalescing are what is under
// test, and every upstream call the cache makes is one call the fake
// counts. Each scenario reads through one checker, which asserts for every
// read:
//
//   - never a wrong value: values are "NAME#N" and must be version N of
//     NAME as written, with Version N;
//   - per reading goroutine, versions never go back;
//   - staleness within the bound: a value superseded at time s is served
//     no later than s + TTL + max staleness;
//   - a value, or an error matching one of the cache's kinds or a context
//     error; never an empty value with a nil error;
//
// and at the end of each scenario: at most one upstream call in flight per
// name (the getter wrapper keeps the peak), nothing dropped by the store,
// and, by synctest, no goroutine left once the cache and the fake are
// closed. goleak checks the test as a whole.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"go.uber.org/goleak"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// setup configures one scenario's world. Zero fields mean: TTL 10 s, max
// staleness 30 s, no refresh-ahead, backoff 1 s to 8 s, one call in flight
// per name.
type setup struct {
	ttl, maxStale time.Duration
	opts          []cache.Option      // after the defaults, so they override them
	server        []sourcetest.Option // options of the fake
	maxInflight   int                 // calls in flight allowed per name
	slack         time.Duration       // added to the staleness bound (a held answer)
}

// world is one scenario: the fake, the cache reading from it through a
// counting getter, and what was written, to check every read against.
type world struct {
	t     *testing.T
	srv   *sourcetest.Server
	c     *cache.Cache
	bound time.Duration // the oldest a served value may be: TTL + max staleness (+ slack)
	limit int           // calls in flight allowed per name

	mu       sync.Mutex // protects the fields below
	versions map[string][]version
	calls    map[string]int // upstream calls through the getter, refused ones included
	inflight map[string]int
	peak     map[string]int
	after    func(n int, name string) // run after the n-th upstream answer for name
}

type version struct {
	written, superseded time.Time // superseded: zero while current
}

// every read's error must match one of these.
var kinds = []error{cache.ErrNotFound, cache.ErrAccessDenied, cache.ErrThrottled, cache.ErrInvalid,
	cache.ErrUnavailable, cache.ErrClosed, cache.ErrPanic, context.Canceled, context.DeadlineExceeded}

func newWorld(t *testing.T, s setup) *world {
	t.Helper()
	if s.ttl == 0 {
		s.ttl = 10 * time.Second
	}
	if s.maxStale == 0 {
		s.maxStale = 30 * time.Second
	}
	if s.maxInflight == 0 {
		s.maxInflight = 1
	}
	w := &world{t: t, srv: sourcetest.NewInMemory(s.server...), bound: s.ttl + s.maxStale + s.slack,
		limit: s.maxInflight, versions: map[string][]version{}, calls: map[string]int{},
		inflight: map[string]int{}, peak: map[string]int{}}
	opts := append([]cache.Option{cache.WithTTL(s.ttl), cache.WithMaxStale(s.maxStale),
		cache.WithRefreshAhead(0), cache.WithBackoff(time.Second, 8*time.Second)}, s.opts...)
	c, err := cache.New(source.Clients{Parameter: w.getter(w.srv.InMemoryClients().Parameter)}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	w.c = c
	t.Cleanup(w.finish)
	return w
}

// getter wraps the real SDK client: it counts calls and the peak of calls
// in flight per name, and runs the after hook (panics, held answers).
func (w *world) getter(up source.ParameterGetter) source.ParameterGetter {
	return source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		name := aws.ToString(in.Name)
		w.mu.Lock()
		w.calls[name]++
		n := w.calls[name]
		w.inflight[name]++
		w.peak[name] = max(w.peak[name], w.inflight[name])
		after := w.after
		w.mu.Unlock()
		defer func() {
			w.mu.Lock()
			w.inflight[name]--
			w.mu.Unlock()
		}()
		out, err := up.GetParameter(ctx, in, optFns...)
		if after != nil {
			after(n, name)
		}
		return out, err
	})
}

// finish closes the cache and the fake and checks what holds for every
// scenario.
func (w *world) finish() {
	w.c.Close()
	w.srv.Close()
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, p := range w.peak {
		if p > w.limit {
			w.t.Errorf("%s: %d upstream calls in flight at once; want at most %d", name, p, w.limit)
		}
	}
	if st := w.c.Stats(); st.Dropped != 0 {
		w.t.Errorf("Stats().Dropped = %d; want 0", st.Dropped)
	}
}

func (w *world) setAfter(fn func(n int, name string)) {
	w.mu.Lock()
	w.after = fn
	w.mu.Unlock()
}

// callsOf returns the upstream calls the cache made for name.
func (w *world) callsOf(name string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[name]
}

func valueOf(name string, n int64) string { return name + "#" + strconv.FormatInt(n, 10) }

// put writes the next version of name upstream and returns its number.
func (w *world) put(name string) int64 {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	vs := w.versions[name]
	n := int64(len(vs) + 1)
	got, err := w.srv.PutParameter(sourcetest.Parameter{Name: name, Value: valueOf(name, n)})
	if err != nil || got != n {
		w.t.Fatalf("PutParameter(%s) = %d, %v; want version %d", name, got, err, n)
	}
	now := time.Now()
	if len(vs) > 0 {
		vs[len(vs)-1].superseded = now
	}
	w.versions[name] = append(vs, version{written: now})
	return n
}

// remove deletes name upstream; its last version is superseded now.
func (w *world) remove(name string) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.srv.DeleteParameter(name); err != nil {
		w.t.Fatal(err)
	}
	if vs := w.versions[name]; len(vs) > 0 {
		vs[len(vs)-1].superseded = time.Now()
	}
}

// viewer is one reading goroutine's view: the versions it saw must not go back.
type viewer struct{ last map[string]int64 }

func newViewer() *viewer { return &viewer{last: map[string]int64{}} }

// result is one checked read.
type result struct {
	version int64 // 0 on error
	err     error
	took    time.Duration // fake time the read took
}

// read reads name through the cache and checks the answer. It may run on
// any goroutine: it reports with Errorf only.
func (w *world) read(ctx context.Context, r *viewer, name string) result {
	start := time.Now()
	p, err := w.c.Parameter(ctx, cache.ParameterRequest{Name: name})
	res := result{err: err, took: time.Since(start)}
	if err != nil {
		if p.Value() != "" {
			w.t.Errorf("Parameter(%q) = %q with error %v; want no value with an error", name, p.Value(), err)
		}
		if !matchesKind(err) {
			w.t.Errorf("Parameter(%q) error %v matches none of the cache's kinds", name, err)
		}
		return res
	}
	n, ok := strings.CutPrefix(p.Value(), name+"#")
	v, perr := strconv.ParseInt(n, 10, 64)
	w.mu.Lock()
	vs := w.versions[name]
	w.mu.Unlock()
	if !ok || perr != nil || v < 1 || v > int64(len(vs)) || p.Version != v {
		w.t.Errorf("Parameter(%q) = %q (version %d), nil; want a value written as %q", name, p.Value(), p.Version, name+"#N")
		return res
	}
	res.version = v
	if r != nil {
		if v < r.last[name] {
			w.t.Errorf("Parameter(%q) = version %d after version %d; want versions never to go back", name, v, r.last[name])
		}
		r.last[name] = v
	}
	w.mu.Lock()
	sup := w.versions[name][v-1].superseded
	w.mu.Unlock()
	if !sup.IsZero() {
		if age := time.Since(sup); age > w.bound {
			w.t.Errorf("Parameter(%q) = version %d, superseded %v ago; want at most %v (TTL + max staleness)", name, v, age, w.bound)
		}
	}
	return res
}

func matchesKind(err error) bool {
	for _, k := range kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// burst starts n concurrent readers of name and returns their results once
// all have returned.
func (w *world) burst(ctx context.Context, n int, name string) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() { out[i] = w.read(ctx, newViewer(), name) })
	}
	wg.Wait()
	return out
}

// wait lets fake time pass inside the bubble.
func wait(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// want fails unless res is version v (v > 0) or an error matching kind.
func want(t *testing.T, what string, res result, v int64, kind error) {
	t.Helper()
	switch {
	case kind != nil && !errors.Is(res.err, kind):
		t.Errorf("%s = version %d, %v; want %v", what, res.version, res.err, kind)
	case kind == nil && (res.err != nil || res.version != v):
		t.Errorf("%s = version %d, %v; want version %d", what, res.version, res.err, v)
	}
}

func TestFaultMatrix(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	bg := context.Background()
	tests := []struct {
		name  string
		setup setup
		run   func(t *testing.T, w *world)
	}{
		{"down shorter than max staleness", setup{}, func(t *testing.T, w *world) {
			const name = "/down/short"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			fetched := time.Now()
			wait(5 * time.Second)
			w.srv.SetDown(true)
			w.put(name) // written while the service cannot be reached
			before := w.callsOf(name)
			for time.Since(fetched) < 35*time.Second { // staleUntil is 40 s after the fetch
				want(t, "read while down", w.read(bg, r, name), 1, nil)
				wait(500 * time.Millisecond)
			}
			if n := w.callsOf(name) - before; n > 10 {
				t.Errorf("upstream calls during 30 s down = %d; want at most 10 (backoff)", n)
			}
			w.srv.SetDown(false)
			up := time.Now()
			for {
				res := w.read(bg, r, name)
				if res.err == nil && res.version == 2 {
					break
				}
				want(t, "read after recovery", res, 1, nil)
				if time.Since(up) > 9*time.Second {
					t.Fatalf("no fresh value %v after the upstream came back; want one within the 8 s backoff cap", time.Since(up))
				}
				wait(500 * time.Millisecond)
			}
		}},
		{"down longer than max staleness", setup{}, func(t *testing.T, w *world) {
			const name = "/down/long"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			fetched := time.Now()
			wait(5 * time.Second)
			w.srv.SetDown(true)
			var pastBound int
			for time.Since(fetched) < 40*time.Second {
				want(t, "read while down, within the bound", w.read(bg, r, name), 1, nil)
				wait(500 * time.Millisecond)
			}
			before := w.callsOf(name)
			for time.Since(fetched) < 70*time.Second {
				want(t, "read while down, past the bound", w.read(bg, r, name), 0, cache.ErrUnavailable)
				pastBound++
				wait(500 * time.Millisecond)
			}
			// Past the staleness bound the key still backs off: the last
			// error is returned, not one upstream call per read.
			if n := w.callsOf(name) - before; n > 10 {
				t.Errorf("upstream calls in 30 s down past the bound = %d for %d reads; want at most 10 (backoff)", n, pastBound)
			}
			w.srv.SetDown(false)
			up := time.Now()
			for {
				res := w.read(bg, r, name)
				if res.err == nil {
					want(t, "read after recovery", res, 1, nil)
					break
				}
				want(t, "read after recovery, backing off", res, 0, cache.ErrUnavailable)
				if time.Since(up) > 9*time.Second {
					t.Fatalf("still failing %v after the upstream came back; want a value within the 8 s backoff cap", time.Since(up))
				}
				wait(500 * time.Millisecond)
			}
		}},
		{"throttling burst", setup{}, func(t *testing.T, w *world) {
			burstOfFaults(t, w, sourcetest.Fault{Code: "ThrottlingException"}, cache.ErrThrottled)
		}},
		{"5xx burst", setup{}, func(t *testing.T, w *world) {
			burstOfFaults(t, w, sourcetest.Fault{Code: "InternalServerError", Status: 500}, cache.ErrUnavailable)
		}},
		{"connection-reset burst", setup{}, func(t *testing.T, w *world) {
			burstOfFaults(t, w, sourcetest.Fault{Reset: true}, cache.ErrUnavailable)
		}},
		{"hang bounded by the per-call timeout", setup{opts: []cache.Option{cache.WithParameterTimeout(2 * time.Second)}}, func(t *testing.T, w *world) {
			hang(t, w, 2*time.Second)
		}},
		{"hang bounded by the load timeout", setup{opts: []cache.Option{cache.WithParameterTimeout(0), cache.WithLoadTimeout(5 * time.Second)}}, func(t *testing.T, w *world) {
			hang(t, w, 5*time.Second)
		}},
		{"latency spike during refresh-ahead", setup{opts: []cache.Option{cache.WithRefreshAhead(0.8)},
			server: []sourcetest.Option{sourcetest.WithLatency(80*time.Millisecond, 80*time.Millisecond)}}, func(t *testing.T, w *world) {
			const name = "/spike"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			fetched := time.Now()
			w.put(name)
			wait(8 * time.Second) // past the refresh point (70–80 % of the TTL)
			// A spike of 1 s plus a random jitter of up to 4 s.
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: name, Latency: time.Second, Jitter: 4 * time.Second, Times: 1})
			for time.Since(fetched) < 15*time.Second {
				at := time.Since(fetched)
				res := w.read(bg, r, name)
				if at < 10*time.Second && res.took != 0 {
					t.Errorf("read %v after the fetch took %v; want the cached value at once while it is fresh", at, res.took)
				}
				if res.err != nil {
					t.Errorf("read during the spike: %v", res.err)
				}
				wait(100 * time.Millisecond)
			}
			if res := w.read(bg, r, name); res.version != 2 || res.took != 0 {
				t.Errorf("after the refresh = version %d in %v; want version 2 at once", res.version, res.took)
			}
			if n := w.callsOf(name); n != 2 {
				t.Errorf("upstream calls = %d; want 2 (one background refresh)", n)
			}
		}},
		{"first waiter cancelled", setup{}, func(t *testing.T, w *world) {
			const name = "/cancel"
			w.put(name)
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: name, Latency: 2 * time.Second, Times: 1})
			ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
			defer cancel()
			first := make(chan result)
			go func() { first <- w.read(ctx, newViewer(), name) }()
			synctest.Wait() // the first reader leads the flight
			rest := w.burst(bg, 20, name)
			res := <-first
			if !errors.Is(res.err, context.DeadlineExceeded) || res.took != 500*time.Millisecond {
				t.Errorf("cancelled first reader = %v after %v; want its context's error after 500ms", res.err, res.took)
			}
			for i, res := range rest {
				want(t, "waiter "+strconv.Itoa(i), res, 1, nil)
			}
			if n := w.srv.CallsFor("GetParameter", name); n != 1 {
				t.Errorf(`CallsFor("GetParameter", %q) = %d; want 1`, name, n)
			}
		}},
		{"loader panic", setup{opts: []cache.Option{cache.WithStaleWait(2 * time.Second)}}, func(t *testing.T, w *world) {
			// The stale wait outlasts the 1 s latency: the waiters get the
			// load's answer, the panic.
			const name = "/panic"
			w.put(name)
			want(t, "first read", w.read(bg, newViewer(), name), 1, nil)
			w.put(name)
			w.setAfter(func(n int, _ string) {
				if n == 2 {
					panic("loader bug")
				}
			})
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: name, Latency: time.Second, Times: 1})
			wait(11 * time.Second) // expired: the next reads load, and the load panics
			for i, res := range w.burst(bg, 10, name) {
				want(t, "waiter "+strconv.Itoa(i)+" of the panicking load", res, 0, cache.ErrPanic)
			}
			want(t, "read after the panic", w.read(bg, newViewer(), name), 2, nil)
			if n := w.callsOf(name); n != 3 {
				t.Errorf("upstream calls = %d; want 3 (the panicking one shared by every waiter)", n)
			}
		}},
		{"close during a load", setup{opts: []cache.Option{cache.WithRefreshAhead(0.8)}}, func(t *testing.T, w *world) {
			const cold, warm = "/close/cold", "/close/warm"
			w.put(cold)
			w.put(warm)
			want(t, "warm read", w.read(bg, newViewer(), warm), 1, nil)
			wait(8 * time.Second)
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true})
			// Each hanging call takes a further second to return once its
			// context ends, so a Close that did not wait would return first.
			w.setAfter(func(int, string) { wait(time.Second) })
			want(t, "read starting a refresh", w.read(bg, newViewer(), warm), 1, nil)
			results := make(chan result, 5)
			for range 5 {
				go func() { results <- w.read(bg, newViewer(), cold) }()
			}
			synctest.Wait() // a hanging load of cold and a hanging refresh of warm
			start := time.Now()
			inflight := make(chan int)
			go func() {
				w.c.Close()
				w.mu.Lock()
				defer w.mu.Unlock()
				inflight <- w.inflight[cold] + w.inflight[warm]
			}()
			if n := <-inflight; n != 0 || time.Since(start) != time.Second {
				t.Errorf("Close returned after %v with %d upstream calls in flight; want after 1s, with none", time.Since(start), n)
			}
			for range 5 {
				if res := <-results; !errors.Is(res.err, cache.ErrClosed) && !errors.Is(res.err, context.Canceled) {
					t.Errorf("waiter after Close = version %d, %v; want ErrClosed", res.version, res.err)
				}
			}
			want(t, "cold read after Close", w.read(bg, newViewer(), cold), 0, cache.ErrClosed)
		}},
		{"freeze past the TTL with a refresh in flight", setup{opts: []cache.Option{cache.WithRefreshAhead(0.8)}}, func(t *testing.T, w *world) {
			const name = "/freeze"
			w.put(name)
			want(t, "first read", w.read(bg, newViewer(), name), 1, nil)
			w.put(name)
			wait(8500 * time.Millisecond)
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: name, Hang: true, Times: 1})
			want(t, "read starting the refresh", w.read(bg, newViewer(), name), 1, nil)
			wait(2 * time.Minute) // frozen: the refresh times out meanwhile, v1 is far past its bound
			for i, res := range w.burst(bg, 50, name) {
				want(t, "thawed reader "+strconv.Itoa(i), res, 2, nil)
			}
			if n := w.callsOf(name); n != 3 {
				t.Errorf("upstream calls = %d; want 3 (the load, the hung refresh, one shared reload)", n)
			}
		}},
		{"late answer never overwrites a newer value", setup{opts: []cache.Option{cache.WithRefreshAhead(0.8)},
			maxInflight: 2, slack: 5 * time.Second}, func(t *testing.T, w *world) {
			// maxInflight 2: the forced read below bypasses the shared
			// flight by design. slack: the held answer is 5 s old when it
			// arrives.
			const name = "/late"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			w.put(name)
			w.setAfter(func(n int, _ string) {
				if n == 2 { // the refresh got version 2, then the process froze
					wait(5 * time.Second)
				}
			})
			wait(8500 * time.Millisecond)
			want(t, "read starting the refresh", w.read(bg, r, name), 1, nil)
			wait(500 * time.Millisecond)
			w.put(name)
			p, err := w.c.Parameter(bg, cache.ParameterRequest{Name: name, Refresh: true})
			if err != nil || p.Version != 3 {
				t.Fatalf("forced read = version %d, %v; want 3", p.Version, err)
			}
			r.last[name] = 3
			// The refresh answers version 2 at 13.5 s, past v1's TTL;
			// version 3 is fresh until 19 s and must stay.
			for range 80 {
				want(t, "read around the late answer", w.read(bg, r, name), 3, nil)
				wait(100 * time.Millisecond)
			}
			w.mu.Lock()
			held := w.inflight[name]
			w.mu.Unlock()
			if held != 0 {
				t.Errorf("%d upstream calls still in flight 8 s later; want the held refresh to have answered", held)
			}
		}},
		{"not found is not masked", setup{}, func(t *testing.T, w *world) {
			const name, missing = "/gone", "/never"
			w.put(name)
			want(t, "first read", w.read(bg, newViewer(), name), 1, nil)
			w.remove(name)
			wait(11 * time.Second)
			want(t, "read after deletion and TTL", w.read(bg, newViewer(), name), 0, cache.ErrNotFound)
			// Negative caching: a missing name costs one call per 5 s.
			for range 200 {
				want(t, "read of a missing name", w.read(bg, newViewer(), missing), 0, cache.ErrNotFound)
				wait(100 * time.Millisecond)
			}
			if n := w.srv.CallsFor("GetParameter", missing); n < 4 || n > 5 {
				t.Errorf("calls for a name missing for 20 s = %d; want 4 or 5 (negative TTL 5 s)", n)
			}
		}},
		{"access denied is not masked", setup{}, func(t *testing.T, w *world) {
			accessDenied(t, w, false)
		}},
		{"access denied masked by WithStaleOn", setup{opts: []cache.Option{cache.WithStaleOn(func(err error) bool {
			return source.IsTransient(err) || errors.Is(err, cache.ErrAccessDenied)
		})}}, func(t *testing.T, w *world) {
			accessDenied(t, w, true)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tt.run(t, newWorld(t, tt.setup))
			})
		})
	}
}

// burstOfFaults injects f for a burst of calls: a cached key serves its
// stale value and backs off; a cold key returns kind and backs off.
func burstOfFaults(t *testing.T, w *world, f sourcetest.Fault, kind error) {
	const name, cold = "/burst/warm", "/burst/cold"
	bg := context.Background()
	r := newViewer()
	w.put(name)
	w.put(cold)
	want(t, "first read", w.read(bg, r, name), 1, nil)
	fetched := time.Now()
	wait(5 * time.Second)
	w.put(name)
	const n = 6
	f.Op, f.Name, f.Times = "GetParameter", name, n
	w.srv.Inject(f)
	cf := f
	cf.Name, cf.Times = cold, 0
	remove := w.srv.Inject(cf)
	wait(5 * time.Second)
	callsAtRecovery := 0
	for time.Since(fetched) < 39*time.Second {
		res := w.read(bg, r, name)
		if res.err != nil {
			t.Errorf("read during a burst of %d failures = %v; want the stale or a fresh value", n, res.err)
		}
		if res.version == 2 && callsAtRecovery == 0 {
			callsAtRecovery = w.srv.CallsFor("GetParameter", name)
		}
		wantCold := w.read(bg, newViewer(), cold)
		want(t, "cold read during the burst", wantCold, 0, kind)
		wait(100 * time.Millisecond)
	}
	// Within 39 s the backoff (at most 1.5+3+6+8+8 s after the second
	// failure) has let the seventh call through, and it was the first to
	// bring version 2.
	if callsAtRecovery != 1+n+1 {
		t.Errorf("calls for the cached name when version 2 first came = %d; want %d (the load, %d failures, one success)", callsAtRecovery, 1+n+1, n)
	}
	// 290 cold reads in 29 s: backoff 1 s·2^k ±50 % capped at 8 s.
	if got := w.srv.CallsFor("GetParameter", cold); got > 10 {
		t.Errorf("calls for the cold name = %d in 29 s of failures; want at most 10 (backoff)", got)
	}
	remove()
}

// hang makes the upstream hang: reads of a cold key end with
// ErrUnavailable after exactly bound, reads of an expired key serve the
// stale value after bound, and a reader's own shorter deadline wins.
func hang(t *testing.T, w *world, bound time.Duration) {
	const name, cold = "/hang/warm", "/hang/cold"
	bg := context.Background()
	w.put(name)
	w.put(cold)
	want(t, "first read", w.read(bg, newViewer(), name), 1, nil)
	w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true})
	wait(11 * time.Second)
	for i, res := range w.burst(bg, 10, cold) {
		want(t, "cold reader "+strconv.Itoa(i), res, 0, cache.ErrUnavailable)
		if res.took != bound {
			t.Errorf("cold reader %d took %v; want %v", i, res.took, bound)
		}
	}
	// Stale while slow: a value within its staleness bound is served after
	// the stale wait, not after the load's bound; the reload goes on.
	for i, res := range w.burst(bg, 10, name) {
		want(t, "stale reader "+strconv.Itoa(i), res, 1, nil)
		if res.took != cache.DefaultStaleWait {
			t.Errorf("stale reader %d took %v; want %v (the stale wait)", i, res.took, cache.DefaultStaleWait)
		}
	}
	// A reader arriving while that reload is still hanging gets the value
	// at once: the wait counts from the reload's start.
	wait(time.Second)
	if res := w.read(bg, newViewer(), name); res.version != 1 || res.took != 0 {
		t.Errorf("stale reader during the hanging reload = version %d, %v in %v; want version 1 at once", res.version, res.err, res.took)
	}
	wait(time.Minute) // past every backoff
	ctx, cancel := context.WithTimeout(bg, bound/4)
	defer cancel()
	res := w.read(ctx, newViewer(), cold)
	if !errors.Is(res.err, context.DeadlineExceeded) || res.took != bound/4 {
		t.Errorf("reader with a %v deadline = %v after %v; want its deadline", bound/4, res.err, res.took)
	}
	wait(bound) // the abandoned load ends at its own bound
}

// accessDenied makes the upstream deny reads of a cached key: the error is
// returned, not the stale value, unless masked says WithStaleOn masks it;
// then only within the staleness bound.
func accessDenied(t *testing.T, w *world, masked bool) {
	const name = "/denied"
	bg := context.Background()
	r := newViewer()
	w.put(name)
	want(t, "first read", w.read(bg, r, name), 1, nil)
	w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: name, Code: "AccessDeniedException"})
	wait(11 * time.Second)
	if !masked {
		want(t, "read after TTL, access denied", w.read(bg, r, name), 0, cache.ErrAccessDenied)
		want(t, "second read", w.read(bg, r, name), 0, cache.ErrAccessDenied)
		return
	}
	want(t, "read after TTL, access denied masked", w.read(bg, r, name), 1, nil)
	wait(30 * time.Second) // 41 s: past TTL + max staleness
	want(t, "read past the bound", w.read(bg, r, name), 0, cache.ErrAccessDenied)
}
