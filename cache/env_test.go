package cache

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/lambdaenv"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestWithEnvLogsNotes(t *testing.T) {
	var logs bytes.Buffer
	c, err := New(newFake().clients(), WithEnv(envOf(map[string]string{lambdaenv.EnvSecretTTL: "900"})),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !strings.Contains(logs.String(), "level=INFO") || strings.Count(logs.String(), lambdaenv.EnvSecretTTL+"=900") != 1 {
		t.Errorf("New logged %q; want one INFO line about %s=900", logs.String(), lambdaenv.EnvSecretTTL)
	}
}

func TestWithEnvRejectsEveryBadVariable(t *testing.T) {
	for _, kv := range [][2]string{
		{lambdaenv.EnvCacheEnabled, "yes"}, {lambdaenv.EnvCacheSize, "-1"}, {lambdaenv.EnvHTTPPort, "0"},
		{lambdaenv.EnvMaxConnections, "0"}, {lambdaenv.EnvLogLevel, "verbose"}, {lambdaenv.EnvParameterTTL, "-5"},
		{lambdaenv.EnvSecretTTL, "y"}, {lambdaenv.EnvParameterTimeout, "-1"}, {lambdaenv.EnvSecretTimeout, "1s"},
	} {
		if _, err := New(newFake().clients(), WithEnv(envOf(map[string]string{kv[0]: kv[1]}))); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("New(WithEnv(%s=%q)) error = %v; want one naming the variable", kv[0], kv[1], err)
		}
	}
}

// An explicit option wins over WithEnv whatever their order (issue 12,
// item 6): with nothing set, WithEnv used to write the defaults over an
// earlier WithParameterTTL.
func TestExplicitOptionWinsOverEnv(t *testing.T) {
	set := envOf(map[string]string{lambdaenv.EnvParameterTTL: "60", lambdaenv.EnvSecretTTL: "30"})
	for name, opts := range map[string][]Option{
		"option first, nothing set": {WithParameterTTL(100 * time.Millisecond), WithEnv(envOf(nil))},
		"env first, nothing set":    {WithEnv(envOf(nil)), WithParameterTTL(100 * time.Millisecond)},
		"option first, set":         {WithParameterTTL(100 * time.Millisecond), WithEnv(set)},
		"env first, set":            {WithEnv(set), WithParameterTTL(100 * time.Millisecond)},
	} {
		c := mustNew(t, newFake().clients(), opts...)
		if got := c.cfg.ttl[kindParameter]; got != 100*time.Millisecond {
			t.Errorf("%s: parameter TTL = %v; want 100ms", name, got)
		}
		want := DefaultTTL
		if strings.HasSuffix(name, ", set") {
			want = 30 * time.Second // the variable the option did not override
		}
		if got := c.cfg.ttl[kindSecret]; got != want {
			t.Errorf("%s: secret TTL = %v; want %v", name, got, want)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	for name, o := range map[string]Option{
		"negative ttl":    WithTTL(-1),
		"negative size":   WithMaxEntries(-1),
		"zero load bound": WithLoadTimeout(0),
		"refresh 1":       WithRefreshAhead(1),
		"nil stale pred":  WithStaleOn(nil),
		"negative stale":  WithMaxStale(-time.Second),
	} {
		if _, err := New(newFake().clients(), o); err == nil {
			t.Errorf("New(%s) = nil error", name)
		}
	}
}

// Without WithLogger the cache logs to slog.Default() at WARN and above;
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL changes that level (issue 12,
// item 7). Not parallel: it sets slog.Default().
func TestDefaultLoggerAndEnvLevel(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })

	for _, tt := range []struct {
		level     string
		debug     bool // logs the DEBUG record
		info, wrn bool
	}{
		{"", false, false, true},
		{"DEBUG", true, true, true},
		{"ERROR", false, false, false},
		{"NONE", false, false, false},
	} {
		var buf logbuf.Buffer
		slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		c := mustNew(t, newFake().clients(), WithEnv(envOf(map[string]string{lambdaenv.EnvLogLevel: tt.level})))
		ctx := context.Background()
		c.log.LogAttrs(ctx, slog.LevelDebug, "d")
		c.log.LogAttrs(ctx, slog.LevelInfo, "i")
		c.log.LogAttrs(ctx, slog.LevelWarn, "w")
		out := buf.String()
		if strings.Contains(out, "msg=d") != tt.debug || strings.Contains(out, "msg=i") != tt.info || strings.Contains(out, "msg=w") != tt.wrn {
			t.Errorf("LOG_LEVEL=%q logged %q; want debug %v, info %v, warn %v", tt.level, out, tt.debug, tt.info, tt.wrn)
		}
	}
}

// Every option runs once (issue 21, item 5): the environment is a layer
// applied after the options, not a reason to run them twice.
func TestOptionsRunOnce(t *testing.T) {
	calls := 0
	count := Option(func(*config) error { calls++; return nil })
	mustNew(t, newFake().clients(), WithEnv(envOf(map[string]string{lambdaenv.EnvSecretTTL: "30"})), count)
	if calls != 1 {
		t.Errorf("New ran an option %d times; want 1", calls)
	}
}

// WithSettings applies lambdaenv's settings as WithEnv does, under the
// explicit options.
func TestWithSettings(t *testing.T) {
	s := lambdaenv.Defaults()
	s.CacheSize, s.SecretTimeout = 7, time.Second
	c := mustNew(t, newFake().clients(), WithSecretTimeout(2*time.Second), WithSettings(s))
	if c.cfg.maxEntries != 7 || c.cfg.timeout[kindSecret] != 2*time.Second {
		t.Errorf("maxEntries, secret timeout = %d, %v; want 7, 2s", c.cfg.maxEntries, c.cfg.timeout[kindSecret])
	}
}

// lambdaenv's table says what a *_TIMEOUT_MILLIS of 0 means with the
// cache's default load timeout: they must not drift apart.
func TestEnvLoadTimeoutIsTheCaches(t *testing.T) {
	if lambdaenv.LoadTimeout != DefaultLoadTimeout {
		t.Errorf("lambdaenv.LoadTimeout = %v; want cache.DefaultLoadTimeout, %v", lambdaenv.LoadTimeout, DefaultLoadTimeout)
	}
	for _, v := range lambdaenv.Table() {
		if strings.HasSuffix(v.Name, "_TIMEOUT_MILLIS") && !strings.Contains(v.Zero, fmt.Sprintf("(%d s)", int(DefaultLoadTimeout/time.Second))) {
			t.Errorf("lambdaenv says 0 in %s means %q; want the load timeout, %v", v.Name, v.Zero, DefaultLoadTimeout)
		}
	}
}
