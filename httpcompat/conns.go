package httpcompat

import (
	"container/list"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultFirstRequestTimeout is how long a new connection may take to send
// its first complete request line and headers before, at the connection
// limit, it is the first to be closed to make room (see
// [WithMaxOpenConnections]). A local client sends its request as soon as
// it has connected; 200 ms is far beyond that, and short enough that
// sockets which connect and send nothing, or only part of a request, or a
// byte at a time, cannot keep the server's connection slots from the
// clients that do send requests.
const DefaultFirstRequestTimeout = 200 * time.Millisecond

// connLimit bounds the connections a [Server] keeps open at max. It sees
// every connection through http.Server.ConnState; net/http reports a
// connection StateNew when it is accepted and StateActive only once a whole
// request line and its headers have been read, so a connection that sent
// nothing, part of a request or a byte at a time stays "new" until it has
// sent a whole request.
//
//   - Before the server accepts a connection (see admit): while max are
//     open and the oldest new connection is younger than firstRequest, the
//     server waits, at most until it is that old or a connection closes;
//     the connections waiting to be accepted stay in the kernel's accept
//     queue, in order, and a client's request waits there with them, read
//     as soon as its connection is accepted.
//   - StateNew with fewer than max open: the connection is counted, in the
//     new list (by arrival).
//   - StateNew at max: one connection is closed to make room, the first
//     found of:
//     1. the oldest new connection that has not sent a whole request
//     within firstRequest of its arrival (a silent, partial or dribbling
//     client);
//     2. the keep-alive connection idle the longest (between requests:
//     its client has been answered; net/http's client retries a GET on
//     a new connection when it finds an idle one closed);
//     3. the oldest new connection, however young (only when two
//     listeners accept at once: admit has waited for an old one);
//     4. when every open connection is answering a request: the new one,
//     at once, before anything is read from it (its client sees the
//     connection closed without an answer).
//     The new connection is then counted.
//   - StateActive: the connection leaves the new or idle list (it is
//     answering a request and is never closed here).
//   - StateIdle: the connection joins the idle list.
//   - StateClosed / StateHijacked: the connection is no longer counted.
//
// So the server never holds more than max connections (max file
// descriptors, one more for a moment while it closes a victim); once the
// limit is reached, sockets that never send a whole request hold a slot
// for at most firstRequest each, whatever their number, and while they fill
// every slot the server accepts at most max connections per firstRequest
// (1,280 a second with the defaults), so reopening them costs the process
// a bounded amount of work. A client's new connection waits in the accept
// queue behind at most the sockets queued before it: (queued ÷ max) ×
// firstRequest (0.6 s behind 1,000 silent sockets with the defaults); a
// client that keeps its connection alive between requests is not delayed
// at all, since idle connections are closed to make room only when no
// new connection is open.
//
// A connection closed here is removed from the count at once (its file
// descriptor is closed by Close); the ConnState calls that follow for it
// are ignored. Closing an idle connection races, as any idle timeout does,
// with a client that has just sent a new request on it.
type connLimit struct {
	max          int
	firstRequest time.Duration

	mu      sync.Mutex
	open    map[net.Conn]*slot // counted connections
	fresh   list.List          // of *slot: new connections, oldest first
	idle    list.List          // of *slot: idle connections, idle the longest first
	slow    int                // new connections closed past firstRequest
	evicted int                // idle connections closed to make room
	young   int                // new connections closed within firstRequest
	refused int                // new connections closed at once
	changed chan struct{}      // closed and replaced at every change (for tests)
}

// slot is a counted connection.
type slot struct {
	c       net.Conn
	arrived time.Time
	e       *list.Element // in fresh or idle, or nil (active)
	in      *list.List    // the list e is in
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, firstRequest: DefaultFirstRequestTimeout, open: make(map[net.Conn]*slot), changed: make(chan struct{})}
}

// unlist takes s out of the list it is in, if any.
func unlist(s *slot) {
	if s.e != nil {
		s.in.Remove(s.e)
		s.e, s.in = nil, nil
	}
}

func (l *connLimit) push(s *slot, to *list.List) {
	unlist(s)
	s.e, s.in = to.PushBack(s), to
}

// victim picks the connection to close to make room for one arriving at
// now, in the order of the type's comment, and uncounts it; nil when every
// counted connection is answering a request.
func (l *connLimit) victim(now time.Time) net.Conn {
	var s *slot
	switch f, i := l.fresh.Front(), l.idle.Front(); {
	case f != nil && now.Sub(f.Value.(*slot).arrived) >= l.firstRequest:
		s = f.Value.(*slot)
		l.slow++
	case i != nil:
		s = i.Value.(*slot)
		l.evicted++
	case f != nil:
		s = f.Value.(*slot)
		l.young++
	default:
		return nil
	}
	unlist(s)
	delete(l.open, s.c)
	return s.c
}

// admit returns when the server may accept a connection: fewer than max
// are open, or no new connection is open (an idle one is closed to make
// room, or every one is answering a request), or the oldest new one has
// had firstRequest to send its request. It returns false if done is closed
// first.
func (l *connLimit) admit(done <-chan struct{}) bool {
	for {
		l.mu.Lock()
		var wait time.Duration
		if f := l.fresh.Front(); f != nil && len(l.open) >= l.max {
			wait = l.firstRequest - time.Since(f.Value.(*slot).arrived)
		}
		changed := l.changed
		l.mu.Unlock()
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-changed:
		case <-done:
			t.Stop()
			return false
		}
		t.Stop()
	}
}

// limitListener is a listener that accepts only when its connLimit admits
// a connection.
type limitListener struct {
	net.Listener
	l      *connLimit
	once   sync.Once
	closed chan struct{}
}

func (l *connLimit) listener(ln net.Listener) *limitListener {
	return &limitListener{Listener: ln, l: l, closed: make(chan struct{})}
}

// Accept waits for admit, then accepts.
func (ln *limitListener) Accept() (net.Conn, error) {
	if !ln.l.admit(ln.closed) {
		return nil, net.ErrClosed
	}
	return ln.Listener.Accept()
}

// Close closes the listener and ends a wait in Accept.
func (ln *limitListener) Close() error {
	ln.once.Do(func() { close(ln.closed) })
	return ln.Listener.Close()
}

// state is the http.Server.ConnState callback.
func (l *connLimit) state(c net.Conn, st http.ConnState) {
	var victim net.Conn
	l.mu.Lock()
	s := l.open[c]
	switch st {
	case http.StateNew:
		now := time.Now()
		if len(l.open) >= l.max {
			if victim = l.victim(now); victim == nil {
				victim = c
				l.refused++
				break
			}
		}
		s = &slot{c: c, arrived: now}
		l.open[c] = s
		l.push(s, &l.fresh)
	case http.StateIdle:
		if s != nil {
			l.push(s, &l.idle)
		}
	case http.StateActive:
		if s != nil {
			unlist(s)
		}
	case http.StateClosed, http.StateHijacked:
		if s != nil {
			unlist(s)
			delete(l.open, c)
		}
	}
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	if victim != nil {
		_ = victim.Close()
	}
}

// connStats is a snapshot of a connLimit.
type connStats struct {
	open, fresh, idle             int
	slow, evicted, young, refused int
}

// stats returns the counts and a channel closed at the next change.
func (l *connLimit) stats() (connStats, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return connStats{open: len(l.open), fresh: l.fresh.Len(), idle: l.idle.Len(),
		slow: l.slow, evicted: l.evicted, young: l.young, refused: l.refused}, l.changed
}
