package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parsec-go/parsec/cache"
)

type limits struct {
	Max   int      `json:"max"`
	Names []string `json:"names"`
}

type dbConfig struct {
	Host     string `parsec:"ssm:/app/db-host,required"`
	Port     uint16 `parsec:"secretsmanager:app/db#port"`
	Password Secret `parsec:"secretsmanager:app/db#password,required"`
}

type appConfig struct {
	DB      dbConfig
	Timeout time.Duration `parsec:"ssm:/app/timeout,default=5s"`
	Retries int           `parsec:"ssm:/app/retries,default=3"`
	Ratio   float64       `parsec:"ssm:/app/ratio"`
	Debug   bool          `parsec:"{{resolve:ssm:/app/debug}}"`
	Hosts   []string      `parsec:"ssm:/app/hosts"`
	Limits  limits        `parsec:"ssm:/app/limits"`
	Addr    netip.Addr    `parsec:"ssm:/app/addr"`
	DSN     Secret        `parsec:"postgres://u:{{resolve:secretsmanager:app/db:SecretString:password}}@{{resolve:ssm:/app/db-host}}/x"`
	Missing string        `parsec:"ssm:/app/absent"`
	Kept    string        `parsec:"ssm:/app/absent2"`
	Ignored string        `parsec:"-"`
	Plain   string
}

func TestLoad(t *testing.T) {
	r := newRegions(t)
	put(t, r.east, "/app/db-host", "db.internal")
	put(t, r.east, "/app/timeout", "1m30s")
	put(t, r.east, "/app/ratio", "0.25")
	put(t, r.east, "/app/debug", "true")
	putType(t, r.east, "/app/hosts", "a.example,b.example", "StringList")
	put(t, r.east, "/app/limits", `{"max":7,"names":["x","y"]}`)
	put(t, r.east, "/app/addr", "10.0.0.1")
	secret(t, r.east, east, "app/db", `{"password":"pw","port":5432}`)
	c := r.cache(t)

	cfg := appConfig{Kept: "caller's", Plain: "untouched"}
	if err := Load(context.Background(), c, &cfg); err != nil {
		t.Fatal(err)
	}
	want := appConfig{
		DB:      dbConfig{Host: "db.internal", Port: 5432, Password: cfg.DB.Password},
		Timeout: 90 * time.Second, Retries: 3, Ratio: 0.25, Debug: true,
		Hosts:  []string{"a.example", "b.example"},
		Limits: limits{Max: 7, Names: []string{"x", "y"}},
		Addr:   netip.MustParseAddr("10.0.0.1"),
		DSN:    cfg.DSN, Kept: "caller's", Plain: "untouched",
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load() = %+v\nwant     %+v", cfg, want)
	}
	if cfg.DB.Password.Value() != "pw" || cfg.DSN.Value() != "postgres://u:pw@db.internal/x" {
		t.Errorf("Load() secrets = %q, %q; want pw and the DSN", cfg.DB.Password.Value(), cfg.DSN.Value())
	}
	if n := r.calls(); n != 2 {
		t.Errorf("Load() made %d upstream calls; want 2 (one GetParameters, one BatchGetSecretValue)", n)
	}
}

