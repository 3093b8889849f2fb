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

// A failure never replaces a value that arrived after its load started
// (answers are ordered as store.put says: never going back): a slow read
// that fails with throttling after a forced read stored the value leaves
// that value in memory, and later reads hit it without an upstream call.
// Before the fix the failure's backoff entry replaced the fresh value, so
// the next read went upstream and, the upstream still throttling, got the
// error instead of the value stored a moment before.
func TestFailureNeverReplacesANewerValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, c, params, _ := newMemCache(t, 1)
		ctx := context.Background()
		srv.Inject(sourcetest.Fault{Op: "GetParameter", Latency: time.Second, Code: "ThrottlingException", Times: 1})
		slow := make(chan error, 1)
		go func() {
			_, err := c.Parameter(ctx, params[0])
			slow <- err
		}()
		synctest.Wait() // the slow read's call is under way
		forced := params[0]
		forced.Refresh = true
		if p, err := c.Parameter(ctx, forced); err != nil || p.Value() != "value-0" {
			t.Fatalf("forced read = %q, %v", p.Value(), err)
		}
		if err := <-slow; !errors.Is(err, cache.ErrThrottled) {
			t.Fatalf("slow read = %v; want its own throttling error", err)
		}
		srv.Inject(sourcetest.Fault{Op: "GetParameter", Code: "ThrottlingException"})
		before := srv.Calls("GetParameter")
		if p, err := c.Parameter(ctx, params[0]); err != nil || p.Value() != "value-0" {
			t.Errorf("read after both = %q, %v; want the forced read's value from memory", p.Value(), err)
		}
		if n := srv.Calls("GetParameter") - before; n != 0 {
			t.Errorf("%d upstream calls; want none (the value is fresh)", n)
		}
	})
}
