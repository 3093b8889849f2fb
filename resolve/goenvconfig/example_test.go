package goenvconfig_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/sethvargo/go-envconfig"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/resolve/goenvconfig"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func ExampleLookuper() {
	srv := sourcetest.NewInMemory() // in production: c, err := cache.NewDefault(ctx)
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db-host", Value: "db.internal"})
	c, _ := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Close()
	ctx := context.Background()
	environ := []string{"DB_HOST=ssm:/app/db-host"} // os.Environ()

	var cfg struct {
		Host string `env:"DB_HOST, required"`
	}
	l, err := goenvconfig.Lookuper(ctx, c, environ)
	if err != nil {
		log.Fatal(err)
	}
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg, Lookuper: l}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Host)
	// Output: db.internal
}

func ExampleMutator() {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db-host", Value: "db.internal"})
	c, _ := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	defer c.Close()
	ctx := context.Background()

	var cfg struct {
		Host string `env:"DB_HOST"`
	}
	err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &cfg,
		Lookuper: envconfig.MapLookuper(map[string]string{"DB_HOST": "ssm:/app/db-host"}), // envconfig.OsLookuper()
		Mutators: []envconfig.Mutator{goenvconfig.Mutator(c)},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.Host)
	// Output: db.internal
}
