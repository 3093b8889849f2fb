package cache_test

// More of the fault matrix: hangs with a stale value in memory and with
// none, a Lambda freeze in the middle of a load, and secrets.

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestFaultMatrixUnderPressure(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name  string
		setup setup
		run   func(t *testing.T, w *world)
	}{
		{"hang with a stale value, 3 s deadlines", setup{}, func(t *testing.T, w *world) {
			const name = "/hang/stale"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true})
			wait(11 * time.Second)
			for i, res := range deadlineBurst(w, 3*time.Second, 20, name) {
				want(t, "reader "+strconv.Itoa(i), res, 1, nil)
				if res.took > cache.DefaultStaleWait {
					t.Errorf("reader %d took %v; want at most the stale wait %v", i, res.took, cache.DefaultStaleWait)
				}
			}
			// Past the staleness bound (40 s) the value is never served.
			wait(30 * time.Second)
			for i, res := range deadlineBurst(w, 3*time.Second, 5, name) {
				if res.err == nil {
					t.Errorf("reader %d past the staleness bound = version %d; want an error", i, res.version)
				}
			}
		}},
		{"hang with no value, 3 s deadlines", setup{}, func(t *testing.T, w *world) {
			const name = "/hang/cold"
			w.put(name)
			w.srv.Inject(sourcetest.Fault{Op: "GetParameter", Hang: true})
			for i, res := range deadlineBurst(w, 3*time.Second, 20, name) {
				want(t, "reader "+strconv.Itoa(i), res, 0, context.DeadlineExceeded)
				if res.took != 3*time.Second {
					t.Errorf("reader %d took %v; want its 3s deadline", i, res.took)
				}
			}
			synctest.Wait() // every waiter left: the load is cancelled at once
			w.mu.Lock()
			n := w.inflight[name]
			w.mu.Unlock()
			if n != 0 {
				t.Errorf("upstream calls in flight once every waiter left = %d; want 0 (cancelled)", n)
			}
		}},
		{"freeze in the middle of a load", setup{slack: 2 * time.Minute}, func(t *testing.T, w *world) {
			// The load of version 2 gets its answer, then the process
			// freezes for 2 min: past the TTL, the load timeout and the
			// staleness bound. slack: version 1 may be served until the
			// answer arrives.
			const name = "/freeze/load"
			r := newViewer()
			w.put(name)
			want(t, "first read", w.read(bg, r, name), 1, nil)
			w.put(name)
			w.setAfter(func(n int, _ string) {
				if n == 2 {
					wait(2 * time.Minute)
				}
			})
			wait(11 * time.Second)
			for i, res := range deadlineBurst(w, 3*time.Second, 10, name) {
				want(t, "reader during the load "+strconv.Itoa(i), res, 1, nil)
			}
			wait(40 * time.Second) // still frozen; version 1 is past its bound now
			for i, res := range deadlineBurst(w, 3*time.Second, 5, name) {
				if res.err == nil {
					t.Errorf("reader %d past the bound = version %d; want no value (its deadline)", i, res.version)
				}
			}
			wait(2 * time.Minute) // thawed: the answer has arrived
			for i, res := range deadlineBurst(w, 3*time.Second, 20, name) {
				want(t, "first reader after the thaw "+strconv.Itoa(i), res, 2, nil)
				if res.took != 0 {
					t.Errorf("first reader %d after the thaw took %v; want the stored answer at once", i, res.took)
				}
			}
			want(t, "same reader after the thaw", w.read(bg, r, name), 2, nil)
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

// deadlineBurst starts n readers of name, each with its own deadline d.
func deadlineBurst(w *world, d time.Duration, n int, name string) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			out[i] = w.read(ctx, newViewer(), name)
		})
	}
	wg.Wait()
	return out
}

// TestFaultMatrixSecrets: secrets behind a hung, down or slow Secrets
// Manager, and a freeze in the middle of a load: the stale value within
// the stale wait, no going back across a rotation.
func TestFaultMatrixSecrets(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error))
	}{
		{"hang with a stale value", func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error)) {
			write(t, srv, true)
			wait(11 * time.Second)
			srv.Inject(sourcetest.Fault{Op: "GetSecretValue", Hang: true})
			secretReads(t, read, 3*time.Second, 1, cache.DefaultStaleWait)
		}},
		{"hang with no value", func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error)) {
			srv.Inject(sourcetest.Fault{Op: "GetSecretValue", Hang: true})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.Secret(ctx, cache.SecretRequest{SecretID: "cold"})
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 3*time.Second {
				t.Errorf("cold secret read = %v after %v; want its deadline after 3s", err, time.Since(start))
			}
		}},
		{"down", func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error)) {
			write(t, srv, true)
			wait(11 * time.Second)
			srv.SetDown(true)
			for range 20 {
				secretReads(t, read, 3*time.Second, 1, cache.DefaultStaleWait)
				wait(time.Second)
			}
			srv.SetDown(false)
			wait(10 * time.Second) // past the backoff
			secretReads(t, read, 3*time.Second, 2, cache.DefaultStaleWait)
		}},
		{"rotations while slow", func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error)) {
			srv.Inject(sourcetest.Fault{Op: "GetSecretValue", Latency: 50 * time.Millisecond, Jitter: 400 * time.Millisecond})
			var last int64
			for i := range 300 {
				if i%7 == 0 {
					write(t, srv, true)
				}
				if i%5 == 0 {
					if _, err := c.Secret(context.Background(), cache.SecretRequest{SecretID: "s", Refresh: true}); err != nil {
						t.Fatal(err)
					}
				}
				v, err := read(context.Background())
				if err != nil || v < last {
					t.Fatalf("read %d = version %d, %v after version %d; want never to go back", i, v, err, last)
				}
				last = v
				wait(time.Duration(i%4) * time.Second)
			}
		}},
		{"freeze in the middle of a load", func(t *testing.T, srv *sourcetest.Server, c *cache.Cache, read func(context.Context) (int64, error)) {
			write(t, srv, true)
			wait(11 * time.Second)
			// The request reaches Secrets Manager only after a 3 min
			// stop, past the TTL, the load timeout and the staleness bound.
			srv.Inject(sourcetest.Fault{Op: "GetSecretValue", Latency: 3 * time.Minute, Times: 1})
			secretReads(t, read, 3*time.Second, 1, cache.DefaultStaleWait)
			wait(3 * time.Minute)
			// The load timed out at 10 s; the first reads after the thaw
			// load again, promptly, and never get version 1 past its bound.
			secretReads(t, read, 3*time.Second, 2, 0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := sourcetest.NewInMemory()
				defer srv.Close()
				c := newPressured(t, srv, cache.WithMaxStale(30*time.Second), cache.WithBackoff(time.Second, 8*time.Second))
				defer c.Close()
				read := readerOf(t, srv, c, true)
				if v, err := read(context.Background()); v != 1 || err != nil {
					t.Fatalf("first read = version %d, %v; want 1", v, err)
				}
				tt.run(t, srv, c, read)
			})
		})
	}
}

// secretReads makes 10 concurrent reads with deadline d and wants version
// v from each within took.
func secretReads(t *testing.T, read func(context.Context) (int64, error), d time.Duration, v int64, took time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			start := time.Now()
			got, err := read(ctx)
			if got != v || err != nil || time.Since(start) > took {
				t.Errorf("secret read = version %d, %v after %v; want version %d within %v", got, err, time.Since(start), v, took)
			}
		})
	}
	wg.Wait()
}
