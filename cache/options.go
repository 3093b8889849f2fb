package cache

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/parsec-go/parsec/lambdaenv"
	"github.com/parsec-go/parsec/source"
)

// The extension's defaults, and parsec's for what the extension does not have.
const (
	DefaultTTL          = 300 * time.Second      // SSM_PARAMETER_STORE_TTL and SECRETS_MANAGER_TTL
	DefaultMaxEntries   = 1000                   // PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE
	DefaultLoadTimeout  = 10 * time.Second       // bound of a shared load when no per-call timeout is set
	DefaultRefreshAhead = 0.8                    // fraction of the TTL after which a read refreshes in the background
	DefaultMaxStale     = 5 * time.Minute        // how long past its TTL a value may be served when the upstream fails
	DefaultNegativeTTL  = 5 * time.Second        // how long a not-found answer is remembered
	DefaultBackoffMax   = 30 * time.Second       // cap of the per-key backoff after repeated transient failures
	DefaultStaleWait    = 200 * time.Millisecond // how long a read of a stale value waits for its reload
	DefaultMaxLoads     = 64                     // loads in flight and waiting, about 20 × the extension's 3 connections
)

// Option configures [New]. An Option that returns an error makes New fail
// with it.
type Option func(*config) error

type config struct {
	enabled       bool
	maxEntries    int
	ttl           [numKinds]time.Duration // by kind; 0: not cached
	timeout       [numKinds]time.Duration // per upstream call, by kind; 0: the load timeout
	loadTimeout   time.Duration
	refreshAhead  float64
	maxStale      time.Duration
	negativeTTL   time.Duration
	backoffBase   time.Duration
	backoffMax    time.Duration
	staleOn       func(error) bool
	staleWait     time.Duration
	maxLoads      int
	notFoundRate  float64
	notFoundBurst int
	logger        *slog.Logger // nil: slog.Default(), at WARN and above unless the environment says otherwise

	// WithRotationAware and WithRotationJitter (rotation.go).
	rotationAware  bool
	rotationJitter time.Duration // 0: DefaultRotationJitter

	// The environment (WithEnv, WithSettings) is a layer between the
	// defaults and the explicit options: applyEnv fills the fields no
	// option set (explicit) once every option has run.
	env      *lambdaenv.Settings
	explicit field       // the fields an explicit option set
	envLevel *slog.Level // PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL, when set
	notes    []string    // logged once at INFO by New
}

func defaultConfig() config {
	return config{
		enabled:       true,
		maxEntries:    DefaultMaxEntries,
		ttl:           [numKinds]time.Duration{DefaultTTL, DefaultTTL, DefaultTTL},
		loadTimeout:   DefaultLoadTimeout,
		refreshAhead:  DefaultRefreshAhead,
		maxStale:      DefaultMaxStale,
		negativeTTL:   DefaultNegativeTTL,
		backoffBase:   time.Second,
		backoffMax:    DefaultBackoffMax,
		staleOn:       source.IsTransient,
		staleWait:     DefaultStaleWait,
		maxLoads:      DefaultMaxLoads,
		notFoundRate:  DefaultNotFoundRate,
		notFoundBurst: DefaultNotFoundBurst,
	}
}

// buildConfig applies opts, once each and in order, over the defaults, then
// the environment's settings (WithEnv, WithSettings) to every field no
// option set: an explicit option wins over the environment whatever their
// order.
func buildConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return config{}, err
		}
	}
	cfg.applyEnv()
	return cfg, nil
}

func nonNegative(name string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("cache: %s must not be negative, got %v", name, d)
	}
	return nil
}

// WithTTL sets how long parameters and secrets are served from memory
// (default 300 s, the extension's). 0 disables caching: every read goes
// upstream, concurrent identical reads still sharing one call. Unlike the
// extension, TTLs above 300 s are honoured.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		c.ttl = [numKinds]time.Duration{d, d, d}
		c.explicit |= fieldParameterTTL | fieldSecretTTL
		return nonNegative("TTL", d)
	}
}

