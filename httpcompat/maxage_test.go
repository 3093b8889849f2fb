package httpcompat

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// maxAgeRoute is one read route that takes maxAgeSeconds, over the
// sourcetest fake: how to write its value upstream, which operation it
// calls, and how to read the value back from a 200 body.
type maxAgeRoute struct {
	name   string
	target string
	op     string
	put    func(t *testing.T, srv *sourcetest.Server, v string)
	value  func(t *testing.T, body []byte) string
}

func putParams(names ...string) func(*testing.T, *sourcetest.Server, string) {
	return func(t *testing.T, srv *sourcetest.Server, v string) {
		t.Helper()
		for _, n := range names {
			if _, err := srv.PutParameter(sourcetest.Parameter{Name: n, Value: v}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func putSecret(t *testing.T, srv *sourcetest.Server, v string) {
	t.Helper()
	_, err := srv.PutSecretValue("m/s", sourcetest.SecretVersion{String: aws.String(v)})
	if err != nil && strings.Contains(err.Error(), "ResourceNotFound") {
		_, err = srv.CreateSecret(sourcetest.Secret{Name: "m/s"}, sourcetest.SecretVersion{String: aws.String(v)})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func parameterValue(t *testing.T, body []byte) string {
	t.Helper()
	var out ssm.GetParameterOutput
	if err := json.Unmarshal(body, &out); err != nil || out.Parameter == nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return aws.ToString(out.Parameter.Value)
}

func secretString(t *testing.T, body []byte) string {
	t.Helper()
	var out secretsmanager.GetSecretValueOutput
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	return aws.ToString(out.SecretString)
}

// batchValues is the batch's values joined with ",": one value when every
// name has the same.
func batchValues(t *testing.T, body []byte) string {
	t.Helper()
	var out batchBody
	if err := json.Unmarshal(body, &out); err != nil || len(out.Parameters) == 0 {
		t.Fatalf("body %s: %v", body, err)
	}
	vs := map[string]bool{}
	for _, p := range out.Parameters {
		vs[p.Value] = true
	}
	if len(vs) != 1 {
		t.Fatalf("batch values %+v; want one value for every name", out.Parameters)
	}
	return out.Parameters[0].Value
}

var maxAgeRoutes = []maxAgeRoute{
	{"parameter", routeParameter + "?name=%2Fm%2Fp", "GetParameter", putParams("/m/p"), parameterValue},
	{"secret", routeSecret + "?secretId=m%2Fs", "GetSecretValue", putSecret, secretString},
	{"v1", routeV1 + "m/s", "GetSecretValue", putSecret, secretString},
	{"batch", routeBatch + "?name=%2Fm%2Fp&name=%2Fm%2Fq", "GetParameters", putParams("/m/p", "/m/q"), batchValues},
}

// withQuery appends q to target's query.
func withQuery(target, q string) string {
	if q == "" {
		return target
	}
	if strings.Contains(target, "?") {
		return target + "&" + q
	}
	return target + "?" + q
}

// newMaxAgeHandler returns a handler over a cache with the default TTL
// (300 s) reading the in-memory fake srv, which holds v1 for rt.
func newMaxAgeHandler(t *testing.T, rt maxAgeRoute, opts ...Option) (*Handler, *sourcetest.Server) {
	t.Helper()
	srv := sourcetest.NewInMemory()
	t.Cleanup(srv.Close)
	rt.put(t, srv, "v1")
	h, err := NewHandler(newCache(t, srv.InMemoryClients()), append([]Option{WithToken(testToken)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h, srv
}

// TestMaxAgeSeconds: a value cached at t=0 with the default TTL is, at
// t=10 s, a hit for maxAgeSeconds=60 and for a read without the parameter,
// and reloaded with one upstream call for maxAgeSeconds=5, which returns
// the new value; the reloaded entry then serves the others. The bodies are
// the ones a read without the parameter gets.
func TestMaxAgeSeconds(t *testing.T) {
	for _, rt := range maxAgeRoutes {
		t.Run(rt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, srv := newMaxAgeHandler(t, rt)
				steps := []struct {
					at        time.Duration // since the first read
					query     string
					wantValue string
					wantCalls int // upstream calls so far
				}{
					{0, "", "v1", 1},
					{10 * time.Second, "maxAgeSeconds=60", "v1", 1},
					{10 * time.Second, "maxAgeSeconds=5", "v2", 2},
					{10 * time.Second, "maxAgeSeconds=60", "v2", 2},
					{10 * time.Second, "maxAgeSeconds=5", "v2", 2},
					{10 * time.Second, "", "v2", 2},
					{14 * time.Second, "maxAgeSeconds=5", "v2", 2},
					{16 * time.Second, "maxAgeSeconds=5", "v2", 3}, // 6 s old: reloaded
				}
				start := time.Now()
				for i, st := range steps {
					wait(time.Until(start.Add(st.at)))
					if i == 1 {
						rt.put(t, srv, "v2") // changed upstream after the first read
					}
					target := withQuery(rt.target, st.query)
					w := serve(h, request("GET", target, testToken))
					if w.Code != http.StatusOK {
						t.Fatalf("t=%v GET %s = %d %s; want 200", st.at, target, w.Code, w.Body)
					}
					if got := rt.value(t, w.Body.Bytes()); got != st.wantValue {
						t.Errorf("t=%v GET %s value = %q; want %q", st.at, target, got, st.wantValue)
					}
					if got := srv.Calls(rt.op); got != st.wantCalls {
						t.Errorf("t=%v GET %s: %s calls = %d; want %d", st.at, target, rt.op, got, st.wantCalls)
					}
				}
				// A read with the parameter gets the bytes of one without.
				a := serve(h, request("GET", withQuery(rt.target, "maxAgeSeconds=60"), testToken))
				b := serve(h, request("GET", rt.target, testToken))
				if a.Body.String() != b.Body.String() || a.Header().Get("Content-Type") != b.Header().Get("Content-Type") {
					t.Errorf("with maxAgeSeconds=60: %s %s; without: %s %s; want the same reply",
						a.Header().Get("Content-Type"), a.Body, b.Header().Get("Content-Type"), b.Body)
				}
			})
		})
	}
}

// TestMaxAgeSecondsZero: maxAgeSeconds=0 asks for a value fetched after
// the request arrived, so it reloads an entry of any age, every time the
// clock has moved, while a read without it stays a hit.
func TestMaxAgeSecondsZero(t *testing.T) {
	for _, rt := range maxAgeRoutes {
		t.Run(rt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, srv := newMaxAgeHandler(t, rt)
				get := func(q string) string {
					t.Helper()
					w := serve(h, request("GET", withQuery(rt.target, q), testToken))
					if w.Code != http.StatusOK {
						t.Fatalf("GET %s = %d %s; want 200", withQuery(rt.target, q), w.Code, w.Body)
					}
					return rt.value(t, w.Body.Bytes())
				}
				get("")
				wait(time.Millisecond)
				rt.put(t, srv, "v2")
				if got, n := get(""), srv.Calls(rt.op); got != "v1" || n != 1 {
					t.Fatalf("at 1 ms without maxAgeSeconds: %q after %d calls; want a hit on v1", got, n)
				}
				if got, n := get("maxAgeSeconds=0"), srv.Calls(rt.op); got != "v2" || n != 2 {
					t.Errorf("at 1 ms with maxAgeSeconds=0: %q after %d %s calls; want v2 after 2", got, n, rt.op)
				}
				wait(time.Microsecond)
				rt.put(t, srv, "v3")
				if got, n := get("maxAgeSeconds=0"), srv.Calls(rt.op); got != "v3" || n != 3 {
					t.Errorf("1 µs later with maxAgeSeconds=0: %q after %d %s calls; want v3 after 3", got, n, rt.op)
				}
			})
		})
	}
}

// TestMaxAgeSecondsCoalesced: concurrent reads of an old entry with
// maxAgeSeconds (5 and 0 mixed) share one upstream call, which the fake
// holds for 100 ms (less than the cache's stale wait, after which a reader
// would get the entry in memory), and all get its value. The batch route is
// left out: concurrent batch reads do not share calls (see
// [cache.Cache.Parameters]).
func TestMaxAgeSecondsCoalesced(t *testing.T) {
	const readers = 16
	for _, rt := range maxAgeRoutes {
		if rt.name == "batch" {
			continue
		}
		t.Run(rt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h, srv := newMaxAgeHandler(t, rt)
				if w := serve(h, request("GET", rt.target, testToken)); w.Code != http.StatusOK {
					t.Fatalf("GET %s = %d %s", rt.target, w.Code, w.Body)
				}
				wait(10 * time.Second)
				rt.put(t, srv, "v2")
				srv.Inject(sourcetest.Fault{Op: rt.op, Latency: 100 * time.Millisecond})
				var wg sync.WaitGroup
				got := make([]string, readers)
				for i := range readers {
					q := "maxAgeSeconds=5"
					if i%2 == 1 {
						q = "maxAgeSeconds=0"
					}
					wg.Go(func() {
						w := serve(h, request("GET", withQuery(rt.target, q), testToken))
						if w.Code != http.StatusOK {
							t.Errorf("GET %s = %d %s", withQuery(rt.target, q), w.Code, w.Body)
							return
						}
						got[i] = rt.value(t, w.Body.Bytes())
					})
				}
				wg.Wait()
				if n := srv.Calls(rt.op); n != 2 {
					t.Errorf("%s calls = %d; want 2 (the first read, then one for %d concurrent reads)", rt.op, n, readers)
				}
				if n := h.cache.Stats().Coalesced; n != readers-1 {
					t.Errorf("coalesced reads = %d; want %d", n, readers-1)
				}
				for i, v := range got {
					if v != "v2" {
						t.Errorf("reader %d got %q; want v2", i, v)
					}
				}
			})
		})
	}
}

