package secretcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// SecretsManagerAPIClient is the Secrets Manager client a [Cache] uses, with
// the methods of aws-secretsmanager-caching-go's interface of that name.
// *secretsmanager.Client satisfies it. The cache calls GetSecretValue only.
type SecretsManagerAPIClient interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	CreateSecret(ctx context.Context, params *secretsmanager.CreateSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	DeleteSecret(ctx context.Context, params *secretsmanager.DeleteSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
	DescribeSecret(ctx context.Context, params *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	ListSecrets(ctx context.Context, params *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	UpdateSecret(ctx context.Context, params *secretsmanager.UpdateSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretOutput, error)
}

// Cache is an in-memory cache of Secrets Manager secrets with the API of
// aws-secretsmanager-caching-go, backed by a parsec cache. Build it with
// [New] and share it; its methods are safe for concurrent use. Close, a
// parsec addition, releases it; code written for the library never calls
// it, and the cache is then released when it becomes unreachable.
type Cache struct {
	CacheConfig
	// Client reads the secrets. Set it in an option function of New; nil
	// there means a client built from the SDK's default configuration.
	// New captures it: assigning it afterwards has no effect.
	Client SecretsManagerAPIClient

	values    *cache.Cache
	configErr error // a CacheConfig that cannot work: every read returns it
}

// New returns a cache configured by optFns, which run in order on a Cache
// holding the defaults (DefaultMaxCacheSize, DefaultCacheItemTTL,
// DefaultVersionStage, no hook, no client). When Client is still nil after
// them, New builds one from config.LoadDefaultConfig, which reads the
// environment and the shared config files but makes no network call; its
// error is New's. An invalid CacheConfig does not fail New: every read
// returns an *InvalidConfigError, as in aws-secretsmanager-caching-go.
func New(optFns ...func(*Cache)) (*Cache, error) {
	c := &Cache{CacheConfig: CacheConfig{
		MaxCacheSize: DefaultMaxCacheSize,
		VersionStage: DefaultVersionStage,
		CacheItemTTL: DefaultCacheItemTTL,
	}}
	for _, fn := range optFns {
		fn(c)
	}
	if c.Client == nil {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			return nil, fmt.Errorf("secretcache: load the AWS configuration: %w", err)
		}
		c.Client = secretsmanager.NewFromConfig(cfg)
	}
	ttl, size := c.CacheItemTTL, c.MaxCacheSize
	switch {
	case ttl < 0:
		c.configErr = &InvalidConfigError{baseError{Message: "cannot set negative ttl on cache"}}
	case size < 0:
		c.configErr = &InvalidConfigError{baseError{Message: "cannot set negative max cache size on cache"}}
	}
	if ttl <= 0 {
		ttl = DefaultCacheItemTTL
	}
	if size <= 0 {
		size = DefaultMaxCacheSize
	}
	// The library this replaces logs nothing; parsec's cache would log
	// upstream failures to slog.Default() at WARN.
	values, err := cache.New(source.Clients{Secret: c.Client},
		cache.WithSecretTTL(time.Duration(ttl)), cache.WithMaxEntries(size), cache.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("secretcache: %w", err)
	}
	c.values = values
	// The parsec cache holds a store with goroutines; the Cache has no
	// Close, so release them once nobody can read through it. values does
	// not refer to c, or c would never become unreachable.
	runtime.AddCleanup(c, func(v *cache.Cache) { v.Close() }, values)
	return c, nil
}

// Close releases the parsec cache underneath (its store's goroutines) and
// waits for reads in flight. Reads after Close return what is still in
// memory or cache.ErrClosed. Close is not part of
// aws-secretsmanager-caching-go's API; it is idempotent and returns nil.
func (c *Cache) Close() error { return c.values.Close() }

// GetSecretString returns the SecretString of the secret's AWSCURRENT
// version: from memory while cached, else from Secrets Manager. It returns
// an *InvalidOperationError for a binary secret; upstream errors match
// parsec's kinds (cache.ErrNotFound, …) and unwrap to the SDK's typed
// errors.
func (c *Cache) GetSecretString(secretId string) (string, error) {
	return c.GetSecretStringWithContext(context.Background(), secretId)
}

// GetSecretStringWithContext is GetSecretString with a context, which
// bounds this caller's wait (an upstream call shared with other callers
// continues).
func (c *Cache) GetSecretStringWithContext(ctx context.Context, secretId string) (string, error) {
	return c.GetSecretStringWithStageWithContext(ctx, secretId, DefaultVersionStage)
}

// GetSecretStringWithStage returns the SecretString of the version that
// carries versionStage (empty: CacheConfig.VersionStage). A stage no
// version carries is a *VersionNotFoundError.
func (c *Cache) GetSecretStringWithStage(secretId string, versionStage string) (string, error) {
	return c.GetSecretStringWithStageWithContext(context.Background(), secretId, versionStage)
}

// GetSecretStringWithStageWithContext is GetSecretStringWithStage with a
// context.
func (c *Cache) GetSecretStringWithStageWithContext(ctx context.Context, secretId string, versionStage string) (string, error) {
	out, err := c.get(ctx, secretId, versionStage)
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", &InvalidOperationError{baseError{Message: "requested secret version does not contain SecretString"}}
	}
	return *out.SecretString, nil
}

// GetSecretBinary returns the SecretBinary of the secret's AWSCURRENT
// version, a copy the caller may change. It returns an
// *InvalidOperationError for a string secret.
func (c *Cache) GetSecretBinary(secretId string) ([]byte, error) {
	return c.GetSecretBinaryWithContext(context.Background(), secretId)
}

// GetSecretBinaryWithContext is GetSecretBinary with a context.
func (c *Cache) GetSecretBinaryWithContext(ctx context.Context, secretId string) ([]byte, error) {
	return c.GetSecretBinaryWithStageWithContext(ctx, secretId, DefaultVersionStage)
}

// GetSecretBinaryWithStage returns the SecretBinary of the version that
// carries versionStage (empty: CacheConfig.VersionStage).
func (c *Cache) GetSecretBinaryWithStage(secretId string, versionStage string) ([]byte, error) {
	return c.GetSecretBinaryWithStageWithContext(context.Background(), secretId, versionStage)
}

// GetSecretBinaryWithStageWithContext is GetSecretBinaryWithStage with a
// context.
func (c *Cache) GetSecretBinaryWithStageWithContext(ctx context.Context, secretId string, versionStage string) ([]byte, error) {
	out, err := c.get(ctx, secretId, versionStage)
	if err != nil {
		return nil, err
	}
	if out.SecretBinary == nil {
		return nil, &InvalidOperationError{baseError{Message: "requested secret version does not contain SecretBinary"}}
	}
	return out.SecretBinary, nil
}

// get reads one version through the parsec cache and passes it through
// the hook. The output is a fresh copy.
func (c *Cache) get(ctx context.Context, secretID, stage string) (*secretsmanager.GetSecretValueOutput, error) {
	if c.configErr != nil {
		return nil, c.configErr
	}
	if stage == "" {
		stage = c.VersionStage
	}
	if stage == "" {
		stage = DefaultVersionStage
	}
	s, err := c.values.Secret(ctx, cache.SecretRequest{SecretID: secretID, VersionStage: stage})
	if err != nil {
		if stage != DefaultVersionStage && errors.Is(err, cache.ErrNotFound) {
			return nil, &VersionNotFoundError{baseError{Message: fmt.Sprintf("secret %q: could not find secret version for versionStage %s", secretID, stage)}, err}
		}
		return nil, err
	}
	out := s.Output()
	if c.Hook == nil {
		return out, nil
	}
	hooked, ok := c.Hook.Get(c.Hook.Put(out)).(*secretsmanager.GetSecretValueOutput)
	if !ok || hooked == nil {
		return nil, &InvalidOperationError{baseError{Message: fmt.Sprintf("secret %q: the cache hook's Get did not return a *secretsmanager.GetSecretValueOutput", secretID)}}
	}
	return hooked, nil
}
