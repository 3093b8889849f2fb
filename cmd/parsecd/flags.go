package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/lambdaenv"
)

// flagValues are the command line, parsed: each flag's value, and which
// flags were given (a flag given overrides its variable, even when empty).
type flagValues struct {
	port                                             int
	mode, emulate, latency, tokenFile, logLevel, ttl string
	maxConcurrent, maxOpenConnections, jsonErrors    string
	insecureNoToken, ping                            bool
	obs                                              *observabilityFlags
	cloud                                            *cloudExtFlags
	set                                              map[string]bool
}

// given returns the flag's value if it was given, else the variable's
// (trimmed), with the name to quote in an error: "--flag" or the
// variable.
func (f *flagValues) given(flagName, value string, getenv func(string) string, env string) (name, v string) {
	if f.set[flagName] {
		return "--" + flagName, value
	}
	return env, strings.TrimSpace(getenv(env))
}

// newFlagSet declares parsecd's flags into f.
func newFlagSet(f *flagValues) *flag.FlagSet {
	fs := flag.NewFlagSet("parsecd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&f.port, "port", 0, "listen on 127.0.0.1:`PORT` and [::1]:PORT; 0 picks a free port, logged ("+lambdaenv.EnvHTTPPort+", default 2773)")
	fs.StringVar(&f.mode, "mode", "", "run `MODE`: auto, extension, daemon or emulate ("+envMode+", default auto)")
	fs.StringVar(&f.emulate, "emulate", "", "serve the parameters and secrets of the JSON `FILE` instead of AWS; the file is reloaded when it changes ("+envEmulate+")")
	fs.StringVar(&f.latency, "latency", "", "emulator only: delay every upstream call by `MIN-MAX` (e.g. 20ms-80ms) or a fixed duration ("+envLatency+")")
	fs.StringVar(&f.tokenFile, "token-file", "", "the token is the content of `PATH`, trimmed (instead of AWS_TOKEN, AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN)")
	fs.BoolVar(&f.insecureNoToken, "insecure-no-token", false, "serve without checking the token header: local use only, warned on every start")
	fs.StringVar(&f.logLevel, "log-level", "", "log `LEVEL`: DEBUG, INFO, WARN, ERROR or NONE ("+lambdaenv.EnvLogLevel+", default INFO)")
	fs.StringVar(&f.ttl, "ttl", "", "cache every value for `DURATION` (e.g. 90s, 15m; 0 disables caching) ("+lambdaenv.EnvParameterTTL+" and "+lambdaenv.EnvSecretTTL+", default 300s)")
	fs.StringVar(&f.maxConcurrent, "max-concurrent", "", "serve at most `N` requests at once, answering 429 beyond ("+envMaxConc+", default "+strconv.Itoa(httpcompat.DefaultMaxConcurrent)+")")
	fs.StringVar(&f.maxOpenConnections, "max-open-connections", "", "keep at most `N` connections open (1 to "+strconv.Itoa(maxOpenConnectionsLimit)+"); beyond, the longest-idle keep-alive connection is closed, or the new one if none is idle ("+envMaxConns+", default "+strconv.Itoa(httpcompat.DefaultMaxOpenConnections)+")")
	fs.StringVar(&f.jsonErrors, "json-errors", "", "`BOOL`: answer errors with AWS's JSON {\"__type\",\"message\"} instead of the extension's plain text; only for clients that check the status before decoding ("+envJSONErrors+", default false)")
	f.obs = addObservabilityFlags(fs)
	f.cloud = addCloudExtFlags(fs)
	fs.BoolVar(&f.ping, "ping", false, "check that a parsecd serves GET /ping on 127.0.0.1 at the configured port, exit 0 if it does and 1 if not (a container's health check)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), envUsage(lambdaenv.Table()))
		fmt.Fprint(fs.Output(), usageTail)
	}
	return fs
}

// parseFlags parses args (without the program name). It returns
// flag.ErrHelp for -h/--help, after writing the help to stdout.
func parseFlags(args []string, stdout io.Writer) (*flagValues, error) {
	f := &flagValues{set: map[string]bool{}}
	fs := newFlagSet(f)
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
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, nil
}

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

// envUsage is the help's table of the extension's variables, from
// lambdaenv's table, so that it says what the parser does.
func envUsage(vars []lambdaenv.Var) string {
	var b strings.Builder
	b.WriteString("\nEnvironment (the extension's; a bad value is a configuration error):\n")
	for _, v := range vars {
		accepted := v.Range
		if v.Unit != "" {
			accepted += " " + v.Unit
		}
		fmt.Fprintf(&b, "  %s\n        %s, default %s: %s", v.Name, accepted, v.Default, v.Meaning)
		if v.Zero != "" {
			fmt.Fprintf(&b, "; 0 = %s", v.Zero)
		}
		b.WriteString("\n")
	}
	return b.String()
}

const usageTail = `
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

// flagOrEnv is the flag's value if it was given, else the variable's,
// trimmed.
func flagOrEnv(isSet bool, v string, getenv func(string) string, name string) string {
	if isSet {
		return v
	}
	return strings.TrimSpace(getenv(name))
}
