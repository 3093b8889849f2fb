package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sidecarToken is the token the benchmark's parsecd checks.
const sidecarToken = "bench-token"

// startWait bounds how long an already-built parsecd may take to serve. A
// healthy start takes tens of milliseconds; a minute leaves room for a
// machine loaded by other work, and still ends a run whose parsecd hangs.
const startWait = time.Minute

// Sidecar is a parsecd process in daemon mode in front of a fake upstream.
type Sidecar struct {
	cmd     *exec.Cmd
	URL     string        // http://127.0.0.1:PORT
	Started time.Time     // when the process was started
	Ready   time.Duration // from start to the first /ping answered
	done    chan error
}

// fnEnv is the environment of a child process reading from upstream: the
// SDK's settings for a local endpoint and static credentials.
func fnEnv(upstream string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_ENDPOINT_URL=" + upstream,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_TOKEN=" + sidecarToken,
	}
	return append(env, extra...)
}

// StartSidecar starts parsecd (the executable bin) in daemon mode on a free
// loopback port, reading from upstream, and returns once /ping answers.
// extraEnv adds variables (for example a cache size). Stop it with Stop.
func StartSidecar(ctx context.Context, bin, upstream string, extraEnv ...string) (*Sidecar, error) {
	cmd := exec.Command(bin, "--mode", "daemon", "--port", "0")
	cmd.Env = fnEnv(upstream, append([]string{"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=INFO"}, extraEnv...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &Sidecar{cmd: cmd, done: make(chan error, 1)}
	s.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start parsecd: %w", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if !sent && json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "parsecd: serving" {
				// "127.0.0.1:PORT [::1]:PORT": the IPv4 listener comes first.
				first, _, _ := strings.Cut(line.Addr, " ")
				addr <- first
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { s.done <- cmd.Wait() }()
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case err := <-s.done:
		return nil, fmt.Errorf("bench: parsecd exited before serving: %v", err)
	case <-time.After(startWait):
		s.Stop()
		return nil, fmt.Errorf("bench: parsecd did not serve within %v", startWait)
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	for {
		resp, err := http.Get(s.URL + "/ping")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(s.Started) > startWait {
			s.Stop()
			return nil, fmt.Errorf("bench: parsecd /ping did not answer within %v", startWait)
		}
		time.Sleep(200 * time.Microsecond)
	}
	s.Ready = time.Since(s.Started)
	return s, nil
}

// PID returns the process id.
func (s *Sidecar) PID() int { return s.cmd.Process.Pid }

// Stop sends SIGTERM and waits for the process to exit (SIGKILL after 5 s).
func (s *Sidecar) Stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// parameterURL is the sidecar's URL for a parameter read.
func (s *Sidecar) parameterURL(name string) string {
	return s.URL + "/systemsmanager/parameters/get?name=" + strings.ReplaceAll(name, "/", "%2F") + "&withDecryption=true"
}

// rssKiB returns VmRSS of process pid in KiB, from /proc.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("bench: no VmRSS in /proc status")
}