// WithParameterTTL sets the TTL of parameters and path listings only
// (default 300 s).
func WithParameterTTL(d time.Duration) Option {
	return func(c *config) error {
		c.ttl[kindParameter], c.ttl[kindPath] = d, d
		c.explicit |= fieldParameterTTL
		return nonNegative("parameter TTL", d)
	}
}

// WithSecretTTL sets the TTL of secrets only (default 300 s).
func WithSecretTTL(d time.Duration) Option {
	return func(c *config) error {
		c.ttl[kindSecret] = d
		c.explicit |= fieldSecretTTL
		return nonNegative("secret TTL", d)
	}
}

// WithMaxEntries bounds the number of values cached, parameters, secrets
// and path listings together (default 1000, the extension's). Under the
// bound nothing is refused; above it ristretto's TinyLFU admission and
// sampled-LFU eviction decide, keeping frequently read keys, and every
// entry refused or evicted is counted in [Stats]. Remembered failures
// (not-found answers, backoff) have a budget of their own beside it, a
// quarter of n (at least 16, at most 10,000), so they never push a value
// out. 0 disables caching.
func WithMaxEntries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("cache: max entries must not be negative, got %d", n)
		}
		c.maxEntries = n
		c.explicit |= fieldMaxEntries
		return nil
	}
}

// WithEnabled turns caching off (false) or on (true, the default), as
// PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED does.
func WithEnabled(on bool) Option {
	return func(c *config) error {
		c.enabled = on
		c.explicit |= fieldEnabled
		return nil
	}
}

// WithParameterTimeout bounds each SSM call (default 0: only the load
// timeout applies), as SSM_PARAMETER_STORE_TIMEOUT_MILLIS does.
func WithParameterTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.timeout[kindParameter], c.timeout[kindPath] = d, d
		c.explicit |= fieldParameterTimeout
		return nonNegative("parameter timeout", d)
	}
}

// WithSecretTimeout bounds each Secrets Manager call (default 0: only the
// load timeout applies), as SECRETS_MANAGER_TIMEOUT_MILLIS does.
func WithSecretTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.timeout[kindSecret] = d
		c.explicit |= fieldSecretTimeout
		return nonNegative("secret timeout", d)
	}
}

// WithLoadTimeout bounds a shared load when no per-call timeout is set
// (default 10 s). It must be positive: a shared load never runs unbounded.
func WithLoadTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("cache: load timeout must be positive, got %v", d)
		}
		c.loadTimeout = d
		return nil
	}
}

// WithRefreshAhead sets the fraction of an entry's TTL after which a read
// starts one background reload while every reader keeps getting the cached
// value (default 0.8; each entry's point is jittered down by up to a tenth
// of the TTL so that a fleet started together does not refresh together).
// 0 turns refresh-ahead off; the fraction must be below 1.
func WithRefreshAhead(fraction float64) Option {
	return func(c *config) error {
		if fraction < 0 || fraction >= 1 {
			return fmt.Errorf("cache: refresh-ahead fraction must be in [0, 1), got %v", fraction)
		}
		c.refreshAhead = fraction
		return nil
	}
}

// WithMaxStale sets how long past its TTL a value may still be served when
// reloading it fails with an error the stale-on predicate accepts (default
// 5 min; by default throttling and unavailability, see [WithStaleOn]).
// 0 turns stale-on-error off: a failed reload is an error, as in the
// extension.
func WithMaxStale(d time.Duration) Option {
	return func(c *config) error { c.maxStale = d; return nonNegative("max stale", d) }
}

