package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parsec-go/parsec/internal/lambdarie"
	"github.com/parsec-go/parsec/internal/logbuf"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// The INIT test function, a nested module, relative to the bench module.
const initFnDir = "testdata/initfn"

// LambdaInitResult is the part of section (d) measured under
// aws-lambda-rie: Lambda's INIT duration, from the emulator's
// "INIT REPORT(durationMs: …)" line, in nanoseconds.
type LambdaInitResult struct {
	RIE       string // the emulator's path
	Baseline  Sample // no read during INIT, no extension
	InProcess Sample // parsec in the function reads one parameter during INIT
	Sidecar   Sample // parsecd in /opt/extensions; the function reads through it
	Skipped   string // why it did not run (aws-lambda-rie not found), else empty
}

// LambdaInit measures Lambda's INIT duration under aws-lambda-rie for a Go
// function (aws-lambda-go, bench/testdata/initfn) that reads one parameter
// during INIT in process, or through parsecd installed as an extension, or
// (baseline) reads nothing. Each emulator runs in namespaces of its own
// (internal/lambdarie) where /opt/extensions is a directory under the
// run's temporary directory, holding parsecd for the sidecar runs and
// nothing for the others: the machine's /opt/extensions is never touched,
// and parallel runs do not see each other. Where that is impossible (not
// Linux, not root) or aws-lambda-rie can be neither found nor built, it
// returns a result with Skipped saying why.
func (e *Env) LambdaInit(ctx context.Context) (*LambdaInitResult, error) {
	if err := e.PrepareLambdaInit(ctx); err != nil {
		return nil, err
	}
	if e.lambdaSkip != "" {
		return &LambdaInitResult{Skipped: e.lambdaSkip}, nil
	}
	rie, bootstrap := e.rie, e.initBootstrap
	if _, err := e.Fast.PutParameter(sourcetest.Parameter{Name: startName, Value: "first-value"}); err != nil {
		return nil, err
	}
	parsecd, err := os.ReadFile(e.Parsecd)
	if err != nil {
		return nil, err
	}

	reps := pick(e, 3, 7)
	e.logf("(d) Lambda INIT under aws-lambda-rie: %d runs each", reps)
	r := &LambdaInitResult{RIE: rie}
	for i := range reps + 1 { // the first run of each warms the page cache and is dropped
		for _, v := range []struct {
			mode string
			ext  bool
			out  *Sample
		}{{"none", false, &r.Baseline}, {"inproc", false, &r.InProcess}, {"sidecar", true, &r.Sidecar}} {
			d, err := e.lambdaInitOnce(ctx, rie, bootstrap, v.mode, v.ext, parsecd)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.mode, err)
			}
			if i > 0 {
				*v.out = append(*v.out, float64(d))
			}
		}
	}
	return r, nil
}

// PrepareLambdaInit does the compiling that [Env.LambdaInit] needs, so that
// a caller can keep it out of any time budget: it finds aws-lambda-rie
// (building the pinned version when it is not installed) and builds the
// INIT test function. It runs once; later calls return its first result.
// Where the emulator cannot run (not Linux, not root, no aws-lambda-rie),
// it records why, and LambdaInit returns a result with Skipped saying so.
func (e *Env) PrepareLambdaInit(ctx context.Context) error {
	if e.lambdaPrepared {
		return e.lambdaErr
	}
	e.lambdaPrepared = true
	if err := lambdarie.Check(); err != nil {
		e.lambdaSkip = err.Error()
		return nil
	}
	rie, err := lambdarie.Find(ctx)
	if err != nil {
		e.lambdaSkip = err.Error()
		return nil
	}
	dir, err := initFnSource()
	if err != nil {
		e.lambdaErr = err
		return err
	}
	e.logf("building the Lambda INIT test function")
	bootstrap := filepath.Join(e.dir, "initfn", "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bootstrap, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		e.lambdaErr = fmt.Errorf("bench: go build %s: %v\n%s", dir, err, b)
		return e.lambdaErr
	}
	e.rie, e.initBootstrap = rie, bootstrap
	return nil
}

// initFnSource returns the directory of the INIT test function's module,
// found from the bench module's go.mod (the current directory must be
// inside the bench module, as for build).
func initFnSource() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("bench: go env GOMOD: %v", err)
	}
	dir := filepath.Join(filepath.Dir(strings.TrimSpace(string(out))), initFnDir)
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("bench: the INIT test function's module (run from the bench directory): %w", err)
	}
	return dir, nil
}

