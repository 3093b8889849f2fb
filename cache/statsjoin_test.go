package cache_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Each read counts once as a hit, a negative hit or a miss when batch
// items and single reads share calls (TestStatsCountEveryPath, with
// joins): a batch whose items join a single read's call, a duplicate item,
// and a single read that joins the batch's call.
func TestStatsCountBatchJoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, _ := newMemCache(t, 3)
		ctx := context.Background()
		srv.Inject(sourcetest.Fault{Latency: time.Second}) // every call: all the reads below overlap
		done := make(chan error, 3)
		go func() { _, err := c.Parameter(ctx, params[0]); done <- err }() // leads /app/p0
		synctest.Wait()
		go func() { // /app/p0 twice joins the single read; leads /app/p1 and /app/p2
			_, err := c.Parameters(ctx, []cache.ParameterRequest{params[0], params[1], params[0], params[2]})
			done <- err
		}()
		synctest.Wait()
		go func() { _, err := c.Parameter(ctx, params[2]); done <- err }() // joins the batch's call
		for range 3 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		st := c.Stats()
		got := cache.Stats{Hits: st.Hits, NegativeHits: st.NegativeHits, Misses: st.Misses, Loads: st.Loads, Coalesced: st.Coalesced}
		if want := (cache.Stats{Misses: 6, Loads: 2, Coalesced: 2}); got != want {
			t.Errorf("6 reads sharing 2 calls: %+v; want %+v", got, want)
		}
		if n, m := srv.Calls("GetParameter"), srv.Calls("GetParameters"); n != 1 || m != 1 {
			t.Errorf("%d GetParameter, %d GetParameters calls; want 1 and 1", n, m)
		}
	})
}
