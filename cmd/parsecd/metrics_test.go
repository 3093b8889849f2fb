package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/internal/logbuf"
	parsecmetrics "github.com/parsec-go/parsec/metrics"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// The canary: a value and a name that must not appear in any metric, line
// or route.
const (
	canaryValue = "canary-secret-3f9e1a"
	canaryName  = "canary-name-77b2"
)

// parsePrometheus parses a text exposition with the Prometheus text parser.
func parsePrometheus(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the Prometheus text parser rejects /metrics: %v\n%s", err, body)
	}
	return fams
}

// checkPrometheus fails t unless fams holds every metric of cache.Stats,
// of the right type and help, with the value in st; only the fields named
// are compared when fields is not empty.
func checkPrometheus(t *testing.T, fams map[string]*dto.MetricFamily, st cache.Stats, fields ...string) {
	t.Helper()
	all := parsecmetrics.All()
	if len(fams) != len(all) {
		t.Errorf("/metrics has %d families; want %d (one per field of cache.Stats)", len(fams), len(all))
	}
	for _, m := range all {
		name, typ := "parsec_"+m.Name, dto.MetricType_GAUGE
		if m.Kind == parsecmetrics.Counter {
			name, typ = name+"_total", dto.MetricType_COUNTER
		}
		f, ok := fams[name]
		if !ok {
			t.Errorf("/metrics has no %s (cache.Stats.%s)", name, m.Field)
			continue
		}
		if f.GetType() != typ || f.GetHelp() != m.Description || len(f.GetMetric()) != 1 {
			t.Errorf("%s: type %v, help %q, %d series; want %v, %q, 1", name, f.GetType(), f.GetHelp(), len(f.GetMetric()), typ, m.Description)
			continue
		}
		var got float64
		if typ == dto.MetricType_COUNTER {
			got = f.GetMetric()[0].GetCounter().GetValue()
		} else {
			got = f.GetMetric()[0].GetGauge().GetValue()
		}
		if want := m.Value(st); got != want && (len(fields) == 0 || slices.Contains(fields, m.Field)) {
			t.Errorf("%s = %v; want %v (Stats().%s)", name, got, want, m.Field)
		}
	}
}