// TestMaxAgeSecondsInvalid: every malformed maxAgeSeconds is a 400 naming
// the parameter and its rule, as other invalid query values are (plain
// text by default, JSON with WithJSONErrors, the message in
// X-Parsec-Error-Message either way), on every route, with no upstream
// call.
func TestMaxAgeSecondsInvalid(t *testing.T) {
	rule := "maxAgeSeconds: " + ruleMaxAge
	tests := []struct {
		name, query, want string
	}{
		{"empty", "maxAgeSeconds=", rule + `, got ""`},
		{"without =", "maxAgeSeconds", rule + `, got ""`},
		{"minus", "maxAgeSeconds=-5", rule + `, got "-5"`},
		{"plus", "maxAgeSeconds=%2B5", rule + `, got "+5"`},
		{"raw plus (a space)", "maxAgeSeconds=+5", rule + `, got " 5"`},
		{"fraction", "maxAgeSeconds=1.5", rule + `, got "1.5"`},
		{"unit s", "maxAgeSeconds=5s", rule + `, got "5s"`},
		{"unit m", "maxAgeSeconds=1m", rule + `, got "1m"`},
		{"hex", "maxAgeSeconds=0x10", rule + `, got "0x10"`},
		{"exponent", "maxAgeSeconds=1e3", rule + `, got "1e3"`},
		{"word", "maxAgeSeconds=forever", rule + `, got "forever"`},
		{"one past a year", "maxAgeSeconds=31536001", rule + `, got "31536001"`},
		{"int64 overflow", "maxAgeSeconds=99999999999999999999", rule + `, got "99999999999999999999"`},
		{"twice", "maxAgeSeconds=5&maxAgeSeconds=5", "maxAgeSeconds: " + ruleDup},
		{"twice, one empty", "maxAgeSeconds=&maxAgeSeconds=5", "maxAgeSeconds: " + ruleDup},
		{"wrong case", "maxageseconds=5", `query parameter "maxageseconds": ` + ruleUnknown},
	}
	for _, rt := range maxAgeRoutes {
		for _, jsonErrors := range []bool{false, true} {
			var opts []Option
			wantType := "text/plain"
			if jsonErrors {
				opts, wantType = []Option{WithJSONErrors()}, "application/json"
			}
			h, srv := newMaxAgeHandler(t, rt, opts...)
			for _, tt := range tests {
				t.Run(rt.name+"/"+wantType+"/"+tt.name, func(t *testing.T) {
					target := withQuery(rt.target, tt.query)
					w := serve(h, request("GET", target, testToken))
					if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != wantType {
						t.Fatalf("GET %s = %d %s %s; want 400 %s", target, w.Code, w.Header().Get("Content-Type"), w.Body, wantType)
					}
					e := errorOf(t, w)
					if e.Type != "ValidationException" || !strings.Contains(e.Message, tt.want) {
						t.Errorf("GET %s: %s %q; want ValidationException containing %q", target, e.Type, e.Message, tt.want)
					}
					if !jsonErrors && w.Body.String() != e.Message {
						t.Errorf("GET %s body = %q; want the message %q", target, w.Body, e.Message)
					}
					if n := srv.Calls(""); n != 0 {
						t.Errorf("GET %s: upstream calls = %d; want 0", target, n)
					}
				})
			}
		}
	}
}

