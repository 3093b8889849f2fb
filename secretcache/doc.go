// Package secretcache is a drop-in for aws-secretsmanager-caching-go v2
// (import path github.com/aws/aws-secretsmanager-caching-go/v2/secretcache,
// the version built on the AWS SDK for Go v2): the same exported names and
// signatures, backed by parsec's cache, so that changing the import path is
// the whole migration. (Its v1 module takes SDK v1 clients; code on it
// moves to SDK v2 first.)
//
//	import "github.com/parsec-go/parsec/secretcache" // was github.com/aws/aws-secretsmanager-caching-go/v2/secretcache
//
//	var secretCache, _ = secretcache.New()
//	result, err := secretCache.GetSecretString(secretId)
//
// # What stays the same
//
// [New] with option functions on [*Cache]; [CacheConfig] (MaxCacheSize,
// CacheItemTTL in nanoseconds, VersionStage, Hook) with that library's
// defaults: 1,024 items, 1 hour, AWSCURRENT ([DefaultMaxCacheSize],
// [DefaultCacheItemTTL], [DefaultVersionStage]); the Client field with
// the [SecretsManagerAPIClient] interface; [CacheHook]; GetSecretString,
// GetSecretStringWithStage, GetSecretBinary, GetSecretBinaryWithStage and
// their WithContext variants; and the error types [VersionNotFoundError],
// [InvalidConfigError] and [InvalidOperationError] with their Message.
// When Client is nil, New builds one from the SDK's default configuration.
//
// # What parsec changes underneath
//
// One GetSecretValue call per stage instead of DescribeSecret followed by
// GetSecretValue; concurrent misses of one secret share that call, and no
// lock is held across it; a value is refreshed in the background after
// 80 % of its TTL, so readers do not wait on the refresh; when Secrets
// Manager throttles or fails, the previous value is served for at most
// 5 minutes past its TTL (parsec's default; the library served it without
// bound, also after the secret was deleted); a not-found answer is
// remembered for 5 s. Upstream errors name the operation and the secret
// and still unwrap to the SDK's (errors.As finds
// *types.ResourceNotFoundException); they also match parsec's kinds
// (errors.Is(err, cache.ErrNotFound)). The hook runs on every read.
// Values never appear in errors or logs.
//
// For more (parameters, batch reads, the SDK middleware, stats), use
// packages cache and sdkcache directly.
package secretcache
