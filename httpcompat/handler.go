package httpcompat

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
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

// NewHandler returns a handler answering from c. It needs [WithToken] or
// [WithoutTokenCheck], not both. It does no I/O.
func NewHandler(c *cache.Cache, opts ...Option) (*Handler, error) {
	if c == nil {
		return nil, errors.New("httpcompat: NewHandler needs a cache")
	}
	var cfg options
	if err := applyOptions(&cfg, scopeHandler, "NewHandler", opts); err != nil {
		return nil, err
	}
	switch {
	case cfg.tokenSet && cfg.noToken:
		return nil, errors.New("httpcompat: WithToken and WithoutTokenCheck contradict each other")
	case !cfg.tokenSet && !cfg.noToken:
		return nil, errors.New("httpcompat: a token is required: use WithToken (see TokenFromEnv), or WithoutTokenCheck for local development")
	}
	h := &Handler{cache: c, noToken: cfg.noToken, jsonErrors: cfg.jsonErrors, log: cfg.logger, routes: cfg.routes}
	if cfg.tokenSet {
		h.digest = sha256.Sum256([]byte(cfg.token))
	}
	if cfg.noToken {
		h.log.Warn("httpcompat: token check disabled: any local process can read every value. Local use only.")
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
	if !h.admitted(w, r) {
		return
	}
	path := r.URL.EscapedPath()
	rt, rest := matchRoute(path)
	if rt != nil && rt.public {
		rt.serve(h, w, r, rest)
		return
	}
	if !h.authorized(r) {
		h.unauthorized(w, r)
		return
	}
	if r.Method != http.MethodGet {
		h.methodNotAllowed(r, w)
		return
	}
	switch {
	case rt != nil:
		rt.serve(h, w, r, rest)
	case h.routes[path] != nil:
		h.routes[path].ServeHTTP(w, r)
	default:
		h.reply(r, w, "", http.StatusNotFound, "NotFound", notFoundText)
	}
}

// admitted refuses, and reports false for, a proxied request (400) and one
// whose Host is not loopback (403).
func (h *Handler) admitted(w http.ResponseWriter, r *http.Request) bool {
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		h.fail(r, w, "", &requestError{field: "X-Forwarded-For", rule: "proxied requests are refused: the API serves local callers only"})
		return false
	}
	if !allowedHost(r.Host) {
		h.reply(r, w, "", http.StatusForbidden, "InvalidHost", "Host must be localhost, 127.0.0.1 or [::1], with a port from 1 to 65535 or none")
		return false
	}
	return true
}

// unauthorized answers a missing or wrong token with the extension's 401.
func (h *Handler) unauthorized(w http.ResponseWriter, r *http.Request) {
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "httpcompat: request refused: missing or wrong token", slog.Int("status", http.StatusUnauthorized))
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set(errorTypeHeader, "AccessDeniedException")
	w.Header().Set(ErrorMessageHeader, "missing or wrong token: send the function's AWS_SESSION_TOKEN in "+TokenHeader)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedBody))
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

func (h *Handler) serveParameter(w http.ResponseWriter, r *http.Request, _ string) {
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
