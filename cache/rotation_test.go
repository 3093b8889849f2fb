package cache_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// rotating is an in-memory fake holding the secret db ("one") that
// rotates daily, its next rotation at next; for tests inside a bubble.
func rotating(t *testing.T, next time.Duration) *sourcetest.Server {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SetRotation("db", sourcetest.Rotation{Enabled: true, AfterDays: 1, Next: time.Now().Add(next)}); err != nil {
		t.Fatal(err)
	}
	return srv
}

// rotate rotates db to value as a rotation function does: a pending
// version, then AWSCURRENT moved to it.
func rotate(t *testing.T, srv *sourcetest.Server, value string) {
	t.Helper()
	id, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String(value), Stages: []string{source.StagePending}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.FinishRotation("db", id); err != nil {
		t.Fatal(err)
	}
}

func newRotationCache(t *testing.T, srv *sourcetest.Server, opts ...cache.Option) *cache.Cache {
	t.Helper()
	opts = append([]cache.Option{cache.WithRefreshAhead(0), cache.WithRotationAware(true)}, opts...)
	c, err := cache.New(srv.InMemoryClients(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func readSecret(t *testing.T, c *cache.Cache, req cache.SecretRequest) string {
	t.Helper()
	s, err := c.Secret(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return s.Value()
}

type calls struct{ get, describe int }

func callsOf(srv *sourcetest.Server) calls {
	return calls{srv.Calls("GetSecretValue"), srv.Calls("DescribeSecret")}
}

// An entry expires shortly after its NextRotationDate though its TTL is an
// hour: the read after the rotation is fresh.
func TestRotationCapsTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := rotating(t, 10*time.Minute)
		c := newRotationCache(t, srv, cache.WithTTL(time.Hour))
		req := cache.SecretRequest{SecretID: "db"}
		if v := readSecret(t, c, req); v != "one" {
			t.Fatalf("first read = %q; want one", v)
		}
		if got, want := callsOf(srv), (calls{1, 1}); got != want {
			t.Errorf("calls after the first read = %+v; want %+v (fetched together)", got, want)
		}
		advance(10 * time.Minute)
		rotate(t, srv, "two")
		if v := readSecret(t, c, req); v != "one" {
			t.Errorf("read at the rotation = %q; want the cached one (the jitter has not passed)", v)
		}
		advance(cache.DefaultRotationJitter)
		if v := readSecret(t, c, req); v != "two" {
			t.Errorf("read a jitter after the rotation = %q; want two", v)
		}
		// The reload found a new AWSCURRENT: DescribeSecret, then GetSecretValue.
		if got, want := callsOf(srv), (calls{2, 2}); got != want {
			t.Errorf("calls after the rotation = %+v; want %+v", got, want)
		}
		// The next rotation is a day away: the TTL decides again.
		advance(59 * time.Minute)
		readSecret(t, c, req)
		if got, want := callsOf(srv), (calls{2, 2}); got != want {
			t.Errorf("calls within the TTL = %+v; want %+v", got, want)
		}
	})
}

// After the TTL, a DescribeSecret that finds the same AWSCURRENT keeps the
// value: one DescribeSecret, no GetSecretValue. A new version reloads it.
func TestRevalidation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := rotating(t, 24*time.Hour)
		c := newRotationCache(t, srv, cache.WithTTL(5*time.Minute))
		req := cache.SecretRequest{SecretID: "db"}
		readSecret(t, c, req)
		srv.ResetCounters()
		advance(5 * time.Minute)
		if v := readSecret(t, c, req); v != "one" {
			t.Fatalf("read after the TTL = %q; want one", v)
		}
		if got, want := callsOf(srv), (calls{0, 1}); got != want {
			t.Errorf("calls of a revalidation = %+v; want %+v", got, want)
		}
		advance(time.Minute)
		readSecret(t, c, req)
		if got, want := callsOf(srv), (calls{0, 1}); got != want {
			t.Errorf("calls after a revalidation, within the TTL = %+v; want %+v (a hit)", got, want)
		}
		if _, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("two")}); err != nil {
			t.Fatal(err)
		}
		advance(5 * time.Minute)
		if v := readSecret(t, c, req); v != "two" {
			t.Errorf("read after a new version = %q; want two", v)
		}
		if got, want := callsOf(srv), (calls{1, 2}); got != want {
			t.Errorf("calls after a new version = %+v; want %+v", got, want)
		}
	})
}

