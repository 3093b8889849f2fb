package cache_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func newFakeCache(t testing.TB, srvOpts []sourcetest.Option, opts ...cache.Option) (*sourcetest.Server, *cache.Cache) {
	t.Helper()
	srv := sourcetest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	c, err := cache.New(srv.Clients(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func seedParams(t testing.TB, srv *sourcetest.Server, n int) []cache.ParameterRequest {
	t.Helper()
	reqs := make([]cache.ParameterRequest, n)
	for i := range n {
		name := "/app/p" + strconv.Itoa(i)
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: name, Value: "value-" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
		reqs[i] = cache.ParameterRequest{Name: name}
	}
	return reqs
}

func TestParametersBatchesInRequestOrder(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	reqs := seedParams(t, srv, 25)
	// More than ten names: every chunk's results come back (Powertools once
	// returned only the last chunk), in request order, with a missing name
	// and a duplicate mixed in.
	reqs = append(reqs, cache.ParameterRequest{Name: "/app/missing"}, cache.ParameterRequest{Name: "/app/p3"})
	ctx := context.Background()
	got, err := c.Parameters(ctx, reqs)
	var be *cache.BatchError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].Index != 25 || be.Items[0].Name != "/app/missing" || !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Parameters error = %v; want one ErrNotFound item for /app/missing at 25", err)
	}
	for i := range 25 {
		if want := "value-" + strconv.Itoa(i); got[i].Value() != want {
			t.Errorf("Parameters()[%d].Value() = %q; want %q", i, got[i].Value(), want)
		}
	}
	if got[26].Value() != "value-3" || got[25].Value() != "" {
		t.Errorf("duplicate = %q, missing = %q; want value-3 and empty", got[26].Value(), got[25].Value())
	}
	if n := srv.Calls("GetParameters"); n != 3 {
		t.Errorf("GetParameters calls = %d; want 3 for 26 distinct names", n)
	}
	// Later single reads hit.
	loads := c.Stats().Loads
	for _, r := range reqs[:25] {
		if _, err := c.Parameter(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/missing"}); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("single read of the missing name = %v; want the remembered ErrNotFound", err)
	}
	if c.Stats().Loads != loads || srv.Calls("GetParameter") != 0 {
		t.Errorf("single reads after the batch made upstream calls: loads %d→%d, GetParameter %d", loads, c.Stats().Loads, srv.Calls("GetParameter"))
	}
}

func TestParametersSelectorsAndDecryption(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/s", Value: "one", Type: "SecureString", Labels: []string{"old"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/s", Value: "two", Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
	reqs := []cache.ParameterRequest{
		{Name: "/s", WithDecryption: true},
		{Name: "/s", WithDecryption: true, Version: 1},
		{Name: "/s", WithDecryption: true, Label: "old"},
		{Name: "/s"},
		{Name: "s-without-slash", Version: 1, Label: "x"}, // invalid: both selectors
	}
	got, err := c.Parameters(context.Background(), reqs)
	var re *cache.RequestError
	if !errors.As(err, &re) || re.Field != "version" {
		t.Fatalf("error = %v; want a RequestError for the invalid item", err)
	}
	want := []string{"two", "one", "one"}
	for i, w := range want {
		if got[i].Value() != w {
			t.Errorf("[%d] = %q; want %q", i, got[i].Value(), w)
		}
	}
	if got[3].Value() == "two" || got[3].Value() == "" {
		t.Errorf("without decryption = %q; want the ciphertext", got[3].Value())
	}
	if got[1].Selector != ":1" || got[2].Selector != ":old" {
		t.Errorf("selectors %q %q; want :1 :old", got[1].Selector, got[2].Selector)
	}
	if n := srv.Calls("GetParameters"); n != 2 {
		t.Errorf("GetParameters calls = %d; want 2 (with and without decryption)", n)
	}
}

func TestParametersWithoutBatchClientReadsOneByOne(t *testing.T) {
	srv := sourcetest.NewServer()
	defer srv.Close()
	reqs := seedParams(t, srv, 3)
	cl := srv.Clients()
	cl.Parameters = nil
	c, err := cache.New(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Parameters(context.Background(), reqs)
	if err != nil || got[2].Value() != "value-2" || srv.Calls("GetParameter") != 3 {
		t.Fatalf("got %v, %v, %d GetParameter calls; want 3 single reads", got, err, srv.Calls("GetParameter"))
	}
}

func TestParametersByPath(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	for i := range 23 {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/svc/a/k" + strconv.Itoa(i), Value: "v" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/svc/a/deep/x", Value: "deep"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	all, err := c.ParametersByPath(ctx, cache.PathRequest{Path: "/svc/a", Recursive: true, WithDecryption: true})
	if err != nil || len(all) != 24 {
		t.Fatalf("recursive = %d params, %v; want 24", len(all), err)
	}
	flat, err := c.ParametersByPath(ctx, cache.PathRequest{Path: "/svc/a", WithDecryption: true})
	if err != nil || len(flat) != 23 {
		t.Fatalf("one level = %d params, %v; want 23", len(flat), err)
	}
	pages := srv.Calls("GetParametersByPath")
	if pages != 6 { // 24 in pages of 10, 23 in pages of 10
		t.Errorf("GetParametersByPath calls = %d; want 6", pages)
	}
	// Cached: the listing and every single name.
	all[0].Name = "changed by the caller"
	again, _ := c.ParametersByPath(ctx, cache.PathRequest{Path: "/svc/a", Recursive: true, WithDecryption: true})
	if p, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/svc/a/deep/x", WithDecryption: true}); err != nil || p.Value() != "deep" {
		t.Errorf("single read after the path = %q, %v", p.Value(), err)
	}
	if srv.Calls("GetParametersByPath") != pages || srv.Calls("GetParameter") != 0 || again[0].Value() == "changed by the caller" {
		t.Errorf("path and single reads after the listing were not hits, or a caller changed the cache")
	}
	for _, bad := range []string{"svc/a", "", "/a\x01"} {
		_, err := c.ParametersByPath(ctx, cache.PathRequest{Path: bad})
		var re *cache.RequestError
		if !errors.As(err, &re) || re.Field != "path" {
			t.Errorf("ParametersByPath(%q) = %v; want a RequestError for path", bad, err)
		}
	}
}

func TestSecretsBatch(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	for _, n := range []string{"a", "b", "c"} {
		v := "pw-" + n
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: n}, sourcetest.SecretVersion{String: &v}); err != nil {
			t.Fatal(err)
		}
	}
	v2 := "pw-a2"
	if _, err := srv.PutSecretValue("a", sourcetest.SecretVersion{String: &v2}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reqs := []cache.SecretRequest{{SecretID: "a"}, {SecretID: "b"}, {SecretID: "nope"}, {SecretID: "a", VersionStage: "AWSPREVIOUS"}, {SecretID: "c"}}
	got, err := c.Secrets(ctx, reqs)
	var be *cache.BatchError
	if !errors.As(err, &be) || len(be.Items) != 1 || be.Items[0].Index != 2 || !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Secrets error = %v; want ErrNotFound for item 2", err)
	}
	for i, w := range []string{"pw-a2", "pw-b", "", "pw-a", "pw-c"} {
		if got[i].Value() != w {
			t.Errorf("[%d] = %q; want %q", i, got[i].Value(), w)
		}
	}
	if srv.Calls("BatchGetSecretValue") != 1 || srv.Calls("GetSecretValue") != 1 {
		t.Errorf("calls batch=%d single=%d; want 1 and 1", srv.Calls("BatchGetSecretValue"), srv.Calls("GetSecretValue"))
	}
	if s, err := c.Secret(ctx, cache.SecretRequest{SecretID: "c"}); err != nil || s.Value() != "pw-c" || srv.Calls("GetSecretValue") != 1 {
		t.Errorf("single read after the batch = %q, %v; want a hit", s.Value(), err)
	}
}

func TestPrefetch(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	reqs := seedParams(t, srv, 12)
	v := "pw"
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: &v}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Prefetch(ctx, cache.Prefetch{Parameters: reqs, Paths: []cache.PathRequest{{Path: "/app"}},
		Secrets: []cache.SecretRequest{{SecretID: "db"}}, Required: true})
	if err != nil {
		t.Fatal(err)
	}
	before := c.Stats().Loads
	for _, r := range reqs {
		if _, err := c.Parameter(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Secret(ctx, cache.SecretRequest{SecretID: "db"}); err != nil || c.Stats().Loads != before {
		t.Errorf("reads after Prefetch made upstream calls (%d→%d), err %v", before, c.Stats().Loads, err)
	}
	// Failures: reported when required, logged and lazy otherwise.
	missing := cache.Prefetch{Parameters: []cache.ParameterRequest{{Name: "/nope"}}, Required: true}
	var pe *cache.PrefetchError
	if err := c.Prefetch(ctx, missing); !errors.As(err, &pe) || len(pe.Failed) != 1 || pe.Failed[0].Name != "/nope" {
		t.Errorf("required prefetch of a missing name = %v; want a PrefetchError naming it", err)
	}
	missing.Required = false
	if err := c.Prefetch(ctx, missing); err != nil {
		t.Errorf("optional prefetch of a missing name = %v; want nil", err)
	}
}

type appConfig struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

type listConfig struct {
	Hosts []string `json:"hosts"`
}

func TestTypedValues(t *testing.T) {
	srv, c := newFakeCache(t, nil)
	put := func(name, value, typ string) {
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: name, Value: value, Type: typ}); err != nil {
			t.Fatal(err)
		}
	}
	put("/cfg", `{"host":"db.internal","port":5432}`, "String")
	put("/list", `{"hosts":["a","b"]}`, "String")
	put("/bad", `{"host":"CANARY-typed-1","port":"not-a-number"}`, "SecureString")
	put("/garbage", `CANARY-typed-2 not json`, "SecureString")
	put("/b64", "aGVsbG8=", "String")
	put("/sl", "x,y,z", "StringList")
	sec := `{"host":"h","port":1}`
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "sj"}, sourcetest.SecretVersion{String: &sec}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := cache.ParameterJSON[appConfig](ctx, c, cache.ParameterRequest{Name: "/cfg"})
	if err != nil || cfg != (appConfig{"db.internal", 5432}) {
		t.Fatalf("ParameterJSON = %+v, %v", cfg, err)
	}
	if s, err := cache.SecretJSON[appConfig](ctx, c, cache.SecretRequest{SecretID: "sj"}); err != nil || s.Port != 1 {
		t.Fatalf("SecretJSON = %+v, %v", s, err)
	}
	// Types holding references are decoded per read: no caller can change
	// another's value.
	l1, _ := cache.ParameterJSON[listConfig](ctx, c, cache.ParameterRequest{Name: "/list"})
	l1.Hosts[0] = "mutated"
	l2, _ := cache.ParameterJSON[listConfig](ctx, c, cache.ParameterRequest{Name: "/list"})
	if l2.Hosts[0] != "a" {
		t.Errorf("second reader saw %q; want a", l2.Hosts[0])
	}
	for _, name := range []string{"/bad", "/garbage"} {
		_, err := cache.ParameterJSON[appConfig](ctx, c, cache.ParameterRequest{Name: name, WithDecryption: true})
		var de *cache.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, cache.ErrDecode) || de.Name != name || !strings.Contains(err.Error(), "cache_test.appConfig") {
			t.Errorf("ParameterJSON(%s) = %v; want a DecodeError naming it and the type", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "CANARY") {
			t.Errorf("decode error leaks the value: %v", err)
		}
	}
	p, _ := c.Parameter(ctx, cache.ParameterRequest{Name: "/b64"})
	if b, err := p.Bytes(); err != nil || string(b) != "hello" {
		t.Errorf("Bytes() = %q, %v", b, err)
	}
	p, _ = c.Parameter(ctx, cache.ParameterRequest{Name: "/sl"})
	if l := p.List(); len(l) != 3 || l[2] != "z" {
		t.Errorf("List() = %q", l)
	}
}

func TestBatchesAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	s := srv.SSM()
	for i := range 12 {
		if _, err := s.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/m/p" + strconv.Itoa(i)), Value: aws.String("v" + strconv.Itoa(i)), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"s1", "s2"} {
		if _, err := srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("pw-" + n)}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reqs := []cache.ParameterRequest{}
	for i := range 12 {
		reqs = append(reqs, cache.ParameterRequest{Name: "/m/p" + strconv.Itoa(11-i), WithDecryption: true})
	}
	reqs = append(reqs, cache.ParameterRequest{Name: "/m/missing", WithDecryption: true})
	got, err := c.Parameters(ctx, reqs)
	if !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Parameters error = %v; want ErrNotFound for /m/missing", err)
	}
	for i := range 12 { // moto does not keep the order; parsec must
		if want := "v" + strconv.Itoa(11-i); got[i].Value() != want {
			t.Errorf("[%d] = %q; want %q", i, got[i].Value(), want)
		}
	}
	all, err := c.ParametersByPath(ctx, cache.PathRequest{Path: "/m", Recursive: true, WithDecryption: true})
	if err != nil || len(all) != 12 {
		t.Errorf("ParametersByPath = %d, %v; want 12", len(all), err)
	}
	sec, err := c.Secrets(ctx, []cache.SecretRequest{{SecretID: "s2"}, {SecretID: "s1"}})
	if err != nil || sec[0].Value() != "pw-s2" || sec[1].Value() != "pw-s1" {
		t.Errorf("Secrets = %v, %v", sec, err)
	}
	var _ source.SecretBatchGetter = srv.SecretsManager()
}

