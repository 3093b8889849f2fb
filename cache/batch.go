package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/aws/smithy-go"

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

// ItemError is one failed item of a batch read.
type ItemError struct {
	Index int    // the item's position in the request
	Name  string // the parameter name or secret id as requested
	Err   error  // why it failed: a *RequestError or an upstream error
}

func (e ItemError) Error() string { return fmt.Sprintf("%q: %v", e.Name, e.Err) }

// Unwrap returns the item's error.
func (e ItemError) Unwrap() error { return e.Err }

// BatchError reports the items of a batch read that failed; the others
// succeeded. errors.Is and errors.As see every item's error.
type BatchError struct {
	Items []ItemError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of the batch failed", len(e.Items))
	for i, it := range e.Items {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Items)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(it.Error())
	}
	return b.String()
}

// Unwrap returns every item's error.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Items))
	for i, it := range e.Items {
		errs[i] = it
	}
	return errs
}

func batchErr(items []ItemError) error {
	if len(items) == 0 {
		return nil
	}
	return &BatchError{Items: items}
}

// Parameters reads several parameters. Cached ones come from memory; the
// rest are fetched with SSM GetParameters, ten names per call (grouped by
// WithDecryption), and stored under the same keys single reads use, so later
// [Cache.Parameter] calls hit. Results are in request order; a failed item
// is the zero Parameter at its index and is listed in the returned
// [*BatchError]. Duplicate requests are fetched once. Without a
// ParametersGetter in the source, items are read one by one.
func (c *Cache) Parameters(ctx context.Context, reqs []ParameterRequest) ([]Parameter, error) {
	out := make([]Parameter, len(reqs))
	var failed []ItemError
	var mu sync.Mutex
	fail := func(i int, err error) {
		mu.Lock()
		failed = append(failed, ItemError{Index: i, Name: reqs[i].Name, Err: err})
		mu.Unlock()
	}
	// Group the misses by WithDecryption (one flag per GetParameters call)
	// and by the name SSM receives.
	groups := map[bool]map[string][]int{}
	for i, r := range reqs {
		if e := c.fresh(r.key()); e != nil && !r.Refresh {
			if e.err != nil {
				fail(i, e.err)
			} else {
				out[i] = e.param
			}
			continue
		}
		if err := r.validate(); err != nil {
			fail(i, err)
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
		sortItems(failed)
		return out, batchErr(failed)
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
	sortItems(failed)
	return out, batchErr(failed)
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

// ParametersByPath returns every parameter under req.Path, in SSM's order,
// read with GetParametersByPath page by page through one shared call per
// path. The listing is cached like a single read (same TTL, refresh-ahead,
// stale-on-error), and each parameter is also stored under the key of a
// single read of its name with the same WithDecryption. The returned slice
// is the caller's own.
func (c *Cache) ParametersByPath(ctx context.Context, req PathRequest) ([]Parameter, error) {
	k := req.key()
	if !req.Refresh {
		if e := c.fresh(k); e != nil {
			if e.err != nil {
				return nil, e.err
			}
			return cloneSlice(e.params), nil
		}
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	e, err := c.load(ctx, k, req.Refresh)
	if err != nil {
		return nil, err
	}
	return cloneSlice(e.params), nil
}

func (c *Cache) fetchPath(ctx context.Context, k key) (*entry, error) {
	if c.src.ParametersByPath == nil {
		return nil, fmt.Errorf("GetParametersByPath %q: %w", k.name, ErrNoSource)
	}
	in := &ssm.GetParametersByPathInput{Path: aws.String(k.name), Recursive: aws.Bool(k.version == 1),
		WithDecryption: aws.Bool(k.decrypt), MaxResults: aws.Int32(maxPathPageSize)}
	params := []Parameter{}
	for range maxPathPages {
		out, err := c.src.ParametersByPath.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, source.Classify("GetParametersByPath", k.name, err)
		}
		for i := range out.Parameters {
			params = append(params, newParameter(&out.Parameters[i]))
		}
		if aws.ToString(out.NextToken) == "" {
			return &entry{key: k, params: params}, nil
		}
		in.NextToken = out.NextToken
	}
	return nil, &source.Error{Op: "GetParametersByPath", Name: k.name, Code: "TooManyPages", Kind: ErrUnavailable,
		Err: fmt.Errorf("more than %d pages", maxPathPages)}
}

// Secrets reads several secrets. Cached ones come from memory; requests
// for the current version (no VersionID or VersionStage) are fetched with
// BatchGetSecretValue, twenty ids per call, the others one by one. Results
// are stored under the keys single reads use and returned in request order;
// failed items are zero and listed in the [*BatchError].
func (c *Cache) Secrets(ctx context.Context, reqs []SecretRequest) ([]Secret, error) {
	out := make([]Secret, len(reqs))
	var failed []ItemError
	var mu sync.Mutex
	fail := func(i int, err error) {
		mu.Lock()
		failed = append(failed, ItemError{Index: i, Name: reqs[i].SecretID, Err: err})
		mu.Unlock()
	}
	single := func(i int) {
		s, err := c.Secret(ctx, reqs[i])
		if err != nil {
			fail(i, err)
		}
		out[i] = s
	}
	byID := map[string][]int{}
	var ids []string
	for i, r := range reqs {
		if e := c.fresh(r.key()); e != nil && !r.Refresh {
			if e.err != nil {
				fail(i, e.err)
			} else {
				out[i] = e.secret
			}
			continue
		}
		if err := r.validate(); err != nil {
			fail(i, err)
			continue
		}
		if c.src.SecretBatch == nil || r.VersionID != "" || r.VersionStage != "" {
			single(i)
			continue
		}
		if byID[r.SecretID] == nil {
			ids = append(ids, r.SecretID)
		}
		byID[r.SecretID] = append(byID[r.SecretID], i)
	}
	nChunks := (len(ids) + maxBatchSecrets - 1) / maxBatchSecrets
	var retry []int
	err := c.runChunks(ctx, nChunks, func(ctx context.Context, n int) {
		chunk := ids[n*maxBatchSecrets : min((n+1)*maxBatchSecrets, len(ids))]
		var errs map[string]error
		got, err := retryTransient(ctx, func() (map[string]secretResult, error) {
			g, e, err := c.batchSecrets(ctx, chunk)
			errs = e
			return g, err
		})
		now := time.Now()
		for _, id := range chunk {
			for _, i := range byID[id] {
				switch s, ok := got[id]; {
				case err != nil:
					fail(i, err)
				case ok:
					out[i] = s.s
					e := &entry{key: reqs[i].key(), secret: s.s, gen: s.gen}
					c.stamp(e, now)
					c.put(e, nil)
				case errs[id] != nil:
					fail(i, errs[id])
					if errors.Is(errs[id], ErrNotFound) {
						c.rememberNotFound(reqs[i].key(), errs[id], s.gen, now)
					}
				default: // a partial ARN, say: the answer names it otherwise
					mu.Lock()
					retry = append(retry, i)
					mu.Unlock()
				}
			}
		}
	})
	if err != nil {
		for _, id := range ids {
			for _, i := range byID[id] {
				fail(i, err)
			}
		}
	}
	for _, i := range retry {
		single(i)
	}
	sortItems(failed)
	return out, batchErr(failed)
}

type secretResult struct {
	s   Secret
	gen uint64
}

func (c *Cache) batchSecrets(ctx context.Context, ids []string) (map[string]secretResult, map[string]error, error) {
	gen := c.gen.Add(1)
	c.stats.loads.Add(1)
	in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}
	got := map[string]secretResult{}
	errs := map[string]error{}
	for range maxPathPages {
		out, err := c.src.SecretBatch.BatchGetSecretValue(ctx, in)
		if err != nil {
			c.stats.loadErrors.Add(1)
			return nil, nil, source.Classify("BatchGetSecretValue", strings.Join(ids, ","), err)
		}
		for _, v := range out.SecretValues {
			s := newSecret(&secretsmanager.GetSecretValueOutput{ARN: v.ARN, CreatedDate: v.CreatedDate, Name: v.Name,
				SecretBinary: v.SecretBinary, SecretString: v.SecretString, VersionId: v.VersionId, VersionStages: v.VersionStages})
			for _, id := range []string{aws.ToString(v.Name), aws.ToString(v.ARN)} {
				if id != "" {
					got[id] = secretResult{s: s, gen: gen}
				}
			}
		}
		for _, e := range out.Errors {
			errs[aws.ToString(e.SecretId)] = batchItemError(e)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return got, errs, nil
}

func batchItemError(e smtypes.APIErrorType) error {
	code, msg := aws.ToString(e.ErrorCode), aws.ToString(e.Message)
	kind := ErrInvalid
	var sdkErr error = &smithy.GenericAPIError{Code: code, Message: msg}
	switch code {
	case "ResourceNotFoundException":
		kind, sdkErr = ErrNotFound, &smtypes.ResourceNotFoundException{Message: e.Message}
	case "AccessDeniedException", "DecryptionFailure":
		kind = ErrAccessDenied
	case "InternalServiceError":
		kind = ErrUnavailable
	}
	return &source.Error{Op: "BatchGetSecretValue", Name: aws.ToString(e.SecretId), Code: code, Message: msg, Kind: kind, Err: sdkErr}
}

// Batch calls that fail with a transient error are tried again, with full
// jitter, until they succeed or their context ends: a fleet of environments
// cold-starting together then spreads its calls over the account's quota
// instead of failing after the SDK's three attempts.
const (
	retryBase = 50 * time.Millisecond
	retryCap  = time.Second
)

// retryTransient calls fn until it returns something other than a
// transient error or ctx ends, pausing a random time between zero and
// min(retryCap, retryBase·2ⁿ) before the n-th retry. It returns fn's last
// result.
func retryTransient[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	for n := 0; ; n++ {
		v, err := fn()
		if err == nil || !source.IsTransient(err) {
			return v, err
		}
		pause := min(retryCap, retryBase<<min(n, 10))
		t := time.NewTimer(rand.N(pause) + 1)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}

// runChunks runs fn for chunks 0..n-1, a few at a time, on a context that
// ends with the caller's, with Close, or after the load timeout. It returns
// ErrClosed, running nothing, after Close.
func (c *Cache) runChunks(ctx context.Context, n int, fn func(ctx context.Context, i int)) error {
	if n == 0 {
		return nil
	}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	c.wg.Add(1)
	c.mu.RUnlock()
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.loadTimeout)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, i)
		})
	}
	wg.Wait()
	return nil
}

func sortItems(items []ItemError) {
	slices.SortFunc(items, func(a, b ItemError) int { return cmp.Compare(a.Index, b.Index) })
}
