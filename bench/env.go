package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// Config selects what a run measures and where progress goes.
type Config struct {
	// Quick runs every section with fewer repetitions and smaller sizes,
	// for CI and a first look (see docs/benchmarks.md for how long).
	Quick bool
	// Progress receives one line per step; nil discards it.
	Progress io.Writer
	// Dir is where binaries are built; empty means a new temporary
	// directory, removed by Close.
	Dir string
}

// The packages built into separate executables.
const (
	pkgParsecd   = "github.com/parsec-go/parsec/cmd/parsecd"
	pkgFnInproc  = "github.com/parsec-go/parsec/bench/cmd/fninproc"
	pkgFnSidecar = "github.com/parsec-go/parsec/bench/cmd/fnsidecar"
)

// Upstream latency of the slow fake: SSM warm, as seen from Lambda.
const (
	upstreamMin = 20 * time.Millisecond
	upstreamMax = 80 * time.Millisecond
	coldLatency = 50 * time.Millisecond // section (c): fixed, so both sides see the same
)

// Env holds what every section shares: the executables and two fakes of
// SSM, one with realistic latency and one without. Close releases it.
type Env struct {
	cfg       Config
	dir       string
	ownDir    bool
	Parsecd   string // path of the parsecd executable
	FnInproc  string // a function reading through parsec in process
	FnSidecar string // a function reading through the sidecar's HTTP API
	Slow      *sourcetest.Server
	Fast      *sourcetest.Server
	Fixed     *sourcetest.Server // coldLatency on every call

	// Set by PrepareLambdaInit.
	lambdaPrepared bool
	lambdaErr      error
	lambdaSkip     string // why (d) under aws-lambda-rie cannot run, else ""
	rie            string // the emulator's path
	initBootstrap  string // the INIT test function, built
}

// Setup builds the executables and starts the fakes. Building is the slow
// part on a fresh machine (the AWS SDK compiles once into Go's build
// cache); nothing after Setup and [Env.PrepareLambdaInit] compiles.
func Setup(ctx context.Context, cfg Config) (*Env, error) {
	e := &Env{cfg: cfg, dir: cfg.Dir}
	if e.dir == "" {
		d, err := os.MkdirTemp("", "parsec-bench-")
		if err != nil {
			return nil, err
		}
		e.dir, e.ownDir = d, true
	}
	e.logf("building parsecd and the test functions")
	for _, b := range []struct {
		pkg string
		dst *string
	}{{pkgParsecd, &e.Parsecd}, {pkgFnInproc, &e.FnInproc}, {pkgFnSidecar, &e.FnSidecar}} {
		p, err := build(ctx, e.dir, b.pkg)
		if err != nil {
			e.Close()
			return nil, err
		}
		*b.dst = p
	}
	e.Slow = sourcetest.NewServer(sourcetest.WithLatency(upstreamMin, upstreamMax))
	e.Fast = sourcetest.NewServer()
	e.Fixed = sourcetest.NewServer(sourcetest.WithLatency(coldLatency, coldLatency))
	return e, nil
}

// Close stops the fakes and removes the built executables.
func (e *Env) Close() {
	if e.Slow != nil {
		e.Slow.Close()
	}
	if e.Fast != nil {
		e.Fast.Close()
	}
	if e.Fixed != nil {
		e.Fixed.Close()
	}
	if e.ownDir {
		_ = os.RemoveAll(e.dir)
	}
}

func (e *Env) logf(format string, args ...any) {
	if e.cfg.Progress != nil {
		fmt.Fprintf(e.cfg.Progress, "bench: "+format+"\n", args...)
	}
}

// pick returns quick in quick mode, else full.
func pick[T any](e *Env, quick, full T) T {
	if e.cfg.Quick {
		return quick
	}
	return full
}

// build compiles pkg into dir with the go command on PATH, from the
// current directory, which must be inside the bench module.
func build(ctx context.Context, dir, pkg string) (string, error) {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("bench: go build %s (run from the bench directory): %v\n%s", pkg, err, b)
	}
	return out, nil
}
