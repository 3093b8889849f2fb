package httpcompat

import (
	"cmp"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// The Secrets Manager extension's GET routes of Cloud Extensions: the
// query route /secretsmanager/get?secretId=ID, the path route
// /secretsmanager/ID (slashes kept, %2F decoded; a secret named "get" only
// through the query route), and the vault route /v1/ID. Errors have the
// type in X-Amzn-Errortype and the body {"message": …}.

const routeSecretsManagerGet = routeSecretsManager + "/get"

// roleArnUnsupported is the answer to roleArn, which parsec does not
// serve yet.
const roleArnUnsupported = "roleArn: reading a secret with another role is not supported by parsec yet; read it without roleArn, with credentials that may read it"

func (h *CloudExtensions) serveSecretRoute(w http.ResponseWriter, r *http.Request, path string) {
	route := routeSecretsManager
	if path == routeV1 || len(path) > len(routeV1) && path[:len(routeV1)] == routeV1 {
		route = routeV1
	}
	req, rej := h.secretRequest(r, path, route)
	if rej != nil {
		if rej.reason != "" {
			w.Header().Set(ErrorReasonHeader, rej.reason)
		}
		h.smError(r, w, rej.status, rej.code, rej.msg, route)
		return
	}
	s, err := h.cache.Secret(r.Context(), req)
	if err != nil {
		status, code, msg := smRouteStatus(err)
		_, _, detail := errorStatus(err)
		w.Header().Set(ErrorMessageHeader, headerText(detail))
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		h.smError(r, w, status, code, msg, route)
		return
	}
	b, err := json.Marshal(s.Output())
	if err != nil { // cannot happen for the SDK's output type
		h.smError(r, w, http.StatusInternalServerError, "InternalFailure", "", route)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// smReject is a Secrets Manager route's refusal of a request: the status,
// the error type, the message and, for a refused signature, the reason
// for ErrorReasonHeader.
type smReject struct {
	status            int
	code, msg, reason string
}

func badRequest(msg string) *smReject {
	return &smReject{status: http.StatusBadRequest, code: "BadRequestException", msg: msg}
}

// secretRequest checks r, on the Secrets Manager route at path, and
// returns the cache read it asks for.
func (h *CloudExtensions) secretRequest(r *http.Request, path, route string) (cache.SecretRequest, *smReject) {
	if rej := h.admitSecretRoute(r); rej != nil {
		return cache.SecretRequest{}, rej
	}
	id, rej := secretRouteID(path, route)
	if rej != nil {
		return cache.SecretRequest{}, rej
	}
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return cache.SecretRequest{}, badRequest(err.Error())
	}
	for _, p := range params {
		if p.key == "roleArn" {
			return cache.SecretRequest{}, badRequest(roleArnUnsupported)
		}
	}
	req, err := secretQuery(params, id)
	if err != nil {
		return cache.SecretRequest{}, badRequest(err.Error())
	}
	return req, nil
}

// admitSecretRoute runs the checks every Secrets Manager route makes
// before it reads the request: no proxy, a loopback Host, GET, no body,
// the signature and the SSRF token.
func (h *CloudExtensions) admitSecretRoute(r *http.Request) *smReject {
	switch {
	case forwarded(r):
		return badRequest("X-Forwarded-For: proxied requests are refused: the API serves local callers only")
	case !allowedHost(r.Host):
		return &smReject{status: http.StatusForbidden, code: "InvalidHost", msg: "Host must be localhost, 127.0.0.1 or [::1], with a port from 1 to 65535 or none"}
	case r.Method != http.MethodGet:
		return &smReject{status: http.StatusBadRequest, code: "ValidationException", msg: "only GET is served on this route (POST /secretsmanager takes Secrets Manager's JSON protocol)"}
	}
	body, ok := readBody(r)
	if !ok {
		return &smReject{status: http.StatusRequestEntityTooLarge, code: "BadRequestException", msg: "a GET request must not have a body"}
	}
	if h.verify != nil {
		if f := h.verify.verify(r.Context(), r, body, "secretsmanager", secretsManagerSkew); f != nil {
			status, code := smAuthStatus(f.reason)
			return &smReject{status: status, code: code, msg: f.detail, reason: f.reason}
		}
	}
	if !h.ssrfOK(r) {
		return &smReject{status: http.StatusForbidden, code: "InvalidSsrfTokenException", msg: "missing or wrong SSRF token: send it in " + TokenHeader + " or " + VaultTokenHeader}
	}
	return nil
}

// secretRouteID returns the secret id in path ("" for the query route,
// which names it in the query), checked.
func secretRouteID(path, route string) (string, *smReject) {
	id, why := "", ""
	switch {
	case route == routeV1:
		if id, why = secretPathID(path, routeV1); why != "" {
			return "", badRequest("secretId: " + why + " (GET /v1/{secretId})")
		}
	case path == routeSecretsManagerGet || path == routeSecretsManagerGet+"/":
		return "", nil // the query route
	case path == routeSecretsManager || path == routeSecretsManager+"/":
		return "", badRequest("secretId: " + ruleRequired + " (GET /secretsmanager/get?secretId=ID or /secretsmanager/ID)")
	default:
		if id, why = secretPathID(path, routeSecretsManager+"/"); why != "" {
			return "", badRequest("secretId: " + why)
		}
	}
	if id != "" {
		if err := checkText("secretId", id); err != nil {
			return "", badRequest(err.Error())
		}
	}
	return id, nil
}

// smRouteStatus maps a read's error to the Secrets Manager extension's
// status, type and message.
func smRouteStatus(err error) (int, string, string) {
	var se *source.Error
	var re *cache.RequestError
	switch {
	case errors.As(err, &re):
		return http.StatusBadRequest, "BadRequestException", re.Error()
	case errors.Is(err, cache.ErrOverloaded):
		return http.StatusTooManyRequests, "ThrottlingException", "too many reads in flight: retry after the time in Retry-After"
	case errors.Is(err, cache.ErrClosed):
		return http.StatusServiceUnavailable, "ServiceUnavailableException", "the server is shutting down"
	case errors.As(err, &se):
		switch {
		case se.Kind == source.ErrThrottled:
			return http.StatusTooManyRequests, "ThrottlingException", "service returned " + cmp.Or(se.Code, "ThrottlingException")
		case se.Kind == source.ErrUnavailable && se.Code == "":
			return http.StatusBadGateway, "ConnectionError", "could not reach Secrets Manager or read its answer"
		case se.Code != "" && se.Kind != source.ErrUnavailable && se.Kind != source.ErrConfig:
			return http.StatusBadRequest, se.Code, "service returned " + se.Code
		case se.Code != "":
			return http.StatusBadGateway, "BadGatewayException", "service returned " + se.Code
		}
	}
	return http.StatusInternalServerError, "InternalFailure", ""
}

// smError writes the Secrets Manager extension's error: the type in
// X-Amzn-Errortype, the body {"message": msg} (none for a 500
// InternalFailure, as Cloud Extensions sends it).
func (h *CloudExtensions) smError(r *http.Request, w http.ResponseWriter, status int, code, msg, route string) {
	h.logRefused(r, route, status, code)
	hd := w.Header()
	hd.Set(ErrorTypeHeader, code)
	if status == http.StatusInternalServerError && code == "InternalFailure" {
		w.WriteHeader(status)
		return
	}
	hd.Set("Content-Type", "application/json")
	m, _ := json.Marshal(sanitize(msg))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"message":` + string(m) + `}`))
	if status >= 500 && h.log.Enabled(r.Context(), slog.LevelWarn) {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "httpcompat: cloud extensions read failed", slog.String("route", route),
			slog.Int("status", status), slog.String("code", code))
	}
}
