package source

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// DefaultMaxRegions is how many regions besides its own the clients of
// [New] keep clients for when [WithMaxRegions] does not say.
const DefaultMaxRegions = 8

// DefaultMaxRoles is how many roles the clients of [New] keep credentials
// and clients for when [WithMaxRoles] does not say: the Secrets Manager
// Agent's max_roles default.
const DefaultMaxRoles = 20

// The causes of local errors of routing, besides those of ARNs
// ([ErrMalformedARN], [ErrPartitionMismatch]).
var (
	// ErrUnknownRegion: an ARN or a failover region names a region that
	// does not have the form of its partition's regions (zz-fake-0, say).
	// Code "UnknownRegion".
	ErrUnknownRegion = errors.New("unknown region")
	// ErrSeveralRegions: one call of a field of the Clients of [New]
	// (GetParameters, BatchGetSecretValue) names several regions. Code
	// "SeveralRegions". [Clients.ReadParameters] and [Clients.ReadSecrets]
	// split such a batch by region instead.
	ErrSeveralRegions = errors.New("names in several regions")
)

// regionOptions are the options of routing by region and role.
type regionOptions struct {
	off      bool // WithRegionRouting(false)
	max      int  // WithMaxRegions; 0 means DefaultMaxRegions
	maxRoles int  // WithMaxRoles; 0 means DefaultMaxRoles
	stsOpts  []func(*sts.Options)
}

// WithRegionRouting turns routing by ARN on or off. On (the default), a
// read whose parameter ARN or secret ARN names another region than the
// client's goes to clients for that region, made from the same aws.Config
// and option functions; see [New]. Off, every read goes to the client's own
// region, as the AWS Parameters and Secrets Lambda Extension does, and ARNs
// are not checked. Reads through a role ([WithRole]) and failover
// ([WithFailover]) work either way.
func WithRegionRouting(on bool) Option {
	return func(o *options) { o.regions.off = !on }
}

// WithMaxRegions bounds how many regions besides its own a client of [New]
// keeps clients for. A region's clients are kept only after a call through
// them reached an endpoint (an answer, even an error answer, came back);
// when one more region would be kept, the clients of the least recently
// used region are dropped, so a read of a new region never fails for want
// of room and regions that do not exist (no endpoint answers) never take
// one. Zero or a negative n keeps the default, [DefaultMaxRegions].
func WithMaxRegions(n int) Option {
	return func(o *options) { o.regions.max = n }
}

// WithMaxRoles bounds how many roles ([WithRole]) a client of [New] keeps
// credentials and clients for: when one more role would be kept, those of
// the least recently used role are dropped (its next read assumes it
// again). A role is kept, like a region, only after a call through it
// reached an endpoint. Zero or a negative n keeps the default,
// [DefaultMaxRoles], the Secrets Manager Agent's max_roles default.
func WithMaxRoles(n int) Option {
	return func(o *options) { o.regions.maxRoles = n }
}

// WithSTSOptions passes option functions to sts.NewFromConfig, for the STS
// client that assumes the roles of [WithRole] (its endpoint, say).
func WithSTSOptions(fns ...func(*sts.Options)) Option {
	return func(o *options) { o.regions.stsOpts = append(o.regions.stsOpts, fns...) }
}

// setKey names one client set: the role ("" for the config's own
// credentials) and the region.
type setKey struct{ role, region string }

// clientSet is the SSM and Secrets Manager clients of one (role, region).
type clientSet struct {
	ssm   *ssm.Client
	sm    *secretsmanager.Client
	creds aws.CredentialsProvider // the role's cached credentials; nil without a role
	used  uint64                  // the router's tick when last used; under router.mu
}

