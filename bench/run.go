package bench

import (
	"context"
	"fmt"
	"time"
)

// Results is everything one run measured. A section that could not run
// is nil or empty and named in Missing.
type Results struct {
	Machine   Machine
	Quick     bool
	Started   time.Time
	Elapsed   time.Duration
	Hit       *HitResult       // (a)
	Parallel  []ParallelRow    // (b)
	Cold      []ColdRow        // (c)
	ColdStart *ColdStartResult // (d)
	// LambdaInit is (d) under aws-lambda-rie; Skipped says why when the
	// emulator is not installed.
	LambdaInit *LambdaInitResult
	Memory     *MemoryResult // (e)
	Fleet      *FleetResult  // (f)
	Missing    []string
}

// Run builds what the sections need ([Setup], [Env.PrepareLambdaInit]),
// measures every section in order and returns the results. It fails only
// when the shared set-up or sections (a)–(c) fail; a later section that
// fails is recorded in Missing.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	e, err := Setup(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := e.PrepareLambdaInit(ctx); err != nil {
		return nil, err
	}
	return e.Measure(ctx)
}

// Measure runs every section on executables already built by [Setup] and
// [Env.PrepareLambdaInit] (it calls the latter if needed): nothing in it
// compiles, so a time budget on ctx bounds measuring only.
func (e *Env) Measure(ctx context.Context) (*Results, error) {
	r := &Results{Machine: ThisMachine(), Quick: e.cfg.Quick, Started: time.Now()}
	e.logf("starting parsecd and warming the in-process cache")
	hot, err := e.StartHot(ctx)
	if err != nil {
		return nil, err
	}
	if r.Hit, err = e.Hit(ctx, hot); err != nil {
		hot.Close()
		return nil, err
	}
	if r.Parallel, err = e.Parallel(ctx, hot); err != nil {
		hot.Close()
		return nil, err
	}
	hot.Close()
	if r.Cold, err = e.Cold(ctx); err != nil {
		return nil, err
	}

	later := []struct {
		name string
		run  func() error
	}{
		{"(d) cold start", func() (err error) { r.ColdStart, err = e.ColdStart(ctx); return err }},
		{"(d) Lambda INIT under aws-lambda-rie", func() (err error) { r.LambdaInit, err = e.LambdaInit(ctx); return err }},
		{"(e) memory", func() (err error) { r.Memory, err = e.Memory(ctx); return err }},
		{"(f) fleet", func() (err error) { r.Fleet, err = e.Fleet(ctx); return err }},
	}
	for _, s := range later {
		if err := s.run(); err != nil {
			e.logf("%s failed: %v", s.name, err)
			r.Missing = append(r.Missing, fmt.Sprintf("%s: %v", s.name, err))
		}
	}
	r.Elapsed = time.Since(r.Started)
	e.logf("done in %v", r.Elapsed.Round(time.Second))
	return r, nil
}
