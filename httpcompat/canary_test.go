package httpcompat

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/logbuf"
)

// TestCanary stores a secret whose value is a canary, drives every error
// path of the handler and the server with logging at DEBUG (handler, server
// and cache into one buffer), and checks that neither the canary nor the
// token appears in any log line or error body.
func TestCanary(t *testing.T) {
	const canary = "CANARY-8c1f0e5a-4b7d-4f3e-9a61-2d0c7b9e1f44"
	logs := &logbuf.Buffer{}
	log := NewLogger(logs, slog.LevelDebug)
	u := &upstream{canary: canary}
	c := newCache(t, u.clients(), cache.WithLogger(log))
	h, err := NewHandler(c, WithToken(testToken), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}

	// The value is served where it should be.
	if w := serve(h, request("GET", "/secretsmanager/get?secretId=canary", testToken)); w.Code != 200 || !strings.Contains(w.Body.String(), canary) {
		t.Fatalf("reading the canary = %d; want 200 with the value", w.Code)
	}

	// token "" means the right one; "-" means none.
	type call struct {
		method, target, token, host string
		header                      map[string]string
	}
	calls := []call{
		{target: "/secretsmanager/get?secretId=canary", token: "-"},
		{target: "/secretsmanager/get?secretId=canary", token: "wrong-" + testToken},
		{target: "/secretsmanager/get?secretId=canary", token: canary},
		{target: "/secretsmanager/get?secretId=canary", token: " " + testToken + " "},
		{target: "/secretsmanager/get?secretId=canary", token: "-", header: map[string]string{VaultTokenHeader: testToken + "0"}},
		{target: "/secretsmanager/get?secretId=canary", host: "evil.example"},
		{target: "/secretsmanager/get?secretId=canary", header: map[string]string{"X-Forwarded-For": "203.0.113.5"}},
		{method: "POST", target: "/secretsmanager/get?secretId=canary"},
		{method: "DELETE", target: "/v1/canary"},
		{target: "/nowhere?secretId=canary"},
		{target: "/secretsmanager/get?secretId=canary&secretId=canary"},
		{target: "/secretsmanager/get?secretId=canary&unknown=1"},
		{target: "/secretsmanager/get?secretId=canary&versionId=short"},
		{target: "/secretsmanager/get?secretId=canary&versionStage=%ZZ"},
		{target: "/secretsmanager/get?secretId=canary&refreshNow=maybe"},
		{target: "/secretsmanager/get?secretId=canary%00"},
		{target: "/v1/canary?versionStage=" + strings.Repeat("s", 300)},
		{target: "/systemsmanager/parameters/get?name=canary&version=0"},
		{target: "/systemsmanager/parameters/get?name=%2Fa&label=1x"},
		{target: "/secretsmanager/get"},
	}
	for _, code := range []string{"ParameterNotFound", "ParameterVersionNotFound", "AccessDeniedException", "ValidationException",
		"ThrottlingException", "InternalServerError", "timeout", "unreachable", "panic", "canceled", "DecryptionFailure"} {
		calls = append(calls,
			call{target: "/systemsmanager/parameters/get?name=fail%2F" + code + "&withDecryption=true"},
			call{target: "/secretsmanager/get?secretId=fail%2F" + code},
			call{target: "/v1/fail/" + code + "?refreshNow=true"})
	}
	// A refresh that fails while the canary is cached.
	calls = append(calls, call{target: "/secretsmanager/get?secretId=canary&refreshNow=true"})

	headers := 0
	for _, cl := range calls {
		method := cl.method
		if method == "" {
			method = "GET"
		}
		token := cl.token
		switch token {
		case "":
			token = testToken
		case "-":
			token = ""
		}
		r := request(method, cl.target, token)
		if cl.host != "" {
			r.Host = cl.host
		}
		for k, v := range cl.header {
			r.Header.Set(k, v)
		}
		w := serve(h, r)
		if w.Code == 200 {
			continue // the value itself, where the request was right
		}
		body := w.Body.String()
		if strings.Contains(body, canary) || strings.Contains(body, testToken) {
			t.Errorf("%s %s: error body %q holds the canary or the token", method, cl.target, body)
		}
		if w.Header().Get(ErrorMessageHeader) == "" {
			t.Errorf("%s %s = %d without %s", method, cl.target, w.Code, ErrorMessageHeader)
		}
		for k, vs := range w.Header() {
			for _, v := range vs {
				if strings.Contains(v, canary) || strings.Contains(v, testToken) {
					t.Errorf("%s %s: header %s: %q holds the canary or the token", method, cl.target, k, v)
				}
			}
		}
		headers++
	}
	if headers == 0 {
		t.Fatal("no error reply checked")
	}

	// The server's own paths: 429 and connection errors, logged too.
	blocked := make(chan struct{})
	entered := make(chan struct{})
	u.onSecret = func(id string) {
		if id == "slow" {
			close(entered)
			<-blocked
		}
	}
	s := listen(t, h, WithMaxConcurrent(1), WithLogger(log))
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("GET", s.URL()+"/secretsmanager/get?secretId=slow", nil)
		req.Header.Set(TokenHeader, testToken)
		req.Close = true
		if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	resp, body := raw(t, s.Addr(), "GET /secretsmanager/get?secretId=canary HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Aws-Parameters-Secrets-Token: "+testToken+"\r\n\r\n")
	if resp.StatusCode != http.StatusTooManyRequests || strings.Contains(body, canary) || resp.Header.Get(ErrorMessageHeader) == "" {
		t.Errorf("over the limit = %d %q %v; want 429 without the value, with %s", resp.StatusCode, body, resp.Header, ErrorMessageHeader)
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			if strings.Contains(v, canary) || strings.Contains(v, testToken) {
				t.Errorf("429 header %s: %q holds the canary or the token", k, v)
			}
		}
	}
	close(blocked)
	<-done
	raw(t, s.Addr(), "GET /v1/canary?x=%ZZ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Aws-Parameters-Secrets-Token: "+canary+"\r\n\r\n")
	raw(t, s.Addr(), "HELLO "+testToken+"\r\n\r\n")

	out := logs.String()
	if out == "" {
		t.Fatal("nothing was logged at DEBUG")
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, canary) {
			t.Errorf("log line holds the canary: %s", line)
		}
		if strings.Contains(line, testToken) {
			t.Errorf("log line holds the token: %s", line)
		}
	}
	t.Logf("%d log lines checked", strings.Count(out, "\n"))
}
