package flight

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"testing/synctest"
)

// A call whose function calls runtime.Goexit (t.FailNow in a test's fake,
// say) ends with ErrGoexit for every waiter, and the key's next call runs
// anew. singleflight's DoChan never answers such a call: before the fix
// every waiter without a deadline blocked for ever (synctest reported the
// deadlock).
func TestGoexitEndsTheCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int]
		release := make(chan struct{})
		a := g.Join("k", 0, false, func(*Call) (int, error) { <-release; runtime.Goexit(); return 1, nil })
		b := g.Join("k", 0, false, nil)
		close(release)
		for _, tk := range []*Ticket[int]{a, b} {
			if _, err := tk.Wait(context.Background()); !errors.Is(err, ErrGoexit) {
				t.Errorf("Wait = %v; want ErrGoexit", err)
			}
			tk.Leave()
		}
		c := g.Join("k", 0, false, func(*Call) (int, error) { return 7, nil })
		if v, err := c.Wait(context.Background()); !c.Led || v != 7 || err != nil {
			t.Errorf("the next call: Led %v, %d, %v; want a new call answering 7", c.Led, v, err)
		}
		c.Leave()
		if g.Len() != 0 {
			t.Errorf("Len = %d; want 0", g.Len())
		}
	})
}
