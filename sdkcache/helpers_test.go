package sdkcache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// setup returns an in-memory fake, a config for it with the middleware
// installed, and the cache behind the middleware. Both are closed when the
// test ends.
func setup(t testing.TB, opts ...cache.Option) (*sourcetest.Server, aws.Config, *cache.Cache) {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	cfg := srv.Config()
	c, err := sdkcache.Install(&cfg, opts...)
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, cfg, c
}

func seed(t testing.TB, srv *sourcetest.Server, name, value string) {
	t.Helper()
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: name, Value: value}); err != nil {
		t.Fatalf("PutParameter(%q): %v", name, err)
	}
}

func seedSecret(t testing.TB, srv *sourcetest.Server, name, value string) string {
	t.Helper()
	id, err := srv.CreateSecret(sourcetest.Secret{Name: name}, sourcetest.SecretVersion{String: aws.String(value)})
	if err != nil {
		t.Fatalf("CreateSecret(%q): %v", name, err)
	}
	return id
}

func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

var ctx = context.Background()
