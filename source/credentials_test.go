package source

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/logging"
)

// noCredentialsEnv makes the SDK's default chain find nothing on this
// machine (no keys, profile, shared files, container or web-identity
// credentials, no region) and ask the EC2 instance metadata service at
// imds, as it does on a host without a role. t.Setenv: not parallel.
func noCredentialsEnv(t *testing.T, imds string) {
	t.Helper()
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
		"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds,
	} {
		t.Setenv(k, v)
	}
}

// TestMissingCredentialsAreConfig: with no region and no credentials, on a
// host whose instance metadata service refuses (403), a read is a
// configuration error in the chain's own words, never an access-denied one
// (which sends the user debugging IAM): the 403 is the metadata
// service's, not the service's. Real SDK, default chain, no network but an
// httptest metadata endpoint.
func TestMissingCredentialsAreConfig(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var asked atomic.Int64
			imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				http.Error(w, http.StatusText(status), status)
			}))
			defer imds.Close()
			noCredentialsEnv(t, imds.URL)
			cfg, err := config.LoadDefaultConfig(t.Context(), config.WithLogger(logging.Nop{}))
			if err != nil {
				t.Fatalf("LoadDefaultConfig = %v", err)
			}
			_, err = ssm.NewFromConfig(cfg).GetParameter(t.Context(), &ssm.GetParameterInput{Name: aws.String("/app/db-host")})
			perr := Classify("GetParameter", "/app/db-host", err)
			_, err = secretsmanager.NewFromConfig(cfg).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
			serr := Classify("GetSecretValue", "app/db", err)
			for _, err := range []error{perr, serr} {
				var e *Error
				if !errors.As(err, &e) || !errors.Is(err, ErrConfig) || errors.Is(err, ErrAccessDenied) || e.Code != "" {
					t.Fatalf("error = %v (%#v); want ErrConfig, not access denied, with no AWS code", err, e)
				}
				for _, says := range []string{"no EC2 IMDS role found", "StatusCode: " + strconv.Itoa(status), ErrConfig.Error()} {
					if !strings.Contains(err.Error(), says) {
						t.Errorf("error %q does not say %q", err, says)
					}
				}
			}
			if asked.Load() == 0 {
				t.Fatal("the metadata endpoint was never asked: the test does not test the chain")
			}
		})
	}
}
