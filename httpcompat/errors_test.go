package httpcompat

import (
	"context"
	"net/http"
	"strings"
	"testing"

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
