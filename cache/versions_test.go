package cache_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// staged is an in-memory fake whose secret db is in the middle of a
// rotation: AWSPREVIOUS "one", AWSCURRENT "two", AWSPENDING "three"; it
// returns the pending version's id.
func staged(t testing.TB) (*sourcetest.Server, string) {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("two")}); err != nil {
		t.Fatal(err)
	}
	id, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("three"), Stages: []string{source.StagePending}})
	if err != nil {
		t.Fatal(err)
	}
	return srv, id
}

func values(v cache.SecretVersions) [3]string {
	return [3]string{v.Current.Value(), v.Previous.Value(), v.Pending.Value()}
}

func newCache(t *testing.T, srv *sourcetest.Server, opts ...cache.Option) *cache.Cache {
	t.Helper()
	c, err := cache.New(srv.InMemoryClients(), append([]cache.Option{cache.WithTTL(time.Hour), cache.WithRefreshAhead(0), cache.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// During a staged rotation the three stages come back together, read
// concurrently and coalesced across callers, then from memory.
func TestSecretVersions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, pending := staged(t)
		c := newCache(t, srv)
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				v, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db"})
				if got, want := values(v), [3]string{"two", "one", "three"}; err != nil || got != want {
					t.Errorf("SecretVersions = %q, %v; want %q", got, err, want)
				}
			})
		}
		wg.Wait()
		if n := srv.Calls("GetSecretValue"); n != 3 {
			t.Errorf("GetSecretValue calls for 10 concurrent callers = %d; want 3 (one per stage)", n)
		}
		v, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db"})
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for _, s := range v.All() {
			all = append(all, s.Value())
		}
		if want := []string{"two", "three", "one"}; !slices.Equal(all, want) {
			t.Errorf("All = %q; want %q", all, want)
		}
		if n := srv.Calls("GetSecretValue"); n != 3 {
			t.Errorf("GetSecretValue calls after a read from memory = %d; want 3", n)
		}
		if s, _ := c.Secret(ctx, cache.SecretRequest{SecretID: "db"}); s.Value() != "two" || srv.Calls("GetSecretValue") != 3 {
			t.Errorf("plain read = %q with %d calls; want two from the same entry", s.Value(), srv.Calls("GetSecretValue"))
		}

		// The rotation ends and is announced: AWSPENDING is gone.
		if err := srv.FinishRotation("db", pending); err != nil {
			t.Fatal(err)
		}
		c.InvalidateSecret(cache.SecretRequest{SecretID: "db"})
		v, err = c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db"})
		if got, want := values(v), [3]string{"three", "two", ""}; err != nil || got != want {
			t.Errorf("after the rotation: SecretVersions = %q, %v; want %q", got, err, want)
		}
	})
}

// Entries read at different times: a current entry older than the
// rotation is caught by Previous naming it, and read again; a Pending
// that became Current is dropped.
func TestSecretVersionsDisagree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		srv, pending := staged(t)
		c := newCache(t, srv)
		if _, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"}); err != nil { // "two" in memory
			t.Fatal(err)
		}
		if _, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db", VersionStage: source.StagePending}); err != nil { // "three"
			t.Fatal(err)
		}
		if err := srv.FinishRotation("db", pending); err != nil { // not announced
			t.Fatal(err)
		}
		v, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db"})
		// Previous (read now) is "two", the cached Current: Current is read
		// again ("three"), and then the cached Pending equals it: dropped.
		if got, want := values(v), [3]string{"three", "two", ""}; err != nil || got != want {
			t.Errorf("SecretVersions = %q, %v; want %q", got, err, want)
		}
	})
}

// A secret with one version has no Previous and no Pending; a read by
// stage or version id is refused.
func TestSecretVersionsEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		t.Cleanup(srv.Close)
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
			t.Fatal(err)
		}
		c := newCache(t, srv)
		ctx := context.Background()
		v, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db"})
		if got, want := values(v), [3]string{"one", "", ""}; err != nil || got != want || len(v.All()) != 1 {
			t.Errorf("SecretVersions = %q (%d), %v; want %q (1)", got, len(v.All()), err, want)
		}
		if _, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db", VersionStage: "AWSCURRENT"}); !errors.Is(err, cache.ErrInvalidRequest) {
			t.Errorf("SecretVersions(with a stage) = %v; want ErrInvalidRequest", err)
		}
		if _, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "missing"}); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("SecretVersions(missing) = %v; want ErrNotFound", err)
		}
		srv.Inject(sourcetest.Fault{Op: "GetSecretValue", Code: "InternalServiceError", Status: 500, Message: "boom"})
		if _, err := c.SecretVersions(ctx, cache.SecretRequest{SecretID: "db", Refresh: true}); !errors.Is(err, cache.ErrUnavailable) {
			t.Errorf("SecretVersions(upstream failing) = %v; want ErrUnavailable", err)
		}
	})
}

