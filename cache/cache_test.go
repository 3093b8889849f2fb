package cache

import (
	"context"
	"errors"
	"github.com/parsec-go/parsec/lambdaenv"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

func TestKeyIsolation(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	params := []struct {
		req      ParameterRequest
		upstream string // the name SSM must receive
		decrypt  bool
	}{
		{ParameterRequest{Name: "/a"}, "/a", false},
		{ParameterRequest{Name: "/a", WithDecryption: true}, "/a", true},
		{ParameterRequest{Name: "/a", Version: 2}, "/a:2", false},
		{ParameterRequest{Name: "/a", Version: 2, WithDecryption: true}, "/a:2", true},
		{ParameterRequest{Name: "/a", Label: "prod"}, "/a:prod", false},
		{ParameterRequest{Name: "/a:2"}, "/a:2", false}, // selector in the name: its own entry
		{ParameterRequest{Name: "arn:aws:ssm:us-east-1:123456789012:parameter/a"}, "arn:aws:ssm:us-east-1:123456789012:parameter/a", false},
	}
	secrets := []struct {
		req  SecretRequest
		want string
	}{
		{SecretRequest{SecretID: "db"}, "secret-of:db:id=:stage="},
		{SecretRequest{SecretID: "db", VersionStage: "AWSPREVIOUS"}, "secret-of:db:id=:stage=AWSPREVIOUS"},
		{SecretRequest{SecretID: "db", VersionID: "0123456789abcdef0123456789abcdef"}, "secret-of:db:id=0123456789abcdef0123456789abcdef:stage="},
		{SecretRequest{SecretID: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}, "secret-of:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:id=:stage="},
	}
	for round := range 2 { // the second round must be all hits with the same answers
		for _, p := range params {
			got, err := c.Parameter(ctx, p.req)
			if err != nil {
				t.Fatalf("Parameter(%+v) error %v", p.req, err)
			}
			want := "value-of:" + p.upstream + ":decrypt=" + strconv.FormatBool(p.decrypt)
			if got.Value() != want {
				t.Errorf("round %d: Parameter(%+v).Value() = %q; want %q", round, p.req, got.Value(), want)
			}
		}
		for _, s := range secrets {
			got, err := c.Secret(ctx, s.req)
			if err != nil {
				t.Fatalf("Secret(%+v) error %v", s.req, err)
			}
			if got.Value() != s.want {
				t.Errorf("round %d: Secret(%+v).Value() = %q; want %q", round, s.req, got.Value(), s.want)
			}
		}
	}
	if got, want := f.total.Load(), int64(len(params)+len(secrets)); got != want {
		t.Errorf("upstream calls = %d; want %d (one per distinct key)", got, want)
	}
	if st := c.Stats(); st.Hits != uint64(len(params)+len(secrets)) || st.Entries != len(params)+len(secrets) {
		t.Errorf("Stats() = %+v; want %d hits and entries", st, len(params)+len(secrets))
	}
}

func TestThousandKeysStayCached(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients()) // the default: 1000 entries
	ctx := context.Background()
	for i := range DefaultMaxEntries {
		req := ParameterRequest{Name: "/k/" + strconv.Itoa(i)}
		if _, err := c.Parameter(ctx, req); err != nil {
			t.Fatal(err)
		}
		// A read right after a load is a hit (ristretto's Set is asynchronous).
		if _, err := c.Parameter(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	for i := range DefaultMaxEntries {
		p, err := c.Parameter(ctx, ParameterRequest{Name: "/k/" + strconv.Itoa(i)})
		if err != nil || p.Name != "/k/"+strconv.Itoa(i) {
			t.Fatalf("Parameter(/k/%d) = %v, %v", i, p, err)
		}
	}
	st := c.Stats()
	if st.Loads != DefaultMaxEntries || st.Hits != 2*DefaultMaxEntries || st.Dropped != 0 || st.Evictions != 0 || st.Entries != DefaultMaxEntries {
		t.Fatalf("Stats() = %+v; want 1000 loads, 2000 hits, no drops or evictions, 1000 entries", st)
	}
	// One more key is counted: either it evicts exactly one entry or the
	// store's admission refuses it. Nothing is silent.
	if _, err := c.Parameter(ctx, ParameterRequest{Name: "/k/extra"}); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.Evictions+st.Rejected != 1 || st.Entries != DefaultMaxEntries {
		t.Fatalf("after one more key Stats() = %+v; want 1 eviction or rejection, 1000 entries", st)
	}
}

// Above the entry limit ristretto's admission and eviction decide, and
// every refused or evicted entry is counted: the store holds exactly the
// limit and loads - limit entries were displaced.
func TestColdStreamIsCountedAtTheLimit(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients(), WithMaxEntries(100), WithRefreshAhead(0))
	ctx := context.Background()
	read := func(n string) {
		if _, err := c.Parameter(ctx, ParameterRequest{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		for i := range 10 {
			read("/hot/" + strconv.Itoa(i))
		}
	}
	for i := range 2000 { // the hot keys stay in use while the cold ones flow past
		read("/cold/" + strconv.Itoa(i))
		for j := range 10 {
			read("/hot/" + strconv.Itoa(j))
		}
	}
	// ristretto's admission is probabilistic (a sampled LFU over a count
	// sketch fed by lossy buffers: when its goroutine is starved of CPU,
	// uses are dropped and eviction tends to random, which would reload a
	// hot key ~200 times here). The figure is logged, not asserted: what is
	// asserted is that the bound holds and every displaced entry is counted.
	reloads := 0
	for i := range 10 {
		reloads += f.callsFor("/hot/"+strconv.Itoa(i)) - 1
	}
	t.Logf("hot keys reloaded %d times in 20,000 reads among 2,000 cold keys", reloads)
	st := c.Stats()
	if st.Entries != 100 || st.Evictions+st.Rejected != st.Loads-100 || st.Dropped != 0 {
		t.Errorf("Stats() = %+v; want at most 100 entries and every one beyond counted as evicted or rejected", st)
	}
}

func TestCoalescesThousandReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		release := make(chan struct{})
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			<-release
			return echoParameter(in), nil
		}
		c := mustNew(t, f.clients())
		const n = 1000
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				p, err := c.Parameter(context.Background(), ParameterRequest{Name: "/cold"})
				if err == nil && p.Value() != "value-of:/cold:decrypt=false" {
					err = errors.New("wrong value " + p.Value())
				}
				errs <- err
			})
		}
		synctest.Wait() // every reader is blocked: one in the upstream call, the rest waiting for it
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := f.total.Load(); got != 1 {
			t.Errorf("upstream calls = %d; want 1 for %d concurrent readers", got, n)
		}
		if st := c.Stats(); st.Coalesced != n-1 || st.Loads != 1 {
			t.Errorf("Stats() = %+v; want %d coalesced, 1 load", st, n-1)
		}
		c.Close()
	})
}

