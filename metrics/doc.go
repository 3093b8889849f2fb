// Package metrics enumerates the counters of a [cache.Stats] snapshot once,
// so that every exporter (CloudWatch EMF in [emf], OpenTelemetry in the
// nested module metrics/otel, Prometheus in cmd/parsecd) reports the same
// metrics under the same names, and a counter added to cache.Stats appears
// in all of them without a change here.
//
// [All] reads the exported fields of cache.Stats by reflection, once: an
// unsigned integer field is a [Counter] (monotonic since the cache was
// built), a signed integer field is a [Gauge] (a level now, such as
// Entries). A field of any other type is not a metric; a test in this
// package fails when cache.Stats has such a field, or a field without a
// description, so that neither goes unnoticed.
//
// A metric carries counts of reads, loads and entries, never a name, a key
// or a value.
package metrics
