package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestMaxAge: an entry older than a read's MaxAge is reloaded, one younger
// is a hit; reads without MaxAge keep the TTL's answer; MaxAge is not part
// of the key (the reload serves every later read).
func TestMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up := &versioned{}
		f := newFake()
		f.paramFn = up.fn
		c := mustNew(t, f.clients(), WithTTL(300*time.Second), WithRefreshAhead(0))
		ctx := context.Background()
		read := func(maxAge time.Duration) string {
			t.Helper()
			p, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: maxAge})
			if err != nil {
				t.Fatal(err)
			}
			return p.Value()
		}
		steps := []struct {
			at     time.Duration // since the first read
			maxAge time.Duration
			want   string
			calls  int64 // upstream calls after the read
		}{
			{0, 0, "v1", 1},
			{10 * time.Second, 0, "v1", 1},                 // plain read: the TTL decides
			{10 * time.Second, time.Minute, "v1", 1},       // younger than a minute
			{10 * time.Second, 5 * time.Second, "v2", 2},   // older than 5 s: reloaded
			{10 * time.Second, 5 * time.Second, "v2", 2},   // the reload is young
			{10 * time.Second, 0, "v2", 2},                 // and serves plain reads too
			{14 * time.Second, 5 * time.Second, "v2", 2},   // 4 s old
			{15 * time.Second, 5 * time.Second, "v3", 3},   // exactly 5 s old: reloaded
			{16 * time.Second, time.Nanosecond, "v4", 4},   // "fetched after I asked"
			{16 * time.Second, time.Nanosecond, "v4", 4},   // fake time stands still: fetched at this instant
			{400 * time.Second, time.Hour, "v5", 5},        // past the TTL: MaxAge never lengthens it
			{401 * time.Second, 10 * time.Second, "v5", 5}, //
		}
		start := time.Now()
		for i, s := range steps {
			advance(time.Until(start.Add(s.at))) // 0 when already there
			if got := read(s.maxAge); got != s.want {
				t.Fatalf("step %d (t=%v, MaxAge %v) = %q; want %q", i, s.at, s.maxAge, got, s.want)
			}
			if n := f.total.Load(); n != s.calls {
				t.Fatalf("step %d (t=%v, MaxAge %v): %d upstream calls; want %d", i, s.at, s.maxAge, n, s.calls)
			}
		}
	})
}

// TestMaxAgeCoalesced: many reads with a MaxAge the entry is older than
// make one upstream call, and all get its answer.
func TestMaxAgeCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up, f, c := agedEntry(t)
		ctx := context.Background()
		up.gate = make(chan struct{})
		const readers = 50
		var wg sync.WaitGroup
		got := make([]string, readers)
		for i := range readers {
			wg.Go(func() {
				p, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: 10 * time.Second})
				if err != nil {
					t.Error(err)
				}
				got[i] = p.Value()
			})
		}
		synctest.Wait() // every reader waits on the one call
		close(up.gate)
		wg.Wait()
		if n := f.total.Load(); n != 2 {
			t.Errorf("upstream calls = %d; want 2 (the first read and one shared reload)", n)
		}
		for i, v := range got {
			if v != "v2" {
				t.Fatalf("reader %d got %q; want v2", i, v)
			}
		}
	})
}

// TestMaxAgeStaleOnError: a reload a MaxAge asked for that fails with a
// transient error answers the value in memory (stale-on-error as usual); a
// non-transient one answers the error and keeps the value for other reads.
func TestMaxAgeStaleOnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		up, _, c := agedEntry(t)
		ctx := context.Background()
		up.setFail(errThrottled)
		p, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: 10 * time.Second})
		if err != nil || p.Value() != "v1" {
			t.Fatalf("MaxAge read with a throttled upstream = %q, %v; want the stale v1", p.Value(), err)
		}
		if s := c.Stats(); s.StaleServes != 1 {
			t.Errorf("StaleServes = %d; want 1", s.StaleServes)
		}
		up.setFail(errDenied)
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: 10 * time.Second, Refresh: true}); !errors.Is(err, ErrAccessDenied) {
			t.Fatalf("forced read with access denied = %v; want ErrAccessDenied", err)
		}
		up.setFail(nil)
		if p, err := c.Parameter(ctx, ParameterRequest{Name: "/p"}); err != nil || p.Value() != "v1" {
			t.Fatalf("plain read after the failures = %q, %v; want v1 kept", p.Value(), err)
		}
	})
}

// TestMaxAgeNotFound: a remembered not-found older than MaxAge is asked
// again; a younger one is answered from memory.
func TestMaxAgeNotFound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, exists := appearing()
		c := mustNew(t, f.clients(), WithNegativeTTL(time.Minute))
		ctx := context.Background()
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("first read = %v; want ErrNotFound", err)
		}
		exists.Store(true)
		advance(2 * time.Second)
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: 5 * time.Second}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("read 2 s later, MaxAge 5 s = %v; want the remembered ErrNotFound", err)
		}
		if n := f.total.Load(); n != 1 {
			t.Fatalf("upstream calls = %d; want 1", n)
		}
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: time.Second}); err != nil {
			t.Fatalf("read with MaxAge 1 s = %v; want the value (asked again)", err)
		}
		if n := f.total.Load(); n != 2 {
			t.Fatalf("upstream calls = %d; want 2", n)
		}
	})
}