// router makes and keeps the client sets of [New]. The home set (no role,
// the config's region) is always there; the others are kept in sets, at
// most maxRoles distinct roles and max distinct regions besides home, least
// recently used dropped. It is safe for concurrent use.
type router struct {
	cfg       aws.Config
	home      string // the config's region
	partition string // home's partition
	off       bool   // WithRegionRouting(false)
	max       int    // bound on distinct regions besides home in sets
	maxRoles  int    // bound on distinct roles in sets
	ssmOpts   []func(*ssm.Options)
	smOpts    []func(*secretsmanager.Options)
	homeSet   *clientSet
	sts       func() *sts.Client // made on first use

	mu   sync.Mutex // protects sets, pending, tick and the used fields
	sets map[setKey]*clientSet
	// pending holds the credentials of roles in use but not kept yet, so
	// that concurrent first reads through a role share one AssumeRole
	// call; at most maxRoles, an arbitrary one dropped beyond.
	pending map[string]aws.CredentialsProvider
	tick    uint64
}

// newRouter returns the router of New: s and sm are the home clients.
func newRouter(cfg aws.Config, o *options, s *ssm.Client, sm *secretsmanager.Client) *router {
	r := &router{cfg: cfg, home: s.Options().Region, off: o.regions.off, max: o.regions.max, maxRoles: o.regions.maxRoles,
		ssmOpts: slices.Clip(o.ssmOpts), smOpts: slices.Clip(o.smOpts),
		homeSet: &clientSet{ssm: s, sm: sm}, sets: map[setKey]*clientSet{}, pending: map[string]aws.CredentialsProvider{}}
	r.partition = partitionOf(r.home)
	if r.max <= 0 {
		r.max = DefaultMaxRegions
	}
	if r.maxRoles <= 0 {
		r.maxRoles = DefaultMaxRoles
	}
	stsOpts := slices.Clip(o.regions.stsOpts)
	r.sts = sync.OnceValue(func() *sts.Client { return sts.NewFromConfig(cfg, stsOpts...) })
	return r
}

// regionFor returns the region a read of name goes to, given the ARN in it
// (ok false: no ARN, the home region). The error is a local [*Error] of
// Kind [ErrInvalid].
func (r *router) regionFor(op, name string, a arn, ok bool, err error) (string, error) {
	switch {
	case r.off || (err == nil && !ok):
		return r.home, nil
	case err != nil:
		return "", localError(op, name, "InvalidARN", err)
	case a.partition != r.partition:
		return "", localError(op, name, "PartitionMismatch", fmt.Errorf(
			"%w: the ARN is in partition %s, the client's region %q in partition %s", ErrPartitionMismatch, a.partition, r.home, r.partition))
	case partitionOf(a.region) != a.partition:
		return "", localError(op, name, "PartitionMismatch", fmt.Errorf(
			"%w: the ARN names partition %s, its region %s is in partition %s", ErrPartitionMismatch, a.partition, a.region, partitionOf(a.region)))
	case a.region == r.home:
		return r.home, nil
	}
	if err := checkRegion(a.partition, a.region); err != nil {
		return "", localError(op, name, "UnknownRegion", err)
	}
	return a.region, nil
}

