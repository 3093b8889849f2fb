package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// The benchmarks share one Env and one Hot (a cache and a parsecd holding
// hitName), built on first use and released by TestMain.
var (
	shared struct {
		once sync.Once
		env  *Env
		hot  *Hot
		err  error
	}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.hot != nil {
		shared.hot.Close()
	}
	if shared.env != nil {
		shared.env.Close()
	}
	os.Exit(code)
}

func hot(b *testing.B) (*Env, *Hot) {
	shared.once.Do(func() {
		ctx := context.Background()
		shared.env, shared.err = Setup(ctx, Config{Quick: true})
		if shared.err == nil {
			shared.hot, shared.err = shared.env.StartHot(ctx)
		}
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return shared.env, shared.hot
}

// BenchmarkHit is section (a): one cached read in process, through parsecd
// over loopback (keep-alive, and a new connection per read), and an
// uncached SDK call with 20–80 ms upstream latency. The sidecar
// sub-benchmarks report x-in-process: how many times slower they are.
// allocs/op counts the reading process only.
func BenchmarkHit(b *testing.B) {
	e, h := hot(b)
	ctx := context.Background()
	var inProc float64
	run := func(name string, read reader) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := read(ctx, hitName); err != nil {
					b.Fatal(err)
				}
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if name == "in-process" {
				inProc = ns
			} else if inProc > 0 {
				b.ReportMetric(ns/inProc, "x-in-process")
			}
		})
	}
	run("in-process", inProcess(h.Cache))
	keep := httpClient(true, 4)
	defer keep.CloseIdleConnections()
	run("sidecar-keepalive", viaSidecar(h.Sidecar, keep))
	run("sidecar-newconn", viaSidecar(h.Sidecar, httpClient(false, 0)))
	client := ssm.NewFromConfig(e.Slow.Config())
	run("sdk-nocache", func(ctx context.Context, name string) error {
		_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		return err
	})
}

// BenchmarkParallelHit is section (b): G goroutines reading the same
// cached parameter, in process and through parsecd (keep-alive). It
// reports reads/s.
func BenchmarkParallelHit(b *testing.B) {
	_, h := hot(b)
	ctx := context.Background()
	for _, g := range []int{1, 2, 8, 64} {
		client := httpClient(true, g)
		for _, v := range []struct {
			name string
			read reader
		}{{"in-process", inProcess(h.Cache)}, {"sidecar", viaSidecar(h.Sidecar, client)}} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", v.name, g), func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(max(1, g/runtime.GOMAXPROCS(0)))
				if g == 1 {
					for b.Loop() {
						if err := v.read(ctx, hitName); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := v.read(ctx, hitName); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
			})
		}
		client.CloseIdleConnections()
	}
}

// TestReportQuick runs the report command's quick mode end to end: every
// section, the Markdown and the chart. It asserts on shape, never on a
// time.
func TestReportQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every section for about a minute; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress strings.Builder
	r, err := Run(ctx, Config{Quick: true, Progress: &progress})
	if err != nil {
		t.Fatalf("Run(quick) = %v; progress:\n%s", err, progress.String())
	}
	if len(r.Missing) > 0 {
		t.Errorf("Run(quick) missing sections: %q", r.Missing)
	}
	switch l := r.LambdaInit; {
	case l == nil:
		// failed: already reported through Missing
	case l.Skipped != "" && strings.EqualFold(os.Getenv("CI"), "true"):
		t.Errorf("required under CI=true: (d) Lambda INIT: %s", l.Skipped)
	case l.Skipped != "":
		t.Logf("note: (d) Lambda INIT skipped: %s", l.Skipped)
	case len(l.Baseline) == 0 || len(l.InProcess) == 0 || len(l.Sidecar) == 0:
		t.Errorf("(d) Lambda INIT: empty samples %+v", l)
	}
	md := r.Markdown()
	for _, want := range []string{"## Summary", "## (a)", "## (b)", "## (c)", "## (d)", "### (d) Lambda INIT under aws-lambda-rie", "## (e)", "## (f)", "## (g)", r.Machine.Go} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q", want)
		}
	}
	if r.Hit.Rows[0].NsOp.Median() >= r.Hit.Rows[1].NsOp.Median() {
		t.Logf("note: in-process hit not faster than the sidecar's in this run (noisy machine?)")
	}
	for _, c := range r.Cold {
		if got := c.InProcess.Calls.Max(); got != 1 {
			t.Errorf("cold key with %d in-process readers: %v upstream calls; want 1", c.Readers, got)
		}
	}
	chart := filepath.Join(t.TempDir(), "chart.png")
	if err := WriteChart(r, chart); err != nil {
		t.Fatalf("WriteChart = %v", err)
	}
	if fi, err := os.Stat(chart); err != nil || fi.Size() < 1000 {
		t.Errorf("chart: %v, %v", fi, err)
	}
}
