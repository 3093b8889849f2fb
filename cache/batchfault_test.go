package cache_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Tests of batch reads against a failing upstream, in a synctest bubble
// with the in-memory fake: the times they check are the bubble's, so load
// on the machine cannot change them.

// newMemCache returns an in-memory fake with n parameters /app/p0… and
// secrets s0…, and a cache reading it through the SDK, inside the calling
// synctest bubble.
func newMemCache(t *testing.T, n int, opts ...cache.Option) (*sourcetest.Server, *cache.Cache, []cache.ParameterRequest, []cache.SecretRequest) {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	params := make([]cache.ParameterRequest, n)
	secrets := make([]cache.SecretRequest, n)
	for i := range n {
		is := strconv.Itoa(i)
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/p" + is, Value: "value-" + is}); err != nil {
			t.Fatal(err)
		}
		v := "pw-" + is
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: "s" + is}, sourcetest.SecretVersion{String: &v}); err != nil {
			t.Fatal(err)
		}
		params[i] = cache.ParameterRequest{Name: "/app/p" + is}
		secrets[i] = cache.SecretRequest{SecretID: "s" + is}
	}
	opts = append([]cache.Option{cache.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	c, err := cache.New(srv.InMemoryClients(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c, params, secrets
}

// timed runs fn with a context of Lambda's default 3 s deadline and
// returns how long it took, in the bubble's time, and its error.
func timed(fn func(ctx context.Context) error) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	if ctx.Err() != nil {
		return time.Since(start), errors.Join(err, errors.New("the caller's deadline passed first"))
	}
	return time.Since(start), err
}

// TestBatchFailsAsFastAsSingleReads: with the upstream refusing
// connections, answering 5xx, or hanging, every batch read fails within the
// bound a single read of the same name does, and before the caller's
// deadline (before: 8–10 s, the load timeout, for a refused connection).
// A server error is retried twice, as the SDK's standard retryer does for
// a single read; the fake's client makes one attempt, so the bound allows
// for the batch's two pauses.
func TestBatchFailsAsFastAsSingleReads(t *testing.T) {
	faults := map[string]func(*sourcetest.Server) func(){
		"refused": func(s *sourcetest.Server) func() { s.SetDown(true); return func() { s.SetDown(false) } },
		"reset":   func(s *sourcetest.Server) func() { return s.Inject(sourcetest.Fault{Reset: true}) },
		"5xx":     func(s *sourcetest.Server) func() { return s.Inject(sourcetest.Fault{Code: "InternalServerError"}) },
		"hang":    func(s *sourcetest.Server) func() { return s.Inject(sourcetest.Fault{Hang: true}) },
	}
	for name, inject := range faults {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// With the upstream hanging, each call ends at the
				// timeout of its kind, single or batch.
				srv, c, params, secrets := newMemCache(t, 3, cache.WithParameterTimeout(2*time.Second), cache.WithSecretTimeout(2*time.Second))
				defer inject(srv)()
				single, err := timed(func(ctx context.Context) error { _, err := c.Parameter(ctx, params[0]); return err })
				if !errors.Is(err, cache.ErrUnavailable) {
					t.Fatalf("single read = %v; want ErrUnavailable", err)
				}
				bound := single + 10*time.Millisecond
				switch name {
				case "5xx":
					bound = single + 150*time.Millisecond // two retries after pauses of at most 50 and 100 ms
				}
				reads := map[string]func(ctx context.Context) error{
					"Parameters": func(ctx context.Context) error { _, err := c.Parameters(ctx, params[1:]); return err },
					"Secrets":    func(ctx context.Context) error { _, err := c.Secrets(ctx, secrets); return err },
					"Prefetch": func(ctx context.Context) error {
						return c.Prefetch(ctx, cache.Prefetch{Parameters: params[1:], Secrets: secrets, Required: true})
					},
				}
				for read, fn := range reads {
					took, err := timed(fn)
					t.Logf("%s with the upstream %s: %v (single read: %v)", read, name, took, single)
					if !errors.Is(err, cache.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) && name != "hang" {
						t.Errorf("%s = %v; want ErrUnavailable", read, err)
					}
					if took > bound {
						t.Errorf("%s took %v with the upstream %s; want at most %v (a single read: %v)", read, took, name, bound, single)
					}
				}
			})
		})
	}
}

