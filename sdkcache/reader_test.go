package sdkcache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// A Reader answers from the cache, sends calls with option functions
// upstream (counted in Bypassed), refuses a nil input and, without an
// upstream client, bypasses with cache.ErrNoSource.
func TestReader(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	pw := "pw"
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/p", Value: "v"}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "s"}, sourcetest.SecretVersion{String: &pw}); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := sdkcache.NewReader(c, srv.Clients())
	ctx := context.Background()
	for range 3 {
		if out, err := r.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}); err != nil || aws.ToString(out.Parameter.Value) != "v" {
			t.Fatalf("GetParameter = %v, %v", out, err)
		}
		if out, err := r.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}); err != nil || aws.ToString(out.SecretString) != pw {
			t.Fatalf("GetSecretValue = %v", err)
		}
	}
	if p, s := srv.CallsFor("GetParameter", "/app/p"), srv.CallsFor("GetSecretValue", "s"); p != 1 || s != 1 {
		t.Errorf("upstream calls = %d, %d; want 1 each", p, s)
	}
	if _, err := r.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}, func(*ssm.Options) {}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}, func(*secretsmanager.Options) {}); err != nil {
		t.Fatal(err)
	}
	if p, s, b := srv.CallsFor("GetParameter", "/app/p"), srv.CallsFor("GetSecretValue", "s"), r.Bypassed(); p != 2 || s != 2 || b != 2 {
		t.Errorf("after two calls with options: upstream %d, %d, Bypassed %d; want 2, 2, 2", p, s, b)
	}
	var re *cache.RequestError
	if _, err := r.GetParameter(ctx, nil); !errors.As(err, &re) {
		t.Errorf("GetParameter(nil) = %v; want a *cache.RequestError", err)
	}
	if _, err := r.GetSecretValue(ctx, nil); !errors.As(err, &re) {
		t.Errorf("GetSecretValue(nil) = %v; want a *cache.RequestError", err)
	}
	none := sdkcache.NewReader(c, source.Clients{})
	if _, err := none.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}, func(*ssm.Options) {}); !errors.Is(err, cache.ErrNoSource) {
		t.Errorf("bypass without an upstream = %v; want ErrNoSource", err)
	}
}
