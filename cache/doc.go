// Package cache is parsec's in-process cache of AWS Systems Manager Parameter
// Store parameters and AWS Secrets Manager secrets: what the AWS Parameters
// and Secrets Lambda Extension serves on localhost:2773, read from the
// function's own memory.
//
// # Guarantee
//
// A cached value is returned from memory without allocation, logging or
// locking beyond the store's own, with one read of the monotonic clock. However many goroutines ask for a missing
// or expired key at once, one upstream call is made (golang.org/x/sync's
// singleflight); each caller waits on its own context and may leave without
// failing the others; the shared call runs detached from every caller and is
// bounded by a timeout; a panicking upstream becomes an error for every
// waiter. A load that finishes late never overwrites a newer value.
//
// # Semantics and defaults
//
// The defaults are the extension's: each answer is cached for 300 s
// (parameters and secrets separately configurable), at most 1000 entries for
// parameters and secrets together; above that bound ristretto's admission
// and eviction (TinyLFU, sampled LFU) decide what stays, and every entry
// refused or evicted is counted in [Stats]. Remembered failures (not-found
// answers, backoff) have a small budget of their own and never push a
// value out. The cache key holds everything that changes the answer: for a
// parameter the name exactly as given, the version, the label and
// WithDecryption; for a secret the id exactly as given, the version id and
// the version stage; for a path the path, Recursive and WithDecryption.
// [WithEnv] reads the extension's nine environment variables; an explicit
// option wins over it whatever their order. Without [WithLogger] the cache
// logs to slog.Default() at WARN and above.
//
// Beyond the extension, each with an option and a documented default:
// refresh-ahead ([WithRefreshAhead]), bounded stale-on-error ([WithMaxStale]),
// negative caching ([WithNegativeTTL]), jittered per-key backoff after
// repeated transient failures, per-call and per-load timeouts, forced refresh
// (the Refresh field of a request), [Cache.WithSecret] to retry once with a
// fresh secret when a credential is rejected, batch reads and prefetch, and
// [Cache.Stats].
//
// For values that change (docs/rotation.md): [WithRotationAware] expires a
// secret shortly after its scheduled rotation and revalidates it with
// DescribeSecret instead of reading it again; [Cache.SecretVersions] reads
// AWSCURRENT, AWSPREVIOUS and AWSPENDING together; [Cache.WithRotatingSecret]
// tries each of them when a credential is rejected; [Cache.Done] lets work
// that lives as long as the cache (the change-event poller of package
// github.com/parsec-go/parsec/changes) stop with it.
//
// # Errors
//
// Upstream failures match [ErrNotFound], [ErrAccessDenied], [ErrThrottled],
// [ErrInvalid] or [ErrUnavailable] with errors.Is and unwrap to the SDK's
// typed error with errors.As. A request that is invalid before any upstream
// call returns a [*RequestError] naming the field and the rule.
//
// # Secrets
//
// [Parameter] and [Secret] redact their values in String, GoString, Format
// and LogValue; errors and log records carry names and AWS error codes only.
//
// # Concurrency
//
// A [Cache] is safe for concurrent use. Call [Cache.Close] when done with it.
package cache
