package httpcompat

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parsec-go/parsec/cache"
)

// TestOverloadedSaysWhichLimit: a read refused because the cache's loads
// are at their bound (no upstream call made) is a 429 whose body says so,
// not that the upstream service throttled it; a throttled read keeps the
// throttling text.
func TestOverloadedSaysWhichLimit(t *testing.T) {
	u := &upstream{}
	entered, release := make(chan struct{}), make(chan struct{})
	u.onParam = func(name string) {
		if name == "/slow" {
			close(entered)
			<-release
		}
	}
	h, err := NewHandler(newCache(t, u.clients(), cache.WithMaxLoads(1)), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(h, request(http.MethodGet, "/systemsmanager/parameters/get?name=%2Fslow", testToken))
	}()
	<-entered
	w := serve(h, request(http.MethodGet, "/systemsmanager/parameters/get?name=%2Fother", testToken))
	close(release)
	<-done
	if w.Code != http.StatusTooManyRequests || w.Body.String() != overloadedBody {
		t.Errorf("a read beyond WithMaxLoads(1) = %d %q; want 429 %q", w.Code, w.Body, overloadedBody)
	}
	if strings.Contains(w.Body.String(), "throttled") {
		t.Errorf("the body says the upstream throttled a read that made no call: %q", w.Body)
	}
	w = serve(h, request(http.MethodGet, "/systemsmanager/parameters/get?name=fail%2FThrottlingException", testToken))
	if w.Code != http.StatusTooManyRequests || w.Body.String() != throttledBody {
		t.Errorf("a throttled read = %d %q; want 429 %q", w.Code, w.Body, throttledBody)
	}
}
