package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/internal/lambdaext"
	"github.com/parsec-go/parsec/lambdaenv"
	"github.com/parsec-go/parsec/source"
)

// shutdownBudget bounds the graceful shutdown: Lambda allows the whole
// SHUTDOWN phase 2 s before it sends SIGKILL.
const shutdownBudget = 1500 * time.Millisecond

// The error types reported to the Extensions API (Extension.<Reason>).
const (
	reasonConfig = "Extension.ConfigError"
	reasonToken  = "Extension.NoToken"
	reasonListen = "Extension.ListenFailed"
	reasonLoop   = "Extension.EventLoopFailed"
)

// runHooks lets tests observe a run; nil in production.
type runHooks struct {
	ready       func(url string) // called once the server is listening (and, as an extension, registered)
	reloadEvery time.Duration    // the emulator file's poll interval, if not zero
	cloudReady  func(url string) // called with the Cloud Extensions API's URL once it listens
}

// run is parsecd with its process boundary injected: args is os.Args
// (program name first), getenv is os.Getenv. It returns the exit code. It
// serves until ctx ends (SIGINT/SIGTERM in main) or, as an extension, until
// the SHUTDOWN event.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, getenv, stdout, stderr, nil)
}

func runContext(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, hooks *runHooks) int {
	name := "parsecd"
	if len(args) > 0 {
		name = filepath.Base(args[0])
		args = args[1:]
	}
	r := &runner{name: name, getenv: getenv, stdout: stdout, stderr: stderr, hooks: hooks}
	cfg, err := parseConfig(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	// As an extension, a failure before serving is reported to Lambda. Lambda
	// passes no arguments, so a bad configuration there is in the
	// environment and AWS_LAMBDA_RUNTIME_API tells the mode.
	if cfg != nil {
		r.lambda = cfg.mode == modeExtension
	} else {
		m := strings.TrimSpace(getenv(envMode))
		r.lambda = getenv(envRuntimeAPI) != "" && (m == "" || m == modeAuto || m == modeExtension)
	}
	if r.lambda {
		r.ext = lambdaext.New(getenv(envRuntimeAPI))
	}
	if err != nil {
		return r.initFailed(ctx, exitUsage, reasonConfig, err)
	}
	if hooks != nil && hooks.reloadEvery > 0 {
		cfg.reloadEvery = hooks.reloadEvery
	}
	r.cfg = cfg
	if cfg.ping {
		return r.ping(ctx)
	}
	return r.serve(ctx)
}

type runner struct {
	name   string
	getenv func(string) string
	stdout io.Writer // EMF lines (metrics.go)
	stderr io.Writer
	hooks  *runHooks
	cfg    *config
	log    *slog.Logger
	lambda bool
	ext    *lambdaext.Client // set when lambda
	token  string            // the :2773 API's token; "" with --insecure-no-token
}

// initFailed reports a failure before serving and returns code.
func (r *runner) initFailed(ctx context.Context, code int, reason string, err error) int {
	fmt.Fprintf(r.stderr, "parsecd: %v\n", err)
	if code == exitUsage && !r.lambda {
		fmt.Fprintln(r.stderr, "Run 'parsecd --help' for usage.")
	}
	if r.lambda {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if r.ext.ID() == "" {
			if _, rerr := r.ext.Register(ctx, r.name, lambdaext.Shutdown); rerr != nil {
				fmt.Fprintf(r.stderr, "parsecd: cannot report the failure to the Extensions API: %v\n", rerr)
				return code
			}
		}
		if rerr := r.ext.InitError(ctx, reason, err.Error()); rerr != nil {
			fmt.Fprintf(r.stderr, "parsecd: cannot report the failure to the Extensions API: %v\n", rerr)
		}
	}
	return code
}

// handlerOptions returns the token options, or a usage error when there is
// no token source.
func (r *runner) handlerOptions() ([]httpcompat.Option, error) {
	opts := []httpcompat.Option{httpcompat.WithLogger(r.log)}
	if r.cfg.jsonErrors {
		opts = append(opts, httpcompat.WithJSONErrors())
	}
	switch {
	case r.cfg.insecureNoToken:
		// The handler logs the one WARN (httpcompat.WithoutTokenCheck); its
		// records say which flag turned the check off.
		opts[0] = httpcompat.WithLogger(r.log.With(slog.String("tokenCheck", "off: --insecure-no-token")))
		return append(opts, httpcompat.WithoutTokenCheck()), nil
	case r.cfg.tokenFile != "":
		t, err := readTokenFile(r.cfg.tokenFile)
		if err != nil {
			return nil, err
		}
		r.token = t
		return append(opts, httpcompat.WithToken(t)), nil
	}
	t, err := httpcompat.TokenFromEnv(r.getenv)
	switch {
	case errors.Is(err, httpcompat.ErrNoToken):
		return nil, usagef("no token source: set AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN (file://PATH reads a file), or give --token-file PATH; for local use only, --insecure-no-token serves without a token")
	case err != nil:
		return nil, &usageError{err.Error()}
	}
	r.token = t
	return append(opts, httpcompat.WithToken(t)), nil
}

// backend is what serves the requests: the emulator, or a cache of AWS
// behind the compatible handler.
type backend struct {
	h     http.Handler
	stats func() cache.Stats
	close func()
	emu   *emulator // nil unless emulating
}

// serve runs parsecd until ctx ends or, as an extension, until SHUTDOWN.
func (r *runner) serve(ctx context.Context) int {
	r.log = r.cfg.env.Logger(r.stderr)
	hopts, err := r.handlerOptions()
	if err != nil {
		return r.initFailed(ctx, exitUsage, reasonToken, err)
	}
	b, reason, err := r.newBackend(ctx, hopts)
	if err != nil {
		return r.initFailed(ctx, exitUsage, reason, err)
	}
	// Listen before registering (extensionLoop): a function that reads a
	// value during its INIT, which starts once every extension has
	// registered, finds the port open.
	srv, err := httpcompat.ListenLocalhost(r.cfg.env.HTTPPort, b.h, r.serverOptions()...)
	if err != nil {
		b.close()
		return r.initFailed(ctx, exitUsage, reasonListen, fmt.Errorf("cannot listen on localhost port %d (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT or --port): %w", r.cfg.env.HTTPPort, err))
	}
	cloudSrv, err := r.listenCloud(b.h)
	if err != nil {
		_ = srv.Close()
		b.close()
		return r.initFailed(ctx, exitUsage, reasonListen, err)
	}
	r.logServing(srv)
	stop := r.startBackground(ctx, append([]*httpcompat.Server{srv}, cloudSrv...), b)
	if !r.lambda {
		r.ready(srv.URL())
		<-ctx.Done()
		stop()
		return exitOK
	}
	return r.extensionLoop(ctx, srv.URL(), stop)
}

// newBackend builds the emulator or the cache of AWS, with hopts for the
// compatible handler. On error it returns the reason to report to Lambda.
func (r *runner) newBackend(ctx context.Context, hopts []httpcompat.Option) (*backend, string, error) {
	b := &backend{}
	// The opt-in routes read the counters of whichever cache serves: b.stats
	// is set below, before the server starts.
	hopts = append(hopts, r.routeOptions(func() cache.Stats { return b.stats() })...)
	build := func(c *cache.Cache) (http.Handler, error) { return httpcompat.NewHandler(c, hopts...) }
	if r.cfg.cloud.on {
		build = r.withCloudExtensions(build)
	}
	copts := []cache.Option{cache.WithSettings(r.cfg.env), cache.WithLogger(r.log)}
	rot, err := parseRotationSettings(r.getenv, r.cfg.mode) // changes.go
	if err != nil {
		return nil, reasonConfig, err
	}
	copts = append(copts, rot.cacheOptions()...)
	if r.cfg.emulate != "" {
		emu := &emulator{file: r.cfg.emulate, latencyMin: r.cfg.latencyMin, latencyMax: r.cfg.latencyMax, build: build, cacheOpts: copts, log: r.log}
		if err := emu.start(); err != nil {
			return nil, reasonConfig, err
		}
		b.h, b.close, b.stats, b.emu = emu, emu.close, emu.stats, emu
		return b, "", nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, reasonConfig, fmt.Errorf("AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, reasonConfig, errors.New("AWS configuration: no region: set AWS_REGION (Lambda sets it), or use --emulate FILE to run without AWS")
	}
	c, err := cache.New(source.New(awsCfg, r.cfg.env.SourceOptions()...), copts...)
	if err != nil {
		return nil, reasonConfig, err
	}
	if b.h, err = build(c); err != nil {
		_ = c.Close()
		return nil, reasonConfig, err
	}
	stopChanges, err := startChanges(ctx, c, awsCfg, rot, r.log) // changes.go
	if err != nil {
		_ = c.Close()
		return nil, reasonConfig, err
	}
	b.close, b.stats = func() { stopChanges(); _ = c.Close() }, c.Stats
	return b, "", nil
}

// serverOptions returns the options of the HTTP server.
func (r *runner) serverOptions() []httpcompat.Option {
	sopts := []httpcompat.Option{httpcompat.WithLogger(r.log), httpcompat.WithMaxConcurrent(r.cfg.maxConcurrent),
		httpcompat.WithMaxOpenConnections(r.cfg.maxOpenConns)}
	if r.cfg.jsonErrors {
		sopts = append(sopts, httpcompat.WithJSONErrors())
	}
	return sopts
}

// logServing logs the configuration served, once.
func (r *runner) logServing(srv *httpcompat.Server) {
	cfg := r.cfg
	r.log.Info("parsecd: serving", "mode", cfg.mode, "addr", strings.Join(srv.Addrs(), " "), "emulate", cfg.emulate,
		"jsonErrors", cfg.jsonErrors, "maxOpenConnections", cfg.maxOpenConns, "maxConcurrent", cfg.maxConcurrent,
		"cacheEnabled", cfg.env.CacheEnabled, "cacheSize", cfg.env.CacheSize,
		"parameterTTL", cfg.env.ParameterTTL.String(), "secretTTL", cfg.env.SecretTTL.String(),
		"logLevel", lambdaenv.LevelName(cfg.env.LogLevel))
	// The cache logs cfg.env.Notes() (cache.WithSettings).
}

// startBackground starts the EMF writer and the emulator file's watch, and
// returns the function that stops them, shuts the servers down and closes
// the backend: call it once.
func (r *runner) startBackground(ctx context.Context, srvs []*httpcompat.Server, b *backend) (stop func()) {
	stopEMF := r.startEMF(b.stats)
	wctx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	if b.emu != nil {
		watching.Go(func() { b.emu.watch(wctx, r.cfg.reloadEvery) })
	}
	return func() {
		stopWatch()
		watching.Wait()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownBudget)
		defer cancel()
		for _, s := range srvs {
			if err := s.Shutdown(sctx); err != nil {
				r.log.Warn("parsecd: graceful shutdown cut short", "addr", s.Addr(), "error", err.Error())
				_ = s.Close()
			}
		}
		stopEMF()
		b.close()
		r.log.Info("parsecd: stopped")
	}
}

func (r *runner) ready(url string) {
	if r.hooks != nil && r.hooks.ready != nil {
		r.hooks.ready(url)
	}
}

// extensionLoop registers with the Extensions API, after the server is
// listening so that the function can read values during its own INIT, and
// waits for SHUTDOWN.
func (r *runner) extensionLoop(ctx context.Context, url string, stop func()) int {
	reg, err := r.ext.Register(ctx, r.name, lambdaext.Shutdown)
	if err != nil {
		fmt.Fprintf(r.stderr, "parsecd: register with the Extensions API: %v\n", err)
		stop()
		return exitFailure
	}
	r.log.Info("parsecd: registered", "extension", r.name, "function", reg.FunctionName, "functionVersion", reg.FunctionVersion)
	r.ready(url)
	for {
		ev, err := r.ext.Next(ctx)
		switch {
		case ctx.Err() != nil: // SIGTERM or SIGINT
			r.log.Info("parsecd: signalled; shutting down")
			stop()
			return exitOK
		case err != nil:
			fmt.Fprintf(r.stderr, "parsecd: Extensions API event/next: %v\n", err)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			if rerr := r.ext.ExitError(rctx, reasonLoop, err.Error()); rerr != nil {
				fmt.Fprintf(r.stderr, "parsecd: cannot report the failure to the Extensions API: %v\n", rerr)
			}
			cancel()
			stop()
			return exitFailure
		case ev.EventType == lambdaext.Shutdown:
			r.log.Info("parsecd: SHUTDOWN", "reason", ev.ShutdownReason)
			stop()
			return exitOK
		}
		// Other events are not subscribed to; ignore any that arrive.
	}
}
