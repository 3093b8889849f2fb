package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// startName is the parameter read by the cold-start section.
const startName = "/bench/start/value"

// ColdStartResult is section (d).
type ColdStartResult struct {
	InProcess    Sample // ns from exec to the first value, parsec in process
	Sidecar      Sample // ns from exec of parsecd to the function's first value
	SidecarReady Sample // ns from exec of parsecd to its first /ping answer
	FnSidecar    Sample // ns from exec of the function to its first value, sidecar ready
}

// ColdStart measures section (d): from process start to the first
// parameter value, with parsec in process versus parsecd started first
// and the function after it answers /ping (as Lambda starts extensions
// before the runtime). The upstream answers at once, so only process and
// connection costs are compared.
func (e *Env) ColdStart(ctx context.Context) (*ColdStartResult, error) {
	if _, err := e.Fast.PutParameter(sourcetest.Parameter{Name: startName, Value: "first-value"}); err != nil {
		return nil, err
	}
	reps := pick(e, 3, 9)
	r := &ColdStartResult{}
	e.logf("(d) cold start: %d runs each", reps)
	for i := range reps + 1 { // the first run of each warms the page cache and is dropped
		p, err := startFn(e.FnInproc, fnEnv(e.Fast.URL))
		if err != nil {
			return nil, err
		}
		_ = p.Stop()
		t0 := time.Now()
		s, err := StartSidecar(ctx, e.Parsecd, e.Fast.URL)
		if err != nil {
			return nil, err
		}
		f, err := startFn(e.FnSidecar, fnEnv(e.Fast.URL, "PARSEC_URL="+s.URL))
		total := time.Since(t0)
		if err != nil {
			s.Stop()
			return nil, err
		}
		_ = f.Stop()
		s.Stop()
		if i == 0 {
			continue
		}
		r.InProcess = append(r.InProcess, float64(p.Ready))
		r.Sidecar = append(r.Sidecar, float64(total))
		r.SidecarReady = append(r.SidecarReady, float64(s.Ready))
		r.FnSidecar = append(r.FnSidecar, float64(f.Ready))
	}
	return r, nil
}

func (r *Results) mdColdStart(b *strings.Builder) {
	c := r.ColdStart
	if c == nil {
		return
	}
	b.WriteString("## (d) Cold start to the first value\n\n" +
		"In process: exec of a tiny Go function (`bench/cmd/fninproc`: SDK default config, `cache.New`, one `Parameter` read) until it prints the value. " +
		"Sidecar: exec of parsecd until `/ping` answers, then exec of a tiny Go function using only `net/http` (`bench/cmd/fnsidecar`) until it prints the value read through parsecd, " +
		"as Lambda starts extensions before the runtime. The upstream (fake SSM) answers without added latency here, so the figures are process and connection costs; " +
		"add one upstream call (~80 ms warm, ~320 ms first call in Lambda) to both.\n\n")
	b.WriteString("| path | start to first value |\n|---|---|\n")
	fmt.Fprintf(b, "| in-process | %s |\n", nsSpread(c.InProcess))
	fmt.Fprintf(b, "| sidecar: parsecd start to `/ping` | %s |\n", nsSpread(c.SidecarReady))
	fmt.Fprintf(b, "| sidecar: then function start to first value | %s |\n", nsSpread(c.FnSidecar))
	fmt.Fprintf(b, "| sidecar: total | %s (%s the in-process time) |\n\n", nsSpread(c.Sidecar), ratio(c.Sidecar.Median(), c.InProcess.Median()))
	r.mdLambdaInit(b)
}
