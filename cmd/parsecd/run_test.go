package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parsec-go/parsec/internal/motoserver"
)

// TestMain stops the moto_server the end-to-end test starts. Goroutine
// leaks are checked per test (noLeaks), since moto_server's reader
// goroutines live as long as the test binary.
func TestMain(m *testing.M) { motoserver.Main(m) }

// noLeaks fails t if goroutines started during it are still running when
// it ends.
func noLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

const validFile = `{"parameters": [{"name": "/p", "value": "v1"}], "secrets": [{"name": "s", "string": "sv"}]}`

func TestHelp(t *testing.T) {
	noLeaks(t)
	for _, arg := range []string{"-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"parsecd", arg}, envMap(), &stdout, &stderr); code != exitOK {
			t.Errorf("run(%s) = %d; want %d", arg, code, exitOK)
		}
		if !containsAll(stdout.String(), "Usage:", "-emulate FILE", "-insecure-no-token", "Exit status", "AWS_SESSION_TOKEN") {
			t.Errorf("run(%s) stdout = %q; want the usage text", arg, stdout.String())
		}
	}
}

func TestUsageErrors(t *testing.T) {
	noLeaks(t)
	good := writeFile(t, "good.json", validFile)
	bad := writeFile(t, "bad.json", "{\n  \"parameters\": [\n    {\"name\": \"/p\", \"type\": \"Str\", \"value\": \"v\"}\n  ]\n}\n")
	broken := writeFile(t, "broken.json", "{\n  \"parameters\": [\n    {\"name\": \"/p\" \"value\": \"v\"}\n  ]\n}\n")
	missing := filepath.Join(t.TempDir(), "missing.json")
	tok := []string{"AWS_SESSION_TOKEN", "tok"}
	tests := []struct {
		name string
		args []string
		env  []string
		want []string // substrings of stderr
	}{
		{"unknown flag", []string{"--nope"}, tok, []string{"flag provided but not defined: -nope", "--help"}},
		{"positional argument", []string{"serve"}, tok, []string{`unexpected argument "serve"`}},
		{"bad mode", []string{"--mode", "lambda"}, tok, []string{`--mode="lambda"`, "auto, extension, daemon or emulate"}},
		{"bad mode from env", nil, append([]string{"PARSECD_MODE", "x"}, tok...), []string{`PARSECD_MODE="x"`}},
		{"extension without runtime API", []string{"--mode", "extension"}, tok, []string{"AWS_LAMBDA_RUNTIME_API"}},
		{"emulate without file", []string{"--mode", "emulate"}, tok, []string{"--emulate FILE"}},
		{"bad latency", []string{"--emulate", good, "--latency", "fast"}, tok, []string{`--latency="fast"`}},
		{"inverted latency", []string{"--emulate", good, "--latency", "80ms-20ms"}, tok, []string{"MIN <= MAX"}},
		{"latency without emulator", []string{"--latency", "20ms"}, tok, []string{"emulator only"}},
		{"bad port flag", []string{"--port", "70000"}, tok, []string{`--port="70000"`}},
		{"bad ttl flag", []string{"--ttl", "-1s"}, tok, []string{`--ttl="-1s"`}},
		{"bad log level flag", []string{"--log-level", "LOUD"}, tok, []string{`--log-level="LOUD"`}},
		{"bad max-concurrent flag", []string{"--max-concurrent", "0"}, tok, []string{`--max-concurrent="0"`, "from 1 to 100000"}},
		{"bad max-concurrent variable", nil, append([]string{"PARSECD_MAX_CONCURRENT", "many"}, tok...), []string{`PARSECD_MAX_CONCURRENT="many"`, "from 1 to 100000"}},
		{"bad max-open-connections flag", []string{"--max-open-connections", "1024"}, tok, []string{`--max-open-connections="1024"`, "from 1 to 900"}},
		{"bad max-open-connections variable", nil, append([]string{"PARSECD_MAX_OPEN_CONNECTIONS", "0"}, tok...), []string{`PARSECD_MAX_OPEN_CONNECTIONS="0"`, "from 1 to 900"}},
		{"bad json-errors flag", []string{"--json-errors", "yes"}, tok, []string{`--json-errors="yes"`, "true, false, 1 or 0"}},
		{"bad json-errors variable", nil, append([]string{"PARSECD_JSON_ERRORS", "on"}, tok...), []string{`PARSECD_JSON_ERRORS="on"`, "true, false, 1 or 0"}},
		{"bad port variable", nil, append([]string{"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "abc"}, tok...), []string{`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="abc"`, "1 to 65535"}},
		{"bad ttl variable", nil, append([]string{"SSM_PARAMETER_STORE_TTL", "-5"}, tok...), []string{`SSM_PARAMETER_STORE_TTL="-5"`}},
		{"bad bool variable", nil, append([]string{"PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED", "maybe"}, tok...), []string{`PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED="maybe"`}},
		{"two bad variables", nil, append([]string{"SECRETS_MANAGER_TTL", "x", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL", "LOUD"}, tok...), []string{"SECRETS_MANAGER_TTL", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"}},
		{"missing emulator file", []string{"--emulate", missing}, tok, []string{"emulator file", missing, "no such file"}},
		{"emulator file is a directory", []string{"--emulate", t.TempDir()}, tok, []string{"emulator file", "directory"}},
		{"invalid emulator file", []string{"--emulate", bad}, tok, []string{bad + ":3:28: parameters[0].type:", `not "Str"`}},
		{"broken emulator file", []string{"--emulate", broken}, tok, []string{broken + ":3:19: invalid JSON"}},
		{"no token source", []string{"--emulate", good}, nil, []string{"no token source", "AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "--insecure-no-token"}},
		{"no token source, daemon", nil, []string{"AWS_REGION", "us-east-1"}, []string{"no token source"}},
		{"unreadable token file variable", []string{"--emulate", good}, []string{"AWS_SESSION_TOKEN", "file://" + missing}, []string{"AWS_SESSION_TOKEN", missing}},
		{"missing --token-file", []string{"--emulate", good, "--token-file", missing}, nil, []string{"--token-file", missing}},
		{"empty --token-file", []string{"--emulate", good, "--token-file", writeFile(t, "empty", " \n")}, nil, []string{"--token-file", "empty"}},
		{"daemon without region", nil, append([]string{"AWS_CONFIG_FILE", missing, "AWS_SHARED_CREDENTIALS_FILE", missing}, tok...), []string{"no region", "AWS_REGION"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "daemon without region" {
				// The SDK reads the real environment for its files and region.
				t.Setenv("AWS_CONFIG_FILE", missing)
				t.Setenv("AWS_SHARED_CREDENTIALS_FILE", missing)
				t.Setenv("AWS_REGION", "")
				t.Setenv("AWS_DEFAULT_REGION", "")
				t.Setenv("AWS_PROFILE", "")
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"parsecd"}, tt.args...), envMap(tt.env...), &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("run(%q) = %d; want %d; stderr:\n%s", tt.args, code, exitUsage, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("run(%q) stderr = %q; want it to contain %q", tt.args, stderr.String(), w)
				}
			}
		})
	}
}

func TestPortInUse(t *testing.T) {
	noLeaks(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	file := writeFile(t, "e.json", validFile)
	for _, how := range []struct {
		args []string
		env  []string
	}{
		{[]string{"--emulate", file, "--port", itoa(port)}, nil},
		{[]string{"--emulate", file}, []string{"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", itoa(port)}},
	} {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"parsecd"}, how.args...), envMap(append(how.env, "AWS_SESSION_TOKEN", "tok")...), &stdout, &stderr)
		if code != exitUsage || !containsAll(stderr.String(), "cannot listen on localhost port "+itoa(port), "127.0.0.1:"+itoa(port), "address already in use") {
			t.Errorf("run(%q, %q) = %d, stderr %q; want %d naming the address in use", how.args, how.env, code, stderr.String(), exitUsage)
		}
	}
}

// TestPortInUseOnIPv6: a port free on 127.0.0.1 but taken on ::1 is a
// configuration error naming [::1]:PORT (a client resolving localhost to
// ::1 would reach the other process).
func TestPortInUseOnIPv6(t *testing.T) {
	noLeaks(t)
	if !hasIPv6Loopback(t) {
		t.Skip("no IPv6 loopback here (it fails under CI=true)")
	}
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var stdout, stderr bytes.Buffer
	code := run([]string{"parsecd", "--emulate", writeFile(t, "e.json", validFile), "--port", itoa(port)}, envMap("AWS_SESSION_TOKEN", "tok"), &stdout, &stderr)
	if code != exitUsage || !containsAll(stderr.String(), "[::1]:"+itoa(port), "address already in use") {
		t.Errorf("run with [::1]:%d taken = %d, stderr %q; want %d naming [::1]:%d", port, code, stderr.String(), exitUsage, port)
	}
}

func TestInsecureNoTokenWarns(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	r := startRun(t, []string{"--emulate", file, "--port", "0", "--insecure-no-token"}, envMap(), nil)
	if status, body := get(t, r.url+"/systemsmanager/parameters/get?name=%2Fp", ""); status != 200 || parameterValue(t, body) != "v1" {
		t.Errorf("GET without a token = %d %s; want 200 with v1", status, body)
	}
	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code = %d; want %d", code, exitOK)
	}
	if !containsAll(r.stderr.String(), `"level":"WARN"`, "--insecure-no-token", "Local use only") {
		t.Errorf("stderr = %q; want a WARN about --insecure-no-token", r.stderr.String())
	}
	// One WARN, not one from parsecd and one from the handler (issue 23).
	warns := 0
	for line := range strings.Lines(r.stderr.String()) {
		if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "Local use only") {
			warns++
		}
	}
	if warns != 1 {
		t.Errorf("stderr has %d WARN lines about the token check; want 1:\n%s", warns, r.stderr.String())
	}
}

