package httpcompat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/lambdaenv"
)

// The server's defaults: tight enough that a slow or stuck client cannot
// hold a connection for long, and that idle clients cannot use up Lambda's
// 1,024 file descriptors; loose enough for a slow upstream read
// (WriteTimeout must outlast the cache's load timeout, 10 s by default).
const (
	DefaultMaxConcurrent      = 128              // requests in progress before 429
	DefaultMaxOpenConnections = 256              // connections open at once; see WithMaxOpenConnections
	DefaultReadHeaderTimeout  = 5 * time.Second  // to read a request's headers (slowloris)
	DefaultReadTimeout        = 10 * time.Second // to read a whole request
	DefaultWriteTimeout       = 2 * time.Minute  // to answer, including the upstream read
	DefaultIdleTimeout        = 5 * time.Second  // a keep-alive connection may stay idle
	DefaultMaxHeaderBytes     = 8 << 10          // request line and headers (net/http adds 4 KiB slack); beyond: 431
)

// Server is an HTTP server on loopback: one http.Server on one or two
// listeners (127.0.0.1 and ::1, see [ListenLocalhost]). [Listen],
// [ListenLocalhost] and [Start] return one already serving. Its methods are
// safe for concurrent use. Call [Server.Shutdown] or [Server.Close] when
// done; either stops every listener; neither closes the cache.
type Server struct {
	srv   *http.Server
	lns   []net.Listener // the first is the one Addr reports
	log   *slog.Logger
	limit *connLimit
	done  chan struct{} // closed when every Serve has returned
	// conns counts the connections whose goroutine has not ended. net/http
	// keeps a connection's goroutine for up to 500 ms after it answered an
	// unreadable request (closeWriteAndWait), past Shutdown and Close; they
	// wait on conns so that nothing the server started outlives them.
	conns sync.WaitGroup
	once  sync.Once
	errMu sync.Mutex
	err   error // the first Serve error other than http.ErrServerClosed
}

// serverOptions applies opts, given to fn, over the server's defaults.
func serverOptions(fn string, h http.Handler, opts []Option) (options, error) {
	cfg := options{maxConcurrent: DefaultMaxConcurrent, maxConns: DefaultMaxOpenConnections, listen: net.Listen}
	if hh, ok := h.(*Handler); ok && hh.jsonErrors {
		cfg.jsonErrors = true
	}
	err := applyOptions(&cfg, scopeServer, fn, opts)
	return cfg, err
}

// Listen binds addr and serves h on it in the background; it returns once
// the port is bound, so a request sent after it returns is answered. addr
// must be host:port with a loopback host: 127.0.0.1 (or any 127.x.y.z), ::1
// or localhost (bound as 127.0.0.1 only; [ListenLocalhost] binds ::1 too);
// a wildcard ("", 0.0.0.0, ::) or any other address is refused with an
// error naming the rule. Port 0 picks a free port; see [Server.Addr]. The
// server applies [DefaultReadHeaderTimeout], [DefaultReadTimeout],
// [DefaultWriteTimeout], [DefaultIdleTimeout] and [DefaultMaxHeaderBytes]
// (larger request headers get 431), answers 429 beyond [WithMaxConcurrent]
// requests in progress and keeps at most [WithMaxOpenConnections]
// connections open.
func Listen(addr string, h http.Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("httpcompat: Listen needs a handler")
	}
	bind, err := loopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	cfg, err := serverOptions("Listen", h, opts)
	if err != nil {
		return nil, err
	}
	ln, err := cfg.listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("httpcompat: listen on %s: %w", bind, err)
	}
	return newServer(h, cfg, []net.Listener{ln}), nil
}

// ListenLocalhost serves h on port of both loopback addresses, 127.0.0.1
// and [::1], with one server, as [Listen] does for one address: a client
// that resolves localhost to ::1 first (Node without address-family
// autoselection, curl -6) reaches it as one that resolves it to 127.0.0.1.
// Where the machine has no IPv6 loopback, it serves on 127.0.0.1 only and
// logs so at INFO. Port 0 picks a port free on both. No other address is
// ever bound. A port in use on either address is an error naming it.
func ListenLocalhost(port int, h http.Handler, opts ...Option) (*Server, error) {
	if h == nil {
		return nil, errors.New("httpcompat: ListenLocalhost needs a handler")
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("httpcompat: port %d: must be from 1 to 65535, or 0 for a free port", port)
	}
	cfg, err := serverOptions("ListenLocalhost", h, opts)
	if err != nil {
		return nil, err
	}
	// With port 0, the port the kernel picked on 127.0.0.1 may be taken on
	// ::1: pick again, a bounded number of times.
	const attempts = 8
	for i := 0; ; i++ {
		p := strconv.Itoa(port)
		v4, err := cfg.listen("tcp", net.JoinHostPort("127.0.0.1", p))
		if err != nil {
			return nil, fmt.Errorf("httpcompat: listen on 127.0.0.1:%s: %w", p, err)
		}
		p = strconv.Itoa(v4.Addr().(*net.TCPAddr).Port)
		v6, err := cfg.listen("tcp", net.JoinHostPort("::1", p))
		switch {
		case err == nil:
			return newServer(h, cfg, []net.Listener{v4, v6}), nil
		case noIPv6(err):
			cfg.logger.Info("httpcompat: this machine has no IPv6 loopback (::1): serving on 127.0.0.1 only", slog.String("error", err.Error()))
			return newServer(h, cfg, []net.Listener{v4}), nil
		}
		_ = v4.Close()
		if port != 0 || i+1 == attempts || !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("httpcompat: listen on [::1]:%s: %w", p, err)
		}
	}
}

