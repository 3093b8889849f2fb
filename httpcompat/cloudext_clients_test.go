package httpcompat

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Real clients of the Cloud Extensions API, unchanged, against a real
// listening server: boto3, the AWS CLI, the AWS SDK for JavaScript v3's
// SSM client and curl --aws-sigv4, each with the extension key as its
// credentials. (aws-sdk-go-v2 is in cloudext_sdk_test.go.) Under CI
// (CI=true) a missing client fails the test.

// cloudEvent is what a client script reads.
type cloudEvent struct {
	Endpoint      string `json:"endpoint"`
	Plain         string `json:"plain"`
	Secure        string `json:"secure"`
	Missing       string `json:"missing"`
	Hot           string `json:"hot"`
	Reads         int    `json:"reads"`
	Secret        string `json:"secret"`
	MissingSecret string `json:"missingSecret"`
}

// cloudResult is what a client script prints.
type cloudResult struct {
	String             string   `json:"string"`
	SecureDecrypted    string   `json:"secureDecrypted"`
	SecureRaw          string   `json:"secureRaw"`
	Found              []string `json:"found"`
	Invalid            []string `json:"invalid"`
	NotFound           string   `json:"notFound"` // the class of the SDK's exception
	BadSignature       string   `json:"badSignature"`
	BadSignatureStatus int      `json:"badSignatureStatus"`
	Secret             string   `json:"secret,omitempty"`
	SecretNotFound     string   `json:"secretNotFound,omitempty"`
}

const (
	cloudPlain   = "/app/plain"
	cloudHot     = "/app/hot"
	cloudMissing = "fail/ParameterNotFound"
)

var wantCloudResult = cloudResult{
	String:             "value-of:" + cloudPlain,
	SecureDecrypted:    apiKeyPlain,
	SecureRaw:          apiKeyCipher,
	Found:              []string{cloudPlain},
	Invalid:            []string{cloudMissing},
	NotFound:           "ParameterNotFound",
	BadSignature:       "AccessDeniedException",
	BadSignatureStatus: 400,
}

func newCloudEvent(srv *Server) string {
	b, _ := json.Marshal(cloudEvent{Endpoint: srv.URL(), Plain: cloudPlain, Secure: apiKeyName, Missing: cloudMissing,
		Hot: cloudHot, Reads: 1000, Secret: secretName, MissingSecret: "fail/ResourceNotFoundException"})
	return string(b)
}

// cloudClientEnv is a client's environment: the machine's without its AWS
// settings and proxies, and the extension key as credentials (secret
// replaces its secret key).
func cloudClientEnv(t *testing.T, secret string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasSuffix(strings.ToLower(k), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	dir := t.TempDir()
	return append(env, "AWS_ACCESS_KEY_ID="+testKey.ID, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"), "AWS_MAX_ATTEMPTS=1",
		"NO_PROXY=*", "no_proxy=*")
}

// runCloud runs a client with a deadline and returns its standard output
// and its error, which holds its stderr.
func runCloud(t *testing.T, env []string, dir, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %v\nstderr: %s\nstdout: %s", name, strings.Join(args, " "), err, stderr.String(), out)
	}
	return out, nil
}

func checkCloudResult(t *testing.T, client string, out []byte, want cloudResult, u *upstream) {
	t.Helper()
	var got cloudResult
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s printed %q: %v", client, out, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s read %+v; want %+v", client, got, want)
	}
	hot := 0
	for _, in := range u.paramInputs() {
		if *in.Name == cloudHot {
			hot++
		}
	}
	if hot != 1 {
		t.Errorf("%s: 1000 reads of %s made %d upstream calls; want 1", client, cloudHot, hot)
	}
}

