package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/lambdaenv"
)

// The variables parsecd reads besides the extension's nine (see
// lambdaenv.Parse) and the token variables (see httpcompat.TokenFromEnv).
// In a Lambda layer there are no command-line flags, so everything a flag
// sets can come from the environment too.
const (
	envRuntimeAPI = "AWS_LAMBDA_RUNTIME_API" // set by Lambda: selects extension mode
	envMode       = "PARSECD_MODE"
	envEmulate    = "PARSECD_EMULATE"
	envLatency    = "PARSECD_LATENCY"
	envMaxConc    = "PARSECD_MAX_CONCURRENT"
	envMaxConns   = "PARSECD_MAX_OPEN_CONNECTIONS"
	envJSONErrors = "PARSECD_JSON_ERRORS"
)

// maxConcurrentLimit bounds --max-concurrent: beyond it a typo is likelier
// than a need.
const maxConcurrentLimit = 100000

// maxOpenConnectionsLimit bounds --max-open-connections: Lambda gives a
// process 1,024 file descriptors, and the function needs some of its own.
const maxOpenConnectionsLimit = 900

// Exit codes.
const (
	exitOK      = 0 // served, then shut down cleanly (or --help)
	exitFailure = 1 // a runtime failure: the Extensions API failed, the server failed
	exitUsage   = 2 // a usage or configuration error: nothing was served
)

// The modes.
const (
	modeAuto      = "auto"
	modeExtension = "extension"
	modeDaemon    = "daemon"
	modeEmulate   = "emulate"
)

// config is parsecd's parsed configuration.
type config struct {
	mode            string // extension, daemon or emulate: never auto
	runtimeAPI      string
	emulate         string // the emulator file, or ""
	latencyMin      time.Duration
	latencyMax      time.Duration
	tokenFile       string
	insecureNoToken bool
	maxConcurrent   int                // requests served at once; more get 429
	maxOpenConns    int                // connections open at once; see httpcompat.WithMaxOpenConnections
	jsonErrors      bool               // JSON error bodies instead of the extension's text
	env             lambdaenv.Settings // with --port, --log-level and --ttl applied
	reloadEvery     time.Duration
	obs             observability // --metrics, --debug-route, --emf (metrics.go)
	cloud           cloudExt      // --cloud-extensions (cloudext.go)
	ping            bool          // --ping: check a running parsecd's /ping and exit
}

// usageError is a configuration problem other than a bad value: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// isUsage reports whether err is a usage or configuration error, which
// exits 2: a *usageError, a *settingError or an *envError.
func isUsage(err error) bool {
	var (
		ue *usageError
		se *settingError
		ee *envError
	)
	return errors.As(err, &ue) || errors.As(err, &se) || errors.As(err, &ee)
}

// settingError is a flag's or a variable's value that parsecd refuses:
// exit 2. Name is the flag ("--port") or the variable.
type settingError struct {
	Name, Value, Rule string
}

func (e *settingError) Error() string { return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Rule) }

// envError is the extension's variables that do not parse: each a
// *lambdaenv.VarError.
type envError struct{ errs []error }

func (e *envError) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return "bad environment: " + strings.Join(msgs, "; ")
}

func (e *envError) Unwrap() []error { return e.errs }

// parseConfig reads flags from args (without the program name) and the
// environment through getenv: flags, then settings, then the mode. It
// returns flag.ErrHelp for -h/--help, after writing the help to stdout.
func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (*config, error) {
	f, err := parseFlags(args, stdout)
	if err != nil {
		return nil, err
	}
	c, err := settings(f, getenv)
	if err != nil {
		return nil, err
	}
	name, m := f.given("mode", f.mode, getenv, envMode)
	if c.mode, err = chooseMode(name, m, c.runtimeAPI, c.emulate); err != nil {
		return nil, err
	}
	return c, nil
}

// settings turns the flags and the environment into a configuration, each
// flag given overriding its variable.
func settings(f *flagValues, getenv func(string) string) (*config, error) {
	env, err := extensionSettings(f, getenv)
	if err != nil {
		return nil, err
	}
	c := &config{env: env, runtimeAPI: getenv(envRuntimeAPI), tokenFile: f.tokenFile,
		insecureNoToken: f.insecureNoToken, reloadEvery: time.Second, ping: f.ping}
	if f.set["token-file"] && c.tokenFile == "" {
		return nil, usagef("--token-file: empty path")
	}
	name, v := f.given("max-concurrent", f.maxConcurrent, getenv, envMaxConc)
	if c.maxConcurrent, err = intSetting(name, v, httpcompat.DefaultMaxConcurrent, maxConcurrentLimit); err != nil {
		return nil, err
	}
	name, v = f.given("max-open-connections", f.maxOpenConnections, getenv, envMaxConns)
	if c.maxOpenConns, err = intSetting(name, v, httpcompat.DefaultMaxOpenConnections, maxOpenConnectionsLimit); err != nil {
		return nil, err
	}
	if c.jsonErrors, err = jsonErrorsSetting(f.given("json-errors", f.jsonErrors, getenv, envJSONErrors)); err != nil {
		return nil, err
	}
	if c.obs, err = f.obs.parse(f.set, getenv); err != nil {
		return nil, err
	}
	if c.cloud, err = f.cloud.parse(f.set, getenv); err != nil {
		return nil, err
	}
	_, c.emulate = f.given("emulate", f.emulate, getenv, envEmulate)
	name, v = f.given("latency", f.latency, getenv, envLatency)
	if c.latencyMin, c.latencyMax, err = latencySetting(c.emulate, name, v); err != nil {
		return nil, err
	}
	return c, nil
}

