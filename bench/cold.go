package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/parsec-go/parsec/cache"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// ColdSide is what one side saw when N readers asked for a cold key.
type ColdSide struct {
	Calls  Sample // upstream GetParameter calls per run
	P50    Sample // per run, nanoseconds
	P99    Sample
	Errors Sample // failed reads per run (for the sidecar: 429 beyond its limit, and others)
	Busy   int    // 429 answers over all runs
}

// ColdRow is section (c) at one reader count.
type ColdRow struct {
	Readers   int
	InProcess ColdSide
	Sidecar   ColdSide
}

// Cold measures section (c): n concurrent readers of a key nobody has
// read, with upstream latency; how many upstream calls and how long each
// reader waits. Each run reads a new key, so both sides start cold.
func (e *Env) Cold(ctx context.Context) ([]ColdRow, error) {
	c, err := cache.New(e.Fixed.Clients())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sc, err := StartSidecar(ctx, e.Parsecd, e.Fixed.URL)
	if err != nil {
		return nil, err
	}
	defer sc.Stop()
	reps := pick(e, 2, 5)
	var rows []ColdRow
	seq := 0
	for _, n := range []int{1, 10, 100, 1000} {
		e.logf("(c) cold misses: %d concurrent readers", n)
		client := httpClient(true, n)
		row := ColdRow{Readers: n}
		for range reps {
			for _, side := range []struct {
				s    *ColdSide
				read reader
			}{{&row.InProcess, inProcess(c)}, {&row.Sidecar, viaSidecar(sc, client)}} {
				seq++
				name := fmt.Sprintf("/bench/cold/%d/%d", n, seq)
				if _, err := e.Fixed.PutParameter(sourcetest.Parameter{Name: name, Value: "cold-value"}); err != nil {
					return nil, err
				}
				waits, errs, busy := stampede(ctx, n, name, side.read)
				side.s.Calls = append(side.s.Calls, float64(e.Fixed.CallsFor("GetParameter", name)))
				side.s.P50 = append(side.s.P50, durations(waits).Quantile(0.5))
				side.s.P99 = append(side.s.P99, durations(waits).Quantile(0.99))
				side.s.Errors = append(side.s.Errors, float64(errs))
				side.s.Busy += busy
			}
		}
		client.CloseIdleConnections()
		rows = append(rows, row)
	}
	return rows, nil
}

// stampede starts n readers of name at once and returns the waits of those
// that got a value, the number that failed, and how many of the failures
// were HTTP 429.
func stampede(ctx context.Context, n int, name string, read reader) (waits []time.Duration, errs, busy int) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		ready sync.WaitGroup
		start = make(chan struct{})
		t0    time.Time
	)
	ready.Add(n)
	for range n {
		wg.Go(func() {
			ready.Done()
			<-start
			err := read(ctx, name)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			var se statusError
			switch {
			case err == nil:
				waits = append(waits, d)
			case errors.As(err, &se) && int(se) == http.StatusTooManyRequests:
				errs++
				busy++
			default:
				errs++
			}
		})
	}
	ready.Wait()
	t0 = time.Now()
	close(start)
	wg.Wait()
	return waits, errs, busy
}
