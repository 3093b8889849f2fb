package httpcompat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

func TestUpstreamErrors(t *testing.T) {
	tests := []struct {
		target     string
		wantStatus int
		wantType   string
	}{
		{"/systemsmanager/parameters/get?name=fail%2FParameterNotFound", 400, "ParameterNotFound"},
		{"/systemsmanager/parameters/get?name=fail%2FParameterVersionNotFound&version=9", 400, "ParameterVersionNotFound"},
		{"/systemsmanager/parameters/get?name=fail%2FAccessDeniedException&withDecryption=true", 400, "AccessDeniedException"},
		{"/systemsmanager/parameters/get?name=fail%2FValidationException", 400, "ValidationException"},
		{"/systemsmanager/parameters/get?name=fail%2FThrottlingException", 429, "ThrottlingException"},
		{"/systemsmanager/parameters/get?name=fail%2FInternalServerError", 502, "InternalServerError"},
		{"/systemsmanager/parameters/get?name=fail%2Funreachable", 502, "ServiceUnavailable"},
		{"/systemsmanager/parameters/get?name=fail%2Ftimeout", 504, "RequestTimeout"},
		{"/systemsmanager/parameters/get?name=fail%2FRequestTimeoutException", 504, "RequestTimeoutException"},
		{"/systemsmanager/parameters/get?name=fail%2Fpanic", 502, "InternalFailure"},
		{"/secretsmanager/get?secretId=fail%2FResourceNotFoundException", 400, "ResourceNotFoundException"},
		{"/secretsmanager/get?secretId=fail%2FInvalidRequestException", 400, "InvalidRequestException"},
		{"/secretsmanager/get?secretId=fail%2FDecryptionFailure", 400, "DecryptionFailure"},
		{"/v1/fail%2FThrottlingException", 429, "ThrottlingException"},
		{"/v1/fail/ServiceUnavailable", 502, "ServiceUnavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			h, _, _ := newTestHandler(t)
			w := serve(h, request("GET", tt.target, testToken))
			if w.Code != tt.wantStatus {
				t.Fatalf("GET %s = %d %s; want %d", tt.target, w.Code, w.Body, tt.wantStatus)
			}
			e := errorOf(t, w)
			if e.Type != tt.wantType {
				t.Errorf("__type = %q; want %q", e.Type, tt.wantType)
			}
			if !strings.Contains(e.Message, "fail/") {
				t.Errorf("message = %q; want it to name the parameter or secret", e.Message)
			}
		})
	}
}

func TestClosedCache(t *testing.T) {
	h, _, _ := newTestHandler(t)
	h.cache.Close()
	w := serve(h, request("GET", "/secretsmanager/get?secretId=a", testToken))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("after Close: status = %d %s; want 503", w.Code, w.Body)
	}
	if e := errorOf(t, w); e.Type != "ServiceUnavailable" {
		t.Errorf("__type = %q; want ServiceUnavailable", e.Type)
	}
}

