package cache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// The usual shape in a Lambda function: build the cache once, at INIT,
// from the SDK's default configuration and the extension's environment
// variables; read inside the handler.
func Example_lambda() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	values, err := cache.New(source.New(cfg), cache.WithEnv(os.Getenv))
	if err != nil {
		panic(err)
	}
	handler := func(ctx context.Context) (string, error) {
		p, err := values.Parameter(ctx, cache.ParameterRequest{Name: "/app/api-key", WithDecryption: true})
		if err != nil {
			return "", err
		}
		return p.Value(), nil
	}
	_ = handler // lambda.Start(handler)
}

func Example() {
	// A fake SSM and Secrets Manager for the example; use source.New(cfg)
	// in production.
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db/host", Value: "db.internal"})
	pw := "s3cret"
	srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: &pw, VersionID: "EXAMPLE1-89ab-cdef-0123-456789abcdef"})

	c, err := cache.New(srv.Clients())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	for range 3 {
		host, _ := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/db/host"})
		secret, _ := c.Secret(ctx, cache.SecretRequest{SecretID: "app/db"})
		fmt.Println(host.Value(), len(secret.Value()))
	}
	fmt.Println("upstream calls:", srv.Calls(""))
	fmt.Printf("printing a secret redacts it: %v\n", func() cache.Secret { s, _ := c.Secret(ctx, cache.SecretRequest{SecretID: "app/db"}); return s }())
	// Output:
	// db.internal 6
	// db.internal 6
	// db.internal 6
	// upstream calls: 2
	// printing a secret redacts it: Secret{Name:app/db VersionID:EXAMPLE1-89ab-cdef-0123-456789abcdef Value:[REDACTED]}
}

func ExampleCache_Prefetch() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	for _, n := range []string{"/app/a", "/app/b", "/app/c"} {
		srv.PutParameter(sourcetest.Parameter{Name: n, Value: "v"})
	}
	c, _ := cache.New(srv.Clients())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second) // what INIT can afford
	defer cancel()
	err := c.Prefetch(ctx, cache.Prefetch{
		Parameters: []cache.ParameterRequest{{Name: "/app/a"}, {Name: "/app/b"}, {Name: "/app/c"}},
		Required:   true,
	})
	fmt.Println(err, srv.Calls("GetParameters"), "call for 3 parameters")
	// Output: <nil> 1 call for 3 parameters
}

func ExampleParameterJSON() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/config", Value: `{"host":"db.internal","port":5432}`})
	c, _ := cache.New(srv.Clients())
	defer c.Close()

	type config struct {
		Host string `json:"host"`
		Port int    `json:"port"`
	}
	cfg, err := cache.ParameterJSON[config](context.Background(), c, cache.ParameterRequest{Name: "/app/config"})
	fmt.Printf("%+v %v\n", cfg, err)
	// Output: {Host:db.internal Port:5432} <nil>
}

func ExampleCache_WithSecret() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	old, rotated := "old-password", "new-password"
	srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: &old})
	c, _ := cache.New(srv.Clients())
	defer c.Close()
	ctx := context.Background()
	c.Secret(ctx, cache.SecretRequest{SecretID: "db"}) // cached: old-password
	srv.PutSecretValue("db", sourcetest.SecretVersion{String: &rotated})

	errAuth := errors.New("authentication failed")
	connect := func(s cache.Secret) error {
		if s.Value() != "new-password" {
			return errAuth
		}
		fmt.Println("connected")
		return nil
	}
	err := c.WithSecret(ctx, cache.SecretRequest{SecretID: "db"},
		func(err error) bool { return errors.Is(err, errAuth) }, connect)
	fmt.Println(err)
	// Output:
	// connected
	// <nil>
}

// A read may ask for a value younger than the TTL allows, as Powertools'
// max_age does: MaxAge reloads an older entry, and the reload serves every
// later read. InvalidateParameter drops every form of a name at once.
func ExampleParameterRequest_maxAge() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "off"})
	c, err := cache.New(srv.Clients()) // TTL 300 s
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()
	read := func(maxAge time.Duration) string {
		p, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/flag", MaxAge: maxAge})
		if err != nil {
			return err.Error()
		}
		return p.Value()
	}
	fmt.Println(read(0))
	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "on"}) // behind the cache's back
	fmt.Println(read(0), read(time.Hour))                                  // both within the TTL and the hour
	fmt.Println(read(time.Nanosecond), read(0))                            // fetched after the read asked; then a hit
	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "off"})
	c.InvalidateParameter(cache.ParameterRequest{Name: "/app/flag"})
	fmt.Println(read(0))
	fmt.Println("upstream calls:", srv.Calls("GetParameter"))
	// Output:
	// off
	// off off
	// on on
	// off
	// upstream calls: 3
}
