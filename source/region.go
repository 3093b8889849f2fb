package source

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// DefaultMaxRegions is how many regions besides its own the clients of
// [New] read from when [WithMaxRegions] does not say.
const DefaultMaxRegions = 8

// regionOptions are the options of routing by region.
type regionOptions struct {
	off bool // WithRegionRouting(false)
	max int  // WithMaxRegions; 0 means DefaultMaxRegions
}

// WithRegionRouting turns routing by ARN on or off. On (the default), a
// read whose parameter ARN or secret ARN names another region than the
// client's goes to a client for that region, made from the same aws.Config
// and option functions on first use and kept; see [New]. Off, every read
// goes to the client's own region, as the AWS Parameters and Secrets Lambda
// Extension does, and ARNs are not checked.
func WithRegionRouting(on bool) Option {
	return func(o *options) { o.regions.off = !on }
}

// WithMaxRegions bounds how many regions besides its own a client of [New]
// reads from: a read by ARN of one more region fails, with no upstream
// call, with an [*Error] of Kind [ErrInvalid] and Code "TooManyRegions"
// that wraps [ErrTooManyRegions] and names the bound. The bound counts
// regions, for SSM and Secrets Manager each; clients once made are kept
// for the life of the [Clients]. Zero or a negative n keeps the default,
// [DefaultMaxRegions].
func WithMaxRegions(n int) Option {
	return func(o *options) { o.regions.max = n }
}

// routeRegions returns the Clients of New: s and sm, the clients of the
// config's region, wrapped so that reads by ARN of another region go to
// clients of that region made from cfg (with the HTTP client New chose) and
// the same option functions. GetParametersByPath takes a path, never an
// ARN, and stays with s.
func routeRegions(cfg aws.Config, o *options, s *ssm.Client, sm *secretsmanager.Client) Clients {
	if o.regions.off {
		return Clients{Parameter: s, Parameters: s, ParametersByPath: s, Secret: sm, SecretBatch: sm, Describe: sm}
	}
	max := o.regions.max
	if max <= 0 {
		max = DefaultMaxRegions
	}
	ssmOpts, smOpts := slices.Clip(o.ssmOpts), slices.Clip(o.smOpts)
	p := ssmRoutes{newRegions(s.Options().Region, s, max, func(region string) *ssm.Client {
		return ssm.NewFromConfig(cfg, append(ssmOpts, func(o *ssm.Options) { o.Region = region })...)
	})}
	q := secretRoutes{newRegions(sm.Options().Region, sm, max, func(region string) *secretsmanager.Client {
		return secretsmanager.NewFromConfig(cfg, append(smOpts, func(o *secretsmanager.Options) { o.Region = region })...)
	})}
	return Clients{Parameter: p, Parameters: p, ParametersByPath: s, Secret: q, SecretBatch: q, Describe: q}
}

// regions holds the client of one service for its own region and, made on
// first use, for other regions. It is safe for concurrent use.
type regions[C any] struct {
	home      string // the home client's region
	partition string // home's partition
	homeC     C
	max       int                   // bound on len(others)
	build     func(region string) C // makes the client of another region; no I/O
	mu        sync.Mutex            // protects others
	others    map[string]C          // clients of other regions, by region; at most max
}

func newRegions[C any](home string, homeC C, max int, build func(string) C) *regions[C] {
	return &regions[C]{home: home, partition: partitionOf(home), homeC: homeC, max: max, build: build,
		others: make(map[string]C)}
}

// route returns the client that serves a read of name, given the ARN in it
// (ok false: no ARN, the home client), and the region it serves ("" for the
// home region). The error is a local [*Error] of Kind [ErrInvalid].
func (r *regions[C]) route(op, name string, a arn, ok bool, err error) (C, string, error) {
	var zero C
	switch {
	case err != nil:
		return zero, "", localError(op, name, "InvalidARN", err)
	case !ok:
		return r.homeC, "", nil
	case a.partition != r.partition:
		return zero, "", localError(op, name, "PartitionMismatch", fmt.Errorf(
			"%w: the ARN is in partition %s, the client's region %q in partition %s", ErrPartitionMismatch, a.partition, r.home, r.partition))
	case partitionOf(a.region) != a.partition:
		return zero, "", localError(op, name, "PartitionMismatch", fmt.Errorf(
			"%w: the ARN names partition %s, its region %s is in partition %s", ErrPartitionMismatch, a.partition, a.region, partitionOf(a.region)))
	case a.region == r.home:
		return r.homeC, "", nil
	}
	if c, found, err := r.lookup(op, name, a.region); found || err != nil {
		return c, a.region, err
	}
	// Build outside the lock (the option functions are the caller's code),
	// then check again: two first reads of a region race like this
	//
	//	1. A: lookup, no client, room for one
	//	2. B: lookup, no client, room for one
	//	3. A: build, lock, store its client, unlock
	//	4. B: build, lock, finds A's client, keeps it (drops its own), unlock
	//
	// and share one client. A client holds no goroutine or connection of its
	// own, so the dropped one costs nothing. The bound is checked again at
	// 4, so it holds even when two new regions race for the last place.
	built := r.build(a.region)
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.others[a.region]; ok {
		return c, a.region, nil
	}
	if len(r.others) >= r.max {
		return zero, "", r.tooMany(op, name, a.region)
	}
	r.others[a.region] = built
	return built, a.region, nil
}

