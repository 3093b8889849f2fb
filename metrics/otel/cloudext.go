package otel

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"

	"github.com/parsec-go/parsec/cache"
)

// cloudMetric is one instrument named as AWS Systems Manager Cloud
// Extensions names its metrics, computed from cache.Stats.
type cloudMetric struct {
	name, description string
	value             func(cache.Stats) uint64
}

// cloudMetrics are the Cloud Extensions names, computed from cache.Stats.
var cloudMetrics = []cloudMetric{
	{"cache.hits", "Requests answered from the cache: a fresh value or a remembered not-found.",
		func(s cache.Stats) uint64 { return s.Hits + s.NegativeHits }},
	{"cache.misses", "All other requests, including those that waited for a load.",
		func(s cache.Stats) uint64 { return s.Misses }},
	{"cache.load.failures", "Upstream calls that failed.",
		func(s cache.Stats) uint64 { return s.LoadErrors }},
	{"cache.refresh.failures", "Background refreshes of a value held that failed.",
		func(s cache.Stats) uint64 { return s.RefreshFailures }},
	{"cache.evictions", "Entries evicted to admit another, at the cache's limit.",
		func(s cache.Stats) uint64 { return s.Evictions }},
}

// WithCloudExtensionsNames also creates the instruments Cloud Extensions
// names (cache.hits, cache.misses, cache.load.failures,
// cache.refresh.failures, cache.evictions),
// cumulative counters observed in the same callback as parsec's own, so
// that dashboards and alarms written for Cloud Extensions read parsec's
// cache. To match Cloud Extensions' scope and attributes, get the meter
// as otel.Meter("cloudwatch.aws/secretsmanager/cloudextensions") and add
// WithAttributes(attribute.String("extension.name", …),
// attribute.String("extension.version", …)).
func WithCloudExtensionsNames() Option {
	return func(c *config) { c.cloudNames = true }
}

// cloudInstruments creates the Cloud Extensions instruments.
func cloudInstruments(meter metric.Meter) ([]metric.Int64ObservableCounter, []metric.Observable, error) {
	insts := make([]metric.Int64ObservableCounter, len(cloudMetrics))
	obs := make([]metric.Observable, len(cloudMetrics))
	for i, m := range cloudMetrics {
		inst, err := meter.Int64ObservableCounter(m.name, metric.WithDescription(m.description))
		if err != nil {
			return nil, nil, fmt.Errorf("otel: instrument %s: %w", m.name, err)
		}
		insts[i], obs[i] = inst, inst
	}
	return insts, obs, nil
}

func clampInt64(v uint64) int64 { return int64(min(v, 1<<63-1)) }
