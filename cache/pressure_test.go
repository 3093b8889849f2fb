package cache_test

// Reads under pressure: a slow or hung upstream behind a value in memory
// (stale while slow), and many impatient callers on distinct names (bounded
// loads), through the real SDK clients and sourcetest's in-memory fake,
// inside synctest bubbles.

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func newPressured(t *testing.T, srv *sourcetest.Server, opts ...cache.Option) *cache.Cache {
	t.Helper()
	opts = append([]cache.Option{cache.WithTTL(10 * time.Second), cache.WithRefreshAhead(0),
		cache.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	c, err := cache.New(srv.InMemoryClients(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStaleWhileSlow: a read of a value past its TTL waits at most the
// stale wait (and never past halfway to its deadline) for the reload, then
// gets the stale value; the reload goes on and is stored; a healthy
// upstream still gives fresh values.
func TestStaleWhileSlow(t *testing.T) {
	tests := []struct {
		name     string
		fault    sourcetest.Fault
		deadline time.Duration
		wantTook time.Duration
		wantVer  int64
	}{
		// Before: context deadline exceeded after 3 s.
		{"hang, 3 s deadline", sourcetest.Fault{Hang: true}, 3 * time.Second, cache.DefaultStaleWait, 1},
		{"hang, 100 ms deadline", sourcetest.Fault{Hang: true}, 100 * time.Millisecond, 50 * time.Millisecond, 1},
		{"slow 2 s", sourcetest.Fault{Latency: 2 * time.Second}, 3 * time.Second, cache.DefaultStaleWait, 1},
		{"healthy 20 ms", sourcetest.Fault{Latency: 20 * time.Millisecond}, 3 * time.Second, 20 * time.Millisecond, 2},
		{"healthy 80 ms", sourcetest.Fault{Latency: 80 * time.Millisecond}, 3 * time.Second, 80 * time.Millisecond, 2},
		{"secret, hang, 3 s deadline", sourcetest.Fault{Hang: true}, 3 * time.Second, cache.DefaultStaleWait, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := sourcetest.NewInMemory()
				defer srv.Close()
				c := newPressured(t, srv)
				defer c.Close()
				secret := tt.name[:6] == "secret"
				read := readerOf(t, srv, c, secret)
				if v, err := read(context.Background()); v != 1 || err != nil {
					t.Fatalf("first read = version %d, %v; want 1", v, err)
				}
				write(t, srv, secret)
				wait(11 * time.Second)
				f := tt.fault
				f.Times = 1
				srv.Inject(f)
				ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
				defer cancel()
				start := time.Now()
				v, err := read(ctx)
				took := time.Since(start)
				t.Logf("read with a %v deadline, upstream %s: version %d, err %v, after %v", tt.deadline, tt.name, v, err, took)
				if err != nil || v != tt.wantVer || took != tt.wantTook {
					t.Fatalf("read = version %d, %v after %v; want version %d after %v", v, err, took, tt.wantVer, tt.wantTook)
				}
				if tt.fault.Latency > 0 {
					// The reload went on in the background and was stored.
					wait(tt.fault.Latency)
					synctest.Wait()
					start := time.Now()
					if v, err := read(context.Background()); v != 2 || err != nil || time.Since(start) != 0 {
						t.Errorf("read after the slow reload = version %d, %v in %v; want version 2 at once", v, err, time.Since(start))
					}
				}
			})
		})
	}
}

// TestHungUpstreamBacksOff: while the upstream hangs, every read of a
// value within its staleness bound gets it within the stale wait, and the
// reloads back off per key (one hung load at a time, then the backoff).
func TestHungUpstreamBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		c := newPressured(t, srv, cache.WithLoadTimeout(2*time.Second), cache.WithMaxStale(5*time.Minute),
			cache.WithBackoff(time.Second, 8*time.Second))
		defer c.Close()
		read := readerOf(t, srv, c, false)
		if _, err := read(context.Background()); err != nil {
			t.Fatal(err)
		}
		wait(11 * time.Second)
		srv.Inject(sourcetest.Fault{Hang: true})
		before := srv.Calls("GetParameter")
		var worst time.Duration
		for range 600 { // a minute of reads, one each 100 ms
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			start := time.Now()
			v, err := read(ctx)
			cancel()
			worst = max(worst, time.Since(start))
			if v != 1 || err != nil {
				t.Fatalf("read while hung = version %d, %v; want the stale version 1", v, err)
			}
			wait(100 * time.Millisecond)
		}
		calls := srv.Calls("GetParameter") - before
		t.Logf("60 s of reads against a hung upstream: slowest %v, %d upstream calls", worst, calls)
		if worst > cache.DefaultStaleWait {
			t.Errorf("slowest read = %v; want at most the stale wait %v", worst, cache.DefaultStaleWait)
		}
		// Each hung call lasts the 2 s load timeout, then the key backs off
		// 0, 1, 2, 4, 8, 8… s, jittered down to half: at most 13 calls in
		// 60 s (one per 100 ms read, 600, without backoff and coalescing).
		if calls > 13 {
			t.Errorf("upstream calls in 60 s hung = %d; want at most 13 (per-key backoff)", calls)
		}
	})
}

