package secretcache_test

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/secretcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func newCache(t *testing.T, srv *sourcetest.Server, optFns ...func(*secretcache.Cache)) *secretcache.Cache {
	t.Helper()
	client := srv.SecretsManager()
	c, err := secretcache.New(append([]func(*secretcache.Cache){func(c *secretcache.Cache) { c.Client = client }}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestDefaults(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	c := newCache(t, srv)
	if c.MaxCacheSize != 1024 || c.CacheItemTTL != int64(time.Hour) || c.VersionStage != "AWSCURRENT" || c.Hook != nil {
		t.Errorf("defaults = %+v; want 1024, 1 h, AWSCURRENT, no hook", c.CacheConfig)
	}
}

func TestReads(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("old")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "bin"}, sourcetest.SecretVersion{Binary: []byte{0, 1, 2}}); err != nil {
		t.Fatal(err)
	}
	c := newCache(t, srv, func(c *secretcache.Cache) { c.VersionStage = "AWSPREVIOUS" })
	for range 100 {
		if s, err := c.GetSecretString("db"); s != "new" || err != nil {
			t.Fatalf("GetSecretString(db) = %q, %v; want new", s, err)
		}
	}
	if n := srv.CallsFor("GetSecretValue", "db"); n != 1 {
		t.Errorf("upstream calls for 100 reads = %d; want 1", n)
	}
	// An empty stage is the configured one; GetSecretString ignores it, as
	// the library does.
	if s, err := c.GetSecretStringWithStage("db", ""); s != "old" || err != nil {
		t.Errorf(`GetSecretStringWithStage(db, "") = %q, %v; want old (CacheConfig.VersionStage)`, s, err)
	}
	b, err := c.GetSecretBinary("bin")
	if err != nil || string(b) != "\x00\x01\x02" {
		t.Fatalf("GetSecretBinary(bin) = %x, %v", b, err)
	}
	b[0] = 9
	if b2, _ := c.GetSecretBinary("bin"); b2[0] != 0 {
		t.Errorf("a caller changed the cached binary")
	}
	var ioe *secretcache.InvalidOperationError
	if _, err := c.GetSecretString("bin"); !errors.As(err, &ioe) {
		t.Errorf("GetSecretString(bin) = %v; want *InvalidOperationError", err)
	}
	if _, err := c.GetSecretBinary("db"); !errors.As(err, &ioe) {
		t.Errorf("GetSecretBinary(db) = %v; want *InvalidOperationError", err)
	}
}

func TestErrors(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	c := newCache(t, srv)
	_, err := c.GetSecretString("missing")
	var rnf *smtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) || !errors.Is(err, cache.ErrNotFound) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("GetSecretString(missing) = %v; want a ResourceNotFoundException naming the secret", err)
	}
	_, err = c.GetSecretStringWithStage("db", "NOPE")
	var vnf *secretcache.VersionNotFoundError
	if !errors.As(err, &vnf) || !errors.As(err, &rnf) || !strings.Contains(vnf.Message, "NOPE") {
		t.Errorf("GetSecretStringWithStage(db, NOPE) = %v; want *VersionNotFoundError wrapping ResourceNotFoundException", err)
	}
	for _, fn := range []func(*secretcache.Cache){
		func(c *secretcache.Cache) { c.CacheItemTTL = -1 },
		func(c *secretcache.Cache) { c.MaxCacheSize = -1 },
	} {
		bad := newCache(t, srv, fn)
		var ice *secretcache.InvalidConfigError
		if _, err := bad.GetSecretString("db"); !errors.As(err, &ice) {
			t.Errorf("read of a misconfigured cache = %v; want *InvalidConfigError", err)
		}
	}
	wrong := newCache(t, srv, func(c *secretcache.Cache) { c.Hook = hookFunc(func(any) any { return "not an output" }) })
	var ioe *secretcache.InvalidOperationError
	if _, err := wrong.GetSecretString("db"); !errors.As(err, &ioe) {
		t.Errorf("read through a hook returning a string = %v; want *InvalidOperationError", err)
	}
}

type hookFunc func(any) any

func (h hookFunc) Put(data interface{}) interface{} { return data }
func (h hookFunc) Get(data interface{}) interface{} { return h(data) }

// TestTTL: CacheItemTTL in nanoseconds is the parsec TTL (refreshed in the
// background after 80 % of it, so a reader never waits).
func TestTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("v1")}); err != nil {
			t.Fatal(err)
		}
		c := newCache(t, srv, func(c *secretcache.Cache) { c.CacheItemTTL = int64(10 * time.Minute) })
		if s, _ := c.GetSecretString("db"); s != "v1" {
			t.Fatalf("first read = %q", s)
		}
		if _, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("v2")}); err != nil {
			t.Fatal(err)
		}
		<-time.After(5 * time.Minute) // fake time
		if s, _ := c.GetSecretString("db"); s != "v1" {
			t.Errorf("read at 5 min = %q; want the cached v1", s)
		}
		<-time.After(6 * time.Minute)
		if s, _ := c.GetSecretString("db"); s != "v2" {
			t.Errorf("read at 11 min = %q; want v2", s)
		}
		c.Close()
	})
}

// TestCanaryNeverLeaks: no error of this package, in any verb, holds a
// secret value.
func TestCanaryNeverLeaks(t *testing.T) {
	const canary = "CANARY-77a1c0de-secret"
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String(canary)}); err != nil {
		t.Fatal(err)
	}
	c := newCache(t, srv)
	var errs []error
	_, err := c.GetSecretBinary("db")
	errs = append(errs, err)
	_, err = c.GetSecretStringWithStage("db", "NOPE")
	errs = append(errs, err)
	wrong := newCache(t, srv, func(c *secretcache.Cache) { c.Hook = hookFunc(func(any) any { return nil }) })
	_, err = wrong.GetSecretString("db")
	errs = append(errs, err)
	remove := srv.Inject(sourcetest.Fault{Code: "ThrottlingException"})
	_, err = newCache(t, srv).GetSecretString("db")
	errs = append(errs, err)
	remove()
	for _, err := range errs {
		if err == nil {
			t.Fatal("an expected error is nil")
		}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if s := fmt.Sprintf(verb, err); strings.Contains(s, canary) {
				t.Errorf("error leaks the value (%s): %s", verb, s)
			}
		}
		slog.New(slog.DiscardHandler).Info("x", "err", err)
	}
}
