package cache

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// The extension's environment variables, which [ParseEnv] reads.
const (
	EnvCacheEnabled     = "PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED"
	EnvCacheSize        = "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE"
	EnvHTTPPort         = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"
	EnvMaxConnections   = "PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS"
	EnvLogLevel         = "PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"
	EnvParameterTTL     = "SSM_PARAMETER_STORE_TTL"
	EnvSecretTTL        = "SECRETS_MANAGER_TTL"
	EnvParameterTimeout = "SSM_PARAMETER_STORE_TIMEOUT_MILLIS"
	EnvSecretTimeout    = "SECRETS_MANAGER_TIMEOUT_MILLIS"
)

// LevelNone is the slog level that PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=NONE
// maps to: above every level, so nothing is logged.
const LevelNone = slog.Level(math.MaxInt32)

// ExtensionMaxTTL is the extension's TTL ceiling. parsec honours longer
// TTLs; [Env.Notes] mentions when one is set.
const ExtensionMaxTTL = 300 * time.Second

const (
	maxEnvTTLSeconds   = 7 * 24 * 3600 // a week: longer is surely a typo
	maxEnvCacheSize    = 1_000_000
	maxEnvTimeoutMilli = 10 * 60 * 1000
)

// Env is the configuration the extension reads from its environment, parsed
// and checked. Its zero value is not the default; use [ParseEnv].
type Env struct {
	CacheEnabled     bool
	CacheSize        int
	HTTPPort         int
	MaxConnections   int
	LogLevel         slog.Level // LevelNone for NONE
	ParameterTTL     time.Duration
	SecretTTL        time.Duration
	ParameterTimeout time.Duration
	SecretTimeout    time.Duration
}

// ParseEnv reads the extension's nine environment variables through getenv
// (os.Getenv in production); an unset or empty variable takes the
// extension's default. Every bad value is reported, each error naming the
// variable, the value and the allowed range.
func ParseEnv(getenv func(string) string) (Env, error) {
	if getenv == nil {
		return Env{}, errors.New("cache: ParseEnv needs a getenv function")
	}
	var errs []error
	e := Env{
		CacheEnabled:     parseBool(getenv, EnvCacheEnabled, true, &errs),
		CacheSize:        int(parseInt(getenv, EnvCacheSize, DefaultMaxEntries, 0, maxEnvCacheSize, &errs)),
		HTTPPort:         int(parseInt(getenv, EnvHTTPPort, 2773, 1, 65535, &errs)),
		MaxConnections:   int(parseInt(getenv, EnvMaxConnections, 3, 1, 1000, &errs)),
		LogLevel:         parseLevel(getenv, &errs),
		ParameterTTL:     time.Duration(parseInt(getenv, EnvParameterTTL, 300, 0, maxEnvTTLSeconds, &errs)) * time.Second,
		SecretTTL:        time.Duration(parseInt(getenv, EnvSecretTTL, 300, 0, maxEnvTTLSeconds, &errs)) * time.Second,
		ParameterTimeout: time.Duration(parseInt(getenv, EnvParameterTimeout, 0, 0, maxEnvTimeoutMilli, &errs)) * time.Millisecond,
		SecretTimeout:    time.Duration(parseInt(getenv, EnvSecretTimeout, 0, 0, maxEnvTimeoutMilli, &errs)) * time.Millisecond,
	}
	return e, errors.Join(errs...)
}

// Options returns the cache options this environment sets.
func (e Env) Options() []Option {
	return []Option{
		WithEnabled(e.CacheEnabled),
		WithMaxEntries(e.CacheSize),
		WithParameterTTL(e.ParameterTTL),
		WithSecretTTL(e.SecretTTL),
		WithParameterTimeout(e.ParameterTimeout),
		WithSecretTimeout(e.SecretTimeout),
	}
}

// Notes returns what a log should say once at start-up about this
// configuration where parsec differs from the extension (TTLs above the
// extension's 300 s ceiling are honoured, not cut).
func (e Env) Notes() []string {
	var notes []string
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{EnvParameterTTL, e.ParameterTTL}, {EnvSecretTTL, e.SecretTTL}} {
		if t.d > ExtensionMaxTTL {
			notes = append(notes, fmt.Sprintf("%s=%d is above the extension's 300 s ceiling; parsec honours it", t.name, int64(t.d/time.Second)))
		}
	}
	return notes
}

// WithEnv applies the extension's environment variables read through getenv.
// Every one of the nine is checked, including those the cache does not use
// (port, connections, log level), so a bad value fails New with an error
// naming it. New logs [Env.Notes] once at INFO through the cache's logger.
func WithEnv(getenv func(string) string) Option {
	return func(c *config) error {
		e, err := ParseEnv(getenv)
		if err != nil {
			return err
		}
		for _, o := range e.Options() {
			if err := o(c); err != nil {
				return err
			}
		}
		c.notes = append(c.notes, e.Notes()...)
		return nil
	}
}

func parseBool(getenv func(string) string, name string, def bool, errs *[]error) bool {
	v := strings.TrimSpace(getenv(name))
	switch strings.ToUpper(v) {
	case "":
		return def
	case "TRUE":
		return true
	case "FALSE":
		return false
	}
	*errs = append(*errs, fmt.Errorf("%s=%q: must be TRUE or FALSE (any case)", name, v))
	return def
}

func parseInt(getenv func(string) string, name string, def, min, max int64, errs *[]error) int64 {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		*errs = append(*errs, fmt.Errorf("%s=%q: must be a whole number from %d to %d", name, v, min, max))
		return def
	}
	return n
}

func parseLevel(getenv func(string) string, errs *[]error) slog.Level {
	v := strings.TrimSpace(getenv(EnvLogLevel))
	switch strings.ToUpper(v) {
	case "":
		return slog.LevelInfo
	case "DEBUG":
		return slog.LevelDebug
	case "INFO":
		return slog.LevelInfo
	case "WARN":
		return slog.LevelWarn
	case "ERROR":
		return slog.LevelError
	case "NONE":
		return LevelNone
	}
	*errs = append(*errs, fmt.Errorf("%s=%q: must be one of DEBUG, INFO, WARN, ERROR, NONE (any case)", EnvLogLevel, v))
	return slog.LevelInfo
}
