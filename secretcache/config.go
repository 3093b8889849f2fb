package secretcache

// The defaults of aws-secretsmanager-caching-go, kept by this package. The
// parsec cache underneath has its own (see package cache): a 300 s TTL and
// 1000 entries when used directly; here they are replaced by these.
const (
	// DefaultMaxCacheSize is how many secret versions are cached when
	// CacheConfig.MaxCacheSize is 0 (parsec: cache.DefaultMaxEntries, 1000).
	DefaultMaxCacheSize = 1024
	// DefaultCacheItemTTL is one hour in nanoseconds, the TTL when
	// CacheConfig.CacheItemTTL is 0 (parsec: cache.DefaultTTL, 300 s).
	DefaultCacheItemTTL = 3600000000000
	// DefaultVersionStage is the staging label read when none is given.
	DefaultVersionStage = "AWSCURRENT"
)

// CacheConfig is the configuration of a [Cache], with the fields and
// meaning of aws-secretsmanager-caching-go's. New reads it once, after the
// option functions ran; changing it later has no effect.
type CacheConfig struct {
	// MaxCacheSize is the maximum number of cached secret versions (a
	// secret id with a version stage). Beyond it the parsec cache's
	// admission policy (ristretto's TinyLFU) decides what stays, keeping
	// the secrets read most often, not the most recently used as in
	// aws-secretsmanager-caching-go. 0 means DefaultMaxCacheSize; a
	// negative size makes every read fail with an *InvalidConfigError.
	MaxCacheSize int

	// CacheItemTTL is how long, in nanoseconds, a cached value is served
	// before it is fetched again. 0 means DefaultCacheItemTTL; a negative
	// TTL makes every read fail with an *InvalidConfigError. The parsec
	// cache refreshes a value in the background after 80 % of it, and
	// serves the previous value for up to 5 minutes past it when Secrets
	// Manager throttles or fails (not when it says the secret is gone).
	CacheItemTTL int64

	// VersionStage is the staging label that the *WithStage methods read
	// when given an empty stage; empty means DefaultVersionStage. As in
	// aws-secretsmanager-caching-go, GetSecretString and GetSecretBinary
	// always read DefaultVersionStage.
	VersionStage string

	// Hook, if not nil, sees each value on its way out: Put receives the
	// *secretsmanager.GetSecretValueOutput and Get what Put returned, and
	// Get must return a *secretsmanager.GetSecretValueOutput. parsec keeps
	// the value itself, so both run on every read (not once per fetch, as
	// in aws-secretsmanager-caching-go), in that order.
	Hook CacheHook
}

// CacheHook is the interface of aws-secretsmanager-caching-go's hook into
// the cache. Implementations must be safe for concurrent use.
type CacheHook interface {
	// Put prepares the object for storing in the cache.
	Put(data interface{}) interface{}
	// Get derives the object from the cached object.
	Get(data interface{}) interface{}
}
