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
// section, the Markdown and the chart, written where the command writes
// them by default, never over the tracked RESULTS.md and chart.png. It
// asserts on shape, never on a time.
//
// Building parsecd, the test functions and aws-lambda-rie (minutes on a
// fresh, loaded machine) has no time budget. Measuring has one only so that
// a hung section fails with the progress log rather than with go test's
// timeout panic: whatever -timeout leaves, less a minute to report.
func TestReportQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every section for a minute or more; skipped under -short")
	}
	var progress strings.Builder
	e, err := Setup(t.Context(), Config{Quick: true, Progress: &progress})
	if err != nil {
		t.Fatalf("Setup(quick) = %v; progress:\n%s", err, progress.String())
	}
	defer e.Close()
	if err := e.PrepareLambdaInit(t.Context()); err != nil {
		t.Fatalf("PrepareLambdaInit = %v; progress:\n%s", err, progress.String())
	}
	ctx := t.Context()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-time.Minute))
		defer cancel()
	}
	published := publishedFiles(t)
	r, err := e.Measure(ctx)
	if err != nil {
		t.Fatalf("Measure(quick) = %v; progress:\n%s", err, progress.String())
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
	written, err := r.Write(t.TempDir())
	if err != nil {
		t.Fatalf("Write = %v", err)
	}
	if fi, err := os.Stat(written[1]); err != nil || fi.Size() < 1000 {
		t.Errorf("chart: %v, %v", fi, err)
	}
	if b, err := os.ReadFile(written[0]); err != nil || string(b) != md {
		t.Errorf("report.md: %v; want the Markdown (%d bytes), got %d bytes", err, len(md), len(b))
	}
	if now := publishedFiles(t); now != published {
		t.Errorf("the tracked %s and %s changed during a run that did not publish", PublishedReport, PublishedChart)
	}
}

// publishedFiles returns the tracked report and chart, concatenated.
func publishedFiles(t *testing.T) string {
	t.Helper()
	var all []byte
	for _, f := range []string{PublishedReport, PublishedChart} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return string(all)
}

// TestPublish: Publish copies the report and the chart, byte for byte, to
// the tracked names in the directory it is given.
func TestPublish(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	files := map[string]string{"report.md": "# report\n", "chart.png": "\x89PNG fake"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Publish(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(root, PublishedReport), filepath.Join(root, PublishedChart)}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Publish = %q; want %q", got, want)
	}
	for from, to := range map[string]string{"report.md": PublishedReport, "chart.png": PublishedChart} {
		if b, err := os.ReadFile(filepath.Join(root, to)); err != nil || string(b) != files[from] {
			t.Errorf("%s = %q, %v; want %q", to, b, err, files[from])
		}
	}
	if _, err := Publish(t.TempDir(), root); err == nil {
		t.Error("Publish from an empty directory = nil error; want the missing report's")
	}
}
