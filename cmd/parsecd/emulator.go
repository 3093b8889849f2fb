package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// emulator serves the values of an emulator file through the same handler
// as the other modes: an in-process sourcetest.Server seeded from the file
// stands in for AWS, and the real SDK talks to it over loopback. When the
// file changes, a new generation (fake server, cache, handler) is built and
// swapped in; the old one is closed once its requests have finished. A file
// that no longer parses is logged and the old generation keeps serving.
type emulator struct {
	file       string
	latencyMin time.Duration
	latencyMax time.Duration
	build      func(*cache.Cache) (http.Handler, error) // the handler for a generation's cache
	cacheOpts  []cache.Option
	log        *slog.Logger

	mu  sync.RWMutex // protects cur; held for writing only to swap
	cur *generation
}

// generation is one loaded version of the file.
type generation struct {
	stamp    fileStamp
	fake     *sourcetest.Server
	cache    *cache.Cache
	h        http.Handler
	inflight sync.WaitGroup
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func statFile(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// load builds a generation from the file as it is now.
func (e *emulator) load() (*generation, error) {
	st, err := statFile(e.file)
	if err != nil {
		return nil, fmt.Errorf("emulator file: %w", err)
	}
	em, err := loadEmulation(e.file)
	if err != nil {
		return nil, err
	}
	var opts []sourcetest.Option
	if em.region != "" {
		opts = append(opts, sourcetest.WithRegion(em.region))
	}
	if e.latencyMax > 0 {
		opts = append(opts, sourcetest.WithLatency(e.latencyMin, e.latencyMax))
	}
	fake := sourcetest.NewUnstartedServer(opts...)
	if err := em.seed(fake); err != nil {
		fake.Close()
		return nil, err
	}
	fake.Start()
	c, err := cache.New(fake.Clients(), e.cacheOpts...)
	if err != nil {
		fake.Close()
		return nil, err
	}
	h, err := e.build(c)
	if err != nil {
		_ = c.Close()
		fake.Close()
		return nil, err
	}
	params, secrets := em.counts()
	e.log.Info("parsecd: emulator loaded", "file", e.file, "parameterVersions", params, "secretVersions", secrets)
	return &generation{stamp: st, fake: fake, cache: c, h: h}, nil
}

// start loads the file for the first time.
func (e *emulator) start() error {
	g, err := e.load()
	if err != nil {
		return err
	}
	e.cur = g
	return nil
}

func (e *emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.RLock()
	g := e.cur
	g.inflight.Add(1) // under the lock: retire cannot have started waiting
	e.mu.RUnlock()
	defer g.inflight.Done()
	g.h.ServeHTTP(w, r)
}

// watch polls the file every interval until ctx ends and reloads it when
// its modification time or size changes.
func (e *emulator) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.reloadIfChanged()
	}
}

// reloadIfChanged reloads the file if it changed since the current
// generation was loaded, and reports whether it swapped generations.
func (e *emulator) reloadIfChanged() bool {
	st, err := statFile(e.file)
	e.mu.RLock()
	last := e.cur.stamp
	e.mu.RUnlock()
	if err != nil || st == last {
		return false // a file being replaced may briefly be missing
	}
	g, err := e.load()
	if err != nil {
		e.log.Error("parsecd: emulator file not reloaded; still serving the previous version", "error", err.Error())
		// Remember the stamp so that the same bad file is not reported every poll.
		e.mu.Lock()
		e.cur.stamp = st
		e.mu.Unlock()
		return false
	}
	e.mu.Lock()
	old := e.cur
	e.cur = g
	e.mu.Unlock()
	retire(old)
	return true
}

// retire waits for old's requests, then closes it.
func retire(old *generation) {
	old.inflight.Wait()
	_ = old.cache.Close()
	old.fake.Close()
}

// close closes the current generation; call it after the server has shut
// down.
func (e *emulator) close() {
	e.mu.Lock()
	g := e.cur
	e.mu.Unlock()
	if g != nil {
		retire(g)
	}
}
