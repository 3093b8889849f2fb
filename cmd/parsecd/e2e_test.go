package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/internal/lambdarie"
	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/internal/motoserver"
)

// The end-to-end test runs parsecd as a real Lambda extension under the AWS
// Lambda Runtime Interface Emulator (aws-lambda-rie), in front of
// moto_server, with a Go function and a shell function reading through it
// during INIT and during invocations. Each emulator runs in mount and PID
// namespaces of its own (internal/lambdarie) where a directory under the
// test's temporary directory is /opt/extensions: the machine's real
// /opt/extensions is never read or written, runs in parallel do not see
// each other's extensions, and a killed run leaves nothing behind. It needs
// Linux, root (for the namespaces), moto_server and curl; aws-lambda-rie is
// built from its pinned version when it is not installed. Without them it
// skips saying what to install, or fails under CI=true.

const (
	extensionPath = lambdarie.ExtensionsDir + "/parsecd" // as the emulator sees it, inside its namespace
	e2eToken      = "e2e-session-token"
	e2eParam      = "/e2e/param"
	e2eSecret     = "e2e/secret"
	rssEntries    = 1000
)

func requireOrSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if strings.EqualFold(os.Getenv("CI"), "true") {
		t.Fatalf("required under CI=true: "+format, args...)
	}
	t.Skipf("skipping end-to-end test: "+format, args...)
}

// findRIE returns aws-lambda-rie (installed, or built from the pinned
// version into the user's cache directory).
func findRIE(t *testing.T) string {
	t.Helper()
	p, err := lambdarie.Find(t.Context())
	if err != nil {
		requireOrSkip(t, "%v", err)
	}
	return p
}

// countingProxy is a reverse proxy to moto_server that records every
// upstream call by operation (from X-Amz-Target) and name.
type countingProxy struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string][]time.Time // "GetParameter /e2e/param" → when
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	p := &countingProxy{calls: map[string][]time.Time{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct{ Name, SecretId string }
		_ = json.Unmarshal(body, &in)
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndexByte(op, '.')+1:]
		p.mu.Lock()
		k := op + " " + in.Name + in.SecretId
		p.calls[k] = append(p.calls[k], time.Now())
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *countingProxy) times(op, name string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.calls[op+" "+name]...)
}

func (p *countingProxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.calls)
}

// build runs go build with the layer's flags and returns the binary.
func build(t *testing.T, dir, out string, pkg string) string {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// sandbox returns a new private /opt/extensions for one emulator, holding
// the given extensions (name → binary).
func sandbox(t *testing.T, extensions map[string]string) *lambdarie.Sandbox {
	t.Helper()
	sb, err := lambdarie.NewSandbox(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for name, bin := range extensions {
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sb.Extensions(), name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return sb
}

// rie is one running aws-lambda-rie.
type rie struct {
	cmd       *exec.Cmd
	log       *logbuf.Buffer
	invokeURL string
	extPort   int
	exited    chan struct{}
}

// startRIE starts the emulator on bootstrap, in its own namespaces with
// sb as /opt/extensions.
func startRIE(t *testing.T, sb *lambdarie.Sandbox, bin, bootstrap string, env map[string]string) *rie {
	t.Helper()
	p1, p2, p3 := freePort(t), freePort(t), freePort(t)
	r := &rie{log: &logbuf.Buffer{}, extPort: p3, exited: make(chan struct{}),
		invokeURL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", p1)}
	r.cmd = sb.Command(bin, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", p1),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", p2), bootstrap)
	r.cmd.Dir = t.TempDir()
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log // PID 1 of its namespace: its children die with it
	r.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + r.cmd.Dir,
		"TMPDIR=" + r.cmd.Dir, // the shell function's mktemp: nothing outside the test's directory, even if killed
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=" + strconv.Itoa(p3),
		"E2E_PARAM=" + e2eParam,
		"E2E_SECRET=" + e2eSecret,
	}
	for k, v := range env {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start aws-lambda-rie: %v", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.exited
		}
		if t.Failed() {
			t.Logf("aws-lambda-rie output:\n%s", r.log)
		}
	})
	return r
}

// invoke invokes the function, retrying while the emulator is not yet
// listening, and returns the answer.
func (r *rie) invoke(t *testing.T) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Post(r.invokeURL, "application/json", strings.NewReader("{}"))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("invoke: HTTP %d: %s", resp.StatusCode, b)
			}
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("invoke: %v", err)
		}
		select {
		case <-tick.C:
		case <-r.exited:
			t.Fatalf("aws-lambda-rie exited")
		}
	}
}

var initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

func (r *rie) initMillis(t *testing.T) float64 {
	t.Helper()
	var m []string
	eventually(t, "INIT REPORT in the emulator's log", func() bool {
		m = initReportRE.FindStringSubmatch(r.log.String())
		return m != nil
	})
	ms, _ := strconv.ParseFloat(m[1], 64)
	return ms
}

