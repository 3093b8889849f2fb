package cache

// Done returns a channel that is closed when [Cache.Close] starts, for work
// that lives as long as the cache (a poller of change events, say) to stop
// with it. It never returns nil.
func (c *Cache) Done() <-chan struct{} { return c.ctx.Done() }
