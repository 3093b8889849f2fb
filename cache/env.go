package cache

import (
	"github.com/parsec-go/parsec/internal/extenv"
)

// WithEnv applies the AWS Parameters and Secrets Lambda Extension's
// environment variables, read through getenv (os.Getenv in production).
// Every one of the nine is checked against the extension's range, so a bad
// value fails New with an error naming the variable, the value and the
// range. An unset or empty variable keeps parsec's default, and an explicit
// option wins over the environment whatever their order: WithEnv(getenv)
// then WithTTL(time.Minute) and the reverse both give one minute.
//
// The cache applies:
//
//   - PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED ([WithEnabled])
//   - PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE ([WithMaxEntries])
//   - SSM_PARAMETER_STORE_TTL and SECRETS_MANAGER_TTL, in seconds
//     ([WithParameterTTL], [WithSecretTTL])
//   - SSM_PARAMETER_STORE_TIMEOUT_MILLIS and SECRETS_MANAGER_TIMEOUT_MILLIS
//     ([WithParameterTimeout], [WithSecretTimeout])
//   - PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL (DEBUG, INFO, WARN, ERROR or
//     NONE): the lowest level the cache logs (see [WithLogger])
//
// and checks but ignores, since the cache opens no port and builds no
// client: PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (used by httpcompat.Start
// and parsecd) and PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS (apply it
// where the clients are built, with source.WithMaxConnections).
//
// New logs once at INFO where this configuration differs from the
// extension's (TTLs above its 300 s ceiling are honoured, not cut).
func WithEnv(getenv func(string) string) Option {
	return func(c *config) error {
		e, err := extenv.Parse(getenv)
		if err != nil {
			return err
		}
		c.env = []Option{
			WithEnabled(e.CacheEnabled),
			WithMaxEntries(e.CacheSize),
			WithParameterTTL(e.ParameterTTL),
			WithSecretTTL(e.SecretTTL),
			WithParameterTimeout(e.ParameterTimeout),
			WithSecretTimeout(e.SecretTimeout),
		}
		c.envLevel = nil
		if e.LogLevelSet {
			l := e.LogLevel
			c.envLevel = &l
		}
		c.notes = e.Notes()
		return nil
	}
}