func TestNoSource(t *testing.T) {
	u := &upstream{}
	src := u.clients()
	src.Secret = nil
	h, err := NewHandler(newCache(t, src), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	w := serve(h, request("GET", "/secretsmanager/get?secretId=a", testToken))
	if w.Code != http.StatusNotImplemented {
		t.Fatalf("no secret client: status = %d %s; want 501", w.Code, w.Body)
	}
}

func TestRequestCanceled(t *testing.T) {
	h, u, _ := newTestHandler(t)
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	u.onSecret = func(string) { cancel(); <-block }
	defer close(block)
	r := request("GET", "/secretsmanager/get?secretId=slow", testToken).WithContext(ctx)
	w := serve(h, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("canceled request: status = %d %s; want 503", w.Code, w.Body)
	}
	if e := errorOf(t, w); e.Type != "RequestCanceled" {
		t.Errorf("__type = %q; want RequestCanceled", e.Type)
	}
}

func TestErrorStatusFallbacks(t *testing.T) {
	tests := []struct {
		err        error
		wantStatus int
		wantType   string
	}{
		{context.DeadlineExceeded, 504, "RequestTimeout"},
		{context.Canceled, 503, "RequestCanceled"},
		{http.ErrHandlerTimeout, 500, "InternalFailure"},
		{fmt.Errorf("GetParameter \"n\": %w", cache.ErrOverloaded), 429, "TooManyRequestsException"},
		{&source.Error{Op: "GetParameter", Name: "n", Kind: source.ErrThrottled}, 429, "ThrottlingException"},
		{&source.Error{Op: "GetParameter", Name: "n", Kind: source.ErrInvalid}, 400, "ValidationException"},
		{&source.Error{Op: "GetParameter", Name: "n", Kind: source.ErrUnavailable, Err: context.DeadlineExceeded}, 504, "RequestTimeout"},
	}
	for _, tt := range tests {
		status, code, msg := errorStatus(tt.err)
		if status != tt.wantStatus || code != tt.wantType {
			t.Errorf("errorStatus(%v) = %d, %q; want %d, %q", tt.err, status, code, tt.wantStatus, tt.wantType)
		}
		if msg == "" {
			t.Errorf("errorStatus(%v) has an empty message", tt.err)
		}
	}
}

func TestSanitize(t *testing.T) {
	got := sanitize("line1\nline2\x00\xff" + strings.Repeat("x", 1000))
	if strings.ContainsAny(got, "\n\x00") || len(got) > 520 {
		t.Errorf("sanitize kept control characters or length: %q", got)
	}
}

// TestErrorReplyBodies: by default every error reply has a plain-text body
// (the extension's bytes where the extension has the status, a fixed
// sentence for the statuses parsec adds, the rule broken for a bad query)
// and the detail in the headers; with WithJSONErrors the body is the JSON
// error shape. No 504 says "unavailable".
func TestErrorReplyBodies(t *testing.T) {
	const p = "/systemsmanager/parameters/get?"
	tests := []struct {
		target, host, xff string
		method            string
		status            int
		code, body        string // body "" means: the message, as in the header
	}{
		{target: p + "name=fail%2FParameterNotFound", status: 400, code: "ParameterNotFound", body: upstreamErrorBody},
		{target: "/secretsmanager/get?secretId=fail%2FResourceNotFoundException", status: 400, code: "ResourceNotFoundException", body: upstreamErrorBody},
		{target: p + "name=%2Fa&version=0", status: 400, code: "ValidationException", body: upstreamErrorBody},
		{target: p + "name=%2Faws%2Freference%2Fsecretsmanager%2Fs&withDecryption=false", status: 400, code: "ValidationException", body: upstreamErrorBody},
		{target: p + "name=fail%2FThrottlingException", status: 429, code: "ThrottlingException", body: throttledBody},
		{target: p + "name=fail%2FInternalServerError", status: 502, code: "InternalServerError", body: badGatewayBody},
		{target: p + "name=fail%2Funreachable", status: 502, code: "ServiceUnavailable", body: badGatewayBody},
		{target: p + "name=fail%2Ftimeout", status: 504, code: "RequestTimeout", body: timeoutBody},
		{target: p + "name=fail%2FRequestTimeoutException", status: 504, code: "RequestTimeoutException", body: timeoutBody},
		{target: p + "name=%2Fa&nope=1", status: 400, code: "ValidationException"},
		{target: "/nowhere", status: 404, code: "NotFound"},
		{target: p + "name=%2Fa", method: "POST", status: 405, code: "MethodNotAllowed"},
		{target: p + "name=%2Fa", host: "evil.example", status: 403, code: "InvalidHost"},
		{target: p + "name=%2Fa", xff: "203.0.113.9", status: 400, code: "ValidationException"},
	}
	for _, jsonErrors := range []bool{false, true} {
		var opts []Option
		if jsonErrors {
			opts = append(opts, WithJSONErrors())
		}
		h, u, _ := newTestHandler(t, opts...)
		for _, tt := range tests {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			r := request(method, tt.target, testToken)
			if tt.host != "" {
				r.Host = tt.host
			}
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			w := serve(h, r)
			e := errorOf(t, w)
			if w.Code != tt.status || e.Type != tt.code {
				t.Errorf("%s %s = %d %s; want %d %s", method, tt.target, w.Code, e.Type, tt.status, tt.code)
			}
			if tt.status == 504 && (strings.Contains(w.Body.String(), "unavailable") || strings.Contains(e.Message, "unavailable")) {
				t.Errorf("504 says unavailable: body %q, message %q", w.Body, e.Message)
			}
			if jsonErrors {
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("with WithJSONErrors %s: Content-Type %q", tt.target, ct)
				}
				continue
			}
			want := tt.body
			if want == "" {
				want = e.Message
			}
			if got := w.Body.String(); got != want || w.Header().Get("Content-Type") != "text/plain" {
				t.Errorf("%s %s: body %q (%s); want %q (text/plain)", method, tt.target, got, w.Header().Get("Content-Type"), want)
			}
		}
		// The reference read without decryption never went upstream.
		for _, in := range u.paramInputs() {
			if strings.HasPrefix(*in.Name, "/aws/reference/") {
				t.Errorf("a reference read without withDecryption reached the upstream: %s", *in.Name)
			}
		}
	}
}
