package resolve_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/resolve"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// newCache returns a cache over a fake seeded with the examples' values.
// In production: c, err := cache.NewDefault(ctx).
func newCache() (*cache.Cache, func()) {
	srv := sourcetest.NewInMemory()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db-host", Value: "db.internal"})
	srv.PutParameter(sourcetest.Parameter{Name: "/app/timeout", Value: "2s"})
	srv.PutParameter(sourcetest.Parameter{Name: "/app/hosts", Value: "a.example,b.example", Type: "StringList"})
	srv.PutParameter(sourcetest.Parameter{Name: "/app/max-conns", Value: "10"})
	pw := `{"username":"app","password":"s3cr3t"}`
	srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: &pw})
	c, err := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	return c, func() { c.Close(); srv.Close() }
}

func ExampleParse() {
	for _, v := range []string{
		"ssm:/app/db-host:3",
		"secretsmanager:app/db#password",
		"arn:aws:secretsmanager:us-west-2:123456789012:secret:app/db-AbCdEf:password::",
		"postgres://app:{{resolve:secretsmanager:app/db:SecretString:password}}@{{resolve:ssm:/app/db-host}}/app",
		"/app/db-host",
	} {
		t, err := resolve.Parse("DB", v)
		if err != nil {
			log.Fatal(err)
		}
		if t == nil {
			fmt.Printf("%s: not a reference\n", v)
			continue
		}
		for _, r := range t.References() {
			fmt.Printf("%s %s %q key=%q version=%d\n", r.Kind, r.Form, r.Name, r.JSONKey, r.Version)
		}
	}
	_, err := resolve.Parse("DB", "ssm:/app/db host")
	fmt.Println(err)
	// Output:
	// parameter short "/app/db-host" key="" version=3
	// secret short "app/db" key="password" version=0
	// secret ARN "arn:aws:secretsmanager:us-west-2:123456789012:secret:app/db-AbCdEf" key="password" version=0
	// secret CloudFormation "app/db" key="password" version=0
	// parameter CloudFormation "/app/db-host" key="" version=0
	// /app/db-host: not a reference
	// resolve: DB: "ssm:/app/db host": the parameter name has ' ' at offset 7; allowed: a-zA-Z0-9_.-/ (the form is ssm:NAME[:VERSION|:LABEL], NAME a parameter name (a-zA-Z0-9_.-/) or ARN)
}

func ExampleEnv() {
	c, done := newCache()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	env, err := resolve.Env(ctx, c, []string{ // os.Environ()
		"DB_HOST=ssm:/app/db-host",
		"DB_URL=postgres://app:{{resolve:secretsmanager:app/db:SecretString:password}}@{{resolve:ssm:/app/db-host}}/app",
		"DB_USER=secretsmanager:app/db#username",
		"HOME=/home/app",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(env["DB_HOST"], env["DB_USER"], env["HOME"])
	fmt.Println(env["DB_URL"])

	_, err = resolve.Env(ctx, c, []string{"DB_PASSWORD=secretsmanager:app/db#pasword", "API_KEY=ssm:/app/api-key"})
	fmt.Println(err)
	// Output:
	// db.internal app /home/app
	// postgres://app:s3cr3t@db.internal/app
	// resolve DB_PASSWORD (secretsmanager:app/db#pasword): secret app/db: JSON key "pasword": no such key
	// resolve API_KEY (ssm:/app/api-key): GetParameters "/app/api-key": not found: ParameterNotFound: listed in InvalidParameters
}

func ExampleSetEnv() {
	c, done := newCache()
	defer done()
	os.Setenv("EXAMPLE_DB_HOST", "ssm:/app/db-host")
	defer os.Unsetenv("EXAMPLE_DB_HOST")

	if err := resolve.SetEnv(context.Background(), c); err != nil {
		log.Fatal(err)
	}
	fmt.Println(os.Getenv("EXAMPLE_DB_HOST"))
	// Output: db.internal
}

func ExampleValue() {
	c, done := newCache()
	defer done()
	v, err := resolve.Value(context.Background(), c, "DB_USER", "{{resolve:secretsmanager:app/db:SecretString:username}}")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)
	// Output: app
}

func ExampleLoad() {
	c, done := newCache()
	defer done()

	var cfg struct {
		Host     string         `parsec:"ssm:/app/db-host,required"`
		Password resolve.Secret `parsec:"secretsmanager:app/db#password,required"`
		Timeout  time.Duration  `parsec:"ssm:/app/timeout,default=5s"`
		Hosts    []string       `parsec:"ssm:/app/hosts"`
		Retries  int            `parsec:"ssm:/app/retries,default=3"`
	}
	if err := resolve.Load(context.Background(), c, &cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", cfg)
	fmt.Println(len(cfg.Password.Value()))
	// Output:
	// {Host:db.internal Password:[REDACTED] Timeout:2s Hosts:[a.example b.example] Retries:3}
	// 6
}

func ExampleWatch() {
	c, done := newCache()
	defer done()

	maxConns, err := resolve.Watch[int](context.Background(), c, "ssm:/app/max-conns")
	if err != nil {
		log.Fatal(err)
	}
	defer maxConns.Close()
	fmt.Println(maxConns.Get(), maxConns.Version())
	// Output: 10 1
}

func ExampleLive_OnChange() {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/max-conns", Value: "10"})
	c, _ := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Close()
	ctx := context.Background()

	maxConns, err := resolve.Watch[int](ctx, c, "ssm:/app/max-conns")
	if err != nil {
		log.Fatal(err)
	}
	defer maxConns.Close()
	changed := make(chan struct{})
	maxConns.OnChange(func(old, new int) {
		fmt.Println("max-conns:", old, "→", new)
		close(changed)
	})

	srv.PutParameter(sourcetest.Parameter{Name: "/app/max-conns", Value: "20"})
	c.InvalidateParameter(cache.ParameterRequest{Name: "/app/max-conns"}) // as a change event would
	c.Parameter(ctx, cache.ParameterRequest{Name: "/app/max-conns", WithDecryption: true})
	<-changed
	fmt.Println(maxConns.Get())
	// Output:
	// max-conns: 10 → 20
	// 20
}

func ExampleSecret() {
	pw := resolve.NewSecret("s3cr3t")
	fmt.Printf("%v %+v %#v %s\n", pw, struct{ Password resolve.Secret }{pw}, pw, pw)
	slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("connecting", "password", pw)
	fmt.Println(pw.Value())
	// Output:
	// [REDACTED] {Password:[REDACTED]} [REDACTED] [REDACTED]
	// level=INFO msg=connecting password=[REDACTED]
	// s3cr3t
}