// TestMaxAgeNegativeRejected: a negative MaxAge is a *RequestError naming
// maxAge, also when the key is cached, in single and batch reads.
func TestMaxAgeNegativeRejected(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Secret(ctx, SecretRequest{SecretID: "s"}); err != nil {
		t.Fatal(err)
	}
	check := func(what string, err error) {
		t.Helper()
		var re *RequestError
		if !errors.As(err, &re) || re.Field != "maxAge" {
			t.Errorf("%s with MaxAge -1s = %v; want a *RequestError for maxAge", what, err)
		}
	}
	_, err := c.Parameter(ctx, ParameterRequest{Name: "/p", MaxAge: -time.Second})
	check("Parameter", err)
	_, err = c.Secret(ctx, SecretRequest{SecretID: "s", MaxAge: -time.Second})
	check("Secret", err)
	_, err = c.ParametersByPath(ctx, PathRequest{Path: "/app", MaxAge: -time.Second})
	check("ParametersByPath", err)
	_, err = c.Parameters(ctx, []ParameterRequest{{Name: "/p", MaxAge: -time.Second}})
	check("Parameters", err)
	_, err = c.Secrets(ctx, []SecretRequest{{SecretID: "s", MaxAge: -time.Second}})
	check("Secrets", err)
	if n := f.total.Load(); n != 2 {
		t.Errorf("upstream calls = %d; want 2 (none for the rejected reads)", n)
	}
}

// TestMaxAgeTightensALooserFlight: a read with MaxAge that joins a call
// whose leader would accept the value in memory (a looser bound) before
// the leader looks at the store tightens the call's bound, so the call
// fetches and the read gets a value as young as it asked for.
func TestMaxAgeTightensALooserFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, f, c := agedEntry(t)
		ctx := context.Background()
		req := ParameterRequest{Name: "/p", MaxAge: 10 * time.Second}
		k := req.key()
		old := c.store.value(&k)
		// A call of the key led by a read without MaxAge (whose bound the
		// value in memory meets), held before it looks at the store until
		// the MaxAge read has joined it.
		release := make(chan struct{})
		leader := c.flights.Join(c.flightKey(k, false), noBound, true, func(call *flightCall) (*entry, error) {
			<-release
			return c.fill(call, k, old, false, nil)
		})
		defer leader.Leave()
		led := leader.C()
		done := make(chan Parameter)
		go func() {
			p, err := c.Parameter(ctx, req)
			if err != nil {
				t.Error(err)
			}
			done <- p
		}()
		synctest.Wait()
		close(release)
		<-led
		if p := <-done; p.Value() != "v2" {
			t.Fatalf("MaxAge read after a looser flight = %q; want v2, fetched", p.Value())
		}
		if n := f.total.Load(); n != 2 {
			t.Errorf("upstream calls = %d; want 2", n)
		}
	})
}

// TestMaxAgeBatch: batch items older than their MaxAge are fetched, the
// others answered from memory.
func TestMaxAgeBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		c := mustNew(t, f.clients())
		ctx := context.Background()
		if _, err := c.Parameters(ctx, []ParameterRequest{{Name: "/a"}, {Name: "/b"}}); err != nil {
			t.Fatal(err)
		}
		advance(30 * time.Second)
		before := f.total.Load()
		if _, err := c.Parameters(ctx, []ParameterRequest{{Name: "/a", MaxAge: 10 * time.Second}, {Name: "/b", MaxAge: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		if got := f.callsFor("/a"); got != 2 {
			t.Errorf("/a calls = %d; want 2 (older than its MaxAge)", got)
		}
		if got := f.callsFor("/b"); got != 1 {
			t.Errorf("/b calls = %d; want 1 (younger than its MaxAge)", got)
		}
		if n := f.total.Load() - before; n != 1 {
			t.Errorf("upstream calls for the second batch = %d; want 1", n)
		}
	})
}

func TestMaxAgeHitDoesNotAllocate(t *testing.T) {
	f := newFake()
	c := mustNew(t, f.clients())
	ctx := context.Background()
	req := ParameterRequest{Name: "/app/db/host", MaxAge: time.Hour}
	if _, err := c.Parameter(ctx, req); err != nil {
		t.Fatal(err)
	}
	var sink Parameter
	if n := testing.AllocsPerRun(1000, func() { sink, _ = c.Parameter(ctx, req) }); n != 0 {
		t.Errorf("Parameter hit with MaxAge allocates %v times per read; want 0", n)
	}
	_ = sink
	if got := f.total.Load(); got != 1 {
		t.Errorf("upstream calls = %d; want 1", got)
	}
}

// agedEntry returns a cache whose upstream answers a new version on each
// call, with /p read once (v1) and 30 s of fake time gone since. It runs
// inside a synctest bubble.
func agedEntry(t *testing.T) (*versioned, *fakeUpstream, *Cache) {
	t.Helper()
	up := &versioned{}
	f := newFake()
	f.paramFn = up.fn
	c := mustNew(t, f.clients())
	if _, err := c.Parameter(context.Background(), ParameterRequest{Name: "/p"}); err != nil {
		t.Fatal(err)
	}
	advance(30 * time.Second)
	return up, f, c
}
