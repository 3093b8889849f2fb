package metrics

import (
	"reflect"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/cache"
)

// TestEveryFieldIsAMetric fails when cache.Stats gains an exported field
// that All does not report: a type other than an integer needs a decision
// (and likely a change to every exporter).
func TestEveryFieldIsAMetric(t *testing.T) {
	byField := map[string]Metric{}
	for _, m := range All() {
		byField[m.Field] = m
	}
	st := reflect.TypeFor[cache.Stats]()
	n := 0
	for f := range st.Fields() {
		if !f.IsExported() {
			continue
		}
		n++
		if _, ok := byField[f.Name]; !ok {
			t.Errorf("cache.Stats.%s (%s) has no metric: All reports unsigned integers as counters and signed integers as gauges", f.Name, f.Type)
		}
	}
	if len(byField) != n {
		t.Errorf("All() has %d metrics; cache.Stats has %d exported fields", len(byField), n)
	}
}

// TestEveryFieldIsDescribed fails when a field of cache.Stats has no entry
// in the descriptions table.
func TestEveryFieldIsDescribed(t *testing.T) {
	for _, m := range All() {
		if _, ok := descriptions[m.Field]; !ok {
			t.Errorf("cache.Stats.%s has no description: add one to the descriptions table", m.Field)
		}
		if m.Description == "" || strings.Contains(m.Description, "\n") {
			t.Errorf("%s: Description = %q; want one non-empty line", m.Field, m.Description)
		}
	}
	for f := range descriptions {
		if _, ok := reflect.TypeFor[cache.Stats]().FieldByName(f); !ok {
			t.Errorf("descriptions[%q] describes no field of cache.Stats", f)
		}
	}
}

func TestKindsAndValues(t *testing.T) {
	s := cache.Stats{Hits: 7, Loads: 3, Entries: 2}
	st := reflect.ValueOf(s)
	for _, m := range All() {
		f := st.FieldByName(m.Field)
		want := Gauge
		if f.CanUint() {
			want = Counter
		}
		if m.Kind != want {
			t.Errorf("%s: Kind = %v; want %v", m.Field, m.Kind, want)
		}
		var v int64
		if f.CanUint() {
			v = int64(f.Uint())
		} else {
			v = f.Int()
		}
		if got := m.Int64(s); got != v {
			t.Errorf("%s: Int64 = %d; want %d", m.Field, got, v)
		}
		if got := m.Value(s); got != float64(v) {
			t.Errorf("%s: Value = %v; want %v", m.Field, got, v)
		}
	}
	if got := All(); got[0].Field != "Hits" || got[0].Name != "hits" {
		t.Errorf("All()[0] = %+v; want Hits first", got[0])
	}
}

func TestAllReturnsACopy(t *testing.T) {
	a := All()
	a[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Error("All() returned the cached slice; want a copy")
	}
}

func TestSnake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hits", "hits"},
		{"NegativeHits", "negative_hits"},
		{"RefreshesAhead", "refreshes_ahead"},
		{"LoadErrors", "load_errors"},
		{"TTLExpiries", "ttl_expiries"},
		{"HTTPCalls", "http_calls"},
		{"Loads5xx", "loads5xx"},
		{"PerPathARN", "per_path_arn"},
	}
	for _, tt := range tests {
		if got := snake(tt.in); got != tt.want {
			t.Errorf("snake(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
