package autoenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// The helper process: its init (this package's) has run by the time the
// test runs, so it prints what the variables hold now.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("PARSEC_AUTOENV_HELPER") != "1" {
		t.Skip("run by TestAutoenv in a subprocess")
	}
	fmt.Printf("DB_HOST=%s\nDB_PASSWORD=%s\nPLAIN=%s\nSECRET_ARN=%s\n",
		os.Getenv("DB_HOST"), os.Getenv("DB_PASSWORD"), os.Getenv("PLAIN"), os.Getenv("SECRET_ARN"))
}

// helper runs this test binary's TestHelperProcess in a subprocess whose
// environment holds env and points the AWS SDK at srv.
func helper(t *testing.T, srv *sourcetest.Server, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append([]string{
		"PARSEC_AUTOENV_HELPER=1",
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + srv.URL,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_EC2_METADATA_DISABLED=true",
	}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestAutoenv(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/db-host", Value: "db.internal"}); err != nil {
		t.Fatal(err)
	}
	pw := `{"password":"CANARY-autoenv"}`
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: &pw}); err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
	out, stderr, err := helper(t, srv, "DB_HOST=ssm:/app/db-host", "DB_PASSWORD={{resolve:secretsmanager:app/db:SecretString:password}}",
		"PLAIN=plain", "SECRET_ARN="+arn)
	if err != nil {
		t.Fatalf("helper: %v\nstderr: %s", err, stderr)
	}
	for _, want := range []string{"DB_HOST=db.internal\n", "DB_PASSWORD=CANARY-autoenv\n", "PLAIN=plain\n", "SECRET_ARN=" + arn + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("helper output %q; want it to hold %q", out, want)
		}
	}
	if n := srv.Calls(""); n != 2 {
		t.Errorf("upstream calls = %d; want 2 (one GetParameters, one BatchGetSecretValue)", n)
	}

	srv.ResetCounters()
	out, stderr, err = helper(t, srv, "DB_HOST=ssm:/app/absent", "DB_PASSWORD=secretsmanager:app/db#nokey", "BAD=ssm:bad name")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("helper with failures: err %v; want exit status 1\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	if !strings.Contains(stderr, "BAD") || !strings.Contains(stderr, "parsec/resolve/autoenv") {
		t.Errorf("stderr %q; want it to name BAD and the package", stderr)
	}
	if strings.Contains(out, "DB_HOST=") {
		t.Errorf("the helper ran main after a failure: %q", out)
	}

	_, stderr, err = helper(t, srv, "DB_HOST=ssm:/app/absent", "DB_PASSWORD=secretsmanager:app/db#nokey")
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("helper with missing values: err %v; want exit status 1\nstderr: %s", err, stderr)
	}
	for _, want := range []string{"DB_HOST", "ssm:/app/absent", "DB_PASSWORD", `"nokey"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q; want it to say %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "CANARY") {
		t.Errorf("stderr leaks the secret: %q", stderr)
	}
}

func TestNoReferenceNoCache(t *testing.T) {
	if hasReference([]string{"A=b", "B=/app/x", "C=arn:aws:secretsmanager:us-east-1:123456789012:secret:x", "=C:=C:\\"}) {
		t.Error("hasReference of plain values = true; want false")
	}
	for _, v := range []string{"A=ssm:/x", "A=ssm:bad name", "A=x{{resolve:ssm:/x}}"} {
		if !hasReference([]string{v}) {
			t.Errorf("hasReference(%q) = false; want true", v)
		}
	}
}