// noIPv6 reports whether a listen on ::1 failed because the machine has no
// IPv6 loopback (IPv6 disabled, or ::1 not configured).
func noIPv6(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EPROTONOSUPPORT)
}

// newServer starts one http.Server on every listener.
func newServer(h http.Handler, cfg options, lns []net.Listener) *Server {
	s := &Server{lns: lns, log: cfg.logger, limit: newConnLimit(cfg.maxConns), done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           limit(h, cfg.maxConcurrent, cfg.jsonErrors),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.logger.Handler(), slog.LevelWarn),
		ConnState:         s.trackConn,
	}
	var serving sync.WaitGroup
	for _, ln := range lns {
		serving.Go(func() {
			if err := s.srv.Serve(s.limit.listener(ln)); !errors.Is(err, http.ErrServerClosed) {
				s.errMu.Lock()
				if s.err == nil {
					s.err = err
				}
				s.errMu.Unlock()
				s.log.Error("httpcompat: server stopped", slog.String("addr", ln.Addr().String()), slog.String("error", err.Error()))
			}
		})
	}
	go func() { serving.Wait(); close(s.done) }()
	s.log.Info("httpcompat: listening", slog.String("addr", strings.Join(s.Addrs(), " ")),
		slog.Int("maxOpenConnections", cfg.maxConns), slog.Int("maxConcurrent", cfg.maxConcurrent))
	return s
}

// loopbackAddr checks addr and returns what to bind.
func loopbackAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("httpcompat: address %q: must be host:port with a loopback host (127.0.0.1, ::1 or localhost): %w", addr, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("httpcompat: address %q: the port must be a number from 0 to 65535", addr)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("httpcompat: address %q: the host must be a loopback address (127.0.0.1, ::1 or localhost), never a wildcard or another interface: any host on the network could read secrets", addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// limit answers 429 when n requests are already in progress.
func limit(h http.Handler, n int, jsonErrors bool) http.Handler {
	sem := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			const msg = "too many requests in progress; retry"
			writeError(w, jsonErrors, http.StatusTooManyRequests, "TooManyRequests", msg, msg)
		}
	})
}

// trackConn counts connections in and out. Serve reports StateNew before it
// starts a connection's goroutine (and before Serve returns), and every
// connection ends in StateClosed or StateHijacked, so once Serve has returned
// s.conns.Wait waits for exactly the connections it accepted.
func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.limit.state(c, st)
	switch st {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.conns.Done()
	}
}

// waitConns waits until every connection's goroutine has ended or ctx ends.
func (s *Server) waitConns(ctx context.Context) error {
	ended := make(chan struct{})
	go func() { s.conns.Wait(); close(ended) }()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Addr returns the address the server is bound to, the IPv4 one when it
// has two, for example "127.0.0.1:2773".
func (s *Server) Addr() string { return s.lns[0].Addr().String() }

// Addrs returns every address the server is bound to, for example
// ["127.0.0.1:2773", "[::1]:2773"].
func (s *Server) Addrs() []string {
	a := make([]string, len(s.lns))
	for i, ln := range s.lns {
		a[i] = ln.Addr().String()
	}
	return a
}

// URL returns the server's base URL, for example "http://127.0.0.1:2773".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in progress to finish and every connection's goroutine to end;
// then the serving goroutine has ended too. It
// returns ctx's error if ctx ended first (call [Server.Close] then), or the
// error that stopped the server unexpectedly, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done // Serve returns as soon as Shutdown has closed the listeners
	if err == nil {
		err = s.waitConns(ctx)
	}
	s.stopped()
	if err != nil {
		return err
	}
	return s.serveErr()
}

func (s *Server) serveErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// Close stops the server at once, closing every connection, and waits for
// the serving goroutine and every connection's goroutine to end (a
// connection's goroutine ends when its handler returns, and at most 500 ms
// after its connection was closed).
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	s.conns.Wait()
	s.stopped()
	if err != nil {
		return err
	}
	return s.serveErr()
}

func (s *Server) stopped() {
	s.once.Do(func() { s.log.Info("httpcompat: stopped", slog.String("addr", strings.Join(s.Addrs(), " "))) })
}

// Start serves the extension's API for c in one line of a function's init,
// configured as the extension is: the port from
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (default 2773) on 127.0.0.1 and
// ::1 (see [ListenLocalhost]), the
// token from [TokenFromEnv], and JSON logs to stderr at
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL (default INFO), all read through
// getenv (os.Getenv in production) by lambdaenv.Parse. A bad variable (a
// *lambdaenv.VarError), a missing token ([ErrNoToken]) or a port in use is
// an error naming it. The caller keeps ownership of c; the cache's own
// settings come from cache.WithEnv or cache.NewDefault.
func Start(c *cache.Cache, getenv func(string) string) (*Server, error) {
	if getenv == nil {
		return nil, errors.New("httpcompat: Start needs a getenv function")
	}
	env, err := lambdaenv.Parse(getenv)
	if err != nil {
		return nil, fmt.Errorf("httpcompat: %w", err)
	}
	token, err := TokenFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	log := env.Logger(os.Stderr)
	h, err := NewHandler(c, WithToken(token), WithLogger(log))
	if err != nil {
		return nil, err
	}
	return ListenLocalhost(env.HTTPPort, h, WithLogger(log))
}