func TestCallerCancellationIsIsolated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		release := make(chan struct{})
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			select {
			case <-release:
				return echoParameter(in), nil
			case <-ctx.Done(): // the shared load must not see the leader's cancellation
				return nil, ctx.Err()
			}
		}
		c := mustNew(t, f.clients())
		leaderCtx, cancelLeader := context.WithCancel(context.Background())
		leaderErr := make(chan error, 1)
		go func() {
			_, err := c.Parameter(leaderCtx, ParameterRequest{Name: "/x"})
			leaderErr <- err
		}()
		synctest.Wait()
		otherErr := make(chan error, 1)
		go func() {
			_, err := c.Parameter(context.Background(), ParameterRequest{Name: "/x"})
			otherErr <- err
		}()
		synctest.Wait()
		cancelLeader()
		if err := <-leaderErr; !errors.Is(err, context.Canceled) {
			t.Errorf("leader's error = %v; want context.Canceled", err)
		}
		close(release)
		if err := <-otherErr; err != nil {
			t.Errorf("other reader's error = %v; want nil (the leader's cancellation must not fail it)", err)
		}
		if f.total.Load() != 1 {
			t.Errorf("upstream calls = %d; want 1", f.total.Load())
		}
		// The value the shared load fetched is cached.
		if _, err := c.Parameter(context.Background(), ParameterRequest{Name: "/x"}); err != nil || f.total.Load() != 1 {
			t.Errorf("read after the load: err %v, calls %d; want a hit", err, f.total.Load())
		}
		c.Close()
	})
}

func TestSharedLoadIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			<-ctx.Done() // a hanging upstream
			return nil, ctx.Err()
		}
		c := mustNew(t, f.clients(), WithLoadTimeout(3*time.Second))
		start := time.Now()
		_, err := c.Parameter(context.Background(), ParameterRequest{Name: "/hang"})
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("error = %v; want ErrUnavailable after the load timeout", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("load took %v; want the 3s load timeout", d)
		}
		c.Close()
	})
}

