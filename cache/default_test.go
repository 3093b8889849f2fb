package cache_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/lambdaenv"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// defaultEnv points the SDK's default configuration at endpoint with
// static credentials, and away from everything on the machine: no shared
// configuration files, no profile, no EC2 instance metadata. t.Setenv:
// these tests cannot run in parallel.
func defaultEnv(t *testing.T, endpoint string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_MAX_ATTEMPTS":            "1",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{lambdaenv.EnvCacheEnabled, lambdaenv.EnvCacheSize, lambdaenv.EnvHTTPPort, lambdaenv.EnvMaxConnections,
		lambdaenv.EnvLogLevel, lambdaenv.EnvParameterTTL, lambdaenv.EnvSecretTTL, lambdaenv.EnvParameterTimeout, lambdaenv.EnvSecretTimeout} {
		t.Setenv(k, "")
	}
}

func newDefault(t *testing.T, opts ...cache.Option) *cache.Cache {
	t.Helper()
	c, err := cache.NewDefault(t.Context(), opts...)
	if err != nil {
		t.Fatalf("NewDefault = %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestNewDefault: the SDK's default configuration reaches the endpoint of
// AWS_ENDPOINT_URL, and the extension's defaults cache both kinds.
func TestNewDefault(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/key", Value: "k-1"}); err != nil {
		t.Fatal(err)
	}
	pw := "pw-1"
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: &pw}); err != nil {
		t.Fatal(err)
	}
	defaultEnv(t, srv.URL)
	c := newDefault(t)
	for range 3 {
		if _, err := c.Parameter(t.Context(), cache.ParameterRequest{Name: "/app/key"}); err != nil {
			t.Fatalf("Parameter = %v", err)
		}
		if _, err := c.Secret(t.Context(), cache.SecretRequest{SecretID: "app/db"}); err != nil {
			t.Fatalf("Secret = %v", err)
		}
	}
	if p, s := srv.CallsFor("GetParameter", "/app/key"), srv.CallsFor("GetSecretValue", "app/db"); p != 1 || s != 1 {
		t.Errorf("upstream calls: GetParameter %d, GetSecretValue %d; want 1 and 1 (cached)", p, s)
	}
}

// TestNewDefaultEnvAndOptions: the extension's variables apply, and the
// caller's options win over them.
func TestNewDefaultEnvAndOptions(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/key", Value: "k-1"}); err != nil {
		t.Fatal(err)
	}
	defaultEnv(t, srv.URL)
	t.Setenv(lambdaenv.EnvCacheEnabled, "FALSE")
	read := func(c *cache.Cache) {
		t.Helper()
		for range 2 {
			if _, err := c.Parameter(t.Context(), cache.ParameterRequest{Name: "/app/key"}); err != nil {
				t.Fatalf("Parameter = %v", err)
			}
		}
	}
	read(newDefault(t))
	if n := srv.CallsFor("GetParameter", "/app/key"); n != 2 {
		t.Errorf("%s=FALSE: %d upstream calls for two reads; want 2", lambdaenv.EnvCacheEnabled, n)
	}
	read(newDefault(t, cache.WithEnabled(true)))
	if n := srv.CallsFor("GetParameter", "/app/key"); n != 3 {
		t.Errorf("%s=FALSE and WithEnabled(true): %d upstream calls after two more reads; want 3 (the option wins)", lambdaenv.EnvCacheEnabled, n-2)
	}
}

// TestNewDefaultBadEnv: a bad variable is an error naming it and its value.
func TestNewDefaultBadEnv(t *testing.T) {
	defaultEnv(t, "http://127.0.0.1:1") // never dialled
	t.Setenv(lambdaenv.EnvMaxConnections, "0")
	c, err := cache.NewDefault(t.Context())
	if err == nil {
		c.Close()
		t.Fatal("NewDefault with MAX_CONNECTIONS=0 = nil error")
	}
	if !strings.Contains(err.Error(), lambdaenv.EnvMaxConnections) || !strings.Contains(err.Error(), `"0"`) && !strings.Contains(err.Error(), "=0") {
		t.Errorf("NewDefault error = %q; want it to name %s and the value 0", err, lambdaenv.EnvMaxConnections)
	}
}

// TestNewDefaultMaxConnections: PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS
// limits the connections to the service. Four concurrent reads of
// distinct names with a limit of 2 reach the service two at a time, over
// two connections.
func TestNewDefaultMaxConnections(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	names := []string{"/a", "/b", "/c", "/d"}
	for _, n := range names {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: n, Value: "v"}); err != nil {
			t.Fatal(err)
		}
	}
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// A gate in front of the fake: each request waits until release is
	// closed; arrived receives one value per request.
	var conns atomic.Int32
	arrived, release := make(chan struct{}, len(names)), make(chan struct{})
	proxy := httputil.NewSingleHostReverseProxy(target)
	gate := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		proxy.ServeHTTP(w, r)
	}))
	gate.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	gate.Start()
	defer gate.Close()
	defaultEnv(t, gate.URL)
	t.Setenv(lambdaenv.EnvMaxConnections, "2")
	c := newDefault(t)

	var wg sync.WaitGroup
	errs := make(chan error, len(names))
	for _, n := range names {
		wg.Go(func() {
			_, err := c.Parameter(context.Background(), cache.ParameterRequest{Name: n})
			errs <- err
		})
	}
	<-arrived
	<-arrived // two requests in flight: the limit
	if got := conns.Load(); got != 2 {
		t.Errorf("%d connections with two requests in flight; want 2", got)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := conns.Load(); got != 2 {
		t.Errorf("four reads with %s=2 opened %d connections; want 2", lambdaenv.EnvMaxConnections, got)
	}
}
