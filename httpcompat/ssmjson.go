package httpcompat

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
)

// SSM's limits, as Parameter Store and Cloud Extensions check them.
const (
	maxParameterName   = 2048 // characters of a name, with its selector
	maxParametersNames = 10   // names of one GetParameters call
	maxByPathResults   = 10   // parameters of one GetParametersByPath page
)

// ssmProtocol is POST /parameterstore.
var ssmProtocol = &json11Protocol{
	route:   routeParameterStore,
	service: "ssm",
	prefix:  "AmazonSSM.",
	skew:    parameterStoreSkew,
	ops: map[string]json11Op{
		"GetParameter":        (*CloudExtensions).getParameter,
		"GetParameters":       (*CloudExtensions).getParameters,
		"GetParametersByPath": (*CloudExtensions).getParametersByPath,
	},
	upperMessage: map[string]bool{"AccessDeniedException": true, "InternalServerError": true, "ThrottlingException": true, "ValidationException": true},
	errors: func(err error) (int, string) {
		return upstreamCode(err, "ParameterNotFound", "ValidationException", "ThrottlingException", "InternalServerError")
	},
	// Cloud Extensions answers every refused signature 400
	// AccessDeniedException, the reason in its header.
	auth: func(string) (int, string) { return http.StatusBadRequest, "AccessDeniedException" },
}

// ssmParameter is SSM's Parameter shape on the wire, members in the order
// SSM sends them.
type ssmParameter struct {
	ARN              string        `json:"ARN,omitempty"`
	DataType         string        `json:"DataType,omitempty"`
	LastModifiedDate *epochSeconds `json:"LastModifiedDate,omitempty"`
	Name             string        `json:"Name,omitempty"`
	Selector         string        `json:"Selector,omitempty"`
	SourceResult     string        `json:"SourceResult,omitempty"`
	Type             string        `json:"Type,omitempty"`
	Value            *string       `json:"Value,omitempty"`
	Version          int64         `json:"Version"`
}

func wireParameter(p cache.Parameter) ssmParameter {
	o := p.Output().Parameter
	if o == nil {
		return ssmParameter{}
	}
	return ssmParameter{
		ARN: aws.ToString(o.ARN), DataType: aws.ToString(o.DataType), LastModifiedDate: epochOf(o.LastModifiedDate),
		Name: aws.ToString(o.Name), Selector: aws.ToString(o.Selector), SourceResult: aws.ToString(o.SourceResult),
		Type: string(o.Type), Value: o.Value, Version: o.Version,
	}
}

// checkName applies SSM's rules for a name that Cloud Extensions checks
// itself.
func checkName(field, name string) error {
	switch {
	case name == "":
		return validation("%s: must not be empty", field)
	case len([]rune(name)) > maxParameterName:
		return validation("%s: must be at most %d characters", field, maxParameterName)
	}
	return nil
}

func (h *CloudExtensions) getParameter(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name           *string
		WithDecryption *bool
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	if in.Name == nil {
		return nil, validation("Name: is required")
	}
	if err := checkName("Name", *in.Name); err != nil {
		return nil, err
	}
	p, err := h.cache.Parameter(ctx, cache.ParameterRequest{Name: *in.Name, WithDecryption: aws.ToBool(in.WithDecryption)})
	if err != nil {
		return nil, err
	}
	return struct {
		Parameter ssmParameter
	}{wireParameter(p)}, nil
}

func (h *CloudExtensions) getParameters(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Names          []string
		WithDecryption *bool
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	if len(in.Names) == 0 || len(in.Names) > maxParametersNames {
		return nil, validation("Names: must hold from 1 to %d names", maxParametersNames)
	}
	reqs := make([]cache.ParameterRequest, 0, len(in.Names))
	seen := make(map[string]bool, len(in.Names))
	for i, n := range in.Names {
		if err := checkName("Names["+strconv.Itoa(i)+"]", n); err != nil {
			return nil, err
		}
		if !seen[n] { // SSM answers a name given twice once
			seen[n] = true
			reqs = append(reqs, cache.ParameterRequest{Name: n, WithDecryption: aws.ToBool(in.WithDecryption)})
		}
	}
	ps, err := h.cache.Parameters(ctx, reqs)
	invalid := map[int]bool{}
	if err != nil {
		var be *cache.BatchError
		if !errors.As(err, &be) {
			return nil, err
		}
		// A name or version that does not exist is listed; any other
		// failure fails the call, as in SSM.
		for _, it := range be.Items {
			if !errors.Is(it.Err, cache.ErrNotFound) {
				return nil, it.Err
			}
			invalid[it.Index] = true
		}
	}
	out := struct {
		InvalidParameters []string
		Parameters        []ssmParameter
	}{InvalidParameters: []string{}, Parameters: make([]ssmParameter, 0, len(reqs))}
	for i, r := range reqs {
		if invalid[i] {
			out.InvalidParameters = append(out.InvalidParameters, r.Name)
			continue
		}
		out.Parameters = append(out.Parameters, wireParameter(ps[i]))
	}
	return out, nil
}

// The NextToken of GetParametersByPath is the offset in the cached
// listing, so pages are read from memory. A listing that changes between
// two pages (it was reloaded) may repeat or skip a parameter, as SSM's
// own pages may when parameters are written meanwhile.
const byPathTokenPrefix = "parsec1:"

func (h *CloudExtensions) getParametersByPath(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Path             *string
		Recursive        *bool
		WithDecryption   *bool
		MaxResults       *int
		NextToken        *string
		ParameterFilters []ssmtypes.ParameterStringFilter
	}
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	if in.Path == nil {
		return nil, validation("Path: is required")
	}
	if len(in.ParameterFilters) > 0 {
		return nil, validation("ParameterFilters: not supported by parsec; filter the parameters yourself")
	}
	max := maxByPathResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxByPathResults {
			return nil, validation("MaxResults: must be from 1 to %d", maxByPathResults)
		}
		max = *in.MaxResults
	}
	start := 0
	if t := aws.ToString(in.NextToken); t != "" {
		n, ok := decodeByPathToken(t)
		if !ok {
			return nil, &json11Error{http.StatusBadRequest, "InvalidNextToken", "The specified token isn't valid."}
		}
		start = n
	}
	ps, err := h.cache.ParametersByPath(ctx, cache.PathRequest{Path: *in.Path, Recursive: aws.ToBool(in.Recursive), WithDecryption: aws.ToBool(in.WithDecryption)})
	if err != nil {
		return nil, err
	}
	start = min(start, len(ps))
	end := min(start+max, len(ps))
	out := struct {
		NextToken  string `json:",omitempty"`
		Parameters []ssmParameter
	}{Parameters: make([]ssmParameter, 0, end-start)}
	for _, p := range ps[start:end] {
		out.Parameters = append(out.Parameters, wireParameter(p))
	}
	if end < len(ps) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(byPathTokenPrefix + strconv.Itoa(end)))
	}
	return out, nil
}

func decodeByPathToken(t string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), byPathTokenPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
