package httpcompat

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/parsec-go/parsec/internal/logbuf"
)

func TestRoutesServeValues(t *testing.T) {
	tests := []struct {
		target    string
		wantValue string // Parameter.Value or SecretString
	}{
		{"/systemsmanager/parameters/get?name=%2Fa%2Fb", "value-of:/a/b"},
		{"/systemsmanager/parameters/get/?name=%2Fa%2Fb", "value-of:/a/b"},
		{"/systemsmanager/parameters/get?name=/a/b", "value-of:/a/b"},
		{"/systemsmanager/parameters/get?name=" + "%2Fapp%2Fenvironment%2Fapi-key" + "&withDecryption=true", apiKeyPlain},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fenvironment%2Fapi-key&withDecryption=TRUE", apiKeyPlain},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fenvironment%2Fapi-key&withDecryption=1", apiKeyPlain},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fenvironment%2Fapi-key&withDecryption=false", apiKeyCipher},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fenvironment%2Fapi-key&withDecryption=0", apiKeyCipher},
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fenvironment%2Fapi-key", apiKeyCipher},
		{"/systemsmanager/parameters/get?name=a+b", "value-of:a b"},
		{"/secretsmanager/get?secretId=app%2Fdb-secret", secretValue},
		{"/secretsmanager/get/?secretId=app/db-secret", secretValue},
		{"/v1/app/db-secret", secretValue},
		{"/v1/app%2Fdb-secret", secretValue},
		{"/v1/x+y", "secret-of:x+y"},
		{"/v1/sp%20ace", "secret-of:sp ace"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			h, _, _ := newTestHandler(t)
			w := serve(h, request("GET", tt.target, testToken))
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d %s; want 200", tt.target, w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", got)
			}
			body := w.Body.Bytes()
			if len(body) > 0 && body[len(body)-1] == '\n' {
				t.Errorf("body ends in a newline; the extension's json.Marshal body does not")
			}
			var got string
			if strings.HasPrefix(tt.target, "/systemsmanager") {
				var out ssm.GetParameterOutput
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				got = aws.ToString(out.Parameter.Value)
			} else {
				var out secretsmanager.GetSecretValueOutput
				if err := json.Unmarshal(body, &out); err != nil {
					t.Fatal(err)
				}
				got = aws.ToString(out.SecretString)
			}
			if got != tt.wantValue {
				t.Errorf("GET %s value = %q; want %q", tt.target, got, tt.wantValue)
			}
		})
	}
}

