package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRuntime is an httptest fake of the Lambda Extensions API.
type fakeRuntime struct {
	port     int         // parsecd's port, checked at registration
	events   chan string // event bodies for event/next; nil body means HTTP 500
	failNext bool

	mu         sync.Mutex // protects the fields below
	name       string
	servingAt  bool // whether parsecd answered /ping on 127.0.0.1 when it registered
	servingV6  bool // and on [::1]
	registered chan struct{}
	reports    []string // "init/error Extension.X", "exit/error Extension.Y"
}

func newFakeRuntime(t *testing.T, port int) (*fakeRuntime, string) {
	f := &fakeRuntime{port: port, events: make(chan string, 4), registered: make(chan struct{})}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, strings.TrimPrefix(ts.URL, "http://")
}

func (f *fakeRuntime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/2020-01-01/extension/register":
		serving, servingV6 := false, false
		if f.port != 0 {
			c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			ping := func(host string) bool {
				resp, err := c.Get("http://" + host + ":" + itoa(f.port) + "/ping")
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == 200
			}
			serving, servingV6 = ping("127.0.0.1"), ping("[::1]")
		}
		f.mu.Lock()
		f.name, f.servingAt, f.servingV6 = r.Header.Get("Lambda-Extension-Name"), serving, servingV6
		f.mu.Unlock()
		close(f.registered)
		w.Header().Set("Lambda-Extension-Identifier", "id-1")
		_, _ = io.WriteString(w, `{"functionName":"fn","functionVersion":"$LATEST","handler":"bootstrap"}`)
	case "/2020-01-01/extension/event/next":
		if f.failNext {
			http.Error(w, "runtime gone", http.StatusInternalServerError)
			return
		}
		select {
		case ev := <-f.events:
			_, _ = io.WriteString(w, ev)
		case <-r.Context().Done():
		}
	case "/2020-01-01/extension/init/error", "/2020-01-01/extension/exit/error":
		f.mu.Lock()
		f.reports = append(f.reports, strings.TrimPrefix(r.URL.Path, "/2020-01-01/extension/")+" "+r.Header.Get("Lambda-Extension-Function-Error-Type"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	default:
		http.NotFound(w, r)
	}
}

func TestExtensionLifecycle(t *testing.T) {
	noLeaks(t)
	port := freePort(t)
	f, api := newFakeRuntime(t, port)
	file := writeFile(t, "e.json", validFile)
	ctxArgs := []string{"--emulate", file, "--port", itoa(port)}
	r := startRun(t, ctxArgs, envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok"), nil)
	f.mu.Lock()
	name, serving, servingV6 := f.name, f.servingAt, f.servingV6
	f.mu.Unlock()
	if name != "parsecd" || !serving {
		t.Errorf("registration: name %q, serving %v; want parsecd, already serving (listen before register)", name, serving)
	}
	if hasIPv6Loopback(t) && !servingV6 {
		t.Errorf("registration: not serving on [::1]; want both loopback addresses before registering")
	}
	if status, body := get(t, r.url+"/systemsmanager/parameters/get?name=%2Fp", "tok"); status != 200 || parameterValue(t, body) != "v1" {
		t.Errorf("GET /p = %d %s; want 200 with v1", status, body)
	}
	f.events <- `{"eventType":"INVOKE","deadlineMs":1,"requestId":"r"}` // not subscribed; ignored
	start := time.Now()
	f.events <- `{"eventType":"SHUTDOWN","deadlineMs":1,"shutdownReason":"spindown"}`
	select {
	case code := <-r.code:
		r.code <- code
		if code != exitOK {
			t.Errorf("exit code after SHUTDOWN = %d; want %d", code, exitOK)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("exit %v after SHUTDOWN; want within 2s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("parsecd did not exit after SHUTDOWN; stderr:\n%s", r.stderr)
	}
	if !containsAll(r.stderr.String(), `"msg":"parsecd: SHUTDOWN"`, `"reason":"spindown"`, `"mode":"extension"`) {
		t.Errorf("stderr = %s; want the SHUTDOWN logged", r.stderr)
	}
}

func TestExtensionInitErrors(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	tests := []struct {
		name   string
		args   []string
		env    []string
		reason string
	}{
		{"bad variable", nil, []string{"SECRETS_MANAGER_TTL", "soon", "AWS_SESSION_TOKEN", "tok"}, "Extension.ConfigError"},
		{"bad emulator file", []string{"--emulate", writeFile(t, "bad.json", "{")}, []string{"AWS_SESSION_TOKEN", "tok"}, "Extension.ConfigError"},
		{"no token", []string{"--emulate", file}, nil, "Extension.NoToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, api := newFakeRuntime(t, 0)
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"/opt/extensions/parsecd"}, tt.args...), envMap(append(tt.env, "AWS_LAMBDA_RUNTIME_API", api)...), &stdout, &stderr)
			if code != exitUsage {
				t.Errorf("exit code = %d; want %d; stderr:\n%s", code, exitUsage, stderr.String())
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.name != "parsecd" || len(f.reports) != 1 || f.reports[0] != "init/error "+tt.reason {
				t.Errorf("fake saw name %q, reports %q; want parsecd and [init/error %s]", f.name, f.reports, tt.reason)
			}
		})
	}
}

func TestExtensionPortInUse(t *testing.T) {
	noLeaks(t)
	ln := httptest.NewServer(http.NotFoundHandler()) // holds a port
	defer ln.Close()
	port := strings.TrimPrefix(ln.URL, "http://127.0.0.1:")
	f, api := newFakeRuntime(t, 0)
	var stdout, stderr bytes.Buffer
	code := run([]string{"parsecd", "--emulate", writeFile(t, "e.json", validFile)}, envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", port), &stdout, &stderr)
	f.mu.Lock()
	defer f.mu.Unlock()
	if code != exitUsage || len(f.reports) != 1 || f.reports[0] != "init/error Extension.ListenFailed" {
		t.Errorf("exit %d, reports %q; want %d and [init/error Extension.ListenFailed]", code, f.reports, exitUsage)
	}
}

func TestExtensionEventLoopFails(t *testing.T) {
	noLeaks(t)
	f, api := newFakeRuntime(t, 0)
	f.failNext = true
	var stdout, stderr bytes.Buffer
	code := run([]string{"parsecd", "--emulate", writeFile(t, "e.json", validFile), "--port", "0"}, envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok"), &stdout, &stderr)
	f.mu.Lock()
	defer f.mu.Unlock()
	if code != exitFailure || len(f.reports) != 1 || f.reports[0] != "exit/error Extension.EventLoopFailed" {
		t.Errorf("exit %d, reports %q; want %d and [exit/error Extension.EventLoopFailed]; stderr:\n%s", code, f.reports, exitFailure, stderr.String())
	}
	if !strings.Contains(stderr.String(), "HTTP 500") {
		t.Errorf("stderr = %s; want the event/next failure", stderr.String())
	}
}

// hasIPv6Loopback reports whether ::1 can be bound here; under CI it must.
func hasIPv6Loopback(t *testing.T) bool {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no IPv6 loopback: %v; CI machines must have ::1", err)
		}
		return false
	}
	ln.Close()
	return true
}

// TestClientBeforeReady is the published client that retries until the
// port answers, started before parsecd: before parsecd registers its
// requests may be refused (no listener yet), but once the extension is
// registered (when Lambda starts the function's INIT) every request gets an
// HTTP response, never a transport error (a nil response).
func TestClientBeforeReady(t *testing.T) {
	noLeaks(t)
	port := freePort(t)
	f, api := newFakeRuntime(t, port)
	file := writeFile(t, "e.json", validFile)
	type attempt struct {
		afterRegister bool
		status        int
		err           error
	}
	results := make(chan []attempt, 1)
	go func() {
		var got []attempt
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		pace := time.NewTicker(time.Millisecond) // pacing retries, as such clients do
		defer pace.Stop()
		deadline := time.After(30 * time.Second)
		ok := 0
		for ok < 20 {
			after := false
			select {
			case <-f.registered:
				after = true
			case <-deadline:
				results <- got
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodGet, "http://localhost:"+itoa(port)+"/systemsmanager/parameters/get?name=%2Fp", nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", "tok")
			resp, err := c.Do(req)
			a := attempt{afterRegister: after, err: err}
			if err == nil {
				a.status = resp.StatusCode
				resp.Body.Close()
				if after {
					ok++
				}
			}
			got = append(got, a)
			<-pace.C
		}
		results <- got
	}()
	r := startRun(t, []string{"--emulate", file, "--port", itoa(port)}, envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok"), nil)
	got := <-results
	before, after := 0, 0
	for _, a := range got {
		if !a.afterRegister {
			before++
			continue
		}
		after++
		if a.err != nil || a.status != 200 {
			t.Errorf("a request after registration got status %d, error %v; want 200", a.status, a.err)
		}
	}
	if after < 20 {
		t.Errorf("%d requests after registration; want 20", after)
	}
	t.Logf("%d attempts before registration (refused or answered), %d after, all answered 200", before, after)
	f.events <- `{"eventType":"SHUTDOWN","deadlineMs":1,"shutdownReason":"spindown"}`
	if code := r.stop(t); code != exitOK {
		t.Errorf("exit code = %d", code)
	}
}