// TestBatchServesStalePerItem: with the upstream down, a batch returns the
// stale values in memory for the items that have one, and errors for the
// others only, as single reads of the same names do; then the keys back off
// and the batch answers them without an upstream call.
func TestBatchServesStalePerItem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, secrets := newMemCache(t, 3, cache.WithTTL(time.Second))
		ctx := context.Background()
		if _, err := c.Parameters(ctx, params[:2]); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Secrets(ctx, secrets[:2]); err != nil {
			t.Fatal(err)
		}
		advance(2 * time.Second) // past the TTL
		remove := srv.Inject(sourcetest.Fault{Reset: true})
		defer remove()

		got, err := c.Parameters(ctx, params)
		checkStale(t, "Parameters", err, []string{got[0].Value(), got[1].Value(), got[2].Value()}, "/app/p2",
			[]string{"value-0", "value-1", ""})
		gs, err := c.Secrets(ctx, secrets)
		checkStale(t, "Secrets", err, []string{gs[0].Value(), gs[1].Value(), gs[2].Value()}, "s2",
			[]string{"pw-0", "pw-1", ""})
		if p, err := c.Parameter(ctx, params[0]); err != nil || p.Value() != "value-0" {
			t.Errorf("single read of the same name = %q, %v; want the stale value", p.Value(), err)
		}
		if st := c.Stats(); st.StaleServes < 4 {
			t.Errorf("StaleServes = %d; want every stale item counted (at least 4)", st.StaleServes)
		}

		// A second failure backs each key off: the next batch answers from
		// memory without calling SSM.
		if _, err := c.Parameters(ctx, params); err == nil {
			t.Fatal("second batch succeeded with the upstream down")
		}
		calls := srv.Calls("GetParameters")
		got, err = c.Parameters(ctx, params[:2])
		if err != nil || got[0].Value() != "value-0" || srv.Calls("GetParameters") != calls {
			t.Errorf("batch while backing off = %q, %v, %d more calls; want the stale values and no call",
				got[0].Value(), err, srv.Calls("GetParameters")-calls)
		}
		remove()
		advance(time.Minute) // past any backoff
		got, err = c.Parameters(ctx, params)
		if err != nil || got[2].Value() != "value-2" {
			t.Errorf("batch after the upstream came back = %q, %v", got[2].Value(), err)
		}
	})
}

// checkStale checks a batch answer: the values want in order, and an error
// naming only the item failed.
func checkStale(t *testing.T, read string, err error, got []string, failed string, want []string) {
	t.Helper()
	var be *cache.BatchError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].Name != failed || !errors.Is(err, cache.ErrUnavailable) {
		t.Errorf("%s with stale values for some items = %v; want an error for %s only", read, err, failed)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s[%d] = %q; want %q", read, i, got[i], want[i])
		}
	}
}

// TestBatchRetriesThrottlingWithinItsContext: throttling and server errors
// are retried until the call succeeds; a client error is not; endless
// throttling ends within the caller's deadline, before it.
func TestBatchRetriesThrottlingWithinItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, secrets := newMemCache(t, 3)
		srv.Inject(sourcetest.Fault{Op: "GetParameters", Code: "ThrottlingException", Times: 3})
		srv.Inject(sourcetest.Fault{Op: "BatchGetSecretValue", Code: "InternalServerError", Times: 2})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.Prefetch(ctx, cache.Prefetch{Parameters: params, Secrets: secrets[:1], Required: true})
		if err != nil {
			t.Fatalf("Prefetch with 3 throttled calls = %v; want success on the 4th", err)
		}
		if n, m := srv.Calls("GetParameters"), srv.Calls("BatchGetSecretValue"); n != 4 || m != 3 {
			t.Errorf("calls GetParameters=%d BatchGetSecretValue=%d; want 4 and 3", n, m)
		}
		// A non-transient error is not retried.
		srv.Inject(sourcetest.Fault{Op: "GetParameters", Code: "AccessDeniedException", Times: 1})
		_, err = c.Parameters(ctx, []cache.ParameterRequest{{Name: "/app/p0", Refresh: true}})
		if !errors.Is(err, cache.ErrAccessDenied) || srv.Calls("GetParameters") != 5 {
			t.Errorf("access denied: err %v after %d calls; want ErrAccessDenied after 1 more", err, srv.Calls("GetParameters"))
		}
		// Retries end before the caller's context does.
		srv.Inject(sourcetest.Fault{Op: "GetParameters", Code: "ThrottlingException"})
		short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancelShort()
		before := srv.Calls("GetParameters")
		_, err = c.Parameters(short, []cache.ParameterRequest{{Name: "/app/p1", Refresh: true}})
		if !errors.Is(err, cache.ErrThrottled) || short.Err() != nil || srv.Calls("GetParameters")-before < 2 {
			t.Errorf("endless throttling: err %v, ctx %v, %d calls; want ErrThrottled after retries, before the deadline",
				err, short.Err(), srv.Calls("GetParameters")-before)
		}
	})
}

