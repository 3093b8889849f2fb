package emf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/metrics"
)

// The specification's limits.
const (
	maxMetricsPerDirective = 100
	maxDimensions          = 30
	maxNameLen             = 1024 // a metric or dimension name, and a dimension value
	maxNamespaceLen        = 255
)

// Writer writes [cache.Stats] snapshots as EMF lines to an io.Writer. Build
// it with [New]. It is safe for concurrent use: lines are written whole, one
// Write call each, in the order the calls to [Writer.Write] took the lock.
type Writer struct {
	out       io.Writer
	namespace string
	dims      []dimension
	now       func() time.Time
	metrics   []metrics.Metric

	mu   sync.Mutex  // protects prev and the writes to out
	prev cache.Stats // the snapshot of the previous line
}

type dimension struct{ key, value string }

// Option configures [New].
type Option func(*Writer)

// WithDimension adds the dimension key=value to every line (default: none,
// so that the metrics have the namespace alone). Dimensions keep the order
// given; a key given twice is an error in New, as are more than 30 keys, an
// empty key or value, one longer than 1024 characters, or a key that is a
// metric's name or "_aws".
func WithDimension(key, value string) Option {
	return func(w *Writer) { w.dims = append(w.dims, dimension{key, value}) }
}

// WithClock sets the clock that stamps each line (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(w *Writer) { w.now = now }
}

// New returns a Writer of lines in namespace to out. The namespace must be
// 1 to 255 characters. It does no I/O.
func New(out io.Writer, namespace string, opts ...Option) (*Writer, error) {
	if out == nil {
		return nil, errors.New("emf: New needs a writer")
	}
	w := &Writer{out: out, namespace: namespace, now: time.Now, metrics: metrics.All()}
	for _, o := range opts {
		if o != nil {
			o(w)
		}
	}
	if n := utf8.RuneCountInString(namespace); n == 0 || n > maxNamespaceLen {
		return nil, fmt.Errorf("emf: namespace %q: must be 1 to %d characters", namespace, maxNamespaceLen)
	}
	if len(w.dims) > maxDimensions {
		return nil, fmt.Errorf("emf: %d dimensions: at most %d", len(w.dims), maxDimensions)
	}
	taken := map[string]bool{"_aws": true}
	for _, m := range w.metrics {
		taken[m.Field] = true
	}
	seen := map[string]bool{}
	for _, d := range w.dims {
		if err := checkName("dimension key", d.key); err != nil {
			return nil, err
		}
		if err := checkName("dimension "+strconv.Quote(d.key)+" value", d.value); err != nil {
			return nil, err
		}
		if taken[d.key] {
			return nil, fmt.Errorf("emf: dimension key %q: is a metric's name or _aws", d.key)
		}
		if seen[d.key] {
			return nil, fmt.Errorf("emf: dimension key %q given twice", d.key)
		}
		seen[d.key] = true
	}
	return w, nil
}

func checkName(what, s string) error {
	if n := utf8.RuneCountInString(s); n == 0 || n > maxNameLen {
		return fmt.Errorf("emf: %s %q: must be 1 to %d characters", what, s, maxNameLen)
	}
	return nil
}

// Write writes s as one line: counters as deltas since the previous line's
// snapshot, gauges as their values. It returns the io.Writer's error; the
// snapshot counts as written even then, so that the next line does not
// count the same reads twice.
func (w *Writer) Write(s cache.Stats) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	line := w.line(s, w.prev, w.now())
	w.prev = s
	_, err := w.out.Write(line)
	return err
}

// Run writes a line of stats() every interval until ctx ends; it returns
// ctx's error. It makes no promise to catch up: in Lambda a frozen
// environment's ticks are skipped, so a line covers the time since the
// previous one, whatever that was. An interval that is not positive is an
// error.
func (w *Writer) Run(ctx context.Context, every time.Duration, stats func() cache.Stats) error {
	if every <= 0 {
		return fmt.Errorf("emf: Run: interval %v: must be positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			_ = w.Write(stats())
		}
	}
}

// line encodes one EMF document and a newline. The members are written in
// a fixed order: _aws, the dimensions, the metrics.
func (w *Writer) line(s, prev cache.Stats, now time.Time) []byte {
	keys := make([]string, len(w.dims))
	for i, d := range w.dims {
		keys[i] = d.key
	}
	type metricDef struct {
		Name string
		Unit string
	}
	type directive struct {
		Namespace  string
		Dimensions [][]string
		Metrics    []metricDef
	}
	var dirs []directive
	for i, m := range w.metrics {
		if i%maxMetricsPerDirective == 0 {
			dirs = append(dirs, directive{Namespace: w.namespace, Dimensions: [][]string{keys}})
		}
		d := &dirs[len(dirs)-1]
		d.Metrics = append(d.Metrics, metricDef{Name: m.Field, Unit: "Count"})
	}
	meta := struct {
		Timestamp         int64
		CloudWatchMetrics []directive
	}{now.UnixMilli(), dirs}

	var b bytes.Buffer
	b.WriteString(`{"_aws":`)
	writeJSON(&b, meta)
	for _, d := range w.dims {
		b.WriteByte(',')
		writeJSON(&b, d.key)
		b.WriteByte(':')
		writeJSON(&b, d.value)
	}
	for _, m := range w.metrics {
		v := m.Value(s)
		if m.Kind == metrics.Counter {
			if was := m.Value(prev); v >= was {
				v -= was
			} // else a new cache: count from zero
		}
		b.WriteByte(',')
		writeJSON(&b, m.Field)
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		panic("emf: " + err.Error()) // strings and slices of strings always marshal
	}
	b.Write(j)
}
