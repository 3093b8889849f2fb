package httpcompat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// AWS JSON 1.1, the protocol of SSM and Secrets Manager, as served on
// POST /parameterstore and POST /secretsmanager.

const json11ContentType = "application/x-amz-json-1.1"

// json11Op answers one operation: it decodes body, reads the cache and
// returns the response to encode, or an error (a *json11Error, a
// *cache.RequestError or a read's error).
type json11Op func(h *CloudExtensions, ctx context.Context, body []byte) (any, error)

// json11Protocol describes one service's JSON 1.1 endpoint.
type json11Protocol struct {
	route   string
	service string // the SigV4 service name
	prefix  string // of X-Amz-Target, with the dot
	ops     map[string]json11Op
	skew    time.Duration
	// upperMessage lists the error codes whose message member is
	// "Message"; the others use "message".
	upperMessage map[string]bool
	// errors maps a read's error to the service's code and status.
	errors func(err error) (status int, code string)
	// auth maps a refused signature to the status and code.
	auth func(reason string) (status int, code string)
}

// json11Error is an error answered as is: a status, a code and a message.
type json11Error struct {
	status int
	code   string
	msg    string
}

func (e *json11Error) Error() string { return e.code + ": " + e.msg }

// errNoOperation is Cloud Extensions' answer to an operation it does not
// serve, and to a request that is not a JSON 1.1 call.
var errNoOperation = &json11Error{http.StatusBadRequest, "ValidationException", "No operation matches the request"}

func validation(format string, args ...any) error {
	return &json11Error{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func (h *CloudExtensions) serveJSON11(w http.ResponseWriter, r *http.Request, p *json11Protocol) {
	if forwarded(r) {
		h.json11Fail(r, w, p, validation("X-Forwarded-For: proxied requests are refused: the API serves local callers only"), "")
		return
	}
	if !allowedHost(r.Host) {
		h.json11Fail(r, w, p, &json11Error{http.StatusForbidden, "InvalidHost", "Host must be localhost, 127.0.0.1 or [::1], with a port from 1 to 65535 or none"}, "")
		return
	}
	body, ok := readBody(r)
	if !ok {
		h.json11Fail(r, w, p, &json11Error{http.StatusRequestEntityTooLarge, "ValidationException", "the request body must be at most " + strconv.Itoa(maxCloudBody) + " bytes"}, "")
		return
	}
	if h.verify != nil {
		if f := h.verify.verify(r.Context(), r, body, p.service, p.skew); f != nil {
			status, code := p.auth(f.reason)
			h.json11Fail(r, w, p, &json11Error{status, code, f.detail}, f.reason)
			return
		}
	}
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), p.prefix)
	op := p.ops[name]
	if !ok || op == nil || r.Method != http.MethodPost {
		h.json11Fail(r, w, p, errNoOperation, "")
		return
	}
	out, err := op(h, r.Context(), body)
	if err != nil {
		h.json11Fail(r, w, p, err, "")
		return
	}
	b, err := json.Marshal(out)
	if err != nil { // cannot happen for the response types
		h.json11Fail(r, w, p, errors.New("encode"), "")
		return
	}
	w.Header().Set("Content-Type", json11ContentType)
	_, _ = w.Write(b)
	if h.log.Enabled(r.Context(), slog.LevelDebug) {
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "httpcompat: served", slog.String("route", p.route),
			slog.String("operation", name), slog.Int("status", http.StatusOK))
	}
}

// json11Fail writes err in the JSON 1.1 error shape: the code in
// X-Amzn-Errortype and __type, the message in Message or message as the
// service has it. For an upstream error the message is "service returned
// CODE", as Cloud Extensions words it, and parsec's own (the operation,
// the name, AWS's message) goes in [ErrorMessageHeader].
func (h *CloudExtensions) json11Fail(r *http.Request, w http.ResponseWriter, p *json11Protocol, err error, reason string) {
	var (
		je     *json11Error
		re     *cache.RequestError
		status int
		code   string
		msg    string
		detail string
	)
	switch {
	case errors.As(err, &je):
		status, code, msg = je.status, je.code, je.msg
	case errors.As(err, &re):
		status, code, msg = http.StatusBadRequest, "ValidationException", re.Error()
	default:
		status, code = p.errors(err)
		msg = "service returned " + code
		_, _, detail = errorStatus(err)
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	if h.log.Enabled(r.Context(), level) {
		h.log.LogAttrs(r.Context(), level, "httpcompat: cloud extensions request failed", slog.String("route", p.route),
			slog.Int("status", status), slog.String("code", code), slog.String("reason", reason))
	}
	hd := w.Header()
	hd.Set("Content-Type", json11ContentType)
	hd.Set(ErrorTypeHeader, code)
	if reason != "" {
		hd.Set(ErrorReasonHeader, reason)
	}
	if detail != "" {
		hd.Set(ErrorMessageHeader, headerText(detail))
	}
	key := "message"
	if p.upperMessage[code] {
		key = "Message"
	}
	c, _ := json.Marshal(code)
	m, _ := json.Marshal(sanitize(msg))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"__type":` + string(c) + `,"` + key + `":` + string(m) + `}`))
}

// upstreamCode maps a read's error to a service's status and code: the
// AWS code of a client error with status 400, throttling (after the SDK's
// retries, or the cache's loads at their bound) 400 throttled, anything
// else 500 with internal.
func upstreamCode(err error, notFound, invalid, throttled, internal string) (int, string) {
	var se *source.Error
	switch {
	case errors.Is(err, cache.ErrOverloaded):
		return http.StatusBadRequest, throttled
	case errors.As(err, &se):
		switch se.Kind {
		case source.ErrThrottled:
			return http.StatusBadRequest, throttled
		case source.ErrNotFound, source.ErrAccessDenied, source.ErrInvalid:
			if se.Code != "" {
				return http.StatusBadRequest, se.Code
			}
			switch se.Kind {
			case source.ErrNotFound:
				return http.StatusBadRequest, notFound
			case source.ErrAccessDenied:
				return http.StatusBadRequest, "AccessDeniedException"
			}
			return http.StatusBadRequest, invalid
		}
	}
	return http.StatusInternalServerError, internal
}

// decodeStrict decodes a JSON 1.1 body into v, as the services do: a
// member of the wrong type is a ValidationException naming it; unknown
// members are ignored.
func decodeStrict(body []byte, v any) error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return validation("%s: must be %s", te.Field, jsonKind(te.Type.Kind().String()))
		}
		return validation("the body must be a JSON object (the operation's input)")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "bool", "ptr":
		return "a boolean"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "int", "int32", "int64":
		return "an integer"
	}
	return "of the input's type"
}

// epochSeconds encodes a time as AWS JSON 1.1 does: seconds since the
// epoch, with milliseconds.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	if r := ms % 1000; r != 0 {
		s += fmt.Sprintf(".%03d", r)
	}
	return []byte(s), nil
}

func epochOf(t *time.Time) *epochSeconds {
	if t == nil {
		return nil
	}
	e := epochSeconds(*t)
	return &e
}
