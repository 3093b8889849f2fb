package cache

import (
	"context"
	"fmt"
)

// WithSecret runs fn with the secret req names. If fn's error is one that
// rejected reports as a rejected credential (say, a database's
// authentication failure after the secret was rotated), WithSecret fetches
// the secret again, bypassing the cache, and runs fn once more with the new
// value. It returns fn's last error, or the read's error. A nil rejected
// never retries.
func (c *Cache) WithSecret(ctx context.Context, req SecretRequest, rejected func(error) bool, fn func(Secret) error) error {
	s, err := c.Secret(ctx, req)
	if err != nil {
		return err
	}
	err = fn(s)
	if err == nil || rejected == nil || !rejected(err) {
		return err
	}
	req.Refresh = true
	fresh, rerr := c.Secret(ctx, req)
	if rerr != nil {
		return fmt.Errorf("credential rejected (%w); refreshing the secret failed: %w", err, rerr)
	}
	return fn(fresh)
}
