package httpcompat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseQuery: parsing never panics, accepts only clean text, and what it
// accepts survives re-encoding.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"", "name=%2Fa%2Fb&withDecryption=true", "name=a&version=1&label=L", "label=L&version=1&name=a",
		"secretId=s&versionId=01234567-89ab-cdef-0123-456789abcdef&versionStage=AWSCURRENT",
		"%ZZ", "a=%", "a=%2", "&&=&", "name=a+b", "name=%00", "name=%FF", "name=a&name=b", "refreshNow=TRUE",
		"name=%2Faws%2Freference%2Fsecretsmanager%2Fs&version=uuid-ish&withDecryption=1",
		"name=a&maxAgeSeconds=0", "secretId=s&maxAgeSeconds=31536000", "name=a&maxAgeSeconds=31536001",
		"name=a&maxAgeSeconds=%2B5", "name=a&maxAgeSeconds=1.5", "secretId=s&maxAgeSeconds=5s",
		"name=a&maxAgeSeconds=&maxAgeSeconds=1", "maxAgeSeconds=99999999999999999999&name=a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		params, err := parseQuery(raw)
		if err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("parseQuery(%q) error %T; want *requestError", raw, err)
			}
			return
		}
		var enc []string
		for _, p := range params {
			for _, s := range []string{p.key, p.value} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("parseQuery(%q) accepted %q", raw, s)
				}
			}
			enc = append(enc, url.QueryEscape(p.key)+"="+url.QueryEscape(p.value))
		}
		again, err := parseQuery(strings.Join(enc, "&"))
		if err != nil {
			t.Fatalf("re-encoded %q: %v", raw, err)
		}
		if len(again) != len(params) {
			t.Fatalf("re-encoded %q: %d params; want %d", raw, len(again), len(params))
		}
		for i := range params {
			if again[i] != params[i] {
				t.Fatalf("re-encoded %q: param %d = %+v; want %+v", raw, i, again[i], params[i])
			}
		}
		if req, err := parameterQuery(params); err == nil && (req.Name == "" || !validMaxAge(req.MaxAge)) {
			t.Fatalf("parameterQuery(%q) accepted an empty name or MaxAge %v", raw, req.MaxAge)
		}
		if req, err := secretQuery(params, ""); err == nil && (req.SecretID == "" || !validMaxAge(req.MaxAge)) {
			t.Fatalf("secretQuery(%q) accepted an empty secretId or MaxAge %v", raw, req.MaxAge)
		}
		if reqs, err := batchQuery(params); err == nil {
			for _, req := range reqs {
				if req.Name == "" || req.MaxAge != reqs[0].MaxAge || !validMaxAge(req.MaxAge) {
					t.Fatalf("batchQuery(%q) accepted %+v", raw, reqs)
				}
			}
		}
	})
}

// validMaxAge reports whether d is a MaxAge that maxAgeSeconds can give:
// 0 (absent), one nanosecond (maxAgeSeconds=0) or whole seconds up to a year.
func validMaxAge(d time.Duration) bool {
	return d == 0 || d == time.Nanosecond || d%time.Second == 0 && d > 0 && d <= maxAgeLimit*time.Second
}

