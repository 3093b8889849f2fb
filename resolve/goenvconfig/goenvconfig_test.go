package goenvconfig_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/resolve"
	"github.com/parsec-go/parsec/resolve/goenvconfig"
	"github.com/parsec-go/parsec/source/sourcetest"
)

type config struct {
	Host     string         `env:"DB_HOST, required"`
	Password resolve.Secret `env:"DB_PASSWORD"`
	Timeout  time.Duration  `env:"TIMEOUT, default=5s"`
	Hosts    []string       `env:"HOSTS"`
	Plain    string         `env:"PLAIN"`
}

func setup(t *testing.T) (*sourcetest.Server, *cache.Cache) {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	for name, v := range map[string]string{"/app/db-host": "db.internal", "/app/timeout": "1m", "/app/hosts": "a,b"} {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: name, Value: v}); err != nil {
			t.Fatal(err)
		}
	}
	pw := `{"password":"pw"}`
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: &pw}); err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(srv.Clients(), cache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

var environ = []string{
	"DB_HOST=ssm:/app/db-host",
	"DB_PASSWORD={{resolve:secretsmanager:app/db:SecretString:password}}",
	"TIMEOUT=ssm:/app/timeout",
	"HOSTS=ssm:/app/hosts",
	"PLAIN=plain",
}

func check(t *testing.T, cfg config) {
	t.Helper()
	if cfg.Host != "db.internal" || cfg.Password.Value() != "pw" || cfg.Timeout != time.Minute ||
		strings.Join(cfg.Hosts, "|") != "a|b" || cfg.Plain != "plain" {
		t.Errorf("envconfig.ProcessWith = %+v (password %q); want the resolved values", cfg, cfg.Password.Value())
	}
}

func TestLookuper(t *testing.T) {
	srv, c := setup(t)
	ctx := context.Background()
	l, err := goenvconfig.Lookuper(ctx, c, environ)
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg, Lookuper: l}); err != nil {
		t.Fatal(err)
	}
	check(t, cfg)
	if n := srv.Calls(""); n != 2 {
		t.Errorf("upstream calls = %d; want 2 (one GetParameters, one BatchGetSecretValue)", n)
	}
}

func TestMutator(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	m := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	// go-envconfig applies no mutator to a struct field that decodes
	// itself (resolve.Secret): such fields need the Lookuper.
	var cfg struct {
		Host     string        `env:"DB_HOST, required"`
		Password string        `env:"DB_PASSWORD"`
		Timeout  time.Duration `env:"TIMEOUT, default=5s"`
		Plain    string        `env:"PLAIN"`
	}
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg, Lookuper: envconfig.MapLookuper(m),
		Mutators: []envconfig.Mutator{goenvconfig.Mutator(c)}}); err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "db.internal" || cfg.Password != "pw" || cfg.Timeout != time.Minute || cfg.Plain != "plain" {
		t.Errorf("envconfig.ProcessWith with the Mutator = %+v; want the resolved values", cfg)
	}

	m["DB_HOST"] = "ssm:/app/absent"
	var cfg2 config
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg2, Lookuper: envconfig.MapLookuper(m),
		Mutators: []envconfig.Mutator{goenvconfig.Mutator(c)}})
	if err == nil || !strings.Contains(err.Error(), "DB_HOST") || !strings.Contains(err.Error(), "ssm:/app/absent") {
		t.Errorf("ProcessWith with a missing parameter: %v; want an error naming DB_HOST and the reference", err)
	}
}

func TestLookuperError(t *testing.T) {
	_, c := setup(t)
	if _, err := goenvconfig.Lookuper(context.Background(), c, []string{"X=secretsmanager:app/db#nokey"}); err == nil ||
		!strings.Contains(err.Error(), "X") || !strings.Contains(err.Error(), `"nokey"`) {
		t.Errorf("Lookuper with a missing key: %v; want an error naming X and the key", err)
	}
}