// TestQueryReachesUpstream checks what the query becomes upstream: the
// selector, decryption, the secret's version id and stage.
func TestQueryReachesUpstream(t *testing.T) {
	params := []struct {
		query       string
		wantName    string
		wantDecrypt bool
	}{
		{"name=%2Fa&version=3", "/a:3", false},
		{"name=%2Fa&label=Dev", "/a:Dev", false},
		{"name=%2Fa&version=3&label=Dev", "/a:3", false},           // first wins
		{"name=%2Fa&label=Dev&version=3", "/a:Dev", false},         // first wins
		{"label=Dev&name=%2Fa&version=3", "/a:Dev", false},         // first of the two, wherever name is
		{"name=%2Fa&version=&label=Dev", "/a:Dev", false},          // empty means not given
		{"name=%2Fa&withDecryption=true&refreshNow=1", "/a", true}, // refreshNow on the parameter route
		{"name=%2Fa%3A7", "/a:7", false},                           // a selector inside the name passes through
		{"name=%2Faws%2Freference%2Fsecretsmanager%2Fs&withDecryption=true&version=b1c367b9-7f53-4a47-82c4-be51a054b953",
			"/aws/reference/secretsmanager/s:b1c367b9-7f53-4a47-82c4-be51a054b953", true},
		{"name=%2Faws%2Freference%2Fsecretsmanager%2Fs&withDecryption=true&label=AWSPREVIOUS",
			"/aws/reference/secretsmanager/s:AWSPREVIOUS", true},
	}
	for _, tt := range params {
		t.Run(tt.query, func(t *testing.T) {
			h, u, _ := newTestHandler(t)
			w := serve(h, request("GET", "/systemsmanager/parameters/get?"+tt.query, testToken))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d %s; want 200", w.Code, w.Body)
			}
			in := u.paramInputs()
			if len(in) != 1 {
				t.Fatalf("upstream calls = %d; want 1", len(in))
			}
			if got := aws.ToString(in[0].Name); got != tt.wantName {
				t.Errorf("upstream Name = %q; want %q", got, tt.wantName)
			}
			if got := aws.ToBool(in[0].WithDecryption); got != tt.wantDecrypt {
				t.Errorf("upstream WithDecryption = %v; want %v", got, tt.wantDecrypt)
			}
		})
	}
	secrets := []struct {
		target                     string
		wantID, wantVID, wantStage string
	}{
		{"/secretsmanager/get?secretId=s&versionStage=AWSPREVIOUS", "s", "", "AWSPREVIOUS"},
		{"/secretsmanager/get?secretId=s&versionId=01234567-89ab-cdef-0123-456789abcdef", "s", "01234567-89ab-cdef-0123-456789abcdef", ""},
		// Both: both are sent; Secrets Manager checks they agree.
		{"/secretsmanager/get?secretId=s&versionId=01234567-89ab-cdef-0123-456789abcdef&versionStage=AWSCURRENT", "s", "01234567-89ab-cdef-0123-456789abcdef", "AWSCURRENT"},
		{"/v1/a/b%2Fc?versionStage=AWSCURRENT&refreshNow=true", "a/b/c", "", "AWSCURRENT"},
		{"/secretsmanager/get?secretId=arn%3Aaws%3Asecretsmanager%3Aus-east-1%3A1%3Asecret%3As", "arn:aws:secretsmanager:us-east-1:1:secret:s", "", ""},
	}
	for _, tt := range secrets {
		t.Run(tt.target, func(t *testing.T) {
			h, u, _ := newTestHandler(t)
			w := serve(h, request("GET", tt.target, testToken))
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d %s; want 200", w.Code, w.Body)
			}
			in := u.secretInputs()
			if len(in) != 1 {
				t.Fatalf("upstream calls = %d; want 1", len(in))
			}
			if got := aws.ToString(in[0].SecretId); got != tt.wantID {
				t.Errorf("upstream SecretId = %q; want %q", got, tt.wantID)
			}
			if got := aws.ToString(in[0].VersionId); got != tt.wantVID {
				t.Errorf("upstream VersionId = %q; want %q", got, tt.wantVID)
			}
			if got := aws.ToString(in[0].VersionStage); got != tt.wantStage {
				t.Errorf("upstream VersionStage = %q; want %q", got, tt.wantStage)
			}
		})
	}
}

func TestRefreshNowBypassesCache(t *testing.T) {
	h, u, _ := newTestHandler(t)
	for _, target := range []string{
		"/secretsmanager/get?secretId=s",
		"/secretsmanager/get?secretId=s",                 // cached
		"/secretsmanager/get?secretId=s&refreshNow=true", // upstream again
		"/secretsmanager/get?secretId=s&refreshNow=FALSE",
	} {
		if w := serve(h, request("GET", target, testToken)); w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", target, w.Code, w.Body)
		}
	}
	if got := len(u.secretInputs()); got != 2 {
		t.Errorf("upstream calls = %d; want 2 (one miss, one refreshNow)", got)
	}
}

