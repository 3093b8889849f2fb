package cache_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/lambdaenv"
)

// TestNoCredentialsIsConfig, as a new user meets it: NewDefault on a host
// with no region, no credentials and an instance metadata service that
// answers 403. The read is ErrConfig with the chain's own words, not
// ErrAccessDenied (the 403 is the metadata service's, not SSM's).
func TestNoCredentialsIsConfig(t *testing.T) {
	var asked atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		http.Error(w, "Forbidden", http.StatusForbidden)
	}))
	defer imds.Close()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE":                        filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE":            filepath.Join(dir, "credentials"),
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_ROLE_ARN": "",
		"AWS_ENDPOINT_URL": "", "AWS_MAX_ATTEMPTS": "1",
		"AWS_EC2_METADATA_DISABLED":         "false",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL,
		lambdaenv.EnvLogLevel:               "none",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{lambdaenv.EnvCacheEnabled, lambdaenv.EnvCacheSize, lambdaenv.EnvHTTPPort, lambdaenv.EnvMaxConnections,
		lambdaenv.EnvParameterTTL, lambdaenv.EnvSecretTTL, lambdaenv.EnvParameterTimeout, lambdaenv.EnvSecretTimeout} {
		t.Setenv(k, "")
	}
	c, err := cache.NewDefault(t.Context())
	if err != nil {
		t.Fatalf("NewDefault = %v", err)
	}
	defer c.Close()
	_, err = c.Parameter(t.Context(), cache.ParameterRequest{Name: "/app/db-host"})
	if !errors.Is(err, cache.ErrConfig) || errors.Is(err, cache.ErrAccessDenied) {
		t.Fatalf("Parameter = %v; want ErrConfig, not ErrAccessDenied", err)
	}
	for _, says := range []string{"/app/db-host", "no EC2 IMDS role found", "StatusCode: 403"} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("Parameter error %q does not say %q", err, says)
		}
	}
	if asked.Load() == 0 {
		t.Fatal("the metadata endpoint was never asked")
	}
}
