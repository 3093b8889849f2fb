package sourcetest

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/parsec-go/parsec/source"
)

// inMemoryEndpoint is the BaseEndpoint of [Server.InMemoryConfig]. Nothing
// resolves or dials it: the transport hands every request to the server's
// handler. The .invalid top-level domain can never be a real host.
const inMemoryEndpoint = "http://sourcetest.invalid"

// NewInMemory returns a [Server] without a listener: its SDK clients
// ([Server.Config], [Server.Clients], [Server.SSM],
// [Server.SecretsManager]) reach its handler through an in-memory transport,
// with no socket and no goroutine. It can therefore be created and used
// inside a testing/synctest bubble, where injected latency and hangs follow
// the bubble's fake clock. URL is empty and Start panics. The caller should
// call Close, which ends hanging and delayed calls and waits for them.
func NewInMemory(opts ...Option) *Server {
	return newServer(opts...)
}

// InMemoryConfig returns an aws.Config like [Server.Config] whose HTTP
// client does not use the network: its transport calls the server's
// handler directly on the caller's goroutine. It works for every server,
// started or not, and inside a testing/synctest bubble.
//
// The transport behaves like a connection to the server:
//   - the handler sees the request's context, so a Hang fault or a delay
//     ends when the caller's context ends, and the call returns the
//     context's error;
//   - a Reset fault returns a transport error wrapping ECONNRESET, with no
//     HTTP response;
//   - while the server is down ([Server.SetDown]), or after Close, a call
//     fails with an error wrapping ECONNREFUSED and is not counted.
func (s *Server) InMemoryConfig() aws.Config {
	return aws.Config{
		Region:           s.cfg.region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(inMemoryEndpoint),
		RetryMaxAttempts: 1,
		HTTPClient:       s.mem,
	}
}

// InMemoryClients returns source.New(s.InMemoryConfig()): every upstream
// operation of parsec, served by s without the network.
func (s *Server) InMemoryClients() source.Clients { return source.New(s.InMemoryConfig()) }

// memTransport is the http.RoundTripper of InMemoryConfig.
type memTransport struct{ s *Server }

// RoundTrip serves req with the server's handler. Like any RoundTripper it
// closes req.Body.
func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.s
	if req.Body != nil {
		defer req.Body.Close()
	}
	if !s.memEnter() {
		return nil, connError("dial", syscall.ECONNREFUSED)
	}
	defer s.memWG.Done()
	if s.down.Load() {
		return nil, connError("dial", syscall.ECONNREFUSED)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := req.Clone(ctx)
	if in.Body == nil {
		in.Body = http.NoBody
	}
	in.RemoteAddr = "127.0.0.1:0"
	in.RequestURI = req.URL.RequestURI()
	w := &memWriter{ResponseRecorder: httptest.NewRecorder()}
	if aborted := serveMem(s, w, in); aborted || w.hijacked {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, connError("read", syscall.ECONNRESET)
	}
	resp := w.Result()
	resp.Request = req
	return resp, nil
}

// serveMem runs the handler and reports whether it aborted the call by
// panicking with http.ErrAbortHandler, as net/http's server allows.
func serveMem(s *Server, w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	s.serveHTTP(w, r)
	return false
}

// memEnter registers one in-memory call; it returns false once the server
// is closed.
func (s *Server) memEnter() bool {
	s.memMu.Lock()
	defer s.memMu.Unlock()
	if s.memClosed {
		return false
	}
	s.memWG.Add(1)
	return true
}

// memClose refuses new in-memory calls and waits for those in progress.
func (s *Server) memClose() {
	s.memMu.Lock()
	s.memClosed = true
	s.memMu.Unlock()
	s.memWG.Wait()
}

// connError is the error a TCP connection gives for errno: what
// *http.Transport returns when the server refuses or resets it.
func connError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Addr: memAddr{}, Err: os.NewSyscallError(op, errno)}
}

// memWriter records a response and lets the handler hijack the "connection"
// to abort the call, as abort does.
type memWriter struct {
	*httptest.ResponseRecorder
	hijacked bool
}

// Hijack marks the call as aborted and returns a connection whose Close
// does nothing.
func (w *memWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, errors.New("sourcetest: connection already hijacked")
	}
	w.hijacked = true
	return memConn{}, nil, nil
}

// memConn is the connection a memWriter hands out: closing it is the abort.
type memConn struct{}

func (memConn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (memConn) Write(b []byte) (int, error)      { return 0, net.ErrClosed }
func (memConn) Close() error                     { return nil }
func (memConn) LocalAddr() net.Addr              { return memAddr{} }
func (memConn) RemoteAddr() net.Addr             { return memAddr{} }
func (memConn) SetDeadline(time.Time) error      { return nil }
func (memConn) SetReadDeadline(time.Time) error  { return nil }
func (memConn) SetWriteDeadline(time.Time) error { return nil }

type memAddr struct{}

func (memAddr) Network() string { return "memory" }
func (memAddr) String() string  { return "sourcetest.invalid:80" }
