package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/parsec-go/parsec/source"
)

// Rotation-aware expiry (WithRotationAware). A secret read by stage (the
// default AWSCURRENT, or a VersionStage) is fetched together with its
// DescribeSecret, and the answer's NextRotationDate caps the entry's TTL:
// it is fresh no later than shortly after the scheduled rotation, jittered
// so that a fleet does not reload together. When the TTL (or the cap) ends,
// the reload asks DescribeSecret first; if the stage still names the
// version in memory, that value is kept with the new schedule, without a
// GetSecretValue. Calls, for one secret read continuously with a TTL T:
//
//   - first read: GetSecretValue + DescribeSecret (concurrently)
//   - each later expiry: DescribeSecret, + GetSecretValue only when the
//     stage moved to a new version (a rotation, a PutSecretValue)
//
// so 3600/T DescribeSecret calls an hour and one GetSecretValue per change,
// against 3600/T GetSecretValue calls without it: as many calls, but none
// that reads (or, with a customer managed key, decrypts) the value while
// it has not changed. The option's point is that a long TTL becomes safe:
// the cap ends it at the rotation (see docs/rotation.md for the figures).
//
// A read by VersionID never changes and is not described. Batch reads
// (Secrets) keep the TTL alone. A DescribeSecret that fails (no
// secretsmanager:DescribeSecret permission, say) never fails a read: the
// value is read and kept for its TTL, as without the option.

// DefaultRotationJitter is how long after its NextRotationDate a secret's
// entry expires at most: a random point in [0, DefaultRotationJitter)
// after it, so that a fleet does not reload together.
const DefaultRotationJitter = time.Minute

// WithRotationAware makes secret reads by stage follow the secret's
// rotation schedule (see the package documentation and docs/rotation.md):
// each entry expires no later than shortly after the secret's
// NextRotationDate (DescribeSecret, fetched with the value), and a reload
// that finds the same version in DescribeSecret keeps the value without a
// GetSecretValue. It needs src.Describe (the clients of source.New have
// it) and the IAM action secretsmanager:DescribeSecret. Off by default, as
// the extension: no DescribeSecret is ever called.
func WithRotationAware(on bool) Option {
	return func(c *config) error {
		c.rotationAware = on
		return nil
	}
}

// WithRotationJitter sets the window after a NextRotationDate in which a
// rotation-aware entry expires (default [DefaultRotationJitter]). It must
// be positive.
func WithRotationJitter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("cache: WithRotationJitter must be positive, got %v", d)
		}
		c.rotationJitter = d
		return nil
	}
}

// rotationClients returns the clients a cache reads with: without
// WithRotationAware, src without its describer, which turns every
// rotation-aware path off (fetchSecret tests src.Describe).
func rotationClients(cfg config, src source.Clients) (source.Clients, error) {
	if !cfg.rotationAware {
		src.Describe = nil
		return src, nil
	}
	if src.Describe == nil {
		return src, errors.New("cache: WithRotationAware needs source.Clients.Describe (DescribeSecret); source.New sets it")
	}
	return src, nil
}

// secretRotation is what a rotation-aware read learnt from DescribeSecret.
type secretRotation struct {
	next time.Time // NextRotationDate; zero: none
}

// expiring is a value that stops being current at a known time: its entry
// is fresh no later than then (see stamp).
type expiring interface {
	expiresAt() time.Time
}

// expiresAt is the secret's NextRotationDate when it was read
// rotation-aware; zero otherwise.
func (s Secret) expiresAt() time.Time {
	if s.rotation == nil {
		return time.Time{}
	}
	return s.rotation.next
}

func (s Secret) withRotation(r source.Rotation) Secret {
	s.rotation = &secretRotation{next: r.Next}
	return s
}

// capExpiry ends e's freshness no later than a random point within the
// jitter after the time its value expires at. A time already past (a
// rotation that is late or failing) does not shorten the TTL: reloading
// on every read would not make it come sooner.
func (c *Cache) capExpiry(e *entry, now int64) {
	x, ok := e.val.(expiring)
	if !ok {
		return
	}
	t := x.expiresAt()
	if t.IsZero() {
		return
	}
	jitter := c.cfg.rotationJitter
	if jitter <= 0 {
		jitter = DefaultRotationJitter
	}
	at := int64(t.Sub(c.epoch)) + rand.Int64N(int64(jitter))
	if at <= now || at >= e.fresh {
		return
	}
	e.stale -= e.fresh - at
	e.fresh = at
	if e.refresh >= at {
		e.refresh = 0 // refreshing before the rotation would fetch the old version again
	}
}

// fetchSecretRotating is fetchSecret for a rotation-aware read by stage:
// DescribeSecret, and GetSecretValue unless prev is still the version of
// the stage.
func fetchSecretRotating(ctx context.Context, src source.Clients, k key, prev value) (value, error) {
	stage := k.stage
	if stage == "" {
		stage = source.StageCurrent
	}
	p, hasPrev := prev.(Secret)
	if !hasPrev || p.VersionID == "" {
		return fetchBoth(ctx, src, k)
	}
	rot, err := src.ReadRotation(ctx, k.name)
	if err == nil && rot.Deleted.IsZero() && rot.Version(stage) == p.VersionID {
		return p.withRotation(rot), nil // revalidated: one DescribeSecret, no GetSecretValue
	}
	s, gerr := src.ReadSecret(ctx, k.name, "", k.stage)
	if gerr != nil {
		return nil, gerr
	}
	v := newSecret(s)
	if err == nil {
		v = v.withRotation(rot)
	}
	return v, nil
}

// fetchBoth makes a first rotation-aware read: GetSecretValue and
// DescribeSecret at once, so that the read waits for the slower of the
// two, not their sum. A failed DescribeSecret leaves the value without a
// schedule (the TTL alone).
func fetchBoth(ctx context.Context, src source.Clients, k key) (value, error) {
	type described struct {
		r   source.Rotation
		err error
	}
	ch := make(chan described, 1) // the goroutine never blocks, even if this call returns first
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		r, err := src.ReadRotation(dctx, k.name)
		ch <- described{r, err}
	}()
	s, err := src.ReadSecret(ctx, k.name, "", k.stage)
	if err != nil {
		return nil, err
	}
	v := newSecret(s)
	if d := <-ch; d.err == nil {
		v = v.withRotation(d.r)
	}
	return v, nil
}
