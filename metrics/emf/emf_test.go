package emf

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics"
	"github.com/parsec-go/parsec/source/sourcetest"
)

var fixed = time.Date(2026, 12, 1, 23, 0, 0, 123_000_000, time.UTC)

func clock() time.Time { return fixed }

// lines splits the output into lines, each with its newline.
func lines(t *testing.T, b *bytes.Buffer) [][]byte {
	t.Helper()
	var out [][]byte
	for l := range bytes.Lines(b.Bytes()) {
		out = append(out, l)
	}
	return out
}

// check parses line by the specification and fails t on a violation.
func check(t *testing.T, line []byte) document {
	t.Helper()
	doc, errs := parseEMF(line)
	for _, e := range errs {
		t.Errorf("EMF line breaks the specification: %s\nline: %s", e, line)
	}
	return doc
}

// TestLineFollowsSpecification checks a line from a real cache against the
// specification's rules, and its values against Stats.
func TestLineFollowsSpecification(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	const canary = "canary-value-7f3a9c"
	srv.PutParameter(sourcetest.Parameter{Name: "/app/canary-name", Value: canary})
	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for range 3 {
		if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/canary-name"}); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/missing"})

	var out bytes.Buffer
	w, err := New(&out, "parsec", WithDimension("FunctionName", "fn"), WithDimension("Mode", "test"), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if err := w.Write(st); err != nil {
		t.Fatal(err)
	}
	ls := lines(t, &out)
	if len(ls) != 1 {
		t.Fatalf("Write wrote %d lines; want 1", len(ls))
	}
	if s := string(ls[0]); strings.Contains(s, canary) || strings.Contains(s, "canary-name") {
		t.Errorf("EMF line holds a parameter's name or value: %s", s)
	}
	doc := check(t, ls[0])
	if doc.Timestamp != fixed.UnixMilli() {
		t.Errorf("Timestamp = %d; want %d (milliseconds)", doc.Timestamp, fixed.UnixMilli())
	}
	if len(doc.Namespaces) != 1 || doc.Namespaces[0] != "parsec" {
		t.Errorf("namespaces = %q; want [parsec]", doc.Namespaces)
	}
	if len(doc.Sets) != 1 || strings.Join(doc.Sets[0], ",") != "FunctionName,Mode" {
		t.Errorf("dimension sets = %q; want [[FunctionName Mode]]", doc.Sets)
	}
	if doc.Dimensions["FunctionName"] != "fn" || doc.Dimensions["Mode"] != "test" {
		t.Errorf("dimensions = %v; want FunctionName=fn Mode=test", doc.Dimensions)
	}
	all := metrics.All()
	if len(doc.Values) != len(all) {
		t.Errorf("line has %d metrics; want %d (every field of cache.Stats)", len(doc.Values), len(all))
	}
	for _, m := range all {
		got, ok := doc.Values[m.Field]
		if !ok {
			t.Errorf("metric %s missing", m.Field)
			continue
		}
		if want := m.Value(st); got != want {
			t.Errorf("%s = %v; want %v (Stats)", m.Field, got, want)
		}
		if doc.Units[m.Field] != "Count" {
			t.Errorf("%s: unit %q; want Count", m.Field, doc.Units[m.Field])
		}
	}
	if st.Hits != 2 || st.Loads < 2 || st.Entries != 2 {
		t.Errorf("Stats() = %+v; want 2 hits, 2 loads or more, 2 entries (the test's reads)", st)
	}
}

