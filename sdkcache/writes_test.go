package sdkcache_test

import (
	"errors"
	"strings"
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

	// A write the service refuses changes nothing; the middleware cannot
	// tell it from the retry of a write whose answer was lost, and
	// invalidates all the same: one reload.
	check("LabelParameterVersion", get("/app/p"), "v2")
	srv.ResetCounters()
	_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v3"), Type: ssmtypes.ParameterTypeString})
	var exists *ssmtypes.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("PutParameter without Overwrite = %v; want ParameterAlreadyExists", err)
	}
	check("a refused PutParameter", get("/app/p"), "v2")
	if n := srv.Calls("GetParameter"); n != 1 {
		t.Errorf("read after a refused write made %d upstream reads; want 1 (invalidated whatever the outcome)", n)
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

// TestWriteInvalidatesEveryFormOfItsNameOnly: a write through the client
// reaches every cached form of the name it changes (WithDecryption, the
// ARN, a selector, the listing of the path above it, a secret's ARN and
// its /aws/reference/secretsmanager/ read) and no other name: the others
// are still hits, with no upstream call.
func TestWriteInvalidatesEveryFormOfItsNameOnly(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/a", "a1")
	seed(t, srv, "/app/b", "b1")
	seed(t, srv, "/other/c", "c1")
	seedSecret(t, srv, "app/s", "s1")
	seedSecret(t, srv, "app/t", "t1")
	direct, err := srv.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/a")})
	if err != nil {
		t.Fatal(err)
	}
	paramARN := aws.ToString(direct.Parameter.ARN)
	ds, err := srv.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
	if err != nil {
		t.Fatal(err)
	}
	secretARN := aws.ToString(ds.ARN)

	client := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	param := func(name string, decrypt bool) string {
		t.Helper()
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
		if err != nil {
			t.Fatalf("GetParameter(%q): %v", name, err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	path := func(p string) string {
		t.Helper()
		out, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(p)})
		if err != nil {
			t.Fatalf("GetParametersByPath(%q): %v", p, err)
		}
		var s []string
		for _, q := range out.Parameters {
			s = append(s, aws.ToString(q.Name)+"="+aws.ToString(q.Value))
		}
		return strings.Join(s, ",")
	}
	secret := func(id string) string {
		t.Helper()
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetSecretValue(%q): %v", id, err)
		}
		return aws.ToString(out.SecretString)
	}
	type read struct {
		name string
		get  func() string
	}
	reads := []read{
		{"/app/a", func() string { return param("/app/a", false) }},
		{"/app/a decrypted", func() string { return param("/app/a", true) }},
		{"/app/a by ARN", func() string { return param(paramARN, false) }},
		{"/app/a:1", func() string { return param("/app/a:1", false) }},
		{"path /app", func() string { return path("/app") }},
		{"/app/b", func() string { return param("/app/b", false) }},
		{"path /other", func() string { return path("/other") }},
		{"app/s", func() string { return secret("app/s") }},
		{"app/s by ARN", func() string { return secret(secretARN) }},
		{"app/s by reference", func() string { return param("/aws/reference/secretsmanager/app/s", true) }},
		{"app/t", func() string { return secret("app/t") }},
	}
	for _, r := range reads {
		r.get()
	}
	calls := func() int {
		return srv.Calls("GetParameter") + srv.Calls("GetParametersByPath") + srv.Calls("GetSecretValue")
	}
	srv.ResetCounters()
	for _, r := range reads {
		r.get()
	}
	if n := calls(); n != 0 {
		t.Fatalf("second round of reads made %d upstream calls; want 0 (all hits)", n)
	}

	if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/a"), Value: aws.String("a2"),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(secretARN), SecretString: aws.String("s2")}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/app/a": "a2", "/app/a decrypted": "a2", "/app/a by ARN": "a2", "/app/a:1": "a1",
		"path /app": "/app/a=a2,/app/b=b1", "/app/b": "b1", "path /other": "/other/c=c1",
		"app/s": "s2", "app/s by ARN": "s2", "app/s by reference": "s2", "app/t": "t1",
	}
	changed := map[string]bool{"/app/a": true, "/app/a decrypted": true, "/app/a by ARN": true, "/app/a:1": true,
		"path /app": true, "app/s": true, "app/s by ARN": true, "app/s by reference": true}
	for _, r := range reads {
		srv.ResetCounters()
		if got := r.get(); got != want[r.name] {
			t.Errorf("%s after the writes = %q; want %q", r.name, got, want[r.name])
		}
		n := calls()
		switch {
		case changed[r.name] && n != 1:
			t.Errorf("%s after the writes made %d upstream calls; want 1 (invalidated)", r.name, n)
		case !changed[r.name] && n != 0:
			t.Errorf("%s after the writes made %d upstream calls; want 0 (another name: still cached)", r.name, n)
		}
	}
}
