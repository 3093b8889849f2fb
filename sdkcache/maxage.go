package sdkcache

import (
	"context"
	"time"
)

type maxAgeKey struct{}

// WithMaxAge returns a context under which the reads the middleware answers
// want values fetched less than d ago, as cache.ParameterRequest.MaxAge
// does: an older cached answer is reloaded (one shared upstream call, the
// stale value if the upstream fails), a younger one is a hit. It is how a
// call through an SDK client, which has no field for it, asks for
// Powertools' max_age:
//
//	out, err := client.GetParameter(sdkcache.WithMaxAge(ctx, 10*time.Second), in)
//
// d ≤ 0 removes the bound. A context without it reads as the TTL decides.
func WithMaxAge(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, maxAgeKey{}, max(d, 0))
}

// maxAge is the bound WithMaxAge put in ctx, or 0.
func maxAge(ctx context.Context) time.Duration {
	d, _ := ctx.Value(maxAgeKey{}).(time.Duration)
	return d
}
