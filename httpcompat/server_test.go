package httpcompat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parsec-go/parsec/internal/logbuf"

	"go.uber.org/goleak"
)

// listen serves h on 127.0.0.1:0, closed at cleanup, and checks that closing
// it leaves no goroutine behind.
func listen(t testing.TB, h http.Handler, opts ...Option) *Server {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		t.Cleanup(func() { goleak.VerifyNone(tt, goleak.IgnoreCurrent()) })
	}
	s, err := Listen("127.0.0.1:0", h, opts...)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// listenLocalhost serves h on 127.0.0.1 and ::1 (port 0), closed at
// cleanup, with the same leak check as listen.
func listenLocalhost(t testing.TB, h http.Handler, opts ...Option) *Server {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		t.Cleanup(func() { goleak.VerifyNone(tt, goleak.IgnoreCurrent()) })
	}
	s, err := ListenLocalhost(0, h, opts...)
	if err != nil {
		t.Fatalf("ListenLocalhost: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// raw sends text as it is over a new connection and returns the parsed
// response and its body.
func raw(t testing.TB, addr, text string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response to %.80q: %v", text, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestListenRefusesNonLoopback(t *testing.T) {
	h, _, _ := newTestHandler(t)
	for _, addr := range []string{
		":2773", ":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "10.0.0.1:0", "example.com:0",
		"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "127.0.0.1:-1", "", "localhost.:0",
	} {
		s, err := Listen(addr, h)
		if err == nil {
			s.Close()
			t.Errorf("Listen(%q) = nil error; want a refusal", addr)
			continue
		}
		if !strings.Contains(err.Error(), "loopback") && !strings.Contains(err.Error(), "port") {
			t.Errorf("Listen(%q) error %q does not name the rule", addr, err)
		}
	}
	if _, err := Listen("127.0.0.1:0", nil); err == nil {
		t.Errorf("Listen(nil handler) = nil error")
	}
}

func TestListenLoopback(t *testing.T) {
	h, _, _ := newTestHandler(t)
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			s, err := Listen(addr, h)
			if err != nil {
				if addr == "[::1]:0" {
					missing(t, fmt.Sprintf("no IPv6 loopback (::1) here: Listen(%q): %v", addr, err), howIPv6)
				}
				t.Fatalf("Listen(%q): %v", addr, err)
			}
			defer s.Close()
			if !strings.HasPrefix(s.URL(), "http://") || !strings.HasSuffix(s.URL(), s.Addr()) {
				t.Errorf("URL() = %q; want http:// + Addr() %q", s.URL(), s.Addr())
			}
			host, _, _ := net.SplitHostPort(s.Addr())
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				t.Errorf("Addr() = %q; want a loopback address", s.Addr())
			}
			resp, body := raw(t, s.Addr(), "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
			if resp.StatusCode != 200 || body != "healthy" {
				t.Errorf("GET /ping = %d %q; want 200 healthy", resp.StatusCode, body)
			}
		})
	}
}

func TestServerConfiguration(t *testing.T) {
	h, _, _ := newTestHandler(t)
	s := listen(t, h)
	if s.srv.ReadHeaderTimeout <= 0 || s.srv.ReadTimeout <= 0 || s.srv.WriteTimeout <= 0 || s.srv.IdleTimeout <= 0 {
		t.Errorf("timeouts: header %v read %v write %v idle %v; want all set", s.srv.ReadHeaderTimeout, s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout)
	}
	if s.srv.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Errorf("MaxHeaderBytes = %d; want %d", s.srv.MaxHeaderBytes, DefaultMaxHeaderBytes)
	}
}