// TestBadInput is one test per kind of bad request: each must be a 4xx that
// names what is wrong, and must not reach the upstream.
func TestBadInput(t *testing.T) {
	long := strings.Repeat("a", 2049)
	tests := []struct {
		name       string
		target     string
		wantStatus int
		wantInMsg  string
	}{
		{"missing name", "/systemsmanager/parameters/get", 400, "name: is required"},
		{"empty name", "/systemsmanager/parameters/get?name=", 400, "name: is required"},
		{"name without value", "/systemsmanager/parameters/get?name", 400, "name: is required"},
		{"missing secretId", "/secretsmanager/get", 400, "secretId: is required"},
		{"empty secretId", "/secretsmanager/get?secretId=&versionStage=AWSCURRENT", 400, "secretId: is required"},
		{"empty v1 id", "/v1/", 400, "secretId: is required"},
		{"duplicate name", "/systemsmanager/parameters/get?name=a&name=b", 400, "name: must be given at most once"},
		{"duplicate name same value", "/systemsmanager/parameters/get?name=a&name=a", 400, "name: must be given at most once"},
		{"duplicate encoded key", "/systemsmanager/parameters/get?name=a&n%61me=b", 400, "name: must be given at most once"},
		{"duplicate version", "/systemsmanager/parameters/get?name=a&version=1&version=2", 400, "version: must be given at most once"},
		{"duplicate secretId", "/secretsmanager/get?secretId=a&secretId=b", 400, "secretId: must be given at most once"},
		{"duplicate versionStage", "/secretsmanager/get?secretId=a&versionStage=X&versionStage=X", 400, "versionStage: must be given at most once"},
		{"unknown parameter", "/systemsmanager/parameters/get?name=a&foo=1", 400, `query parameter "foo": is not a query parameter`},
		{"wrong-case parameter", "/systemsmanager/parameters/get?name=a&withdecryption=true", 400, `"withdecryption"`},
		{"secret param on parameter route", "/systemsmanager/parameters/get?name=a&versionStage=X", 400, `"versionStage"`},
		{"secretId on v1 route", "/v1/a?secretId=b", 400, `"secretId"`},
		{"empty key", "/secretsmanager/get?secretId=a&=x", 400, `query parameter "": is not`},
		{"bad withDecryption", "/systemsmanager/parameters/get?name=a&withDecryption=yes", 400, `withDecryption: must be true, false, 1 or 0 (any case), got "yes"`},
		{"bad refreshNow", "/secretsmanager/get?secretId=a&refreshNow=2", 400, "refreshNow: must be true, false, 1 or 0"},
		{"version zero", "/systemsmanager/parameters/get?name=a&version=0", 400, `version: must be a positive integer, got "0"`},
		{"version negative", "/systemsmanager/parameters/get?name=a&version=-1", 400, "version: must be a positive integer"},
		{"version signed", "/systemsmanager/parameters/get?name=a&version=%2B1", 400, "version: must be a positive integer"},
		{"version word", "/systemsmanager/parameters/get?name=a&version=latest", 400, "version: must be a positive integer"},
		{"version overflow", "/systemsmanager/parameters/get?name=a&version=99999999999999999999", 400, "version: must be a positive integer"},
		{"percent ZZ in value", "/systemsmanager/parameters/get?name=%ZZ", 400, "name: has an invalid percent-encoding"},
		{"lone percent in value", "/systemsmanager/parameters/get?name=a%", 400, "name: has an invalid percent-encoding"},
		{"short percent in value", "/systemsmanager/parameters/get?name=a%2", 400, "name: has an invalid percent-encoding"},
		{"lone percent in key", "/systemsmanager/parameters/get?name=a&%=1", 400, "invalid percent-encoding"},
		{"percent ZZ in v1 query", "/v1/a?versionStage=%ZZ", 400, "versionStage: has an invalid percent-encoding"},
		{"name too long", "/systemsmanager/parameters/get?name=" + long, 400, "name: must be at most 2048 characters"},
		{"secretId too long", "/secretsmanager/get?secretId=" + long, 400, "secretId: must be at most 2048 characters"},
		{"label too long", "/systemsmanager/parameters/get?name=a&label=" + strings.Repeat("l", 101), 400, "label: must be at most 100"},
		{"control character in name", "/systemsmanager/parameters/get?name=a%00b", 400, "name: must not contain control characters"},
		{"newline in name", "/systemsmanager/parameters/get?name=a%0D%0Ab", 400, "name: must not contain control characters"},
		{"DEL in secretId", "/secretsmanager/get?secretId=a%7F", 400, "secretId: must not contain control characters"},
		{"C1 control in label", "/systemsmanager/parameters/get?name=a&label=%C2%85", 400, "label: must not contain control characters"},
		{"control character in v1 path", "/v1/a%01b", 400, "secretId: must not contain control characters"},
		{"invalid UTF-8", "/systemsmanager/parameters/get?name=%FF%FE", 400, "name: must be valid UTF-8"},
		{"short versionId", "/secretsmanager/get?secretId=a&versionId=short", 400, "versionId: must be 32 to 64 characters"},
		{"selector in name and version", "/systemsmanager/parameters/get?name=a%3A3&version=2", 400, "name: already ends in a selector"},
		{"label starting with digit", "/systemsmanager/parameters/get?name=a&label=1abc", 400, "label: must not start with a digit"},
		{"unknown path", "/systemsmanager/parameters/list?name=a", 404, "no such route"},
		{"root path", "/", 404, "no such route"},
		{"v1 without slash", "/v1", 404, "no such route"},
		{"encoded route", "/secretsmanager%2Fget?secretId=a", 404, "no such route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, u, _ := newTestHandler(t)
			w := serve(h, request("GET", tt.target, testToken))
			if w.Code != tt.wantStatus {
				t.Fatalf("GET %s = %d %s; want %d", tt.target, w.Code, w.Body, tt.wantStatus)
			}
			e := errorOf(t, w)
			if !strings.Contains(e.Message, tt.wantInMsg) {
				t.Errorf("message = %q; want it to contain %q", e.Message, tt.wantInMsg)
			}
			if n := len(u.paramInputs()) + len(u.secretInputs()); n != 0 {
				t.Errorf("upstream calls = %d; want 0 for a bad request", n)
			}
		})
	}
}

