package httpcompat

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/parsec-go/parsec/cache"
)

// The request headers that carry the token. Go canonicalises header names,
// so any case matches.
const (
	// TokenHeader is the extension's token header.
	TokenHeader = "X-Aws-Parameters-Secrets-Token"
	// VaultTokenHeader is the AWS Secrets Manager Agent's alternative.
	VaultTokenHeader = "X-Vault-Token"
)

// The extension's answer to a missing or wrong token, byte for byte.
const unauthorizedBody = "bad session token or header key"

// The headers of an error reply. The extension sends its error type only
// with a 401; parsec sends both on every error reply, so the body can stay
// the extension's.
const (
	// ErrorTypeHeader carries the AWS error code of an error reply
	// ("ParameterNotFound", "ThrottlingException", "ValidationException"…),
	// as the extension's 401 carries "AccessDeniedException".
	ErrorTypeHeader = "X-Amzn-Errortype"
	// ErrorMessageHeader carries parsec's message for an error reply: the
	// operation, the name, the AWS code and AWS's own message, or the
	// query parameter and the rule it broke; printable ASCII, at most about
	// 512 bytes; never a value or the token. The extension sends no such
	// header.
	ErrorMessageHeader = "X-Parsec-Error-Message"
)

const errorTypeHeader = ErrorTypeHeader

// The routes.
const (
	routeParameter = "/systemsmanager/parameters/get"
	routeSecret    = "/secretsmanager/get"
	routeV1        = "/v1/"
	routePing      = "/ping"
)

// Handler serves the AWS Parameters and Secrets Lambda Extension's HTTP API
// from a [cache.Cache]. Build it with [NewHandler]; serve it with [Listen]
// (or any http.Server bound to loopback). It is safe for concurrent use and
// holds no resources of its own: closing the cache is the caller's job.
type Handler struct {
	cache      *cache.Cache
	noToken    bool
	jsonErrors bool
	digest     [sha256.Size]byte // of the expected token; the token itself is not kept
	log        *slog.Logger
	routes     map[string]http.Handler // WithRoute's, by escaped path; read-only after NewHandler
}

// Option configures [NewHandler]. An Option that returns an error makes
// NewHandler fail with it.
type Option func(*handlerConfig) error

type handlerConfig struct {
	token    string
	tokenSet bool
	noToken  bool
	json     bool
	logger   *slog.Logger
	routes   map[string]http.Handler
}

// WithToken sets the token every request except GET /ping must carry in
// [TokenHeader] or [VaultTokenHeader]: the function's AWS_SESSION_TOKEN in
// the extension (see [TokenFromEnv]). It is required unless
// [WithoutTokenCheck] is given. An empty token, or one with leading or
// trailing whitespace or control characters (which no HTTP header value can
// carry, so no request could match), is an error.
func WithToken(token string) Option {
	return func(c *handlerConfig) error {
		if token == "" {
			return errors.New("httpcompat: WithToken: the token must not be empty")
		}
		if strings.TrimSpace(token) != token {
			return errors.New("httpcompat: WithToken: the token must not begin or end with whitespace")
		}
		for i := 0; i < len(token); i++ {
			if c := token[i]; c < 0x20 || c == 0x7f {
				return errors.New("httpcompat: WithToken: the token must not contain control characters")
			}
		}
		c.token, c.tokenSet = token, true
		return nil
	}
}

// WithoutTokenCheck serves every request without a token. It is for local
// development only: any process that can reach the port reads every value.
// NewHandler logs a WARN each time it is used.
func WithoutTokenCheck() Option {
	return func(c *handlerConfig) error { c.noToken = true; return nil }
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
// keeps the extension's text even with this option.
func WithJSONErrors() Option {
	return func(c *handlerConfig) error { c.json = true; return nil }
}

// WithLogger sets where the handler logs (default: nowhere). Records carry
// the route, the status, the AWS error code and the parameter or secret
// name; never a value, the token or a request header.
func WithLogger(l *slog.Logger) Option {
	return func(c *handlerConfig) error { c.logger = l; return nil }
}

// WithRoute serves h at path, an extra route of the caller's (parsecd's
// /metrics, say), behind every check the extension's routes pass: no
// X-Forwarded-For, a loopback Host, the token, GET only. Only requests whose
// escaped path is exactly path reach h. path must start with "/", be a valid
// URL path in its escaped form, and not be one of the extension's, the
// Agent's or parsec's own routes (/systemsmanager/..., /secretsmanager/...,
// /v1/..., /ping, /parsec/v1/parameters); a path given twice is an error.
func WithRoute(path string, h http.Handler) Option {
	return func(c *handlerConfig) error {
		if h == nil {
			return fmt.Errorf("httpcompat: WithRoute(%q): the handler must not be nil", path)
		}
		u, err := url.Parse(path)
		if err != nil || !strings.HasPrefix(path, "/") || u.EscapedPath() != path || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("httpcompat: WithRoute(%q): the path must start with / and be an escaped URL path without query or fragment", path)
		}
		if reservedPath(path) {
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
	}
}

// reservedPath reports whether ServeHTTP answers path itself.
func reservedPath(path string) bool {
	for _, p := range []string{routeParameter, routeSecret} {
		if path == p || path == p+"/" {
			return true
		}
	}
	return path == routePing || path == routeBatch || strings.HasPrefix(path, routeV1)
}

// NewHandler returns a handler answering from c. It needs [WithToken] or
// [WithoutTokenCheck], not both. It does no I/O.
func NewHandler(c *cache.Cache, opts ...Option) (*Handler, error) {
	if c == nil {
		return nil, errors.New("httpcompat: NewHandler needs a cache")
	}
	var cfg handlerConfig
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.tokenSet && cfg.noToken:
		return nil, errors.New("httpcompat: WithToken and WithoutTokenCheck contradict each other")
	case !cfg.tokenSet && !cfg.noToken:
		return nil, errors.New("httpcompat: a token is required: use WithToken (see TokenFromEnv), or WithoutTokenCheck for local development")
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cache: c, noToken: cfg.noToken, jsonErrors: cfg.json, log: cfg.logger, routes: cfg.routes}
	if cfg.tokenSet {
		h.digest = sha256.Sum256([]byte(cfg.token))
	}
	if cfg.noToken {
		h.log.Warn("httpcompat: token check disabled: any local process can read every value; use only for local development")
	}
	return h, nil
}