// sandbox prepares a new private /opt/extensions under the run's
// directory, holding parsecd when ext.
func (e *Env) sandbox(ext bool, parsecd []byte) (*lambdarie.Sandbox, error) {
	dir, err := os.MkdirTemp(e.dir, "rie-")
	if err != nil {
		return nil, err
	}
	sb, err := lambdarie.NewSandbox(dir)
	if err != nil {
		return nil, err
	}
	if ext {
		if err := os.WriteFile(filepath.Join(sb.Extensions(), "parsecd"), parsecd, 0o755); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	return sb, nil
}

var initReportRE = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// lambdaInitOnce starts aws-lambda-rie with bootstrap (INITFN_MODE=mode),
// with parsecd installed as an extension when ext, invokes the function
// once (the emulator runs INIT on the first invoke), checks that it read
// the parameter and returns the INIT duration. The emulator and its
// children are killed before it returns.
func (e *Env) lambdaInitOnce(ctx context.Context, rie, bootstrap, mode string, ext bool, parsecd []byte) (d time.Duration, err error) {
	sb, err := e.sandbox(ext, parsecd)
	if err != nil {
		return 0, err
	}
	ports, err := freePorts(3)
	if err != nil {
		return 0, err
	}
	log := &logbuf.Buffer{}
	cmd := sb.Command(rie, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", ports[1]), bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Stdout, cmd.Stderr = log, log
	// PID 1 of its own PID namespace: its children (function, extension) die with it.
	cmd.Env = append(fnEnv(e.Fast.URL),
		"AWS_SESSION_TOKEN="+sidecarToken,
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+strconv.Itoa(ports[2]),
		"INITFN_MODE="+mode,
		"INITFN_NAME="+startName,
	)
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("bench: start aws-lambda-rie: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() {
		// SIGTERM lets the emulator send SHUTDOWN to the extension; the
		// process group is killed after at most 3 s in any case.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if err != nil {
			err = fmt.Errorf("%w; aws-lambda-rie output:\n%s", err, tail(log.String(), 2000))
		}
	}()

	url := fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", ports[0])
	body, err := invoke(ctx, url, exited)
	if err != nil {
		return 0, err
	}
	want := `"first-value"`
	if mode == "none" {
		want = `""`
	}
	if strings.TrimSpace(string(body)) != want {
		return 0, fmt.Errorf("bench: invoke answered %s; want %s", body, want)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := initReportRE.FindStringSubmatch(log.String()); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(ms * float64(time.Millisecond)), nil
		}
		if time.Now().After(deadline) {
			return 0, errors.New("bench: no INIT REPORT in aws-lambda-rie's log")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// invoke posts an empty event to the emulator, retrying while it is not
// yet listening, and returns the answer.
func invoke(ctx context.Context, url string, exited <-chan struct{}) ([]byte, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			client.CloseIdleConnections()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("bench: invoke: HTTP %d: %s", resp.StatusCode, b)
			}
			return b, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("bench: invoke: %w", err)
		}
		select {
		case <-exited:
			return nil, errors.New("bench: aws-lambda-rie exited")
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// freePorts returns n distinct free loopback TCP ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func (r *Results) mdLambdaInit(b *strings.Builder) {
	l := r.LambdaInit
	if l == nil {
		return // failed: named under "Not measured in this run"
	}
	b.WriteString("### (d) Lambda INIT under aws-lambda-rie\n\n")
	if l.Skipped != "" {
		fmt.Fprintf(b, "Skipped: %s.\n\n", l.Skipped)
		return
	}
	b.WriteString("Lambda's INIT duration as the AWS Lambda Runtime Interface Emulator reports it (`INIT REPORT(durationMs: …)`), " +
		"one emulator per run, INIT on its first invoke. The function is a Go function on `aws-lambda-go` (`bench/testdata/initfn`, " +
		"a nested module, built with `CGO_ENABLED=0 -trimpath -ldflags=-s -w` as `bootstrap`) that reads one parameter before `lambda.Start`: " +
		"in process (SDK default config, `cache.New`, one `Parameter` read), or with parsecd installed as `/opt/extensions/parsecd` (extension mode: " +
		"it registers with the Extensions API and INIT ends only when both it and the function are ready) and one GET on its HTTP API with the " +
		"`X-Aws-Parameters-Secrets-Token` header (`AWS_SESSION_TOKEN`), or (baseline) nothing and no extension. " +
		"Upstream: the same latency-free fake as above, through `AWS_ENDPOINT_URL`. " +
		"All three run the same binary, which links the SDK and parsec, so its package initialisation and the emulator's own start are in the baseline too; " +
		"the differences to the baseline are the cost of the read (for the sidecar: of starting and registering the extension, plus the read through it). " +
		"The baseline's spread is of the order of the in-process difference, so that difference is rough.\n\n")
	b.WriteString("| INIT | duration | minus baseline |\n|---|---|---|\n")
	base := l.Baseline.Median()
	fmt.Fprintf(b, "| baseline: no read, no extension | %s | – |\n", nsSpread(l.Baseline))
	fmt.Fprintf(b, "| in-process: parsec reads one parameter | %s | %s |\n", nsSpread(l.InProcess), signedNs(l.InProcess.Median()-base))
	fmt.Fprintf(b, "| sidecar: parsecd extension, one read through it | %s | %s |\n\n", nsSpread(l.Sidecar), signedNs(l.Sidecar.Median()-base))
}

// signedNs formats a difference of nanoseconds with its sign.
func signedNs(ns float64) string {
	if ns < 0 {
		return "−" + fmtNs(-ns)
	}
	return "+" + fmtNs(ns)
}
