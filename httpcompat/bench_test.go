package httpcompat

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/parsec-go/parsec/cache"
)

// The benchmarks report ratios measured side by side in one run; no test
// asserts on a time.

const benchTarget = "/secretsmanager/get?secretId=app%2Fdb-secret"

// benchGet reads url through client over a keep-alive connection and fails
// on anything but 200.
func benchGet(b *testing.B, client *http.Client, req *http.Request) {
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

func benchRequest(b *testing.B, url string) *http.Request {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set(TokenHeader, testToken)
	return req
}

// BenchmarkLoopbackVsInProcess compares a cached read in process with the
// same read through the handler over loopback HTTP (keep-alive), the price
// the extension's sidecar design pays on every read. The loopback
// sub-benchmark reports x-in-process: how many times slower it is.
func BenchmarkLoopbackVsInProcess(b *testing.B) {
	h, _, _ := newTestHandler(b)
	ctx := context.Background()
	req := cache.SecretRequest{SecretID: secretName}
	if _, err := h.cache.Secret(ctx, req); err != nil {
		b.Fatal(err)
	}
	var inProcess float64
	b.Run("in-process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.cache.Secret(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		inProcess = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("loopback", func(b *testing.B) {
		s := listen(b, h)
		client := &http.Client{}
		defer client.CloseIdleConnections()
		r := benchRequest(b, s.URL()+benchTarget)
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, r)
		}
		if inProcess > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/inProcess, "x-in-process")
		}
	})
}

// BenchmarkHandlerVsFloor compares the handler over loopback with a minimal
// net/http handler sending a constant body of the same size through the
// same server: the handler's own cost above what any HTTP server pays. The
// handler sub-benchmark reports x-floor.
func BenchmarkHandlerVsFloor(b *testing.B) {
	h, _, _ := newTestHandler(b)
	w := serve(h, request("GET", benchTarget, testToken))
	if w.Code != 200 {
		b.Fatalf("status %d", w.Code)
	}
	body := w.Body.Bytes()
	var floor float64
	b.Run("floor", func(b *testing.B) {
		s := listen(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		client := &http.Client{}
		defer client.CloseIdleConnections()
		r := benchRequest(b, s.URL()+benchTarget)
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, r)
		}
		floor = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("handler", func(b *testing.B) {
		s := listen(b, h)
		client := &http.Client{}
		defer client.CloseIdleConnections()
		r := benchRequest(b, s.URL()+benchTarget)
		b.ReportAllocs()
		for b.Loop() {
			benchGet(b, client, r)
		}
		if floor > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/floor, "x-floor")
		}
	})
}
