package flight

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// One call per key, however many join; the leader is told it led.
func TestJoinSharesOneCall(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	calls := 0
	fn := func(*Call) (int, error) { calls++; <-release; return 42, nil }
	a := g.Join("k", 0, false, fn)
	b := g.Join("k", 0, false, fn)
	if !a.Led || b.Led || a.Call() != b.Call() || g.Len() != 1 {
		t.Fatalf("Led = %v, %v; same call %v; Len %d; want true, false, true, 1", a.Led, b.Led, a.Call() == b.Call(), g.Len())
	}
	close(release)
	for _, tk := range []*Ticket[int]{a, b} {
		if v, err := tk.Wait(context.Background()); v != 42 || err != nil {
			t.Errorf("Wait = %d, %v; want 42, nil", v, err)
		}
		tk.Leave()
	}
	if calls != 1 || g.Len() != 0 {
		t.Errorf("calls = %d, Len = %d; want 1, 0 (the map empties when the call ends)", calls, g.Len())
	}
	c := g.Join("k", 0, false, func(*Call) (int, error) { return 7, nil })
	if v, _ := c.Wait(context.Background()); !c.Led || v != 7 {
		t.Errorf("a join after the call ended: Led %v, %d; want a new call answering 7", c.Led, v)
	}
	c.Leave()
}

// The last waiter to leave cancels a begun call unless it keeps a value;
// a call every waiter left before it began does not begin.
func TestLeaveCancelsOrAbandons(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group[int]
		ctx, cancel := context.WithCancel(context.Background())
		begun := make(chan struct{})
		a := g.Join("k", 0, false, func(c *Call) (int, error) {
			if !c.Begin(cancel) {
				return 0, ErrAbandoned
			}
			close(begun)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		<-begun
		b := g.Join("k", 0, false, nil)
		a.Leave()
		if ctx.Err() != nil {
			t.Fatal("cancelled while a waiter remained")
		}
		b.Leave()
		synctest.Wait()
		if ctx.Err() == nil {
			t.Fatal("not cancelled when the last waiter left")
		}

		// keep: never cancelled for lack of waiters.
		kctx, kcancel := context.WithCancel(context.Background())
		defer kcancel()
		hold := make(chan struct{})
		k := g.Join("keep", 0, true, func(c *Call) (int, error) { c.Begin(kcancel); <-hold; return 1, nil })
		synctest.Wait()
		k.Leave()
		if kctx.Err() != nil {
			t.Error("a call that keeps a value was cancelled when its waiters left")
		}
		close(hold)

		// Abandoned before Begin.
		gate := make(chan struct{})
		res := make(chan error, 1)
		x := g.Join("late", 0, false, func(c *Call) (int, error) {
			<-gate
			if !c.Begin(func() {}) {
				res <- ErrAbandoned
				return 0, ErrAbandoned
			}
			res <- nil
			return 1, nil
		})
		x.Leave()
		close(gate)
		if err := <-res; !errors.Is(err, ErrAbandoned) {
			t.Errorf("Begin after every waiter left = %v; want ErrAbandoned", err)
		}
	})
}

// A stricter caller that joins before the leader's Check tightens the
// call's bound; one that joins after does not change it.
func TestCheckTakesTheStrictestBound(t *testing.T) {
	var g Group[int64]
	gate, checked := make(chan struct{}), make(chan struct{})
	after := make(chan int64, 1)
	a := g.Join("k", 10, false, func(c *Call) (int64, error) {
		<-gate
		nb := c.Check()
		close(checked)
		<-after
		return nb, nil
	})
	b := g.Join("k", 50, false, nil) // stricter, before Check
	c := g.Join("k", 5, false, nil)  // looser: no change
	close(gate)
	<-checked
	d := g.Join("k", 99, false, nil) // after Check: gets a fetched answer instead
	after <- 0
	for _, tk := range []*Ticket[int64]{a, b, c, d} {
		if v, _ := tk.Wait(context.Background()); v != 50 {
			t.Errorf("Check() = %d; want 50", v)
		}
		tk.Leave()
	}
}

// A bulk leads the keys no call runs for and joins the others; each led
// call ends with its answer, and Fail answers the rest.
func TestJoinAll(t *testing.T) {
	var g Group[string]
	hold := make(chan struct{})
	running := g.Join("b", 0, false, func(*Call) (string, error) { <-hold; return "single", nil })
	settle := func(i int, _ *Call, r Result[string]) (string, error) { return r.Val + "!", r.Err }
	bulk := g.JoinAll([]string{"a", "b", "c"}, []int64{0, 0, 0}, []bool{false, false, false}, settle)
	if !bulk.Tickets[0].Led || bulk.Tickets[1].Led || !bulk.Tickets[2].Led {
		t.Fatalf("Led = %v %v %v; want true false true", bulk.Tickets[0].Led, bulk.Tickets[1].Led, bulk.Tickets[2].Led)
	}
	bulk.Answer(0, Result[string]{Val: "A"})
	bulk.Answer(0, Result[string]{Val: "ignored"})
	bulk.Fail(errors.New("down"))
	close(hold)
	want := []string{"A!", "single", "!"}
	for i, tk := range bulk.Tickets {
		v, err := tk.Wait(context.Background())
		if v != want[i] || (i == 2) != (err != nil) {
			t.Errorf("key %d = %q, %v; want %q", i, v, err, want[i])
		}
		tk.Leave()
	}
	running.Leave()
	if g.Len() != 0 {
		t.Errorf("Len = %d after every call ended; want 0", g.Len())
	}
}