// TestWire checks what only a real connection shows: header-name case,
// HTTP's own whitespace rules, HTTP/1.0 without Host, and oversized requests
// (a 4xx, never a 5xx).
func TestWire(t *testing.T) {
	h, _, _ := newTestHandler(t)
	s := listen(t, h)
	const get = "GET /secretsmanager/get?secretId=s HTTP/1.1\r\nHost: localhost:2773\r\nConnection: close\r\n"
	tests := []struct {
		name string
		text string
		want int
	}{
		{"lower-case token header", get + "x-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 200},
		{"upper-case token header", get + "X-AWS-PARAMETERS-SECRETS-TOKEN: " + testToken + "\r\n\r\n", 200},
		{"lower-case vault header", get + "x-vault-token: " + testToken + "\r\n\r\n", 200},
		// HTTP strips optional whitespace around a field value (RFC 9110
		// 5.5), so this is the token itself: accepted.
		{"token with HTTP whitespace", get + "x-aws-parameters-secrets-token: \t " + testToken + " \t\r\n\r\n", 200},
		{"wrong token", get + "x-aws-parameters-secrets-token: nope\r\n\r\n", 401},
		{"no token", get + "\r\n", 401},
		{"HTTP/1.0 without Host", "GET /secretsmanager/get?secretId=s HTTP/1.0\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 403},
		{"HTTP/1.0 ping without Host", "GET /ping HTTP/1.0\r\n\r\n", 403},
		{"HTTP/1.1 without Host", "GET /secretsmanager/get?secretId=s HTTP/1.1\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 400},
		{"foreign Host", "GET /secretsmanager/get?secretId=s HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 403},
		{"absolute-form foreign host", "GET http://evil.example/secretsmanager/get?secretId=s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 403},
		{"X-Forwarded-For", get + "X-Forwarded-For: 203.0.113.1\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 400},
		{"invalid escape in path", "GET /v1/a%ZZ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 400},
		{"lone percent in query", "GET /secretsmanager/get?secretId=% HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 400},
		{"very long URL", "GET /secretsmanager/get?secretId=" + strings.Repeat("a", 64<<10) + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 431},
		{"very long header", get + "X-Big: " + strings.Repeat("b", 64<<10) + "\r\n\r\n", 431},
		{"many headers", get + strings.Repeat("X-H: v\r\n", 4000) + "\r\n", 431},
		{"POST", "POST /secretsmanager/get?secretId=s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 0\r\nx-aws-parameters-secrets-token: " + testToken + "\r\n\r\n", 405},
		{"garbage request line", "HELLO\r\n\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := raw(t, s.Addr(), tt.text)
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d %.200q; want %d", resp.StatusCode, body, tt.want)
			}
		})
	}
}

func TestMaxConcurrent(t *testing.T) {
	h, u, _ := newTestHandler(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	u.onSecret = func(id string) {
		if id == "slow" {
			once.Do(func() { close(entered) })
			<-release
		}
	}
	s := listen(t, h, WithMaxConcurrent(1))
	client := &http.Client{}
	defer client.CloseIdleConnections()
	get := func(target string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", s.URL()+target, nil)
		req.Header.Set(TokenHeader, testToken)
		return client.Do(req)
	}
	first := make(chan int)
	go func() {
		resp, err := get("/secretsmanager/get?secretId=slow")
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-entered
	resp, err := get("/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second request while one is in progress with WithMaxConcurrent(1) = %d; want 429", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	close(release)
	if got := <-first; got != 200 {
		t.Errorf("first request = %d; want 200", got)
	}
	resp, err = get("/ping")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("request after the first finished = %d; want 200", resp.StatusCode)
	}
}

func TestShutdownWaitsForRequests(t *testing.T) {
	h, u, _ := newTestHandler(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	u.onSecret = func(string) { close(entered); <-release }
	s, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest("GET", s.URL()+"/secretsmanager/get?secretId=a", nil)
		req.Header.Set(TokenHeader, testToken)
		resp, err := client.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-entered
	shut := make(chan error)
	go func() { shut <- s.Shutdown(context.Background()) }()
	close(release)
	if got := <-done; got != 200 {
		t.Errorf("request in progress at Shutdown = %d; want 200", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if _, err := net.Dial("tcp", s.Addr()); err == nil {
		t.Errorf("the port still accepts connections after Shutdown")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after Shutdown = %v", err)
	}
}

func TestShutdownContextEnds(t *testing.T) {
	h, u, _ := newTestHandler(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	u.onSecret = func(string) { close(entered); <-release }
	s, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{}
	defer client.CloseIdleConnections()
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("GET", s.URL()+"/secretsmanager/get?secretId=a", nil)
		req.Header.Set(TokenHeader, testToken)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown(canceled ctx) with a request in progress = %v; want context.Canceled", err)
	}
	s.Close()
	close(release)
	<-done
}

func TestStart(t *testing.T) {
	port := freePort(t)
	h, _, _ := newTestHandler(t) // for its cache
	env := map[string]string{
		"AWS_SESSION_TOKEN":                      testToken,
		"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": strconv.Itoa(port),
		"PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "none",
	}
	s, err := Start(h.cache, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer s.Close()
	if want := "127.0.0.1:" + strconv.Itoa(port); s.Addr() != want {
		t.Errorf("Addr() = %q; want %q", s.Addr(), want)
	}
	if a := s.Addrs(); len(a) == 2 && a[1] != "[::1]:"+strconv.Itoa(port) {
		t.Errorf("Addrs() = %v; want [::1] on the same port", a)
	} else if len(a) == 2 {
		if resp, _ := raw(t, a[1], "GET /ping HTTP/1.1\r\nHost: [::1]:"+strconv.Itoa(port)+"\r\nConnection: close\r\n\r\n"); resp.StatusCode != 200 {
			t.Errorf("GET /ping on [::1] through Start = %d", resp.StatusCode)
		}
	}
	resp, body := raw(t, s.Addr(), "GET /systemsmanager/parameters/get?name=%2Fa HTTP/1.1\r\nHost: localhost:"+strconv.Itoa(port)+"\r\nConnection: close\r\nX-Aws-Parameters-Secrets-Token: "+testToken+"\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "value-of:/a") {
		t.Errorf("GET through Start = %d %q; want 200 with the value", resp.StatusCode, body)
	}
	// The same port again is an error naming it.
	if s2, err := Start(h.cache, func(k string) string { return env[k] }); err == nil {
		s2.Close()
		t.Errorf("Start on a port in use = nil error")
	} else if !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("Start on a port in use: %v; want the port named", err)
	}
}

func TestStartErrors(t *testing.T) {
	h, _, _ := newTestHandler(t)
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no token", map[string]string{}, "AWS_SESSION_TOKEN"},
		{"bad port", map[string]string{"AWS_SESSION_TOKEN": "t", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "99999"}, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"},
		{"bad level", map[string]string{"AWS_SESSION_TOKEN": "t", "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL": "LOUD"}, "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"},
	}
	for _, tt := range tests {
		s, err := Start(h.cache, func(k string) string { return tt.env[k] })
		if err == nil {
			s.Close()
			t.Errorf("Start(%s) = nil error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Start(%s) = %v; want it to name %s", tt.name, err, tt.wantErr)
		}
	}
	if _, err := Start(h.cache, nil); err == nil {
		t.Errorf("Start(nil getenv) = nil error")
	}
}

// freePort returns a port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitConns waits until the server's connection counts satisfy ok.
func waitConnStats(t *testing.T, s *Server, ok func(connStats) bool) connStats {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		st, changed := s.limit.stats()
		if ok(st) {
			return st
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("connection counts %+v never reached the expected state", st)
		}
	}
}

// idleConn opens a connection, sends GET /ping on it and reads the answer,
// leaving it open and idle (keep-alive).
func idleConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return c, br
}

// TestConnectionLimitEvictsIdle opens more idle keep-alive connections than
// WithMaxOpenConnections allows: at the limit each new connection closes the
// one idle the longest, the server never holds more than the limit, and a
// request with a valid token on a new connection is answered.
func TestConnectionLimitEvictsIdle(t *testing.T) {
	const limit, extra = 4, 6
	h, _, _ := newTestHandler(t)
	s := listen(t, h, WithMaxOpenConnections(limit))
	conns := make([]net.Conn, 0, limit+extra)
	for i := range limit + extra {
		c, _ := idleConn(t, s.Addr())
		conns = append(conns, c)
		// The answer is read before the server marks the connection idle.
		waitConnStats(t, s, func(st connStats) bool { return st.idle == min(i+1, limit) })
	}
	st, _ := s.limit.stats()
	if st.open != limit || st.evicted != extra || st.refused != 0 {
		t.Errorf("after %d idle connections: %+v; want %d open, %d evicted, 0 refused", limit+extra, st, limit, extra)
	}
	// The oldest ones were closed by the server: reading gives EOF.
	for i, c := range conns[:extra] {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("connection %d (evicted) read %d bytes; want it closed", i, n)
		}
	}
	resp, body := raw(t, s.Addr(), "GET /systemsmanager/parameters/get?name=%2Fa HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"+TokenHeader+": "+testToken+"\r\n\r\n")
	if resp.StatusCode != 200 || !strings.Contains(body, "value-of:/a") {
		t.Errorf("a request with %d idle connections open = %d %q; want 200 with the value", limit+extra, resp.StatusCode, body)
	}
	st, _ = s.limit.stats()
	t.Logf("limit %d: %d idle connections opened, %d evicted, request answered 200; now %+v", limit, limit+extra, st.evicted, st)
}

// TestConnectionLimitAllBusy: when every connection has a request in
// progress, a connection beyond the limit is closed at once without an
// answer, and the server serves again once one is free.
func TestConnectionLimitAllBusy(t *testing.T) {
	h, u, _ := newTestHandler(t)
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	u.onSecret = func(string) { entered <- struct{}{}; <-release }
	s := listen(t, h, WithMaxOpenConnections(2))
	done := make(chan int, 2)
	for i := range 2 {
		go func() {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				done <- 0
				return
			}
			defer c.Close()
			_, _ = io.WriteString(c, "GET /secretsmanager/get?secretId=busy"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"+TokenHeader+": "+testToken+"\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-entered
	<-entered
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
		resp.Body.Close()
		t.Errorf("a connection beyond the limit with every connection busy got %d; want it closed without an answer", resp.StatusCode)
	}
	if st, _ := s.limit.stats(); st.refused != 1 || st.open != 2 {
		t.Errorf("counts %+v; want 2 open, 1 refused", st)
	}
	close(release)
	for range 2 {
		if got := <-done; got != 200 {
			t.Errorf("busy request = %d; want 200", got)
		}
	}
	waitConnStats(t, s, func(st connStats) bool { return st.open == 0 })
	if resp, body := raw(t, s.Addr(), "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); resp.StatusCode != 200 || body != "healthy" {
		t.Errorf("after the busy requests: /ping = %d %q", resp.StatusCode, body)
	}
}

// TestListenLocalhost: one server on 127.0.0.1 and ::1 with the same port,
// one shutdown for both.
func TestListenLocalhost(t *testing.T) {
	h, _, _ := newTestHandler(t)
	logs := &logbuf.Buffer{}
	s, err := ListenLocalhost(0, h, WithLogger(NewLogger(logs, slog.LevelInfo)))
	if err != nil {
		t.Fatal(err)
	}
	addrs := s.Addrs()
	if len(addrs) != 2 {
		s.Close()
		missing(t, fmt.Sprintf("no IPv6 loopback (::1) here: Addrs() = %v, want 127.0.0.1 and [::1]", addrs), howIPv6)
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	if addrs[0] != "127.0.0.1:"+port || addrs[1] != "[::1]:"+port || s.Addr() != addrs[0] {
		t.Errorf("Addrs() = %v, Addr() = %s; want 127.0.0.1 and [::1] on one port", addrs, s.Addr())
	}
	for _, a := range addrs {
		if resp, body := raw(t, a, "GET /ping HTTP/1.1\r\nHost: localhost:"+port+"\r\nConnection: close\r\n\r\n"); resp.StatusCode != 200 || body != "healthy" {
			t.Errorf("GET /ping on %s = %d %q", a, resp.StatusCode, body)
		}
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, a := range addrs {
		if c, err := net.Dial("tcp", a); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Shutdown", a)
		}
	}
	if !strings.Contains(logs.String(), "[::1]:"+port) {
		t.Errorf("the start log does not name both addresses: %s", logs)
	}
	// A port taken on ::1 only is an error naming it.
	v6, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer v6.Close()
	taken := v6.Addr().(*net.TCPAddr).Port
	if s2, err := ListenLocalhost(taken, h); err == nil {
		s2.Close()
		t.Errorf("ListenLocalhost(%d) with [::1]:%d taken = nil error", taken, taken)
	} else if !strings.Contains(err.Error(), "[::1]:"+strconv.Itoa(taken)) {
		t.Errorf("ListenLocalhost with ::1 taken: %v; want [::1]:%d named", err, taken)
	}
}

// TestListenLocalhostWithoutIPv6: where ::1 cannot be bound (no IPv6), the
// server starts on 127.0.0.1 alone and says so at INFO; no other address is
// tried.
func TestListenLocalhostWithoutIPv6(t *testing.T) {
	h, _, _ := newTestHandler(t)
	for _, errno := range []syscall.Errno{syscall.EADDRNOTAVAIL, syscall.EAFNOSUPPORT} {
		logs := &logbuf.Buffer{}
		var tried []string
		noV6 := func(network, addr string) (net.Listener, error) {
			tried = append(tried, addr)
			if strings.HasPrefix(addr, "[::1]") {
				return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", errno)}
			}
			return net.Listen(network, addr)
		}
		s, err := ListenLocalhost(0, h, withListen(noV6), WithLogger(NewLogger(logs, slog.LevelInfo)))
		if err != nil {
			t.Fatalf("ListenLocalhost without IPv6 (%v): %v", errno, err)
		}
		if a := s.Addrs(); len(a) != 1 || !strings.HasPrefix(a[0], "127.0.0.1:") {
			t.Errorf("Addrs() = %v; want 127.0.0.1 only", a)
		}
		if len(tried) != 2 || !strings.HasPrefix(tried[0], "127.0.0.1:") || !strings.HasPrefix(tried[1], "[::1]:") {
			t.Errorf("addresses tried = %v; want 127.0.0.1 then [::1], nothing else", tried)
		}
		if resp, _ := raw(t, s.Addr(), "GET /ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); resp.StatusCode != 200 {
			t.Errorf("GET /ping = %d", resp.StatusCode)
		}
		s.Close()
		if out := logs.String(); !strings.Contains(out, `"level":"INFO"`) || !strings.Contains(out, "no IPv6 loopback") {
			t.Errorf("logs = %s; want an INFO record saying there is no IPv6 loopback", out)
		}
	}
	if _, err := ListenLocalhost(70000, h); err == nil || !strings.Contains(err.Error(), "70000") {
		t.Errorf("ListenLocalhost(70000) = %v; want an error naming the port", err)
	}
}
