package cache

import (
	"context"
	"errors"
	"time"

	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/source"
)

// batchConcurrency is the number of a batch read's calls in flight at once.
const batchConcurrency = 4

// Parameters reads several parameters. Cached ones come from memory; the
// rest are fetched with SSM GetParameters, ten names per call (grouped by
// WithDecryption), and stored under the same keys single reads use, so later
// [Cache.Parameter] calls hit. Results are in request order; a failed item
// is the zero Parameter at its index and is listed in the returned
// [*BatchError]. Duplicate requests are fetched once. Without a
// ParametersGetter in the source, items are read one by one.
//
// A chunk that fails with throttling or unavailability is tried again with
// full jitter until it succeeds or ctx ends (bounded by the load timeout).
// Batch calls do not join the shared call of a single read of the same key
// in flight at that moment: the two may both reach SSM, and the later
// answer wins. Not-found names are remembered like single reads' (negative
// TTL).
func (c *Cache) Parameters(ctx context.Context, reqs []ParameterRequest) ([]Parameter, error) {
	out := make([]Parameter, len(reqs))
	var failed failures
	fail := func(i int, err error) { failed.add(i, reqs[i].Name, err) }
	// Group the misses by WithDecryption (one flag per GetParameters call)
	// and by the name SSM receives.
	groups := map[bool]map[string][]int{}
	for i, r := range reqs {
		if !triage(c, i, r, &failed, func(e *entry) { out[i] = e.val.(Parameter) }) {
			continue
		}
		g := groups[r.WithDecryption]
		if g == nil {
			g = map[string][]int{}
			groups[r.WithDecryption] = g
		}
		u := upstreamName(r.Name, r.Version, r.Label)
		g[u] = append(g[u], i)
	}
	if c.src.Parameters == nil {
		for _, g := range groups {
			for _, idx := range g {
				for _, i := range idx {
					p, err := c.Parameter(ctx, reqs[i])
					if err != nil {
						fail(i, err)
					}
					out[i] = p
				}
			}
		}
		return out, failed.err()
	}
	var chunks []paramChunk
	for decrypt, g := range groups {
		names := make([]string, 0, len(g))
		for u := range g {
			names = append(names, u)
		}
		for start := 0; start < len(names); start += source.MaxGetParameters {
			chunks = append(chunks, paramChunk{decrypt: decrypt, names: names[start:min(start+source.MaxGetParameters, len(names))], byName: g})
		}
	}
	err := c.runChunks(ctx, len(chunks), func(ctx context.Context, n int) {
		ch := chunks[n]
		var gen uint64
		res, err := retryTransient(ctx, func() ([]source.Result[*ssmtypes.Parameter], error) {
			c.stats.loads.Add(1)
			gen = c.loads.Add(1)
			res, err := c.src.ReadParameters(ctx, ch.names, ch.decrypt)
			if err != nil {
				c.stats.loadErrors.Add(1)
			}
			return res, err
		})
		now := time.Now()
		for j, u := range ch.names {
			for _, i := range ch.byName[u] {
				switch {
				case err != nil:
					fail(i, err)
				case res[j].Err != nil:
					fail(i, res[j].Err)
					if errors.Is(res[j].Err, ErrNotFound) {
						c.rememberNotFound(reqs[i].key(), res[j].Err, gen, now)
					}
				default:
					p := newParameter(res[j].Value)
					out[i] = p
					c.storeValue(reqs[i].key(), p, gen, now)
				}
			}
		}
	})
	if err != nil {
		for _, ch := range chunks {
			for _, u := range ch.names {
				for _, i := range ch.byName[u] {
					fail(i, err)
				}
			}
		}
	}
	return out, failed.err()
}

type paramChunk struct {
	decrypt bool
	names   []string
	byName  map[string][]int
}
