package httpcompat

import (
	"strings"
	"testing"
)

// X-Parsec-Error-Message carries AWS's message once (issue 23: it read
// "…not found.: Parameter /app/dev/nope not found.").
func TestErrorMessageOnce(t *testing.T) {
	for _, target := range []string{
		"/systemsmanager/parameters/get?name=fail%2FParameterNotFound",
		"/secretsmanager/get?secretId=fail%2FResourceNotFoundException",
		"/systemsmanager/parameters/get?name=fail%2FInternalServerError",
	} {
		h, _, _ := newTestHandler(t)
		w := serve(h, request("GET", target, testToken))
		msg := w.Header().Get(ErrorMessageHeader)
		if n := strings.Count(msg, "injected "); n != 1 {
			t.Errorf("GET %s: %s = %q holds AWS's message %d times; want once", target, ErrorMessageHeader, msg, n)
		}
	}
}

// A '?' where '&' was meant is refused locally, naming the fix, rather
// than sent upstream as part of the name (issue 23).
func TestQuestionMarkInName(t *testing.T) {
	for _, tt := range []struct{ target, field, fix string }{
		{"/systemsmanager/parameters/get?name=%2Fapp%2Fkey?version=2", "name", `"&version=2"`},
		{"/systemsmanager/parameters/get?name=/app/key?withDecryption=true", "name", `"&withDecryption=true"`},
		{"/secretsmanager/get?secretId=app/db?versionStage=AWSPREVIOUS", "secretId", `"&versionStage=AWSPREVIOUS"`},
		{routeBatch + "?name=a&name=b?withDecryption=true", "name", `"&withDecryption=true"`},
	} {
		h, u, _ := newTestHandler(t)
		w := serve(h, request("GET", tt.target, testToken))
		body := w.Body.String()
		if w.Code != 400 || !strings.HasPrefix(body, tt.field+": ") || !strings.Contains(body, "did you mean "+tt.fix) {
			t.Errorf("GET %s = %d %q; want 400 naming %s and suggesting %s", tt.target, w.Code, body, tt.field, tt.fix)
		}
		if n := len(u.paramInputs()) + len(u.secretInputs()); n != 0 {
			t.Errorf("GET %s made %d upstream calls; want 0", tt.target, n)
		}
	}
}
