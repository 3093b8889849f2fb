package sdkcache_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
)

// BenchmarkHit compares, in one run, a cached read through an unchanged
// *ssm.Client with the middleware and the same read from the cache
// directly; the "x-direct" metric of the middleware case is the ratio of
// the two (both measured in this run, the direct one first).
func BenchmarkHit(b *testing.B) {
	srv, cfg, c := setup(b)
	seed(b, srv, "/app/db", "db.internal:5432")
	client := ssm.NewFromConfig(cfg)
	in := &ssm.GetParameterInput{Name: aws.String("/app/db")}
	req := cache.ParameterRequest{Name: "/app/db"}
	if _, err := client.GetParameter(ctx, in); err != nil {
		b.Fatal(err)
	}
	var direct float64 // ns/op of the direct hit
	b.Run("cache.Parameter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Parameter(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		direct = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("middleware", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.GetParameter(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
		if direct > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/direct, "x-direct")
		}
	})
	b.Run("uncached-fake", func(b *testing.B) { // the same client's call when it reaches the in-memory fake
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.GetParameter(ctx, in, sdkcache.BypassSSM); err != nil {
				b.Fatal(err)
			}
		}
	})
	if n := srv.Calls("GetParameter"); n == 0 {
		b.Fatal("no upstream call at all")
	}
}