var errRejected = errors.New("password authentication failed")

// server is a database that accepts one password.
func server(accepts string, tried *[]string) func(cache.Secret) error {
	return func(s cache.Secret) error {
		*tried = append(*tried, s.Value())
		if s.Value() != accepts {
			return errRejected
		}
		return nil
	}
}

func isRejected(err error) bool { return errors.Is(err, errRejected) }

// WithRotatingSecret tries current, previous, pending, then current read
// again, each version once.
func TestWithRotatingSecret(t *testing.T) {
	tests := []struct {
		name    string
		accepts string
		finish  bool // the rotation finished upstream after "two" was cached
		want    []string
		err     error
	}{
		{"current", "two", false, []string{"two"}, nil},
		{"previous", "one", false, []string{"two", "one"}, nil},
		{"pending", "three", false, []string{"two", "one", "three"}, nil},
		{"refreshed current", "three", true, []string{"two", "three"}, nil},
		{"none", "four", false, []string{"two", "one", "three"}, errRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, pending := staged(t)
				c := newCache(t, srv)
				ctx := context.Background()
				if _, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"}); err != nil {
					t.Fatal(err)
				}
				if tt.finish {
					if err := srv.FinishRotation("db", pending); err != nil {
						t.Fatal(err)
					}
				}
				var tried []string
				err := c.WithRotatingSecret(ctx, cache.SecretRequest{SecretID: "db"}, isRejected, server(tt.accepts, &tried))
				if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
					t.Errorf("WithRotatingSecret = %v; want %v", err, tt.err)
				}
				if !slices.Equal(tried, tt.want) {
					t.Errorf("versions tried = %q; want %q", tried, tt.want)
				}
			})
		})
	}
}

// An error that is not a rejection, or a nil rejected, ends at once; a
// request naming a stage is refused.
func TestWithRotatingSecretStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, _ := staged(t)
		c := newCache(t, srv)
		ctx := context.Background()
		other := errors.New("connection refused")
		n := 0
		fn := func(cache.Secret) error { n++; return other }
		if err := c.WithRotatingSecret(ctx, cache.SecretRequest{SecretID: "db"}, isRejected, fn); !errors.Is(err, other) || n != 1 {
			t.Errorf("WithRotatingSecret = %v after %d calls; want the error after 1", err, n)
		}
		n = 0
		rej := func(cache.Secret) error { n++; return errRejected }
		if err := c.WithRotatingSecret(ctx, cache.SecretRequest{SecretID: "db"}, nil, rej); !errors.Is(err, errRejected) || n != 1 {
			t.Errorf("WithRotatingSecret(nil rejected) = %v after %d calls; want the error after 1", err, n)
		}
		if err := c.WithRotatingSecret(ctx, cache.SecretRequest{SecretID: "db", VersionStage: "AWSPREVIOUS"}, isRejected, rej); !errors.Is(err, cache.ErrInvalidRequest) {
			t.Errorf("WithRotatingSecret(with a stage) = %v; want ErrInvalidRequest", err)
		}
	})
}

// SecretVersions answered from memory allocates nothing.
func TestSecretVersionsHitAllocs(t *testing.T) {
	if raceOn {
		t.Skip("the race detector's instrumentation allocates here; checked without -race")
	}
	srv, _ := staged(t)
	c := newCache(t, srv)
	ctx := context.Background()
	req := cache.SecretRequest{SecretID: "db"}
	if _, err := c.SecretVersions(ctx, req); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.SecretVersions(ctx, req) }); n != 0 {
		t.Errorf("SecretVersions from memory: %v allocations; want 0", n)
	}
}

func BenchmarkSecretVersionsHit(b *testing.B) {
	srv, _ := staged(b)
	c, err := cache.New(srv.InMemoryClients(), cache.WithTTL(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	req := cache.SecretRequest{SecretID: "db"}
	if _, err := c.SecretVersions(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = c.SecretVersions(ctx, req)
	}
}