func TestPerCallTimeoutFromEnv(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.secretFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		env := map[string]string{lambdaenv.EnvSecretTimeout: "250"}
		c := mustNew(t, f.clients(), WithEnv(func(k string) string { return env[k] }))
		start := time.Now()
		_, err := c.Secret(context.Background(), SecretRequest{SecretID: "s"})
		if !errors.Is(err, ErrUnavailable) || time.Since(start) != 250*time.Millisecond {
			t.Errorf("error %v after %v; want ErrUnavailable after 250ms", err, time.Since(start))
		}
		c.Close()
	})
}

func TestPanicBecomesErrorForEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		release := make(chan struct{})
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			<-release
			panic("boom: CANARY-PANIC-VALUE")
		}
		c := mustNew(t, f.clients())
		const n = 10
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := c.Parameter(context.Background(), ParameterRequest{Name: "/p"})
				errs <- err
			}()
		}
		synctest.Wait()
		close(release)
		for range n {
			err := <-errs
			if !errors.Is(err, ErrPanic) {
				t.Fatalf("error = %v; want ErrPanic", err)
			}
			if msg := err.Error(); msg == "" || contains(msg, "CANARY") {
				t.Fatalf("error %q must name the call and not carry the panic value", msg)
			}
		}
		c.Close()
	})
}

func TestTTLExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		c := mustNew(t, f.clients(), WithRefreshAhead(0), WithParameterTTL(10*time.Second), WithSecretTTL(20*time.Second))
		ctx := context.Background()
		read := func() {
			if _, err := c.Parameter(ctx, ParameterRequest{Name: "/t"}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Secret(ctx, SecretRequest{SecretID: "s"}); err != nil {
				t.Fatal(err)
			}
		}
		read()
		advance(9 * time.Second)
		read()
		if f.callsFor("/t") != 1 || f.callsFor("s") != 1 {
			t.Fatalf("before the TTL: calls /t=%d s=%d; want 1 and 1", f.callsFor("/t"), f.callsFor("s"))
		}
		advance(1 * time.Second) // the parameter's TTL ends; the secret's does not
		read()
		if f.callsFor("/t") != 2 || f.callsFor("s") != 1 {
			t.Fatalf("at 10s: calls /t=%d s=%d; want 2 and 1", f.callsFor("/t"), f.callsFor("s"))
		}
		advance(10 * time.Second)
		read()
		if f.callsFor("/t") != 3 || f.callsFor("s") != 2 {
			t.Fatalf("at 20s: calls /t=%d s=%d; want 3 and 2", f.callsFor("/t"), f.callsFor("s"))
		}
		c.Close()
	})
}

func TestCachingOff(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  Option
	}{
		{"disabled", WithEnabled(false)},
		{"size 0", WithMaxEntries(0)},
		{"ttl 0", WithTTL(0)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			c := mustNew(t, f.clients(), tt.opt)
			for range 3 {
				if _, err := c.Parameter(context.Background(), ParameterRequest{Name: "/off"}); err != nil {
					t.Fatal(err)
				}
			}
			if f.total.Load() != 3 {
				t.Errorf("upstream calls = %d; want 3 (no caching)", f.total.Load())
			}
		})
	}
}

