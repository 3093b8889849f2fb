package otel_test

import (
	"context"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/parsec-go/parsec/cache"
	parsecotel "github.com/parsec-go/parsec/metrics/otel"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func Example() {
	srv := sourcetest.NewServer() // a fake AWS; source.New(cfg) in production
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/db/host", Value: "db.internal"})
	c, err := cache.New(srv.Clients())
	if err != nil {
		panic(err)
	}
	defer c.Close()

	// Any MeterProvider; the SDK's with a manual reader here.
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(context.Background())
	if _, err := parsecotel.Register(provider.Meter("myapp"), c); err != nil {
		panic(err)
	}

	for range 3 {
		_, _ = c.Parameter(context.Background(), cache.ParameterRequest{Name: "/app/db/host"})
	}
	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			if m.Name == "parsec.cache.hits" || m.Name == "parsec.cache.loads" {
				fmt.Println(m.Name, d.DataPoints[0].Value)
			}
		case metricdata.Gauge[int64]:
			if m.Name == "parsec.cache.entries" {
				fmt.Println(m.Name, d.DataPoints[0].Value)
			}
		}
	}
	// Output:
	// parsec.cache.hits 2
	// parsec.cache.loads 1
	// parsec.cache.entries 1
}
