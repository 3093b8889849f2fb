package lambdaenv

import (
	"strconv"
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

// The extension's defaults for the settings of the same names.
const (
	DefaultCacheSize      = 1000
	DefaultHTTPPort       = 2773
	DefaultMaxConnections = 3
	DefaultTTL            = 300 * time.Second
)

// ExtensionMaxTTL is the extension's TTL ceiling. parsec honours longer
// TTLs; [Settings.Notes] mentions when one is set.
const ExtensionMaxTTL = 300 * time.Second

// LoadTimeout is what bounds an upstream call when a *_TIMEOUT_MILLIS
// variable is 0: the cache's load timeout (cache.DefaultLoadTimeout, unless
// cache.WithLoadTimeout says otherwise). 0 never means unbounded.
const LoadTimeout = 10 * time.Second

// The ranges [Parse] accepts for the numeric variables.
const (
	MaxCacheSize     = 1_000_000
	MaxConnections   = 1000
	MaxTTLSeconds    = 7 * 24 * 3600 // a week: longer is surely a typo
	MaxTimeoutMillis = 10 * 60 * 1000
	ruleBool         = "must be TRUE or FALSE (any case)"
	ruleLevel        = "must be one of DEBUG, INFO, WARN, ERROR, NONE (any case)"
	levelNames       = "DEBUG|INFO|WARN|ERROR|NONE"
	zeroTimeout      = "the load timeout (10 s) bounds each call"
	zeroCache        = "no caching"
)

// Var describes one of the extension's variables as parsec reads it: the
// rows of [Table].
type Var struct {
	Name    string // the variable, e.g. SSM_PARAMETER_STORE_TTL
	Default string // the value an unset or empty variable takes, as written in the environment
	Range   string // the values accepted, e.g. "0–604800" or "TRUE|FALSE"
	Unit    string // of a number: "s", "ms", "entries", "connections"; "" otherwise
	Meaning string // what it sets in parsec
	Zero    string // what 0 means where 0 is special ("no caching"); "" otherwise
}

// kind is how a variable is parsed.
type kind uint8

const (
	kindBool kind = iota
	kindInt
	kindLevel
)

// spec is one variable as the parser checks it; [Table] is derived from
// the same specs, so the two cannot disagree.
type spec struct {
	name     string
	kind     kind
	def      int64 // the default of a number; 1 or 0 for a boolean
	min, max int64
	unit     string
	meaning  string
	zero     string
}

// specs returns the variables in the order the documentation lists them.
func specs() []spec {
	return []spec{
		{name: EnvCacheEnabled, kind: kindBool, def: 1,
			meaning: "FALSE: every read goes upstream (concurrent identical reads still share one call)"},
		{name: EnvCacheSize, kind: kindInt, def: DefaultCacheSize, max: MaxCacheSize, unit: "entries",
			meaning: "entries, parameters and secrets together", zero: zeroCache},
		{name: EnvHTTPPort, kind: kindInt, def: DefaultHTTPPort, min: 1, max: 65535,
			meaning: "port of httpcompat.Start and parsecd on 127.0.0.1 and ::1"},
		{name: EnvMaxConnections, kind: kindInt, def: DefaultMaxConnections, min: 1, max: MaxConnections, unit: "connections",
			meaning: "upstream HTTP connections per AWS client"},
		{name: EnvLogLevel, kind: kindLevel,
			meaning: "slog level of httpcompat.Start, parsecd and the cache"},
		{name: EnvParameterTTL, kind: kindInt, def: int64(DefaultTTL / time.Second), max: MaxTTLSeconds, unit: "s",
			meaning: "parameter TTL; above 300 is honoured (logged once)", zero: zeroCache},
		{name: EnvSecretTTL, kind: kindInt, def: int64(DefaultTTL / time.Second), max: MaxTTLSeconds, unit: "s",
			meaning: "secret TTL; above 300 is honoured (logged once)", zero: zeroCache},
		{name: EnvParameterTimeout, kind: kindInt, max: MaxTimeoutMillis, unit: "ms",
			meaning: "bound of each SSM call", zero: zeroTimeout},
		{name: EnvSecretTimeout, kind: kindInt, max: MaxTimeoutMillis, unit: "ms",
			meaning: "bound of each Secrets Manager call", zero: zeroTimeout},
	}
}

// Table returns the nine variables, in the order the documentation lists
// them, with the defaults and ranges [Parse] applies. Each call returns a
// new slice the caller may change.
func Table() []Var {
	ss := specs()
	out := make([]Var, len(ss))
	for i, s := range ss {
		out[i] = s.describe()
	}
	return out
}

func (s spec) describe() Var {
	v := Var{Name: s.name, Unit: s.unit, Meaning: s.meaning, Zero: s.zero}
	switch s.kind {
	case kindBool:
		v.Default, v.Range = "TRUE", "TRUE|FALSE"
		if s.def == 0 {
			v.Default = "FALSE"
		}
	case kindLevel:
		v.Default, v.Range = "INFO", levelNames
	default:
		v.Default = strconv.FormatInt(s.def, 10)
		v.Range = strconv.FormatInt(s.min, 10) + "–" + strconv.FormatInt(s.max, 10)
	}
	return v
}

// rule is what a bad value of s breaks, as [VarError.Rule] says it.
func (s spec) rule() string {
	switch s.kind {
	case kindBool:
		return ruleBool
	case kindLevel:
		return ruleLevel
	}
	return "must be a whole number from " + strconv.FormatInt(s.min, 10) + " to " + strconv.FormatInt(s.max, 10)
}
