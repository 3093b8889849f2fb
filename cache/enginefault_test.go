package cache

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

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
