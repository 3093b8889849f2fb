package httpcompat

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener is a net.Listener of in-memory connections (net.Pipe), so
// that a Server runs inside a synctest bubble, where its timeouts follow
// the bubble's fake clock.
type pipeListener struct {
	conns  chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2773} }

func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.conns <- server
	return client
}

// TestIdleConnectionsClose: a keep-alive connection left idle is closed by
// the server after DefaultIdleTimeout (5 s of the bubble's fake clock), and
// not before.
func TestIdleConnectionsClose(t *testing.T) {
	if DefaultIdleTimeout > 10*time.Second {
		t.Errorf("DefaultIdleTimeout = %v; want a few seconds", DefaultIdleTimeout)
	}
	synctest.Test(t, func(t *testing.T) {
		h, _, _ := newTestHandler(t)
		ln := newPipeListener()
		cfg, err := serverOptions("test", h, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(h, cfg, []net.Listener{ln})
		defer s.Close()
		c := ln.dial()
		defer c.Close()
		go func() { _, _ = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n") }()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		synctest.Wait()
		if st, _ := s.limit.stats(); st.idle != 1 {
			t.Fatalf("after one request: %+v; want 1 idle connection", st)
		}
		start := time.Now()
		<-time.After(DefaultIdleTimeout - time.Millisecond) // the bubble's fake clock: no real time passes
		synctest.Wait()
		if st, _ := s.limit.stats(); st.idle != 1 {
			t.Errorf("idle for %v: %+v; want still open", time.Since(start), st)
		}
		<-time.After(2 * time.Millisecond)
		synctest.Wait()
		if st, _ := s.limit.stats(); st.open != 0 {
			t.Errorf("idle for %v: %+v; want closed", time.Since(start), st)
		}
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Errorf("the idle connection is still readable after %v", time.Since(start))
		}
	})
}

// TestSilentConnectionClosedFirst: at the connection limit, a connection
// that has sent nothing for DefaultFirstRequestTimeout is closed to make
// room before an idle keep-alive one; before that time the new connection
// waits to be accepted, and nothing is closed.
func TestSilentConnectionClosedFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, _, _ := newTestHandler(t)
		ln := newPipeListener()
		cfg, err := serverOptions("test", h, []Option{WithMaxOpenConnections(2)})
		if err != nil {
			t.Fatal(err)
		}
		s := newServer(h, cfg, []net.Listener{ln})
		defer s.Close()
		get := func(c net.Conn) error {
			go func() { _, _ = io.WriteString(c, "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n") }()
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}
		idle := ln.dial()
		defer idle.Close()
		if err := get(idle); err != nil {
			t.Fatal(err)
		}
		silent := ln.dial()
		defer silent.Close()
		silentClosed := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, silent); close(silentClosed) }()
		synctest.Wait()
		start := time.Now()
		third := make(chan net.Conn, 1)
		go func() { third <- ln.dial() }()
		synctest.Wait()
		if st, _ := s.limit.stats(); st.open != 2 || st.idle != 1 || st.fresh != 1 || len(third) != 0 {
			t.Fatalf("a third connection at the limit of 2 (one idle, one silent for %v): %+v, accepted %v; want it waiting", time.Since(start), st, len(third) != 0)
		}
		<-time.After(DefaultFirstRequestTimeout - time.Millisecond)
		synctest.Wait()
		if st, _ := s.limit.stats(); len(third) != 0 || st.slow != 0 {
			t.Fatalf("after %v: %+v; want the third connection still waiting", time.Since(start), st)
		}
		<-time.After(time.Millisecond)
		synctest.Wait()
		select {
		case <-silentClosed:
		default:
			t.Fatalf("the silent connection is open after %v at the limit", time.Since(start))
		}
		c := <-third
		defer c.Close()
		if st, _ := s.limit.stats(); st.slow != 1 || st.evicted != 0 || st.idle != 1 {
			t.Errorf("after %v: %+v; want the silent connection closed, the idle one kept", time.Since(start), st)
		}
		if err := get(c); err != nil {
			t.Errorf("a request on the third connection: %v", err)
		}
		if err := get(idle); err != nil {
			t.Errorf("a request on the idle connection: %v", err)
		}
	})
}
