package httpcompat

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/awsname"
)

// maxBatchNames bounds one batch request (the cache splits it into
// GetParameters calls of ten).
const maxBatchNames = 100

// batchQuery turns the query of GET /parsec/v1/parameters into cache
// requests: name one or more times (1 to 100, in order, each a name, path or
// ARN, optionally with a :version or :label selector), withDecryption and
// maxAgeSeconds at most once each, applying to every name.
func batchQuery(params []param) ([]cache.ParameterRequest, error) {
	var names []string
	var options []param
	for _, p := range params {
		switch p.key {
		case "name":
			if p.value == "" {
				return nil, &requestError{field: "name", rule: ruleRequired}
			}
			if err := noQuestionMark("name", p.value); err != nil {
				return nil, err
			}
			names = append(names, p.value)
		case "withDecryption", maxAgeSeconds:
			options = append(options, p)
		default:
			return nil, &requestError{field: "query parameter " + quote(p.key), rule: ruleUnknown + " (allowed: name, withDecryption, " + maxAgeSeconds + ")"}
		}
	}
	if len(names) == 0 {
		return nil, &requestError{field: "name", rule: ruleRequired + " (give it once per parameter)"}
	}
	if len(names) > maxBatchNames {
		return nil, &requestError{field: "name", rule: "must be given at most " + strconv.Itoa(maxBatchNames) + " times, got " + strconv.Itoa(len(names))}
	}
	q, err := newQuery(options, "withDecryption", maxAgeSeconds)
	if err != nil {
		return nil, err
	}
	withDecryption, err := q.boolean("withDecryption")
	if err != nil {
		return nil, err
	}
	maxAge, err := q.maxAge()
	if err != nil {
		return nil, err
	}
	reqs := make([]cache.ParameterRequest, len(names))
	for i, n := range names {
		if strings.HasPrefix(n, awsname.ReferencePrefix) && !withDecryption {
			return nil, errReferenceNeedsDecryption
		}
		reqs[i] = cache.ParameterRequest{Name: n, WithDecryption: withDecryption, MaxAge: maxAge}
	}
	return reqs, nil
}

// serveBatch answers GET /parsec/v1/parameters with the JSON of
// ssm.GetParametersOutput: Parameters in request order (duplicates once),
// InvalidParameters the names that do not exist. Any other failure of an
// item fails the request with that item's status, as a single read would.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request, _ string) {
	params, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		h.fail(r, w, routeBatch, err)
		return
	}
	reqs, err := batchQuery(params)
	if err != nil {
		h.fail(r, w, routeBatch, err)
		return
	}
	got, err := h.cache.Parameters(r.Context(), reqs)
	failed := map[int]bool{}
	out := &ssm.GetParametersOutput{Parameters: []ssmtypes.Parameter{}, InvalidParameters: []string{}}
	if err != nil {
		var be *cache.BatchError
		if !errors.As(err, &be) {
			h.upstreamFailed(r, w, routeBatch, "", err)
			return
		}
		for _, it := range be.Items {
			if !errors.Is(it.Err, cache.ErrNotFound) {
				h.upstreamFailed(r, w, routeBatch, it.Name, it.Err)
				return
			}
			failed[it.Index] = true
		}
	}
	seen := map[string]bool{}
	for i, req := range reqs {
		if seen[req.Name] {
			continue
		}
		seen[req.Name] = true
		if failed[i] {
			out.InvalidParameters = append(out.InvalidParameters, req.Name)
			continue
		}
		out.Parameters = append(out.Parameters, *got[i].Output().Parameter)
	}
	h.ok(r, w, routeBatch, "", out)
}
