package bench

import (
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// throttle is a reverse proxy in front of a fake upstream that answers
// ThrottlingException, as SSM does, to calls beyond a token bucket of rate
// calls per second and burst calls. Every call costs one token, whatever
// its operation (SSM's GetParameter, GetParameters and GetParametersByPath
// share the account's default throughput quota).
type throttle struct {
	proxy *httputil.ReverseProxy

	mu     sync.Mutex // protects tokens and last
	rate   float64
	burst  float64
	tokens float64
	last   time.Time

	accepted  atomic.Int64
	throttled atomic.Int64
}

func newThrottle(upstream string, rate, burst float64) (*throttle, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.New(io.Discard, "", 0) // cancelled calls at the INIT cap are expected
	p.Transport = &http.Transport{Proxy: nil, MaxIdleConns: 2048, MaxIdleConnsPerHost: 2048}
	return &throttle{proxy: p, rate: rate, burst: burst, tokens: burst, last: time.Now()}, nil
}

// take reports whether a token was available.
func (t *throttle) take() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.tokens = min(t.burst, t.tokens+now.Sub(t.last).Seconds()*t.rate)
	t.last = now
	if t.tokens < 1 {
		return false
	}
	t.tokens--
	return true
}

func (t *throttle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !t.take() {
		t.throttled.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", "ThrottlingException")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"ThrottlingException","message":"Rate exceeded"}`))
		return
	}
	t.accepted.Add(1)
	t.proxy.ServeHTTP(w, r)
}
