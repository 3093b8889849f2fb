// Package sdkcache puts parsec's cache under the AWS SDK's own clients: one
// call on an aws.Config, and every *ssm.Client and *secretsmanager.Client
// built from it answers its reads from memory, including clients inside
// libraries the caller does not own.
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	values, err := sdkcache.Install(&cfg, cache.WithEnv(os.Getenv))
//	client := ssm.NewFromConfig(cfg) // GetParameter now hits memory after the first call
//
// # Contract
//
// The middleware runs at the end of the SDK's Initialize step, after the
// SDK has validated the input and before anything is serialized or sent.
//
//   - Reads it answers: SSM GetParameter, GetParameters,
//     GetParametersByPath (without ParameterFilters; pages of MaxResults
//     from the cached listing, with a NextToken of its own) and Secrets
//     Manager GetSecretValue and BatchGetSecretValue (a SecretIdList of at
//     most 20, without Filters or paging). Outputs are the SDK's types,
//     fresh copies the caller may change. The cache's semantics apply
//     (TTL, coalesced misses, refresh-ahead, stale-on-error, negative
//     caching: see package cache).
//   - Errors are the SDK's: the client wraps them in its
//     *smithy.OperationError as usual, with the SDK's message, and
//     errors.As finds the typed service error (*types.ParameterNotFound,
//     *types.ResourceNotFoundException, …) and smithy.APIError; errors.Is
//     also matches parsec's kinds (cache.ErrNotFound, …).
//   - Everything else goes to the rest of the stack unchanged: every other
//     operation, the inputs above that the cache does not model, inputs the
//     cache rejects (so SSM's or Secrets Manager's own validation error
//     comes back), calls in another Region than the one installed, calls
//     with [BypassSSM] or [BypassSecretsManager], and every call after the
//     cache is closed.
//   - Writes through such a client (PutParameter, DeleteParameter(s),
//     Label/UnlabelParameterVersion, CreateSecret, PutSecretValue,
//     UpdateSecret, UpdateSecretVersionStage, DeleteSecret, RotateSecret,
//     RestoreSecret) go upstream, in whatever Region; when they return,
//     whatever the outcome (success, an error from the service, no
//     answer), every cached form of the names they change is invalidated
//     (each version, label, stage and decryption, ARN forms, the listings
//     of the paths above a parameter, reads through
//     /aws/reference/secretsmanager/), so the process reads its own
//     writes; other names stay cached. (After an error too: the SDK
//     retries a write whose answer was lost, and the retry of a write
//     already applied fails, DeleteParameter with ParameterNotFound, say;
//     a write that changed nothing costs one reload.)
//   - RotateSecret returns before the rotation function has made the new
//     version AWSCURRENT. After a RotateSecret through a client of the
//     installed Region, until a GetSecretValue through the middleware
//     returns that version (or 15 minutes have passed), its GetSecretValue
//     reads of the secret's AWSCURRENT by the id given to RotateSecret or
//     the name or ARN it returned want a value at most a second old: at
//     most one upstream call a second, then the TTL again. At most 64
//     rotations are watched at once. Beyond, for other reads of the secret
//     (BatchGetSecretValue, /aws/reference/secretsmanager/, cache.Secret
//     on the cache itself) and for rotations started elsewhere, the TTL or
//     a read's MaxAge applies, or cache.WithRotationAware (scheduled
//     rotations), the Secret Label Updated event through package changes,
//     or cache.Cache.WithRotatingSecret for a caller that sees the old
//     value refused.
//   - A call under [WithMaxAge] wants a value fetched less than the given
//     time ago (Powertools' max_age, cache.ParameterRequest.MaxAge): an
//     older cached answer is reloaded, a younger one is a hit.
//   - No loop: the cache reads upstream through clients ([Source]) that
//     remove the middleware from each of their calls' stacks, so its own
//     calls are never answered from itself and are counted once.
//
// # What the middleware cannot see
//
// The SDK gives a middleware the call's input and Region, not its other
// options. A client or a call whose option functions change the endpoint
// or the credentials (an assumed role in another account, say) is answered
// from the cache filled with the installed configuration's: build such
// clients from a config without the middleware, or pass [BypassSSM] or
// [BypassSecretsManager]. A read whose upstream call started before a write
// through the middleware returns may get the older value, as it asked
// first; the cache does not keep it, and reads that start after the write
// returns get the new value. A write made elsewhere (another process, the
// console, a client without the middleware) is seen when the TTL ends, or
// sooner with a read's MaxAge.
//
// # Cost
//
// A hit still builds the SDK's middleware stack for the call (the client
// does that before any middleware runs); it skips serialization, signing
// and the network. BenchmarkHit measures it next to a direct
// cache.Parameter hit.
//
// Everything in this package is safe for concurrent use. Values are never
// logged and never appear in errors.
package sdkcache
