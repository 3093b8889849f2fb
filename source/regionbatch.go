package source

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// A batch read of the Clients of New whose names are in several regions
// becomes one call per region, run concurrently (one goroutine per region,
// at most one per name), each answer matched to its own names' result
// slots: nothing is merged into one SDK answer to be split again. A name
// routing refuses (a malformed ARN, another partition, an unknown region)
// gets a local error in its slot and is not sent. A region's call failing
// fails that region's slots; the batch as a whole fails only when every
// region's call failed (with the first region's error, so that a caller
// that retries whole calls still does).

// group is the names of a batch read that go to one region.
type group struct {
	region string
	idx    []int    // the names' positions in the request
	names  []string // the names, in request order
}

// groupByRegion splits names by the region they go to, in the order of
// first appearance; a name routing refuses gets its error in res.
func groupByRegion[T any](r *router, op string, names []string, parse func(string) (arn, bool, error), res []Result[T]) []group {
	var gs []group
	for i, n := range names {
		a, ok, err := parse(n)
		region, err := r.regionFor(op, n, a, ok, err)
		if err != nil {
			res[i].Err = err
			continue
		}
		j := slices.IndexFunc(gs, func(g group) bool { return g.region == region })
		if j < 0 {
			gs = append(gs, group{region: region})
			j = len(gs) - 1
		}
		gs[j].idx = append(gs[j].idx, i)
		gs[j].names = append(gs[j].names, n)
	}
	return gs
}

// readGroups reads every group with read, concurrently, and puts each
// group's results in their slots of res. The error is the first group's
// when every group failed. A panic in a read is raised again on the
// caller's goroutine, after every read has returned.
func readGroups[T any](ctx context.Context, gs []group, res []Result[T], read func(context.Context, group) ([]Result[T], error)) ([]Result[T], error) {
	errs := make([]error, len(gs))
	var (
		wg sync.WaitGroup
		mu sync.Mutex // protects pv
		pv any
	)
	for gi, g := range gs {
		run := func() {
			defer func() {
				if v := recover(); v != nil {
					mu.Lock()
					if pv == nil {
						pv = v
					}
					mu.Unlock()
				}
			}()
			got, err := read(ctx, g)
			if err != nil {
				errs[gi] = err
				for _, i := range g.idx {
					res[i].Err = err
				}
				return
			}
			for j, i := range g.idx {
				res[i] = got[j]
			}
		}
		if len(gs) == 1 {
			run() // no goroutine for the common case
			continue
		}
		wg.Go(run)
	}
	wg.Wait()
	if pv != nil {
		panic(pv)
	}
	if len(gs) > 0 && !slices.ContainsFunc(errs, func(e error) bool { return e == nil }) {
		return nil, errs[0]
	}
	return res, nil
}

// readParameters is ReadParameters of the Clients of New.
func (r *router) readParameters(ctx context.Context, names []string, decrypt bool) ([]Result[*ssmtypes.Parameter], error) {
	const op = "GetParameters"
	res := make([]Result[*ssmtypes.Parameter], len(names))
	gs := groupByRegion(r, op, names, parameterARN, res)
	return readGroups(ctx, gs, res, func(ctx context.Context, g group) ([]Result[*ssmtypes.Parameter], error) {
		return readParameters(ctx, regionParameters{r, g.region}, g.names, decrypt)
	})
}

// regionParameters calls GetParameters in one region.
type regionParameters struct {
	r      *router
	region string
}

func (p regionParameters) GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return call(ctx, p.r, "GetParameters", strings.Join(in.Names, ","), p.region, func(c *clientSet) (*ssm.GetParametersOutput, error) {
		return c.ssm.GetParameters(ctx, in, optFns...)
	})
}

// readSecrets is ReadSecrets of the Clients of New: per region, with
// failover (see [WithFailover]): a replica is asked for the same names, and
// for the ARNs with its region.
func (r *router) readSecrets(ctx context.Context, ids []string) ([]Result[*secretsmanager.GetSecretValueOutput], error) {
	const op = "BatchGetSecretValue"
	res := make([]Result[*secretsmanager.GetSecretValueOutput], len(ids))
	gs := groupByRegion(r, op, ids, secretARN, res)
	return readGroups(ctx, gs, res, func(ctx context.Context, g group) ([]Result[*secretsmanager.GetSecretValueOutput], error) {
		read := func(ctx context.Context, region string) ([]Result[*secretsmanager.GetSecretValueOutput], error) {
			sent := g.names
			if region != g.region {
				sent = make([]string, len(g.names))
				for i, id := range g.names {
					sent[i] = inRegion(id, region)
				}
			}
			got, err := readSecrets(ctx, regionSecrets{r, region}, sent)
			for _, v := range got {
				if v.Value != nil {
					setServed(&v.Value.ResultMetadata, Served{Region: region})
				}
			}
			return got, err
		}
		mark := func(got []Result[*secretsmanager.GetSecretValueOutput], primary string, cause error) {
			for _, v := range got {
				if v.Value != nil {
					markSecret(v.Value, primary, cause)
				}
			}
		}
		return failover(ctx, r, op, strings.Join(g.names, ","), g.region, read, mark)
	})
}

// regionSecrets calls BatchGetSecretValue in one region.
type regionSecrets struct {
	r      *router
	region string
}

func (s regionSecrets) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	return call(ctx, s.r, "BatchGetSecretValue", strings.Join(in.SecretIdList, ","), s.region, func(c *clientSet) (*secretsmanager.BatchGetSecretValueOutput, error) {
		return c.sm.BatchGetSecretValue(ctx, in, optFns...)
	})
}