// TestPrefetchDeadline: a prefetch whose calls outlast its context returns
// an unfinished PrefetchError at the deadline; what did not load loads on
// first read.
func TestPrefetchDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, _ := newMemCache(t, 3)
		remove := srv.Inject(sourcetest.Fault{Op: "GetParameters", Latency: time.Hour, Times: 1})
		defer remove()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.Prefetch(ctx, cache.Prefetch{Parameters: params, Required: true})
		var pe *cache.PrefetchError
		if !errors.As(err, &pe) || !pe.Unfinished || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 50*time.Millisecond {
			t.Fatalf("Prefetch past its deadline = %v after %v; want an unfinished PrefetchError at 50ms", err, time.Since(start))
		}
		// The slow batch call is still out: a read of one of its keys
		// shares it (one call per key, whoever leads it), and gets its
		// failure when the load timeout ends it; the next read makes its
		// own call.
		remove()
		start = time.Now()
		if _, err := c.Parameter(context.Background(), params[0]); !errors.Is(err, cache.ErrUnavailable) || time.Since(start) > cache.DefaultLoadTimeout {
			t.Errorf("read joining the hung batch call = %v after %v; want ErrUnavailable within the load timeout", err, time.Since(start))
		}
		if p, err := c.Parameter(context.Background(), params[0]); err != nil || p.Value() != "value-0" {
			t.Errorf("lazy read = %q, %v", p.Value(), err)
		}
	})
}

// TestStatsCountEveryPath: each read counts once as a hit, a negative hit
// or a miss whatever its path, and SDK-shaped calls (sdkcache.Reader) that
// skip the cache count as bypassed.
func TestStatsCountEveryPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, secrets := newMemCache(t, 2)
		ctx := context.Background()
		sdk := sdkcache.NewReader(c, srv.InMemoryClients()) // the SDK-shaped calls, moved from the cache (issue 21)
		step := func(what string, read func() error, want cache.Stats) {
			t.Helper()
			if err := read(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			st := c.Stats()
			got := cache.Stats{Hits: st.Hits, NegativeHits: st.NegativeHits, Misses: st.Misses, Loads: st.Loads, Bypassed: sdk.Bypassed()}
			if got != want {
				t.Errorf("after %s: %+v; want %+v", what, got, want)
			}
		}
		batch := func() error { _, err := c.Parameters(ctx, params); return err }
		step("a cold batch of 2", batch, cache.Stats{Misses: 2, Loads: 1})
		step("the same batch again", batch, cache.Stats{Hits: 2, Misses: 2, Loads: 1})
		step("a single read", func() error { _, err := c.Parameter(ctx, params[0]); return err },
			cache.Stats{Hits: 3, Misses: 2, Loads: 1})
		step("a cold secret batch of 2", func() error { _, err := c.Secrets(ctx, secrets); return err },
			cache.Stats{Hits: 3, Misses: 4, Loads: 2})
		step("a cold path", func() error { _, err := c.ParametersByPath(ctx, cache.PathRequest{Path: "/app"}); return err },
			cache.Stats{Hits: 3, Misses: 5, Loads: 3})
		step("an SDK-shaped read", func() error {
			_, err := sdk.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p1")})
			return err
		}, cache.Stats{Hits: 4, Misses: 5, Loads: 3})
		step("an SDK-shaped read with an option", func() error {
			_, err := sdk.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p1")}, func(*ssm.Options) {})
			return err
		}, cache.Stats{Hits: 4, Misses: 5, Loads: 3, Bypassed: 1})
		step("a prefetch of what is cached", func() error {
			return c.Prefetch(ctx, cache.Prefetch{Parameters: params, Secrets: secrets, Required: true})
		}, cache.Stats{Hits: 8, Misses: 5, Loads: 3, Bypassed: 1})
		if n := srv.Calls("GetParameter"); n != 1 {
			t.Errorf("GetParameter calls = %d; want 1, the bypassed one", n)
		}
	})
}

// advance lets fake time pass inside a synctest bubble.
func advance(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}
