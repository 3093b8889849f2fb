package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

// Parameter returns the parameter req names: from memory while its entry is
// fresh, else from SSM through one shared call. The error is a
// [*RequestError] for a request that is invalid, ctx's error if ctx ends
// first, [ErrClosed], or an upstream error matching one of the kinds
// ([ErrNotFound], …).
func (c *Cache) Parameter(ctx context.Context, req ParameterRequest) (Parameter, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(k); e != nil {
			return e.param, e.err
		}
	}
	if err := req.validate(); err != nil {
		return Parameter{}, err
	}
	e, err := c.load(ctx, k, req.Refresh)
	if err != nil {
		return Parameter{}, err
	}
	return e.param, nil
}

// Secret returns the secret version req names: from memory while its entry
// is fresh, else from Secrets Manager through one shared call. Errors are
// as for [Cache.Parameter].
func (c *Cache) Secret(ctx context.Context, req SecretRequest) (Secret, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(k); e != nil {
			return e.secret, e.err
		}
	}
	if err := req.validate(); err != nil {
		return Secret{}, err
	}
	e, err := c.load(ctx, k, req.Refresh)
	if err != nil {
		return Secret{}, err
	}
	return e.secret, nil
}

// load answers a read that the hit path could not: from a stale entry while
// its key backs off, else through the key's shared flight. The caller waits
// on its own ctx; leaving early does not stop the flight for the others.
func (c *Cache) load(ctx context.Context, k key, force bool) (*entry, error) {
	c.stats.misses.Add(1)
	if !force {
		if cur := c.current(k); cur != nil {
			now := time.Now()
			if now.Before(cur.retryAt) && now.Before(cur.staleUntil) {
				if cur.err != nil {
					return nil, cur.err // backing off after repeated failures
				}
				c.serveStale(cur, now)
				return cur, nil
			}
		}
	}
	if c.isClosed() {
		return nil, ErrClosed
	}
	fk := k.flightKey()
	if force {
		fk += "\x00refresh" // forced reads coalesce among themselves only
	}
	led := false
	ch := c.flight.DoChan(fk, func() (any, error) {
		led = true
		return c.fill(k, force, nil)
	})
	select {
	case r := <-ch:
		if !led {
			c.stats.coalesced.Add(1)
		}
		if r.Err != nil {
			return nil, r.Err
		}
		e := r.Val.(*entry)
		if e.err != nil {
			return nil, e.err
		}
		if now := time.Now(); !now.Before(e.expires) {
			c.serveStale(e, now)
		}
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Cache) serveStale(e *entry, now time.Time) {
	c.stats.staleServes.Add(1)
	if c.cfg.logger.Enabled(context.Background(), slog.LevelDebug) {
		c.cfg.logger.LogAttrs(context.Background(), slog.LevelDebug, "serving stale value",
			slog.String("kind", e.key.kind.String()), slog.String("name", e.key.name),
			slog.Duration("age", now.Sub(e.fetched)), slog.Int("failures", e.failures))
	}
}

func (c *Cache) isClosed() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.closed
}

// fill is the body of a flight: it makes the one upstream call for k and
// stores what it learnt. trigger is the entry a refresh-ahead started from.
//
// Why fill checks the store again (the habit of groupcache's load):
//
//  1. reader A misses k; reader B misses k
//  2. A's flight runs, stores v, ends
//  3. B calls DoChan after the flight ended and starts a new one
//
// Without the check B's flight would call upstream again for a value that
// is already fresh.
func (c *Cache) fill(k key, force bool, trigger *entry) (res *entry, err error) {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return nil, ErrClosed
	}
	c.wg.Add(1)
	c.mu.RUnlock()
	defer c.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &panicError{op: k.op(), name: k.name, typ: fmt.Sprintf("%T", p)}
			c.stats.loadErrors.Add(1)
			c.cfg.logger.LogAttrs(context.Background(), slog.LevelError, "upstream call panicked",
				slog.String("kind", k.kind.String()), slog.String("name", k.name), slog.String("panic", fmt.Sprintf("%T", p)))
		}
	}()

	cur := c.current(k)
	if cur != nil && cur.err == nil && !force {
		now := time.Now()
		if trigger == nil && now.Before(cur.expires) {
			return cur, nil // another flight stored it meanwhile
		}
		if trigger != nil && cur != trigger && now.Before(cur.refreshAt) {
			return cur, nil // refreshed meanwhile
		}
	}
	gen := c.gen.Add(1)
	ctx, cancel := context.WithTimeout(c.ctx, c.timeout(k.kind))
	defer cancel()
	c.stats.loads.Add(1)
	e, err := c.fetch(ctx, k)
	now := time.Now()
	if err == nil {
		e.gen = gen
		c.stamp(e, now)
		c.put(e, nil)
		if k.kind == kindPath { // later single reads of these names hit
			for _, p := range e.params {
				c.storeParameter(ParameterRequest{Name: p.Name, WithDecryption: k.decrypt}, p, gen, now)
			}
		}
		return e, nil
	}
	c.stats.loadErrors.Add(1)
	if c.ctx.Err() != nil {
		return nil, ErrClosed
	}
	return c.failed(k, cur, gen, err, force, now)
}

