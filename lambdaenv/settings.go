package lambdaenv

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/parsec-go/parsec/source"
)

// LevelNone is the slog level that PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL=NONE
// maps to: above every level, so nothing is logged.
const LevelNone = slog.Level(math.MaxInt32)

// Settings is the configuration the extension reads from its environment,
// parsed and checked. Its zero value is not the default; use [Parse] or
// [Defaults].
type Settings struct {
	CacheEnabled     bool
	CacheSize        int
	HTTPPort         int // 1 to 65535; parsecd's --port 0 sets 0, a free port
	MaxConnections   int
	LogLevel         slog.Level // LevelNone for NONE
	LogLevelSet      bool       // the variable was set (LogLevel is INFO otherwise)
	ParameterTTL     time.Duration
	SecretTTL        time.Duration
	ParameterTimeout time.Duration // 0: the load timeout bounds each call
	SecretTimeout    time.Duration // 0: the load timeout bounds each call
}

// Defaults returns the settings of an empty environment: the extension's
// defaults.
func Defaults() Settings {
	s, _ := Parse(func(string) string { return "" })
	return s
}

// VarError is a variable whose value [Parse] refuses: Var names the
// variable, Value is its value (trimmed), Rule what it must be. Match it
// with errors.As.
type VarError struct {
	Var   string
	Value string
	Rule  string
}

func (e *VarError) Error() string { return fmt.Sprintf("%s=%q: %s", e.Var, e.Value, e.Rule) }

// Parse reads the extension's nine environment variables through getenv
// (os.Getenv in production); an unset or empty variable takes the
// extension's default. Every bad value is reported: the error joins one
// [*VarError] per bad variable (errors.As finds the first; Unwrap() []error
// gives them all). A nil getenv is an error.
func Parse(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		return Settings{}, errors.New("lambdaenv: Parse needs a getenv function")
	}
	var (
		s    Settings
		errs []error
	)
	for _, sp := range specs() {
		if err := s.Set(sp.name, ""); err != nil { // the default
			return Settings{}, err
		}
		if err := s.Set(sp.name, getenv(sp.name)); err != nil {
			errs = append(errs, err)
		}
	}
	return s, errors.Join(errs...)
}

// Set parses value as the variable name would be and stores it in s, as
// an override of the environment (parsecd's flags use it). value is
// trimmed; "" sets the default. A bad value is a [*VarError] and leaves s
// unchanged; a name that is not one of the nine is an error.
func (s *Settings) Set(name, value string) error {
	for _, sp := range specs() {
		if sp.name != name {
			continue
		}
		raw := strings.TrimSpace(value)
		n, err := sp.parse(raw)
		if err != nil {
			return err
		}
		s.set(name, n)
		if name == EnvLogLevel {
			s.LogLevelSet = raw != ""
		}
		return nil
	}
	return fmt.Errorf("lambdaenv: %q is not one of the extension's variables", name)
}

// parse returns raw's value: a number, 1/0 for a boolean, the slog level
// for the log level; the default for "".
func (sp spec) parse(raw string) (int64, error) {
	if raw == "" {
		return sp.parseDefault(), nil
	}
	switch sp.kind {
	case kindBool:
		switch strings.ToUpper(raw) {
		case "TRUE":
			return 1, nil
		case "FALSE":
			return 0, nil
		}
	case kindLevel:
		if l, ok := levels[strings.ToUpper(raw)]; ok {
			return int64(l), nil
		}
	default:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err == nil && n >= sp.min && n <= sp.max {
			return n, nil
		}
	}
	return 0, &VarError{Var: sp.name, Value: raw, Rule: sp.rule()}
}

func (sp spec) parseDefault() int64 {
	if sp.kind == kindLevel {
		return int64(slog.LevelInfo)
	}
	return sp.def
}

var levels = map[string]slog.Level{
	"DEBUG": slog.LevelDebug, "INFO": slog.LevelInfo, "WARN": slog.LevelWarn, "ERROR": slog.LevelError, "NONE": LevelNone,
}

// set stores the parsed value of the variable name.
func (s *Settings) set(name string, n int64) {
	switch name {
	case EnvCacheEnabled:
		s.CacheEnabled = n != 0
	case EnvCacheSize:
		s.CacheSize = int(n)
	case EnvHTTPPort:
		s.HTTPPort = int(n)
	case EnvMaxConnections:
		s.MaxConnections = int(n)
	case EnvLogLevel:
		s.LogLevel = slog.Level(n)
	case EnvParameterTTL:
		s.ParameterTTL = time.Duration(n) * time.Second
	case EnvSecretTTL:
		s.SecretTTL = time.Duration(n) * time.Second
	case EnvParameterTimeout:
		s.ParameterTimeout = time.Duration(n) * time.Millisecond
	case EnvSecretTimeout:
		s.SecretTimeout = time.Duration(n) * time.Millisecond
	}
}

// Notes returns what a log should say once at start-up about these
// settings where parsec differs from the extension (TTLs above the
// extension's 300 s ceiling are honoured, not cut).
func (s Settings) Notes() []string {
	var notes []string
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{EnvParameterTTL, s.ParameterTTL}, {EnvSecretTTL, s.SecretTTL}} {
		if t.d > ExtensionMaxTTL {
			notes = append(notes, fmt.Sprintf("%s=%d is above the extension's 300 s ceiling; parsec honours it", t.name, int64(t.d/time.Second)))
		}
	}
	return notes
}

// SourceOptions returns the options of source.New these settings imply:
// the limit of connections per AWS client
// (PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS).
func (s Settings) SourceOptions() []source.Option {
	return []source.Option{source.WithMaxConnections(s.MaxConnections)}
}

// Logger returns a logger writing JSON lines to w, as CloudWatch Logs reads
// them, at the level of PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL (INFO by
// default) and above; see [NewLogger].
func (s Settings) Logger(w io.Writer) *slog.Logger { return NewLogger(w, s.LogLevel) }

// NewLogger returns a logger writing JSON lines to w at level and above.
// [LevelNone] or a nil w gives a logger that writes nothing.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	if w == nil || level >= LevelNone {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// LevelName returns the name PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL gives
// l: DEBUG, INFO, WARN, ERROR or NONE (slog's name for any other level).
func LevelName(l slog.Level) string {
	if l == LevelNone {
		return "NONE"
	}
	return l.String()
}
