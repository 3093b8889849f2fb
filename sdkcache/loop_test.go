package sdkcache_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestNoLoop: a cache whose upstream clients are built by Source from a
// config that carries the very middleware answering from that cache still
// reaches SSM once per miss, and does not wait on itself.
func TestNoLoop(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	seed(t, srv, "/app/p", "v")
	cfg := srv.Config()
	var up source.Clients // built after Attach, from the config with the middleware
	c, err := cache.New(source.Clients{Parameter: source.ParameterGetterFunc(
		func(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
			return up.Parameter.GetParameter(ctx, in, optFns...)
		})}, cache.WithLoadTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sdkcache.Attach(&cfg, c)
	up = sdkcache.Source(cfg)
	client := ssm.NewFromConfig(cfg)
	// Were the cache's call answered by the middleware, the first read would
	// wait on its own load until the load timeout and fail.
	for range 100 {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")})
		if err != nil || aws.ToString(out.Parameter.Value) != "v" {
			t.Fatalf("GetParameter = %v", err)
		}
	}
	if n := srv.Calls("GetParameter"); n != 1 {
		t.Errorf("upstream GetParameter calls = %d; want 1", n)
	}
}

// TestBackgroundRefreshGoesUpstream: the cache's refresh-ahead, which runs
// on its own goroutine, reaches SSM and brings the new value; had it come
// back through the middleware it would have stored the cached value again.
func TestBackgroundRefreshGoesUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, cfg, _ := setup(t, cache.WithTTL(100*time.Second), cache.WithRefreshAhead(0.5))
		seed(t, srv, "/app/p", "v1")
		client := ssm.NewFromConfig(cfg)
		read := func() string {
			out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")})
			if err != nil {
				t.Fatal(err)
			}
			return aws.ToString(out.Parameter.Value)
		}
		if v := read(); v != "v1" {
			t.Fatalf("first read = %q", v)
		}
		seed(t, srv, "/app/p", "v2")
		<-time.After(60 * time.Second) // fake time: past the refresh point, before the TTL
		if v := read(); v != "v1" {
			t.Fatalf("read at 60 s = %q; want the cached v1 while the refresh runs", v)
		}
		synctest.Wait()
		if v := read(); v != "v2" {
			t.Errorf("read after the refresh = %q; want v2", v)
		}
		if n := srv.Calls("GetParameter"); n != 2 {
			t.Errorf("upstream GetParameter calls = %d; want 2", n)
		}
	})
}
