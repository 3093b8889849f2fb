package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/lambdaenv"
)

const (
	testKeyID     = "AKIDPARSECDTEST"
	testKeySecret = "canary-parsecd-extension-secret"
)

func TestCloudExtensionsConfig(t *testing.T) {
	noLeaks(t)
	secretFile := writeFile(t, "secret", testKeySecret+"\n")
	emptyFile := writeFile(t, "empty", "\n")
	bigFile := writeFile(t, "big", strings.Repeat("x", maxKeySecretBytes+1))
	key := []string{envKeyID, testKeyID, envKeySecret, testKeySecret}
	for _, tc := range []struct {
		name    string
		args    []string
		env     []string
		wantErr string // a substring; "" for no error
		on      bool
		port    int
		keyed   bool
	}{
		{"off by default", nil, nil, "", false, 0, false},
		{"flag with a key", []string{"--cloud-extensions"}, key, "", true, 5333, true},
		{"variable with a key", nil, append([]string{envCloudExt, "true"}, key...), "", true, 5333, true},
		{"port", []string{"--cloud-extensions", "--cloud-extensions-port", "6000"}, key, "", true, 6000, true},
		{"port variable", nil, append([]string{envCloudExt, "TRUE", envCloudExtPort, "0"}, key...), "", true, 0, true},
		{"secret file", []string{"--cloud-extensions"}, []string{envKeyID, testKeyID, envKeySecretFile, secretFile}, "", true, 5333, true},
		{"auth none", []string{"--cloud-extensions", "--cloud-extensions-auth", "none"}, nil, "", true, 5333, false},
		{"SSRF off", nil, append([]string{envCloudExt, "TRUE", envCloudExtSSRF, "false"}, key...), "", true, 5333, true},
		{"no key", []string{"--cloud-extensions"}, nil, "needs an extension key", false, 0, false},
		{"id only", []string{"--cloud-extensions"}, []string{envKeyID, testKeyID}, "needs an extension key", false, 0, false},
		{"secret only", []string{"--cloud-extensions"}, []string{envKeySecret, testKeySecret}, "needs an extension key", false, 0, false},
		{"secret and file", []string{"--cloud-extensions"}, append([]string{envKeySecretFile, secretFile}, key...), "both set", false, 0, false},
		{"empty file", []string{"--cloud-extensions"}, []string{envKeyID, testKeyID, envKeySecretFile, emptyFile}, "empty", false, 0, false},
		{"big file", []string{"--cloud-extensions"}, []string{envKeyID, testKeyID, envKeySecretFile, bigFile}, "larger than", false, 0, false},
		{"missing file", []string{"--cloud-extensions"}, []string{envKeyID, testKeyID, envKeySecretFile, secretFile + ".missing"}, "no such file", false, 0, false},
		{"bad id", []string{"--cloud-extensions"}, []string{envKeyID, "a/b", envKeySecret, testKeySecret}, "must not contain", false, 0, false},
		{"none with a key", []string{"--cloud-extensions", "--cloud-extensions-auth", "none"}, key, "remove one", false, 0, false},
		{"bad auth", []string{"--cloud-extensions", "--cloud-extensions-auth", "sigv4"}, key, "must be extension-key or none", false, 0, false},
		{"bad port", []string{"--cloud-extensions", "--cloud-extensions-port", "70000"}, key, "must be from 1 to 65535", false, 0, false},
		{"port without the switch", []string{"--cloud-extensions-port", "6000"}, key, "need --cloud-extensions", false, 0, false},
		{"bad switch", nil, []string{envCloudExt, "yes"}, "must be TRUE or FALSE", false, 0, false},
		{"bad SSRF switch", []string{"--cloud-extensions"}, append([]string{envCloudExtSSRF, "off"}, key...), "must be TRUE or FALSE", false, 0, false},
		{"SSRF switch without the API", []string{"--cloud-extensions-ssrf-token-check=false"}, key, "need --cloud-extensions", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseConfig(tc.args, envMap(tc.env...), &bytes.Buffer{})
			if tc.wantErr != "" {
				if err == nil || !isUsage(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseConfig = %v; want a usage error containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testKeySecret) {
					t.Errorf("the error holds the secret key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseConfig: %v", err)
			}
			c := cfg.cloud
			if c.on != tc.on || c.port != tc.port || (c.key != nil) != tc.keyed {
				t.Errorf("cloud = on %v port %d key %v; want on %v port %d keyed %v", c.on, c.port, c.key, tc.on, tc.port, tc.keyed)
			}
			wantSSRF := c.on && tc.name != "SSRF off"
			if c.ssrf != wantSSRF {
				t.Errorf("ssrf = %v; want %v", c.ssrf, wantSSRF)
			}
			if c.key != nil && (c.key.ID != testKeyID || c.key.Secret != testKeySecret) {
				t.Errorf("key = %v; want id %s with the secret", c.key, testKeyID)
			}
		})
	}
}