func TestCloudClientBoto3(t *testing.T) {
	py := needTool(t, "python3")
	if _, err := runCloud(t, os.Environ(), ".", py, "-c", "import boto3"); err != nil {
		missing(t, "boto3 is not installed", "pip install boto3")
	}
	srv, u, _ := newCloudServer(t)
	want := wantCloudResult
	want.Secret, want.SecretNotFound = secretValue, "ResourceNotFoundException"
	out, err := runCloud(t, cloudClientEnv(t, testKey.Secret), clientsDir, py, "cloudext_boto3.py", newCloudEvent(srv))
	if err != nil {
		t.Fatal(err)
	}
	checkCloudResult(t, "boto3", out, want, u)
}

func TestCloudClientJSv3(t *testing.T) {
	node := needTool(t, "node")
	if _, err := os.Stat(filepath.Join(clientsDir, "node_modules", "@aws-sdk", "client-ssm", "package.json")); err != nil {
		missing(t, "@aws-sdk/client-ssm is not installed", "cd httpcompat/testdata/clients && npm ci (.ci/run does)")
	}
	srv, u, _ := newCloudServer(t)
	out, err := runCloud(t, cloudClientEnv(t, testKey.Secret), clientsDir, node, "cloudext_client_ssm.mjs", newCloudEvent(srv))
	if err != nil {
		t.Fatal(err)
	}
	checkCloudResult(t, "@aws-sdk/client-ssm", out, wantCloudResult, u)
}

func TestCloudClientAWSCLI(t *testing.T) {
	aws := needTool(t, "aws")
	srv, u, _ := newCloudServer(t)
	env := cloudClientEnv(t, testKey.Secret)
	cli := func(env []string, args ...string) (string, error) {
		out, err := runCloud(t, env, ".", aws, append(args, "--output", "json")...)
		return string(out), err
	}
	ps := srv.URL() + routeParameterStore
	var got cloudResult
	value := func(args ...string) string {
		out, err := cli(env, append([]string{"ssm", "get-parameter", "--endpoint-url", ps}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var o struct{ Parameter struct{ Value string } }
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("aws ssm get-parameter printed %q: %v", out, err)
		}
		return o.Parameter.Value
	}
	// The first read finds the endpoint in AWS_ENDPOINT_URL_SSM, as the
	// ECS example configures it; the others are given --endpoint-url.
	out, err := cli(append(cloudClientEnv(t, testKey.Secret), "AWS_ENDPOINT_URL_SSM="+ps), "ssm", "get-parameter", "--name", cloudPlain)
	var o0 struct{ Parameter struct{ Value string } }
	if err != nil || json.Unmarshal([]byte(out), &o0) != nil {
		t.Fatalf("aws ssm get-parameter with AWS_ENDPOINT_URL_SSM = %q, %v", out, err)
	}
	got.String = o0.Parameter.Value
	got.SecureDecrypted = value("--name", apiKeyName, "--with-decryption")
	got.SecureRaw = value("--name", apiKeyName, "--no-with-decryption")
	out, err = cli(env, "ssm", "get-parameters", "--endpoint-url", ps, "--names", cloudPlain, cloudMissing)
	if err != nil {
		t.Fatal(err)
	}
	var many struct {
		Parameters        []struct{ Name string }
		InvalidParameters []string
	}
	if err := json.Unmarshal([]byte(out), &many); err != nil {
		t.Fatalf("aws ssm get-parameters printed %q: %v", out, err)
	}
	for _, p := range many.Parameters {
		got.Found = append(got.Found, p.Name)
	}
	got.Invalid = many.InvalidParameters
	// The CLI prints "An error occurred (CODE) when calling …" on stderr.
	code := func(err error) string {
		if err == nil {
			return "no error"
		}
		_, rest, ok := strings.Cut(err.Error(), "An error occurred (")
		c, _, _ := strings.Cut(rest, ")")
		if !ok {
			return err.Error()
		}
		return c
	}
	_, err = cli(env, "ssm", "get-parameter", "--endpoint-url", ps, "--name", cloudMissing)
	got.NotFound = code(err)
	_, err = cli(cloudClientEnv(t, "wrong-secret"), "ssm", "get-parameter", "--endpoint-url", ps, "--name", cloudPlain)
	got.BadSignature, got.BadSignatureStatus = code(err), 400 // the CLI prints no status
	want := wantCloudResult

	out, err = cli(env, "secretsmanager", "get-secret-value", "--endpoint-url", srv.URL()+routeSecretsManager, "--secret-id", secretName)
	var sec struct{ SecretString string }
	if err != nil || json.Unmarshal([]byte(out), &sec) != nil {
		t.Fatalf("aws secretsmanager get-secret-value = %q, %v", out, err)
	}
	got.Secret, want.Secret = sec.SecretString, secretValue
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aws CLI read %+v; want %+v", got, want)
	}
	_ = u
}

