package source

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/internal/awsname"
)

// AWS's limits on the batch and paginated reads.
const (
	MaxGetParameters = 10   // names per SSM GetParameters call
	maxPathPageSize  = 10   // parameters per GetParametersByPath page
	maxPages         = 1000 // pages read before a listing is given up as unbounded
)

// Result is the answer for one name of a batch read: a value, or why there
// is none.
type Result[T any] struct {
	Value T
	Err   error // nil when Value holds the answer
}

// ReadParameter makes one SSM GetParameter call for name (which may end in
// a selector, ":3" or ":label"). The error is an [*Error]; it wraps
// [ErrNoClient] when c.Parameter is nil.
func (c Clients) ReadParameter(ctx context.Context, name string, decrypt bool) (*ssmtypes.Parameter, error) {
	const op = "GetParameter"
	if c.Parameter == nil {
		return nil, fmt.Errorf("%s %q: %w", op, name, ErrNoClient)
	}
	out, err := c.Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		return nil, Classify(op, name, err)
	}
	if out == nil || out.Parameter == nil {
		return nil, emptyAnswer(op, name)
	}
	return out.Parameter, nil
}

// ReadParameters makes one SSM GetParameters call for at most
// [MaxGetParameters] names (each may end in a selector) and returns one
// result per name, in order. A name the answer lists as invalid gets an
// [ErrNotFound] error whose cause is *types.ParameterNotFound; a name the
// answer does not mention gets an [ErrUnavailable] one. The error is for
// the call as a whole.
func (c Clients) ReadParameters(ctx context.Context, names []string, decrypt bool) ([]Result[*ssmtypes.Parameter], error) {
	const op = "GetParameters"
	if c.Parameters == nil {
		return nil, fmt.Errorf("%s: %w", op, ErrNoClient)
	}
	if len(names) > MaxGetParameters {
		return nil, fmt.Errorf("%s: %d names, at most %d per call", op, len(names), MaxGetParameters)
	}
	out, err := c.Parameters.GetParameters(ctx, &ssm.GetParametersInput{Names: names, WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		return nil, Classify(op, strings.Join(names, ","), err)
	}
	if out == nil {
		return nil, emptyAnswer(op, strings.Join(names, ","))
	}
	found := matchParameters(names, out.Parameters)
	invalid := make(map[string]bool, len(out.InvalidParameters))
	for _, n := range out.InvalidParameters {
		invalid[n] = true
	}
	res := make([]Result[*ssmtypes.Parameter], len(names))
	for i, u := range names {
		switch p := found[u]; {
		case p != nil:
			res[i].Value = p
		case invalid[u]:
			msg := "listed in InvalidParameters"
			res[i].Err = &Error{Op: op, Name: u, Code: "ParameterNotFound", Message: msg, Kind: ErrNotFound,
				Err: &ssmtypes.ParameterNotFound{Message: aws.String(msg)}}
		default:
			res[i].Err = &Error{Op: op, Name: u, Code: "MissingFromAnswer", Message: "the batch answer did not name it",
				Kind: ErrUnavailable, Err: errors.New("the batch answer did not name it")}
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
	exact := exactKeys(params)
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
		if p := matchBare(u, params, claimed); p != nil {
			found[u], claimed[p] = p, true
		}
	}
	return found
}

// exactKeys indexes an answer's parameters by name+selector and
// ARN+selector.
func exactKeys(params []ssmtypes.Parameter) map[string]*ssmtypes.Parameter {
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
	return exact
}

// matchBare finds the first unclaimed parameter whose name or ARN is u's
// base and, when u's selector is a version number, whose version it is.
func matchBare(u string, params []ssmtypes.Parameter, claimed map[*ssmtypes.Parameter]bool) *ssmtypes.Parameter {
	base, sel := SplitSelector(u)
	v, err := strconv.ParseInt(sel, 10, 64)
	byVersion := err == nil
	for i := range params {
		p := &params[i]
		switch {
		case claimed[p], aws.ToString(p.Name) != base && aws.ToString(p.ARN) != base, byVersion && p.Version != v:
			continue
		}
		return p
	}
	return nil
}

// SplitSelector splits "name:selector" (or an ARN's, or a reference's)
// into its parts, by awsname's grammar: in a parameter ARN the selector
// follows the parameter's name after "parameter/"; in a reference it
// follows the secret id (a name, or an ARN's seven fields); in a plain name
// any colon starts one (names cannot contain colons).
func SplitSelector(name string) (base, sel string) {
	base, sel, _ = awsname.SplitSelector(name)
	return base, sel
}

// ReadPath reads every parameter under path with SSM GetParametersByPath,
// page by page, in SSM's order. It gives up after 1000 pages.
func (c Clients) ReadPath(ctx context.Context, path string, recursive, decrypt bool) ([]ssmtypes.Parameter, error) {
	const op = "GetParametersByPath"
	if c.ParametersByPath == nil {
		return nil, fmt.Errorf("%s %q: %w", op, path, ErrNoClient)
	}
	in := &ssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(recursive),
		WithDecryption: aws.Bool(decrypt), MaxResults: aws.Int32(maxPathPageSize)}
	params := []ssmtypes.Parameter{}
	for range maxPages {
		out, err := c.ParametersByPath.GetParametersByPath(ctx, in)
		if err != nil {
			return nil, Classify(op, path, err)
		}
		if out == nil {
			return nil, emptyAnswer(op, path)
		}
		params = append(params, out.Parameters...)
		if aws.ToString(out.NextToken) == "" {
			return params, nil
		}
		in.NextToken = out.NextToken
	}
	msg := fmt.Sprintf("more than %d pages", maxPages)
	return nil, &Error{Op: op, Name: path, Code: "TooManyPages", Message: msg, Kind: ErrUnavailable, Err: errors.New(msg)}
}

func emptyAnswer(op, name string) error {
	const msg = "the service answered without a value"
	return &Error{Op: op, Name: name, Code: "EmptyResponse", Message: msg, Kind: ErrUnavailable, Err: errors.New(msg)}
}