// TestECSExampleParses parses the parsecd container's settings of
// deploy/ecs-task-definition.json with parsecd's own parser, the secrets
// ECS injects standing in as placeholders, and checks that the
// application container signs with the same key.
func TestECSExampleParses(t *testing.T) {
	b, err := os.ReadFile("deploy/ecs-task-definition.json")
	if err != nil {
		t.Fatal(err)
	}
	type kv struct{ Name, Value, ValueFrom string }
	var td struct {
		ContainerDefinitions []struct {
			Name        string
			Environment []kv
			Secrets     []kv
			HealthCheck struct{ Command []string }
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&td); err != nil {
		t.Fatalf("deploy/ecs-task-definition.json: %v", err)
	}
	env := map[string]map[string]string{}
	from := map[string]map[string]string{}
	for _, c := range td.ContainerDefinitions {
		env[c.Name], from[c.Name] = map[string]string{}, map[string]string{}
		for _, e := range c.Environment {
			env[c.Name][e.Name] = e.Value
		}
		for _, s := range c.Secrets {
			env[c.Name][s.Name] = "placeholder-of-" + s.Name
			from[c.Name][s.Name] = s.ValueFrom
		}
		if c.Name == "parsecd" && strings.Join(c.HealthCheck.Command, " ") != "CMD /parsecd --ping" {
			t.Errorf("parsecd's health check = %q; want CMD /parsecd --ping", c.HealthCheck.Command)
		}
	}
	p := env["parsecd"]
	cfg, err := parseConfig(nil, func(k string) string { return p[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatalf("parsecd's settings in the ECS example do not parse: %v", err)
	}
	if !cfg.cloud.on || cfg.cloud.port != httpcompat.CloudExtensionsPort || cfg.cloud.key == nil || cfg.mode != modeDaemon {
		t.Errorf("ECS example: mode %s, cloud %+v; want daemon with the Cloud Extensions API on 5333 with a key", cfg.mode, cfg.cloud)
	}
	app := env["app"]
	if app["AWS_ACCESS_KEY_ID"] != p[envKeyID] || from["app"]["AWS_SECRET_ACCESS_KEY"] != from["parsecd"][envKeySecret] {
		t.Errorf("the application signs with %s and %s; parsecd checks %s and %s: they must be the same key",
			app["AWS_ACCESS_KEY_ID"], from["app"]["AWS_SECRET_ACCESS_KEY"], p[envKeyID], from["parsecd"][envKeySecret])
	}
	if app["AWS_ENDPOINT_URL_SSM"] != "http://localhost:5333/parameterstore" || app["AWS_ENDPOINT_URL_SECRETS_MANAGER"] != "http://localhost:5333/secretsmanager" {
		t.Errorf("the application's endpoints = %q, %q; want parsecd's", app["AWS_ENDPOINT_URL_SSM"], app["AWS_ENDPOINT_URL_SECRETS_MANAGER"])
	}
}

// TestCloudExtensionsEmulate runs parsecd --emulate with both APIs and
// reads through each with real clients.
func TestCloudExtensionsEmulate(t *testing.T) {
	noLeaks(t)
	cloudURL := make(chan string, 1)
	env := envMap("AWS_SESSION_TOKEN", "tok", envKeyID, testKeyID, envKeySecret, testKeySecret)
	r := startRun(t, []string{"--emulate", "testdata/emulate.json", "--port", "0", "--cloud-extensions", "--cloud-extensions-port", "0"}, env,
		&runHooks{cloudReady: func(u string) { cloudURL <- u }})
	base := <-cloudURL
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider(testKeyID, testKeySecret, "")
	c := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(base + "/parameterstore"), Credentials: creds, RetryMaxAttempts: 1})
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/dev/api-key"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(out.Parameter.Value) != "dev-api-key-not-secret" {
		t.Errorf("GetParameter through parsecd's Cloud Extensions API = %v, %v; want the value", out, err)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/dev/missing")})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(err, &pnf) {
		t.Errorf("GetParameter(missing) = %v; want ParameterNotFound", err)
	}
	sm := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(base + "/secretsmanager"), Credentials: creds, RetryMaxAttempts: 1})
	sec, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/dev/db")})
	if err != nil || !strings.Contains(aws.ToString(sec.SecretString), "dev-password") {
		t.Errorf("GetSecretValue through parsecd = %v; want the secret", err)
	}
	bad := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(base + "/parameterstore"),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, "wrong", ""), RetryMaxAttempts: 1})
	_, err = bad.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/dev/db-host")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Errorf("GetParameter with a wrong key = %v; want AccessDeniedException", err)
	}
	// The Secrets Manager GET routes check the SSRF token, the :2773 API's.
	if code, _ := signedGet(t, base+"/secretsmanager/app/dev/db", ""); code != 403 {
		t.Errorf("signed GET without the SSRF token = %d; want 403", code)
	}
	if code, body := signedGet(t, base+"/secretsmanager/app/dev/db", "tok"); code != 200 || !strings.Contains(body, "dev-password") {
		t.Errorf("signed GET with the SSRF token = %d %s; want 200 with the secret", code, body)
	}
	// The extension's API keeps working beside it.
	if code, body := get(t, r.url+"/systemsmanager/parameters/get?name=/app/dev/db-host", "tok"); code != 200 || parameterValue(t, body) != "localhost" {
		t.Errorf(":2773 API = %d %s; want 200 localhost", code, body)
	}
	// Each API answers only on its own port.
	if code, _ := get(t, base+"/systemsmanager/parameters/get?name=/app/dev/db-host", "tok"); code != 404 {
		t.Errorf("the :2773 route on the Cloud Extensions port = %d; want 404", code)
	}
	if strings.Contains(r.stderr.String(), testKeySecret) {
		t.Errorf("parsecd's logs hold the secret key")
	}
	if code := r.stop(t); code != exitOK {
		t.Errorf("exit %d; want 0", code)
	}
}

