package otel_test

import (
	"context"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics"
	parsecotel "github.com/parsec-go/parsec/metrics/otel"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// countingCache counts the calls to Stats.
type countingCache struct {
	c     *cache.Cache
	calls atomic.Int64
}

func (c *countingCache) Stats() cache.Stats { c.calls.Add(1); return c.c.Stats() }

// collect reads every metric with the SDK's manual reader, by name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// TestCollectedValuesMatchStats registers the instruments for a real cache
// and compares what the SDK's manual reader collects with Stats: every
// field, its kind (a monotonic cumulative sum for a counter, a gauge for
// Entries), its description and value, read with one Stats call per
// collection.
func TestCollectedValuesMatchStats(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	const canary = "canary-value-51d0"
	srv.PutParameter(sourcetest.Parameter{Name: "/p", Value: canary})
	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for range 4 {
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/p"}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/missing"})

	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)
	cc := &countingCache{c: c}
	reg, err := parsecotel.Register(provider.Meter("parsec-test"), cc, parsecotel.WithAttributes(attribute.String("cache", "main")))
	if err != nil {
		t.Fatal(err)
	}

	for round := range 2 {
		if round == 1 {
			_, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/p"}) // one more hit
		}
		before := cc.calls.Load()
		got := collect(t, reader)
		if n := cc.calls.Load() - before; n != 1 {
			t.Errorf("round %d: Stats called %d times in one collection; want 1", round, n)
		}
		st := c.Stats()
		all := metrics.All()
		if len(got) != len(all) {
			t.Errorf("round %d: collected %d metrics; want %d (one per field of cache.Stats)", round, len(got), len(all))
		}
		for _, m := range all {
			name := parsecotel.Prefix + m.Name
			md, ok := got[name]
			if !ok {
				t.Errorf("no metric %s (cache.Stats.%s)", name, m.Field)
				continue
			}
			if md.Description != m.Description {
				t.Errorf("%s: description %q; want %q", name, md.Description, m.Description)
			}
			var points []metricdata.DataPoint[int64]
			switch data := md.Data.(type) {
			case metricdata.Sum[int64]:
				if m.Kind != metrics.Counter || !data.IsMonotonic || data.Temporality != metricdata.CumulativeTemporality {
					t.Errorf("%s: a sum (monotonic %v, %v); want a %v", name, data.IsMonotonic, data.Temporality, m.Kind)
				}
				points = data.DataPoints
			case metricdata.Gauge[int64]:
				if m.Kind != metrics.Gauge {
					t.Errorf("%s: a gauge; want a %v", name, m.Kind)
				}
				points = data.DataPoints
			default:
				t.Errorf("%s: data %T; want an int64 sum or gauge", name, md.Data)
				continue
			}
			if len(points) != 1 {
				t.Errorf("%s: %d data points; want 1", name, len(points))
				continue
			}
			if v, _ := points[0].Attributes.Value("cache"); v.AsString() != "main" {
				t.Errorf("%s: attributes %v; want cache=main", name, points[0].Attributes)
			}
			if want := m.Int64(st); points[0].Value != want {
				t.Errorf("round %d: %s = %d; want %d (Stats().%s)", round, name, points[0].Value, want, m.Field)
			}
		}
		if st.Hits != uint64(3+round) {
			t.Errorf("round %d: Stats().Hits = %d; want %d (the test's reads)", round, st.Hits, 3+round)
		}
	}

	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	before := cc.calls.Load()
	collect(t, reader)
	if cc.calls.Load() != before {
		t.Error("Stats called after Unregister")
	}
}

func TestRegisterNeedsMeterAndCache(t *testing.T) {
	provider := sdkmetric.NewMeterProvider()
	defer provider.Shutdown(context.Background())
	if _, err := parsecotel.Register(nil, &countingCache{}); err == nil {
		t.Error("Register(nil meter) = nil error; want one")
	}
	if _, err := parsecotel.Register(provider.Meter("m"), nil); err == nil {
		t.Error("Register(nil cache) = nil error; want one")
	}
}
