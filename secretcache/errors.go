package secretcache

type baseError struct {
	Message string // what went wrong; names and stages, never a value
}

// VersionNotFoundError reports that the secret has no version with the
// requested staging label (other than AWSCURRENT; a secret without
// AWSCURRENT does not exist, and that error is Secrets Manager's own). It
// unwraps to the upstream error, so errors.As also finds
// *types.ResourceNotFoundException.
type VersionNotFoundError struct {
	baseError
	err error
}

// Error returns the message.
func (v *VersionNotFoundError) Error() string { return v.Message }

// Unwrap returns the upstream error, or nil.
func (v *VersionNotFoundError) Unwrap() error { return v.err }

// InvalidConfigError reports a CacheConfig that cannot work (a negative TTL
// or size). Every read of such a cache returns it.
type InvalidConfigError struct {
	baseError
}

// Error returns the message.
func (i *InvalidConfigError) Error() string { return i.Message }

// InvalidOperationError reports a read of the wrong kind: a SecretString
// from a binary secret or a SecretBinary from a string one, or a hook that
// returned something other than a *secretsmanager.GetSecretValueOutput.
type InvalidOperationError struct {
	baseError
}

// Error returns the message.
func (i *InvalidOperationError) Error() string { return i.Message }
