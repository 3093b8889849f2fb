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

// CloudOption is the former name of [NewCloudExtensions]' options.
//
// Deprecated: use [Option], which NewCloudExtensions takes.
type CloudOption = Option

// WithExtensionKey makes every request need a SigV4 signature made with k,
// as a profile whose authentication is "extension key" does. A request
// without one, or with a wrong one, is refused (see [CloudExtensions]).
// The id and the secret must not be empty or carry whitespace. Cloud
// Extensions only.
func WithExtensionKey(k ExtensionKey) Option {
	return only(scopeCloud, "WithExtensionKey", func(c *options) error {
		if err := k.Validate(); err != nil {
			return err
		}
		c.key = &k
		return nil
	})
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
// NewCloudExtensions logs a WARN when it is used. Cloud Extensions only.
func WithoutAuthentication() Option {
	return only(scopeCloud, "WithoutAuthentication", func(c *options) error { c.noAuth = true; return nil })
}

// WithSSRFToken turns on the Secrets Manager extension's SSRF token check:
// the query, path and /v1/ routes then need token in
// X-Aws-Parameters-Secrets-Token or X-Vault-Token, as well as the
// signature. Cloud Extensions has the check on by default; parsec has it
// off unless this option is given. The token is kept only as a digest; it
// follows [WithToken]'s rules. Cloud Extensions only.
func WithSSRFToken(token string) Option {
	return only(scopeCloud, "WithSSRFToken", func(c *options) error {
		if err := checkToken("WithSSRFToken", token); err != nil {
			return err
		}
		c.ssrfToken = token
		return nil
	})
}

// WithCloudLogger is [WithLogger] given to NewCloudExtensions.
//
// Deprecated: use WithLogger.
func WithCloudLogger(l *slog.Logger) Option { return WithLogger(l) }

// withCloudClock replaces time.Now (tests).
func withCloudClock(now func() time.Time) Option {
	return only(scopeCloud, "withCloudClock", func(c *options) error { c.now = now; return nil })
}

// NewCloudExtensions returns the Cloud Extensions API over c. It needs
// [WithExtensionKey] or [WithoutAuthentication], not both. It does no I/O.
func NewCloudExtensions(c *cache.Cache, opts ...Option) (*CloudExtensions, error) {
	if c == nil {
		return nil, errors.New("httpcompat: NewCloudExtensions needs a cache")
	}
	cfg := options{now: time.Now}
	if err := applyOptions(&cfg, scopeCloud, "NewCloudExtensions", opts); err != nil {
		return nil, err
	}
	switch {
	case cfg.key != nil && cfg.noAuth:
		return nil, errors.New("httpcompat: WithExtensionKey and WithoutAuthentication contradict each other")
	case cfg.key == nil && !cfg.noAuth:
		return nil, errors.New("httpcompat: an authentication is required: use WithExtensionKey, or WithoutAuthentication for local development")
	}
	h := &CloudExtensions{cache: c, log: cfg.logger, slots: make(chan struct{}, MaxCloudInFlight)}
	if cfg.key != nil {
		h.verify = newVerifier(*cfg.key, cfg.now)
	} else {
		h.log.Warn("httpcompat: Cloud Extensions API without authentication: any local process can read every value; use only for local development")
	}
	if cfg.ssrfToken != "" {
		h.ssrf = true
		h.digest = sha256.Sum256([]byte(cfg.ssrfToken))
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
	rt, _ := match(cloudRouteTable[:], path, r.Method)
	if rt == nil {
		h.smError(r, w, http.StatusNotFound, "NotFoundException", cloudNotFoundText, "")
		return
	}
	rt.serve(h, w, r, path)
}

// cloudRouteTable is the Cloud Extensions API's routes, in the order its
// 404 text lists them; serve is given the whole escaped path.
var cloudRouteTable = [...]route[*CloudExtensions]{
	{path: routeParameterStore, slash: true, usage: "POST " + routeParameterStore, json11: ssmProtocol, serve: serveSSMJSON},
	{path: routeSecretsManager + "/", prefix: true, usage: "GET " + routeSecretsManagerGet + "?secretId=ID, GET " + routeSecretsManager + "/ID", serve: serveSecretPath},
	{path: routeV1, prefix: true, usage: "GET " + routeV1 + "ID", serve: serveSecretPath},
	{path: routeSecretsManager, slash: true, method: http.MethodPost, usage: "POST " + routeSecretsManager, json11: secretsManagerProtocol, serve: serveSecretsManagerJSON},
	{path: routeSecretsManager, serve: serveSecretPath}, // any other method: the Secrets Manager extension's answer
}

var cloudNotFoundText = "no such route: use " + usages(cloudRouteTable[:])

func serveSSMJSON(h *CloudExtensions, w http.ResponseWriter, r *http.Request, _ string) {
	h.serveJSON11(w, r, ssmProtocol)
}

func serveSecretsManagerJSON(h *CloudExtensions, w http.ResponseWriter, r *http.Request, _ string) {
	h.serveJSON11(w, r, secretsManagerProtocol)
}

func serveSecretPath(h *CloudExtensions, w http.ResponseWriter, r *http.Request, path string) {
	h.serveSecretRoute(w, r, path)
}

// throttled answers a request beyond MaxCloudInFlight in its route's
// error shape.
func (h *CloudExtensions) throttled(w http.ResponseWriter, r *http.Request, path string) {
	w.Header().Set("Retry-After", "1")
	const msg = "too many requests in progress: retry after the time in Retry-After"
	if rt, _ := match(cloudRouteTable[:], path, r.Method); rt != nil && rt.json11 != nil {
		h.json11Fail(r, w, rt.json11, &json11Error{http.StatusTooManyRequests, "ThrottlingException", msg}, "")
		return
	}
	h.smError(r, w, http.StatusTooManyRequests, "ThrottlingException", msg, path)
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
