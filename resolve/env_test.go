package resolve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestEnvBatched resolves 25 references of every form, in two regions,
// with 4 upstream calls: one GetParameters and one BatchGetSecretValue per
// region. A second resolution is answered from memory.
func TestEnvBatched(t *testing.T) {
	r := newRegions(t)
	var environ []string
	want := map[string]string{"PLAIN": "left alone", "PATH_LIKE": "/app/p0", "S3": "arn:aws:s3:::bucket"}
	add := func(k, v, resolved string) {
		environ = append(environ, k+"="+v)
		want[k] = resolved
	}
	environ = append(environ, "PLAIN=left alone", "PATH_LIKE=/app/p0", "S3=arn:aws:s3:::bucket")
	for i := range 8 {
		name := fmt.Sprintf("/app/p%d", i)
		put(t, r.east, name, "east-"+name)
		forms := []string{"ssm:" + name, "{{resolve:ssm:" + name + "}}", "{{resolve:ssm-secure:" + name + "}}", "ssm:" + name + ":1"}
		add(fmt.Sprintf("P%d", i), forms[i%len(forms)], "east-"+name)
	}
	for i := range 5 {
		name := fmt.Sprintf("/app/w%d", i)
		put(t, r.west, name, "west-"+name)
		arn := "arn:aws:ssm:" + west + ":" + account + ":parameter" + name
		forms := []string{"ssm:" + arn, arn, "{{resolve:ssm:" + arn + "}}"}
		add(fmt.Sprintf("W%d", i), forms[i%len(forms)], "west-"+name)
	}
	secret(t, r.east, east, "db", `{"user":"app","password":"pw-east","port":5432}`)
	add("DB_PASSWORD", "secretsmanager:db#password", "pw-east")
	add("DB_USER", "{{resolve:secretsmanager:db:SecretString:user}}", "app")
	add("DB_PORT", "secretsmanager:db#port", "5432")
	add("DSN", "postgres://{{resolve:secretsmanager:db:SecretString:user}}:{{resolve:secretsmanager:db:SecretString:password}}@{{resolve:ssm:/app/p0}}/x",
		"postgres://app:pw-east@east-/app/p0/x")
	for i := range 3 {
		name := fmt.Sprintf("api%d", i)
		secret(t, r.east, east, name, "key-"+name)
		add(fmt.Sprintf("API%d", i), "secretsmanager:"+name, "key-"+name)
	}
	for i := range 3 {
		name := fmt.Sprintf("w%d", i)
		arn := secret(t, r.west, west, name, `{"k":"west-`+name+`"}`)
		forms := []string{arn + ":k::", "secretsmanager:" + arn + "#k", "{{resolve:secretsmanager:" + arn + ":SecretString:k}}"}
		add(fmt.Sprintf("WS%d", i), forms[i], "west-"+name)
	}
	refs := 0
	for _, kv := range environ {
		tpl, err := Parse("", kv[strings.IndexByte(kv, '=')+1:])
		if err == nil && tpl != nil {
			refs += len(tpl.refs)
		}
	}
	if refs != 25 {
		t.Fatalf("the test has %d references; want 25", refs)
	}

	c := r.cache(t)
	ctx := context.Background()
	got, err := Env(ctx, c, environ, WithARNs())
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Env()[%s] = %q; want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("Env() has %d variables; want %d", len(got), len(want))
	}
	if n := r.calls(); n > 4 {
		t.Errorf("upstream calls = %d (east %d, west %d); want at most 4", n, r.east.Calls(""), r.west.Calls(""))
	}
	for _, s := range []struct {
		srv interface{ Calls(string) int }
		op  string
	}{{r.east, "GetParameters"}, {r.west, "GetParameters"}, {r.east, "BatchGetSecretValue"}, {r.west, "BatchGetSecretValue"}} {
		if n := s.srv.Calls(s.op); n != 1 {
			t.Errorf("%s calls in one region = %d; want 1", s.op, n)
		}
	}
	before := r.calls()
	if _, err := Env(ctx, c, environ, WithARNs()); err != nil {
		t.Fatal(err)
	}
	if n := r.calls() - before; n != 0 {
		t.Errorf("a second Env made %d upstream calls; want 0 (cached)", n)
	}
}