// TestMetricsHandlerMatchesStats serves /metrics from a real cache behind
// the compatible handler, parses it and compares every value with Stats.
func TestMetricsHandlerMatchesStats(t *testing.T) {
	noLeaks(t)
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/" + canaryName, Value: canaryValue})
	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h, err := httpcompat.NewHandler(c, httpcompat.WithToken("tok"),
		httpcompat.WithRoute(routeMetrics, metricsHandler(c.Stats)), httpcompat.WithRoute(routeDebug, debugHandler(c.Stats)))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(path, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://localhost:2773"+path, nil)
		if token != "" {
			req.Header.Set(httpcompat.TokenHeader, token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for range 3 {
		if rec := serve("/systemsmanager/parameters/get?name=%2F"+canaryName, "tok"); rec.Code != 200 {
			t.Fatalf("GET parameter = %d %s", rec.Code, rec.Body)
		}
	}
	serve("/systemsmanager/parameters/get?name=%2Fmissing", "tok")

	rec := serve(routeMetrics, "tok")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics = %d %q; want 200 text/plain", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	st := c.Stats()
	checkPrometheus(t, parsePrometheus(t, body), st)
	if st.Hits != 2 || st.Loads < 2 {
		t.Errorf("Stats() = %+v; want the test's 2 hits and at least 2 loads", st)
	}
	if strings.Contains(body, canaryValue) || strings.Contains(body, canaryName) {
		t.Errorf("/metrics holds a parameter's name or value:\n%s", body)
	}

	// The handler's own checks come first, with its own bytes.
	for _, tt := range []struct {
		name, method, host, token string
		header                    string
		want                      int
	}{
		{"no token", "GET", "localhost", "", "", 401},
		{"wrong token", "GET", "localhost", "nope", "", 401},
		{"foreign host", "GET", "evil.example", "tok", "", 403},
		{"proxied", "GET", "localhost", "tok", "X-Forwarded-For", 400},
		{"POST", "POST", "localhost", "tok", "", 405},
	} {
		req := httptest.NewRequest(tt.method, "http://"+tt.host+routeMetrics, nil)
		if tt.token != "" {
			req.Header.Set(httpcompat.TokenHeader, tt.token)
		}
		if tt.header != "" {
			req.Header.Set(tt.header, "1.2.3.4")
		}
		got := httptest.NewRecorder()
		h.ServeHTTP(got, req)
		want := httptest.NewRecorder()
		req.URL.Path = "/systemsmanager/parameters/get"
		h.ServeHTTP(want, req)
		if got.Code != tt.want || got.Body.String() != want.Body.String() || got.Header().Get("X-Amzn-Errortype") != want.Header().Get("X-Amzn-Errortype") {
			t.Errorf("%s: /metrics = %d %q; want %d %q, as the other routes answer", tt.name, got.Code, got.Body, want.Code, want.Body)
		}
	}
}

// TestStatsCollectorDescribesWhatItCollects registers the collector on a
// pedantic registry, which checks every collected metric against Describe.
func TestStatsCollectorDescribesWhatItCollects(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(newStatsCollector(func() cache.Stats { return cache.Stats{Hits: 3, Entries: 2} })); err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if len(fams) != len(parsecmetrics.All()) {
		t.Errorf("%d families; want %d", len(fams), len(parsecmetrics.All()))
	}
}

// startRunOut is startRun with stdout kept.
func startRunOut(t *testing.T, args []string, getenv func(string) string) (*runResult, *logbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &runResult{code: make(chan int, 1), stderr: &logbuf.Buffer{}, cancel: cancel}
	stdout := &logbuf.Buffer{}
	ready := make(chan string, 1)
	hooks := &runHooks{ready: func(url string) { ready <- url }}
	go func() {
		r.code <- runContext(ctx, append([]string{"parsecd"}, args...), getenv, stdout, r.stderr, hooks)
	}()
	select {
	case r.url = <-ready:
	case c := <-r.code:
		cancel()
		t.Fatalf("parsecd exited with %d before serving; stderr:\n%s", c, r.stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("parsecd not ready within 30s; stderr:\n%s", r.stderr)
	}
	t.Cleanup(func() { r.stop(t) })
	return r, stdout
}

const canaryFile = `{"parameters": [{"name": "/` + canaryName + `", "type": "SecureString", "value": "` + canaryValue + `"}],
 "secrets": [{"name": "` + canaryName + `", "string": "` + canaryValue + `"}]}`

// TestObservabilityRoutes runs parsecd with every switch on: /metrics and
// the debug route answer behind the token, the EMF line is written at
// shutdown, and the canary appears in none of them.
func TestObservabilityRoutes(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", canaryFile)
	r, stdout := startRunOut(t, []string{"--emulate", file, "--port", "0", "--metrics", "--debug-route", "--emf"},
		envMap("AWS_SESSION_TOKEN", "tok", "AWS_LAMBDA_FUNCTION_NAME", "fn"))
	for range 2 {
		if status, body := get(t, r.url+"/systemsmanager/parameters/get?withDecryption=true&name=%2F"+canaryName, "tok"); status != 200 || parameterValue(t, body) != canaryValue {
			t.Fatalf("GET parameter = %d %s", status, body)
		}
		if status, _ := get(t, r.url+"/secretsmanager/get?secretId="+canaryName, "tok"); status != 200 {
			t.Fatalf("GET secret = %d", status)
		}
	}
	// The counters these reads move (others, such as counters added to
	// cache.Stats later, are compared with Stats in
	// TestMetricsHandlerMatchesStats).
	want := cache.Stats{Hits: 2, Misses: 2, Loads: 2, Entries: 2}
	fields := []string{"Hits", "Misses", "Loads", "LoadErrors", "StaleServes", "Entries"}

	status, body := get(t, r.url+routeMetrics, "tok")
	if status != 200 {
		t.Fatalf("GET /metrics = %d %s; want 200", status, body)
	}
	checkPrometheus(t, parsePrometheus(t, body), want, fields...)
	outputs := map[string]string{"/metrics": body}

	status, body = get(t, r.url+routeDebug, "tok")
	var rep debugReport
	if err := json.Unmarshal([]byte(body), &rep); status != 200 || err != nil {
		t.Fatalf("GET %s = %d %s (%v); want 200 and JSON", routeDebug, status, body, err)
	}
	if rep.Goroutines == 0 || rep.Heap["objectsBytes"] == 0 || rep.Heap["goalBytes"] == 0 {
		t.Errorf("debug report %s: want goroutines and heap sizes", body)
	}
	for _, m := range parsecmetrics.All() {
		if got, ok := rep.Stats[m.Name]; !ok || (got != m.Int64(want) && slices.Contains(fields, m.Field)) {
			t.Errorf("debug stats[%q] = %d (present %v); want %d", m.Name, got, ok, m.Int64(want))
		}
	}
	outputs[routeDebug] = body

	for _, path := range []string{routeMetrics, routeDebug} {
		if status, body := get(t, r.url+path, ""); status != 401 || body != "bad session token or header key" {
			t.Errorf("GET %s without a token = %d %q; want the extension's 401", path, status, body)
		}
	}
	if code := r.stop(t); code != exitOK {
		t.Fatalf("exit code = %d; want %d", code, exitOK)
	}
	line := stdout.String()
	outputs["EMF line"] = line
	outputs["stderr"] = r.stderr.String()
	var doc map[string]any
	if err := json.Unmarshal([]byte(line), &doc); err != nil || strings.Count(line, "\n") != 1 {
		t.Fatalf("stdout after shutdown = %q (%v); want one EMF line", line, err)
	}
	if doc["FunctionName"] != "fn" || doc["Hits"] != 2.0 || doc["Entries"] != 2.0 {
		t.Errorf("EMF line %s: want FunctionName fn, 2 hits, 2 entries", line)
	}
	if ns := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"]; ns != "parsec" {
		t.Errorf("EMF namespace = %v; want parsec", ns)
	}
	for what, out := range outputs {
		if strings.Contains(out, canaryValue) {
			t.Errorf("%s holds the canary value:\n%s", what, out)
		}
		if what != "stderr" && strings.Contains(out, canaryName) {
			t.Errorf("%s holds the canary name:\n%s", what, out)
		}
	}
}

// TestObservabilityOffByDefault checks that without the switches the
// routes are unknown (404, as any unknown route) and nothing is written
// to stdout.
func TestObservabilityOffByDefault(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	r, stdout := startRunOut(t, []string{"--emulate", file, "--port", "0"}, envMap("AWS_SESSION_TOKEN", "tok"))
	_, unknown := get(t, r.url+"/no/such/route", "tok")
	for _, path := range []string{routeMetrics, routeDebug} {
		if status, body := get(t, r.url+path, "tok"); status != 404 || body != unknown {
			t.Errorf("GET %s without the flag = %d %q; want 404 %q, as any unknown route", path, status, body, unknown)
		}
	}
	if code := r.stop(t); code != exitOK {
		t.Fatalf("exit code = %d; want %d", code, exitOK)
	}
	if stdout.String() != "" {
		t.Errorf("stdout = %q; want nothing without --emf", stdout.String())
	}
}

// TestEMFInterval checks that --emf-interval writes lines while serving
// (the interval writer itself is tested with synctest in metrics/emf).
func TestEMFInterval(t *testing.T) {
	noLeaks(t)
	file := writeFile(t, "e.json", validFile)
	r, stdout := startRunOut(t, []string{"--emulate", file, "--port", "0"},
		envMap("AWS_SESSION_TOKEN", "tok", envEMF, "true", envEMFInterval, "1s", envEMFNamespace, "MyApp"))
	eventually(t, "an EMF line while serving", func() bool { return strings.Contains(stdout.String(), `"Namespace":"MyApp"`) })
	if code := r.stop(t); code != exitOK {
		t.Fatalf("exit code = %d; want %d", code, exitOK)
	}
	n := 0
	for line := range strings.Lines(stdout.String()) {
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil || doc["_aws"] == nil {
			t.Errorf("stdout line %q is not an EMF line: %v", line, err)
		}
		n++
	}
	if n < 2 {
		t.Errorf("%d lines; want at least one while serving and one at shutdown", n)
	}
}

func TestObservabilityUsageErrors(t *testing.T) {
	noLeaks(t)
	good := writeFile(t, "e.json", validFile)
	tok := []string{"AWS_SESSION_TOKEN", "tok"}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"bad metrics variable", nil, append([]string{envMetrics, "yes"}, tok...), `PARSECD_METRICS="yes"`},
		{"bad debug variable", nil, append([]string{envDebugRoute, "1"}, tok...), `PARSECD_DEBUG_ROUTE="1"`},
		{"bad emf variable", nil, append([]string{envEMF, "on"}, tok...), `PARSECD_EMF="on"`},
		{"interval without emf", []string{"--emf-interval", "1m"}, tok, "needs --emf"},
		{"short interval", []string{"--emf", "--emf-interval", "10ms"}, tok, "at least 1s"},
		{"bad interval variable", []string{"--emf"}, append([]string{envEMFInterval, "often"}, tok...), `PARSECD_EMF_INTERVAL="often"`},
		{"empty namespace", []string{"--emf", "--emf-namespace", ""}, tok, "--emf-namespace"},
		{"long namespace", []string{"--emf", "--emf-namespace", strings.Repeat("n", 256)}, tok, "namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"parsecd", "--emulate", good}, tt.args...)
			if code := run(args, envMap(tt.env...), &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("run(%q) = %d, stderr %q; want %d naming %q", tt.args, code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
}

// TestEMFAtShutdownEvent runs parsecd as an extension with PARSECD_EMF:
// the SHUTDOWN event writes one EMF line with the counters to stdout.
func TestEMFAtShutdownEvent(t *testing.T) {
	noLeaks(t)
	port := freePort(t)
	f, api := newFakeRuntime(t, port)
	file := writeFile(t, "e.json", validFile)
	r, stdout := startRunOut(t, []string{"--emulate", file, "--port", itoa(port)},
		envMap("AWS_LAMBDA_RUNTIME_API", api, "AWS_SESSION_TOKEN", "tok", envEMF, "TRUE", envFunctionName, "orders"))
	for range 3 {
		if status, _ := get(t, r.url+"/systemsmanager/parameters/get?name=%2Fp", "tok"); status != 200 {
			t.Fatalf("GET /p = %d; want 200", status)
		}
	}
	if stdout.String() != "" {
		t.Errorf("stdout before SHUTDOWN = %q; want nothing (no --emf-interval)", stdout.String())
	}
	f.events <- `{"eventType":"SHUTDOWN","deadlineMs":1,"shutdownReason":"spindown"}`
	select {
	case code := <-r.code:
		r.code <- code
		if code != exitOK {
			t.Errorf("exit code after SHUTDOWN = %d; want %d", code, exitOK)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("parsecd did not exit after SHUTDOWN; stderr:\n%s", r.stderr)
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
			}
		} `json:"_aws"`
		FunctionName          string
		Hits, Misses, Entries float64
	}
	line := stdout.String()
	if err := json.Unmarshal([]byte(line), &doc); err != nil || strings.Count(line, "\n") != 1 {
		t.Fatalf("stdout after SHUTDOWN = %q (%v); want one EMF line", line, err)
	}
	if doc.FunctionName != "orders" || len(doc.AWS.CloudWatchMetrics) != 1 || doc.AWS.CloudWatchMetrics[0].Dimensions[0][0] != "FunctionName" ||
		doc.Hits != 2 || doc.Misses != 1 || doc.Entries != 1 || doc.AWS.Timestamp == 0 {
		t.Errorf("EMF line %s: want FunctionName orders, 2 hits, 1 miss, 1 entry", line)
	}
}

// TestOptInRoutesBounded: /parsec/v1/debug, like /metrics, serves at most
// routeInFlight requests at once; one more gets 503 at once, and the route
// serves again once one has finished.
func TestOptInRoutesBounded(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h := debugHandler(func() cache.Stats {
		if calls.Add(1) <= routeInFlight { // the first routeInFlight wait
			entered <- struct{}{}
			<-release
		}
		return cache.Stats{}
	})
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://localhost:2773"+routeDebug, nil))
		return rec
	}
	codes := make(chan int, routeInFlight)
	for range routeInFlight {
		go func() { codes <- get().Code }()
	}
	for range routeInFlight {
		<-entered
	}
	if rec := get(); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("GET %s with %d in progress = %d (Retry-After %q); want 503 with Retry-After", routeDebug, routeInFlight, rec.Code, rec.Header().Get("Retry-After"))
	}
	close(release)
	for range routeInFlight {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a request in progress = %d; want 200", c)
		}
	}
	if rec := get(); rec.Code != http.StatusOK {
		t.Errorf("GET %s after the others finished = %d; want 200", routeDebug, rec.Code)
	}
}
