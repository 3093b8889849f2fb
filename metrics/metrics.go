package metrics

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/parsec-go/parsec/cache"
)

// Kind tells how a metric behaves over time.
type Kind int

// The kinds.
const (
	// Counter is monotonic since the cache was built: exporters report it
	// as a cumulative counter, or as the delta since their previous report.
	Counter Kind = iota + 1
	// Gauge is a level now (Entries): exporters report its value.
	Gauge
)

// String returns "counter" or "gauge".
func (k Kind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Metric describes one field of [cache.Stats]. The zero Metric describes
// nothing; get them from [All].
type Metric struct {
	// Field is the Go field name in cache.Stats, such as "RefreshesAhead".
	// CloudWatch EMF uses it as the metric name (CloudWatch's own metrics
	// are spelled that way).
	Field string
	// Name is Field in snake case, such as "refreshes_ahead": the base of
	// the Prometheus and OpenTelemetry names.
	Name string
	// Kind is Counter or Gauge.
	Kind Kind
	// Description is one line saying what is counted.
	Description string

	index int // of the field in cache.Stats
}

// Value returns the metric's value in s.
func (m Metric) Value(s cache.Stats) float64 {
	v := reflect.ValueOf(s).Field(m.index)
	if v.CanUint() {
		return float64(v.Uint())
	}
	return float64(v.Int())
}

// Int64 returns the metric's value in s as an int64; a counter beyond
// math.MaxInt64 (not reachable in practice) is clamped to it.
func (m Metric) Int64(s cache.Stats) int64 {
	v := reflect.ValueOf(s).Field(m.index)
	if v.CanUint() {
		return int64(min(v.Uint(), 1<<63-1))
	}
	return v.Int()
}

// descriptions are the one-line descriptions of the fields of cache.Stats,
// keyed by field name. A field missing here is described by its name (see
// describe) and fails TestEveryFieldIsDescribed.
var descriptions = map[string]string{
	"Hits":            "Reads answered from a fresh value in memory.",
	"NegativeHits":    "Reads answered by a remembered not-found or backoff error.",
	"Misses":          "Reads (single, batch items, paths) that needed more than the hit path.",
	"Loads":           "Upstream calls made.",
	"LoadErrors":      "Upstream calls that failed (or panicked).",
	"Coalesced":       "Reads that waited for another reader's upstream call.",
	"StaleServes":     "Reads and batch items answered with a value past its TTL because the upstream failed.",
	"RefreshesAhead":  "Background reloads started before an entry's TTL ended.",
	"RefreshFailures": "Background reloads that failed (readers kept the value in memory); each is also in LoadErrors.",
	"Bypassed":        "Always 0 (deprecated): sdkcache.Reader counts its bypassed calls.",
	"Evictions":       "Entries the store evicted to admit another, at its limit.",
	"Rejected":        "New entries the store's admission policy refused, at its limit.",
	"Dropped":         "Writes the store refused because its buffer was full (expected 0).",
	"Entries":         "Entries held now, values and remembered failures.",
}

func describe(field string) string {
	if d, ok := descriptions[field]; ok {
		return d
	}
	return "The cache.Stats field " + field + "."
}

// All returns the metrics of cache.Stats in field order. The slice is a
// fresh copy: the caller may keep or change it. It is safe for concurrent
// use.
func All() []Metric { return append([]Metric(nil), all()...) }

var all = sync.OnceValue(func() []Metric {
	t := reflect.TypeFor[cache.Stats]()
	var ms []Metric
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		k := kindOf(f.Type.Kind())
		if k == 0 {
			continue // not a number: TestEveryFieldIsAMetric fails
		}
		ms = append(ms, Metric{Field: f.Name, Name: snake(f.Name), Kind: k, Description: describe(f.Name), index: i})
	}
	return ms
})

func kindOf(k reflect.Kind) Kind {
	switch k {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Counter
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return Gauge
	}
	return 0
}

// snake turns a Go field name into snake case: "RefreshesAhead" →
// "refreshes_ahead", "TTLExpiries" → "ttl_expiries", "HTTPCalls" →
// "http_calls".
func snake(s string) string {
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
