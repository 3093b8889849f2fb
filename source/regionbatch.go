package source

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// A batch read whose names are in several regions becomes one call per
// region, run concurrently (at most one goroutine per region, so at most
// the region bound plus one), and their answers are merged into one, in
// the order of the request. Any region's call failing fails the whole
// batch with that call's error, the first to fail; the others are
// canceled. A name or id the router refuses (a malformed ARN, another
// partition, a region beyond the bound) fails the batch before any call,
// with an error that names it.
//
// The layer above matches answers to names by Name and by ARN. Two regions
// can hold a parameter or secret of the same name (a replicated secret
// always does), so where a result of another region has a Name that a
// different region's group also asked for or answered with, its Name is
// replaced by its ARN: the name then matches only the result of its own
// region, and the ARN still matches its own.

// group is the names of a batch read that go to one region.
type group[C any] struct {
	c      C
	region string   // "" for the home region
	idx    []int    // the names' positions in the request
	names  []string // the names, in request order
}

// groupByRegion splits names by the region they go to, in the order of
// first appearance.
func groupByRegion[C any](r *regions[C], op string, names []string, parse func(string) (arn, bool, error)) ([]group[C], error) {
	var gs []group[C]
	for i, n := range names {
		a, ok, err := parse(n)
		c, region, err := r.route(op, n, a, ok, err)
		if err != nil {
			return nil, err
		}
		j := slices.IndexFunc(gs, func(g group[C]) bool { return g.region == region })
		if j < 0 {
			gs = append(gs, group[C]{c: c, region: region})
			j = len(gs) - 1
		}
		gs[j].idx = append(gs[j].idx, i)
		gs[j].names = append(gs[j].names, n)
	}
	if len(gs) == 0 { // no names: let the service answer as it does
		gs = append(gs, group[C]{c: r.homeC})
	}
	return gs, nil
}

// runGroups calls call for every group concurrently and returns the
// answers in group order, or the first error. A panic in a call is raised
// again on the caller's goroutine, after every call has returned.
func runGroups[C, O any](ctx context.Context, gs []group[C], call func(context.Context, group[C]) (O, error)) ([]O, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := make([]O, len(gs))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // protects first, pv
		first error
		pv    any
	)
	for i, g := range gs {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					if pv == nil {
						pv = v
					}
					mu.Unlock()
					cancel()
				}
			}()
			o, err := call(ctx, g)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				cancel()
				return
			}
			outs[i] = o
		})
	}
	wg.Wait()
	if pv != nil {
		panic(pv)
	}
	return outs, first
}

// batchAllPages reads every page of BatchGetSecretValue for the ids of g:
// a merged answer has no NextToken to give. A list of n ids takes at most
// n+1 pages; an answer that goes on is given up.
func batchAllPages(ctx context.Context, g group[*secretsmanager.Client], in *secretsmanager.BatchGetSecretValueInput, optFns []func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	const op = "BatchGetSecretValue"
	sub := *in
	sub.SecretIdList, sub.NextToken = g.names, nil
	all := &secretsmanager.BatchGetSecretValueOutput{}
	for page := 0; ; page++ {
		if page > len(g.names) {
			msg := fmt.Sprintf("more than %d pages for %d ids in region %s", len(g.names), len(g.names), g.region)
			return nil, &Error{Op: op, Name: strings.Join(g.names, ","), Code: "TooManyPages", Message: msg,
				Kind: ErrUnavailable, Err: fmt.Errorf("%s", msg)}
		}
		out, err := g.c.BatchGetSecretValue(ctx, &sub, optFns...)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		all.SecretValues = append(all.SecretValues, out.SecretValues...)
		all.Errors = append(all.Errors, out.Errors...)
		all.ResultMetadata = out.ResultMetadata
		if aws.ToString(out.NextToken) == "" {
			return all, nil
		}
		sub.NextToken = out.NextToken
	}
}

// mergeParameters merges the answers of GetParameters calls to several
// regions into one, in request order (n names).
func mergeParameters(n int, gs []group[*ssm.Client], outs []*ssm.GetParametersOutput) *ssm.GetParametersOutput {
	type item struct {
		at int
		p  ssmtypes.Parameter
	}
	var items []item
	var invalid []item
	seen := make([]map[string]bool, len(gs)) // per group: the names it asked for or answered with
	for gi, g := range gs {
		seen[gi] = map[string]bool{}
		for _, u := range g.names {
			if !strings.HasPrefix(u, "arn:") {
				seen[gi][parameterBase(u)] = true
			}
		}
		if outs[gi] == nil {
			continue
		}
		for _, p := range outs[gi].Parameters {
			seen[gi][aws.ToString(p.Name)] = true
		}
	}
	for gi, g := range gs {
		out := outs[gi]
		if out == nil {
			continue
		}
		ps := out.Parameters
		at := positions(g, n, len(ps), func(u string, i int) bool { return parameterExact(u, &ps[i]) },
			func(u string, i int) bool { return parameterLoose(u, &ps[i]) })
		for i, p := range ps {
			if g.region != "" && p.ARN != nil && seenElsewhere(seen, gi, aws.ToString(p.Name)) {
				p.Name = p.ARN
			}
			items = append(items, item{at: at[i], p: p})
		}
		inv := out.InvalidParameters
		at = positions(g, n, len(inv), func(u string, i int) bool { return u == inv[i] }, never)
		for i, u := range inv {
			invalid = append(invalid, item{at: at[i], p: ssmtypes.Parameter{Name: aws.String(u)}})
		}
	}
	byPosition := func(a, b item) int { return cmp.Compare(a.at, b.at) }
	slices.SortStableFunc(items, byPosition)
	slices.SortStableFunc(invalid, byPosition)
	merged := &ssm.GetParametersOutput{}
	for _, it := range items {
		merged.Parameters = append(merged.Parameters, it.p)
	}
	for _, it := range invalid {
		merged.InvalidParameters = append(merged.InvalidParameters, aws.ToString(it.p.Name))
	}
	return merged
}

