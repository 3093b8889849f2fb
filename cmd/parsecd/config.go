package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/internal/extenv"
)

// The variables parsecd reads besides the extension's nine (see
// extenv.Parse) and the token variables (see httpcompat.TokenFromEnv).
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
	maxConcurrent   int             // requests served at once; more get 429
	maxOpenConns    int             // connections open at once; see httpcompat.WithMaxOpenConnections
	jsonErrors      bool            // JSON error bodies instead of the extension's text
	env             extenv.Settings // with --port, --log-level and --ttl applied
	reloadEvery     time.Duration
	obs             observability // --metrics, --debug-route, --emf (metrics.go)
	cloud           cloudExt      // --cloud-extensions (cloudext.go)
	ping            bool          // --ping: check a running parsecd's /ping and exit
}

// usageError is a configuration problem: exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usageText = `parsecd serves the AWS Parameters and Secrets Lambda Extension's HTTP API
(GET /systemsmanager/parameters/get, /secretsmanager/get, /v1/ID, /ping) on
127.0.0.1 and ::1, as a Lambda extension, as a local daemon, or as an emulator that
needs no AWS account.

Usage:
  parsecd [flags]

Modes (--mode, or PARSECD_MODE):
  auto       extension when AWS_LAMBDA_RUNTIME_API is set, else emulate when
             --emulate is given, else daemon (the default)
  extension  a Lambda external extension: listens, then registers with the
             Extensions API, exits 0 on SHUTDOWN
  daemon     serves until SIGINT or SIGTERM, reading AWS through the SDK's
             default configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL,
             the credentials chain)
  emulate    daemon serving the values of the --emulate file, no AWS account