// extensionPID finds parsecd among the emulator's children.
func (r *rie) extensionPID(t *testing.T) int {
	t.Helper()
	pid := 0
	eventually(t, "the parsecd process", func() bool {
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			cmdline, err := os.ReadFile(d + "/cmdline")
			if err != nil || !bytes.HasPrefix(cmdline, []byte(extensionPath+"\x00")) {
				continue
			}
			if procField(d+"/status", "PPid") == strconv.Itoa(r.cmd.Process.Pid) {
				pid, _ = strconv.Atoi(filepath.Base(d))
				return true
			}
		}
		return false
	})
	return pid
}

// procField reads one field of /proc/PID/status ("" if gone).
func procField(path, field string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func rssKiB(pid int) int {
	v := strings.TrimSuffix(procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS"), " kB")
	n, _ := strconv.Atoi(v)
	return n
}

// shutdown sends SIGTERM to the emulator (which sends SHUTDOWN to the
// extension) and returns how long parsecd took to exit.
func (r *rie) shutdown(t *testing.T, pid int) time.Duration {
	t.Helper()
	start := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf("/proc/%d/status", pid)
	eventually(t, "parsecd to exit after SHUTDOWN", func() bool {
		s := procField(status, "State")
		return s == "" || strings.HasPrefix(s, "Z")
	})
	took := time.Since(start)
	select {
	case <-r.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("aws-lambda-rie did not exit after SIGTERM")
	}
	return took
}

func TestE2ERuntimeInterfaceEmulator(t *testing.T) {
	if runtime.GOOS != "linux" {
		requireOrSkip(t, "needs Linux (aws-lambda-rie, /proc)")
	}
	if testing.Short() {
		t.Skip("skipping end-to-end test in -short mode")
	}
	if err := lambdarie.Check(); err != nil {
		requireOrSkip(t, "%v", err)
	}
	rieBin := findRIE(t)
	if _, err := exec.LookPath("curl"); err != nil {
		requireOrSkip(t, "curl not found (the shell function needs it); on Debian: apt-get install curl")
	}
	moto := motoserver.Require(t)
	proxy := newCountingProxy(t, moto.URL)
	ctx := motoserver.WithTimeout(t)

	// Seed moto: the parameter and secret the functions read, and enough
	// parameters to fill the cache for the RSS figure.
	sc, smc := moto.SSM(), moto.SecretsManager()
	if _, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(e2eParam), Value: aws.String("param-v1"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	if _, err := smc.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(e2eSecret), SecretString: aws.String("secret-v1")}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, rssEntries)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < rssEntries-2; i += 4 {
				_, err := sc.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(fmt.Sprintf("/e2e/fill/%04d", i)), Value: aws.String(strings.Repeat("v", 64)), Type: "String"})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}

	dir := t.TempDir()
	bin := build(t, ".", filepath.Join(dir, "parsecd"), ".")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	goFunc := build(t, "testdata/gofunc", filepath.Join(dir, "gofunc", "bootstrap"), ".")
	shFunc, err := filepath.Abs("testdata/shfunc/bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("seed moto: %v", err)
	}

	env := func(kv ...string) map[string]string {
		m := map[string]string{
			"AWS_SESSION_TOKEN":         e2eToken,
			"AWS_ACCESS_KEY_ID":         "testing",
			"AWS_SECRET_ACCESS_KEY":     "testing",
			"AWS_REGION":                "us-east-1",
			"AWS_ENDPOINT_URL":          proxy.URL,
			"AWS_EC2_METADATA_DISABLED": "true",
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}

	// INIT without any extension: the baseline.
	var initBaseline, initParsecd, initParsecdReads float64
	{
		r := startRIE(t, sandbox(t, nil), rieBin, goFunc, env("E2E_INIT_READS", "0"))
		r.invoke(t) // its read fails without parsecd: only INIT matters here
		initBaseline = r.initMillis(t)
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		<-r.exited
	}

	withParsecd := func(t *testing.T) *lambdarie.Sandbox { return sandbox(t, map[string]string{"parsecd": bin}) }
	{
		r := startRIE(t, withParsecd(t), rieBin, goFunc, env("E2E_INIT_READS", "0"))
		r.invoke(t) // the emulator runs INIT, extensions included, on the first invoke
		pid := r.extensionPID(t)
		initParsecd = r.initMillis(t)
		r.shutdown(t, pid)
	}

	var rssIdle, rssFull int
	var shutdownGo time.Duration
	t.Run("go function", func(t *testing.T) {
		proxy.reset()
		r := startRIE(t, withParsecd(t), rieBin, goFunc, env())
		for i := range 3 {
			var out struct {
				Init   *struct{ Param, Secret string }
				Invoke struct{ Param, Secret string }
			}
			b := r.invoke(t)
			if err := json.Unmarshal(b, &out); err != nil || out.Init == nil {
				t.Fatalf("invoke %d = %s; want the function's answer with its INIT reads", i, b)
			}
			if out.Init.Param != "param-v1" || out.Init.Secret != "secret-v1" || out.Invoke.Param != "param-v1" || out.Invoke.Secret != "secret-v1" {
				t.Errorf("invoke %d = %s; want param-v1 and secret-v1 during INIT and the invocation", i, b)
			}
		}
		initParsecdReads = r.initMillis(t)
		pid := r.extensionPID(t)
		// TTL 300 s (the default): one upstream call each across INIT and
		// three invocations.
		if n, m := len(proxy.times("GetParameter", e2eParam)), len(proxy.times("GetSecretValue", e2eSecret)); n != 1 || m != 1 {
			t.Errorf("upstream calls = GetParameter %d, GetSecretValue %d; want 1 and 1 (cached for the TTL)", n, m)
		}

		// Fill the cache to 1000 entries and measure parsecd's RSS.
		rssIdle = rssKiB(pid)
		base := fmt.Sprintf("http://127.0.0.1:%d/systemsmanager/parameters/get?name=", r.extPort)
		var fill sync.WaitGroup
		failed := make(chan string, rssEntries)
		for w := range 3 {
			fill.Go(func() {
				for i := w; i < rssEntries-2; i += 3 {
					if status, body := get(t, base+url.QueryEscape(fmt.Sprintf("/e2e/fill/%04d", i)), e2eToken); status != 200 {
						failed <- fmt.Sprintf("fill %d: HTTP %d %s", i, status, body)
						return
					}
				}
			})
		}
		fill.Wait()
		close(failed)
		for f := range failed {
			t.Fatal(f)
		}
		rssFull = rssKiB(pid)

		shutdownGo = r.shutdown(t, pid)
		if shutdownGo > 2*time.Second {
			t.Errorf("parsecd exited %v after SIGTERM to the emulator; want within Lambda's 2 s", shutdownGo)
		}
		if log := r.log.String(); !containsAll(log, `"msg":"parsecd: SHUTDOWN"`, `"msg":"parsecd: stopped"`, "registered, subscribed to [SHUTDOWN]") {
			t.Errorf("emulator log lacks parsecd's registration, SHUTDOWN or clean stop:\n%s", log)
		}
	})

	t.Run("shell function", func(t *testing.T) {
		proxy.reset()
		const ttl = 3 * time.Second
		r := startRIE(t, withParsecd(t), rieBin, shFunc, env("SSM_PARAMETER_STORE_TTL", "3", "SECRETS_MANAGER_TTL", "3"))
		type answer struct {
			Parameter    struct{ Value string }
			SecretString string
		}
		var out struct {
			Init, Invoke struct{ Param, Secret answer }
		}
		check := func() {
			t.Helper()
			b := r.invoke(t)
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("invoke = %s: %v", b, err)
			}
			if out.Init.Param.Parameter.Value != "param-v1" || out.Init.Secret.SecretString != "secret-v1" ||
				out.Invoke.Param.Parameter.Value != "param-v1" || out.Invoke.Secret.SecretString != "secret-v1" {
				t.Fatalf("invoke = %s; want param-v1 and secret-v1 during INIT and the invocation", b)
			}
		}
		check()
		pid := r.extensionPID(t)
		check()
		first := proxy.times("GetParameter", e2eParam)
		if len(first) == 0 {
			t.Fatal("no upstream GetParameter call")
		}
		// Within the TTL (before refresh-ahead at 0.7-0.8 of it): no new call.
		if time.Since(first[0]) < ttl*7/10 {
			if n, m := len(proxy.times("GetParameter", e2eParam)), len(proxy.times("GetSecretValue", e2eSecret)); n != 1 || m != 1 {
				t.Errorf("upstream calls within the TTL = GetParameter %d, GetSecretValue %d; want 1 and 1", n, m)
			}
		}
		// Past the TTL: invocations cause a new upstream call.
		eventually(t, "a new upstream GetParameter after the TTL", func() bool {
			check()
			return len(proxy.times("GetParameter", e2eParam)) >= 2
		})
		calls := proxy.times("GetParameter", e2eParam)
		if gap := calls[1].Sub(calls[0]); gap < ttl*7/10 {
			t.Errorf("second upstream GetParameter %v after the first; want no earlier than 0.7 × TTL (%v)", gap, ttl*7/10)
		}
		if took := r.shutdown(t, pid); took > 2*time.Second {
			t.Errorf("parsecd exited %v after SIGTERM to the emulator; want within 2 s", took)
		}
		if !strings.Contains(r.log.String(), `"msg":"parsecd: stopped"`) {
			t.Errorf("emulator log lacks parsecd's clean stop")
		}
	})

	t.Logf("PARSECD_E2E_METRICS init_ms_no_extension=%.2f init_ms_parsecd=%.2f init_ms_parsecd_2_reads=%.2f rss_kib_idle=%d rss_kib_%d_entries=%d binary_bytes=%d shutdown_ms=%d",
		initBaseline, initParsecd, initParsecdReads, rssIdle, rssEntries, rssFull, fi.Size(), shutdownGo.Milliseconds())
}