// regionPatterns are the partitions' region name patterns, as AWS's
// endpoint rules state them.
var regionPatterns = map[string]*regexp.Regexp{
	"aws":        regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`),
	"aws-cn":     regexp.MustCompile(`^cn-\w+-\d+$`),
	"aws-us-gov": regexp.MustCompile(`^us-gov-\w+-\d+$`),
	"aws-iso":    regexp.MustCompile(`^us-iso-\w+-\d+$`),
	"aws-iso-b":  regexp.MustCompile(`^us-isob-\w+-\d+$`),
	"aws-iso-e":  regexp.MustCompile(`^eu-isoe-\w+-\d+$`),
	"aws-iso-f":  regexp.MustCompile(`^us-isof-\w+-\d+$`),
	"aws-eusc":   regexp.MustCompile(`^eusc-(de)-\w+-\d+$`),
}

// checkRegion reports, with an error wrapping [ErrUnknownRegion], a region
// that does not have the form of partition's regions.
func checkRegion(partition, region string) error {
	re := regionPatterns[partition]
	if re == nil || !re.MatchString(region) {
		pat := "none known"
		if re != nil {
			pat = re.String()
		}
		return fmt.Errorf("%w: %q is not a region name of partition %s (pattern %s)", ErrUnknownRegion, region, partition, pat)
	}
	return nil
}

// CheckRegion reports whether region can be a region of the partition of
// home: its name has the form of that partition's regions (for aws,
// us-east-1 or eu-central-2; not zz-fake-0). The error wraps
// [ErrUnknownRegion] or [ErrPartitionMismatch] and names the rule. It does
// not say whether the region exists or is enabled for an account.
func CheckRegion(home, region string) error {
	p := partitionOf(home)
	if partitionOf(region) != p {
		return fmt.Errorf("%w: region %s is in partition %s, %s in partition %s", ErrPartitionMismatch, region, partitionOf(region), home, p)
	}
	return checkRegion(p, region)
}

// use returns the client set of (role, region) and a function the caller
// calls with the call's error. A set not kept yet is made now (no I/O) and
// kept by done only if the call reached an endpoint: a region that does
// not exist, or a role that cannot be assumed, takes no place.
func (r *router) use(role, region string) (set *clientSet, done func(error)) {
	if role == "" && region == r.home {
		return r.homeSet, func(error) {}
	}
	k := setKey{role, region}
	r.mu.Lock()
	r.tick++
	if s, ok := r.sets[k]; ok {
		s.used = r.tick
		r.mu.Unlock()
		return s, func(error) {}
	}
	creds := r.credsLocked(role)
	r.mu.Unlock()
	s := r.build(role, region, creds)
	return s, func(err error) {
		if reachedEndpoint(err) {
			r.keep(k, s)
		}
	}
}

// credsLocked returns the credentials of role to make a new set with: a
// kept set's of the same role (a role's credentials serve every region),
// else the pending ones, else new ones, made pending. Nil without a role.
func (r *router) credsLocked(role string) aws.CredentialsProvider {
	if role == "" {
		return nil
	}
	for sk, s := range r.sets {
		if sk.role == role {
			return s.creds
		}
	}
	if c, ok := r.pending[role]; ok {
		return c
	}
	if len(r.pending) >= r.maxRoles {
		for k := range r.pending {
			delete(r.pending, k)
			break
		}
	}
	c := r.roleCredentials(role)
	r.pending[role] = c
	return c
}

// build makes the clients of (role, region): no I/O. With a role, their
// credentials are creds, the role's assumed through STS and cached
// (refreshed before they expire; see credsLocked).
func (r *router) build(role, region string, creds aws.CredentialsProvider) *clientSet {
	cfg := r.cfg
	if role != "" {
		cfg.Credentials = creds
	}
	in := func(o *ssm.Options) { o.Region = region }
	inSM := func(o *secretsmanager.Options) { o.Region = region }
	return &clientSet{creds: creds,
		ssm: ssm.NewFromConfig(cfg, append(r.ssmOpts, in)...),
		sm:  secretsmanager.NewFromConfig(cfg, append(r.smOpts, inSM)...)}
}

// keep stores s under k unless a set is there already, dropping the sets
// of the least recently used role or region first when k's role or region
// would be one too many.
func (r *router) keep(k setKey, s *clientSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, k.role)
	if _, ok := r.sets[k]; ok {
		return
	}
	r.tick++
	s.used = r.tick
	if k.role != "" {
		r.makeRoom(k.role, r.maxRoles, func(sk setKey) string { return sk.role })
	}
	if k.region != r.home {
		r.makeRoom(k.region, r.max, func(sk setKey) string {
			if sk.region == r.home {
				return ""
			}
			return sk.region
		})
	}
	r.sets[k] = s
}

// makeRoom drops every set of the least recently used value of dim (a
// role, a region; "" is not counted) when v is new and the sets already
// hold max values. Called with r.mu held; it scans the sets, at most
// (maxRoles+1)×(max+1), on the first use of a role or region only.
func (r *router) makeRoom(v string, max int, dim func(setKey) string) {
	last := map[string]uint64{}
	for sk, s := range r.sets {
		if d := dim(sk); d != "" {
			last[d] = max64(last[d], s.used)
		}
	}
	if _, ok := last[v]; ok || len(last) < max {
		return
	}
	victim, oldest := "", ^uint64(0)
	for d, u := range last {
		if u < oldest {
			victim, oldest = d, u
		}
	}
	for sk := range r.sets {
		if dim(sk) == victim {
			delete(r.sets, sk)
		}
	}
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// reachedEndpoint reports whether a call that returned err reached an
// endpoint: it succeeded, or an HTTP answer came back. A role that could
// not be assumed did not reach the service's endpoint, whatever STS said.
func reachedEndpoint(err error) bool {
	if err == nil {
		return true
	}
	var re *roleError
	if errors.As(err, &re) {
		return false
	}
	var resp *smithyhttp.ResponseError
	// The SDK puts an empty response (status 0) in the errors of calls
	// that got none.
	return errors.As(err, &resp) && resp.Response != nil && resp.Response.Response != nil && resp.HTTPStatusCode() != 0
}

// kept reports the client sets kept: for tests.
func (r *router) kept() []setKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []setKey
	for k := range r.sets {
		ks = append(ks, k)
	}
	return ks
}

// localError is the error of a read refused before any upstream call: an
// [*Error] of Kind [ErrInvalid], marked Local, whose Message states the
// rule.
func localError(op, name, code string, cause error) error {
	return &Error{Op: op, Name: name, Code: code, Message: cause.Error(), Kind: ErrInvalid, Local: true, Err: cause}
}

// routed is implemented by the fields of the Clients of [New]: they route
// by role and region through their router.
type routed interface{ router() *router }

// routerOf returns the router behind a field of Clients, or nil.
func routerOf(v any) *router {
	if rt, ok := v.(routed); ok {
		return rt.router()
	}
	return nil
}

// routeClients returns the Clients of New.
func routeClients(cfg aws.Config, o *options, s *ssm.Client, sm *secretsmanager.Client) Clients {
	r := newRouter(cfg, o, s, sm)
	sr := ssmRoutes{r}
	mr := secretRoutes{r}
	return Clients{Parameter: sr, Parameters: sr, ParametersByPath: sr, Secret: mr, SecretBatch: mr, SecretList: mr, Describe: mr}
}

// call runs one call through the client set of (the role in ctx, the
// region name names) and keeps the set if the call reached an endpoint.
func call[O any](ctx context.Context, r *router, op, name, region string, do func(*clientSet) (O, error)) (O, error) {
	role := RoleFrom(ctx)
	if role != "" {
		if err := r.checkRole(op, name, role); err != nil {
			var zero O
			return zero, err
		}
	}
	set, done := r.use(role, region)
	out, err := do(set)
	done(err)
	if err != nil {
		err = classifyRole(op, name, err)
	}
	return out, err
}

// ssmRoutes is the SSM side of the Clients of New.
type ssmRoutes struct{ r *router }

func (s ssmRoutes) router() *router { return s.r }

// GetParameter sends in to the clients of the role in ctx and of the
// region in.Name names.
func (s ssmRoutes) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.ssm.GetParameter(ctx, in, optFns...)
	}
	const op = "GetParameter"
	name := aws.ToString(in.Name)
	a, ok, err := parameterARN(name)
	region, err := s.r.regionFor(op, name, a, ok, err)
	if err != nil {
		return nil, err
	}
	return call(ctx, s.r, op, name, region, func(c *clientSet) (*ssm.GetParameterOutput, error) {
		return c.ssm.GetParameter(ctx, in, optFns...)
	})
}

// GetParameters sends in to the clients of the role in ctx and of the one
// region its names name. Names of several regions are refused: use
// [Clients.ReadParameters], which makes one call per region.
func (s ssmRoutes) GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.ssm.GetParameters(ctx, in, optFns...)
	}
	const op = "GetParameters"
	region, err := oneRegion(s.r, op, in.Names, parameterARN)
	if err != nil {
		return nil, err
	}
	return call(ctx, s.r, op, strings.Join(in.Names, ","), region, func(c *clientSet) (*ssm.GetParametersOutput, error) {
		return c.ssm.GetParameters(ctx, in, optFns...)
	})
}

// GetParametersByPath sends in to the home region's clients of the role in
// ctx: a path names no region.
func (s ssmRoutes) GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.ssm.GetParametersByPath(ctx, in, optFns...)
	}
	return call(ctx, s.r, "GetParametersByPath", aws.ToString(in.Path), s.r.home, func(c *clientSet) (*ssm.GetParametersByPathOutput, error) {
		return c.ssm.GetParametersByPath(ctx, in, optFns...)
	})
}

// oneRegion returns the region every name goes to, or a local error when
// they go to several.
func oneRegion(r *router, op string, names []string, parse func(string) (arn, bool, error)) (string, error) {
	regions := make([]string, len(names))
	for i, n := range names { // a name refused is named first
		a, ok, err := parse(n)
		g, err := r.regionFor(op, n, a, ok, err)
		if err != nil {
			return "", err
		}
		regions[i] = g
	}
	for _, g := range regions {
		if g != regions[0] {
			return "", localError(op, strings.Join(names, ","), "SeveralRegions", fmt.Errorf(
				"%w: the names are in regions %s and %s; one call reaches one region (source.Clients.ReadParameters and ReadSecrets split by region)",
				ErrSeveralRegions, regions[0], g))
		}
	}
	if len(regions) == 0 {
		return r.home, nil
	}
	return regions[0], nil
}

// secretRoutes is the Secrets Manager side of the Clients of New.
type secretRoutes struct{ r *router }

func (s secretRoutes) router() *router { return s.r }

// GetSecretValue sends in to the clients of the role in ctx and of the
// region in.SecretId names; with [WithFailover] in ctx, a transient failure
// there is followed by reads of the replicas (see failover.go).
func (s secretRoutes) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.sm.GetSecretValue(ctx, in, optFns...)
	}
	const op = "GetSecretValue"
	id := aws.ToString(in.SecretId)
	a, ok, err := secretARN(id)
	region, err := s.r.regionFor(op, id, a, ok, err)
	if err != nil {
		return nil, err
	}
	return failover(ctx, s.r, op, id, region, func(ctx context.Context, region string) (*secretsmanager.GetSecretValueOutput, error) {
		sub := *in
		sub.SecretId = aws.String(inRegion(id, region))
		out, err := call(ctx, s.r, op, id, region, func(c *clientSet) (*secretsmanager.GetSecretValueOutput, error) {
			return c.sm.GetSecretValue(ctx, &sub, optFns...)
		})
		if out != nil {
			setServed(&out.ResultMetadata, Served{Region: region})
		}
		return out, err
	}, markSecret)
}

// BatchGetSecretValue sends in to the clients of the role in ctx and of the
// one region its ids name (a call with Filters: the home region). Ids of
// several regions are refused: use [Clients.ReadSecrets].
func (s secretRoutes) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.sm.BatchGetSecretValue(ctx, in, optFns...)
	}
	const op = "BatchGetSecretValue"
	region, err := oneRegion(s.r, op, in.SecretIdList, secretARN)
	if err != nil {
		return nil, err
	}
	return call(ctx, s.r, op, strings.Join(in.SecretIdList, ","), region, func(c *clientSet) (*secretsmanager.BatchGetSecretValueOutput, error) {
		return c.sm.BatchGetSecretValue(ctx, in, optFns...)
	})
}

// DescribeSecret sends in to the clients of the role in ctx and of the
// region in.SecretId names.
func (s secretRoutes) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.sm.DescribeSecret(ctx, in, optFns...)
	}
	const op = "DescribeSecret"
	id := aws.ToString(in.SecretId)
	a, ok, err := secretARN(id)
	region, err := s.r.regionFor(op, id, a, ok, err)
	if err != nil {
		return nil, err
	}
	return call(ctx, s.r, op, id, region, func(c *clientSet) (*secretsmanager.DescribeSecretOutput, error) {
		return c.sm.DescribeSecret(ctx, in, optFns...)
	})
}

// ListSecrets sends in to the home region's clients of the role in ctx.
func (s secretRoutes) ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	if in == nil { // the SDK's own error
		return s.r.homeSet.sm.ListSecrets(ctx, in, optFns...)
	}
	return call(ctx, s.r, "ListSecrets", "", s.r.home, func(c *clientSet) (*secretsmanager.ListSecretsOutput, error) {
		return c.sm.ListSecrets(ctx, in, optFns...)
	})
}
