package sourcetest

import (
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

// Server is a fake of AWS Systems Manager Parameter Store and AWS Secrets
// Manager that speaks their wire protocol (AWS JSON 1.1) on a loopback port,
// in the manner of net/http/httptest. Its methods are safe for concurrent use,
// also while it serves requests. The caller must call Close.
type Server struct {
	// URL is the base URL of the server, http://127.0.0.1:PORT. It is set
	// by Start (NewServer starts the server).
	URL string

	cfg     config
	ts      *httptest.Server
	closing chan struct{} // closed by Close: ends hanging and delayed calls
	once    sync.Once     // closes closing
	client  *http.Client  // shared by every SDK client from Config
	tr      *http.Transport
	reqID   atomic.Uint64
	down    atomic.Bool

	mem       *http.Client   // the in-memory client of InMemoryConfig
	memMu     sync.Mutex     // protects memClosed; orders memWG.Add before Wait
	memClosed bool           // set by Close: in-memory calls are refused
	memWG     sync.WaitGroup // in-memory calls in progress

	mu      sync.Mutex                    // protects params, secrets, created
	params  map[string]*parameter         // by normalized name (see paramKey)
	secrets map[string]*secret            // by name
	created map[string]int                // how many times a secret name was created, for ARN suffixes
	tags    map[*secret]map[string]string // secret tags (tags.go); nil until one is set

	fmu    sync.Mutex // protects faults, nextID, ops, names, rng
	faults []*faultEntry
	nextID uint64
	ops    map[string]int
	names  map[[2]string]int
	rng    *rand.Rand
}

// Option configures a [Server]. The zero configuration uses time.Now, the
// region us-east-1, the account 123456789012 and no added latency.
type Option func(*config)

type config struct {
	now        func() time.Time
	region     string
	account    string
	minLatency time.Duration
	maxLatency time.Duration
}

// WithClock sets the clock that stamps new parameter versions and secret
// versions (LastModifiedDate, CreatedDate) when a write does not give a time.
// A nil now keeps the default, time.Now. Times are stored with millisecond
// precision, as AWS returns them.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRegion sets the region in ARNs and in [Server.Config]. The default, or
// an empty r, is us-east-1.
func WithRegion(r string) Option {
	return func(c *config) {
		if r != "" {
			c.region = r
		}
	}
}

// WithAccount sets the account id in ARNs. The default, or an empty id, is
// 123456789012.
func WithAccount(id string) Option {
	return func(c *config) {
		if id != "" {
			c.account = id
		}
	}
}

// WithLatency delays every call by a duration drawn uniformly from
// [min, max] (exactly min when they are equal or max is smaller) before it
// is answered. The delay ends early, without an answer, when the request's
// connection closes or the server is closed. The random source is seeded
// with a constant, so a run is reproducible. The default is no delay.
func WithLatency(min, max time.Duration) Option {
	return func(c *config) { c.minLatency, c.maxLatency = min, max }
}

// NewServer starts and returns a new [Server]. The caller should call Close
// when finished, to shut it down.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a new [Server] that listens on a loopback port
// but does not answer yet. The caller should call Start, then Close when
// finished. Seeding methods work before Start.
func NewUnstartedServer(opts ...Option) *Server {
	s := newServer(opts...)
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.ts.Listener = &downListener{Listener: s.ts.Listener, s: s}
	s.tr = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	s.client = &http.Client{Transport: s.tr}
	return s
}

// newServer returns a server with its state and in-memory client but no
// listener and no network client.
func newServer(opts ...Option) *Server {
	c := config{now: time.Now, region: "us-east-1", account: "123456789012"}
	for _, o := range opts {
		o(&c)
	}
	s := &Server{
		cfg:     c,
		closing: make(chan struct{}),
		params:  make(map[string]*parameter),
		secrets: make(map[string]*secret),
		created: make(map[string]int),
		ops:     make(map[string]int),
		names:   make(map[[2]string]int),
		rng:     rand.New(rand.NewPCG(0x736f75726365, 0x74657374)),
	}
	s.mem = &http.Client{Transport: memTransport{s}}
	return s
}

// Start starts a server from NewUnstartedServer and sets URL. It panics if
// the server was already started.
func (s *Server) Start() {
	if s.ts == nil {
		panic("sourcetest: Start called on a server from NewInMemory")
	}
	s.ts.Start()
	s.URL = s.ts.URL
}

// Close shuts the server down: calls that hang or wait on a delay end
// without an answer, and Close blocks until every call has returned. It
// also closes the idle connections of the SDK clients built from Config.
// Close may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closing) })
	s.memClose()
	if s.ts != nil {
		s.ts.Close()
		s.tr.CloseIdleConnections()
	}
}

// Config returns an aws.Config for the server: its region, static
// credentials ("testing"), BaseEndpoint set to URL, one attempt per call (no
// retries, so fault tests stay fast) and an HTTP client shared by every
// client made from it, whose idle connections Close closes. Call it after
// Start. For a server from NewInMemory it returns InMemoryConfig.
func (s *Server) Config() aws.Config {
	if s.ts == nil {
		return s.InMemoryConfig()
	}
	return aws.Config{
		Region:           s.cfg.region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
		HTTPClient:       s.client,
	}
}

// SSM returns a real SDK client for the server, built from Config.
func (s *Server) SSM() *ssm.Client { return ssm.NewFromConfig(s.Config()) }

// SecretsManager returns a real SDK client for the server, built from
// Config.
func (s *Server) SecretsManager() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.Config())
}

// Clients returns source.New(s.Config()): every upstream operation of
// parsec, served by s.
func (s *Server) Clients() source.Clients { return source.New(s.Config()) }

// now returns the clock's time in UTC, truncated to milliseconds.
func (s *Server) now() time.Time { return msUTC(s.cfg.now()) }

// msUTC truncates t to milliseconds, the precision of AWS timestamps, in UTC.
func msUTC(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// Calls returns how many calls of the operation op (for example
// "GetParameter") reached the server since it started or since
// ResetCounters, including failed and fault-injected calls; calls refused
// by SetDown are not counted. An empty op counts every operation.
func (s *Server) Calls(op string) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if op != "" {
		return s.ops[op]
	}
	n := 0
	for _, c := range s.ops {
		n += c
	}
	return n
}

// CallsFor returns how many calls of op named the parameter or secret name,
// as sent (for SSM without its :version or :label selector). A call naming
// several (GetParameters, BatchGetSecretValue) counts once for each name;
// GetParametersByPath counts its Path.
func (s *Server) CallsFor(op, name string) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.names[[2]string{op, name}]
}

// ResetCounters sets every counter of Calls and CallsFor to zero.
func (s *Server) ResetCounters() {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	clear(s.ops)
	clear(s.names)
}

// count records one call of op naming names.
func (s *Server) count(op string, names []string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	s.ops[op]++
	for _, n := range names {
		s.names[[2]string{op, n}]++
	}
}

// latency returns the delay WithLatency asks for one call.
func (s *Server) latency() time.Duration {
	lo, hi := s.cfg.minLatency, s.cfg.maxLatency
	if hi <= lo {
		return lo
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}
