package cache_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// TestNoGoingBackUnderStress: many readers, by plain, forced, batch and
// path reads, while the values change upstream with increasing versions and
// every call is delayed before SSM reads it and again before its answer
// arrives (so answers arrive out of order). No reader sees a version older
// than one it saw before (per reader), nor older than one any read that
// had returned before it started (across readers). Before the answers were
// ordered by arrival this found 21 regressions in a run like it.
func TestNoGoingBackUnderStress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := sourcetest.NewInMemory(sourcetest.WithLatency(time.Millisecond, 40*time.Millisecond))
		defer srv.Close()
		names := []string{"/s/a", "/s/b", "/s/c"}
		for _, n := range names {
			if _, err := srv.PutParameter(sourcetest.Parameter{Name: n, Value: "v"}); err != nil {
				t.Fatal(err)
			}
		}
		c, err := cache.New(slowAnswers(srv.InMemoryClients()), cache.WithTTL(150*time.Millisecond),
			cache.WithRefreshAhead(0.5), cache.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()

		var floor [3]atomic.Int64 // per name: the highest version any finished read returned
		idx := map[string]int{names[0]: 0, names[1]: 1, names[2]: 2}
		var regressions, reads atomic.Int64
		end := time.Now().Add(5 * time.Second)
		var wg sync.WaitGroup
		wg.Go(func() { // the writer
			for time.Now().Before(end) {
				if _, err := srv.PutParameter(sourcetest.Parameter{Name: names[rand.N(3)], Value: "v"}); err != nil {
					t.Error(err)
				}
				wait(time.Duration(5+rand.N(30)) * time.Millisecond)
			}
		})
		for r := range 24 {
			wg.Go(func() {
				var last [3]int64
				ctx := context.Background()
				for time.Now().Before(end) {
					var before [3]int64
					for i := range floor {
						before[i] = floor[i].Load()
					}
					var got []cache.Parameter
					op := rand.N(10)
					switch {
					case op < 5:
						p, err := c.Parameter(ctx, cache.ParameterRequest{Name: names[rand.N(3)]})
						if err == nil {
							got = []cache.Parameter{p}
						}
					case op < 7:
						p, err := c.Parameter(ctx, cache.ParameterRequest{Name: names[rand.N(3)], Refresh: true})
						if err == nil {
							got = []cache.Parameter{p}
						}
					case op < 9:
						ps, err := c.Parameters(ctx, []cache.ParameterRequest{{Name: names[0]}, {Name: names[1]}, {Name: names[2]}})
						if err == nil {
							got = ps
						}
					default:
						ps, err := c.ParametersByPath(ctx, cache.PathRequest{Path: "/s", Refresh: rand.N(2) == 0})
						if err == nil {
							got = ps
						}
					}
					for _, p := range got {
						i := idx[p.Name]
						reads.Add(1)
						if p.Version < last[i] || p.Version < before[i] {
							regressions.Add(1)
							if regressions.Load() <= 40 {
								t.Logf("reader %d op %d: %s version %d after version %d (own) / %d (any finished read)", r, op, p.Name, p.Version, last[i], before[i])
							}
						}
						last[i] = max(last[i], p.Version)
						for {
							f := floor[i].Load()
							if p.Version <= f || floor[i].CompareAndSwap(f, p.Version) {
								break
							}
						}
					}
					wait(time.Duration(rand.N(10)) * time.Millisecond)
				}
			})
		}
		wg.Wait()
		t.Logf("%d values read; %d regressions", reads.Load(), regressions.Load())
		if n := regressions.Load(); n != 0 {
			t.Errorf("regressions = %d; want 0 (no reader sees an older version after a newer one)", n)
		}
	})
}

// slowAnswers delays each answer of src's SSM reads by 0–40 ms after SSM
// produced it, so that answers arrive in another order than they were read.
func slowAnswers(src source.Clients) source.Clients {
	delay := func() { wait(time.Duration(rand.N(40)) * time.Millisecond) }
	p, ps, pp := src.Parameter, src.Parameters, src.ParametersByPath
	src.Parameter = source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, o ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		out, err := p.GetParameter(ctx, in, o...)
		delay()
		return out, err
	})
	src.Parameters = source.ParametersGetterFunc(func(ctx context.Context, in *ssm.GetParametersInput, o ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
		out, err := ps.GetParameters(ctx, in, o...)
		delay()
		return out, err
	})
	src.ParametersByPath = source.ParametersByPathGetterFunc(func(ctx context.Context, in *ssm.GetParametersByPathInput, o ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
		out, err := pp.GetParametersByPath(ctx, in, o...)
		delay()
		return out, err
	})
	return src
}

var _ = strconv.Itoa