func TestLoadErrors(t *testing.T) {
	r := newRegions(t)
	put(t, r.east, "/n", "not-a-number")
	secret(t, r.east, east, "db", `{"user":"u"}`)
	c := r.cache(t)
	ctx := context.Background()

	var bad struct {
		Required string `parsec:"ssm:/absent,required"`
		Key      Secret `parsec:"secretsmanager:db#password,required"`
		Number   int    `parsec:"ssm:/n"`
		OK       string `parsec:"secretsmanager:db#user"`
	}
	err := Load(ctx, c, &bad)
	for _, s := range []string{"Required (ssm:/absent)", "Key (secretsmanager:db#password)", `"password"`, "Number (ssm:/n)", "not an integer"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("Load() error %v; want it to say %q", err, s)
		}
	}
	if err != nil && strings.Contains(err.Error(), "not-a-number") {
		t.Errorf("Load() error %q holds a value", err)
	}
	if !errors.Is(err, ErrConvert) || !errors.Is(err, cache.ErrNotFound) || !errors.Is(err, ErrNoKey) {
		t.Errorf("Load() error %v; want ErrConvert, cache.ErrNotFound and ErrNoKey", err)
	}
	if bad.OK != "u" {
		t.Errorf("Load() set OK = %q; want u (fields that resolve are set)", bad.OK)
	}

	tagErrors := []struct {
		dst  any
		want string
	}{
		{&struct {
			X string `parsec:"/app/x"`
		}{}, "must start with a reference"},
		{&struct {
			X string `parsec:"ssm:/x,requird"`
		}{}, `unknown tag option "requird"`},
		{&struct {
			X string `parsec:"ssm:/x,required,default=1"`
		}{}, "exclude each other"},
		{&struct {
			X int `parsec:"ssm:/x,default=ten"`
		}{}, "not an integer"},
		{&struct {
			x string `parsec:"ssm:/x"`
		}{}, "unexported"},
		{&struct {
			X chan int `parsec:"ssm:/x"`
		}{}, "cannot hold a resolved value"},
		{&struct {
			X string `parsec:"ssm:bad name"`
		}{}, "' ' at offset 3"},
		{struct{}{}, "non-nil pointer to a struct"},
		{(*struct{})(nil), "non-nil pointer to a struct"},
	}
	for _, tt := range tagErrors {
		before := r.calls()
		err := Load(ctx, c, tt.dst)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%T) error %v; want it to say %q", tt.dst, err, tt.want)
		}
		if n := r.calls() - before; n != 0 {
			t.Errorf("Load(%T) with a bad tag made %d upstream calls; want 0", tt.dst, n)
		}
	}
}

// TestNeverLeaks puts a canary in a secret and a parameter and checks
// every way it could come out: the struct printed with each verb, logged
// with slog (text and JSON), encoded as JSON, the errors of failed reads
// and conversions, and the cache's own log.
func TestNeverLeaks(t *testing.T) {
	const canary = "CANARY-7f3a9c"
	r := newRegions(t)
	secret(t, r.east, east, "app/db", `{"password":"`+canary+`","n":"`+canary+`"}`)
	put(t, r.east, "/app/token", canary)
	var logs bytes.Buffer
	c := r.cache(t, cache.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	type hidden struct{ s Secret }
	var cfg struct {
		Password Secret            `parsec:"secretsmanager:app/db#password"`
		Token    Secret            `parsec:"ssm:/app/token"`
		DSN      Secret            `parsec:"u:{{resolve:secretsmanager:app/db:SecretString:password}}@h"`
		Map      map[string]Secret `parsec:"secretsmanager:app/db"`
		In       hidden
	}
	if err := Load(context.Background(), c, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Password.Value() != canary || cfg.Map["n"].Value() != canary {
		t.Fatalf("Load() did not resolve the canary")
	}
	cfg.In.s = cfg.Password
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out = append(out, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg), fmt.Sprintf(verb, cfg.Password))
	}
	var sb bytes.Buffer
	slog.New(slog.NewTextHandler(&sb, nil)).Info("cfg", "cfg", cfg, "pw", cfg.Password)
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("cfg", "cfg", cfg, "pw", cfg.Password)
	out = append(out, sb.String())
	if b, err := json.Marshal(cfg); err == nil {
		out = append(out, string(b))
	} else {
		t.Errorf("json.Marshal(cfg): %v", err)
	}

	var bad struct {
		N   int    `parsec:"secretsmanager:app/db#password"`
		D   limits `parsec:"ssm:/app/token"`
		Key string `parsec:"{{resolve:secretsmanager:app/db:SecretString:nokey}},required"`
	}
	err := Load(context.Background(), c, &bad)
	if err == nil {
		t.Fatal("Load() of a canary into an int: nil error")
	}
	out = append(out, err.Error(), fmt.Sprintf("%+v", err))
	_, err = Env(context.Background(), c, []string{"X=secretsmanager:app/db#password", "Y=secretsmanager:app/db#missing"})
	out = append(out, fmt.Sprint(err))
	out = append(out, logs.String())
	for i, s := range out {
		if strings.Contains(s, canary) || strings.Contains(s, fmt.Sprintf("%x", canary)) {
			t.Errorf("output %d leaks the canary: %s", i, s)
		}
	}
}
