package cache

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

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
