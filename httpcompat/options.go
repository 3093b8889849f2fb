package httpcompat

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Option configures [NewHandler], [NewCloudExtensions], [Listen] and
// [ListenLocalhost]: one option type for the handlers and the server.
// [WithLogger] applies to all; [WithJSONErrors] to the handler and the
// server; [WithToken], [WithoutTokenCheck] and [WithRoute] to the handler
// only; [WithExtensionKey], [WithoutAuthentication] and [WithSSRFToken] to
// the Cloud Extensions API only; [WithMaxConcurrent] and
// [WithMaxOpenConnections] to the server only. Giving one where it does
// not apply is an error naming it (a token given to Listen would otherwise
// be silently unchecked). An Option that returns an error makes
// the function it is given to fail with it.
type Option func(*options) error

// ServerOption is the former name of the server's options.
//
// Deprecated: use [Option], which Listen and ListenLocalhost take.
type ServerOption = Option

// scope says which function an option configures.
type scope uint8

const (
	scopeHandler scope = 1 << iota
	scopeServer
	scopeCloud
)

// scopeNames name what each scope's function configures, for errors.
var scopeNames = map[scope]string{
	scopeHandler: "the handler (NewHandler)",
	scopeServer:  "the server (Listen, ListenLocalhost)",
	scopeCloud:   "the Cloud Extensions API (NewCloudExtensions)",
}

type options struct {
	// Both.
	logger     *slog.Logger
	jsonErrors bool

	// The handler's.
	token    string
	tokenSet bool
	noToken  bool
	routes   map[string]http.Handler

	// The Cloud Extensions API's.
	key       *ExtensionKey
	noAuth    bool
	ssrfToken string
	now       func() time.Time

	// The server's.
	maxConcurrent int
	maxConns      int
	listen        func(network, addr string) (net.Listener, error) // net.Listen; tests replace it

	target   scope  // the function being configured
	misplace string // the first option given where it does not apply
	home     scope  // the scope of misplace
}

// only makes an option of s: outside s it records its name for the error.
func only(s scope, name string, f func(*options) error) Option {
	return func(o *options) error {
		if o.target&s == 0 {
			if o.misplace == "" {
				o.misplace, o.home = name, s
			}
			return nil
		}
		return f(o)
	}
}

// applyOptions runs opts for the function fn (which configures s).
func applyOptions(o *options, s scope, fn string, opts []Option) error {
	o.target = s
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return err
		}
	}
	if o.misplace != "" {
		var what []string
		for _, sc := range [...]scope{scopeHandler, scopeServer, scopeCloud} {
			if o.home&sc != 0 {
				what = append(what, scopeNames[sc])
			}
		}
		return fmt.Errorf("httpcompat: %s: %s configures %s", fn, o.misplace, strings.Join(what, " or "))
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// WithToken sets the token every request except GET /ping must carry in
// [TokenHeader] or [VaultTokenHeader]: the function's AWS_SESSION_TOKEN in
// the extension (see [TokenFromEnv]). It is required unless
// [WithoutTokenCheck] is given. An empty token, or one with leading or
// trailing whitespace or control characters (which no HTTP header value can
// carry, so no request could match), is an error. Handler only.
func WithToken(token string) Option {
	return only(scopeHandler, "WithToken", func(c *options) error {
		if err := checkToken("WithToken", token); err != nil {
			return err
		}
		c.token, c.tokenSet = token, true
		return nil
	})
}

// checkToken checks a token for the option fn: not empty, no surrounding
// whitespace, no control characters. The error never holds the token.
func checkToken(fn, token string) error {
	if token == "" {
		return fmt.Errorf("httpcompat: %s: the token must not be empty", fn)
	}
	if strings.TrimSpace(token) != token {
		return fmt.Errorf("httpcompat: %s: the token must not begin or end with whitespace", fn)
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("httpcompat: %s: the token must not contain control characters", fn)
		}
	}
	return nil
}

// WithoutTokenCheck serves every request without a token. It is for local
// development only: any process that can reach the port reads every value.
// NewHandler logs a WARN each time it is used. Handler only.
func WithoutTokenCheck() Option {
	return only(scopeHandler, "WithoutTokenCheck", func(c *options) error { c.noToken = true; return nil })
}

// WithJSONErrors makes error replies carry AWS's JSON error shape,
// {"__type":"ParameterNotFound","message":"..."} with Content-Type
// application/json, instead of the extension's plain text. By default
// (without it) every error reply is what the extension sends: status 400
// with the text "an unexpected error occurred while executing request" for
// an upstream error, 401 "bad session token or header key", Content-Type
// text/plain; the code and message are in [ErrorTypeHeader] and
// [ErrorMessageHeader] either way. Opt in only when every client checks
// the status before decoding the body: a client that decodes any body into
// the SDK's output type reads a JSON error as an empty success. The 401
// keeps the extension's text even with this option. Given to Listen, it
// makes the server's own replies (429 beyond [WithMaxConcurrent]) JSON; a
// server serving a [*Handler] built with it does so without being told.
func WithJSONErrors() Option {
	return only(scopeHandler|scopeServer, "WithJSONErrors", func(c *options) error { c.jsonErrors = true; return nil })
}

