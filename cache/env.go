package cache

import "github.com/parsec-go/parsec/lambdaenv"

// WithEnv applies the AWS Parameters and Secrets Lambda Extension's
// environment variables, read through getenv (os.Getenv in production) by
// lambdaenv.Parse. Every one of the nine is checked against the extension's
// range, so a bad value fails New with an error naming the variable, the
// value and the range (a *lambdaenv.VarError, matched with errors.As). An
// unset or empty variable keeps parsec's default, and an explicit option
// wins over the environment whatever their order: WithEnv(getenv) then
// WithTTL(time.Minute) and the reverse both give one minute. It is
// lambdaenv.Parse followed by [WithSettings].
//
// The cache applies:
//
//   - PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED ([WithEnabled])
//   - PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE ([WithMaxEntries])
//   - SSM_PARAMETER_STORE_TTL and SECRETS_MANAGER_TTL, in seconds
//     ([WithParameterTTL], [WithSecretTTL])
//   - SSM_PARAMETER_STORE_TIMEOUT_MILLIS and SECRETS_MANAGER_TIMEOUT_MILLIS
//     ([WithParameterTimeout], [WithSecretTimeout]; 0 leaves each call
//     bounded by the load timeout, see [WithLoadTimeout])
//   - PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL (DEBUG, INFO, WARN, ERROR or
//     NONE): the lowest level the cache logs (see [WithLogger])
//
// and checks but ignores, since the cache opens no port and builds no
// client: PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (used by httpcompat.Start
// and parsecd) and PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS (apply it
// where the clients are built, with lambdaenv.Settings.SourceOptions, as
// [NewDefault] does).
//
// New logs once at INFO where this configuration differs from the
// extension's (TTLs above its 300 s ceiling are honoured, not cut).
func WithEnv(getenv func(string) string) Option {
	return func(c *config) error {
		s, err := lambdaenv.Parse(getenv)
		if err != nil {
			return err
		}
		return WithSettings(s)(c)
	}
}

// WithSettings applies settings parsed by lambdaenv (see [WithEnv] for
// which the cache uses), under every explicit option whatever their order.
// Given twice, or with WithEnv, the last one applies.
func WithSettings(s lambdaenv.Settings) Option {
	return func(c *config) error {
		c.env = &s
		return nil
	}
}

// applyEnv sets, from the environment's settings, every field no explicit
// option set: the environment is the layer between the defaults and the
// options.
func (c *config) applyEnv() {
	e := c.env
	if e == nil {
		return
	}
	fill := func(f field, apply func()) {
		if c.explicit&f == 0 {
			apply()
		}
	}
	fill(fieldEnabled, func() { c.enabled = e.CacheEnabled })
	fill(fieldMaxEntries, func() { c.maxEntries = e.CacheSize })
	fill(fieldParameterTTL, func() { c.ttl[kindParameter], c.ttl[kindPath] = e.ParameterTTL, e.ParameterTTL })
	fill(fieldSecretTTL, func() { c.ttl[kindSecret] = e.SecretTTL })
	fill(fieldParameterTimeout, func() { c.timeout[kindParameter], c.timeout[kindPath] = e.ParameterTimeout, e.ParameterTimeout })
	fill(fieldSecretTimeout, func() { c.timeout[kindSecret] = e.SecretTimeout })
	if e.LogLevelSet {
		l := e.LogLevel
		c.envLevel = &l
	}
	c.notes = e.Notes()
}

// field names the settings the environment can set, so that an explicit
// option's value is kept over the environment's.
type field uint8

const (
	fieldEnabled field = 1 << iota
	fieldMaxEntries
	fieldParameterTTL
	fieldSecretTTL
	fieldParameterTimeout
	fieldSecretTimeout
)
