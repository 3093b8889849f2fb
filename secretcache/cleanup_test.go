package secretcache_test

import (
	"runtime"
	"testing"

	"github.com/parsec-go/parsec/secretcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestUnreachableCacheIsReleased: code written for the library never
// closes its Cache; once unreachable, the parsec cache underneath is
// closed and its store's goroutines end.
func TestUnreachableCacheIsReleased(t *testing.T) {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	client := srv.SecretsManager()
	runtime.GC()
	before := runtime.NumGoroutine()
	held := make([]*secretcache.Cache, 20)
	for i := range held {
		c, err := secretcache.New(func(c *secretcache.Cache) { c.Client = client })
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	if n := runtime.NumGoroutine(); n < before+20 {
		t.Fatalf("%d goroutines with 20 caches, %d before: the store starts none?", n, before)
	}
	runtime.KeepAlive(held)
	for i := 0; i < 1000 && runtime.NumGoroutine() > before+2; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines after the caches became unreachable, %d before: they were not released", n, before)
	}
}
