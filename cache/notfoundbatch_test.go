package cache_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
)

// Batch items are bounded by the not-found rate as single reads are
// (WithNotFoundRate: "a read of a name with nothing in memory fails at
// once ... without an upstream call"): a flood of missing names read ten
// at a time with Parameters makes GetParameters calls until the burst of
// not-found answers is spent, then its items fail with ErrOverloaded
// saying so, and nothing is remembered for them. Before the fix every
// batch went upstream: 20 calls for 200 missing names.
func TestNotFoundRateBoundsBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, _ := newMemCache(t, 3)
		ctx := context.Background()
		if _, err := c.Parameters(ctx, params); err != nil { // names found take no token
			t.Fatal(err)
		}
		base := srv.Calls("GetParameters")
		refused, notFound := 0, 0
		for b := range 20 {
			reqs := make([]cache.ParameterRequest, 10)
			for i := range reqs {
				reqs[i] = cache.ParameterRequest{Name: "/missing/" + strconv.Itoa(b) + "/" + strconv.Itoa(i)}
			}
			_, err := c.Parameters(ctx, reqs)
			var be *cache.BatchError
			if !errors.As(err, &be) || len(be.Items) != len(reqs) {
				t.Fatalf("batch %d = %v; want every item failed", b, err)
			}
			for _, it := range be.Items {
				switch {
				case errors.Is(it.Err, cache.ErrNotFound):
					notFound++
				case errors.Is(it.Err, cache.ErrOverloaded) && strings.Contains(it.Err.Error(), "not-found answers are over their limit"):
					refused++
				default:
					t.Fatalf("item %q: %v", it.Name, it.Err)
				}
			}
		}
		calls := srv.Calls("GetParameters") - base
		if want := cache.DefaultNotFoundBurst / 10; calls != want || notFound != cache.DefaultNotFoundBurst || refused != 200-cache.DefaultNotFoundBurst {
			t.Errorf("200 missing names in batches of 10: %d GetParameters calls, %d not found, %d refused; want %d, %d, %d",
				calls, notFound, refused, want, cache.DefaultNotFoundBurst, 200-cache.DefaultNotFoundBurst)
		}
		if got, err := c.Parameters(ctx, params); err != nil || got[2].Value() != "value-2" {
			t.Errorf("values in memory during the flood: %v", err)
		}
		reqs := []cache.ParameterRequest{{Name: "/missing/19/0"}}
		for range 2 { // refused twice more: a refusal must not count as a failure the key backs off after
			if _, err := c.Parameters(ctx, reqs); !errors.Is(err, cache.ErrOverloaded) {
				t.Fatalf("a refused name read again during the flood = %v; want ErrOverloaded", err)
			}
		}
		<-time.After(time.Second) // 10 tokens: a missing name goes upstream again
		if _, err := c.Parameters(ctx, reqs); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("a refused name a second later = %v; want ErrNotFound from upstream", err)
		}
	})
}