// TestDeltas checks that counters are the change since the previous line,
// gauges their value, and that a counter going down (a new cache) counts
// from zero.
func TestDeltas(t *testing.T) {
	var out bytes.Buffer
	w, err := New(&out, "parsec", WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	snaps := []cache.Stats{
		{Hits: 10, Loads: 2, Entries: 2},
		{Hits: 15, Loads: 2, Misses: 1, Entries: 3},
		{Hits: 4, Loads: 1, Entries: 1}, // a new cache
	}
	want := []map[string]float64{
		{"Hits": 10, "Loads": 2, "Misses": 0, "Entries": 2},
		{"Hits": 5, "Loads": 0, "Misses": 1, "Entries": 3},
		{"Hits": 4, "Loads": 1, "Misses": 0, "Entries": 1},
	}
	for _, s := range snaps {
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	ls := lines(t, &out)
	if len(ls) != len(snaps) {
		t.Fatalf("%d lines; want %d", len(ls), len(snaps))
	}
	for i, l := range ls {
		doc := check(t, l)
		for name, v := range want[i] {
			if doc.Values[name] != v {
				t.Errorf("line %d: %s = %v; want %v", i, name, doc.Values[name], v)
			}
		}
		if len(doc.Sets) != 1 || len(doc.Sets[0]) != 0 {
			t.Errorf("line %d: dimension sets %q; want one empty set", i, doc.Sets)
		}
	}
}

func TestNewRejects(t *testing.T) {
	long := strings.Repeat("x", 1025)
	var many []Option
	for i := range 31 {
		many = append(many, WithDimension(string(rune('a'+i%26))+strings.Repeat("k", i), "v"))
	}
	tests := []struct {
		name      string
		namespace string
		opts      []Option
		want      string
	}{
		{"empty namespace", "", nil, "namespace"},
		{"long namespace", strings.Repeat("n", 256), nil, "namespace"},
		{"empty key", "ns", []Option{WithDimension("", "v")}, "dimension key"},
		{"empty value", "ns", []Option{WithDimension("k", "")}, "value"},
		{"long value", "ns", []Option{WithDimension("k", long)}, "value"},
		{"long key", "ns", []Option{WithDimension(long, "v")}, "dimension key"},
		{"key is a metric", "ns", []Option{WithDimension("Hits", "v")}, "metric's name"},
		{"key is _aws", "ns", []Option{WithDimension("_aws", "v")}, "_aws"},
		{"key twice", "ns", []Option{WithDimension("k", "a"), WithDimension("k", "b")}, "twice"},
		{"31 dimensions", "ns", many, "at most 30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&bytes.Buffer{}, tt.namespace, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%q) error = %v; want one containing %q", tt.namespace, err, tt.want)
			}
		})
	}
	if _, err := New(nil, "ns"); err == nil {
		t.Error("New(nil writer) = nil error; want one")
	}
	if _, err := New(&bytes.Buffer{}, "ns", many[:30]...); err != nil {
		t.Errorf("New with 30 dimensions: %v; want no error", err)
	}
}

// TestRunWritesEveryInterval runs the interval writer in a synctest bubble:
// a line per interval, each with the counters' change in that interval, and
// Run returns when its context ends.
func TestRunWritesEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu  sync.Mutex
			out bytes.Buffer
			st  cache.Stats
		)
		w, err := New(lockedWriter{&mu, &out}, "parsec")
		if err != nil {
			t.Fatal(err)
		}
		stats := func() cache.Stats { mu.Lock(); defer mu.Unlock(); return st }
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx, time.Minute, stats) }()
		for i := range 3 {
			mu.Lock()
			st.Hits += uint64(i + 1)
			mu.Unlock()
			<-time.After(time.Minute) // fake time: the bubble's clock
			synctest.Wait()
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v; want context.Canceled", err)
		}
		mu.Lock()
		defer mu.Unlock()
		ls := lines(t, &out)
		if len(ls) != 3 {
			t.Fatalf("%d lines after 3 intervals; want 3", len(ls))
		}
		for i, l := range ls {
			doc := check(t, l)
			if want := float64(i + 1); doc.Values["Hits"] != want {
				t.Errorf("line %d: Hits = %v; want %v", i, doc.Values["Hits"], want)
			}
			if want := time.Now().Add(-time.Duration(2-i) * time.Minute).UnixMilli(); doc.Timestamp != want {
				t.Errorf("line %d: Timestamp = %d; want %d", i, doc.Timestamp, want)
			}
		}
	})
	if err := (&Writer{}).Run(context.Background(), 0, nil); err == nil {
		t.Error("Run(0) = nil; want an error")
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestWriteReturnsWriterError(t *testing.T) {
	w, err := New(failingWriter{}, "parsec")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(cache.Stats{}); err == nil {
		t.Error("Write to a failing writer = nil; want its error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestManyMetricsSplitDirectives checks the limit of 100 metrics per
// directive with 250 metrics (cache.Stats has fewer today).
func TestManyMetricsSplitDirectives(t *testing.T) {
	var out bytes.Buffer
	w, err := New(&out, "parsec", WithDimension("FunctionName", "fn"), WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	base := w.metrics[0] // Hits
	w.metrics = nil
	for i := range 250 {
		m := base
		m.Field = "Hits" + strconv.Itoa(i)
		w.metrics = append(w.metrics, m)
	}
	if err := w.Write(cache.Stats{Hits: 9}); err != nil {
		t.Fatal(err)
	}
	doc := check(t, out.Bytes())
	if len(doc.Namespaces) != 3 || len(doc.Values) != 250 {
		t.Errorf("%d directives, %d metrics; want 3 and 250", len(doc.Namespaces), len(doc.Values))
	}
	if doc.Values["Hits249"] != 9 {
		t.Errorf("Hits249 = %v; want 9", doc.Values["Hits249"])
	}
}
