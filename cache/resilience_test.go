package cache

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// versioned is an upstream whose value changes with each call and that can
// be switched to fail.
type versioned struct {
	n    atomic.Int64
	fail atomic.Pointer[error]
	gate chan struct{} // if set, each call waits for it
}

func (v *versioned) fn(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
	if v.gate != nil {
		select {
		case <-v.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if e := v.fail.Load(); e != nil {
		return nil, *e
	}
	n := v.n.Add(1)
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String("v" + strconv.FormatInt(n, 10)), Version: n}}, nil
}

func (v *versioned) setFail(err error) {
	if err == nil {
		v.fail.Store(nil)
		return
	}
	v.fail.Store(&err)
}

var errThrottled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
var errDenied = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}

func TestRefreshAheadServesCachedValueWhileReloading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{gate: make(chan struct{})}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithTTL(100*time.Second), WithRefreshAhead(0.8))
		ctx := context.Background()
		done := make(chan Parameter)
		go func() { p, _ := c.Parameter(ctx, ParameterRequest{Name: "/r"}); done <- p }()
		up.gate <- struct{}{}
		if p := <-done; p.Value() != "v1" {
			t.Fatalf("first read = %q; want v1", p.Value())
		}
		advance(81 * time.Second) // past 80 % (jittered down to at most 70 %)
		// The upstream is blocked: readers must still get v1 at once, and
		// only one reload may start.
		for range 100 {
			p, err := c.Parameter(ctx, ParameterRequest{Name: "/r"})
			if err != nil || p.Value() != "v1" {
				t.Fatalf("read during refresh = %q, %v; want v1 at once", p.Value(), err)
			}
		}
		synctest.Wait()
		if got := f.total.Load(); got != 2 {
			t.Fatalf("upstream calls = %d; want 2 (one background reload)", got)
		}
		up.gate <- struct{}{} // let the reload finish
		synctest.Wait()
		if p, _ := c.Parameter(ctx, ParameterRequest{Name: "/r"}); p.Value() != "v2" {
			t.Errorf("after the reload = %q; want v2", p.Value())
		}
		if st := c.Stats(); st.RefreshesAhead != 1 || st.Misses != 1 {
			t.Errorf("Stats() = %+v; want 1 refresh ahead and only the first read a miss", st)
		}
		c.Close()
	})
}

func TestStaleOnErrorIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithTTL(10*time.Second), WithRefreshAhead(0), WithMaxStale(30*time.Second), WithBackoff(0, 0))
		ctx := context.Background()
		read := func() (Parameter, error) { return c.Parameter(ctx, ParameterRequest{Name: "/s"}) }
		if p, _ := read(); p.Value() != "v1" {
			t.Fatal("first read")
		}
		up.setFail(errThrottled)
		advance(11 * time.Second) // expired; the reload fails: serve v1
		p, err := read()
		if err != nil || p.Value() != "v1" {
			t.Fatalf("read after TTL with upstream throttling = %q, %v; want stale v1", p.Value(), err)
		}
		advance(28 * time.Second) // 39 s after the fetch: still within 10+30
		if p, err := read(); err != nil || p.Value() != "v1" {
			t.Fatalf("read at 39s = %q, %v; want stale v1", p.Value(), err)
		}
		advance(2 * time.Second) // 41 s: past the bound
		_, err = read()
		if !errors.Is(err, ErrThrottled) {
			t.Fatalf("read past the max staleness: err %v; want ErrThrottled", err)
		}
		up.setFail(nil)
		if p, err := read(); err != nil || p.Value() != "v2" {
			t.Fatalf("after recovery = %q, %v; want v2", p.Value(), err)
		}
		if st := c.Stats(); st.StaleServes != 2 {
			t.Errorf("StaleServes = %d; want 2", st.StaleServes)
		}
		c.Close()
	})
}

