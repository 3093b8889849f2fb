package httpcompat

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parsec-go/parsec/cache"
)

// CloudExtensionsPort is the port of AWS Systems Manager Cloud Extensions'
// runtime, where [CloudExtensions] is served by default.
const CloudExtensionsPort = 5333

// CloudExtensionsAPIVersion is the Cloud Extensions API version whose wire
// behaviour [CloudExtensions] mirrors.
const CloudExtensionsAPIVersion = "cloudextensions-2026-11-29"

// The routes of the Cloud Extensions API.
const (
	routeParameterStore = "/parameterstore"
	routeSecretsManager = "/secretsmanager"
)

// The bounds of a Cloud Extensions request.
const (
	// maxCloudBody bounds a request body, read in full before its
	// signature is checked: GetParameters' ten names of 2,048 characters
	// take about 21 KB.
	maxCloudBody = 64 << 10
	// parameterStoreSkew is how far a Parameter Store request's
	// X-Amz-Date may be from the clock (AWS's SigV4 rule).
	parameterStoreSkew = 5 * time.Minute
	// secretsManagerSkew is the same for the Secrets Manager routes,
	// as Cloud Extensions documents them.
	secretsManagerSkew = 5 * time.Second
	// MaxCloudInFlight bounds the requests the Cloud Extensions API
	// answers at once, as Cloud Extensions does: beyond it a request gets
	// 429 ThrottlingException with Retry-After at once.
	MaxCloudInFlight = 100
)

// ErrorReasonHeader carries why a Cloud Extensions request was refused
// (MISSING_AUTHENTICATION, SIGNATURE_MISMATCH, SIGNATURE_EXPIRED,
// UNKNOWN_ACCESS_KEY), as Cloud Extensions' runtime sends it.
const ErrorReasonHeader = "Cloudextensions-Error-Reason"

// CloudExtensions serves the HTTP API of AWS Systems Manager Cloud
// Extensions' Parameter Store and Secrets Manager extensions (API version
// [CloudExtensionsAPIVersion]) from a [cache.Cache], for clients written
// for localhost:5333:
//
//   - POST /parameterstore: SSM's own AWS JSON 1.1 protocol,
//     AmazonSSM.GetParameter and AmazonSSM.GetParameters as Cloud
//     Extensions serves them, and AmazonSSM.GetParametersByPath, which it
//     does not, so that any SDK's SSM client given the endpoint reads
//     through the cache;
//   - GET /secretsmanager/get?secretId=ID and GET /secretsmanager/ID
//     (versionId, versionStage, refreshNow), and GET /v1/ID (X-Vault-Token),
//     the Secrets Manager extension's routes;
//   - POST /secretsmanager: Secrets Manager's own AWS JSON 1.1 protocol,
//     secretsmanager.GetSecretValue and BatchGetSecretValue, which Cloud
//     Extensions does not serve.
//
// Requests are authenticated as a Cloud Extensions profile does: signed
// with SigV4 with the extension key ([WithExtensionKey]), or not at all
// ([WithoutAuthentication]). Build it with [NewCloudExtensions]; serve it
// with [ListenLocalhost] on [CloudExtensionsPort]. It is safe for
// concurrent use and holds no resources: closing the cache is the
// caller's job.
type CloudExtensions struct {
	cache  *cache.Cache
	verify *verifier // nil: no authentication
	ssrf   bool      // the SSRF token check of the Secrets Manager routes
	digest [sha256.Size]byte
	log    *slog.Logger
	slots  chan struct{} // requests in progress, at most MaxCloudInFlight
}

// CloudOption configures [NewCloudExtensions]. An option that returns an
// error makes NewCloudExtensions fail with it.
type CloudOption func(*cloudConfig) error

type cloudConfig struct {
	key    *ExtensionKey
	noAuth bool
	token  string
	logger *slog.Logger
	now    func() time.Time
}

// WithExtensionKey makes every request need a SigV4 signature made with k,
// as a profile whose authentication is "extension key" does. A request
// without one, or with a wrong one, is refused (see [CloudExtensions]).
// The id and the secret must not be empty or carry whitespace.
func WithExtensionKey(k ExtensionKey) CloudOption {
	return func(c *cloudConfig) error {
		if err := k.Validate(); err != nil {
			return err
		}
		c.key = &k
		return nil
	}
}

// Validate reports whether k can sign requests: an id and a secret, not
// empty, the id without whitespace or the separators of a SigV4
// Credential, the secret without surrounding whitespace. The error never
// holds the secret.
func (k ExtensionKey) Validate() error {
	if k.ID == "" || k.Secret == "" {
		return errors.New("httpcompat: the extension key's id and secret key must not be empty")
	}
	if strings.ContainsAny(k.ID, " /,;=\t\r\n") {
		return errors.New("httpcompat: the extension key's id must not contain whitespace, '/', ',', ';' or '='")
	}
	if strings.TrimSpace(k.Secret) != k.Secret {
		return errors.New("httpcompat: the extension key's secret key must not begin or end with whitespace")
	}
	return nil
}

// WithoutAuthentication serves requests without checking a signature, as
// a profile whose authentication is "none" does. Local development only:
// any process that can reach the port reads every value.
// NewCloudExtensions logs a WARN when it is used.
func WithoutAuthentication() CloudOption {
	return func(c *cloudConfig) error { c.noAuth = true; return nil }
}

