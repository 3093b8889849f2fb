package sdkcache_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestReadYourWrites: after each write through a client with the
// middleware, the next read through it returns what the write made.
func TestReadYourWrites(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/p", "v1")
	v1 := seedSecret(t, srv, "app/s", "s1")
	client := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	get := func(name string) string {
		t.Helper()
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			return code(err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	secret := func() string {
		t.Helper()
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
		if err != nil {
			return code(err)
		}
		return aws.ToString(out.SecretString)
	}
	check := func(step, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("after %s: read %q; want %q", step, got, want)
		}
	}
	check("seeding", get("/app/p"), "v1")
	check("seeding", get("/app/p:prod"), "ParameterNotFound")
	check("seeding", secret(), "s1")

	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v2"),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	check("PutParameter", get("/app/p"), "v2")

	if _, err := client.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/p"),
		ParameterVersion: aws.Int64(2), Labels: []string{"prod"}}); err != nil {
		t.Fatal(err)
	}
	check("LabelParameterVersion", get("/app/p:prod"), "v2")

	// A write the service refuses changes nothing and keeps the cache.
	check("LabelParameterVersion", get("/app/p"), "v2")
	srv.ResetCounters()
	_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v3"), Type: ssmtypes.ParameterTypeString})
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("PutParameter without Overwrite = %v; want ParameterAlreadyExists", err)
	}
	check("a refused PutParameter", get("/app/p"), "v2")
	if n := srv.Calls("GetParameter"); n != 0 {
		t.Errorf("a refused write emptied the cache: %d upstream reads", n)
	}

	if _, err := client.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/p")}); err != nil {
		t.Fatal(err)
	}
	check("DeleteParameter", get("/app/p"), "ParameterNotFound")

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/s"), SecretString: aws.String("s2")}); err != nil {
		t.Fatal(err)
	}
	check("PutSecretValue", secret(), "s2")

	cur, err := srv.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("app/s"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(v1), RemoveFromVersionId: cur.VersionId}); err != nil {
		t.Fatal(err)
	}
	check("UpdateSecretVersionStage", secret(), "s1")

	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/s")}); err != nil {
		t.Fatal(err)
	}
	check("DeleteSecret", secret(), "InvalidRequestException")

	// A write that fails without a client error may have been applied.
	seed(t, srv, "/app/q", "q1")
	check("seeding /app/q", get("/app/q"), "q1")
	seed(t, srv, "/app/q", "q2") // behind the cache's back
	remove := srv.Inject(sourcetest.Fault{Op: "PutParameter", Code: "InternalServerError"})
	_, err = client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/q"), Value: aws.String("q3"),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	remove()
	if code(err) != "InternalServerError" {
		t.Fatalf("PutParameter with a 500 = %v", err)
	}
	check("a PutParameter that failed with a 500", get("/app/q"), "q2")
}
