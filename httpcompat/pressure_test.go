package httpcompat

import (
	"context"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestImpatientClientsAgainstHungUpstream: 128 clients with a 20 ms
// timeout read distinct names for 10 s through the real handler while the
// upstream hangs. The cache's loads stay within their bound (the rest are
// answered 429 at once) and goroutines and heap stay flat (before: 47,888
// goroutines and 2.9 GiB within 4 s through parsecd).
func TestImpatientClientsAgainstHungUpstream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		srv.Inject(sourcetest.Fault{Hang: true})
		c, err := cache.New(srv.InMemoryClients())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		h, err := NewHandler(c, WithToken(testToken))
		if err != nil {
			t.Fatal(err)
		}
		base := runtime.NumGoroutine()
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapAlloc
		var n atomic.Int64
		var mu sync.Mutex
		statuses := map[int]int{}
		var peak atomic.Int64
		end := time.Now().Add(10 * time.Second)
		var wg sync.WaitGroup
		for range 128 {
			wg.Go(func() {
				for time.Now().Before(end) {
					i := n.Add(1)
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
					r := request(http.MethodGet, "/systemsmanager/parameters/get?name="+url.QueryEscape("/cold/"+strconv.FormatInt(i, 10)), testToken).WithContext(ctx)
					w := serve(h, r)
					cancel()
					mu.Lock()
					statuses[w.Code]++
					mu.Unlock()
					if g := int64(runtime.NumGoroutine()); g > peak.Load() {
						peak.Store(g)
					}
					wait(25 * time.Millisecond) // a client's pause before its next request
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		left := runtime.NumGoroutine()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		t.Logf("128 clients, 20 ms timeout, hung upstream, 10 s: %d requests, statuses %v; goroutines %d before, peak %d, %d once settled; heap %+d KiB; upstream calls %d",
			n.Load(), statuses, base, peak.Load(), left, (int64(ms.HeapAlloc)-int64(heap0))/1024, srv.Calls("GetParameter"))
		// A load holds at most four goroutines: singleflight's, the call's
		// own (internal/flight runs the upstream call apart, so that a
		// runtime.Goexit in it still answers every waiter), the fake's
		// handler and its timer.
		if p := peak.Load(); p > int64(base+128+4*cache.DefaultMaxLoads) {
			t.Errorf("peak goroutines = %d; want at most %d (clients plus the bounded loads)", p, base+128+4*cache.DefaultMaxLoads)
		}
		// NumGoroutine counts the whole process: allow for a goroutine or
		// two the runtime or the race detector starts meanwhile.
		if left > base+2 {
			t.Errorf("goroutines once settled = %d; want at most %d", left, base+2)
		}
		if statuses[http.StatusTooManyRequests] == 0 {
			t.Errorf("no 429 among %v; want the loads beyond the bound refused", statuses)
		}
	})
}

func wait(d time.Duration) { <-time.After(d) }
