package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// hitName is the parameter every hit measurement reads.
const hitName = "/bench/app/db-password"

// HitRow is one way of reading a cached parameter.
type HitRow struct {
	Name   string
	Note   string
	NsOp   Sample
	Allocs Sample // allocations per read in this (the function's) process
}

// HitResult is section (a).
type HitResult struct {
	Rows []HitRow // in-process first
}

// ParallelRow is section (b) at one goroutine count.
type ParallelRow struct {
	Goroutines int
	InProcess  Sample // reads/s
	Sidecar    Sample // reads/s
}

// Hot is a cache and a sidecar both holding hitName, read by sections (a)
// and (b).
type Hot struct {
	Cache   *cache.Cache
	Sidecar *Sidecar
}

// StartHot builds an in-process cache and starts a parsecd over e.Slow,
// and warms both with hitName.
func (e *Env) StartHot(ctx context.Context) (*Hot, error) {
	if _, err := e.Slow.PutParameter(sourcetest.Parameter{Name: hitName, Value: "s3cr3t-value-of-realistic-length-0123456789", Type: "SecureString"}); err != nil {
		return nil, err
	}
	c, err := cache.New(e.Slow.Clients())
	if err != nil {
		return nil, err
	}
	s, err := StartSidecar(ctx, e.Parsecd, e.Slow.URL)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	h := &Hot{Cache: c, Sidecar: s}
	client := httpClient(true, 1)
	defer client.CloseIdleConnections()
	if err := inProcess(c)(ctx, hitName); err != nil {
		h.Close()
		return nil, err
	}
	if err := viaSidecar(s, client)(ctx, hitName); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Close stops the sidecar and closes the cache.
func (h *Hot) Close() {
	h.Sidecar.Stop()
	_ = h.Cache.Close()
}

// Hit measures section (a): one cached read, in process and through the
// sidecar, and an uncached SDK call for scale.
func (e *Env) Hit(ctx context.Context, h *Hot) (*HitResult, error) {
	reps := pick(e, 3, 7)
	target := pick(e, 40*time.Millisecond, 250*time.Millisecond)
	keep := httpClient(true, 4)
	defer keep.CloseIdleConnections()
	fresh := httpClient(false, 0)
	res := &HitResult{}
	for _, v := range []struct {
		name, note string
		read       reader
	}{
		{"in-process", "`(*cache.Cache).Parameter`, fresh entry", inProcess(h.Cache)},
		{"sidecar, keep-alive", "GET `/systemsmanager/parameters/get` to parsecd (separate process), reused connection", viaSidecar(h.Sidecar, keep)},
		{"sidecar, new connection", "same, a new TCP connection per read (`DisableKeepAlives`)", viaSidecar(h.Sidecar, fresh)},
	} {
		e.logf("(a) hit: %s", v.name)
		ns, allocs, err := repeat(ctx, reps, target, hitName, v.read)
		if err != nil {
			return nil, fmt.Errorf("bench: hit %s: %w", v.name, err)
		}
		res.Rows = append(res.Rows, HitRow{Name: v.name, Note: v.note, NsOp: ns, Allocs: allocs})
	}

	e.logf("(a) hit: SDK GetParameter, no cache (%v–%v upstream)", upstreamMin, upstreamMax)
	client := ssm.NewFromConfig(e.Slow.Config())
	sdk := func(ctx context.Context, name string) error {
		_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		return err
	}
	if err := sdk(ctx, hitName); err != nil { // connection set up
		return nil, err
	}
	var ns, allocs Sample
	for range reps {
		t, a, err := loop(ctx, pick(e, 4, 12), hitName, sdk)
		if err != nil {
			return nil, err
		}
		ns, allocs = append(ns, t), append(allocs, a)
	}
	res.Rows = append(res.Rows, HitRow{Name: "SDK GetParameter, no cache",
		Note: fmt.Sprintf("direct call to the fake SSM with %v–%v simulated latency", upstreamMin, upstreamMax), NsOp: ns, Allocs: allocs})
	return res, nil
}

// Parallel measures section (b): reads per second with g goroutines
// reading the same cached parameter, in process and through the sidecar.
func (e *Env) Parallel(ctx context.Context, h *Hot) ([]ParallelRow, error) {
	reps := pick(e, 3, 5)
	d := pick(e, 80*time.Millisecond, 300*time.Millisecond)
	var rows []ParallelRow
	for _, g := range []int{1, 2, 8, 64} {
		e.logf("(b) parallel hits: %d goroutines", g)
		client := httpClient(true, g)
		row := ParallelRow{Goroutines: g}
		for range reps {
			in, err := throughput(ctx, g, d, inProcess(h.Cache))
			if err != nil {
				return nil, err
			}
			sc, err := throughput(ctx, g, d, viaSidecar(h.Sidecar, client))
			if err != nil {
				return nil, err
			}
			row.InProcess, row.Sidecar = append(row.InProcess, in), append(row.Sidecar, sc)
		}
		client.CloseIdleConnections()
		rows = append(rows, row)
	}
	return rows, nil
}

// throughput runs g goroutines reading for d and returns reads per second.
func throughput(ctx context.Context, g int, d time.Duration, read reader) (float64, error) {
	var (
		n     atomic.Int64
		wg    sync.WaitGroup
		first atomic.Pointer[error]
		stop  atomic.Bool
	)
	start := time.Now()
	for range g {
		wg.Go(func() {
			var k int64
			for !stop.Load() {
				if err := read(ctx, hitName); err != nil {
					first.CompareAndSwap(nil, &err)
					break
				}
				k++
			}
			n.Add(k)
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	el := time.Since(start)
	if p := first.Load(); p != nil {
		return 0, *p
	}
	return float64(n.Load()) / el.Seconds(), nil
}