// BenchmarkPrefetch25 compares warming 25 parameters with one Prefetch
// (three GetParameters calls) against 25 single reads, at a realistic 20 ms
// upstream latency. It reports upstream calls per warm-up; the time per op
// is the wall time of one warm-up.
func BenchmarkPrefetch25(b *testing.B) {
	for _, mode := range []string{"prefetch", "single-reads"} {
		b.Run(mode, func(b *testing.B) {
			srv := sourcetest.NewServer(sourcetest.WithLatency(20*time.Millisecond, 20*time.Millisecond))
			defer srv.Close()
			reqs := seedParams(b, srv, 25)
			ctx := context.Background()
			warmups := 0
			b.ReportAllocs()
			for b.Loop() {
				c, err := cache.New(srv.Clients())
				if err != nil {
					b.Fatal(err)
				}
				if mode == "prefetch" {
					err = c.Prefetch(ctx, cache.Prefetch{Parameters: reqs, Required: true})
				} else {
					for _, r := range reqs {
						if _, err = c.Parameter(ctx, r); err != nil {
							break
						}
					}
				}
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
				warmups++
			}
			calls := srv.Calls("GetParameters") + srv.Calls("GetParameter")
			b.ReportMetric(float64(calls)/float64(warmups), "upstream-calls/op")
		})
	}
}
