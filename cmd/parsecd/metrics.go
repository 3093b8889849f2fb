package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	parsecmetrics "github.com/parsec-go/parsec/metrics"
	"github.com/parsec-go/parsec/metrics/emf"
)

// The variables of the observability switches, each also a flag.
const (
	envMetrics      = "PARSECD_METRICS"       // TRUE: serve GET /metrics
	envDebugRoute   = "PARSECD_DEBUG_ROUTE"   // TRUE: serve GET /parsec/v1/debug
	envEMF          = "PARSECD_EMF"           // TRUE: write an EMF line at shutdown
	envEMFNamespace = "PARSECD_EMF_NAMESPACE" // the EMF namespace
	envEMFInterval  = "PARSECD_EMF_INTERVAL"  // also write an EMF line this often
	envFunctionName = "AWS_LAMBDA_FUNCTION_NAME"
)

// The routes parsecd adds to the extension's, each opt-in.
const (
	routeMetrics = "/metrics"
	routeDebug   = "/parsec/v1/debug"
)

const (
	defaultEMFNamespace = "parsec"
	minEMFInterval      = time.Second
)

// observability is the parsed configuration of the metrics switches.
type observability struct {
	metrics      bool          // serve GET /metrics (Prometheus text)
	debug        bool          // serve GET /parsec/v1/debug
	emf          bool          // write an EMF line at shutdown
	emfNamespace string        // default "parsec"
	emfInterval  time.Duration // and one every interval while serving; 0: never
	functionName string        // the EMF dimension FunctionName, if not ""
}

// observabilityFlags are the flags, declared on the flag set before it
// parses.
type observabilityFlags struct {
	metrics, debug, emf     *bool
	emfNamespace, emfPeriod *string
}

func addObservabilityFlags(fs *flag.FlagSet) *observabilityFlags {
	return &observabilityFlags{
		metrics:      fs.Bool("metrics", false, "serve the cache's counters as Prometheus text on GET /metrics, behind the token ("+envMetrics+"=TRUE)"),
		debug:        fs.Bool("debug-route", false, "serve goroutines, heap and the cache's counters as JSON on GET /parsec/v1/debug, behind the token; never a value ("+envDebugRoute+"=TRUE)"),
		emf:          fs.Bool("emf", false, "write the cache's counters as one CloudWatch embedded metric format line to stdout at shutdown ("+envEMF+"=TRUE); the metrics are CloudWatch custom metrics, which AWS bills"),
		emfNamespace: fs.String("emf-namespace", "", "the EMF lines' `NAMESPACE` ("+envEMFNamespace+", default "+defaultEMFNamespace+")"),
		emfPeriod:    fs.String("emf-interval", "", "with --emf, also write a line every `DURATION` while serving, at least 1s; Lambda skips the ticks of a frozen environment ("+envEMFInterval+", default 0: at shutdown only)"),
	}
}

// parse reads the flags set and, for the others, the variables.
func (f *observabilityFlags) parse(set map[string]bool, getenv func(string) string) (observability, error) {
	var o observability
	var err error
	if o.metrics, err = boolSetting(set["metrics"], *f.metrics, "--metrics", getenv, envMetrics); err != nil {
		return o, err
	}
	if o.debug, err = boolSetting(set["debug-route"], *f.debug, "--debug-route", getenv, envDebugRoute); err != nil {
		return o, err
	}
	if o.emf, err = boolSetting(set["emf"], *f.emf, "--emf", getenv, envEMF); err != nil {
		return o, err
	}
	o.emfNamespace = flagOrEnv(set["emf-namespace"], *f.emfNamespace, getenv, envEMFNamespace)
	if o.emfNamespace == "" {
		if set["emf-namespace"] {
			return o, usagef("--emf-namespace: empty")
		}
		o.emfNamespace = defaultEMFNamespace
	}
	if v := flagOrEnv(set["emf-interval"], *f.emfPeriod, getenv, envEMFInterval); v != "" {
		name := "--emf-interval"
		if !set["emf-interval"] {
			name = envEMFInterval
		}
		d, err := time.ParseDuration(v)
		if err != nil || (d != 0 && d < minEMFInterval) {
			return o, &settingError{Name: name, Value: v, Rule: "must be a duration of at least 1s (e.g. 1m), or 0"}
		}
		if d > 0 && !o.emf {
			return o, usagef("%s needs --emf (or %s=TRUE)", name, envEMF)
		}
		o.emfInterval = d
	}
	o.functionName = strings.TrimSpace(getenv(envFunctionName))
	if o.emf {
		if _, err := o.emfWriter(nil); err != nil {
			return o, &usageError{err.Error()} // emf's own words: "emf: namespace ...: must be ..."
		}
	}
	return o, nil
}

// boolSetting is the flag if set, else the variable: TRUE or FALSE in any
// case, empty meaning false.
func boolSetting(isSet, v bool, flagName string, getenv func(string) string, name string) (bool, error) {
	if isSet {
		return v, nil
	}
	switch s := strings.TrimSpace(getenv(name)); strings.ToUpper(s) {
	case "", "FALSE":
		return false, nil
	case "TRUE":
		return true, nil
	default:
		return false, &settingError{Name: name, Value: s, Rule: "must be TRUE or FALSE (any case), like " + flagName}
	}
}