// TestMaxAgeSecondsQuery: the values the rule accepts and the MaxAge each
// becomes, on every route's query parser.
func TestMaxAgeSecondsQuery(t *testing.T) {
	tests := []struct {
		query string
		want  time.Duration
	}{
		{"", 0},
		{"maxAgeSeconds=0", time.Nanosecond},
		{"maxAgeSeconds=00", time.Nanosecond},
		{"maxAgeSeconds=1", time.Second},
		{"maxAgeSeconds=007", 7 * time.Second},
		{"maxAgeSeconds=300", 5 * time.Minute},
		{"maxAgeSeconds=31536000", 365 * 24 * time.Hour},
	}
	for _, tt := range tests {
		params, err := parseQuery(strings.TrimSuffix("name=a&"+tt.query, "&"))
		if err != nil {
			t.Fatal(err)
		}
		p, err := parameterQuery(params)
		if err != nil || p.MaxAge != tt.want {
			t.Errorf("parameterQuery(%q).MaxAge = %v, %v; want %v", tt.query, p.MaxAge, err, tt.want)
		}
		b, err := batchQuery(append(params, param{"name", "b"}))
		if err != nil || len(b) != 2 || b[0].MaxAge != tt.want || b[1].MaxAge != tt.want {
			t.Errorf("batchQuery(%q) = %+v, %v; want MaxAge %v on every item", tt.query, b, err, tt.want)
		}
		params, err = parseQuery(strings.TrimSuffix("secretId=a&"+tt.query, "&"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := secretQuery(params, "")
		if err != nil || s.MaxAge != tt.want {
			t.Errorf("secretQuery(%q).MaxAge = %v, %v; want %v", tt.query, s.MaxAge, err, tt.want)
		}
		s, err = secretQuery(params[1:], "a")
		if err != nil || s.MaxAge != tt.want {
			t.Errorf("secretQuery(%q, \"a\").MaxAge = %v, %v; want %v", tt.query, s.MaxAge, err, tt.want)
		}
	}
}
