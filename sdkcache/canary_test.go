package sdkcache_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/source/sourcetest"
)

const canary = "CANARY-3c9d27e1-secret"

// TestCanaryNeverLeaks: a secret value never appears in an error of a call
// through the middleware, in any verb, nor in the cache's logs (at DEBUG),
// whatever path the call took: miss, stale serve (every entry is expired at
// once), failure, write.
func TestCanaryNeverLeaks(t *testing.T) {
	var logs logbuf.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, cfg, _ := setup(t, cache.WithLogger(logger), cache.WithTTL(time.Nanosecond), cache.WithLoadTimeout(100*time.Millisecond))
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/key", Value: canary, Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, srv, "app/s", canary)
	client := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	read := func() {
		_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/key"), WithDecryption: aws.Bool(true)})
		collect(err)
		_, err = client.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/key", "/app/none"}, WithDecryption: aws.Bool(true)})
		collect(err)
		_, err = client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), WithDecryption: aws.Bool(true)})
		collect(err)
		_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
		collect(err)
		_, err = sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/s", "app/none"}})
		collect(err)
	}
	read()
	for _, code := range []string{"ThrottlingException", "AccessDeniedException", "InternalServerError"} {
		remove := srv.Inject(sourcetest.Fault{Code: code, Message: "injected " + code})
		read()
		_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String(canary),
			Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
		collect(err)
		remove()
	}
	remove := srv.Inject(sourcetest.Fault{Reset: true})
	read()
	remove()
	// Reads with a value in memory get it stale, batch items included;
	// the writes, the missing names and access denied still fail.
	// The PutParameter that failed with a 500 invalidated /app/key, so the
	// parameter reads under the connection reset fail too (7 errors).
	if len(errs) < 7 {
		t.Fatalf("only %d errors collected; the faults did not apply", len(errs))
	}
	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if s := fmt.Sprintf(verb, err); strings.Contains(s, canary) {
				t.Errorf("error leaks the value (%s): %s", verb, s)
			}
		}
	}
	if strings.Contains(logs.String(), canary) {
		t.Errorf("logs leak the value: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "serving stale value") {
		t.Errorf("no stale serve was logged; the test missed that path")
	}
	if !strings.Contains(logs.String(), "/app/key") {
		t.Errorf("logs do not name the parameter; the logger was not used: %s", logs.String())
	}
}
