package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// changeLog collects the changes a subscriber receives.
type changeLog struct {
	mu  sync.Mutex
	got []Change
}

func (l *changeLog) add(ch Change) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, ch)
}

func (l *changeLog) take() []Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// TestOnChange: a first load and a load of a new version each notify once;
// a reload of the same version, a hit and a stale copy do not; after
// cancel nothing is delivered.
func TestOnChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory()
		defer srv.Close()
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "one"}); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: new("s1")}); err != nil {
			t.Fatal(err)
		}
		c := mustNew(t, srv.Clients(), WithTTL(time.Minute), WithRefreshAhead(0))
		var log changeLog
		cancel, err := c.OnChange(log.add)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		req := ParameterRequest{Name: "/app/x", WithDecryption: true}
		read := func(r ParameterRequest) {
			t.Helper()
			if _, err := c.Parameter(ctx, r); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		read(req)
		if got := log.take(); len(got) != 1 || got[0].Kind != ParameterChanged || got[0].Parameter.Name != "/app/x" ||
			!got[0].Parameter.WithDecryption || got[0].OldVersion != "" || got[0].NewVersion != "1" {
			t.Fatalf("after the first load: changes %+v; want one ParameterChanged /app/x \"\" → 1", got)
		}
		read(req)                                                                   // a hit
		read(ParameterRequest{Name: "/app/x", WithDecryption: true, Refresh: true}) // same version reloaded
		if got := log.take(); len(got) != 0 {
			t.Fatalf("after a hit and a reload of the same version: changes %+v; want none", got)
		}
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "two"}); err != nil {
			t.Fatal(err)
		}
		read(ParameterRequest{Name: "/app/x", WithDecryption: true, Refresh: true})
		if got := log.take(); len(got) != 1 || got[0].OldVersion != "1" || got[0].NewVersion != "2" {
			t.Fatalf("after a new version: changes %+v; want one 1 → 2", got)
		}

		if _, err := c.Secrets(ctx, []SecretRequest{{SecretID: "db"}}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if got := log.take(); len(got) != 1 || got[0].Kind != SecretChanged || got[0].Secret.SecretID != "db" || got[0].NewVersion == "" {
			t.Fatalf("after a batch secret read: changes %+v; want one SecretChanged db", got)
		}

		cancel()
		cancel()
		if _, err := srv.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "three"}); err != nil {
			t.Fatal(err)
		}
		read(ParameterRequest{Name: "/app/x", WithDecryption: true, Refresh: true})
		if got := log.take(); len(got) != 0 {
			t.Fatalf("after cancel: changes %+v; want none", got)
		}
	})
}

// TestOnChangeBounds: at most MaxSubscribers functions; a subscriber that
// blocks never blocks a load, and changes past the queue's bound become one
// ChangesDropped; a panicking subscriber does not stop delivery.
func TestOnChangeBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := mustNew(t, newFake().clients())
		var cancels []func()
		for range MaxSubscribers {
			cancel, err := c.OnChange(func(Change) {})
			if err != nil {
				t.Fatal(err)
			}
			cancels = append(cancels, cancel)
		}
		if _, err := c.OnChange(func(Change) {}); !errors.Is(err, ErrTooManySubscribers) {
			t.Fatalf("OnChange beyond %d subscribers: err = %v; want ErrTooManySubscribers", MaxSubscribers, err)
		}
		for _, cancel := range cancels {
			cancel()
		}

		release := make(chan struct{})
		var log changeLog
		if _, err := c.OnChange(func(ch Change) {
			<-release
			log.add(ch)
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.OnChange(func(Change) { panic("subscriber") }); err != nil {
			t.Fatal(err)
		}
		w := c.watch.Load()
		const n = maxPendingChanges + 10
		for i := range n + 1 { // the first is taken by the delivery goroutine at once
			w.enqueue(Change{Kind: ParameterChanged, NewVersion: string(rune('a' + i%26))})
			if i == 0 {
				synctest.Wait()
			}
		}
		close(release)
		synctest.Wait()
		got := log.take()
		if want := 1 + maxPendingChanges + 1; len(got) != want || got[len(got)-1].Kind != ChangesDropped {
			t.Fatalf("delivered %d changes, last %+v; want %d, the last ChangesDropped", len(got), got[len(got)-1], want)
		}
	})
}

// TestOnChangeNil: a nil function is refused.
func TestOnChangeNil(t *testing.T) {
	c := mustNew(t, newFake().clients())
	if _, err := c.OnChange(nil); err == nil {
		t.Fatal("OnChange(nil): err = nil; want an error")
	}
}