// ServeHTTP answers one request. The checks run in this order: a request
// carrying X-Forwarded-For is refused (400), a Host other than localhost,
// 127.0.0.1 or [::1] is refused (403), GET /ping answers "healthy", a
// missing or wrong token is refused (401), a method other than GET is
// refused (405), a path of [WithRoute] goes to its handler, an unknown path
// is 404; then the query is checked (400 naming the parameter) and the cache
// asked.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		h.fail(r, w, "", &requestError{field: "X-Forwarded-For", rule: "proxied requests are refused: the API serves local callers only"})
		return
	}
	if !allowedHost(r.Host) {
		h.reply(r, w, "", http.StatusForbidden, "InvalidHost", "Host must be localhost, 127.0.0.1 or [::1], with a port from 1 to 65535 or none")
		return
	}
	path := r.URL.EscapedPath()
	if path == routePing {
		if r.Method != http.MethodGet {
			h.methodNotAllowed(r, w)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("healthy"))
		return
	}
	if !h.authorized(r) {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "httpcompat: request refused: missing or wrong token", slog.Int("status", http.StatusUnauthorized))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set(errorTypeHeader, "AccessDeniedException")
		w.Header().Set(ErrorMessageHeader, "missing or wrong token: send the function's AWS_SESSION_TOKEN in "+TokenHeader)
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(unauthorizedBody))
		return
	}
	if r.Method != http.MethodGet {
		h.methodNotAllowed(r, w)
		return
	}
	switch {
	case path == routeParameter || path == routeParameter+"/":
		h.serveParameter(w, r)
	case path == routeSecret || path == routeSecret+"/":
		h.serveSecret(w, r, "")
	case path == routeBatch:
		h.serveBatch(w, r)
	case strings.HasPrefix(path, routeV1):
		id, err := url.PathUnescape(path[len(routeV1):])
		if err != nil {
			h.fail(r, w, routeV1, &requestError{field: "secretId", rule: ruleEncoding})
			return
		}
		if id == "" {
			h.fail(r, w, routeV1, &requestError{field: "secretId", rule: ruleRequired + " (GET /v1/{secretId})"})
			return
		}
		if err := checkText("secretId", id); err != nil {
			h.fail(r, w, routeV1, err)
			return
		}
		h.serveSecret(w, r, id)
	case h.routes[path] != nil:
		h.routes[path].ServeHTTP(w, r)
	default:
		h.reply(r, w, "", http.StatusNotFound, "NotFound", "no such route: use GET /systemsmanager/parameters/get, /secretsmanager/get, /v1/{secretId} or /ping")
	}
}

// authorized reports whether every token header present holds the token,
// and at least one is present. Digests of equal length are compared in
// constant time, so neither the token nor its length leaks through timing.
func (h *Handler) authorized(r *http.Request) bool {
	if h.noToken {
		return true
	}
	n := 0
	ok := 1
	for _, name := range [...]string{TokenHeader, VaultTokenHeader} {
		for _, v := range r.Header[name] {
			n++
			d := sha256.Sum256([]byte(v))
			ok &= subtle.ConstantTimeCompare(d[:], h.digest[:])
		}
	}
	return n > 0 && ok == 1
}

// allowedHost reports whether host is a loopback name (localhost in any
// case, 127.0.0.1 or [::1]) without a port or with a port from 1 to 65535
// in decimal: the defence against DNS rebinding. "localhost:" (an empty
// port), "localhost:0" and "localhost:99999" are refused.
func allowedHost(host string) bool {
	name, port := host, ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		name, port = host[:i], host[i+1:]
		if !validPort(port) {
			return false
		}
	}
	return strings.EqualFold(name, "localhost") || name == "127.0.0.1" || name == "[::1]"
}

