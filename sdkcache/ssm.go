package sdkcache

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

const (
	maxPage     = 10         // SSM GetParametersByPath: MaxResults 1–10, 10 when absent
	tokenPrefix = "parsec1." // NextToken of a page the middleware served: the offset follows
)

// getParameter answers SSM GetParameter: every input the SDK accepts is one
// the cache models (Name, with or without a selector, and WithDecryption).
func (m *mw) getParameter(ctx context.Context, in *ssm.GetParameterInput) (any, bool, error) {
	p, err := m.c.Parameter(ctx, cache.ParameterRequest{Name: aws.ToString(in.Name), WithDecryption: aws.ToBool(in.WithDecryption), MaxAge: maxAge(ctx)})
	if ok, err := answered(err); !ok || err != nil {
		return nil, ok, err
	}
	return p.Output(), true, nil
}

// getParameters answers SSM GetParameters as SSM does: the parameters found,
// once each, and the names not found in InvalidParameters. The names are
// read with cache.Parameters, so cached ones cost no call and the others
// take one GetParameters call.
func (m *mw) getParameters(ctx context.Context, in *ssm.GetParametersInput) (any, bool, error) {
	if len(in.Names) == 0 || len(in.Names) > source.MaxGetParameters {
		return nil, false, nil // SSM's own ValidationException
	}
	decrypt := aws.ToBool(in.WithDecryption)
	reqs := make([]cache.ParameterRequest, len(in.Names))
	for i, n := range in.Names {
		reqs[i] = cache.ParameterRequest{Name: n, WithDecryption: decrypt, MaxAge: maxAge(ctx)}
	}
	ps, err := m.c.Parameters(ctx, reqs)
	failed := map[int]error{}
	var be *cache.BatchError
	switch {
	case err == nil:
	case errors.As(err, &be):
		for _, it := range be.Items {
			failed[it.Index] = it.Err
		}
	default:
		ok, err := answered(err)
		return nil, ok, err
	}
	out := &ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{}, InvalidParameters: []string{}}
	seen := map[string]bool{}
	for i, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if e, bad := failed[i]; bad {
			if errors.Is(e, cache.ErrNotFound) {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			ok, err := answered(e)
			return nil, ok, err
		}
		out.Parameters = append(out.Parameters, *ps[i].Output().Parameter)
	}
	return out, true, nil
}

// getParametersByPath answers SSM GetParametersByPath from the cached
// listing of the path, a page at a time: MaxResults per page (10 when
// absent) and a NextToken of the middleware's own that the next call
// reads. Inputs with ParameterFilters, a MaxResults outside 1–10 or a
// NextToken the middleware did not issue go upstream.
func (m *mw) getParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput) (any, bool, error) {
	if len(in.ParameterFilters) > 0 {
		return nil, false, nil
	}
	size := maxPage
	if in.MaxResults != nil {
		size = int(*in.MaxResults)
		if size < 1 || size > maxPage {
			return nil, false, nil
		}
	}
	off := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, tokenPrefix))
		if !strings.HasPrefix(tok, tokenPrefix) || err != nil || n < 0 {
			return nil, false, nil // SSM's token, from a call that went upstream
		}
		off = n
	}
	ps, err := m.c.ParametersByPath(ctx, cache.PathRequest{Path: aws.ToString(in.Path),
		Recursive: aws.ToBool(in.Recursive), WithDecryption: aws.ToBool(in.WithDecryption), MaxAge: maxAge(ctx)})
	if ok, err := answered(err); !ok || err != nil {
		return nil, ok, err
	}
	off = min(off, len(ps))
	end := min(off+size, len(ps))
	out := &ssm.GetParametersByPathOutput{Parameters: make([]ssmtypes.Parameter, 0, end-off)}
	for _, p := range ps[off:end] {
		out.Parameters = append(out.Parameters, *p.Output().Parameter)
	}
	if end < len(ps) {
		out.NextToken = aws.String(tokenPrefix + strconv.Itoa(end))
	}
	return out, true, nil
}
