package cache_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// A batch read whose own short deadline cuts its upstream call off gets
// the error, but leaves no failure behind for other readers: a single read
// without a deadline then loads the name as usual. Before the fix each cut
// counted as an upstream failure of the key, and after two the key backed
// off: the single read got "backing off" without an upstream call, from an
// upstream that answers in 100ms.
func TestBatchDeadlineLeavesNoBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, _ := newMemCache(t, 1)
		srv.Inject(sourcetest.Fault{Op: "GetParameters", Latency: 100 * time.Millisecond})
		for range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			_, err := c.Parameters(ctx, params)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("batch with a 50ms deadline and a 100ms upstream = %v; want its deadline's error", err)
			}
		}
		p, err := c.Parameter(context.Background(), params[0])
		if err != nil || p.Value() != "value-0" {
			t.Errorf("single read without a deadline after the batches = %q, %v; want value-0 from upstream", p.Value(), err)
		}
		if st := c.Stats(); st.NegativeHits != 0 || srv.Calls("GetParameter") != 1 {
			t.Errorf("NegativeHits = %d, GetParameter calls = %d; want 0 and 1", st.NegativeHits, srv.Calls("GetParameter"))
		}
	})
}
