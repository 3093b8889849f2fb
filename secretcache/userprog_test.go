package secretcache_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/source/sourcetest"
)

const (
	awsImport    = `"github.com/aws/aws-secretsmanager-caching-go/v2/secretcache"`
	parsecImport = `"github.com/parsec-go/parsec/secretcache"`
)

// TestUserProgram builds a program written against
// aws-secretsmanager-caching-go's API (testdata/userprog/main.go.txt) with
// its import path changed to this package's and nothing else, then runs it
// against parsec's fake through the SDK's default configuration
// (AWS_ENDPOINT_URL), as a Lambda function would run against AWS.
func TestUserProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	src, err := os.ReadFile(filepath.Join("testdata", "userprog", "main.go.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(src, []byte(awsImport)); n != 1 {
		t.Fatalf("the program imports %s %d times; want once", awsImport, n)
	}
	migrated := bytes.Replace(src, []byte(awsImport), []byte(parsecImport), 1)
	tmp := t.TempDir()
	mainGo := filepath.Join(tmp, "main.go")
	if err := os.WriteFile(mainGo, migrated, 0o600); err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "userprog"))
	if err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(dir, "main.go"): mainGo}})
	ov := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "userprog")
	build := exec.Command(goTool(t), "build", "-overlay", ov, "-o", bin, "./testdata/userprog")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of the migrated program: %v\n%s", err, out)
	}

	srv := sourcetest.NewServer()
	defer srv.Close()
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: aws.String("pw-old")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PutSecretValue("app/db", sourcetest.SecretVersion{String: aws.String("pw-new")}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "app/cert"}, sourcetest.SecretVersion{Binary: []byte("PEM")}); err != nil {
		t.Fatal(err)
	}
	run := exec.Command(bin)
	run.Env = []string{"HOME=" + tmp, "AWS_ENDPOINT_URL=" + srv.URL, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(tmp, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(tmp, "none"),
		"AWS_MAX_ATTEMPTS=1"}
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("the migrated program failed: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		"default cache: pw-new <nil>",
		"strings: pw-new pw-new pw-old pw-new <nil>",
		"binaries: PEM PEM PEM PEM <nil>",
		"hook: true true size: 1034 ttl: 3600000000000",
		"version not found: true",
		"invalid operation: true requested secret version does not contain SecretBinary",
		"invalid config: true cannot set negative ttl on cache",
		"describe: app/db",
		""}, "\n")
	if string(out) != want {
		t.Errorf("the migrated program printed\n%s\nwant\n%s", out, want)
	}
	// One GetSecretValue per secret and stage for both caches of the
	// program (the default one and the configured one), however often it
	// read them.
	if n := srv.CallsFor("GetSecretValue", "app/db"); n != 4 { // default cache: 1; configured: AWSCURRENT, AWSPREVIOUS, NOSUCHSTAGE
		t.Errorf("upstream GetSecretValue calls for app/db = %d; want 4", n)
	}
}

// goTool returns the go command on PATH.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	return p
}
