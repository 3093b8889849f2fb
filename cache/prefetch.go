package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Prefetch lists what a function needs, to load during its INIT.
type Prefetch struct {
	Parameters []ParameterRequest // fetched with GetParameters, ten per call
	Paths      []PathRequest      // fetched with GetParametersByPath
	Secrets    []SecretRequest    // fetched with BatchGetSecretValue where possible
	// SecretTags prefetches every secret that carries one of these tag
	// keys, as the Secrets Manager Agent and Cloud Extensions do: listed
	// with ListSecrets (a tag-key filter, paged), read with
	// BatchGetSecretValue twenty a call, and stored under the secret's
	// name and under its ARN, so that a later read by either hits. At most
	// half of WithMaxEntries secrets are prefetched (each takes two
	// entries); more carrying the tags are logged at WARN and load on
	// their first read. The listing is bounded by ctx and the load
	// timeout. The source needs a SecretLister (source.New has one).
	SecretTags []string
	// Required makes Prefetch return a *PrefetchError when anything failed
	// or did not finish in time. Otherwise each failure is logged at WARN
	// with its name and Prefetch returns nil: what did not load is loaded
	// on its first read.
	Required bool
}

// PrefetchError reports what a required prefetch could not load.
type PrefetchError struct {
	Failed     []ItemError // items whose load failed
	Unfinished bool        // ctx ended before every load finished
	Cause      error       // ctx's error when Unfinished
}

func (e *PrefetchError) Error() string {
	msg := fmt.Sprintf("prefetch: %d items failed", len(e.Failed))
	if e.Unfinished {
		msg += fmt.Sprintf("; unfinished: %v", e.Cause)
	}
	if len(e.Failed) > 0 {
		msg += "; first: " + e.Failed[0].Error()
	}
	return msg
}

// Unwrap returns the items' errors and the cause.
func (e *PrefetchError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed)+1)
	for _, it := range e.Failed {
		errs = append(errs, it)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// Prefetch warms the cache with everything p lists, in batched calls, and
// waits until they are done or ctx ends (give ctx the deadline INIT can
// afford). Loads still running when ctx ends go on in the background, up to
// the load timeout, and store what they fetch; anything not loaded by then
// is loaded lazily by its first read. Values land under the keys single
// reads use. See [Prefetch.Required] for what is returned.
func (c *Cache) Prefetch(ctx context.Context, p Prefetch) error {
	var mu sync.Mutex
	var failed []ItemError
	collect := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var be *BatchError
		if errors.As(err, &be) {
			failed = append(failed, be.Items...)
			return
		}
		failed = append(failed, ItemError{Index: -1, Err: err})
	}
	// The loads run detached from ctx so that what does not finish in time
	// still lands in the cache; Close bounds them.
	loadCtx := context.WithoutCancel(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	if len(p.Parameters) > 0 {
		wg.Go(func() { _, err := c.Parameters(loadCtx, p.Parameters); collect(err) })
	}
	if len(p.Secrets) > 0 {
		wg.Go(func() { _, err := c.Secrets(loadCtx, p.Secrets); collect(err) })
	}
	if len(p.SecretTags) > 0 {
		wg.Go(func() { collect(c.prefetchTagged(ctx, loadCtx, p.SecretTags)) })
	}
	for i, path := range p.Paths {
		wg.Go(func() {
			if _, err := c.ParametersByPath(loadCtx, path); err != nil {
				collect(&BatchError{Items: []ItemError{{Index: i, Name: path.Path, Err: err}}})
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	perr := &PrefetchError{}
	select {
	case <-done:
	case <-ctx.Done():
		perr.Unfinished, perr.Cause = true, ctx.Err()
	}
	mu.Lock()
	perr.Failed = append([]ItemError(nil), failed...)
	mu.Unlock()
	if len(perr.Failed) == 0 && !perr.Unfinished {
		return nil
	}
	if !p.Required {
		c.logPrefetch(perr)
		return nil
	}
	return perr
}

// logPrefetch logs at WARN each item a prefetch that is not required could
// not load, by name, and whether it ran out of time.
func (c *Cache) logPrefetch(perr *PrefetchError) {
	for _, it := range perr.Failed {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "prefetch failed; loads on first read",
			slog.String("name", it.Name), slog.String("error", it.Err.Error()))
	}
	if perr.Unfinished {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "prefetch unfinished; the rest loads on first read",
			slog.String("error", perr.Cause.Error()))
	}
}