// emfWriter returns the EMF writer to out (nil: a discarding check of the
// configuration).
func (o observability) emfWriter(out io.Writer) (*emf.Writer, error) {
	if out == nil {
		out = io.Discard
	}
	var opts []emf.Option
	if o.functionName != "" {
		opts = append(opts, emf.WithDimension("FunctionName", o.functionName))
	}
	return emf.New(out, o.emfNamespace, opts...)
}

// routeOptions returns the handler options serving the opt-in routes, if
// any, behind the compatible handler's own checks (XFF, Host, token, GET):
// the same token and the same refusal bytes as every other route.
func (r *runner) routeOptions(stats func() cache.Stats) []httpcompat.Option {
	o := r.cfg.obs
	var opts []httpcompat.Option
	if o.metrics {
		opts = append(opts, httpcompat.WithRoute(routeMetrics, metricsHandler(stats)))
	}
	if o.debug {
		opts = append(opts, httpcompat.WithRoute(routeDebug, debugHandler(stats)))
	}
	return opts
}

// startEMF starts the EMF interval writer, if asked for. The returned stop
// ends it and writes the shutdown line; call it once, after the server has
// shut down.
func (r *runner) startEMF(stats func() cache.Stats) (stop func()) {
	o := r.cfg.obs
	if !o.emf {
		return func() {}
	}
	w, err := o.emfWriter(r.stdout)
	if err != nil { // checked in parse
		r.log.Error("parsecd: EMF disabled", "error", err.Error())
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if o.emfInterval > 0 {
		wg.Go(func() { _ = w.Run(ctx, o.emfInterval, stats) })
	}
	return func() {
		cancel()
		wg.Wait()
		if err := w.Write(stats()); err != nil {
			r.log.Warn("parsecd: EMF line not written", "error", err.Error())
		}
	}
}

// statsCollector is a prometheus.Collector of the cache's counters: one
// Stats snapshot per scrape, a counter parsec_NAME_total for each counter
// of cache.Stats and a gauge parsec_NAME for each gauge (parsec_entries).
type statsCollector struct {
	stats func() cache.Stats
	ms    []parsecmetrics.Metric
	descs []*prometheus.Desc
}

func newStatsCollector(stats func() cache.Stats) *statsCollector {
	c := &statsCollector{stats: stats, ms: parsecmetrics.All()}
	for _, m := range c.ms {
		c.descs = append(c.descs, prometheus.NewDesc(prometheusName(m), m.Description, nil, nil))
	}
	return c
}

func prometheusName(m parsecmetrics.Metric) string {
	if m.Kind == parsecmetrics.Counter {
		return "parsec_" + m.Name + "_total"
	}
	return "parsec_" + m.Name
}

// Describe implements prometheus.Collector.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	for i, m := range c.ms {
		t := prometheus.GaugeValue
		if m.Kind == parsecmetrics.Counter {
			t = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(c.descs[i], t, m.Value(s))
	}
}

// metricsHandler serves the Prometheus text exposition of the cache's
// counters, from a registry of its own (nothing global).
func metricsHandler(stats func() cache.Stats) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newStatsCollector(stats))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: routeInFlight})
}

// debugReport is the body of GET /parsec/v1/debug: counts only, never a
// name or a value.
type debugReport struct {
	Goroutines uint64            `json:"goroutines"`
	Heap       map[string]uint64 `json:"heap"` // bytes and objects, from runtime/metrics
	Stats      map[string]int64  `json:"stats"`
}

// The runtime/metrics samples of the debug route, by report key.
var heapSamples = [...]struct{ key, name string }{
	{"objectsBytes", "/memory/classes/heap/objects:bytes"},
	{"objects", "/gc/heap/objects:objects"},
	{"goalBytes", "/gc/heap/goal:bytes"},
	{"totalBytes", "/memory/classes/total:bytes"},
}

const goroutinesSample = "/sched/goroutines:goroutines"

// routeInFlight bounds the requests in progress on each opt-in route, as
// promhttp's MaxRequestsInFlight does for /metrics: beyond it, 503 at once.
const routeInFlight = 4

// debugHandler serves the process's goroutines and heap and the cache's
// counters as JSON. runtime/metrics is read without stopping the world. At
// most routeInFlight requests are served at once; the others get 503 with
// Retry-After.
func debugHandler(stats func() cache.Stats) http.Handler {
	sem := make(chan struct{}, routeInFlight)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		default:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests in progress on this route (at most "+strconv.Itoa(routeInFlight)+"); retry later", http.StatusServiceUnavailable)
			return
		}
		samples := make([]metrics.Sample, 0, len(heapSamples)+1)
		samples = append(samples, metrics.Sample{Name: goroutinesSample})
		for _, s := range heapSamples {
			samples = append(samples, metrics.Sample{Name: s.name})
		}
		metrics.Read(samples)
		rep := debugReport{Heap: map[string]uint64{}, Stats: map[string]int64{}}
		for i, s := range samples {
			if s.Value.Kind() != metrics.KindUint64 {
				continue // not in this Go version
			}
			if i == 0 {
				rep.Goroutines = s.Value.Uint64()
			} else {
				rep.Heap[heapSamples[i-1].key] = s.Value.Uint64()
			}
		}
		st := stats()
		for _, m := range parsecmetrics.All() {
			rep.Stats[m.Name] = m.Int64(st)
		}
		body, err := json.Marshal(rep)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}

// stats returns the current generation's counters; a reload starts a new
// cache, so the counters start again from zero (Prometheus reads that as a
// counter reset; the EMF writer counts from zero).
func (e *emulator) stats() cache.Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cur.cache.Stats()
}