// failed decides what a failed load leaves behind and returns: a remembered
// not-found, a stale value, a backoff, or just the error. It never removes
// or changes a stored value that may still be served because of a failure.
func (c *Cache) failed(k key, cur *entry, gen uint64, err error, force bool, now time.Time) (*entry, error) {
	code := ""
	var se *source.Error
	if errors.As(err, &se) {
		code = se.Code
	}
	c.cfg.logger.LogAttrs(context.Background(), slog.LevelWarn, "upstream call failed",
		slog.String("kind", k.kind.String()), slog.String("name", k.name), slog.String("code", code), slog.String("error", err.Error()))

	hasValue := cur != nil && cur.err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		c.rememberNotFound(k, err, gen, now)
		return nil, err
	case hasValue && !force && now.Before(cur.staleUntil) && c.cfg.staleOn(err):
		n := cur.failures + 1
		wait := c.backoff(n)
		ne := &entry{key: k, param: cur.param, secret: cur.secret, params: cur.params, gen: gen, fetched: cur.fetched,
			expires: cur.expires, staleUntil: cur.staleUntil, failures: n, retryAt: now.Add(wait)}
		if !cur.refreshAt.IsZero() {
			ne.refreshAt = now.Add(wait)
		}
		c.put(ne, cur)
		return ne, nil
	case source.IsTransient(err) && c.cfg.backoffBase > 0 && (!hasValue || !force && !now.Before(cur.staleUntil)):
		// A value past its staleness bound can no longer be served: the
		// key backs off as one without a value does, or every read would
		// call the failing upstream once the bound has passed.
		n := 1
		if cur != nil {
			n = cur.failures + 1
		}
		retry := now.Add(c.backoff(n))
		c.put(&entry{key: k, err: err, gen: gen, fetched: now, expires: retry, retryAt: retry,
			staleUntil: now.Add(c.cfg.backoffMax + c.cfg.backoffBase), failures: n}, cur)
		return nil, err
	}
	return nil, err
}

// rememberNotFound stores a not-found answer for the negative TTL.
func (c *Cache) rememberNotFound(k key, err error, gen uint64, now time.Time) {
	if c.cfg.negativeTTL > 0 {
		exp := now.Add(c.cfg.negativeTTL)
		c.put(&entry{key: k, err: err, gen: gen, fetched: now, expires: exp, staleUntil: exp}, nil)
	}
}

// backoff is how long a key waits after its n-th consecutive transient
// failure: nothing after the first, then base·2^(n-2) jittered by ±50 %,
// capped at the maximum.
func (c *Cache) backoff(n int) time.Duration {
	if n < 2 || c.cfg.backoffBase <= 0 {
		return 0
	}
	d := c.cfg.backoffBase
	for i := 2; i < n && d < c.cfg.backoffMax; i++ {
		d *= 2
	}
	d = d/2 + rand.N(d)
	return min(d, c.cfg.backoffMax)
}

// stamp sets a fresh entry's times from the TTL of its kind.
func (c *Cache) stamp(e *entry, now time.Time) {
	ttl := c.ttl(e.key.kind)
	e.fetched = now
	e.expires = now.Add(ttl)
	e.staleUntil = e.expires.Add(c.cfg.maxStale)
	if f := c.cfg.refreshAhead; f > 0 && ttl > 0 {
		f -= rand.Float64() * 0.1 // jitter: a fleet started together spreads its refreshes
		e.refreshAt = now.Add(time.Duration(max(f, 0.05) * float64(ttl)))
	}
}

func (c *Cache) timeout(k kind) time.Duration {
	d := c.cfg.paramTimeout
	if k == kindSecret {
		d = c.cfg.secretTimeout
	}
	if d <= 0 {
		d = c.cfg.loadTimeout
	}
	return d
}

// refreshAhead starts one background reload of e's key; readers keep
// getting e meanwhile. The reload runs on the cache's context with the load
// timeout, so a Lambda freeze cannot leave it running unbounded, and a late
// result never overwrites a newer one (put compares load generations).
func (c *Cache) refreshAhead(e *entry) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return
	}
	c.wg.Add(1)
	c.stats.refreshes.Add(1)
	go func() {
		defer c.wg.Done()
		k := e.key
		<-c.flight.DoChan(k.flightKey(), func() (any, error) { return c.fill(k, false, e) })
	}()
}

func (k key) op() string {
	switch k.kind {
	case kindSecret:
		return "GetSecretValue"
	case kindPath:
		return "GetParametersByPath"
	}
	return "GetParameter"
}

// fetch makes the upstream call for k and returns a new, unstamped entry.
func (c *Cache) fetch(ctx context.Context, k key) (*entry, error) {
	switch k.kind {
	case kindPath:
		return c.fetchPath(ctx, k)
	case kindParameter:
		if c.src.Parameter == nil {
			return nil, fmt.Errorf("GetParameter %q: %w", k.name, ErrNoSource)
		}
		r := ParameterRequest{Name: k.name, Version: k.version, Label: k.label}
		out, err := c.src.Parameter.GetParameter(ctx, &ssm.GetParameterInput{
			Name: aws.String(r.upstreamName()), WithDecryption: aws.Bool(k.decrypt)})
		if err != nil {
			return nil, source.Classify("GetParameter", k.name, err)
		}
		if out == nil || out.Parameter == nil {
			return nil, emptyAnswer("GetParameter", k.name)
		}
		return &entry{key: k, param: newParameter(out.Parameter)}, nil
	default:
		if c.src.Secret == nil {
			return nil, fmt.Errorf("GetSecretValue %q: %w", k.name, ErrNoSource)
		}
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(k.name)}
		if k.id != "" {
			in.VersionId = aws.String(k.id)
		}
		if k.label != "" {
			in.VersionStage = aws.String(k.label)
		}
		out, err := c.src.Secret.GetSecretValue(ctx, in)
		if err != nil {
			return nil, source.Classify("GetSecretValue", k.name, err)
		}
		if out == nil {
			return nil, emptyAnswer("GetSecretValue", k.name)
		}
		return &entry{key: k, secret: newSecret(out)}, nil
	}
}

func emptyAnswer(op, name string) error {
	return &source.Error{Op: op, Name: name, Code: "EmptyResponse", Kind: source.ErrUnavailable,
		Err: errors.New("the service answered without a value")}
}