// WithSSRFToken turns on the Secrets Manager extension's SSRF token check:
// the query, path and /v1/ routes then need token in
// X-Aws-Parameters-Secrets-Token or X-Vault-Token, as well as the
// signature. Cloud Extensions has the check on by default; parsec has it
// off unless this option is given. The token is kept only as a digest.
func WithSSRFToken(token string) CloudOption {
	return func(c *cloudConfig) error {
		var hc handlerConfig
		if err := WithToken(token)(&hc); err != nil {
			return errors.New(strings.Replace(err.Error(), "WithToken", "WithSSRFToken", 1))
		}
		c.token = token
		return nil
	}
}

// WithCloudLogger sets where the handler logs (default: nowhere). Records
// carry the route, the status, the error code and the name; never a
// value, a header or the key.
func WithCloudLogger(l *slog.Logger) CloudOption {
	return func(c *cloudConfig) error { c.logger = l; return nil }
}

// withCloudClock replaces time.Now (tests).
func withCloudClock(now func() time.Time) CloudOption {
	return func(c *cloudConfig) error { c.now = now; return nil }
}

// NewCloudExtensions returns the Cloud Extensions API over c. It needs
// [WithExtensionKey] or [WithoutAuthentication], not both. It does no I/O.
func NewCloudExtensions(c *cache.Cache, opts ...CloudOption) (*CloudExtensions, error) {
	if c == nil {
		return nil, errors.New("httpcompat: NewCloudExtensions needs a cache")
	}
	cfg := cloudConfig{now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case cfg.key != nil && cfg.noAuth:
		return nil, errors.New("httpcompat: WithExtensionKey and WithoutAuthentication contradict each other")
	case cfg.key == nil && !cfg.noAuth:
		return nil, errors.New("httpcompat: an authentication is required: use WithExtensionKey, or WithoutAuthentication for local development")
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	h := &CloudExtensions{cache: c, log: cfg.logger, slots: make(chan struct{}, MaxCloudInFlight)}
	if cfg.key != nil {
		h.verify = newVerifier(*cfg.key, cfg.now)
	} else {
		h.log.Warn("httpcompat: Cloud Extensions API without authentication: any local process can read every value; use only for local development")
	}
	if cfg.token != "" {
		h.ssrf = true
		h.digest = sha256.Sum256([]byte(cfg.token))
	}
	return h, nil
}

// ServeHTTP answers one request. Every route refuses X-Forwarded-For and a
// Host that is not loopback, reads the body (at most 64 KiB), checks the
// signature, and answers in its extension's error shape: AWS JSON 1.1
// errors on POST /parameterstore and POST /secretsmanager, {"message": …}
// on the Secrets Manager extension's GET routes.
func (h *CloudExtensions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		h.throttled(w, r, path)
		return
	}
	switch {
	case path == routeParameterStore || path == routeParameterStore+"/":
		h.serveJSON11(w, r, ssmProtocol)
	case (path == routeSecretsManager || path == routeSecretsManager+"/") && r.Method == http.MethodPost:
		h.serveJSON11(w, r, secretsManagerProtocol)
	case path == routeSecretsManager || strings.HasPrefix(path, routeSecretsManager+"/") || strings.HasPrefix(path, routeV1):
		h.serveSecretRoute(w, r, path)
	default:
		h.smError(r, w, http.StatusNotFound, "NotFoundException", "no such route: use POST /parameterstore, GET /secretsmanager/get?secretId=ID, GET /secretsmanager/ID, GET /v1/ID or POST /secretsmanager", "")
	}
}

// throttled answers a request beyond MaxCloudInFlight in its route's
// error shape.
func (h *CloudExtensions) throttled(w http.ResponseWriter, r *http.Request, path string) {
	w.Header().Set("Retry-After", "1")
	const msg = "too many requests in progress: retry after the time in Retry-After"
	switch {
	case path == routeParameterStore || path == routeParameterStore+"/":
		h.json11Fail(r, w, ssmProtocol, &json11Error{http.StatusTooManyRequests, "ThrottlingException", msg}, "")
	case (path == routeSecretsManager || path == routeSecretsManager+"/") && r.Method == http.MethodPost:
		h.json11Fail(r, w, secretsManagerProtocol, &json11Error{http.StatusTooManyRequests, "ThrottlingException", msg}, "")
	default:
		h.smError(r, w, http.StatusTooManyRequests, "ThrottlingException", msg, path)
	}
}

// readBody reads at most maxCloudBody bytes of the body; ok is false when
// it is longer or cannot be read.
func readBody(r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxCloudBody+1))
	if err != nil || len(b) > maxCloudBody {
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, true
}

// forwarded reports whether r came through a proxy.
func forwarded(r *http.Request) bool {
	_, ok := r.Header["X-Forwarded-For"]
	return ok
}

// ssrfOK reports whether r carries the SSRF token, when the check is on:
// every token header present must hold it, and one must be present.
func (h *CloudExtensions) ssrfOK(r *http.Request) bool {
	if !h.ssrf {
		return true
	}
	n, ok := 0, 1
	for _, name := range [...]string{TokenHeader, VaultTokenHeader} {
		for _, v := range r.Header[name] {
			n++
			d := sha256.Sum256([]byte(v))
			ok &= subtle.ConstantTimeCompare(d[:], h.digest[:])
		}
	}
	return n > 0 && ok == 1
}

// secretPathID returns the secret id of a path route, decoded ("%2F" is
// "/"), or "" with a reason.
func secretPathID(escaped, prefix string) (string, string) {
	raw := escaped[len(prefix):]
	id, err := url.PathUnescape(raw)
	if err != nil {
		return "", ruleEncoding
	}
	if id == "" {
		return "", ruleRequired
	}
	return id, ""
}

func (h *CloudExtensions) logRefused(r *http.Request, route string, status int, code string) {
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "httpcompat: cloud extensions request refused", slog.String("route", route),
			slog.Int("status", status), slog.String("code", code))
	}
}