func TestTokenFile(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	tf := writeFile(t, "token", "  from-file\n")
	r := startRun(t, []string{"--emulate", file, "--port", "0", "--token-file", tf}, envMap("AWS_SESSION_TOKEN", "from-env"), nil)
	for _, c := range []struct {
		token string
		want  int
	}{{"from-file", 200}, {"from-env", 401}, {"", 401}} {
		if status, _ := get(t, r.url+"/secretsmanager/get?secretId=s", c.token); status != c.want {
			t.Errorf("GET with token %q = %d; want %d", c.token, status, c.want)
		}
	}
	if strings.Contains(r.stderr.String(), "from-file") {
		t.Errorf("the token appears in the log: %s", r.stderr.String())
	}
}

func TestMaxConcurrent(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	// No caching and 2 s per upstream call: every request holds the one
	// slot for 2 s, so of requests sent together one is served and the
	// others are refused.
	r := startRun(t, []string{"--emulate", file, "--port", "0", "--latency", "2s", "--ttl", "0", "--max-concurrent", "1"},
		envMap("AWS_SESSION_TOKEN", "tok"), nil)
	paramURL := r.url + "/systemsmanager/parameters/get?name=%2Fp"
	const n = 5
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", paramURL, nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", "tok")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] < 1 || count[http.StatusTooManyRequests] < 1 || count[http.StatusOK]+count[http.StatusTooManyRequests] != n {
		t.Errorf("statuses of %d requests sent together with --max-concurrent 1 = %v; want some 200 and some 429, nothing else", n, count)
	}
}