// lookup returns the kept client of region (found), or nothing when there
// is none yet but room for one, or the TooManyRegions error.
func (r *regions[C]) lookup(op, name, region string) (c C, found bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.others[region]; ok {
		return c, true, nil
	}
	if len(r.others) >= r.max {
		return c, false, r.tooMany(op, name, region)
	}
	return c, false, nil
}

// tooMany is the error of a read of one region too many.
func (r *regions[C]) tooMany(op, name, region string) error {
	return localError(op, name, "TooManyRegions", fmt.Errorf(
		"%w: region %s would be one too many, this client reads from at most %d %s besides %q (source.WithMaxRegions)",
		ErrTooManyRegions, region, r.max, plural(r.max, "region", "regions"), r.home))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// localError is the error of a read refused before any upstream call: an
// [*Error] of Kind [ErrInvalid] whose Message, and so the text, states the
// rule.
func localError(op, name, code string, cause error) error {
	return refused{&Error{Op: op, Name: name, Code: code, Message: cause.Error(), Kind: ErrInvalid, Err: cause}}
}

// refused is a local [*Error] whose text always holds its Message.
type refused struct{ e *Error }

func (r refused) Error() string {
	s := r.e.Error()
	if !strings.Contains(s, r.e.Message) {
		s += ": " + r.e.Message
	}
	return s
}

// Unwrap returns the *Error.
func (r refused) Unwrap() error { return r.e }

// ssmRoutes is the SSM side of routing: GetParameter and GetParameters by
// the region of the parameter ARN (or of the secret ARN in a reference).
type ssmRoutes struct{ r *regions[*ssm.Client] }

// GetParameter sends in to the client of the region in.Name names.
func (s ssmRoutes) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if in == nil {
		return s.r.homeC.GetParameter(ctx, in, optFns...)
	}
	name := aws.ToString(in.Name)
	a, ok, err := parameterARN(name)
	c, _, err := s.r.route("GetParameter", name, a, ok, err)
	if err != nil {
		return nil, err
	}
	return c.GetParameter(ctx, in, optFns...)
}

// GetParameters sends in to the client of the region its names name, or,
// when they name several, one call per region with that region's names;
// see mergeParameters.
func (s ssmRoutes) GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	if in == nil {
		return s.r.homeC.GetParameters(ctx, in, optFns...)
	}
	gs, err := groupByRegion(s.r, "GetParameters", in.Names, parameterARN)
	if err != nil {
		return nil, err
	}
	if len(gs) == 1 {
		return gs[0].c.GetParameters(ctx, in, optFns...)
	}
	outs, err := runGroups(ctx, gs, func(ctx context.Context, g group[*ssm.Client]) (*ssm.GetParametersOutput, error) {
		sub := *in
		sub.Names = g.names
		return g.c.GetParameters(ctx, &sub, optFns...)
	})
	if err != nil {
		return nil, err
	}
	return mergeParameters(len(in.Names), gs, outs), nil
}

// secretRoutes is the Secrets Manager side of routing: GetSecretValue and
// BatchGetSecretValue by the region of the secret ARN.
type secretRoutes struct {
	r *regions[*secretsmanager.Client]
}

// GetSecretValue sends in to the client of the region in.SecretId names.
func (s secretRoutes) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if in == nil {
		return s.r.homeC.GetSecretValue(ctx, in, optFns...)
	}
	id := aws.ToString(in.SecretId)
	a, ok, err := secretARN(id)
	c, _, err := s.r.route("GetSecretValue", id, a, ok, err)
	if err != nil {
		return nil, err
	}
	return c.GetSecretValue(ctx, in, optFns...)
}

// BatchGetSecretValue sends in to the client of the region its
// SecretIdList names, or, when it names several, one call per region with
// that region's ids (each followed to its last page); see mergeSecrets. A
// call with Filters lists secrets of the client's own region.
func (s secretRoutes) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	if in == nil || len(in.Filters) > 0 {
		return s.r.homeC.BatchGetSecretValue(ctx, in, optFns...)
	}
	gs, err := groupByRegion(s.r, "BatchGetSecretValue", in.SecretIdList, secretARN)
	if err != nil {
		return nil, err
	}
	if len(gs) == 1 {
		return gs[0].c.BatchGetSecretValue(ctx, in, optFns...)
	}
	outs, err := runGroups(ctx, gs, func(ctx context.Context, g group[*secretsmanager.Client]) (*secretsmanager.BatchGetSecretValueOutput, error) {
		return batchAllPages(ctx, g, in, optFns)
	})
	if err != nil {
		return nil, err
	}
	return mergeSecrets(len(in.SecretIdList), gs, outs), nil
}
