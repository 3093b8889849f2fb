package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// pingTimeout bounds --ping: a container health check has a few seconds.
const pingTimeout = 2 * time.Second

// ping is --ping: GET /ping of the extension's API on 127.0.0.1 at the
// configured port, for a container's health check in an image that has
// no shell or curl. It returns 0 when the answer is 200 "healthy".
func (r *runner) ping(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	url := "http://127.0.0.1:" + strconv.Itoa(r.cfg.env.HTTPPort) + "/ping"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(r.stderr, "parsecd: --ping: %v\n", err)
		return exitFailure
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		fmt.Fprintf(r.stderr, "parsecd: --ping: GET %s: %v\n", url, err)
		return exitFailure
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || string(b) != "healthy" {
		fmt.Fprintf(r.stderr, "parsecd: --ping: GET %s: %d %q; want 200 \"healthy\"\n", url, resp.StatusCode, b)
		return exitFailure
	}
	return exitOK
}