func TestEmulateServesAndReloads(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	r := startRun(t, []string{"--emulate", file, "--port", "0", "--latency", "1ms-3ms", "--ttl", "1h"},
		envMap("AWS_SESSION_TOKEN", "tok"), &runHooks{reloadEvery: 10 * time.Millisecond})
	paramURL := r.url + "/systemsmanager/parameters/get?name=%2Fp"
	if status, body := get(t, paramURL, "tok"); status != 200 || parameterValue(t, body) != "v1" {
		t.Fatalf("GET /p = %d %s; want 200 with v1", status, body)
	}
	if status, body := get(t, paramURL, ""); status != 401 || body != "bad session token or header key" {
		t.Errorf("GET /p without a token = %d %q; want the extension's 401", status, body)
	}

	// A changed file is served at once, even though the TTL is an hour.
	future := time.Now().Add(time.Hour)
	rewrite := func(content string, mtime time.Time) {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(`{"parameters": [{"name": "/p", "versions": [{"value": "v1"}, {"value": "v2"}]}]}`, future)
	eventually(t, "the reloaded value v2", func() bool {
		_, body := get(t, paramURL, "tok")
		return strings.Contains(body, `"Value":"v2"`)
	})

	// A broken file is reported and the previous version keeps serving.
	rewrite("{\n  \"parameters\": [\n    {\"name\": 5}\n  ]\n}", future.Add(time.Minute))
	// (The poll may catch the file half-written first; the complete file
	// has a new mtime and is reported next.)
	eventually(t, "the reload error naming file, line and field", func() bool {
		return containsAll(r.stderr.String(), "not reloaded", file+":3:14: parameters[0].name: must be a string")
	})
	if status, body := get(t, paramURL, "tok"); status != 200 || parameterValue(t, body) != "v2" {
		t.Errorf("GET /p after a bad reload = %d %s; want 200 with v2", status, body)
	}
	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code = %d; want %d", code, exitOK)
	}
}