// TestCloudClientCurl signs with curl's --aws-sigv4 exactly as AWS's
// examples for Cloud Extensions do.
func TestCloudClientCurl(t *testing.T) {
	curl := needTool(t, "curl")
	srv, u, _ := newCloudServer(t)
	env := cloudClientEnv(t, testKey.Secret)
	call := func(secret, target, body string, n int) []string {
		args := []string{"-sS", "--noproxy", "*", "--aws-sigv4", "aws:amz:us-east-1:ssm", "--user", testKey.ID + ":" + secret,
			"-H", "Content-Type: application/x-amz-json-1.1", "-H", "X-Amz-Target: AmazonSSM." + target,
			"-d", body, "-w", "\n%{http_code}\n"}
		for range n {
			args = append(args, srv.URL()+routeParameterStore)
		}
		out, err := runCloud(t, env, ".", curl, args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	}
	one := func(secret, target, body string) (string, int) {
		lines := call(secret, target, body, 1)
		n, _ := strconv.Atoi(lines[len(lines)-1])
		return strings.Join(lines[:len(lines)-1], "\n"), n
	}
	var got cloudResult
	value := func(body string) string {
		b, status := one(testKey.Secret, "GetParameter", body)
		var o struct{ Parameter struct{ Value string } }
		if err := json.Unmarshal([]byte(b), &o); status != 200 || err != nil {
			t.Fatalf("curl GetParameter %s = %d %q", body, status, b)
		}
		return o.Parameter.Value
	}
	got.String = value(`{"Name":"` + cloudPlain + `"}`)
	got.SecureDecrypted = value(`{"Name":"` + apiKeyName + `","WithDecryption":true}`)
	got.SecureRaw = value(`{"Name":"` + apiKeyName + `"}`)
	b, _ := one(testKey.Secret, "GetParameters", `{"Names":["`+cloudPlain+`","`+cloudMissing+`"]}`)
	var many struct {
		Parameters        []struct{ Name string }
		InvalidParameters []string
	}
	if err := json.Unmarshal([]byte(b), &many); err != nil {
		t.Fatalf("curl GetParameters = %q: %v", b, err)
	}
	for _, p := range many.Parameters {
		got.Found = append(got.Found, p.Name)
	}
	got.Invalid = many.InvalidParameters
	var e struct {
		Type string `json:"__type"`
	}
	b, _ = one(testKey.Secret, "GetParameter", `{"Name":"`+cloudMissing+`"}`)
	_ = json.Unmarshal([]byte(b), &e)
	got.NotFound = e.Type
	b, got.BadSignatureStatus = one("wrong-secret", "GetParameter", `{"Name":"`+cloudPlain+`"}`)
	e.Type = ""
	_ = json.Unmarshal([]byte(b), &e)
	got.BadSignature = e.Type

	lines := call(testKey.Secret, "GetParameter", `{"Name":"`+cloudHot+`"}`, 1000)
	ok := 0
	for _, l := range lines {
		if l == "200" {
			ok++
		}
	}
	if ok != 1000 {
		t.Errorf("curl: %d of 1000 reads answered 200", ok)
	}
	checkCloudResultValue(t, "curl --aws-sigv4", got, wantCloudResult, u)
}

func checkCloudResultValue(t *testing.T, client string, got, want cloudResult, u *upstream) {
	t.Helper()
	b, _ := json.Marshal(got)
	checkCloudResult(t, client, b, want, u)
}
