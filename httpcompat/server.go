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
	"sync"
	"time"

	"github.com/parsec-go/parsec/cache"
)

// The server's defaults: tight enough that a slow or stuck client cannot
// hold a connection for long, loose enough for a slow upstream read
// (WriteTimeout must outlast the cache's load timeout, 10 s by default).
const (
	DefaultMaxConcurrent     = 256              // requests in progress before 429
	DefaultReadHeaderTimeout = 5 * time.Second  // to read a request's headers (slowloris)
	DefaultReadTimeout       = 10 * time.Second // to read a whole request
	DefaultWriteTimeout      = 2 * time.Minute  // to answer, including the upstream read
	DefaultIdleTimeout       = 90 * time.Second // a keep-alive connection may stay idle
	DefaultMaxHeaderBytes    = 8 << 10          // request line and headers (net/http adds 4 KiB slack); beyond: 431
)

// Server is an HTTP server on a loopback address. [Listen] and [Start]
// return one already serving. Its methods are safe for concurrent use. Call
// [Server.Shutdown] or [Server.Close] when done; neither closes the cache.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	log  *slog.Logger
	done chan struct{} // closed when Serve has returned
	// conns counts the connections whose goroutine has not ended. net/http
	// keeps a connection's goroutine for up to 500 ms after it answered an
	// unreadable request (closeWriteAndWait), past Shutdown and Close; they
	// wait on conns so that nothing the server started outlives them.
	conns sync.WaitGroup
	once  sync.Once
	err   error // Serve's error other than http.ErrServerClosed; read after done
}

// ServerOption configures [Listen].
type ServerOption func(*serverConfig)

type serverConfig struct {
	maxConcurrent int
	logger        *slog.Logger
}

// WithMaxConcurrent sets how many requests may be in progress at once
// (default [DefaultMaxConcurrent]); a request beyond that is answered 429 at
// once, as the Secrets Manager Agent does. n < 1 keeps the default.
func WithMaxConcurrent(n int) ServerOption {
	return func(c *serverConfig) {
		if n >= 1 {
			c.maxConcurrent = n
		}
	}
}

// WithServerLogger sets where the server logs its start, stop and
// connection-level errors (default: nowhere).
func WithServerLogger(l *slog.Logger) ServerOption {
	return func(c *serverConfig) { c.logger = l }
}

// Listen binds addr and serves h on it in the background; it returns once
// the port is bound, so a request sent after it returns is answered. addr
// must be host:port with a loopback host: 127.0.0.1 (or any 127.x.y.z), ::1
// or localhost (bound as 127.0.0.1); a wildcard ("", 0.0.0.0, ::) or any
// other address is refused with an error naming the rule. Port 0 picks a
// free port; see [Server.Addr]. The server applies [DefaultReadHeaderTimeout],
// [DefaultReadTimeout], [DefaultWriteTimeout], [DefaultIdleTimeout] and
// [DefaultMaxHeaderBytes] (larger request headers get 431), and answers 429
// beyond [WithMaxConcurrent] requests in progress.
func Listen(addr string, h http.Handler, opts ...ServerOption) (*Server, error) {
	if h == nil {
		return nil, errors.New("httpcompat: Listen needs a handler")
	}
	bind, err := loopbackAddr(addr)
	if err != nil {
		return nil, err
	}
	cfg := serverConfig{maxConcurrent: DefaultMaxConcurrent}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("httpcompat: listen on %s: %w", bind, err)
	}
	s := &Server{ln: ln, log: cfg.logger, done: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           limit(h, cfg.maxConcurrent),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    DefaultMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(cfg.logger.Handler(), slog.LevelWarn),
		ConnState:         s.trackConn,
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.err = err
			s.log.Error("httpcompat: server stopped", slog.String("addr", s.Addr()), slog.String("error", err.Error()))
		}
	}()
	s.log.Info("httpcompat: listening", slog.String("addr", s.Addr()))
	return s, nil
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
func limit(h http.Handler, n int) http.Handler {
	sem := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusTooManyRequests, "TooManyRequests", "too many requests in progress; retry")
		}
	})
}

// trackConn counts connections in and out. Serve reports StateNew before it
// starts a connection's goroutine (and before Serve returns), and every
// connection ends in StateClosed or StateHijacked, so once Serve has returned
// s.conns.Wait waits for exactly the connections it accepted.
func (s *Server) trackConn(_ net.Conn, st http.ConnState) {
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

// Addr returns the address the server is bound to, for example
// "127.0.0.1:2773".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the server's base URL, for example "http://127.0.0.1:2773".
func (s *Server) URL() string { return "http://" + s.Addr() }

// Shutdown stops accepting connections and waits, until ctx ends, for the
// requests in progress to finish and every connection's goroutine to end;
// then the serving goroutine has ended too. It
// returns ctx's error if ctx ended first (call [Server.Close] then), or the
// error that stopped the server unexpectedly, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done // Serve returns as soon as Shutdown has closed the listener
	if err == nil {
		err = s.waitConns(ctx)
	}
	s.stopped()
	if err != nil {
		return err
	}
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
	return s.err
}

func (s *Server) stopped() {
	s.once.Do(func() { s.log.Info("httpcompat: stopped", slog.String("addr", s.Addr())) })
}

// Start serves the extension's API for c in one line of a function's init,
// configured as the extension is: the port from
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (default 2773) on 127.0.0.1, the
// token from [TokenFromEnv], and JSON logs to stderr at
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL (default INFO), all read through
// getenv (os.Getenv in production). A bad variable, a missing token or a
// port in use is an error naming it. The caller keeps ownership of c.
func Start(c *cache.Cache, getenv func(string) string) (*Server, error) {
	if getenv == nil {
		return nil, errors.New("httpcompat: Start needs a getenv function")
	}
	env, err := cache.ParseEnv(getenv)
	if err != nil {
		return nil, fmt.Errorf("httpcompat: %w", err)
	}
	token, err := TokenFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	log := NewLogger(os.Stderr, env.LogLevel)
	h, err := NewHandler(c, WithToken(token), WithLogger(log))
	if err != nil {
		return nil, err
	}
	return Listen(net.JoinHostPort("127.0.0.1", strconv.Itoa(env.HTTPPort)), h, WithServerLogger(log))
}
