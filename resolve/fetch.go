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
	type pgroup struct {
		reqs []cache.ParameterRequest
		idx  [][]int // the refs each request answers
	}
	type sgroup struct {
		reqs []cache.SecretRequest
		idx  [][]int
	}
	pg, sg := map[string]*pgroup{}, map[string]*sgroup{}
	var regions []string // groups in order of first appearance, "p"+region or "s"+region
	pseen, sseen := map[cache.ParameterRequest]int{}, map[cache.SecretRequest]int{}
	for i, r := range refs {
		region := regionOf(r)
		switch r.Kind {
		case KindParameter:
			req := parameterRequest(r)
			g := pg[region]
			if g == nil {
				g = &pgroup{}
				pg[region] = g
				regions = append(regions, "p"+region)
			}
			j, ok := pseen[req]
			if !ok {
				j = len(g.reqs)
				pseen[req] = j
				g.reqs = append(g.reqs, req)
				g.idx = append(g.idx, nil)
			}
			g.idx[j] = append(g.idx[j], i)
		case KindSecret:
			req := secretRequest(r)
			g := sg[region]
			if g == nil {
				g = &sgroup{}
				sg[region] = g
				regions = append(regions, "s"+region)
			}
			j, ok := sseen[req]
			if !ok {
				j = len(g.reqs)
				sseen[req] = j
				g.reqs = append(g.reqs, req)
				g.idx = append(g.idx, nil)
			}
			g.idx[j] = append(g.idx[j], i)
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxGroups)
	for _, key := range regions {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if key[0] == 'p' {
				g := pg[key[1:]]
				ps, err := c.Parameters(ctx, g.reqs)
				errs := itemErrors(err, len(g.reqs))
				for j, p := range ps {
					for _, i := range g.idx[j] {
						if errs[j] != nil {
							out[i].err = errs[j]
							continue
						}
						out[i] = parameterValue(p)
					}
				}
				return
			}
			g := sg[key[1:]]
			ss, err := c.Secrets(ctx, g.reqs)
			errs := itemErrors(err, len(g.reqs))
			for j, s := range ss {
				for _, i := range g.idx[j] {
					if errs[j] != nil {
						out[i].err = errs[j]
						continue
					}
					out[i] = secretValue(s, refs[i].JSONKey)
				}
			}
		})
	}
	wg.Wait()
	return out
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
