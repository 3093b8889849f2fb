package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Fleet parameters: SSM's default throughput quota, Lambda's INIT cap, and
// how many parameters each environment needs.
const (
	fleetTPS   = 40
	fleetBurst = 40 // AWS does not publish the bucket size; assumed one second's worth
	fleetK     = 10
	initCap    = 10 * time.Second
)

// FleetRun is one model at one fleet size, over repeated runs.
type FleetRun struct {
	Model     string // "extension" or "parsec"
	Envs      int
	Ready     Sample // environments with every value before the INIT cap
	Failed    Sample // environments that got an error (throttling surfaced after retries)
	TimedOut  Sample // environments still loading at the INIT cap
	AllReady  Sample // simulated ns until the last environment finished (ready or failed), capped
	P50Ready  Sample // simulated ns, median ready time of the ready environments
	Calls     Sample // calls the upstream accepted
	Throttled Sample // calls answered ThrottlingException
}

// FleetResult is section (f).
type FleetResult struct {
	Scale float64 // simulated seconds per real second
	Reps  int
	Runs  []FleetRun
}

// scaledBackoff divides the SDK's standard backoff by scale.
type scaledBackoff struct {
	inner retry.BackoffDelayer
	scale float64
}

func (b scaledBackoff) BackoffDelay(attempt int, err error) (time.Duration, error) {
	d, err := b.inner.BackoffDelay(attempt, err)
	return time.Duration(float64(d) / b.scale), err
}

// Fleet measures section (f): M environments cold-starting together, each
// needing fleetK parameters, against an upstream throttled at fleetTPS.
// The extension's model makes fleetK GetParameter calls per environment;
// parsec's makes one GetParameters call per ten names (cache.Prefetch).
// Both use the SDK's standard retryer (3 attempts, jittered exponential
// backoff). Time is scaled: rates are multiplied and durations divided by
// Scale, and reported back in simulated time.
func (e *Env) Fleet(ctx context.Context) (*FleetResult, error) {
	scale := pick(e, 4.0, 2.0)
	sizes := pick(e, []int{50, 200}, []int{50, 200, 500})
	reps := pick(e, 2, 3)
	lat := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	up := sourcetest.NewServer(sourcetest.WithLatency(lat(upstreamMin), lat(upstreamMax)))
	defer up.Close()
	var names []string
	for i := range fleetK {
		n := fmt.Sprintf("/fleet/app/p%02d", i)
		names = append(names, n)
		if _, err := up.PutParameter(sourcetest.Parameter{Name: n, Value: "v" + n}); err != nil {
			return nil, err
		}
	}
	res := &FleetResult{Scale: scale, Reps: reps}
	for _, m := range sizes {
		for _, model := range []string{"extension", "parsec"} {
			run := FleetRun{Model: model, Envs: m}
			for rep := range reps {
				e.logf("(f) fleet: %d environments, %s model, run %d/%d", m, model, rep+1, reps)
				if err := fleetOnce(ctx, up.URL, names, m, model, scale, &run); err != nil {
					return nil, err
				}
			}
			res.Runs = append(res.Runs, run)
		}
	}
	return res, nil
}

func fleetOnce(ctx context.Context, upstream string, names []string, m int, model string, scale float64, run *FleetRun) error {
	th, err := newThrottle(upstream, fleetTPS*scale, fleetBurst)
	if err != nil {
		return err
	}
	ts := httptest.NewServer(th)
	defer ts.Close()
	tr := &http.Transport{Proxy: nil, MaxIdleConns: 2 * m, MaxIdleConnsPerHost: 2 * m}
	defer tr.CloseIdleConnections()
	deadline := time.Duration(float64(initCap) / scale)

	type outcome struct {
		ok, timedOut bool
		at           time.Duration
	}
	out := make([]outcome, m)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var t0 time.Time
	for i := range m {
		wg.Go(func() {
			cfg := aws.Config{
				Region:      "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
				HTTPClient:  &http.Client{Transport: tr},
				Retryer: func() aws.Retryer {
					return retry.NewStandard(func(o *retry.StandardOptions) {
						o.Backoff = scaledBackoff{retry.NewExponentialJitterBackoff(retry.DefaultMaxBackoff), scale}
					})
				},
				BaseEndpoint: aws.String(ts.URL),
			}
			<-start
			ictx, cancel := context.WithTimeout(ctx, deadline)
			defer cancel()
			var err error
			if model == "extension" {
				client := ssm.NewFromConfig(cfg)
				for _, n := range names {
					if _, err = client.GetParameter(ictx, &ssm.GetParameterInput{Name: aws.String(n), WithDecryption: aws.Bool(true)}); err != nil {
						break
					}
				}
			} else {
				var c *cache.Cache
				c, err = cache.New(source.New(cfg), cache.WithMaxEntries(2*len(names)))
				if err == nil {
					p := cache.Prefetch{Required: true}
					for _, n := range names {
						p.Parameters = append(p.Parameters, cache.ParameterRequest{Name: n, WithDecryption: true})
					}
					err = c.Prefetch(ictx, p)
					_ = c.Close()
				}
			}
			o := outcome{ok: err == nil, at: time.Since(t0)}
			if err != nil && (errors.Is(err, context.DeadlineExceeded) || ictx.Err() != nil) {
				o.timedOut = true
			}
			out[i] = o
		})
	}
	t0 = time.Now()
	close(start)
	wg.Wait()

	var ready, failed, timedOut float64
	var readyAt []time.Duration
	var last time.Duration
	for _, o := range out {
		switch {
		case o.ok:
			ready++
			readyAt = append(readyAt, o.at)
		case o.timedOut:
			timedOut++
		default:
			failed++
		}
		last = max(last, o.at)
	}
	sim := func(d time.Duration) float64 { return float64(d) * scale }
	run.Ready = append(run.Ready, ready)
	run.Failed = append(run.Failed, failed)
	run.TimedOut = append(run.TimedOut, timedOut)
	run.AllReady = append(run.AllReady, sim(min(last, deadline)))
	if len(readyAt) > 0 {
		slices.Sort(readyAt)
		run.P50Ready = append(run.P50Ready, sim(readyAt[len(readyAt)/2]))
	}
	run.Calls = append(run.Calls, float64(th.accepted.Load()))
	run.Throttled = append(run.Throttled, float64(th.throttled.Load()))
	return nil
}

