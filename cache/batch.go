package cache

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/source"
)

const (
	maxGetParameters  = 10 // SSM GetParameters takes at most 10 names
	maxBatchSecrets   = 20 // Secrets Manager BatchGetSecretValue takes at most 20 ids
	maxPathPageSize   = 10 // SSM GetParametersByPath returns at most 10 per page
	batchConcurrency  = 4  // chunks in flight at once per batch read
	maxPathPages      = 1000
	errNotInAnswerMsg = "the batch answer did not name it"
)

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
		if !triage(c, i, r, &failed, func(e *entry) { out[i] = e.param }) {
			continue
		}
		g := groups[r.WithDecryption]
		if g == nil {
			g = map[string][]int{}
			groups[r.WithDecryption] = g
		}
		u := r.upstreamName()
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
		for start := 0; start < len(names); start += maxGetParameters {
			chunks = append(chunks, paramChunk{decrypt: decrypt, names: names[start:min(start+maxGetParameters, len(names))], byName: g})
		}
	}
	err := c.runChunks(ctx, len(chunks), func(ctx context.Context, n int) {
		ch := chunks[n]
		res, err := retryTransient(ctx, func() (map[string]paramResult, error) {
			return c.getParameters(ctx, ch.names, ch.decrypt)
		})
		for _, u := range ch.names {
			for _, i := range ch.byName[u] {
				switch {
				case err != nil:
					fail(i, err)
				case res[u].err != nil:
					fail(i, res[u].err)
					if errors.Is(res[u].err, ErrNotFound) {
						c.rememberNotFound(reqs[i].key(), res[u].err, res[u].gen, res[u].at)
					}
				default:
					out[i] = res[u].p
					c.storeParameter(reqs[i], res[u].p, res[u].gen, res[u].at)
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

type paramResult struct {
	p   Parameter
	err error
	gen uint64
	at  time.Time
}

// getParameters makes one GetParameters call for at most ten names and
// matches the answer to them: by name with selector, by ARN, or by name.
func (c *Cache) getParameters(ctx context.Context, names []string, decrypt bool) (map[string]paramResult, error) {
	gen := c.gen.Add(1)
	c.stats.loads.Add(1)
	out, err := c.src.Parameters.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(decrypt)})
	now := time.Now()
	if err != nil {
		c.stats.loadErrors.Add(1)
		return nil, source.Classify("GetParameters", strings.Join(names, ","), err)
	}
	found := matchParameters(names, out.Parameters)
	invalid := map[string]bool{}
	for _, n := range out.InvalidParameters {
		invalid[n] = true
	}
	res := make(map[string]paramResult, len(names))
	for _, u := range names {
		switch p, ok := found[u]; {
		case ok:
			res[u] = paramResult{p: newParameter(p), gen: gen, at: now}
		case invalid[u]:
			res[u] = paramResult{gen: gen, at: now, err: &source.Error{Op: "GetParameters", Name: u, Code: "ParameterNotFound",
				Kind: ErrNotFound, Err: &ssmtypes.ParameterNotFound{Message: aws.String("listed in InvalidParameters")}}}
		default:
			res[u] = paramResult{err: &source.Error{Op: "GetParameters", Name: u, Code: "MissingFromAnswer",
				Kind: ErrUnavailable, Err: errors.New(errNotInAnswerMsg)}}
		}
	}
	return res, nil
}

// matchParameters pairs each requested name (with its selector) with a
// parameter of a GetParameters answer. AWS names the selector in the answer,
// so name+selector (or ARN+selector) matches exactly. An answer without
// Selector (moto's) is matched by its bare name or ARN, and by the version
// number when the selector is one.
func matchParameters(names []string, params []ssmtypes.Parameter) map[string]*ssmtypes.Parameter {
	exact := map[string]*ssmtypes.Parameter{}
	for i := range params {
		p := &params[i]
		sel := aws.ToString(p.Selector)
		for _, k := range []string{aws.ToString(p.Name) + sel, aws.ToString(p.ARN) + sel} {
			// Without selectors (moto) several versions share a key; the
			// bare name means the latest.
			if q, dup := exact[k]; k != sel && (!dup || q.Version < p.Version) {
				exact[k] = p
			}
		}
	}
	found := map[string]*ssmtypes.Parameter{}
	claimed := map[*ssmtypes.Parameter]bool{}
	for _, u := range names {
		if p := exact[u]; p != nil {
			found[u], claimed[p] = p, true
		}
	}
	for _, u := range names {
		if found[u] != nil {
			continue
		}
		base, sel := splitSelector(u)
		for i := range params {
			p := &params[i]
			if claimed[p] || (aws.ToString(p.Name) != base && aws.ToString(p.ARN) != base) {
				continue
			}
			if v, err := strconv.ParseInt(sel, 10, 64); err == nil && p.Version != v {
				continue
			}
			found[u], claimed[p] = p, true
			break
		}
	}
	return found
}

// splitSelector splits "name:selector" (or an ARN's) into its parts.
func splitSelector(name string) (base, sel string) {
	from := 0
	if strings.HasPrefix(name, "arn:") {
		i := strings.Index(name, ":parameter/")
		if i < 0 {
			return name, ""
		}
		from = i + len(":parameter/")
	}
	if j := strings.IndexByte(name[from:], ':'); j >= 0 {
		return name[:from+j], name[from+j+1:]
	}
	return name, ""
}

// storeParameter stores a parameter fetched by a batch under the key a
// single read of req uses.
func (c *Cache) storeParameter(req ParameterRequest, p Parameter, gen uint64, now time.Time) {
	req.Refresh = false
	e := &entry{key: req.key(), param: p, gen: gen}
	c.stamp(e, now)
	c.put(e, nil)
}
