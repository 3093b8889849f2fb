package lambdaext

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The header names of the Extensions API.
const (
	HeaderName       = "Lambda-Extension-Name"
	HeaderIdentifier = "Lambda-Extension-Identifier"
	HeaderErrorType  = "Lambda-Extension-Function-Error-Type"
)

// EventType is the type of a lifecycle event.
type EventType string

// The events an extension can subscribe to.
const (
	Invoke   EventType = "INVOKE"
	Shutdown EventType = "SHUTDOWN"
)

// ErrNotRegistered is returned by the methods that need the extension
// identifier when [Client.Register] has not succeeded.
var ErrNotRegistered = errors.New("lambdaext: extension not registered")

// Event is one lifecycle event returned by [Client.Next].
type Event struct {
	EventType          EventType `json:"eventType"`
	DeadlineMs         int64     `json:"deadlineMs"`
	RequestID          string    `json:"requestId,omitempty"`          // INVOKE only
	InvokedFunctionARN string    `json:"invokedFunctionArn,omitempty"` // INVOKE only
	ShutdownReason     string    `json:"shutdownReason,omitempty"`     // SHUTDOWN only: spindown, timeout, failure
}

// Deadline returns the event's deadline, or the zero time when Lambda gave
// none.
func (e Event) Deadline() time.Time {
	if e.DeadlineMs <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(e.DeadlineMs)
}

// Registration is the body Lambda answers a registration with.
type Registration struct {
	FunctionName    string `json:"functionName"`
	FunctionVersion string `json:"functionVersion"`
	Handler         string `json:"handler"`
}

// APIError is a non-success HTTP answer of the Extensions API.
type APIError struct {
	Op     string // register, event/next, init/error, exit/error
	Status int
	Body   string // at most 512 bytes of the answer, for diagnosis
}

func (e *APIError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("lambdaext: %s: HTTP %d", e.Op, e.Status)
	}
	return fmt.Sprintf("lambdaext: %s: HTTP %d: %s", e.Op, e.Status, e.Body)
}

// Client talks to one Extensions API endpoint. Create it with [New].
type Client struct {
	base string
	http *http.Client

	mu sync.Mutex // protects id
	id string
}

// Option configures [New].
type Option func(*Client)

// WithHTTPClient sets the HTTP client. The default is a client without a
// timeout (event/next blocks until the next event, however long that is)
// and without proxies. A nil c keeps the default.
func WithHTTPClient(c *http.Client) Option {
	return func(cl *Client) {
		if c != nil {
			cl.http = c
		}
	}
}

// New returns a client of the Extensions API at runtimeAPI, the host:port in
// AWS_LAMBDA_RUNTIME_API (an http:// prefix is accepted). It does no I/O.
func New(runtimeAPI string, opts ...Option) *Client {
	base := strings.TrimRight(runtimeAPI, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	c := &Client{
		base: base + "/2020-01-01/extension",
		http: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 2}},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// ID returns the extension identifier from a successful [Client.Register],
// or "" before it.
func (c *Client) ID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id
}

// Register registers the extension under name (Lambda requires the file name
// of the executable in /opt/extensions) for events, and records the
// identifier Lambda returns. The function's own INIT starts only once every
// extension has registered.
func (c *Client) Register(ctx context.Context, name string, events ...EventType) (Registration, error) {
	var reg Registration
	if name == "" {
		return reg, errors.New("lambdaext: register: empty extension name")
	}
	if events == nil {
		events = []EventType{}
	}
	body, err := json.Marshal(struct {
		Events []EventType `json:"events"`
	}{events})
	if err != nil {
		return reg, err
	}
	resp, err := c.do(ctx, "register", http.MethodPost, "/register", map[string]string{HeaderName: name}, body)
	if err != nil {
		return reg, err
	}
	defer resp.Body.Close()
	id := resp.Header.Get(HeaderIdentifier)
	if id == "" {
		return reg, errors.New("lambdaext: register: answer has no " + HeaderIdentifier + " header")
	}
	// The body is informative only; a body that does not decode is not a
	// reason to fail registration.
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&reg)
	c.mu.Lock()
	c.id = id
	c.mu.Unlock()
	return reg, nil
}

// Next blocks until Lambda sends the next event the extension subscribed to,
// or ctx ends.
func (c *Client) Next(ctx context.Context) (Event, error) {
	var ev Event
	id := c.ID()
	if id == "" {
		return ev, ErrNotRegistered
	}
	resp, err := c.do(ctx, "event/next", http.MethodGet, "/event/next", map[string]string{HeaderIdentifier: id}, nil)
	if err != nil {
		return ev, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ev); err != nil {
		return ev, fmt.Errorf("lambdaext: event/next: decode event: %w", err)
	}
	if ev.EventType == "" {
		return ev, errors.New("lambdaext: event/next: event has no eventType")
	}
	return ev, nil
}

// InitError reports that the extension failed to initialise. errorType must
// have the form Extension.<Reason> (for example Extension.ConfigError); Lambda
// then fails the INIT phase. msg is a one-line description; it must not hold
// secrets. Lambda expects the extension to exit afterwards.
func (c *Client) InitError(ctx context.Context, errorType, msg string) error {
	return c.report(ctx, "init/error", errorType, msg)
}

// ExitError reports that the extension is about to exit because of a failure.
// errorType and msg are as for [Client.InitError].
func (c *Client) ExitError(ctx context.Context, errorType, msg string) error {
	return c.report(ctx, "exit/error", errorType, msg)
}

func (c *Client) report(ctx context.Context, op, errorType, msg string) error {
	id := c.ID()
	if id == "" {
		return ErrNotRegistered
	}
	if !strings.HasPrefix(errorType, "Extension.") || len(errorType) == len("Extension.") {
		return fmt.Errorf("lambdaext: %s: error type %q must have the form Extension.<Reason>", op, errorType)
	}
	body, err := json.Marshal(struct {
		ErrorMessage string   `json:"errorMessage"`
		ErrorType    string   `json:"errorType"`
		StackTrace   []string `json:"stackTrace"`
	}{msg, errorType, []string{}})
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, op, http.MethodPost, "/"+op, map[string]string{HeaderIdentifier: id, HeaderErrorType: errorType}, body)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// do sends one request and returns the response when its status is 2xx; the
// caller closes the body.
func (c *Client) do(ctx context.Context, op, method, path string, hdr map[string]string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("lambdaext: %s: %w", op, err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("lambdaext: %s: %w", op, err)
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, &APIError{Op: op, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	return resp, nil
}
