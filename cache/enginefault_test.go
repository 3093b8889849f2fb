package cache

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/internal/flight"
	"github.com/parsec-go/parsec/source"
)

// A batch call whose client panics answers every item of the batch, and
// a single read that joined one of its keys, with an error matching
// ErrPanic that does not carry the panic's value, as a single read's
// panic does (TestPanicBecomesErrorForEveryWaiter); the process goes on.
// Before the fix the panic escaped the batch's goroutine and ended the
// test binary.
func TestBatchPanicBecomesErrorForEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		release := make(chan struct{})
		src := f.clients()
		src.Parameters = source.ParametersGetterFunc(func(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			<-release
			panic("boom: CANARY-PANIC-VALUE")
		})
		c := mustNew(t, src)
		ctx := context.Background()
		reqs := []ParameterRequest{{Name: "/a"}, {Name: "/b"}, {Name: "/c"}}
		batch := make(chan error, 1)
		go func() {
			_, err := c.Parameters(ctx, reqs)
			batch <- err
		}()
		synctest.Wait() // the batch call is under way
		single := make(chan error, 1)
		go func() {
			_, err := c.Parameter(ctx, reqs[1])
			single <- err
		}()
		synctest.Wait() // the single read joined the batch's call of /b
		close(release)
		var be *BatchError
		if err := <-batch; !errors.As(err, &be) || len(be.Items) != len(reqs) {
			t.Fatalf("Parameters = %v; want a *BatchError with every item", err)
		}
		for _, it := range be.Items {
			if !errors.Is(it.Err, ErrPanic) || contains(it.Err.Error(), "CANARY") {
				t.Errorf("item %q: %v; want ErrPanic, without the panic's value", it.Name, it.Err)
			}
		}
		if err := <-single; !errors.Is(err, ErrPanic) {
			t.Errorf("single read that joined the batch's call: %v; want ErrPanic", err)
		}
		if f.total.Load() != 0 {
			t.Errorf("%d GetParameter calls; want none (the single read shares the batch's call)", f.total.Load())
		}
		if st := c.Stats(); st.LoadErrors != 1 {
			t.Errorf("LoadErrors = %d; want 1 (one batch call panicked)", st.LoadErrors)
		}
		c.Close()
	})
}

// A fetch that calls runtime.Goexit instead of returning (t.FailNow in a
// fake) answers the read with an error matching ErrPanic, and a
// refresh-ahead that did so does not hold Close. Before the fix the read
// waited for ever and so did Close (synctest reported the deadlock).
func TestGoexitInFetchEndsTheRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		var exit atomic.Bool
		f.paramFn = func(_ context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
			if exit.Load() {
				runtime.Goexit()
			}
			return echoParameter(in), nil
		}
		c := mustNew(t, f.clients(), WithParameterTTL(10*time.Second), WithRefreshAhead(0.5))
		ctx := context.Background()
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p"}); err != nil {
			t.Fatal(err)
		}
		exit.Store(true)
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/q"}); !errors.Is(err, ErrPanic) || !contains(err.Error(), `"/q"`) {
			t.Errorf("read whose fetch called Goexit = %v; want ErrPanic naming /q", err)
		}
		advance(6 * time.Second) // past the refresh point of /p
		if _, err := c.Parameter(ctx, ParameterRequest{Name: "/p"}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the refresh-ahead's fetch has exited
		if n := f.callsFor("/p"); n != 2 {
			t.Fatalf("%d calls for /p; want 2 (the refresh-ahead ran)", n)
		}
		c.Close() // returns: the refresh-ahead ended
	})
}

// A batch call whose client calls runtime.Goexit answers its items with
// an error matching ErrPanic, as a single read's fetch does
// (TestGoexitInFetchEndsTheRead), not with ErrClosed: the cache is open.
func TestBatchGoexitIsNotClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		src := f.clients()
		src.Parameters = source.ParametersGetterFunc(func(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
			runtime.Goexit()
			return nil, nil
		})
		c := mustNew(t, src)
		_, err := c.Parameters(context.Background(), []ParameterRequest{{Name: "/a"}, {Name: "/b"}})
		var be *BatchError
		if !errors.As(err, &be) || len(be.Items) != 2 {
			t.Fatalf("Parameters = %v; want both items failed", err)
		}
		for _, it := range be.Items {
			if !errors.Is(it.Err, ErrPanic) || errors.Is(it.Err, ErrClosed) || !contains(it.Err.Error(), it.Name) {
				t.Errorf("item %q: %v; want ErrPanic naming the item", it.Name, it.Err)
			}
		}
	})
}

// A refresh-ahead's call that finds its key refreshed by another call
// meanwhile answers with that value only if it is within the strictest
// MaxAge of the call's waiters (Call.Check), as a read's call does: a read
// with MaxAge that joined the refresh-ahead gets a value fetched within its
// bound, the documented "an entry older than that is reloaded". Before the
// fix recheck answered with the other call's value whatever its age.
func TestRefreshAheadRecheckHonoursMaxAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, newFake().clients(), WithParameterTTL(10*time.Second), WithRefreshAhead(0.5))
		k := ParameterRequest{Name: "/p"}.key()
		trigger := &entry{key: k, val: Parameter{Name: "/p", Version: 1}}
		stored := c.storeValue(k, Parameter{Name: "/p", Version: 2}, c.loads.Add(1), c.now()) // another call refreshed /p at t=0
		if stored == nil || stored.refresh <= int64(2*time.Second) {
			t.Fatalf("stored %+v; want a value whose refresh is due after 2s", stored)
		}
		advance(2 * time.Second)
		notBefore := c.now() - int64(time.Second) // a waiter with MaxAge 1s: the value fetched at t=0 is too old
		var g flight.Group[*entry]
		tk := g.Join("k", notBefore, true, func(call *flightCall) (*entry, error) {
			found, _ := c.recheck(call, k, trigger, false, trigger)
			return found, nil
		})
		defer tk.Leave()
		if found, _ := tk.Wait(context.Background()); found != nil {
			t.Errorf("recheck answered with the value fetched %v ago for a waiter with MaxAge 1s; want a reload",
				time.Duration(c.now()-found.fetched))
		}
	})
}
