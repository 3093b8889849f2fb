package lambdaext

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAPI is an httptest fake of the Extensions API: it hands out one
// identifier, serves queued events on event/next and records error reports.
type fakeAPI struct {
	t      *testing.T
	events chan string // raw event bodies served by event/next

	mu      sync.Mutex // protects the fields below
	name    string
	subs    []string
	reports []report
}

type report struct {
	op, id, errType string
	body            map[string]any
}

const fakeID = "0b2e3c7a-id"

func newFake(t *testing.T) (*fakeAPI, *Client) {
	f := &fakeAPI{t: t, events: make(chan string, 8)}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, New(strings.TrimPrefix(ts.URL, "http://"))
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const p = "/2020-01-01/extension"
	switch {
	case r.Method == http.MethodPost && r.URL.Path == p+"/register":
		var body struct{ Events []string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, `{"errorType":"InvalidRequest"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.name, f.subs = r.Header.Get(HeaderName), body.Events
		f.mu.Unlock()
		w.Header().Set(HeaderIdentifier, fakeID)
		_, _ = io.WriteString(w, `{"functionName":"fn","functionVersion":"$LATEST","handler":"bootstrap"}`)
	case r.Method == http.MethodGet && r.URL.Path == p+"/event/next":
		if r.Header.Get(HeaderIdentifier) != fakeID {
			http.Error(w, `{"errorType":"Extension.UnknownExtensionIdentifier"}`, http.StatusForbidden)
			return
		}
		select {
		case ev := <-f.events:
			_, _ = io.WriteString(w, ev)
		case <-r.Context().Done():
		}
	case r.Method == http.MethodPost && (r.URL.Path == p+"/init/error" || r.URL.Path == p+"/exit/error"):
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.reports = append(f.reports, report{strings.TrimPrefix(r.URL.Path, p+"/"), r.Header.Get(HeaderIdentifier), r.Header.Get(HeaderErrorType), body})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"OK"}`)
	default:
		http.NotFound(w, r)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRegisterAndEvents(t *testing.T) {
	f, c := newFake(t)
	ctx := ctxT(t)
	reg, err := c.Register(ctx, "parsecd", Shutdown)
	if err != nil {
		t.Fatalf("Register = %v; want nil", err)
	}
	if reg.FunctionName != "fn" || reg.Handler != "bootstrap" {
		t.Errorf("Register = %+v; want function fn, handler bootstrap", reg)
	}
	if got := c.ID(); got != fakeID {
		t.Errorf("ID() = %q; want %q", got, fakeID)
	}
	f.mu.Lock()
	name, subs := f.name, f.subs
	f.mu.Unlock()
	if name != "parsecd" || len(subs) != 1 || subs[0] != "SHUTDOWN" {
		t.Errorf("fake saw name %q events %v; want parsecd [SHUTDOWN]", name, subs)
	}

	f.events <- `{"eventType":"INVOKE","deadlineMs":1700000000123,"requestId":"r1","invokedFunctionArn":"arn:x","tracing":{"type":"X-Amzn-Trace-Id"}}`
	f.events <- `{"eventType":"SHUTDOWN","deadlineMs":1700000002000,"shutdownReason":"spindown"}`
	ev, err := c.Next(ctx)
	if err != nil || ev.EventType != Invoke || ev.RequestID != "r1" || ev.InvokedFunctionARN != "arn:x" {
		t.Fatalf("Next = %+v, %v; want INVOKE r1 arn:x", ev, err)
	}
	if got, want := ev.Deadline(), time.UnixMilli(1700000000123); !got.Equal(want) {
		t.Errorf("Deadline() = %v; want %v", got, want)
	}
	ev, err = c.Next(ctx)
	if err != nil || ev.EventType != Shutdown || ev.ShutdownReason != "spindown" {
		t.Fatalf("Next = %+v, %v; want SHUTDOWN spindown", ev, err)
	}
}

func TestNextHonoursContext(t *testing.T) {
	_, c := newFake(t)
	if _, err := c.Register(ctxT(t), "parsecd", Shutdown); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Next(ctx)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next after cancel = %v; want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Next did not return after its context was cancelled")
	}
}

func TestNotRegistered(t *testing.T) {
	_, c := newFake(t)
	ctx := ctxT(t)
	if _, err := c.Next(ctx); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("Next = %v; want ErrNotRegistered", err)
	}
	if err := c.InitError(ctx, "Extension.X", "m"); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("InitError = %v; want ErrNotRegistered", err)
	}
}

func TestErrorReports(t *testing.T) {
	f, c := newFake(t)
	ctx := ctxT(t)
	if _, err := c.Register(ctx, "parsecd", Shutdown); err != nil {
		t.Fatal(err)
	}
	if err := c.InitError(ctx, "Extension.ConfigError", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=\"x\": bad"); err != nil {
		t.Fatalf("InitError = %v; want nil", err)
	}
	if err := c.ExitError(ctx, "Extension.EventLoop", "lost the runtime API"); err != nil {
		t.Fatalf("ExitError = %v; want nil", err)
	}
	if err := c.ExitError(ctx, "ConfigError", "m"); err == nil {
		t.Error("ExitError with a type lacking the Extension. prefix = nil; want an error")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	want := []report{
		{op: "init/error", id: fakeID, errType: "Extension.ConfigError"},
		{op: "exit/error", id: fakeID, errType: "Extension.EventLoop"},
	}
	if len(f.reports) != len(want) {
		t.Fatalf("fake got %d reports; want %d", len(f.reports), len(want))
	}
	for i, w := range want {
		g := f.reports[i]
		if g.op != w.op || g.id != w.id || g.errType != w.errType || g.body["errorType"] != w.errType || g.body["errorMessage"] == "" {
			t.Errorf("report %d = %+v; want %+v with errorType and errorMessage in the body", i, g, w)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2020-01-01/extension/register":
			if r.Header.Get(HeaderName) == "noid" {
				return // 200 without an identifier
			}
			http.Error(w, `{"errorMessage":"extension name mismatch","errorType":"Extension.InvalidName"}`, http.StatusBadRequest)
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer ts.Close()
	c := New(ts.URL) // with the scheme: accepted too
	ctx := ctxT(t)
	_, err := c.Register(ctx, "parsecd", Shutdown)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Op != "register" || !strings.Contains(ae.Body, "Extension.InvalidName") {
		t.Errorf("Register = %v; want an *APIError for register, HTTP 400, naming Extension.InvalidName", err)
	}
	if _, err := c.Register(ctx, "noid", Shutdown); err == nil || !strings.Contains(err.Error(), HeaderIdentifier) {
		t.Errorf("Register without an identifier in the answer = %v; want an error naming %s", err, HeaderIdentifier)
	}
	if _, err := c.Register(ctx, ""); err == nil {
		t.Error("Register with an empty name = nil; want an error")
	}
	if c.ID() != "" {
		t.Errorf("ID() after failed registrations = %q; want empty", c.ID())
	}
	c.http.CloseIdleConnections()
}

func TestUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(ts.URL, "http://")
	ts.Close()
	c := New(addr)
	if _, err := c.Register(ctxT(t), "parsecd", Shutdown); err == nil || !strings.Contains(err.Error(), "lambdaext: register") {
		t.Errorf("Register to a closed port = %v; want an error naming register", err)
	}
}