// FuzzHandler: the whole handler over a fake upstream never panics, answers
// 5xx only when the upstream failed on purpose (a name under fail/), and
// never 200 without the right token (except GET /ping).
func FuzzHandler(f *testing.F) {
	seeds := []struct {
		method, target, host string
		token                byte
		xff                  bool
	}{
		{"GET", "/systemsmanager/parameters/get?name=%2Fa%2Fb&withDecryption=true", "localhost:2773", 1, false},
		{"GET", "/systemsmanager/parameters/get?name=%2Fa&version=2&label=x", "127.0.0.1", 1, false},
		{"GET", "/secretsmanager/get?secretId=s&versionStage=AWSPREVIOUS", "[::1]:2773", 3, false},
		{"GET", "/v1/a%2Fb/c?versionId=01234567-89ab-cdef-0123-456789abcdef", "localhost", 1, false},
		{"GET", "/systemsmanager/parameters/get?name=fail%2FInternalServerError", "localhost", 1, false},
		{"GET", "/secretsmanager/get?secretId=fail/ThrottlingException", "localhost", 1, false},
		{"GET", "/v1/fail/timeout", "localhost", 1, false},
		{"GET", "/secretsmanager/get?secretId=s", "localhost", 2, false},
		{"GET", "/secretsmanager/get?secretId=s", "localhost", 0, false},
		{"GET", "/secretsmanager/get?secretId=s", "evil.example", 1, false},
		{"GET", "/secretsmanager/get?secretId=s", "localhost", 1, true},
		{"POST", "/secretsmanager/get?secretId=s", "localhost", 1, false},
		{"GET", "/ping", "localhost", 0, false},
		{"GET", "/systemsmanager/parameters/get?name=%ZZ&name=%", "localhost", 1, false},
		{"GET", "/systemsmanager/parameters/get?name=%2Fa&maxAgeSeconds=0", "localhost", 1, false},
		{"GET", "/secretsmanager/get?secretId=s&maxAgeSeconds=60", "localhost", 1, false},
		{"GET", "/v1/s?maxAgeSeconds=5s", "localhost", 1, false},
		{"GET", "/parsec/v1/parameters?name=a&name=b&maxAgeSeconds=31536000", "localhost", 1, false},
		{"GET", "/parsec/v1/parameters?name=a&maxAgeSeconds=-1", "localhost", 1, false},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.host, s.token, s.xff)
	}
	u := &upstream{}
	var mu sync.Mutex
	var failed bool // an upstream call this iteration was meant to fail
	mark := func(name string) {
		if strings.HasPrefix(name, "fail/") {
			mu.Lock()
			failed = true
			mu.Unlock()
		}
	}
	u.onParam, u.onSecret = mark, mark
	h, err := NewHandler(newCache(f, u.clients()), WithToken(testToken))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target, host string, token byte, xff bool) {
		if !validMethod(method) {
			return // net/http refuses such a request line before any handler
		}
		uri, err := url.ParseRequestURI(target)
		if err != nil {
			return // net/http answers 400 itself
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method, r.URL, r.RequestURI, r.Host = method, uri, target, host
		switch token % 4 {
		case 1:
			r.Header.Set(TokenHeader, testToken)
		case 2:
			r.Header.Set(TokenHeader, testToken+"x")
		case 3:
			r.Header.Set(VaultTokenHeader, testToken)
		}
		if xff {
			r.Header.Set("X-Forwarded-For", "203.0.113.9")
		}
		mu.Lock()
		failed = false
		mu.Unlock()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		mu.Lock()
		injected := failed
		mu.Unlock()
		rightToken := token%4 == 1 || token%4 == 3
		if w.Code == http.StatusOK && !rightToken && uri.EscapedPath() != "/ping" {
			t.Fatalf("%s %q (Host %q) without the right token = 200", method, target, host)
		}
		if w.Code >= 500 && !injected {
			t.Fatalf("%s %q = %d %s without an injected upstream failure", method, target, w.Code, w.Body)
		}
		if w.Code == http.StatusOK && uri.EscapedPath() != "/ping" && !strings.HasPrefix(w.Body.String(), "{") {
			t.Fatalf("200 body %q is not JSON", w.Body)
		}
		if w.Code != http.StatusOK && (w.Header().Get("Content-Type") != "text/plain" || w.Header().Get(ErrorTypeHeader) == "" || json.Valid(w.Body.Bytes())) {
			t.Fatalf("%d with Content-Type %q, %s %q, body %q; want a plain-text body and the error type", w.Code, w.Header().Get("Content-Type"), ErrorTypeHeader, w.Header().Get(ErrorTypeHeader), w.Body)
		}
	})
}

// validMethod reports whether m is an HTTP token, as net/http requires.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}