func TestStaleDoesNotMaskAccessDenied(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithTTL(10*time.Second), WithRefreshAhead(0))
		ctx := context.Background()
		_, _ = c.Parameter(ctx, ParameterRequest{Name: "/d"})
		up.setFail(errDenied)
		advance(11 * time.Second)
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/d"}); !errors.Is(err, ErrAccessDenied) {
			t.Fatalf("err = %v; want ErrAccessDenied, not a stale value", err)
		}
		c.Close()
	})
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithTTL(10*time.Second), WithRefreshAhead(0),
			WithStaleOn(func(err error) bool { return errors.Is(err, ErrAccessDenied) }))
		ctx := context.Background()
		_, _ = c.Parameter(ctx, ParameterRequest{Name: "/d"})
		up.setFail(errDenied)
		advance(11 * time.Second)
		if p, err := c.Parameter(ctx, ParameterRequest{Name: "/d"}); err != nil || p.Value() != "v1" {
			t.Fatalf("with WithStaleOn(access denied): %q, %v; want stale v1", p.Value(), err)
		}
		c.Close()
	})
}

func TestBackoffAfterRepeatedFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		up.setFail(errThrottled)
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithBackoff(time.Second, 8*time.Second))
		ctx := context.Background()
		read := func() error { _, err := c.Parameter(ctx, ParameterRequest{Name: "/b"}); return err }
		_ = read() // failure 1: no backoff
		_ = read() // failure 2: backoff 0.5–1.5 s
		if f.total.Load() != 2 {
			t.Fatalf("calls = %d; want 2", f.total.Load())
		}
		for range 50 {
			if err := read(); !errors.Is(err, ErrThrottled) {
				t.Fatalf("during backoff err = %v; want the last ErrThrottled", err)
			}
		}
		if f.total.Load() != 2 {
			t.Fatalf("calls during backoff = %d; want still 2", f.total.Load())
		}
		advance(1500 * time.Millisecond)
		up.setFail(nil)
		if err := read(); err != nil || f.total.Load() != 3 {
			t.Fatalf("after backoff: err %v calls %d; want success on the 3rd call", err, f.total.Load())
		}
		c.Close()
	})
}

func TestForcedRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients())
		ctx := context.Background()
		_, _ = c.Parameter(ctx, ParameterRequest{Name: "/f"})
		p, err := c.Parameter(ctx, ParameterRequest{Name: "/f", Refresh: true})
		if err != nil || p.Value() != "v2" {
			t.Fatalf("forced = %q, %v; want v2", p.Value(), err)
		}
		if p, _ := c.Parameter(ctx, ParameterRequest{Name: "/f"}); p.Value() != "v2" {
			t.Fatalf("after forced = %q; want v2 stored", p.Value())
		}
		up.setFail(errThrottled)
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/f", Refresh: true}); !errors.Is(err, ErrThrottled) {
			t.Fatalf("failed forced refresh err = %v; want ErrThrottled", err)
		}
		if p, err := c.Parameter(ctx, ParameterRequest{Name: "/f"}); err != nil || p.Value() != "v2" {
			t.Fatalf("after a failed forced refresh = %q, %v; want v2 kept", p.Value(), err)
		}
		c.Close()
	})
}