func TestRequestValidation(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	long := make([]byte, 2049)
	for i := range long {
		long[i] = 'a'
	}
	params := []struct {
		req   ParameterRequest
		field string
	}{
		{ParameterRequest{}, "name"},
		{ParameterRequest{Name: "/a\nb"}, "name"},
		{ParameterRequest{Name: "/a\x7f"}, "name"},
		{ParameterRequest{Name: "/a\u0085"}, "name"}, // C1 (awsname's text rule)
		{ParameterRequest{Name: "/a\xff"}, "name"},   // not UTF-8
		{ParameterRequest{Name: "/" + string(long)}, "name"},
		{ParameterRequest{Name: "/a", Version: -1}, "version"},
		{ParameterRequest{Name: "/a", Version: 1, Label: "x"}, "version"},
		{ParameterRequest{Name: "/a:3", Version: 1}, "name"},
		{ParameterRequest{Name: "arn:aws:ssm:us-east-1:1:parameter/a:3", Label: "x"}, "name"},
		{ParameterRequest{Name: "/a", Label: "1abc"}, "label"},
		{ParameterRequest{Name: "/a", Label: "l\tx"}, "label"},
	}
	for _, p := range params {
		_, err := c.Parameter(ctx, p.req)
		var re *RequestError
		if !errors.As(err, &re) || re.Field != p.field || !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Parameter(%q, v%d, l%q) error = %v; want a RequestError for %q", p.req.Name, p.req.Version, p.req.Label, err, p.field)
		}
	}
	secrets := []struct {
		req   SecretRequest
		field string
	}{
		{SecretRequest{}, "secretId"},
		{SecretRequest{SecretID: "a\x00"}, "secretId"},
		{SecretRequest{SecretID: string(long)}, "secretId"},
		{SecretRequest{SecretID: "a", VersionID: "short"}, "versionId"},
		{SecretRequest{SecretID: "a", VersionStage: "x\ny"}, "versionStage"},
	}
	for _, s := range secrets {
		_, err := c.Secret(ctx, s.req)
		var re *RequestError
		if !errors.As(err, &re) || re.Field != s.field {
			t.Errorf("Secret(%+v) error = %v; want a RequestError for %q", s.req, err, s.field)
		}
	}
	if f.total.Load() != 0 {
		t.Errorf("upstream calls = %d; want 0 for invalid requests", f.total.Load())
	}
	// What AWS accepts is never rejected.
	ok := []ParameterRequest{
		{Name: "arn:aws:ssm:us-east-1:123456789012:parameter/a/b", Version: 3},
		{Name: "/aws/reference/secretsmanager/my+secret=x.y@z-1/a_b", WithDecryption: true, Label: "AWSPREVIOUS"},
		{Name: "/aws/reference/secretsmanager/s", WithDecryption: true, Label: "2024-stage"},
		// A reference by ARN has colons but no selector until its eighth field.
		{Name: "/aws/reference/secretsmanager/arn:aws:secretsmanager:us-east-1:123456789012:secret:s", WithDecryption: true, Label: "AWSPREVIOUS"},
		{Name: "plain-name"},
	}
	for _, p := range ok {
		if _, err := c.Parameter(ctx, p); err != nil {
			t.Errorf("Parameter(%+v) error %v; want accepted", p, err)
		}
	}
}

func TestNegativeCaching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not here")}
		}
		c := mustNew(t, f.clients(), WithNegativeTTL(2*time.Second))
		for range 5 {
			_, err := c.Parameter(context.Background(), ParameterRequest{Name: "/missing"})
			var pnf *ssmtypes.ParameterNotFound
			if !errors.Is(err, ErrNotFound) || !errors.As(err, &pnf) {
				t.Fatalf("error = %v; want ErrNotFound unwrapping to *ParameterNotFound", err)
			}
		}
		if f.total.Load() != 1 {
			t.Errorf("upstream calls = %d; want 1 within the negative TTL", f.total.Load())
		}
		advance(2 * time.Second)
		_, _ = c.Parameter(context.Background(), ParameterRequest{Name: "/missing"})
		if f.total.Load() != 2 {
			t.Errorf("upstream calls after the negative TTL = %d; want 2", f.total.Load())
		}
		if st := c.Stats(); st.NegativeHits != 4 {
			t.Errorf("NegativeHits = %d; want 4", st.NegativeHits)
		}
		c.Close()
	})
}

func TestCloseRejectsLoads(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	if _, err := c.Parameter(context.Background(), ParameterRequest{Name: "/a"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Parameter(context.Background(), ParameterRequest{Name: "/b"}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: error %v; want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
}

func TestInvalidate(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	req := ParameterRequest{Name: "/inv"}
	sreq := SecretRequest{SecretID: "inv"}
	_, _ = c.Parameter(ctx, req)
	_, _ = c.Secret(ctx, sreq)
	c.InvalidateParameter(req)
	_, _ = c.Parameter(ctx, req)
	_, _ = c.Secret(ctx, sreq)
	if f.callsFor("/inv") != 2 || f.callsFor("inv") != 1 {
		t.Fatalf("calls param=%d secret=%d; want 2 and 1", f.callsFor("/inv"), f.callsFor("inv"))
	}
	c.InvalidateAll()
	_, _ = c.Secret(ctx, sreq)
	if f.callsFor("inv") != 2 || c.Stats().Entries != 1 {
		t.Fatalf("after InvalidateAll: secret calls %d entries %d; want 2 and 1", f.callsFor("inv"), c.Stats().Entries)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