// WithStaleOn sets which reload errors a stale value may mask (default
// source.IsTransient: throttling, 5xx, timeouts, connection errors). To mask
// access-denied as well, for example:
//
//	cache.WithStaleOn(func(err error) bool {
//		return source.IsTransient(err) || errors.Is(err, cache.ErrAccessDenied)
//	})
func WithStaleOn(pred func(error) bool) Option {
	return func(c *config) error {
		if pred == nil {
			return fmt.Errorf("cache: stale-on predicate must not be nil")
		}
		c.staleOn = pred
		return nil
	}
}

// WithNegativeTTL sets how long a not-found answer is remembered so that a
// missing name cannot drain the account's quota (default 5 s; 0 turns
// negative caching off).
func WithNegativeTTL(d time.Duration) Option {
	return func(c *config) error { c.negativeTTL = d; return nonNegative("negative TTL", d) }
}

// WithBackoff sets the per-key backoff after repeated transient failures:
// from the second consecutive failure on, the key is not retried upstream
// for base·2^(n-2), jittered by ±50 %, capped at max (defaults 1 s and 30 s).
// Readers get the stale value (within the max staleness) or the last error
// meanwhile. A zero base turns backoff off.
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) error {
		c.backoffBase, c.backoffMax = base, max
		if err := nonNegative("backoff base", base); err != nil {
			return err
		}
		return nonNegative("backoff max", max)
	}
}

// WithLogger sets where the cache logs (default, and for nil:
// slog.Default() at WARN and above, or at the level of
// PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL with [WithEnv]). With both
// WithLogger and a level from WithEnv, records below that level are
// dropped before they reach l. To log nothing, pass
// slog.New(slog.DiscardHandler). Records carry names, ages, AWS error codes
// and messages, never values.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error { c.logger = l; return nil }
}

// WithStaleWait sets how long a read that finds a value past its TTL but
// within its staleness bound (see [WithMaxStale]) waits for the reload
// before it is given that value (default 200 ms). The wait is counted from
// the start of the reload, so readers arriving while a reload has been slow
// for longer get the value at once, and it always ends halfway to the
// caller's deadline at the latest. The reload goes on in the background,
// bounded by the load timeout, and its answer is stored as usual. 0 serves
// the stale value at once while the reload runs (stale-while-revalidate);
// with a healthy upstream, a wait a little above its latency still gives
// fresh values.
func WithStaleWait(d time.Duration) Option {
	return func(c *config) error { c.staleWait = d; return nonNegative("stale wait", d) }
}

// WithMaxLoads bounds the upstream loads in flight and waiting for a
// connection, every key and kind together, background reloads included
// (default 64). A read that needs a load beyond the bound fails at once
// with an error matching [ErrOverloaded], which is transient
// (source.IsTransient) and which httpcompat answers with 429; a read that
// has a value within its staleness bound gets that value instead. A load
// whose every waiter has left is cancelled unless it refreshes a value in
// memory, so the slots of callers that gave up are freed at once. n must
// be positive.
func WithMaxLoads(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("cache: max loads must be positive, got %d", n)
		}
		c.maxLoads = n
		return nil
	}
}

// WithNotFoundRate bounds how fast names that turn out not to exist are
// asked upstream: each not-found answer takes a token from a bucket that
// refills at rate per second up to burst (defaults 10 and 20, well under
// the 40 calls per second an account shares for SSM GetParameter), and
// while the bucket is empty a read of a name with nothing in memory fails
// at once with an error matching [ErrOverloaded] that says so, without an
// upstream call. Values, stale values and remembered failures are served
// as usual, and names found upstream take no token, so only a flood of
// missing names is slowed. A zero rate turns the bound off.
func WithNotFoundRate(rate float64, burst int) Option {
	return func(c *config) error {
		if rate < 0 || burst < 0 || rate > 0 && burst < 1 {
			return fmt.Errorf("cache: not-found rate must not be negative and its burst must be at least 1, got %v and %d", rate, burst)
		}
		c.notFoundRate, c.notFoundBurst = rate, burst
		return nil
	}
}