// WithServerJSONErrors is [WithJSONErrors] given to the server.
//
// Deprecated: use WithJSONErrors.
func WithServerJSONErrors() Option { return WithJSONErrors() }

// WithLogger sets where a handler logs (records carry the route, the
// status, the AWS error code and the parameter or secret name; never a
// value, the token, the key or a request header) or, given to Listen,
// where the server logs its start, stop and connection-level errors.
// Default: nowhere.
func WithLogger(l *slog.Logger) Option {
	return func(c *options) error { c.logger = l; return nil }
}

// WithServerLogger is [WithLogger] given to the server.
//
// Deprecated: use WithLogger.
func WithServerLogger(l *slog.Logger) Option { return WithLogger(l) }

// WithRoute serves h at path, an extra route of the caller's (parsecd's
// /metrics, say), behind every check the extension's routes pass: no
// X-Forwarded-For, a loopback Host, the token, GET only. Only requests whose
// escaped path is exactly path reach h. path must start with "/", be a valid
// URL path in its escaped form, and not be one of the handler's own routes
// (see the 404 text; /v1/... whole); a path given twice is an error.
// Handler only.
func WithRoute(path string, h http.Handler) Option {
	return only(scopeHandler, "WithRoute", func(c *options) error {
		if h == nil {
			return fmt.Errorf("httpcompat: WithRoute(%q): the handler must not be nil", path)
		}
		u, err := url.Parse(path)
		if err != nil || !strings.HasPrefix(path, "/") || u.EscapedPath() != path || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("httpcompat: WithRoute(%q): the path must start with / and be an escaped URL path without query or fragment", path)
		}
		if rt, _ := matchRoute(path); rt != nil {
			return fmt.Errorf("httpcompat: WithRoute(%q): the path is one of the extension's or parsec's own routes", path)
		}
		if _, dup := c.routes[path]; dup {
			return fmt.Errorf("httpcompat: WithRoute(%q): the path is given twice", path)
		}
		if c.routes == nil {
			c.routes = map[string]http.Handler{}
		}
		c.routes[path] = h
		return nil
	})
}

// WithMaxConcurrent sets how many requests may be in progress at once
// (default [DefaultMaxConcurrent]); a request beyond that is answered 429 at
// once, as the Secrets Manager Agent does. n < 1 keeps the default. Server
// only.
func WithMaxConcurrent(n int) Option {
	return only(scopeServer, "WithMaxConcurrent", func(c *options) error {
		if n >= 1 {
			c.maxConcurrent = n
		}
		return nil
	})
}

// WithMaxOpenConnections sets how many connections the server keeps open at
// once, on all its listeners together (default [DefaultMaxOpenConnections],
// a quarter of Lambda's 1,024 file descriptors). At the limit, a new
// connection makes room by closing, first, the oldest connection that has
// not sent a whole request within [DefaultFirstRequestTimeout] of being
// accepted (a socket that sends nothing, part of a request, or a byte at a
// time); while every such connection is younger, the server waits to
// accept until the oldest is that old, and new connections wait in the
// kernel's accept queue; when no connection is new, it closes the
// keep-alive connection idle the longest, so a new request is answered
// however many idle or silent connections clients leave open. When every
// connection is answering a request, the new connection is closed at once
// without an answer. Idle connections are also closed after
// [DefaultIdleTimeout]. n < 1 keeps the default. Server only.
//
// The bound: n file descriptors; a socket without a request holds a slot
// for at most DefaultFirstRequestTimeout once the limit is reached, so the
// server accepts at most n per DefaultFirstRequestTimeout while such
// sockets fill it (1,280 a second with the defaults), and a client's
// request waits in the accept queue at most (sockets queued ahead ÷ n) ×
// DefaultFirstRequestTimeout (about 0.6 s behind 1,000 silent sockets).
func WithMaxOpenConnections(n int) Option {
	return only(scopeServer, "WithMaxOpenConnections", func(c *options) error {
		if n >= 1 {
			c.maxConns = n
		}
		return nil
	})
}

// withListen replaces net.Listen (for tests of a machine without IPv6).
func withListen(f func(network, addr string) (net.Listener, error)) Option {
	return only(scopeServer, "withListen", func(c *options) error { c.listen = f; return nil })
}