// Off by default: no DescribeSecret, the TTL alone. A read by VersionID is
// never described. A NextRotationDate already past does not shorten the
// TTL. A DescribeSecret that fails never fails a read.
func TestRotationEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := rotating(t, -time.Hour) // late
		c, err := cache.New(srv.InMemoryClients(), cache.WithTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readSecret(t, c, cache.SecretRequest{SecretID: "db"})
		if got, want := callsOf(srv), (calls{1, 0}); got != want {
			t.Errorf("calls without the option = %+v; want %+v", got, want)
		}

		srv.ResetCounters()
		rc := newRotationCache(t, srv, cache.WithTTL(time.Hour))
		readSecret(t, rc, cache.SecretRequest{SecretID: "db"})
		advance(30 * time.Minute)
		readSecret(t, rc, cache.SecretRequest{SecretID: "db"})
		if got, want := callsOf(srv), (calls{1, 1}); got != want {
			t.Errorf("calls with a past NextRotationDate = %+v; want %+v (the TTL holds)", got, want)
		}

		srv.ResetCounters()
		s, err := rc.Secret(context.Background(), cache.SecretRequest{SecretID: "db"})
		if err != nil {
			t.Fatal(err)
		}
		readSecret(t, rc, cache.SecretRequest{SecretID: "db", VersionID: s.VersionID})
		if got, want := callsOf(srv), (calls{1, 0}); got != want {
			t.Errorf("calls of a read by VersionID = %+v; want %+v", got, want)
		}

		srv.ResetCounters()
		srv.Inject(sourcetest.Fault{Op: "DescribeSecret", Code: "AccessDeniedException", Status: 400,
			Message: "not authorized to perform secretsmanager:DescribeSecret"})
		if v := readSecret(t, rc, cache.SecretRequest{SecretID: "db", VersionStage: source.StageCurrent}); v != "one" {
			t.Errorf("read with DescribeSecret denied = %q; want one", v)
		}
		advance(time.Hour)
		if v := readSecret(t, rc, cache.SecretRequest{SecretID: "db", VersionStage: source.StageCurrent}); v != "one" {
			t.Errorf("reload with DescribeSecret denied = %q; want one", v)
		}
		if got, want := callsOf(srv), (calls{2, 2}); got != want {
			t.Errorf("calls with DescribeSecret denied = %+v; want %+v", got, want)
		}
	})
}

func TestRotationOptions(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	cl := srv.InMemoryClients()
	cl.Describe = nil
	if _, err := cache.New(cl, cache.WithRotationAware(true)); err == nil || !strings.Contains(err.Error(), "Describe") {
		t.Errorf("New(no Describe, WithRotationAware) = %v; want an error naming Describe", err)
	}
	if _, err := cache.New(cl, cache.WithRotationJitter(0)); err == nil || !strings.Contains(err.Error(), "WithRotationJitter") {
		t.Errorf("New(WithRotationJitter(0)) = %v; want an error naming it", err)
	}
	c, err := cache.New(cl, cache.WithRotationAware(false))
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
}

// Against moto: a rotation-aware secret read first makes GetSecretValue and
// DescribeSecret; a reload (MaxAge forces one) with AWSCURRENT unchanged
// makes one DescribeSecret and no GetSecretValue; after PutSecretValue the
// reload reads the new value.
func TestRevalidationAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	sm := srv.SecretsManager()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("db"),
		RotationRules: &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)}, RotateImmediately: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	var gets, describes atomic.Int64
	upstream := srv.Clients()
	cl := upstream
	cl.Secret = source.SecretGetterFunc(func(ctx context.Context, in *secretsmanager.GetSecretValueInput, o ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
		gets.Add(1)
		return upstream.Secret.GetSecretValue(ctx, in, o...)
	})
	cl.Describe = source.SecretDescriberFunc(func(ctx context.Context, in *secretsmanager.DescribeSecretInput, o ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
		describes.Add(1)
		return upstream.Describe.DescribeSecret(ctx, in, o...)
	})
	c, err := cache.New(cl, cache.WithTTL(time.Hour), cache.WithRefreshAhead(0), cache.WithRotationAware(true))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func(maxAge time.Duration) string {
		t.Helper()
		s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db", MaxAge: maxAge})
		if err != nil {
			t.Fatal(err)
		}
		return s.Value()
	}
	first := read(0)
	if g, d := gets.Load(), describes.Load(); g != 1 || d != 1 {
		t.Errorf("first read: GetSecretValue %d, DescribeSecret %d; want 1 and 1", g, d)
	}
	if v := read(time.Nanosecond); v != first {
		t.Errorf("revalidated read = %q; want %q", v, first)
	}
	if g, d := gets.Load(), describes.Load(); g != 1 || d != 2 {
		t.Errorf("after a revalidation: GetSecretValue %d, DescribeSecret %d; want 1 and 2", g, d)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("two")}); err != nil {
		t.Fatal(err)
	}
	if v := read(time.Nanosecond); v != "two" {
		t.Errorf("read after PutSecretValue = %q; want two", v)
	}
	if g, d := gets.Load(), describes.Load(); g != 2 || d != 3 {
		t.Errorf("after a new version: GetSecretValue %d, DescribeSecret %d; want 2 and 3", g, d)
	}
}