// TestLateLoadNeverOverwritesNewer: a late answer never replaces a newer
// version already served. Answers are ordered by arrival, so what keeps the
// newer one is that the late answer's load started before it arrived and
// holds an older version; its own waiters get the newer version too.
func TestLateLoadNeverOverwritesNewer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var n atomic.Int64
		slow := make(chan struct{})
		f := newFake()
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			i := n.Add(1)
			if i == 1 {
				<-slow // the first load read version 1, and its answer is slow
			}
			return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Version: i,
				Value: aws.String("v" + strconv.FormatInt(i, 10))}}, nil
		}
		c := mustNew(t, f.clients())
		ctx := context.Background()
		first := make(chan Parameter)
		go func() { p, _ := c.Parameter(ctx, ParameterRequest{Name: "/l"}); first <- p }()
		synctest.Wait()
		p, err := c.Parameter(ctx, ParameterRequest{Name: "/l", Refresh: true}) // starts later, finishes first
		if err != nil || p.Value() != "v2" {
			t.Fatalf("forced = %q, %v", p.Value(), err)
		}
		close(slow)
		if p := <-first; p.Value() != "v2" {
			t.Errorf("the late load's own reader = %q; want v2 (never older than a value already served)", p.Value())
		}
		if p, _ := c.Parameter(ctx, ParameterRequest{Name: "/l"}); p.Value() != "v2" {
			t.Errorf("stored = %q; want v2 (the late v1 must not overwrite it)", p.Value())
		}
		c.Close()
	})
}

// TestLastArrivalWins is the trace: a plain read whose request is
// slow reaches SSM after the value changed; a forced read that started
// later answered the old version first. The plain read's newer answer
// arrives last and wins, and stays (before, the start order kept the old
// version for the whole TTL).
func TestLastArrivalWins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var version, calls atomic.Int64
		version.Store(1)
		f := newFake()
		f.paramFn = func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			if calls.Add(1) == 1 {
				advance(500 * time.Millisecond) // the plain read's request is slow: SSM reads it at 0.5 s
			}
			v := version.Load()
			return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Version: v,
				Value: aws.String("v" + strconv.FormatInt(v, 10))}}, nil
		}
		c := mustNew(t, f.clients())
		ctx := context.Background()
		plain := make(chan Parameter)
		go func() { p, _ := c.Parameter(ctx, ParameterRequest{Name: "/a"}); plain <- p }()
		advance(100 * time.Millisecond)
		if p, err := c.Parameter(ctx, ParameterRequest{Name: "/a", Refresh: true}); err != nil || p.Version != 1 {
			t.Fatalf("forced read at 0.1 s = version %d, %v; want 1", p.Version, err)
		}
		advance(100 * time.Millisecond)
		version.Store(2) // changed upstream at 0.2 s
		if p := <-plain; p.Version != 2 {
			t.Fatalf("plain read = version %d; want 2", p.Version)
		}
		for range 3 {
			if p, _ := c.Parameter(ctx, ParameterRequest{Name: "/a"}); p.Version != 2 {
				t.Fatalf("read after both answers = version %d; want 2 (the last to arrive)", p.Version)
			}
			advance(time.Minute)
		}
		c.Close()
	})
}

func TestWithSecretRetriesOnceWithFreshValue(t *testing.T) {
	var n atomic.Int64
	f := newFake()
	f.secretFn = func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
		i := n.Add(1)
		return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String("pw" + strconv.FormatInt(i, 10))}, nil
	}
	c := mustNew(t, f.clients())
	ctx := context.Background()
	_, _ = c.Secret(ctx, SecretRequest{SecretID: "db"}) // cached: pw1; "rotated" upstream to pw2
	errAuth := errors.New("authentication failed")
	var seen []string
	err := c.WithSecret(ctx, SecretRequest{SecretID: "db"}, func(err error) bool { return errors.Is(err, errAuth) },
		func(s Secret) error {
			seen = append(seen, s.Value())
			if s.Value() != "pw2" {
				return errAuth
			}
			return nil
		})
	if err != nil || len(seen) != 2 || seen[1] != "pw2" {
		t.Fatalf("WithSecret = %v, saw %q; want success on the second try with pw2", err, seen)
	}
	// A rejection that persists is returned after one retry, not looped.
	calls := 0
	err = c.WithSecret(ctx, SecretRequest{SecretID: "db"}, func(error) bool { return true },
		func(Secret) error { calls++; return errAuth })
	if !errors.Is(err, errAuth) || calls != 2 {
		t.Fatalf("persistent rejection: err %v after %d calls; want errAuth after 2", err, calls)
	}
}
