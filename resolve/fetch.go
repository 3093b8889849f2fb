package resolve

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/awsname"
)

// maxGroups bounds the batch reads run at once: one per service and
// region (source routes at most source.DefaultMaxRegions other regions).
const maxGroups = 8

// ErrNoKey is matched by every [*KeyError].
var ErrNoKey = errors.New("no such JSON key")

// KeyError reports a JSON key a reference selects that the secret does not
// have (Missing), or a secret that is not a JSON object or not a string.
// It names the secret and the key, never the value.
type KeyError struct {
	Secret  string // the secret's name
	Key     string // the JSON key
	Reason  string // "no such key", "the secret is not a JSON object", …
	Missing bool   // the secret is a JSON object without Key
}

func (e *KeyError) Error() string {
	return "secret " + e.Secret + ": JSON key " + strconv.Quote(e.Key) + ": " + e.Reason
}

// Is reports whether target is [ErrNoKey] and the key is missing.
func (e *KeyError) Is(target error) bool { return target == ErrNoKey && e.Missing }

// Error reports a reference that could not be resolved: the variable or
// field it was found in, the reference as written, and why. It matches
// what Err matches (cache.ErrNotFound, [ErrNoKey], …) and holds no value.
type Error struct {
	Var string // the environment variable or struct field
	Ref string // the reference as written
	Err error  // the cause: an upstream error of package cache, a *KeyError, a conversion error
}

func (e *Error) Error() string { return "resolve " + e.Var + " (" + e.Ref + "): " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// resolved is what one reference resolved to.
type resolved struct {
	val     string
	version string // the parameter's version or LastModified, the secret's VersionId
	err     error  // unwrapped: the caller wraps it in an *Error
}

// fetch resolves refs through c in as few upstream calls as the cache
// allows: the distinct parameters in one Cache.Parameters call per region
// (GetParameters, ten names per call), the distinct secrets in one
// Cache.Secrets call per region (BatchGetSecretValue, twenty ids per call;
// secrets of a given version stage or id one by one), every group at once,
// at most maxGroups together. Each read waits within ctx.
func fetch(ctx context.Context, c *cache.Cache, refs []Reference) []resolved {
	out := make([]resolved, len(refs))
	params, secrets := map[string]*batch[cache.ParameterRequest]{}, map[string]*batch[cache.SecretRequest]{}
	var reads []func() // one batch read per group, in order of first appearance
	for i, r := range refs {
		region := regionOf(r)
		switch r.Kind {
		case KindParameter:
			b := params[region]
			if b == nil {
				b = newBatch[cache.ParameterRequest]()
				params[region] = b
				reads = append(reads, func() {
					ps, err := c.Parameters(ctx, b.reqs)
					b.settle(out, len(ps), err, func(i, j int) resolved { return parameterValue(ps[j]) })
				})
			}
			b.add(parameterRequest(r), i)
		case KindSecret:
			b := secrets[region]
			if b == nil {
				b = newBatch[cache.SecretRequest]()
				secrets[region] = b
				reads = append(reads, func() {
					ss, err := c.Secrets(ctx, b.reqs)
					b.settle(out, len(ss), err, func(i, j int) resolved { return secretValue(ss[j], refs[i].JSONKey) })
				})
			}
			b.add(secretRequest(r), i)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxGroups)
	for _, read := range reads {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			read()
		})
	}
	wg.Wait()
	return out
}

// batch is one region's distinct requests of one kind and, for each, the
// refs it answers.
type batch[R comparable] struct {
	reqs []R
	idx  [][]int   // the refs each request answers
	seen map[R]int // request → its index in reqs
}

func newBatch[R comparable]() *batch[R] { return &batch[R]{seen: map[R]int{}} }

// add records that ref i is answered by req.
func (b *batch[R]) add(req R, i int) {
	j, ok := b.seen[req]
	if !ok {
		j = len(b.reqs)
		b.seen[req] = j
		b.reqs = append(b.reqs, req)
		b.idx = append(b.idx, nil)
	}
	b.idx[j] = append(b.idx[j], i)
}

// settle writes the batch read's answers to out: for ref i of request j,
// the item's error, or value(i, j). n is the number of items read.
func (b *batch[R]) settle(out []resolved, n int, err error, value func(i, j int) resolved) {
	errs := itemErrors(err, len(b.reqs))
	for j := range n {
		for _, i := range b.idx[j] {
			if errs[j] != nil {
				out[i].err = errs[j]
				continue
			}
			out[i] = value(i, j)
		}
	}
}

// regionOf is the region a reference is read in: its ARN's, or "" for
// the cache's own (routing in package source reads the same ARN the same
// way: awsname).
func regionOf(r Reference) string {
	var (
		a  awsname.ARN
		ok bool
	)
	if r.Kind == KindParameter {
		a, ok, _ = awsname.ParameterARN(r.Name)
	} else {
		a, ok, _ = awsname.SecretARN(r.Name)
	}
	if !ok {
		return ""
	}
	return a.Region
}

// itemErrors spreads a batch read's error over its n items.
func itemErrors(err error, n int) []error {
	errs := make([]error, n)
	if err == nil {
		return errs
	}
	var be *cache.BatchError
	if !errors.As(err, &be) {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for _, it := range be.Items {
		if it.Index >= 0 && it.Index < n {
			errs[it.Index] = it.Err
		}
	}
	return errs
}

// fetchOne resolves one reference with a single read (a hit when cached).
func fetchOne(ctx context.Context, c *cache.Cache, r Reference, maxAge time.Duration) resolved {
	if r.Kind == KindParameter {
		req := parameterRequest(r)
		req.MaxAge = maxAge
		p, err := c.Parameter(ctx, req)
		if err != nil {
			return resolved{err: err}
		}
		return parameterValue(p)
	}
	req := secretRequest(r)
	req.MaxAge = maxAge
	s, err := c.Secret(ctx, req)
	if err != nil {
		return resolved{err: err}
	}
	return secretValue(s, r.JSONKey)
}

func parameterRequest(r Reference) cache.ParameterRequest {
	return cache.ParameterRequest{Name: r.Name, Version: r.Version, Label: r.Label, WithDecryption: true}
}

func secretRequest(r Reference) cache.SecretRequest {
	return cache.SecretRequest{SecretID: r.Name, VersionStage: r.VersionStage, VersionID: r.VersionID}
}

func parameterValue(p cache.Parameter) resolved {
	v := strconv.FormatInt(p.Version, 10)
	if p.Version == 0 {
		v = "t" + strconv.FormatInt(p.LastModified.UnixNano(), 10)
	}
	return resolved{val: p.Value(), version: v}
}

// secretValue is a secret's SecretString, or the value of its top-level
// JSON key: a JSON string's text, or any other JSON value as written.
func secretValue(s cache.Secret, key string) resolved {
	if !s.HasString() {
		return resolved{err: &KeyError{Secret: s.Name, Key: key, Reason: "the secret is binary; only a SecretString can be resolved"}}
	}
	if key == "" {
		return resolved{val: s.Value(), version: s.VersionID}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s.Value()), &obj) != nil || obj == nil {
		return resolved{err: &KeyError{Secret: s.Name, Key: key, Reason: "the secret is not a JSON object"}}
	}
	raw, ok := obj[key]
	if !ok {
		return resolved{err: &KeyError{Secret: s.Name, Key: key, Reason: "no such key", Missing: true}}
	}
	if len(raw) > 0 && raw[0] == '"' {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			return resolved{val: str, version: s.VersionID}
		}
	}
	return resolved{val: string(raw), version: s.VersionID}
}
