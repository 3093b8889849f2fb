package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parsec-go/parsec/internal/logbuf"
)

// envMap is a getenv over a map.
func envMap(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// runResult is a run in the background.
type runResult struct {
	url    string
	code   chan int
	stderr *logbuf.Buffer
	cancel context.CancelFunc
}

// startRun runs parsecd in-process until the test calls stop (or the test
// ends); it waits until the server is ready and fails the test if the run
// exits first.
func startRun(t *testing.T, args []string, getenv func(string) string, hooks *runHooks) *runResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runResult{code: make(chan int, 1), stderr: &logbuf.Buffer{}, cancel: cancel}
	if hooks == nil {
		hooks = &runHooks{}
	}
	ready := make(chan string, 1)
	hooks.ready = func(url string) { ready <- url }
	go func() {
		r.code <- runContext(ctx, append([]string{"parsecd"}, args...), getenv, io.Discard, r.stderr, hooks)
	}()
	select {
	case r.url = <-ready:
	case c := <-r.code:
		cancel()
		t.Fatalf("parsecd exited with %d before serving; stderr:\n%s", c, r.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("parsecd not ready within 30s; stderr:\n%s", r.stderr)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the run and returns its exit code.
func (r *runResult) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case c := <-r.code:
		r.code <- c // keep it for a second stop
		return c
	case <-time.After(10 * time.Second):
		t.Fatalf("parsecd did not stop within 10s; stderr:\n%s", r.stderr)
		return -1
	}
}

// get sends GET url with the token (if not empty) and returns the status
// and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// parameterValue reads body.Parameter.Value of a 200 answer.
func parameterValue(t *testing.T, body string) string {
	t.Helper()
	var out struct{ Parameter struct{ Value string } }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return out.Parameter.Value
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := t.TempDir() + "/" + name
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// eventually polls cond every 20ms until it holds or 15s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
