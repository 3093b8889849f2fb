package httpcompat

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func newBatchHandler(t *testing.T) (*Handler, *sourcetest.Server) {
	t.Helper()
	srv := sourcetest.NewServer()
	t.Cleanup(srv.Close)
	for i := range 12 {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/b/p" + strconv.Itoa(i), Value: "v" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/b/secure", Value: "CANARY-batch", Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(newCache(t, srv.Clients()), WithToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	return h, srv
}

type batchBody struct {
	Parameters []struct {
		Name, Value string
	}
	InvalidParameters []string
}

func TestBatchRoute(t *testing.T) {
	h, srv := newBatchHandler(t)
	q := []string{}
	for i := 11; i >= 0; i-- {
		q = append(q, "name=%2Fb%2Fp"+strconv.Itoa(i))
	}
	q = append(q, "name=%2Fb%2Fmissing", "name=%2Fb%2Fp3", "name=%2Fb%2Fsecure", "withDecryption=true")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", routeBatch+"?"+strings.Join(q, "&"), testToken))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s; body %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	var body batchBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Parameters) != 13 || len(body.InvalidParameters) != 1 || body.InvalidParameters[0] != "/b/missing" {
		t.Fatalf("got %d parameters, invalid %q; want 13 and [/b/missing]", len(body.Parameters), body.InvalidParameters)
	}
	for i := range 12 {
		if want := "v" + strconv.Itoa(11-i); body.Parameters[i].Value != want {
			t.Errorf("Parameters[%d] = %q; want %q (request order)", i, body.Parameters[i].Value, want)
		}
	}
	if body.Parameters[12].Value != "CANARY-batch" {
		t.Errorf("SecureString with withDecryption=true = %q", body.Parameters[12].Value)
	}
	if n := srv.Calls("GetParameters"); n != 2 {
		t.Errorf("GetParameters calls = %d; want 2 for 14 distinct names", n)
	}
	// The cache now answers single reads of the same names.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", routeParameter+"?name=%2Fb%2Fp5&withDecryption=true", testToken))
	if w.Code != http.StatusOK || srv.Calls("GetParameter") != 0 {
		t.Errorf("single read after the batch: status %d, %d GetParameter calls; want a hit", w.Code, srv.Calls("GetParameter"))
	}
}

func TestBatchRouteBadInput(t *testing.T) {
	h, _ := newBatchHandler(t)
	many := strings.Repeat("name=a&", maxBatchNames+1)
	tests := []struct {
		name, target, token string
		status              int
		mention             string
	}{
		{"no token", routeBatch + "?name=a", "", http.StatusUnauthorized, "bad session token"},
		{"no name", routeBatch, testToken, http.StatusBadRequest, "name"},
		{"empty name", routeBatch + "?name=", testToken, http.StatusBadRequest, "name"},
		{"unknown parameter", routeBatch + "?name=a&version=1", testToken, http.StatusBadRequest, "version"},
		{"withDecryption twice", routeBatch + "?name=a&withDecryption=true&withDecryption=false", testToken, http.StatusBadRequest, "withDecryption"},
		{"bad withDecryption", routeBatch + "?name=a&withDecryption=yes", testToken, http.StatusBadRequest, "withDecryption"},
		{"too many names", routeBatch + "?" + many, testToken, http.StatusBadRequest, "at most 100"},
		{"bad encoding", routeBatch + "?name=%ZZ", testToken, http.StatusBadRequest, "percent-encoding"},
		{"reference without decryption", routeBatch + "?name=%2Fb%2Fp1&name=%2Faws%2Freference%2Fsecretsmanager%2Fs", testToken, http.StatusBadRequest, "withDecryption"},
		{"invalid name", routeBatch + "?name=a%3A1&name=" + strings.Repeat("x", 2100), testToken, http.StatusBadRequest, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, request("GET", tt.target, tt.token))
			// The message is the body (401, a bad query) or, for what the
			// extension would have sent upstream, the header.
			msg := w.Body.String() + " " + w.Header().Get(ErrorMessageHeader)
			if w.Code != tt.status || !strings.Contains(msg, tt.mention) {
				t.Errorf("GET %.80s = %d %s; want %d mentioning %q", tt.target, w.Code, msg, tt.status, tt.mention)
			}
		})
	}
}

// TestBatchRouteThrottled: an upstream failure other than not-found fails
// the request with its status. The cache retries a throttled chunk with
// jittered backoff until the load's 10 s timeout; in a synctest bubble over
// the in-memory fake that takes no real time, and the answer is always 429.
func TestBatchRouteThrottled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		t.Cleanup(srv.Close)
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/b/p1", Value: "v1"}); err != nil {
			t.Fatal(err)
		}
		h, err := NewHandler(newCache(t, srv.InMemoryClients()), WithToken(testToken))
		if err != nil {
			t.Fatal(err)
		}
		remove := srv.Inject(sourcetest.Fault{Op: "GetParameters", Code: "ThrottlingException"})
		defer remove()
		start := time.Now()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request("GET", routeBatch+"?name=%2Fb%2Fp1&name=%2Fb%2Fp2", testToken))
		if w.Code != http.StatusTooManyRequests || w.Header().Get(ErrorTypeHeader) != "ThrottlingException" {
			t.Errorf("throttled batch = %d %s %s; want 429 ThrottlingException", w.Code, w.Header().Get(ErrorTypeHeader), w.Body)
		}
		t.Logf("answered after %v of fake time, %d GetParameters calls", time.Since(start), srv.Calls("GetParameters"))
	})
}

// TestBatchRouteStaleWhenDown: with the upstream refusing connections, the
// batch route answers 200 with the stale values single reads of the same
// names get, and fails at once, not after the load timeout (before: 429/502
// after 10 s), when an item has no value in memory.
func TestBatchRouteStaleWhenDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		t.Cleanup(srv.Close)
		for _, n := range []string{"1", "2", "3"} {
			if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/b/p" + n, Value: "v" + n}); err != nil {
				t.Fatal(err)
			}
		}
		c := newCache(t, srv.InMemoryClients(), cache.WithTTL(time.Second), cache.WithMaxStale(time.Minute),
			cache.WithLogger(slog.New(slog.DiscardHandler)))
		h, err := NewHandler(c, WithToken(testToken))
		if err != nil {
			t.Fatal(err)
		}
		two := routeBatch + "?name=%2Fb%2Fp1&name=%2Fb%2Fp2"
		if w := serve(h, request("GET", two, testToken)); w.Code != http.StatusOK {
			t.Fatalf("warm batch = %d %s", w.Code, w.Body)
		}
		timer := time.NewTimer(2 * time.Second) // past the TTL
		<-timer.C
		srv.SetDown(true)
		start := time.Now()
		w := serve(h, request("GET", two, testToken))
		var body batchBody
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &body) != nil || len(body.Parameters) != 2 ||
			body.Parameters[0].Value != "v1" || body.Parameters[1].Value != "v2" {
			t.Errorf("batch of stale values with the upstream down = %d %s; want 200 with v1 and v2", w.Code, w.Body)
		}
		if w := serve(h, request("GET", "/systemsmanager/parameters/get?name=%2Fb%2Fp1", testToken)); w.Code != http.StatusOK {
			t.Errorf("single read of the same name = %d %s; want 200", w.Code, w.Body)
		}
		w = serve(h, request("GET", two+"&name=%2Fb%2Fp3", testToken))
		if w.Code == http.StatusOK || time.Since(start) != 0 {
			t.Errorf("batch with an item never loaded = %d after %v; want an error at once", w.Code, time.Since(start))
		}
	})
}
