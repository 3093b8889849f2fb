package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// memEntries is how many parameters the memory section holds.
const memEntries = 1000

// MemoryResult is section (e), in KiB.
type MemoryResult struct {
	InProcess   Sample // RSS of the function holding memEntries in process
	FnSidecar   Sample // RSS of the function reading through the sidecar
	SidecarProc Sample // RSS of parsecd holding memEntries
	Sidecar     Sample // the sum of the two
}

// Memory measures section (e): resident memory of a function that has
// read memEntries parameters, in process, versus a function plus parsecd.
func (e *Env) Memory(ctx context.Context) (*MemoryResult, error) {
	for i := range memEntries {
		p := sourcetest.Parameter{Name: fmt.Sprintf("/bench/mem/%04d", i), Value: fmt.Sprintf("value-%04d-%s", i, strings.Repeat("x", 90))}
		if _, err := e.Fast.PutParameter(p); err != nil {
			return nil, err
		}
	}
	reps := pick(e, 2, 5)
	e.logf("(e) memory: %d entries, %d runs each", memEntries, reps)
	r := &MemoryResult{}
	n := fmt.Sprint(memEntries)
	for range reps {
		p, err := startFn(e.FnInproc, fnEnv(e.Fast.URL), "-n", n, "-hold")
		if err != nil {
			return nil, err
		}
		in, err := rssKiB(p.PID())
		_ = p.Stop()
		if err != nil {
			return nil, err
		}
		s, err := StartSidecar(ctx, e.Parsecd, e.Fast.URL, "PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE="+n)
		if err != nil {
			return nil, err
		}
		f, err := startFn(e.FnSidecar, fnEnv(e.Fast.URL, "PARSEC_URL="+s.URL), "-n", n, "-hold")
		if err != nil {
			s.Stop()
			return nil, err
		}
		fr, err1 := rssKiB(f.PID())
		sr, err2 := rssKiB(s.PID())
		_ = f.Stop()
		s.Stop()
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bench: RSS: %v %v", err1, err2)
		}
		r.InProcess = append(r.InProcess, float64(in))
		r.FnSidecar = append(r.FnSidecar, float64(fr))
		r.SidecarProc = append(r.SidecarProc, float64(sr))
		r.Sidecar = append(r.Sidecar, float64(fr+sr))
	}
	return r, nil
}

func mib(s Sample) string {
	if len(s) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB (%.1f–%.1f)", s.Median()/1024, s.Min()/1024, s.Max()/1024)
}

func (r *Results) mdMemory(b *strings.Builder) {
	m := r.Memory
	if m == nil {
		return
	}
	fmt.Fprintf(b, "## (e) Memory\n\n"+
		"Resident memory (`VmRSS` from `/proc/PID/status`) after reading %d parameters (~100-byte values), while the processes are still running. "+
		"In process: the function holds them in parsec's cache. Sidecar: the function (only `net/http`) read them through parsecd, which holds them (`PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE=%d`). "+
		"Lambda bills the memory setting, not RSS; this is headroom within it.\n\n", memEntries, memEntries)
	b.WriteString("| process | RSS |\n|---|---|\n")
	fmt.Fprintf(b, "| function with parsec in process | %s |\n", mib(m.InProcess))
	fmt.Fprintf(b, "| function reading through the sidecar | %s |\n", mib(m.FnSidecar))
	fmt.Fprintf(b, "| parsecd | %s |\n", mib(m.SidecarProc))
	fmt.Fprintf(b, "| function + parsecd | %s (%s the in-process RSS) |\n\n", mib(m.Sidecar), ratio(m.Sidecar.Median(), m.InProcess.Median()))
}
