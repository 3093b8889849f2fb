// Package otel reports a parsec cache's counters through the OpenTelemetry
// Go metric API: [Register] creates an observable instrument for every
// field of [cache.Stats] (through [metrics.All], so a counter added to
// cache.Stats appears without a change here) and one callback that reads
// Stats once per collection.
//
// The instruments are named parsec.cache.NAME (parsec.cache.hits,
// parsec.cache.refreshes_ahead, ...): an Int64ObservableCounter for each
// counter, cumulative since the cache was built, and an
// Int64ObservableGauge for each gauge (parsec.cache.entries). They carry
// counts and the attributes given to [WithAttributes], never a parameter or
// secret name or value.
//
// With [WithCloudExtensionsNames] it also creates the instruments AWS
// Systems Manager Cloud Extensions names (cache.hits, cache.misses,
// cache.load.failures, cache.evictions), computed from the same Stats;
// Cloud Extensions' cache.refresh.failures has no counterpart, as
// cache.Stats counts failed background refreshes among failed loads.
//
// It is its own Go module (github.com/parsec-go/parsec/metrics/otel), so
// that the library's go.mod does not depend on OpenTelemetry.
package otel
