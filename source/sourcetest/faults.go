package sourcetest

import (
	"net"
	"net/http"
	"slices"
	"time"
)

// Fault describes a failure or delay injected into the calls that match it.
// The zero Fault matches every call and does nothing.
type Fault struct {
	// Op is the operation to match, for example "GetParameter" or
	// "GetSecretValue"; empty matches every operation.
	Op string
	// Name is the parameter name (without its :version or :label selector),
	// path (GetParametersByPath) or secret id, as sent, to match; empty
	// matches every name. A call naming several matches when any of them
	// does.
	Name string
	// Latency is a delay added before the call is answered; Jitter adds a
	// further delay drawn uniformly from [0, Jitter). The delay ends early,
	// without an answer, when the request's connection closes or the server
	// is closed.
	Latency, Jitter time.Duration
	// Code, Status and Message make the call fail with this AWS error, for
	// example ("ThrottlingException", 400), ("InternalServerError", 500) or
	// ("AccessDeniedException", 400). Status 0 means AWS's usual status
	// for Code (500 for codes starting with "Internal", 503 for
	// ServiceUnavailable, 429 for TooManyRequestsException, otherwise 400).
	// An empty Code with a Status uses InternalServerError for 5xx statuses
	// and ThrottlingException otherwise. An empty Message says the error
	// was injected.
	Code    string
	Status  int
	Message string
	// Reset aborts the TCP connection (RST) without any HTTP response: the
	// SDK returns a transport error.
	Reset bool
	// Hang never answers: the call ends only when its connection closes
	// (the client's context ends) or the server is closed, and then without
	// an answer.
	Hang bool
	// Times applies the fault to the next Times matching calls only; 0
	// applies it until it is removed.
	Times int
}

type faultEntry struct {
	f    Fault
	id   uint64
	left int // calls left when f.Times > 0
}

// Inject adds f to the server's faults and returns a function that removes
// it (safe to call more than once, and after the fault ran out). Every
// matching fault applies to a call: their delays add up, then the earliest
// injected of the matching faults that hangs, resets or fails decides the
// outcome. Faults apply to malformed calls too, when their Name is empty.
func (s *Server) Inject(f Fault) (remove func()) {
	s.fmu.Lock()
	s.nextID++
	e := &faultEntry{f: f, id: s.nextID, left: f.Times}
	s.faults = append(s.faults, e)
	s.fmu.Unlock()
	return func() {
		s.fmu.Lock()
		defer s.fmu.Unlock()
		s.faults = slices.DeleteFunc(s.faults, func(x *faultEntry) bool { return x.id == e.id })
	}
}

// SetDown takes the server down (true) or back up (false). While it is
// down, every new connection is reset as soon as it is accepted, open
// connections are closed, and a call arriving on a connection accepted just
// before is aborted without an answer; such calls are not counted.
func (s *Server) SetDown(down bool) {
	s.down.Store(down)
	if down && s.ts != nil {
		s.ts.CloseClientConnections()
	}
}

// plan is what the matching faults ask of one call.
type plan struct {
	delay time.Duration
	final *Fault // the fault that hangs, resets or fails the call; nil if none
}

// match consumes one use of every fault matching the call and returns the
// plan.
func (s *Server) match(op string, names []string) plan {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	var p plan
	kept := s.faults[:0]
	for _, e := range s.faults {
		f := &e.f
		if (f.Op == "" || f.Op == op) && (f.Name == "" || slices.Contains(names, f.Name)) {
			p.delay += f.Latency
			if f.Jitter > 0 {
				p.delay += time.Duration(s.rng.Int64N(int64(f.Jitter)))
			}
			if p.final == nil && (f.Hang || f.Reset || f.Code != "" || f.Status != 0) {
				cp := *f
				p.final = &cp
			}
			if f.Times > 0 {
				e.left--
				if e.left <= 0 {
					continue
				}
			}
		}
		kept = append(kept, e)
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return p
}

// applyFaults runs the faults matching the call. It returns true when the
// call should go on to be answered normally; false when it was answered or
// aborted here.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, op string, names []string) bool {
	p := s.match(op, names)
	if p.delay > 0 && !s.wait(r, p.delay) {
		abort(w)
		return false
	}
	f := p.final
	switch {
	case f == nil:
		return true
	case f.Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		abort(w)
	case f.Reset:
		abort(w)
	default:
		code, status := f.Code, f.Status
		if code == "" {
			code = "ThrottlingException"
			if status >= 500 {
				code = "InternalServerError"
			}
		}
		if status == 0 {
			status = statusFor(code)
		}
		msg := f.Message
		if msg == "" {
			msg = "sourcetest: injected " + code
		}
		s.writeError(w, &apiError{Code: code, Message: msg, Status: status})
	}
	return false
}

// wait sleeps for d; it returns false if the request's connection closed or
// the server closed first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closing:
		return false
	}
}

// abort resets the call's connection without an HTTP response.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	reset(conn)
}

// reset closes c with an RST instead of a FIN where it can.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// downListener resets every connection it accepts while the server is down.
type downListener struct {
	net.Listener
	s *Server
}

func (l *downListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.s.down.Load() {
			return c, err
		}
		reset(c)
	}
}