// extensionSettings parses the extension's variables, leaving out those a
// flag overrides, then applies --log-level, --port and --ttl.
func extensionSettings(f *flagValues, getenv func(string) string) (lambdaenv.Settings, error) {
	overridden := map[string]bool{
		lambdaenv.EnvLogLevel: f.set["log-level"], lambdaenv.EnvHTTPPort: f.set["port"],
		lambdaenv.EnvParameterTTL: f.set["ttl"], lambdaenv.EnvSecretTTL: f.set["ttl"],
	}
	env, err := lambdaenv.Parse(func(k string) string {
		if overridden[k] {
			return ""
		}
		return getenv(k)
	})
	if err != nil {
		var errs []error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		return env, &envError{errs: errs}
	}
	if f.set["log-level"] {
		var ve *lambdaenv.VarError
		if err := env.Set(lambdaenv.EnvLogLevel, f.logLevel); errors.As(err, &ve) {
			return env, &settingError{Name: "--log-level", Value: f.logLevel, Rule: ve.Rule}
		}
	}
	if f.set["port"] {
		if f.port < 0 || f.port > 65535 {
			return env, &settingError{Name: "--port", Value: strconv.Itoa(f.port), Rule: "must be from 1 to 65535, or 0 for a free port"}
		}
		env.HTTPPort = f.port
	}
	if f.set["ttl"] {
		d, err := time.ParseDuration(f.ttl)
		if err != nil || d < 0 {
			return env, &settingError{Name: "--ttl", Value: f.ttl, Rule: "must be a non-negative duration such as 90s or 15m"}
		}
		env.ParameterTTL, env.SecretTTL = d, d
	}
	return env, nil
}

// intSetting parses v, the value of the setting name, as a whole number
// from 1 to max; "" gives def.
func intSetting(name, v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, &settingError{Name: name, Value: v, Rule: "must be a whole number from 1 to " + strconv.Itoa(max)}
	}
	return n, nil
}

// jsonErrorsSetting parses --json-errors or PARSECD_JSON_ERRORS.
func jsonErrorsSetting(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &settingError{Name: name, Value: v, Rule: "must be true, false, 1 or 0"}
}

// latencySetting parses --latency or PARSECD_LATENCY, which needs the
// emulator.
func latencySetting(emulate, name, v string) (lo, hi time.Duration, err error) {
	if v == "" {
		return 0, 0, nil
	}
	lo, hi, rule := parseLatency(v)
	if rule != "" {
		return 0, 0, &settingError{Name: name, Value: v, Rule: rule}
	}
	if emulate == "" {
		return 0, 0, usagef("%s applies to the emulator only: give --emulate FILE", name)
	}
	return lo, hi, nil
}

// chooseMode resolves the mode m (from name, the flag or the variable):
// auto picks extension when Lambda's runtime API is set, else emulate when
// there is an emulator file, else daemon.
func chooseMode(name, m, runtimeAPI, emulate string) (string, error) {
	switch m {
	case "", modeAuto:
		switch {
		case runtimeAPI != "":
			return modeExtension, nil
		case emulate != "":
			return modeEmulate, nil
		}
		return modeDaemon, nil
	case modeExtension:
		if runtimeAPI == "" {
			return "", usagef("--mode extension needs %s (set by Lambda)", envRuntimeAPI)
		}
		return m, nil
	case modeEmulate:
		if emulate == "" {
			return "", usagef("--mode emulate needs --emulate FILE (or %s)", envEmulate)
		}
		return m, nil
	case modeDaemon:
		if emulate != "" {
			return modeEmulate, nil
		}
		return m, nil
	}
	return "", &settingError{Name: name, Value: m, Rule: "must be auto, extension, daemon or emulate"}
}

// parseLatency parses "20ms-80ms" or "50ms"; rule is what a bad value
// breaks, "" when it is good.
func parseLatency(s string) (lo, hi time.Duration, rule string) {
	const ruleForm = "must be a duration (50ms) or a range (20ms-80ms)"
	a, b, isRange := strings.Cut(s, "-")
	lo, err := time.ParseDuration(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, ruleForm
	}
	hi = lo
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(b)); err != nil {
			return 0, 0, ruleForm
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, "needs 0 <= MIN <= MAX"
	}
	return lo, hi, ""
}

// readTokenFile reads the --token-file.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("--token-file: %v", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", usagef("--token-file %q is empty", path)
	}
	return t, nil
}
