package httpcompat

import (
	"container/list"
	"net"
	"net/http"
	"sync"
)

// connLimit bounds the connections a [Server] keeps open. It sees every
// connection through http.Server.ConnState:
//
//   - StateNew with fewer than max open: the connection is counted.
//   - StateNew at max: the connection idle the longest (a keep-alive
//     connection between requests) is closed to make room, and the new one
//     is counted. When none is idle, every open connection is reading or
//     answering a request, and the new connection is closed at once,
//     before anything is read from it: its client sees the connection
//     closed without an answer. (It gets one sooner than it would from a
//     full accept queue, and the count of file descriptors stays at max.)
//   - StateIdle / StateActive: the connection joins / leaves the idle list.
//   - StateClosed / StateHijacked: the connection is no longer counted.
//
// A connection closed here is removed from the count at once (its file
// descriptor is closed by Close); the ConnState calls that follow for it
// are ignored. Closing an idle connection races, as any idle timeout does,
// with a client that has just sent a new request on it: net/http's client
// retries such a GET on a new connection.
type connLimit struct {
	max int

	mu      sync.Mutex
	open    map[net.Conn]*list.Element // counted connections; the element is in idle, or nil
	idle    list.List                  // of net.Conn, idle the longest first
	evicted int                        // idle connections closed to make room
	refused int                        // new connections closed at once
	changed chan struct{}              // closed and replaced at every change (for tests)
}

func newConnLimit(max int) *connLimit {
	return &connLimit{max: max, open: make(map[net.Conn]*list.Element), changed: make(chan struct{})}
}

// state is the http.Server.ConnState callback.
func (l *connLimit) state(c net.Conn, st http.ConnState) {
	var victim net.Conn
	l.mu.Lock()
	e, counted := l.open[c]
	switch st {
	case http.StateNew:
		if len(l.open) >= l.max {
			if front := l.idle.Front(); front != nil {
				victim = l.idle.Remove(front).(net.Conn)
				delete(l.open, victim)
				l.evicted++
			} else {
				victim = c
				l.refused++
				break
			}
		}
		l.open[c] = nil
	case http.StateIdle:
		if counted && e == nil {
			l.open[c] = l.idle.PushBack(c)
		}
	case http.StateActive:
		if e != nil {
			l.idle.Remove(e)
			l.open[c] = nil
		}
	case http.StateClosed, http.StateHijacked:
		if e != nil {
			l.idle.Remove(e)
		}
		if counted {
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
	open, idle, evicted, refused int
}

// stats returns the counts and a channel closed at the next change.
func (l *connLimit) stats() (connStats, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return connStats{open: len(l.open), idle: l.idle.Len(), evicted: l.evicted, refused: l.refused}, l.changed
}
