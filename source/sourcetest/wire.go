package sourcetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// request is one decoded AWS JSON 1.1 call.
type request interface {
	// names returns the parameter names or secret ids the call is about,
	// for counters and fault matching.
	names() []string
	// serve performs the call on s and returns the output to encode, or an
	// *apiError.
	serve(s *Server) (any, error)
}

// operations maps X-Amz-Target to the operation's name and a constructor
// of its input.
var operations = map[string]struct {
	op  string
	new func() request
}{
	"AmazonSSM.GetParameter":                  {"GetParameter", func() request { return new(getParameterInput) }},
	"AmazonSSM.GetParameters":                 {"GetParameters", func() request { return new(getParametersInput) }},
	"AmazonSSM.GetParametersByPath":           {"GetParametersByPath", func() request { return new(getParametersByPathInput) }},
	"AmazonSSM.PutParameter":                  {"PutParameter", func() request { return new(putParameterInput) }},
	"AmazonSSM.LabelParameterVersion":         {"LabelParameterVersion", func() request { return new(labelParameterVersionInput) }},
	"AmazonSSM.DeleteParameter":               {"DeleteParameter", func() request { return new(deleteParameterInput) }},
	"secretsmanager.GetSecretValue":           {"GetSecretValue", func() request { return new(getSecretValueInput) }},
	"secretsmanager.DescribeSecret":           {"DescribeSecret", func() request { return new(describeSecretInput) }},
	"secretsmanager.BatchGetSecretValue":      {"BatchGetSecretValue", func() request { return new(batchGetSecretValueInput) }},
	"secretsmanager.CreateSecret":             {"CreateSecret", func() request { return new(createSecretInput) }},
	"secretsmanager.PutSecretValue":           {"PutSecretValue", func() request { return new(putSecretValueInput) }},
	"secretsmanager.UpdateSecretVersionStage": {"UpdateSecretVersionStage", func() request { return new(updateSecretVersionStageInput) }},
	"secretsmanager.DeleteSecret":             {"DeleteSecret", func() request { return new(deleteSecretInput) }},
	"secretsmanager.ListSecrets":              {"ListSecrets", func() request { return new(listSecretsInput) }},
	"secretsmanager.TagResource":              {"TagResource", func() request { return new(tagResourceInput) }},
}

// maxBody bounds a request body; AWS refuses larger JSON requests too.
const maxBody = 1 << 20

// apiError is an AWS error response.
type apiError struct {
	Code    string
	Message string
	Status  int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorf returns an *apiError with AWS's usual status for code.
func errorf(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...), Status: statusFor(code)}
}

// statusFor returns the HTTP status AWS sends with an error code.
func statusFor(code string) int {
	switch code {
	case "ServiceUnavailable", "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	case "TooManyRequestsException":
		return http.StatusTooManyRequests
	case "RequestTimeout", "RequestTimeoutException":
		return http.StatusRequestTimeout
	}
	if strings.HasPrefix(code, "Internal") {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// epoch is a timestamp encoded as AWS JSON 1.1 does: epoch seconds with a
// fractional part, here always three digits (milliseconds).
type epoch time.Time

func (t epoch) IsZero() bool { return time.Time(t).IsZero() }

func (t epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', 3, 64), nil
}

// serveHTTP answers one call: down check, decode, count, latency and
// faults, then the operation. It never panics: a panic becomes an
// InternalServerError.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	wrote := false
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if !wrote {
				s.writeError(w, errorf("InternalServerError", "sourcetest: internal error: %v", v))
			}
		}
	}()
	if s.down.Load() {
		abort(w)
		return
	}
	op, req, names, failure := decodeCall(w, r)
	s.count(op, names)
	if d := s.latency(); d > 0 && !s.wait(r, d) {
		abort(w)
		return
	}
	if !s.applyFaults(w, r, op, names) {
		wrote = true
		return
	}
	if failure != nil {
		wrote = true
		s.writeError(w, failure)
		return
	}
	out, err := req.serve(s)
	wrote = true
	if err != nil {
		e, ok := err.(*apiError)
		if !ok {
			e = errorf("InternalServerError", "sourcetest: %v", err)
		}
		s.writeError(w, e)
		return
	}
	s.writeJSON(w, http.StatusOK, out)
}

// decodeCall reads the call r makes: the operation's name, its decoded
// request and the names it reads, or why it cannot be served.
func decodeCall(w http.ResponseWriter, r *http.Request) (op string, req request, names []string, failure *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	target := r.Header.Get("X-Amz-Target")
	spec, known := operations[target]
	op = spec.op
	if !known {
		op = target[strings.LastIndexByte(target, '.')+1:]
	}
	switch {
	case !known:
		failure = errorf("UnknownOperationException", "unknown operation %q", target)
	case err != nil:
		failure = errorf("SerializationException", "request body too large or unreadable")
	case r.Method != http.MethodPost:
		failure = errorf("UnknownOperationException", "method %s is not supported", r.Method)
	default:
		req = spec.new()
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, req); err != nil {
				failure = serializationError(err)
				req = nil
			}
		}
		if req != nil {
			names = req.names()
		}
	}
	return op, req, names, failure
}

// serializationError describes a body that is not the operation's JSON.
func serializationError(err error) *apiError {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		if te.Field == "" {
			return errorf("SerializationException", "Start of structure or map found where not expected.")
		}
		return errorf("SerializationException", "Unexpected %s for field %s; expected %s", te.Value, te.Field, te.Type)
	}
	return errorf("SerializationException", "malformed JSON request body")
}

// requestID returns a fresh uuid-shaped request id.
func (s *Server) requestID() string {
	n := s.reqID.Add(1)
	return fmt.Sprintf("5e7ce57a-%04x-4000-8000-%012x", (n>>48)&0xffff, n&0xffffffffffff)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	buf, err := json.Marshal(v)
	if err != nil {
		s.writeError(w, errorf("InternalServerError", "sourcetest: encode response: %v", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-Requestid", s.requestID())
	h.Set("Content-Length", strconv.Itoa(len(buf)))
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	status := e.Status
	if status == 0 {
		status = statusFor(e.Code)
	}
	w.Header().Set("X-Amzn-Errortype", e.Code)
	s.writeJSON(w, status, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
}

// required returns the ValidationException AWS sends for a missing member.
func required(member string) *apiError {
	return errorf("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}