// TestEnvErrors: every failure is reported, each naming its variable, the
// reference and the cause; nothing is returned.
func TestEnvErrors(t *testing.T) {
	r := newRegions(t)
	secret(t, r.east, east, "db", `{"user":"app"}`)
	secret(t, r.east, east, "plain", `not json`)
	put(t, r.east, "/ok", "fine")
	c := r.cache(t)
	got, err := Env(context.Background(), c, []string{
		"OK=ssm:/ok",
		"DB_PASSWORD=secretsmanager:db#password",
		"MISSING=ssm:/missing",
		"NOT_JSON=secretsmanager:plain#k",
	})
	if got != nil {
		t.Errorf("Env() map = %v; want nil on failure", got)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Env() error %v; want *Error", err)
	}
	msg := err.Error()
	for _, s := range []string{"DB_PASSWORD", `"password"`, "no such key", "MISSING", "ssm:/missing", "NOT_JSON", "not a JSON object"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Env() error %q; want it to say %q", msg, s)
		}
	}
	if !errors.Is(err, ErrNoKey) || !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Env() error %v; want it to match ErrNoKey and cache.ErrNotFound", err)
	}
	if strings.Contains(msg, "OK") && strings.Contains(msg, "/ok") || strings.Contains(msg, "fine") || strings.Contains(msg, "app") {
		t.Errorf("Env() error %q names a variable that resolved, or a value", msg)
	}

	_, err = Env(context.Background(), c, []string{"A=ssm:bad name", "B={{resolve:nope:x}}"})
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "A:") || !strings.Contains(err.Error(), "B:") {
		t.Errorf("Env() with two malformed references: %v; want both named", err)
	}
}

// TestEnvDeadline: the caller's deadline bounds the reads.
func TestEnvDeadline(t *testing.T) {
	r := newRegions(t)
	put(t, r.east, "/slow", "v")
	r.east.SetDown(true)
	c := r.cache(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Env(ctx, c, []string{"SLOW=ssm:/slow"})
	if err == nil || !strings.Contains(err.Error(), "SLOW") {
		t.Fatalf("Env() with a canceled context: %v; want an error naming SLOW", err)
	}
}

func TestSetEnv(t *testing.T) {
	r := newRegions(t)
	put(t, r.east, "/app/host", "db.internal")
	c := r.cache(t)
	t.Setenv("PARSEC_TEST_HOST", "ssm:/app/host")
	t.Setenv("PARSEC_TEST_PLAIN", "x")
	if err := SetEnv(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got := getenv("PARSEC_TEST_HOST"); got != "db.internal" {
		t.Errorf("PARSEC_TEST_HOST = %q; want db.internal", got)
	}
	t.Setenv("PARSEC_TEST_BAD", "ssm:/app/missing")
	t.Setenv("PARSEC_TEST_HOST2", "ssm:/app/host")
	if err := SetEnv(context.Background(), c); err == nil {
		t.Fatal("SetEnv with a missing parameter: nil error")
	}
	if got := getenv("PARSEC_TEST_HOST2"); got != "ssm:/app/host" {
		t.Errorf("after a failed SetEnv PARSEC_TEST_HOST2 = %q; want it unchanged", got)
	}
}

func TestCutEnv(t *testing.T) {
	for _, tt := range []struct{ in, k, v string }{{"A=b", "A", "b"}, {"A=b=c", "A", "b=c"}, {"=C:=C:\\x", "=C:", "C:\\x"}, {"A=", "A", ""}} {
		k, v, ok := cutEnv(tt.in)
		if !ok || k != tt.k || v != tt.v {
			t.Errorf("cutEnv(%q) = %q, %q, %v; want %q, %q, true", tt.in, k, v, ok, tt.k, tt.v)
		}
	}
	if _, _, ok := cutEnv("novalue"); ok {
		t.Error(`cutEnv("novalue") ok; want false`)
	}
}

// inflight is an HTTP client that records how many requests it has in
// flight at most.
type inflight struct {
	next     aws.HTTPClient
	now, max atomic.Int32
}

func (c *inflight) Do(r *http.Request) (*http.Response, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for m := c.max.Load(); n > m && !c.max.CompareAndSwap(m, n); m = c.max.Load() {
	}
	return c.next.Do(r)
}

// TestEnvGroupBound: references in 12 regions are read by at most 8
// batch reads at once (maxGroups).
func TestEnvGroupBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory(sourcetest.WithLatency(time.Second, time.Second))
		defer srv.Close()
		cfg := srv.InMemoryConfig()
		hc := &inflight{next: cfg.HTTPClient}
		cfg.HTTPClient = hc
		c, err := cache.New(source.New(cfg, source.WithMaxRegions(20)), cache.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var environ []string
		regions := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2",
			"eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-southeast-1"} // real names: made-up ones are refused before any call
		for i, region := range regions {
			environ = append(environ, fmt.Sprintf("S%d=secretsmanager:arn:aws:secretsmanager:%s:%s:secret:s", i, region, account))
		}
		if _, err := Env(context.Background(), c, environ); err == nil {
			t.Fatal("Env() of secrets that do not exist: nil error")
		}
		if got := hc.max.Load(); got != maxGroups {
			t.Errorf("batch reads in flight at most = %d; want %d", got, maxGroups)
		}
	})
}