// mergeSecrets merges the answers of BatchGetSecretValue calls to several
// regions into one, in request order (n ids).
func mergeSecrets(n int, gs []group[*secretsmanager.Client], outs []*secretsmanager.BatchGetSecretValueOutput) *secretsmanager.BatchGetSecretValueOutput {
	type value struct {
		at int
		v  smtypes.SecretValueEntry
	}
	type failure struct {
		at int
		e  smtypes.APIErrorType
	}
	var values []value
	var errs []failure
	seen := make([]map[string]bool, len(gs))
	for gi, g := range gs {
		seen[gi] = map[string]bool{}
		for _, id := range g.names {
			if !strings.HasPrefix(id, "arn:") {
				seen[gi][id] = true
			}
		}
		if outs[gi] == nil {
			continue
		}
		for _, v := range outs[gi].SecretValues {
			seen[gi][aws.ToString(v.Name)] = true
		}
	}
	for gi, g := range gs {
		out := outs[gi]
		if out == nil {
			continue
		}
		vs := out.SecretValues
		at := positions(g, n, len(vs), func(id string, i int) bool { return id == aws.ToString(vs[i].ARN) || id == aws.ToString(vs[i].Name) },
			func(id string, i int) bool { return strings.HasPrefix(aws.ToString(vs[i].ARN), id+"-") }) // a partial ARN
		for i, v := range vs {
			if g.region != "" && v.ARN != nil && seenElsewhere(seen, gi, aws.ToString(v.Name)) {
				v.Name = v.ARN
			}
			values = append(values, value{at: at[i], v: v})
		}
		es := out.Errors
		at = positions(g, n, len(es), func(id string, i int) bool { return id == aws.ToString(es[i].SecretId) }, never)
		for i, e := range es {
			errs = append(errs, failure{at: at[i], e: e})
		}
	}
	slices.SortStableFunc(values, func(a, b value) int { return cmp.Compare(a.at, b.at) })
	slices.SortStableFunc(errs, func(a, b failure) int { return cmp.Compare(a.at, b.at) })
	merged := &secretsmanager.BatchGetSecretValueOutput{}
	for _, v := range values {
		merged.SecretValues = append(merged.SecretValues, v.v)
	}
	for _, e := range errs {
		merged.Errors = append(merged.Errors, e.e)
	}
	return merged
}

// never is a match that accepts nothing.
func never(string, int) bool { return false }

// seenElsewhere reports whether a group other than gi asked for or
// answered with name.
func seenElsewhere(seen []map[string]bool, gi int, name string) bool {
	for i, s := range seen {
		if i != gi && s[name] {
			return true
		}
	}
	return false
}

// positions returns the request position of each of k results of group g:
// each name of g is given to at most one result, first to a result exact
// accepts, then to one loose accepts; a result no name is left for goes
// after every name (n).
func positions[C any](g group[C], n, k int, exact, loose func(u string, i int) bool) []int {
	at := make([]int, k)
	for i := range at {
		at[i] = -1
	}
	taken := make([]bool, len(g.names))
	for _, match := range []func(string, int) bool{exact, loose} {
		for i := range at {
			if at[i] >= 0 {
				continue
			}
			for j, u := range g.names {
				if !taken[j] && match(u, i) {
					at[i], taken[j] = g.idx[j], true
					break
				}
			}
		}
	}
	for i := range at {
		if at[i] < 0 {
			at[i] = n
		}
	}
	return at
}

// parameterExact reports whether the requested name u (a name or ARN,
// with or without a selector) is p's name or ARN with p's selector;
// parameterLoose whether u without its selector is p's name or ARN.
func parameterExact(u string, p *ssmtypes.Parameter) bool {
	sel := aws.ToString(p.Selector)
	return u == aws.ToString(p.Name)+sel || u == aws.ToString(p.ARN)+sel
}

func parameterLoose(u string, p *ssmtypes.Parameter) bool {
	base := parameterBase(u)
	return base == aws.ToString(p.Name) || base == aws.ToString(p.ARN)
}

// parameterBase returns a requested parameter name or ARN without its
// ":version" or ":label" selector.
func parameterBase(u string) string {
	start := 0
	if strings.HasPrefix(u, "arn:") {
		i := strings.Index(u, ":parameter/")
		if i < 0 {
			return u
		}
		start = i + len(":parameter/")
	}
	if i := strings.IndexByte(u[start:], ':'); i >= 0 {
		return u[:start+i]
	}
	return u
}
