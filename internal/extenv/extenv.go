// Package extenv reads the nine environment variables of the AWS Parameters
// and Secrets Lambda Extension, checked against the extension's ranges. The
// cache (cache.WithEnv), the HTTP server (httpcompat.Start) and parsecd use
// it; each applies the settings it owns.
package extenv

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// The extension's environment variables, which [Parse] reads.
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
// TTLs; [Settings.Notes] mentions when one is set.
const ExtensionMaxTTL = 300 * time.Second

// The extension's defaults for the settings below.
const (
	DefaultCacheSize      = 1000
	DefaultHTTPPort       = 2773
	DefaultMaxConnections = 3
)

const (
	maxEnvTTLSeconds   = 7 * 24 * 3600 // a week: longer is surely a typo
	maxEnvCacheSize    = 1_000_000
	maxEnvTimeoutMilli = 10 * 60 * 1000
)

// Settings is the configuration the extension reads from its environment,
// parsed and checked. Its zero value is not the default; use [Parse].
type Settings struct {
	CacheEnabled     bool
	CacheSize        int
	HTTPPort         int
	MaxConnections   int
	LogLevel         slog.Level // LevelNone for NONE
	LogLevelSet      bool       // the variable was set (LogLevel is INFO otherwise)
	ParameterTTL     time.Duration
	SecretTTL        time.Duration
	ParameterTimeout time.Duration
	SecretTimeout    time.Duration
}

// Parse reads the extension's nine environment variables through getenv
// (os.Getenv in production); an unset or empty variable takes the
// extension's default. Every bad value is reported, each error naming the
// variable, the value and the allowed range.
func Parse(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		return Settings{}, errors.New("extension environment: Parse needs a getenv function")
	}
	var errs []error
	e := Settings{
		CacheEnabled:     parseBool(getenv, EnvCacheEnabled, true, &errs),
		CacheSize:        int(parseInt(getenv, EnvCacheSize, DefaultCacheSize, 0, maxEnvCacheSize, &errs)),
		HTTPPort:         int(parseInt(getenv, EnvHTTPPort, DefaultHTTPPort, 1, 65535, &errs)),
		MaxConnections:   int(parseInt(getenv, EnvMaxConnections, DefaultMaxConnections, 1, 1000, &errs)),
		LogLevel:         parseLevel(getenv, &errs),
		ParameterTTL:     time.Duration(parseInt(getenv, EnvParameterTTL, 300, 0, maxEnvTTLSeconds, &errs)) * time.Second,
		SecretTTL:        time.Duration(parseInt(getenv, EnvSecretTTL, 300, 0, maxEnvTTLSeconds, &errs)) * time.Second,
		ParameterTimeout: time.Duration(parseInt(getenv, EnvParameterTimeout, 0, 0, maxEnvTimeoutMilli, &errs)) * time.Millisecond,
		SecretTimeout:    time.Duration(parseInt(getenv, EnvSecretTimeout, 0, 0, maxEnvTimeoutMilli, &errs)) * time.Millisecond,
	}
	e.LogLevelSet = strings.TrimSpace(getenv(EnvLogLevel)) != ""
	return e, errors.Join(errs...)
}

// Notes returns what a log should say once at start-up about this
// configuration where parsec differs from the extension (TTLs above the
// extension's 300 s ceiling are honoured, not cut).
func (e Settings) Notes() []string {
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
