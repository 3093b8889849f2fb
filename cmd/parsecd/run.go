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
		r.log.Warn("parsecd: --insecure-no-token: requests are served without checking the token; any local process can read every value. Local use only.")
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
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "httpcompat: ")
		if strings.HasPrefix(msg, "no token") {
			msg = "no token source: set AWS_TOKEN, AWS_SESSION_TOKEN or AWS_CONTAINER_AUTHORIZATION_TOKEN (file://PATH reads a file), or give --token-file PATH; for local use only, --insecure-no-token serves without a token"
		}
		return nil, &usageError{msg}
	}
	r.token = t
	return append(opts, httpcompat.WithToken(t)), nil
}

func (r *runner) serve(ctx context.Context) int {
	cfg := r.cfg
	r.log = httpcompat.NewLogger(r.stderr, cfg.env.LogLevel)
	hopts, err := r.handlerOptions()
	if err != nil {
		return r.initFailed(ctx, exitUsage, reasonToken, err)
	}
	var stats func() cache.Stats // set below, before the server starts
	hopts = append(hopts, r.routeOptions(func() cache.Stats { return stats() })...)
	build := func(c *cache.Cache) (http.Handler, error) { return httpcompat.NewHandler(c, hopts...) }
	if cfg.cloud.on {
		build = r.withCloudExtensions(build)
	}
	copts := append(cacheOptions(cfg.env), cache.WithLogger(r.log))
	rot, err := parseRotationSettings(r.getenv, cfg.mode) // changes.go
	if err != nil {
		return r.initFailed(ctx, exitUsage, reasonConfig, err)
	}
	copts = append(copts, rot.cacheOptions()...)

	var (
		h       http.Handler
		closeFn func()
		emu     *emulator
	)
	if cfg.emulate != "" {
		emu = &emulator{file: cfg.emulate, latencyMin: cfg.latencyMin, latencyMax: cfg.latencyMax, build: build, cacheOpts: copts, log: r.log}
		if err := emu.start(); err != nil {
			return r.initFailed(ctx, exitUsage, reasonConfig, err)
		}
		h, closeFn, stats = emu, emu.close, emu.stats
	} else {
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return r.initFailed(ctx, exitUsage, reasonConfig, fmt.Errorf("AWS configuration: %w", err))
		}
		if awsCfg.Region == "" {
			return r.initFailed(ctx, exitUsage, reasonConfig, errors.New("AWS configuration: no region: set AWS_REGION (Lambda sets it), or use --emulate FILE to run without AWS"))
		}
		c, err := cache.New(source.New(awsCfg, source.WithMaxConnections(cfg.env.MaxConnections)), copts...)
		if err != nil {
			return r.initFailed(ctx, exitUsage, reasonConfig, err)
		}
		if h, err = build(c); err != nil {
			_ = c.Close()
			return r.initFailed(ctx, exitUsage, reasonConfig, err)
		}
		stopChanges, err := startChanges(ctx, c, awsCfg, rot, r.log) // changes.go
		if err != nil {
			_ = c.Close()
			return r.initFailed(ctx, exitUsage, reasonConfig, err)
		}
		closeFn, stats = func() { stopChanges(); _ = c.Close() }, c.Stats
	}

	sopts := []httpcompat.ServerOption{httpcompat.WithServerLogger(r.log), httpcompat.WithMaxConcurrent(cfg.maxConcurrent),
		httpcompat.WithMaxOpenConnections(cfg.maxOpenConns)}
	if cfg.jsonErrors {
		sopts = append(sopts, httpcompat.WithServerJSONErrors())
	}
	// Listen before registering (extensionLoop): a function that reads a
	// value during its INIT, which starts once every extension has
	// registered, finds the port open.
	srv, err := httpcompat.ListenLocalhost(cfg.env.HTTPPort, h, sopts...)
	if err != nil {
		closeFn()
		return r.initFailed(ctx, exitUsage, reasonListen, fmt.Errorf("cannot listen on localhost port %d (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT or --port): %w", cfg.env.HTTPPort, err))
	}
	cloudSrv, err := r.listenCloud(h)
	if err != nil {
		_ = srv.Close()
		closeFn()
		return r.initFailed(ctx, exitUsage, reasonListen, err)
	}
	r.log.Info("parsecd: serving", "mode", cfg.mode, "addr", strings.Join(srv.Addrs(), " "), "emulate", cfg.emulate,
		"jsonErrors", cfg.jsonErrors, "maxOpenConnections", cfg.maxOpenConns, "maxConcurrent", cfg.maxConcurrent,
		"cacheEnabled", cfg.env.CacheEnabled, "cacheSize", cfg.env.CacheSize,
		"parameterTTL", cfg.env.ParameterTTL.String(), "secretTTL", cfg.env.SecretTTL.String(),
		"logLevel", levelName(cfg.env.LogLevel))
	for _, n := range cfg.env.Notes() {
		r.log.Info("parsecd: " + n)
	}
	stopEMF := r.startEMF(stats)

	wctx, stopWatch := context.WithCancel(ctx)
	var watching sync.WaitGroup
	if emu != nil {
		watching.Go(func() { emu.watch(wctx, cfg.reloadEvery) })
	}
	stop := func() {
		stopWatch()
		watching.Wait()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownBudget)
		defer cancel()
		for _, s := range append([]*httpcompat.Server{srv}, cloudSrv...) {
			if err := s.Shutdown(sctx); err != nil {
				r.log.Warn("parsecd: graceful shutdown cut short", "addr", s.Addr(), "error", err.Error())
				_ = s.Close()
			}
		}
		stopEMF()
		closeFn()
		r.log.Info("parsecd: stopped")
	}

	if !r.lambda {
		r.ready(srv.URL())
		<-ctx.Done()
		stop()
		return exitOK
	}
	return r.extensionLoop(ctx, srv.URL(), stop)
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
