package resolve

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// advance lets fake time pass inside a synctest bubble.
func advance(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

type changes[T any] struct {
	mu  sync.Mutex
	got [][2]T
}

func (c *changes[T]) add(old, new T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, [2]T{old, new})
}

func (c *changes[T]) take() [][2]T {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := c.got
	c.got = nil
	return got
}

func newBubbleCache(t *testing.T, srv *sourcetest.Server, opts ...cache.Option) *cache.Cache {
	t.Helper()
	c, err := cache.New(srv.Clients(), append([]cache.Option{cache.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestLive: a live value follows its parameter through an invalidation, a
// refresh-ahead and another reader's forced read; OnChange fires once per
// new version, with the old and the new value.
func TestLive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		put(t, srv, "/app/limit", "10")
		c := newBubbleCache(t, srv, cache.WithTTL(time.Minute))
		ctx := context.Background()
		l, err := Watch[int](ctx, c, "ssm:/app/limit", WithCheckInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var ch changes[int]
		if _, err := l.OnChange(ch.add); err != nil {
			t.Fatal(err)
		}
		if got := l.Get(); got != 10 {
			t.Fatalf("Get() = %d; want 10", got)
		}

		put(t, srv, "/app/limit", "20")
		advance(2 * time.Second)
		l.Get() // a check: a hit, still version 1
		synctest.Wait()
		if got, n := l.Get(), len(ch.take()); got != 10 || n != 0 {
			t.Fatalf("before any reload: Get() = %d, %d changes; want 10, 0", got, n)
		}

		c.InvalidateParameter(cache.ParameterRequest{Name: "/app/limit"}) // as a change event would
		advance(2 * time.Second)
		l.Get()
		synctest.Wait()
		if got, cs := l.Get(), ch.take(); got != 20 || len(cs) != 1 || cs[0] != [2]int{10, 20} {
			t.Fatalf("after an invalidation: Get() = %d, changes %v; want 20, [[10 20]]", got, cs)
		}

		put(t, srv, "/app/limit", "30")
		advance(55 * time.Second) // past the refresh-ahead point (0.8 of the TTL, jittered)
		l.Get()
		synctest.Wait()
		if got, cs := l.Get(), ch.take(); got != 30 || len(cs) != 1 || cs[0] != [2]int{20, 30} {
			t.Fatalf("after a refresh-ahead: Get() = %d, changes %v; want 30, [[20 30]]", got, cs)
		}

		put(t, srv, "/app/limit", "40")
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/limit", WithDecryption: true, Refresh: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // no Get: the cache's notification alone
		if got, cs := l.Get(), ch.take(); got != 40 || len(cs) != 1 || cs[0] != [2]int{30, 40} {
			t.Fatalf("after another reader's forced read: Get() = %d, changes %v; want 40, [[30 40]]", got, cs)
		}
		if l.Version() != "4" || l.Err() != nil {
			t.Errorf("Version(), Err() = %q, %v; want 4, nil", l.Version(), l.Err())
		}

		put(t, srv, "/app/limit", "not a number")
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/limit", WithDecryption: true, Refresh: true}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got, cs := l.Get(), ch.take(); got != 40 || len(cs) != 0 || !errors.Is(l.Err(), ErrConvert) {
			t.Fatalf("after a version that does not convert: Get() = %d, changes %v, Err() = %v; want 40, none, ErrConvert", got, cs, l.Err())
		}
	})
}

// TestLiveSecretMaxAge: a live JSON key of a secret, reloaded by MaxAge.
func TestLiveSecretMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: new(`{"password":"one"}`)}); err != nil {
			t.Fatal(err)
		}
		c := newBubbleCache(t, srv, cache.WithTTL(time.Hour))
		l, err := Watch[Secret](context.Background(), c, "secretsmanager:db#password", WithMaxAge(10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		var ch changes[Secret]
		if _, err := l.OnChange(ch.add); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: new(`{"password":"two"}`)}); err != nil {
			t.Fatal(err)
		}
		advance(11 * time.Second)
		l.Get()
		synctest.Wait()
		cs := ch.take()
		if got := l.Get().Value(); got != "two" || len(cs) != 1 || cs[0][0].Value() != "one" {
			t.Fatalf("after MaxAge: Get() = %q, %d changes; want two, 1 (from one)", got, len(cs))
		}
	})
}

func TestLiveErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		put(t, srv, "/x", "v")
		c := newBubbleCache(t, srv)
		ctx := context.Background()
		for _, tt := range []struct {
			ref  string
			opts []WatchOption
			want string
		}{
			{"/x", nil, "exactly one reference"},
			{"{{resolve:ssm:/x}}{{resolve:ssm:/x}}", nil, "exactly one reference"},
			{"ssm:/absent", nil, "ssm:/absent"},
			{"ssm:/x", []WatchOption{WithCheckInterval(0)}, "must be positive"},
			{"ssm:/x", []WatchOption{WithMaxAge(-1)}, "must not be negative"},
		} {
			if _, err := Watch[string](ctx, c, tt.ref, tt.opts...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Watch(%q) error %v; want it to say %q", tt.ref, err, tt.want)
			}
		}
		if _, err := Watch[int](ctx, c, "ssm:/x"); !errors.Is(err, ErrConvert) {
			t.Errorf("Watch[int] of a non-number: %v; want ErrConvert", err)
		}
		l, err := Watch[string](ctx, c, "ssm:/x")
		if err != nil {
			t.Fatal(err)
		}
		for range MaxCallbacks {
			if _, err := l.OnChange(func(string, string) {}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := l.OnChange(func(string, string) {}); err == nil {
			t.Errorf("OnChange beyond %d functions: nil error", MaxCallbacks)
		}
		l.Close()
		l.Close()
		if _, err := l.OnChange(func(string, string) {}); !errors.Is(err, ErrClosed) {
			t.Errorf("OnChange after Close: %v; want ErrClosed", err)
		}
		if l.Get() != "v" {
			t.Errorf("Get() after Close = %q; want the last value", l.Get())
		}
	})
}

// TestLiveGetAllocs: Get allocates nothing.
func TestLiveGetAllocs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		put(t, srv, "/x", "v")
		c := newBubbleCache(t, srv)
		l, err := Watch[string](context.Background(), c, "ssm:/x", WithCheckInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if n := testing.AllocsPerRun(1000, func() { _ = l.Get() }); n != 0 {
			t.Errorf("Get() allocates %v times per call; want 0", n)
		}
	})
}

// BenchmarkLiveGet compares Live.Get with a cache hit of the same
// parameter, side by side.
func BenchmarkLiveGet(b *testing.B) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	put(b, srv, "/x", "v")
	c, err := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	l, err := Watch[string](ctx, c, "ssm:/x")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.Run("Live.Get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = l.Get()
		}
	})
	b.Run("Cache.Parameter", func(b *testing.B) {
		b.ReportAllocs()
		req := cache.ParameterRequest{Name: "/x", WithDecryption: true}
		for b.Loop() {
			p, _ := c.Parameter(ctx, req)
			_ = p.Value()
		}
	})
}

// TestLiveChangesDropped: when the cache dropped changes, a live value
// reads its reference again; a change of another key does not make it
// read.
func TestLiveChangesDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		put(t, srv, "/a", "1")
		c := newBubbleCache(t, srv, cache.WithTTL(time.Minute))
		l, err := Watch[string](context.Background(), c, "ssm:/a", WithCheckInterval(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		put(t, srv, "/a", "2")
		c.InvalidateParameter(cache.ParameterRequest{Name: "/a"})
		srv.ResetCounters()
		l.changed(cache.Change{Kind: cache.ParameterChanged, Parameter: cache.ParameterRequest{Name: "/b", WithDecryption: true}, NewVersion: "7"})
		synctest.Wait()
		if n := srv.Calls(""); n != 0 || l.Get() != "1" {
			t.Fatalf("after another key's change: %d calls, Get() = %q; want 0, 1", n, l.Get())
		}
		l.changed(cache.Change{Kind: cache.ChangesDropped})
		synctest.Wait()
		if got := l.Get(); got != "2" {
			t.Fatalf("after ChangesDropped: Get() = %q; want 2", got)
		}
	})
}
