package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
)

// reader is one way a function reads a parameter.
type reader func(ctx context.Context, name string) error

// inProcess reads through c.
func inProcess(c *cache.Cache) reader {
	return func(ctx context.Context, name string) error {
		_, err := c.Parameter(ctx, cache.ParameterRequest{Name: name, WithDecryption: true})
		return err
	}
}

// httpClient returns a client for the sidecar: keep-alive with room for
// conns idle connections, or a new connection per request.
func httpClient(keepAlive bool, conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
		DisableKeepAlives:   !keepAlive,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// statusError is a non-200 answer of the sidecar.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("sidecar answered HTTP %d", int(e)) }

// viaSidecar reads through s's HTTP API with client, as code written for
// the extension does.
func viaSidecar(s *Sidecar, client *http.Client) reader {
	return func(ctx context.Context, name string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.parameterURL(name), nil)
		if err != nil {
			return err
		}
		req.Header.Set(httpcompat.TokenHeader, sidecarToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return statusError(resp.StatusCode)
		}
		return err
	}
}

// loop runs read n times and returns ns/op and allocs/op (all goroutines of
// this process, measured around the loop).
func loop(ctx context.Context, n int, name string, read reader) (nsOp, allocsOp float64, err error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t := time.Now()
	for range n {
		if err := read(ctx, name); err != nil {
			return 0, 0, err
		}
	}
	el := time.Since(t)
	runtime.ReadMemStats(&m1)
	return float64(el) / float64(n), float64(m1.Mallocs-m0.Mallocs) / float64(n), nil
}

// calibrate returns how many reads take about target, at least 1.
func calibrate(ctx context.Context, target time.Duration, name string, read reader) (int, error) {
	n := 1
	for {
		t := time.Now()
		for range n {
			if err := read(ctx, name); err != nil {
				return 0, err
			}
		}
		el := time.Since(t)
		if el >= target/10 || n >= 1<<24 {
			per := float64(el) / float64(n)
			return max(1, int(float64(target)/per)), nil
		}
		n *= 10
	}
}

// repeat calibrates, then runs reps loops of about target each.
func repeat(ctx context.Context, reps int, target time.Duration, name string, read reader) (ns, allocs Sample, err error) {
	n, err := calibrate(ctx, target, name, read)
	if err != nil {
		return nil, nil, err
	}
	for range reps {
		t, a, err := loop(ctx, n, name, read)
		if err != nil {
			return nil, nil, err
		}
		ns, allocs = append(ns, t), append(allocs, a)
	}
	return ns, allocs, nil
}