// TestLoadsAreBounded: 3,000 callers with a 2 ms deadline on distinct
// names against a hung upstream. Loads beyond the bound fail at once with
// ErrOverloaded, every abandoned load is cancelled, and nothing is left
// behind.
func TestLoadsAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		c := newPressured(t, srv)
		defer c.Close()
		srv.Inject(sourcetest.Fault{Hang: true})
		base := runtime.NumGoroutine()
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapAlloc
		const callers = 3000
		errs := make([]error, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
				defer cancel()
				_, errs[i] = c.Parameter(ctx, cache.ParameterRequest{Name: "/cold/" + strconv.Itoa(i)})
			})
		}
		wg.Wait()
		peak := runtime.NumGoroutine()
		synctest.Wait() // the cancelled loads end
		left := runtime.NumGoroutine()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		var overloaded, deadline int
		for i, err := range errs {
			switch {
			case errors.Is(err, cache.ErrOverloaded):
				overloaded++
				if !source.IsTransient(err) {
					t.Errorf("caller %d: %v is not transient", i, err)
				}
			case errors.Is(err, context.DeadlineExceeded):
				deadline++
			default:
				t.Errorf("caller %d = %v; want ErrOverloaded or its deadline", i, err)
			}
		}
		t.Logf("3000 callers, 2 ms deadline, hung upstream: %d gave up at their deadline, %d overloaded; goroutines %d before, %d when the callers returned, %d once settled; heap %+d KiB",
			deadline, overloaded, base, peak, left, (int64(ms.HeapAlloc)-int64(heap0))/1024)
		if deadline > cache.DefaultMaxLoads {
			t.Errorf("callers that got a load = %d; want at most %d (the bound)", deadline, cache.DefaultMaxLoads)
		}
		// NumGoroutine counts the whole process: allow for a goroutine or
		// two the runtime or the race detector starts meanwhile.
		if left > base+2 {
			t.Errorf("goroutines once settled = %d; want at most %d (abandoned loads cancelled)", left, base+2)
		}
		if n := srv.Calls("GetParameter"); n > cache.DefaultMaxLoads {
			t.Errorf("upstream calls = %d; want at most %d", n, cache.DefaultMaxLoads)
		}
	})
}

// TestOverloadedReadGetsStaleValue: at the bound, a read that has a value
// within its staleness bound gets it; one without gets ErrOverloaded at
// once; a refresh that finds no slot is tried again later.
func TestOverloadedReadGetsStaleValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		c := newPressured(t, srv, cache.WithMaxLoads(2), cache.WithLoadTimeout(time.Minute))
		defer c.Close()
		read := readerOf(t, srv, c, false)
		if _, err := read(context.Background()); err != nil {
			t.Fatal(err)
		}
		write(t, srv, false)
		srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: "/hold/1", Hang: true})
		srv.Inject(sourcetest.Fault{Op: "GetParameter", Name: "/hold/2", Hang: true})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for i := 1; i <= 2; i++ {
			wg.Go(func() { _, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/hold/" + strconv.Itoa(i)}) })
		}
		synctest.Wait() // both slots held
		start := time.Now()
		_, err := c.Parameter(context.Background(), cache.ParameterRequest{Name: "/cold"})
		if !errors.Is(err, cache.ErrOverloaded) || time.Since(start) != 0 {
			t.Errorf("cold read at the bound = %v after %v; want ErrOverloaded at once", err, time.Since(start))
		}
		wait(11 * time.Second)
		start = time.Now()
		if v, err := read(context.Background()); v != 1 || err != nil || time.Since(start) != 0 {
			t.Errorf("stale read at the bound = version %d, %v after %v; want version 1 at once", v, err, time.Since(start))
		}
		cancel() // the holders leave: their cold loads are cancelled, the slots freed
		wg.Wait()
		synctest.Wait()
		if v, err := read(context.Background()); v != 2 || err != nil {
			t.Errorf("read once slots are free = version %d, %v; want 2", v, err)
		}
	})
}

// readerOf returns a read of the test's one name (a parameter or a secret)
// that returns its version number; write writes the next version. Secret
// versions are numbered by their value "s#N".
func readerOf(t *testing.T, srv *sourcetest.Server, c *cache.Cache, secret bool) func(context.Context) (int64, error) {
	t.Helper()
	write(t, srv, secret)
	if secret {
		return func(ctx context.Context) (int64, error) {
			s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "s"})
			if err != nil {
				return 0, err
			}
			n, _ := strconv.ParseInt(s.Value()[2:], 10, 64)
			return n, nil
		}
	}
	return func(ctx context.Context) (int64, error) {
		p, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/p"})
		return p.Version, err
	}
}

var (
	secretMu       sync.Mutex // protects secretVersions
	secretVersions = map[*sourcetest.Server]int{}
)

func write(t *testing.T, srv *sourcetest.Server, secret bool) {
	t.Helper()
	if !secret {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/p", Value: "v"}); err != nil {
			t.Fatal(err)
		}
		return
	}
	secretMu.Lock()
	secretVersions[srv]++
	n := secretVersions[srv]
	secretMu.Unlock()
	v := "s#" + strconv.Itoa(n)
	var err error
	if n == 1 {
		_, err = srv.CreateSecret(sourcetest.Secret{Name: "s"}, sourcetest.SecretVersion{String: &v})
	} else {
		_, err = srv.PutSecretValue("s", sourcetest.SecretVersion{String: &v})
	}
	if err != nil {
		t.Fatal(err)
	}
}
