package sdkcache

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// Reader has the method shapes of (*ssm.Client).GetParameter and
// (*secretsmanager.Client).GetSecretValue and answers them from a cache, so
// that code written against an interface of those methods gets caching by
// swapping one value, without the middleware of [Install]. (These were the
// methods cache.Cache.GetParameter and GetSecretValue.) Its methods are safe
// for concurrent use. It holds nothing to close: closing the cache is the
// caller's job.
type Reader struct {
	c        *cache.Cache
	up       source.Clients
	bypassed atomic.Uint64
}

var (
	_ source.ParameterGetter = (*Reader)(nil)
	_ source.SecretGetter    = (*Reader)(nil)
)

// NewReader returns a Reader answering from c. upstream are the clients c
// reads through (those given to cache.New): a call given option functions
// goes to them unchanged, since an option can change the answer (a
// region, an endpoint). A nil c panics at the first call.
func NewReader(c *cache.Cache, upstream source.Clients) *Reader {
	return &Reader{c: c, up: upstream}
}

// GetParameter has the shape of (*ssm.Client).GetParameter and answers from
// the cache. in.Name may carry a selector (":3", ":label"). Each call
// returns a new output the caller may change. Calls with optFns bypass the
// cache and go to the upstream client with them; they count in
// [Reader.Bypassed], not in the cache's Stats. Errors unwrap to the SDK's;
// a nil in is a *cache.RequestError.
func (r *Reader) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if in == nil {
		return nil, &cache.RequestError{Field: "input", Rule: "must not be nil"}
	}
	if len(optFns) > 0 {
		r.bypassed.Add(1)
		if r.up.Parameter == nil {
			return nil, cache.ErrNoSource
		}
		out, err := r.up.Parameter.GetParameter(ctx, in, optFns...)
		return out, source.Classify("GetParameter", aws.ToString(in.Name), err)
	}
	p, err := r.c.Parameter(ctx, cache.ParameterRequest{Name: aws.ToString(in.Name), WithDecryption: aws.ToBool(in.WithDecryption)})
	if err != nil {
		return nil, err
	}
	return p.Output(), nil
}

// GetSecretValue has the shape of (*secretsmanager.Client).GetSecretValue
// and answers from the cache. Each call returns a new output the caller may
// change. Calls with optFns bypass the cache, as for
// [Reader.GetParameter].
func (r *Reader) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if in == nil {
		return nil, &cache.RequestError{Field: "input", Rule: "must not be nil"}
	}
	if len(optFns) > 0 {
		r.bypassed.Add(1)
		if r.up.Secret == nil {
			return nil, cache.ErrNoSource
		}
		out, err := r.up.Secret.GetSecretValue(ctx, in, optFns...)
		return out, source.Classify("GetSecretValue", aws.ToString(in.SecretId), err)
	}
	s, err := r.c.Secret(ctx, cache.SecretRequest{SecretID: aws.ToString(in.SecretId),
		VersionID: aws.ToString(in.VersionId), VersionStage: aws.ToString(in.VersionStage)})
	if err != nil {
		return nil, err
	}
	return s.Output(), nil
}

// Bypassed returns how many calls were given option functions and so went
// upstream without the cache: neither hits nor misses of the cache.
func (r *Reader) Bypassed() uint64 { return r.bypassed.Load() }
