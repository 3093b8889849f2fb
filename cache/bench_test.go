package cache

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/dgraph-io/ristretto/v2"
)

// benchCache returns a cache holding one parameter, and its request.
func benchCache(b *testing.B) (*Cache, ParameterRequest) {
	f := newFake()
	c := mustNew(b, f.clients())
	req := ParameterRequest{Name: "/bench/app/db-password", WithDecryption: true}
	if _, err := c.Parameter(context.Background(), req); err != nil {
		b.Fatal(err)
	}
	return c, req
}

func benchRawRistretto(b *testing.B) {
	rc, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{NumCounters: 20000, MaxCost: 2000, BufferItems: 64, IgnoreInternalCost: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	rc.SetWithTTL(42, &entry{}, 1, time.Hour)
	rc.Wait()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := rc.Get(42); !ok {
			b.Fatal("raw ristretto miss")
		}
	}
}

func benchParameterHit(b *testing.B) {
	c, req := benchCache(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parameter(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if st := c.Stats(); st.Loads != 1 {
		b.Fatalf("loads = %d; want 1", st.Loads)
	}
}

// benchRefreshingHit reads an entry whose refresh-ahead has started and
// whose upstream is stuck: readers must still get hit latency.
// refreshingCache returns a cache whose one entry has started its
// refresh-ahead against an upstream that stays stuck until the benchmark
// ends.
func refreshingCache(b *testing.B) (*Cache, ParameterRequest) {
	f := newFake()
	gate := make(chan struct{})
	calls := 0
	f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		calls++
		if calls > 1 {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}
		return echoParameter(in), nil
	}
	c := mustNew(b, f.clients())
	b.Cleanup(func() { close(gate) })
	req := ParameterRequest{Name: "/bench/refreshing", WithDecryption: true}
	ctx := context.Background()
	if _, err := c.Parameter(ctx, req); err != nil {
		b.Fatal(err)
	}
	// Move the entry into its refresh-ahead window.
	cur := c.store.current(req.key())
	e := &entry{key: cur.key, val: cur.val, gen: cur.gen, fetched: cur.fetched, expires: cur.expires,
		staleUntil: cur.staleUntil, refreshAt: time.Now()}
	c.put(e, cur)
	if _, err := c.Parameter(ctx, req); err != nil { // starts the refresh
		b.Fatal(err)
	}
	return c, req
}

func benchRefreshingHit(b *testing.B) {
	c, req := refreshingCache(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parameter(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if st := c.Stats(); st.RefreshesAhead != 1 {
		b.Fatalf("refreshes ahead = %d; want 1", st.RefreshesAhead)
	}
}

// BenchmarkHit measures the cache-hit path next to a raw ristretto Get of
// one key in the same run.
func BenchmarkHit(b *testing.B) {
	b.Run("ristretto-raw", benchRawRistretto)
	b.Run("parameter", benchParameterHit)
	b.Run("secret", func(b *testing.B) {
		f := newFake()
		c := mustNew(b, f.clients())
		ctx := context.Background()
		req := SecretRequest{SecretID: "bench-secret", VersionStage: "AWSCURRENT"}
		if _, err := c.Secret(ctx, req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Secret(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parameter-refreshing-ahead", benchRefreshingHit)
	b.Run("parallel", func(b *testing.B) {
		c, req := benchCache(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for pb.Next() {
				if _, err := c.Parameter(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkHitRatio times, in the same run and interleaved in blocks of
// 1000 reads, a raw ristretto Get, the parsec parameter hit and the hit of an
// entry whose refresh-ahead is in progress, and reports per-read times and
// the ratios (x-ristretto: parsec hit / raw Get; x-plain-hit: refreshing hit
// / plain hit). Ratios hold across machines better than times.
func BenchmarkHitRatio(b *testing.B) {
	raw, err := ristretto.NewCache(&ristretto.Config[uint64, *entry]{NumCounters: 20000, MaxCost: 2000, BufferItems: 64, IgnoreInternalCost: true})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetWithTTL(42, &entry{}, 1, time.Hour)
	raw.Wait()
	c, req := benchCache(b)
	rc, rreq := refreshingCache(b)
	ctx := context.Background()
	const block = 1000
	var rawT, hitT, refT time.Duration
	reads := 0
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		for range block {
			if _, ok := raw.Get(42); !ok {
				b.Fatal("raw miss")
			}
		}
		t1 := time.Now()
		for range block {
			if _, err := c.Parameter(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		for range block {
			if _, err := rc.Parameter(ctx, rreq); err != nil {
				b.Fatal(err)
			}
		}
		t3 := time.Now()
		rawT += t1.Sub(t0)
		hitT += t2.Sub(t1)
		refT += t3.Sub(t2)
		reads += block
	}
	b.ReportMetric(float64(rawT.Nanoseconds())/float64(reads), "raw-ns/read")
	b.ReportMetric(float64(hitT.Nanoseconds())/float64(reads), "hit-ns/read")
	b.ReportMetric(float64(refT.Nanoseconds())/float64(reads), "refreshing-ns/read")
	b.ReportMetric(float64(hitT)/float64(max(rawT, 1)), "x-ristretto")
	b.ReportMetric(float64(refT)/float64(max(hitT, 1)), "x-plain-hit")
}
