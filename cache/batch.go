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
	b := &paramBatch{c: c, reqs: reqs, out: make([]Parameter, len(reqs))}
	groups := b.misses()
	if c.src.Parameters == nil {
		for _, g := range groups {
			for _, idx := range g {
				for _, i := range idx {
					b.single(ctx, i)
				}
			}
		}
		return b.out, b.failed.err()
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
	if err := c.runChunks(ctx, len(chunks), func(ctx context.Context, n int) { b.run(ctx, chunks[n]) }); err != nil {
		for _, ch := range chunks {
			ch.each(func(_, i int) { b.fail(i, err) })
		}
	}
	return b.out, b.failed.err()
}

// paramBatch is one Parameters call in progress.
type paramBatch struct {
	c      *Cache
	reqs   []ParameterRequest
	out    []Parameter // each index written by one goroutine only
	failed failures
}

func (b *paramBatch) fail(i int, err error) { b.failed.add(i, b.reqs[i].Name, err) }

// misses answers the fresh items and returns the others grouped by
// WithDecryption (one flag per GetParameters call) and by the name SSM
// receives, so duplicates are fetched once.
func (b *paramBatch) misses() map[bool]map[string][]int {
	groups := map[bool]map[string][]int{}
	for i, r := range b.reqs {
		if !triage(b.c, i, r, &b.failed, func(e *entry) { b.out[i] = e.val.(Parameter) }) {
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
	return groups
}

// single reads item i on its own.
func (b *paramBatch) single(ctx context.Context, i int) {
	p, err := b.c.Parameter(ctx, b.reqs[i])
	if err != nil {
		b.fail(i, err)
	}
	b.out[i] = p
}

// run makes one GetParameters call (retried while transient) and stores
// and hands out its answers.
func (b *paramBatch) run(ctx context.Context, ch paramChunk) {
	c := b.c
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
	ch.each(func(j, i int) {
		switch {
		case err != nil:
			b.fail(i, err)
		case res[j].Err != nil:
			b.fail(i, res[j].Err)
			if errors.Is(res[j].Err, ErrNotFound) {
				c.rememberNotFound(b.reqs[i].key(), res[j].Err, gen, now)
			}
		default:
			p := newParameter(res[j].Value)
			if e := c.storeValue(b.reqs[i].key(), p, gen, now); e != nil && e.err == nil {
				p = e.val.(Parameter) // a newer version arrived first: never hand out an older one
			}
			b.out[i] = p
		}
	})
}

// paramChunk is the names of one GetParameters call and the items each
// answers.
type paramChunk struct {
	decrypt bool
	names   []string
	byName  map[string][]int
}

// each calls fn with the index j of each name in the chunk and each item i
// it answers.
func (ch paramChunk) each(fn func(j, i int)) {
	for j, u := range ch.names {
		for _, i := range ch.byName[u] {
			fn(j, i)
		}
	}
}