// validPort reports whether p is a decimal port from 1 to 65535.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n >= 1 && n <= 65535
}

func (h *Handler) serveParameter(w http.ResponseWriter, r *http.Request) {
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		h.fail(r, w, routeParameter, err)
		return
	}
	req, err := parameterQuery(params)
	if err != nil {
		h.fail(r, w, routeParameter, err)
		return
	}
	p, err := h.cache.Parameter(r.Context(), req)
	if err != nil {
		h.upstreamFailed(r, w, routeParameter, req.Name, err)
		return
	}
	h.ok(r, w, routeParameter, req.Name, p.Output())
}

func (h *Handler) serveSecret(w http.ResponseWriter, r *http.Request, id string) {
	route := routeSecret
	if id != "" {
		route = routeV1
	}
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		h.fail(r, w, route, err)
		return
	}
	req, err := secretQuery(params, id)
	if err != nil {
		h.fail(r, w, route, err)
		return
	}
	s, err := h.cache.Secret(r.Context(), req)
	if err != nil {
		h.upstreamFailed(r, w, route, req.SecretID, err)
		return
	}
	h.ok(r, w, route, req.SecretID, s.Output())
}

// ok writes the SDK output as the extension does: json.Marshal of the
// output struct, no trailing newline.
func (h *Handler) ok(r *http.Request, w http.ResponseWriter, route, name string, out any) {
	body, err := json.Marshal(out)
	if err != nil { // cannot happen for the SDK's output types
		h.reply(r, w, route, http.StatusInternalServerError, "InternalFailure", "could not encode the response")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "httpcompat: served", slog.String("route", route),
			slog.String("name", name), slog.Int("status", http.StatusOK))
	}
}

func (h *Handler) methodNotAllowed(r *http.Request, w http.ResponseWriter) {
	w.Header().Set("Allow", http.MethodGet)
	h.reply(r, w, "", http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is supported")
}

// fail answers a request rejected before the cache was asked: 400 with a
// plain-text message naming the parameter, or, for a request the extension
// would have sent upstream (re.upstream), the extension's own 400 text.
func (h *Handler) fail(r *http.Request, w http.ResponseWriter, route string, err error) {
	var re *requestError
	if !errors.As(err, &re) {
		h.reply(r, w, route, http.StatusBadRequest, "ValidationException", "invalid request")
		return
	}
	if re.upstream {
		h.logRefused(r, route, http.StatusBadRequest, "ValidationException")
		h.writeError(w, http.StatusBadRequest, "ValidationException", re.Error(), upstreamErrorBody)
		return
	}
	h.reply(r, w, route, http.StatusBadRequest, "ValidationException", re.Error())
}

// upstreamFailed answers a request the cache could not: see [errorStatus].
func (h *Handler) upstreamFailed(r *http.Request, w http.ResponseWriter, route, name string, err error) {
	status, code, msg := errorStatus(err)
	level := slog.LevelDebug
	if status >= 500 || status == http.StatusTooManyRequests {
		level = slog.LevelWarn
	}
	if h.log.Enabled(r.Context(), level) {
		h.log.LogAttrs(r.Context(), level, "httpcompat: read failed", slog.String("route", route),
			slog.String("name", name), slog.Int("status", status), slog.String("code", code))
	}
	h.writeError(w, status, code, msg, upstreamText(err, status, code))
}

// reply writes and logs an error that did not come from the cache. Its log
// record names the route and the status, not the message, which may quote
// the request.
func (h *Handler) reply(r *http.Request, w http.ResponseWriter, route string, status int, code, msg string) {
	h.logRefused(r, route, status, code)
	h.writeError(w, status, code, msg, msg)
}

func (h *Handler) logRefused(r *http.Request, route string, status int, code string) {
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "httpcompat: request refused", slog.String("route", route),
			slog.Int("status", status), slog.String("code", code))
	}
}

// errorBody is the shape of AWS's JSON errors, which the Secrets Manager
// Agent also answers with.
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// writeError writes an error reply: the code in [ErrorTypeHeader], the
// message in [ErrorMessageHeader], and as the body either text (text/plain,
// the default) or, with [WithJSONErrors], the JSON error shape.
func (h *Handler) writeError(w http.ResponseWriter, status int, code, msg, text string) {
	writeError(w, h != nil && h.jsonErrors, status, code, msg, text)
}

func writeError(w http.ResponseWriter, jsonBody bool, status int, code, msg, text string) {
	hd := w.Header()
	hd.Set(errorTypeHeader, code)
	hd.Set(ErrorMessageHeader, headerText(msg))
	var body []byte
	if jsonBody {
		body, _ = json.Marshal(errorBody{Type: code, Message: msg})
		hd.Set("Content-Type", "application/json")
	} else {
		body = []byte(text)
		hd.Set("Content-Type", "text/plain")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
