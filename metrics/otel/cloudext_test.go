package otel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parsec-go/parsec/cache"
	parsecotel "github.com/parsec-go/parsec/metrics/otel"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestCloudExtensionsNames: with WithCloudExtensionsNames the instruments
// Cloud Extensions names are collected beside parsec's, from the same
// Stats, as cumulative counters; without it they are absent.
func TestCloudExtensionsNames(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/p", Value: "v"})
	c, err := cache.New(srv.Clients(), cache.WithNegativeTTL(0), cache.WithBackoff(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for range 3 {
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/p"}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/missing"})

	for _, on := range []bool{true, false} {
		reader := sdkmetric.NewManualReader()
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		var opts []parsecotel.Option
		if on {
			opts = append(opts, parsecotel.WithCloudExtensionsNames())
		}
		if _, err := parsecotel.Register(provider.Meter("cloudwatch.aws/secretsmanager/cloudextensions"), c, opts...); err != nil {
			t.Fatal(err)
		}
		got := collect(t, reader)
		st := c.Stats()
		want := map[string]int64{
			"cache.hits":             int64(st.Hits + st.NegativeHits),
			"cache.misses":           int64(st.Misses),
			"cache.load.failures":    int64(st.LoadErrors),
			"cache.refresh.failures": int64(st.RefreshFailures),
			"cache.evictions":        int64(st.Evictions),
		}
		for name, v := range want {
			md, ok := got[name]
			if !on {
				if ok {
					t.Errorf("%s collected without WithCloudExtensionsNames", name)
				}
				continue
			}
			sum, isSum := md.Data.(metricdata.Sum[int64])
			if !ok || !isSum || !sum.IsMonotonic || len(sum.DataPoints) != 1 {
				t.Errorf("%s = %+v; want one monotonic int64 sum", name, md)
				continue
			}
			if sum.DataPoints[0].Value != v {
				t.Errorf("%s = %d; want %d", name, sum.DataPoints[0].Value, v)
			}
		}
		if on && (want["cache.hits"] != 2 || want["cache.misses"] != 2 || want["cache.load.failures"] != 1) {
			t.Errorf("Stats %+v; want 2 hits, 2 misses, 1 failed load (the test's reads)", st)
		}
		_ = provider.Shutdown(ctx)
	}
}