func TestErrorMessagesAreBounded(t *testing.T) {
	h, _, _ := newTestHandler(t)
	w := serve(h, request("GET", "/systemsmanager/parameters/get?name=a&"+strings.Repeat("k", 5000)+"=1", testToken))
	if w.Code != 400 {
		t.Fatalf("status = %d; want 400", w.Code)
	}
	if n := w.Body.Len(); n > 600 {
		t.Errorf("error body is %d bytes; want a bounded message", n)
	}
}

func TestMethods(t *testing.T) {
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "BREW"} {
		for _, target := range []string{"/systemsmanager/parameters/get?name=a", "/secretsmanager/get?secretId=a", "/ping", "/nowhere"} {
			t.Run(m+" "+target, func(t *testing.T) {
				h, u, _ := newTestHandler(t)
				w := serve(h, request(m, target, testToken))
				if w.Code != http.StatusMethodNotAllowed {
					t.Fatalf("%s %s = %d; want 405", m, target, w.Code)
				}
				if got := w.Header().Get("Allow"); got != "GET" {
					t.Errorf("Allow = %q; want GET", got)
				}
				if n := len(u.paramInputs()) + len(u.secretInputs()); n != 0 {
					t.Errorf("upstream calls = %d; want 0", n)
				}
			})
		}
	}
	t.Run("POST without token", func(t *testing.T) {
		h, _, _ := newTestHandler(t)
		if w := serve(h, request("POST", "/secretsmanager/get?secretId=a", "")); w.Code != http.StatusUnauthorized {
			t.Errorf("POST without token = %d; want 401 (the token is checked first)", w.Code)
		}
	})
}

func TestPing(t *testing.T) {
	h, _, _ := newTestHandler(t)
	for _, token := range []string{"", "wrong", testToken} {
		w := serve(h, request("GET", "/ping?anything=1", token))
		if w.Code != 200 || w.Body.String() != "healthy" {
			t.Errorf("GET /ping with token %q = %d %q; want 200 healthy", token, w.Code, w.Body)
		}
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		host string
		want int
	}{
		{"localhost", 200},
		{"localhost:2773", 200},
		{"LocalHost:1", 200},
		{"127.0.0.1", 200},
		{"127.0.0.1:2773", 200},
		{"[::1]", 200},
		{"[::1]:2773", 200},
		{"", 403},
		{"example.com", 403},
		{"attacker.example:2773", 403},
		{"localhost.", 403},
		{"localhost.attacker.example", 403},
		{"127.0.0.2:2773", 403},
		{"0.0.0.0:2773", 403},
		{"10.0.0.1:2773", 403},
		{"::1", 403},
		{"localhost:port", 403},
		{"localhost:123456", 403},
		{"localhost:99999", 403},
		{"localhost:65536", 403},
		{"localhost:0", 403},
		{"localhost:", 403},
		{"127.0.0.1:", 403},
		{"[::1]:", 403},
		{"[::1]:99999", 403},
		{"localhost:+80", 403},
		{"localhost:1", 200},
		{"localhost:65535", 200},
		{"LocalHost:2773", 200},
		{"[::1]x", 403},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			h, _, _ := newTestHandler(t)
			r := request("GET", "/secretsmanager/get?secretId=a", testToken)
			r.Host = tt.host
			w := serve(h, r)
			if w.Code != tt.want {
				t.Fatalf("Host %q: status = %d %s; want %d", tt.host, w.Code, w.Body, tt.want)
			}
			if tt.want == 403 {
				if e := errorOf(t, w); e.Type != "InvalidHost" {
					t.Errorf("__type = %q; want InvalidHost", e.Type)
				}
			}
		})
	}
}