func TestPing(t *testing.T) {
	noLeaks(t)
	r := startRun(t, []string{"--emulate", "testdata/emulate.json", "--port", "0"}, envMap("AWS_SESSION_TOKEN", "tok"), nil)
	_, port, _ := strings.Cut(strings.TrimPrefix(r.url, "http://"), ":")
	var stderr bytes.Buffer
	if code := run([]string{"parsecd", "--ping", "--port", port}, envMap(), &bytes.Buffer{}, &stderr); code != exitOK {
		t.Errorf("--ping a running parsecd = %d (%s); want 0", code, stderr.String())
	}
	free := itoa(freePort(t))
	if code := run([]string{"parsecd", "--ping", "--port", free}, envMap(), &bytes.Buffer{}, &stderr); code != exitFailure {
		t.Errorf("--ping a port nothing serves = %d; want 1", code)
	}
}

// TestCloudExtensionsAsLambdaExtension: as a Lambda layer (no flags, the
// environment only), parsecd serves the Cloud Extensions API before it
// registers, so the function's INIT can read through it; a missing key is
// reported to the Extensions API as a configuration error.
func TestCloudExtensionsAsLambdaExtension(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	f, api := newFakeRuntime(t, 0)
	registered := make(chan bool, 1)
	cloudURL := make(chan string, 1)
	env := envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok", envEmulate, file,
		lambdaenv.EnvHTTPPort, itoa(freePort(t)), envCloudExt, "TRUE", envCloudExtPort, "0", envKeyID, testKeyID, envKeySecret, testKeySecret)
	startRun(t, nil, env, &runHooks{cloudReady: func(u string) {
		f.mu.Lock()
		registered <- f.name != ""
		f.mu.Unlock()
		cloudURL <- u
	}})
	if <-registered {
		t.Errorf("parsecd registered before the Cloud Extensions API listened; want it listening first")
	}
	c := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(<-cloudURL + "/parameterstore"),
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testKeySecret, ""), RetryMaxAttempts: 1})
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	if err != nil || aws.ToString(out.Parameter.Value) != "v1" {
		t.Errorf("GetParameter through the layer's Cloud Extensions API = %v, %v; want v1", out, err)
	}

	f2, api2 := newFakeRuntime(t, 0)
	var stderr bytes.Buffer
	code := run([]string{"/opt/extensions/parsecd"}, envMap("AWS_LAMBDA_RUNTIME_API", api2, "AWS_SESSION_TOKEN", "tok", envEmulate, file, envCloudExt, "TRUE"), &bytes.Buffer{}, &stderr)
	f2.mu.Lock()
	defer f2.mu.Unlock()
	if code != exitUsage || len(f2.reports) != 1 || f2.reports[0] != "init/error "+reasonConfig || !strings.Contains(stderr.String(), envKeyID) {
		t.Errorf("a layer without a key: exit %d, reports %q, stderr %q; want %d, [init/error %s] naming %s", code, f2.reports, stderr.String(), exitUsage, reasonConfig, envKeyID)
	}
}

// signedGet sends GET url signed with the test key for secretsmanager,
// with the SSRF token if not empty.
func signedGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testKeySecret},
		req, hex.EncodeToString(sum[:]), "secretsmanager", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCloudExtensionsSSRFOff(t *testing.T) {
	noLeaks(t)
	cloudURL := make(chan string, 1)
	env := envMap("AWS_SESSION_TOKEN", "tok", envKeyID, testKeyID, envKeySecret, testKeySecret, envCloudExtSSRF, "FALSE")
	startRun(t, []string{"--emulate", "testdata/emulate.json", "--port", "0", "--cloud-extensions", "--cloud-extensions-port", "0"}, env,
		&runHooks{cloudReady: func(u string) { cloudURL <- u }})
	if code, body := signedGet(t, <-cloudURL+"/secretsmanager/app/dev/db", ""); code != 200 {
		t.Errorf("signed GET without a token, the SSRF check off = %d %s; want 200", code, body)
	}
}

// TestDockerfile checks what CI cannot run: the image is built from
// scratch with a static binary, runs as a non-root user, and checks its
// health with --ping (TestPing runs it).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{"CGO_ENABLED=0 go build", "\nFROM scratch\n", "\nUSER 65534:65534\n", `CMD ["/parsecd", "--ping"]`, `ENTRYPOINT ["/parsecd"]`, "EXPOSE 2773 5333"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