func (r *Results) mdFleet(b *strings.Builder) {
	f := r.Fleet
	if f == nil {
		return
	}
	fmt.Fprintf(b, "## (f) Fleet: environments cold-starting together under SSM's %d TPS quota\n\n", fleetTPS)
	fmt.Fprintf(b, "M environments start at the same instant; each needs %d parameters before its INIT can finish (Lambda caps INIT at %v). "+
		"The upstream is the fake SSM (%v–%v latency) behind a token bucket of %d calls/s (burst %d, assumed; one token per call of any `GetParameter*` operation) that answers `ThrottlingException` beyond it. "+
		"**Extension model:** %d `GetParameter` calls per environment, one after the other, as the extension makes one upstream call per parameter it does not hold. "+
		"**parsec model:** `(*cache.Cache).Prefetch` with `Required: true`: one `GetParameters` call per ten names; a batch answered with throttling is tried again with full jitter (pauses of 0 to min(1 s, 50 ms·2ⁿ), real time, not scaled: if anything, this disadvantages parsec here) until INIT's deadline. "+
		"Both use the AWS SDK's standard retryer (3 attempts, jittered exponential backoff) inside each call; an environment whose read still fails is counted as failed (the error surfaces in INIT). "+
		"Each environment is a goroutine with its own SDK client and cache, in this one process. "+
		"**Time is scaled by %.0f**: rates ×%.0f, latencies, backoffs and the INIT cap ÷%.0f; the times below are converted back to simulated (real Lambda) seconds. "+
		"Median of %d runs (min–max).\n\n",
		fleetK, initCap, upstreamMin, upstreamMax, fleetTPS, fleetBurst, fleetK, f.Scale, f.Scale, f.Scale, f.Reps)
	b.WriteString("| M | model | ready | failed (throttled after retries) | still loading at INIT cap | time until the last finished | median ready time | upstream calls accepted | throttled answers |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, run := range f.Runs {
		fmt.Fprintf(b, "| %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", run.Envs, run.Model,
			numSpread(run.Ready, "%.0f"), numSpread(run.Failed, "%.0f"), numSpread(run.TimedOut, "%.0f"),
			allReady(run), nsSpread(run.P50Ready), numSpread(run.Calls, "%.0f"), numSpread(run.Throttled, "%.0f"))
	}
	budget := int(fleetTPS * initCap.Seconds())
	fmt.Fprintf(b, "\nReading: at %d TPS an INIT window of %v admits about %d calls in all (plus the burst). The extension's model needs M×%d calls, so it exceeds that from M = %d; "+
		"parsec's needs M×%d, from M = %d. Environments starting at the same instant exceed the rate in the first second: the extension's model then fails once the SDK's 3 attempts are spent, while parsec's batches keep retrying with jitter within INIT, which spreads the fleet over the quota (at the cost of more throttled answers). "+
		"Beyond the window's budget no client can get every environment ready: the rest are still loading at the INIT cap; with `Required: false` they would start and load lazily on first read. Spreading cold starts or the higher-throughput SSM setting is the remedy there.\n\n",
		fleetTPS, initCap, budget, fleetK, budget/fleetK, (fleetK+9)/10, budget/((fleetK+9)/10))
}

// allReady formats the time until the last environment finished, marking
// runs cut by the INIT cap.
func allReady(run FleetRun) string {
	s := nsSpread(run.AllReady)
	if run.TimedOut.Max() > 0 {
		s += ", cut at the INIT cap"
	}
	return s
}
