package httpcompat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The flood test runs the server in a child process (this test binary run
// again with floodChildEnv set) whose file descriptors are limited to
// Lambda's 1,024, and attacks it from this process, whose own limit stays
// as it was.
const (
	floodChildEnv = "PARSEC_TEST_FLOOD_CHILD"
	floodFDs      = 1024 // Lambda's RLIMIT_NOFILE
	floodSockets  = 1000 // attacking sockets held open at once
	floodRequests = 40   // legitimate requests during the attack, half on new connections
	floodReopens  = 2000 // at most, per attacking socket (a bound, not a goal)
)

// TestFloodOfSilentSockets: 1,000 sockets that connect and send nothing,
// or part of a request line, or a request a byte at a time (each reopened
// as soon as the server closes it) against a server limited to 1,024 file
// descriptors with the default connection limit: a real client's
// requests, on new connections and on a keep-alive one, are every one
// answered 200, and the server never runs out of file descriptors. Before
// the connection slots evicted new connections, 256 silent sockets denied
// the API (1 request in 112 answered).
func TestFloodOfSilentSockets(t *testing.T) {
	if os.Getenv(floodChildEnv) != "" {
		floodChild(t)
		return
	}
	if testing.Short() {
		t.Skip("-short: the flood takes about 15 s")
	}
	var lim syscall.Rlimit // Go raised the soft limit to the hard one at start
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if need := uint64(floodSockets + 256); lim.Cur < need {
		missing(t, fmt.Sprintf("the attack needs %d file descriptors in the test process, RLIMIT_NOFILE is %d", need, lim.Cur), "raise the hard limit (ulimit -Hn)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestFloodOfSilentSockets$", "-test.count=1")
	cmd.Env = append(os.Environ(), floodChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	out := bufio.NewScanner(stdout)
	line := func() string {
		t.Helper()
		for out.Scan() {
			if l, ok := strings.CutPrefix(out.Text(), "flood: "); ok {
				return l
			}
		}
		t.Fatalf("the child process ended: %v", out.Err())
		return ""
	}
	addr := line()

	// The attack.
	var (
		stop     = make(chan struct{})
		tickMu   sync.Mutex
		tick     = make(chan struct{}) // closed and replaced after each legitimate request
		mu       sync.Mutex
		conns    = map[net.Conn]bool{}
		connects atomic.Int64
		attack   sync.WaitGroup
	)
	nextTick := func() <-chan struct{} { tickMu.Lock(); defer tickMu.Unlock(); return tick }
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	track := func(c net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		if stopped() {
			return false
		}
		conns[c] = true
		return true
	}
	untrack := func(c net.Conn) { mu.Lock(); delete(conns, c); mu.Unlock(); c.Close() }
	for i := range floodSockets {
		attack.Go(func() {
			for range floodReopens {
				if stopped() {
					return
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					continue
				}
				connects.Add(1)
				if !track(c) {
					c.Close()
					return
				}
				closed := make(chan struct{})
				go func() { _, _ = io.Copy(io.Discard, c); close(closed) }()
				switch i % 3 {
				case 0: // silent
				case 1: // part of a request line
					_, _ = io.WriteString(c, "GET /systemsmanager/parameters/get?name=%2Fa HT")
				case 2: // a byte after each legitimate request
					req := "GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n"
				dribble:
					for j := 0; j < len(req)-1; j++ {
						select {
						case <-nextTick():
							if _, err := c.Write([]byte{req[j]}); err != nil {
								break dribble
							}
						case <-closed:
							break dribble
						}
					}
				}
				<-closed
				untrack(c)
			}
		})
	}
	defer func() {
		close(stop)
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		attack.Wait()
	}()
	fmt.Fprintln(stdin, "full")
	t.Logf("slots full: %s", line())

	// The legitimate client: every other request on a new connection, the
	// others on one keep-alive connection.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	kept := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer kept.CloseIdleConnections()
	answered, failed := 0, map[string]int{}
	var slowest [2]time.Duration // on a new connection, on the kept one
	for i := range floodRequests {
		start := time.Now()
		client := fresh
		if i%2 == 1 {
			client = kept
		}
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/systemsmanager/parameters/get?name=%2Fa", nil)
		req.Header.Set(TokenHeader, testToken)
		resp, err := client.Do(req)
		switch {
		case err != nil:
			failed[errors.Unwrap(err).Error()]++
		case resp.StatusCode != http.StatusOK:
			failed[resp.Status]++
		default:
			answered++
			slowest[i%2] = max(slowest[i%2], time.Since(start))
		}
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		tickMu.Lock()
		close(tick)
		tick = make(chan struct{})
		tickMu.Unlock()
	}
	fmt.Fprintln(stdin, "stats")
	stats := line()
	mu.Lock()
	holding := len(conns)
	mu.Unlock()
	t.Logf("%d attacking sockets (%d open now, %d connects), server limited to %d fds and %d connections: %d of %d legitimate requests answered (slowest %v on a new connection, %v on a kept one), failures %v; server: %s",
		floodSockets, holding, connects.Load(), floodFDs, DefaultMaxOpenConnections, answered, floodRequests,
		slowest[0].Round(time.Millisecond), slowest[1].Round(time.Millisecond), failed, stats)
	if answered != floodRequests {
		t.Errorf("%d of %d legitimate requests answered during the flood (failures %v); want every one", answered, floodRequests, failed)
	}
	if !strings.Contains(stats, " emfile=0") {
		t.Errorf("the server ran out of file descriptors: %s", stats)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("child process: %v", err)
	}
}

// emfileListener counts the accepts that failed for want of a file
// descriptor.
type emfileListener struct {
	net.Listener
	n *atomic.Int64
}

func (l emfileListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		l.n.Add(1)
	}
	return c, err
}

// floodChild is the server side: it limits its file descriptors to
// floodFDs, serves with the default options, and answers commands read
// from stdin with lines on stdout ("full": wait until every connection
// slot is taken; "stats": the connection counts).
func floodChild(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	lim.Cur = floodFDs
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	var emfile atomic.Int64
	h, _, _ := newTestHandler(t)
	s, err := Listen("127.0.0.1:0", h, withListen(func(network, addr string) (net.Listener, error) {
		ln, err := net.Listen(network, addr)
		return emfileListener{ln, &emfile}, err
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fmt.Printf("flood: %s\n", s.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "full":
			st := waitConnStats(t, s, func(st connStats) bool { return st.open == DefaultMaxOpenConnections })
			fmt.Printf("flood: %+v\n", st)
		case "stats":
			st, _ := s.limit.stats()
			fmt.Printf("flood: %+v emfile=%d\n", st, emfile.Load())
		}
	}
}