Flags (each overrides the environment variable named):
`

const usageTail = `
Environment (the extension's; a bad value is a configuration error):
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT      port (2773)
  PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED  TRUE|FALSE (TRUE)
  PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE     entries, 0 = no cache (1000)
  PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS  upstream connections per service (3)
  PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL      DEBUG|INFO|WARN|ERROR|NONE (INFO)
  SSM_PARAMETER_STORE_TTL, SECRETS_MANAGER_TTL  seconds, 0 = no cache (300)
  SSM_PARAMETER_STORE_TIMEOUT_MILLIS, SECRETS_MANAGER_TIMEOUT_MILLIS  (0 = none)

Token: requests must carry X-Aws-Parameters-Secrets-Token equal to the first
set of AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN (a value
file://PATH is read from PATH), or to the content of --token-file. With none
parsecd refuses to start, in every mode, unless --insecure-no-token is given.

Cloud Extensions (--cloud-extensions, or PARSECD_CLOUD_EXTENSIONS=TRUE): also serve
AWS Systems Manager Cloud Extensions' API on 127.0.0.1:5333 and [::1]:5333
(--cloud-extensions-port): POST /parameterstore (SSM's protocol), GET
/secretsmanager/ID, /secretsmanager/get?secretId=ID, /v1/ID, POST /secretsmanager.
Requests are signed with SigV4 with the extension key: PARSECD_EXTENSION_KEY_ID and
PARSECD_EXTENSION_KEY_SECRET (or PARSECD_EXTENSION_KEY_SECRET_FILE); give an SDK
these as its credentials and http://localhost:5333/parameterstore as its endpoint.
--cloud-extensions-auth none serves unsigned requests (local use only).

Exit status: 0 clean shutdown or --help; 1 runtime failure; 2 usage or
configuration error (bad flag or variable, port in use, unreadable or invalid
emulator file, no token source).
`

// parseConfig reads flags from args (without the program name) and the
// environment through getenv. It returns flag.ErrHelp for -h/--help, after
// writing the help to stdout.
func parseConfig(args []string, getenv func(string) string, stdout io.Writer) (*config, error) {
	fs := flag.NewFlagSet("parsecd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		port      = fs.Int("port", 0, "listen on 127.0.0.1:`PORT` and [::1]:PORT; 0 picks a free port, logged (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, default 2773)")
		mode      = fs.String("mode", "", "run `MODE`: auto, extension, daemon or emulate (PARSECD_MODE, default auto)")
		emulate   = fs.String("emulate", "", "serve the parameters and secrets of the JSON `FILE` instead of AWS; the file is reloaded when it changes (PARSECD_EMULATE)")
		latency   = fs.String("latency", "", "emulator only: delay every upstream call by `MIN-MAX` (e.g. 20ms-80ms) or a fixed duration (PARSECD_LATENCY)")
		tokenFile = fs.String("token-file", "", "the token is the content of `PATH`, trimmed (instead of AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN)")
		noToken   = fs.Bool("insecure-no-token", false, "serve without checking the token header: local use only, warned on every start")
		logLevel  = fs.String("log-level", "", "log `LEVEL`: DEBUG, INFO, WARN, ERROR or NONE (PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL, default INFO)")
		ttl       = fs.String("ttl", "", "cache every value for `DURATION` (e.g. 90s, 15m; 0 disables caching) (SSM_PARAMETER_STORE_TTL and SECRETS_MANAGER_TTL, default 300s)")
		maxConc   = fs.String("max-concurrent", "", "serve at most `N` requests at once, answering 429 beyond (PARSECD_MAX_CONCURRENT, default "+strconv.Itoa(httpcompat.DefaultMaxConcurrent)+")")
		maxConns  = fs.String("max-open-connections", "", "keep at most `N` connections open (1 to "+strconv.Itoa(maxOpenConnectionsLimit)+"); beyond, the longest-idle keep-alive connection is closed, or the new one if none is idle (PARSECD_MAX_OPEN_CONNECTIONS, default "+strconv.Itoa(httpcompat.DefaultMaxOpenConnections)+")")
		jsonErrs  = fs.String("json-errors", "", "`BOOL`: answer errors with AWS's JSON {\"__type\",\"message\"} instead of the extension's plain text; only for clients that check the status before decoding (PARSECD_JSON_ERRORS, default false)")
	)
	obsFlags := addObservabilityFlags(fs)
	cloudFlags := addCloudExtFlags(fs)
	ping := fs.Bool("ping", false, "check that a parsecd serves GET /ping on 127.0.0.1 at the configured port, exit 0 if it does and 1 if not (a container's health check)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), usageTail)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
		return nil, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: parsecd takes flags only", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	// Flags override variables: give ParseEnv the flag's value in place of
	// the variable's, so that the variable is not checked when overridden.
	overrides := map[string]string{}
	if set["log-level"] {
		overrides[extenv.EnvLogLevel] = *logLevel
	}
	if set["port"] {
		if *port < 0 || *port > 65535 {
			return nil, usagef("--port %d: must be from 1 to 65535, or 0 for a free port", *port)
		}
		overrides[extenv.EnvHTTPPort] = strconv.Itoa(max(*port, 1)) // 0 is set below
	}
	var ttlOverride *time.Duration
	if set["ttl"] {
		d, err := time.ParseDuration(*ttl)
		if err != nil || d < 0 {
			return nil, usagef("--ttl %q: must be a non-negative duration such as 90s or 15m", *ttl)
		}
		ttlOverride = &d
		overrides[extenv.EnvParameterTTL], overrides[extenv.EnvSecretTTL] = "0", "0"
	}
	env, err := extenv.Parse(func(k string) string {
		if v, ok := overrides[k]; ok {
			return v
		}
		return getenv(k)
	})
	if err != nil {
		if set["log-level"] && strings.Contains(err.Error(), extenv.EnvLogLevel) {
			return nil, usagef("--log-level %q: must be one of DEBUG, INFO, WARN, ERROR, NONE", *logLevel)
		}
		return nil, &usageError{"bad environment: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	if set["port"] && *port == 0 {
		env.HTTPPort = 0
	}
	maxConcurrent := httpcompat.DefaultMaxConcurrent
	name, v := "--max-concurrent", *maxConc
	if !set["max-concurrent"] {
		name, v = envMaxConc, strings.TrimSpace(getenv(envMaxConc))
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxConcurrentLimit {
			return nil, usagef("%s=%q: must be a whole number from 1 to %d", name, v, maxConcurrentLimit)
		}
		maxConcurrent = n
	}
	if ttlOverride != nil {
		env.ParameterTTL, env.SecretTTL = *ttlOverride, *ttlOverride
	}
	maxOpenConns := httpcompat.DefaultMaxOpenConnections
	name, v = "--max-open-connections", *maxConns
	if !set["max-open-connections"] {
		name, v = envMaxConns, strings.TrimSpace(getenv(envMaxConns))
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxOpenConnectionsLimit {
			return nil, usagef("%s=%q: must be a whole number from 1 to %d", name, v, maxOpenConnectionsLimit)
		}
		maxOpenConns = n
	}
	jsonErrors := false
	name, v = "--json-errors", *jsonErrs
	if !set["json-errors"] {
		name, v = envJSONErrors, strings.TrimSpace(getenv(envJSONErrors))
	}
	switch strings.ToLower(v) {
	case "", "false", "0":
	case "true", "1":
		jsonErrors = true
	default:
		return nil, usagef("%s=%q: must be true, false, 1 or 0", name, v)
	}

	c := &config{
		env:             env,
		runtimeAPI:      getenv(envRuntimeAPI),
		emulate:         flagOrEnv(set["emulate"], *emulate, getenv, envEmulate),
		tokenFile:       *tokenFile,
		insecureNoToken: *noToken,
		maxConcurrent:   maxConcurrent,
		maxOpenConns:    maxOpenConns,
		jsonErrors:      jsonErrors,
		reloadEvery:     time.Second,
		ping:            *ping,
	}
	if c.obs, err = obsFlags.parse(set, getenv); err != nil {
		return nil, err
	}
	if c.cloud, err = cloudFlags.parse(set, getenv); err != nil {
		return nil, err
	}
	if set["token-file"] && c.tokenFile == "" {
		return nil, usagef("--token-file: empty path")
	}
	if lat := flagOrEnv(set["latency"], *latency, getenv, envLatency); lat != "" {
		name := "--latency"
		if !set["latency"] {
			name = envLatency
		}
		if c.latencyMin, c.latencyMax, err = parseLatency(lat); err != nil {
			return nil, usagef("%s %q: %v", name, lat, err)
		}
		if c.emulate == "" {
			return nil, usagef("%s applies to the emulator only: give --emulate FILE", name)
		}
	}
	m := flagOrEnv(set["mode"], *mode, getenv, envMode)
	switch m {
	case "", modeAuto:
		switch {
		case c.runtimeAPI != "":
			c.mode = modeExtension
		case c.emulate != "":
			c.mode = modeEmulate
		default:
			c.mode = modeDaemon
		}
	case modeExtension:
		if c.runtimeAPI == "" {
			return nil, usagef("--mode extension needs %s (set by Lambda)", envRuntimeAPI)
		}
		c.mode = m
	case modeEmulate:
		if c.emulate == "" {
			return nil, usagef("--mode emulate needs --emulate FILE (or %s)", envEmulate)
		}
		c.mode = m
	case modeDaemon:
		c.mode = m
		if c.emulate != "" {
			c.mode = modeEmulate
		}
	default:
		return nil, usagef("--mode %q: must be auto, extension, daemon or emulate", m)
	}
	return c, nil
}

func flagOrEnv(isSet bool, v string, getenv func(string) string, name string) string {
	if isSet {
		return v
	}
	return strings.TrimSpace(getenv(name))
}

// parseLatency parses "20ms-80ms" or "50ms".
func parseLatency(s string) (lo, hi time.Duration, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = time.ParseDuration(strings.TrimSpace(a)); err != nil {
		return 0, 0, errors.New("must be a duration (50ms) or a range (20ms-80ms)")
	}
	hi = lo
	if isRange {
		if hi, err = time.ParseDuration(strings.TrimSpace(b)); err != nil {
			return 0, 0, errors.New("must be a duration (50ms) or a range (20ms-80ms)")
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, errors.New("needs 0 <= MIN <= MAX")
	}
	return lo, hi, nil
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

// levelName is for the start-up log line.
func levelName(l slog.Level) string {
	if l == extenv.LevelNone {
		return "NONE"
	}
	return l.String()
}

// cacheOptions returns the cache options env sets, after the flags'
// overrides.
func cacheOptions(env extenv.Settings) []cache.Option {
	return []cache.Option{
		cache.WithEnabled(env.CacheEnabled),
		cache.WithMaxEntries(env.CacheSize),
		cache.WithParameterTTL(env.ParameterTTL),
		cache.WithSecretTTL(env.SecretTTL),
		cache.WithParameterTimeout(env.ParameterTimeout),
		cache.WithSecretTimeout(env.SecretTimeout),
	}
}
