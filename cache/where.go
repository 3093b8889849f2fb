package cache

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/parsec-go/parsec/source"
)

// Where a value comes from: the role a read goes through (a field of its
// key, RoleARN), and the replica regions a secret load may fail over to
// (a part of its fetch, WithFailoverRegions). Both reach the source in the
// one context upstream builds.

// WithFailoverRegions lets a secret load whose primary region fails
// transiently (throttled, a 5xx answer, a timeout, a refused or broken
// connection) and that has no value to serve instead (none in memory, or
// past WithMaxStale) read the secret from these replica regions of
// Secrets Manager's replication, in order, each call bounded by the
// secret timeout (or the load timeout), within the caller's deadline:
// see source.WithFailover. A not-found or access-denied answer never fails
// over. The value records the region that served it ([Secret.Region]);
// [Stats.Failovers] counts such loads and each is logged at INFO with the
// primary's error. Backoff and WithMaxLoads still hold: a failover is part
// of one load. Parameters have no replicas: parameter reads never fail
// over. Each region must have the form of a region name (us-west-2); none
// (the default) turns failover off. Only the clients of source.New fail
// over.
func WithFailoverRegions(regions ...string) Option {
	regions = slices.Clone(regions)
	return func(c *config) error {
		for _, r := range regions {
			if err := source.CheckRegion(r, r); err != nil {
				return fmt.Errorf("cache: failover region %q: %w", r, err)
			}
		}
		c.failover = regions
		return nil
	}
}

// upstream returns the context of k's upstream call, made from parent:
// k's role and, for a secret load with no value it could serve on a
// failure (noStale), failover to the WithFailoverRegions regions, each
// region's call bounded by the kind's timeout, the load by that much per
// region.
func (c *Cache) upstream(parent context.Context, k key, noStale bool) (context.Context, context.CancelFunc) {
	d := c.timeout(k.kind)
	ctx := source.WithRole(parent, k.role)
	if k.kind == kindSecret && noStale && len(c.cfg.failover) > 0 {
		ctx = source.WithFailover(ctx, source.Failover{Regions: c.cfg.failover, Timeout: d})
		d *= time.Duration(1 + len(c.cfg.failover))
	}
	return context.WithTimeout(ctx, d)
}

// servedBy counts and logs a secret a replica region served.
func (c *Cache) servedBy(k key, v value) {
	s, ok := v.(Secret)
	if !ok || s.failover == nil {
		return
	}
	c.stats.failovers.Add(1)
	attrs := []slog.Attr{slog.String("name", k.name), slog.String("region", s.Region), slog.String("primary", s.failover.Primary)}
	if s.failover.Cause != nil {
		attrs = append(attrs, slog.String("error", s.failover.Cause.Error()))
	}
	if k.role != "" {
		attrs = append(attrs, slog.String("role", k.role))
	}
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "secret served by a replica region", attrs...)
}

// prefetchTagged is Prefetch's SecretTags: it lists the secrets carrying
// one of tags (ListSecrets, paged, bounded by ctx and the load timeout),
// at most half the cache's size of them (each is stored twice), reads them
// by ARN with BatchGetSecretValue, twenty a call (detached: loadCtx), and
// stores each under its name too, so that a later read by either hits.
func (c *Cache) prefetchTagged(ctx, loadCtx context.Context, tags []string) error {
	limit := max(1, c.cfg.maxEntries/2)
	lctx, cancel := context.WithTimeout(ctx, c.cfg.loadTimeout)
	defer cancel()
	c.stats.loads.Add(1)
	refs, more, err := c.src.ListSecretsByTag(lctx, tags, limit)
	if err != nil {
		c.stats.loadErrors.Add(1)
		return &BatchError{Items: []ItemError{{Index: -1, Name: "tag-key=" + fmt.Sprint(tags), Err: err}}}
	}
	if more {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "prefetch by tag: more secrets carry the tags than the cache holds; the rest load on first read",
			slog.Any("tags", tags), slog.Int("prefetched", len(refs)), slog.Int("maxEntries", c.cfg.maxEntries))
	}
	reqs := make([]SecretRequest, len(refs))
	for i, r := range refs {
		reqs[i] = SecretRequest{SecretID: r.ARN}
	}
	_, err = c.Secrets(loadCtx, reqs)
	now := c.now()
	for _, r := range refs {
		byARN := SecretRequest{SecretID: r.ARN}.key()
		if e := c.store.value(&byARN); e != nil && r.Name != "" && r.Name != r.ARN && c.caching(kindSecret) {
			c.storeValue(SecretRequest{SecretID: r.Name}.key(), e.val, e.born, now)
		}
	}
	return err
}
