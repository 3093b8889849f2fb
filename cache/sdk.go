package cache

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

// Cache serves the SDK's method shapes too, so code written against an
// interface of them gets caching by swapping one value.
var (
	_ source.ParameterGetter = (*Cache)(nil)
	_ source.SecretGetter    = (*Cache)(nil)
)

// GetParameter has the shape of (*ssm.Client).GetParameter and answers from
// the cache. in.Name may carry a selector (":3", ":label"). Each call
// returns a new output the caller may change. Calls with optFns bypass the
// cache and go to the upstream client with them, since an option can change
// the answer (a region, an endpoint); they count in [Stats.Bypassed]. Errors unwrap to the SDK's.
func (c *Cache) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if in == nil {
		return nil, &RequestError{Field: "input", Rule: "must not be nil"}
	}
	if len(optFns) > 0 {
		c.stats.bypassed.Add(1)
		if c.src.Parameter == nil {
			return nil, ErrNoSource
		}
		out, err := c.src.Parameter.GetParameter(ctx, in, optFns...)
		return out, source.Classify("GetParameter", aws.ToString(in.Name), err)
	}
	p, err := c.Parameter(ctx, ParameterRequest{Name: aws.ToString(in.Name), WithDecryption: aws.ToBool(in.WithDecryption)})
	if err != nil {
		return nil, err
	}
	return p.Output(), nil
}

// GetSecretValue has the shape of (*secretsmanager.Client).GetSecretValue
// and answers from the cache. Each call returns a new output the caller may
// change. Calls with optFns bypass the cache, as for GetParameter.
func (c *Cache) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if in == nil {
		return nil, &RequestError{Field: "input", Rule: "must not be nil"}
	}
	if len(optFns) > 0 {
		c.stats.bypassed.Add(1)
		if c.src.Secret == nil {
			return nil, ErrNoSource
		}
		out, err := c.src.Secret.GetSecretValue(ctx, in, optFns...)
		return out, source.Classify("GetSecretValue", aws.ToString(in.SecretId), err)
	}
	s, err := c.Secret(ctx, SecretRequest{SecretID: aws.ToString(in.SecretId),
		VersionID: aws.ToString(in.VersionId), VersionStage: aws.ToString(in.VersionStage)})
	if err != nil {
		return nil, err
	}
	return s.Output(), nil
}
