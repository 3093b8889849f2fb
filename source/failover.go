package source

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go/middleware"
)

// Failover says where a secret read may go when its own region fails: the
// replica regions of Secrets Manager's replication, in order.
type Failover struct {
	// Regions are tried in order after the primary region's call failed
	// transiently; the primary region itself, and any region repeated, is
	// skipped. Each must be a region of the config's partition; one that
	// is not is skipped and named in the error.
	Regions []string
	// Timeout bounds each call, the primary's and each replica's, within
	// the context's own deadline; zero: only the context's deadline.
	Timeout time.Duration
}

type failoverKey struct{}

// WithFailover returns a context under which a secret read of the Clients
// of [New] ([Clients.ReadSecret], [Clients.ReadSecrets], and their
// GetSecretValue) that fails transiently in its region (throttled,
// unavailable: 5xx, a timeout, a refused or broken connection) reads the
// secret from f.Regions, in order, until one answers, within ctx's
// deadline: the primary region is the region of the secret's ARN, or the
// config's for a name; a replica is read by the same name, or by the ARN
// with the replica's region, through the same role ([WithRole]). A
// not-found, access-denied or invalid answer never fails over, nor does a
// role that cannot be assumed. The answer says which region served it
// ([ServedBy]). When every region fails, the error is the primary's, with
// each replica's failure added to its message.
//
// Parameters have no replicas: parameter reads ignore f. Clients not made
// by [New] ignore it too. The caller decides whether to fail over at all:
// the cache sets it only when it has no stale value to serve.
func WithFailover(ctx context.Context, f Failover) context.Context {
	return context.WithValue(ctx, failoverKey{}, f)
}

// FailoverFrom returns the [Failover] of [WithFailover] in ctx, or the zero
// Failover.
func FailoverFrom(ctx context.Context) Failover {
	f, _ := ctx.Value(failoverKey{}).(Failover)
	return f
}

// Served is where an answer came from.
type Served struct {
	Region  string // the region whose endpoint answered
	Primary string // with Failover, the region that failed first
	Cause   error  // with Failover, the primary region's error
}

// Failover reports whether a replica served the answer.
func (s Served) Failover() bool { return s.Primary != "" }

type servedKey struct{}

func setServed(md *middleware.Metadata, s Served) { md.Set(servedKey{}, s) }

// ServedBy returns where a secret answer of the Clients of [New] came from:
// the region that answered and, after a failover, the primary region and
// its error. For an answer of other clients, Region is the region of its
// ARN ("" when it has none).
func ServedBy(out *secretsmanager.GetSecretValueOutput) Served {
	if out == nil {
		return Served{}
	}
	if s, ok := out.ResultMetadata.Get(servedKey{}).(Served); ok {
		return s
	}
	if a, ok, err := secretARN(deref(out.ARN)); ok && err == nil {
		return Served{Region: a.region}
	}
	return Served{}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// failover calls read in the primary region and, when the context asks for
// it and the call failed transiently, in each replica region in turn; see
// [WithFailover]. read gets a context bounded by the Failover's Timeout.
// mark records on the answer of a replica that it served after primary
// failed with cause.
func failover[O any](ctx context.Context, r *router, op, name, primary string, read func(ctx context.Context, region string) (O, error), mark func(o O, primary string, cause error)) (O, error) {
	f := FailoverFrom(ctx)
	attempt := func(region string) (O, error) {
		actx := ctx
		if f.Timeout > 0 {
			var cancel context.CancelFunc
			actx, cancel = context.WithTimeout(ctx, f.Timeout)
			defer cancel()
		}
		return read(actx, region)
	}
	out, err := attempt(primary)
	if err == nil || len(f.Regions) == 0 || !failsOver(err) {
		return out, err
	}
	var tried []error
	seen := map[string]bool{primary: true}
	for _, region := range f.Regions {
		if seen[region] {
			continue
		}
		seen[region] = true
		if ctx.Err() != nil {
			break
		}
		if e := CheckRegion(r.home, region); e != nil {
			tried = append(tried, localError(op, name, "UnknownRegion", e))
			continue
		}
		o, e := attempt(region)
		if e == nil {
			mark(o, primary, err)
			return o, nil
		}
		tried = append(tried, &regionFailure{region: region, err: e})
	}
	return out, withReplicaErrors(err, tried)
}

// markSecret records on a secret answer that a replica served it.
func markSecret(o *secretsmanager.GetSecretValueOutput, primary string, cause error) {
	s := ServedBy(o)
	s.Primary, s.Cause = primary, cause
	setServed(&o.ResultMetadata, s)
}

// failsOver reports whether a primary's error lets a read try a replica:
// throttling or unavailability, not a role that cannot be assumed, not the
// caller's own cancellation.
func failsOver(err error) bool {
	var re *roleError
	if errors.As(err, &re) || errors.Is(err, context.Canceled) {
		return false
	}
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrUnavailable)
}

// inRegion returns a secret id for a read in region: a name as it is, an
// ARN (full or partial) with region in place of its own.
func inRegion(id, region string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	// arn:PARTITION:secretsmanager:REGION:…
	i := strings.IndexByte(id, ':') + 1
	i += strings.IndexByte(id[i:], ':') + 1
	i += strings.IndexByte(id[i:], ':') + 1
	j := strings.IndexByte(id[i:], ':')
	if j < 0 {
		return id
	}
	return id[:i] + region + id[i+j:]
}

// regionFailure is a replica region's failure during a failover.
type regionFailure struct {
	region string
	err    error
}

func (e *regionFailure) Error() string { return e.region + ": " + e.err.Error() }
func (e *regionFailure) Unwrap() error { return e.err }

// withReplicaErrors adds the replicas' failures to the primary's error:
// the result is still the primary's [*Error] (its Kind, its cause), its
// message naming each replica region tried and what it said.
func withReplicaErrors(primary error, tried []error) error {
	var e *Error
	if len(tried) == 0 || !errors.As(primary, &e) {
		return primary
	}
	c := *e
	var b strings.Builder
	b.WriteString(c.Message)
	b.WriteString("; failover:")
	for _, t := range tried {
		b.WriteString(" ")
		b.WriteString(t.Error())
		b.WriteString(";")
	}
	c.Message = strings.TrimSuffix(b.String(), ";")
	return &c
}