func TestXForwardedFor(t *testing.T) {
	for _, v := range []string{"203.0.113.7", "127.0.0.1", ""} {
		h, u, _ := newTestHandler(t)
		r := request("GET", "/secretsmanager/get?secretId=a", testToken)
		r.Header["X-Forwarded-For"] = []string{v}
		w := serve(h, r)
		if w.Code != 400 {
			t.Fatalf("X-Forwarded-For %q: status = %d; want 400", v, w.Code)
		}
		if e := errorOf(t, w); !strings.Contains(e.Message, "X-Forwarded-For") {
			t.Errorf("message = %q; want it to name X-Forwarded-For", e.Message)
		}
		if len(u.secretInputs()) != 0 {
			t.Errorf("upstream was called")
		}
	}
}

func TestNewHandlerOptions(t *testing.T) {
	c := newCache(t, (&upstream{}).clients())
	bad := []struct {
		name string
		opts []Option
	}{
		{"no token option", nil},
		{"empty token", []Option{WithToken("")}},
		{"token with space", []Option{WithToken(" tok")}},
		{"token with newline", []Option{WithToken("tok\n")}},
		{"token with control", []Option{WithToken("to\x00k")}},
		{"both", []Option{WithToken("tok"), WithoutTokenCheck()}},
	}
	for _, tt := range bad {
		if _, err := NewHandler(c, tt.opts...); err == nil {
			t.Errorf("NewHandler(%s) = nil error; want an error", tt.name)
		}
	}
	if _, err := NewHandler(nil, WithToken("tok")); err == nil {
		t.Errorf("NewHandler(nil cache) = nil error; want an error")
	}
	if _, err := NewHandler(c, WithToken("tok"), nil, WithLogger(nil)); err != nil {
		t.Errorf("NewHandler with nil option and nil logger: %v", err)
	}
}

func TestWithoutTokenCheck(t *testing.T) {
	logs := &logbuf.Buffer{}
	h, err := NewHandler(newCache(t, (&upstream{}).clients()), WithoutTokenCheck(), WithLogger(NewLogger(logs, 0)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) || !strings.Contains(logs.String(), "token check disabled") {
		t.Errorf("logs = %q; want a WARN that the token check is disabled", logs)
	}
	if w := serve(h, request("GET", "/secretsmanager/get?secretId=a", "")); w.Code != 200 {
		t.Errorf("without token check, no token: status = %d; want 200", w.Code)
	}
	// The other checks still apply.
	r := request("GET", "/secretsmanager/get?secretId=a", "")
	r.Host = "evil.example"
	if w := serve(h, r); w.Code != 403 {
		t.Errorf("without token check, foreign Host: status = %d; want 403", w.Code)
	}
}

func TestWithRoute(t *testing.T) {
	h, _, _ := newTestHandler(t)
	extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("extra")) })
	hr, err := NewHandler(h.cache, WithToken(testToken), WithRoute("/metrics", extra))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		req    *http.Request
		status int
		body   string
	}{
		{"with token", request("GET", "/metrics", testToken), 200, "extra"},
		{"without token", request("GET", "/metrics", ""), 401, unauthorizedBody},
		{"wrong method", request("POST", "/metrics", testToken), 405, ""},
		{"another path", request("GET", "/metrics/x", testToken), 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(hr, tt.req)
			if w.Code != tt.status {
				t.Fatalf("GET /metrics = %d %q; want %d", w.Code, w.Body, tt.status)
			}
			if tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body = %q; want %q", w.Body, tt.body)
			}
		})
	}
	for _, path := range []string{"", "metrics", "/ping", "/v1/x", "/secretsmanager/get/", "/systemsmanager/parameters/get", "/parsec/v1/parameters", "/a?b", "/a b"} {
		if _, err := NewHandler(h.cache, WithToken(testToken), WithRoute(path, extra)); err == nil {
			t.Errorf("WithRoute(%q) = nil error; want one naming the rule", path)
		}
	}
	if _, err := NewHandler(h.cache, WithToken(testToken), WithRoute("/m", extra), WithRoute("/m", extra)); err == nil {
		t.Error("WithRoute twice with one path = nil error; want one")
	}
}
