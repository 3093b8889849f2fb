package sdkcache

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go/middleware"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// MiddlewareID is the ID of parsec's middleware in the Initialize step of
// every SSM and Secrets Manager operation's stack. Removing it from a stack
// (as [BypassSSM] does) sends that call upstream unchanged.
const MiddlewareID = "parsec.Cache"

// Install makes every SSM and Secrets Manager client built from *cfg after
// the call answer its reads from one parsec cache, and returns that cache.
// The cache reads upstream through clients built from a copy of *cfg as it
// was before the call (see [Source]), so its own calls never come back
// through the middleware. opts configure the cache as for cache.New; with
// none it has parsec's defaults (the extension's: 300 s TTL, 1000 entries).
// Install does no I/O. Clients built from *cfg before the call are not
// affected. The caller should Close the cache when done; clients keep
// working after that, every call going upstream.
func Install(cfg *aws.Config, opts ...cache.Option) (*cache.Cache, error) {
	c, err := cache.New(Source(*cfg), opts...)
	if err != nil {
		return nil, err
	}
	Attach(cfg, c)
	return c, nil
}

// Attach adds to cfg.APIOptions the middleware that answers reads from c,
// for clients in cfg.Region. It is Install for a cache the caller built:
// c must read upstream through [Source] (or through clients that do not
// carry this middleware), or each miss would wait on itself until the
// cache's load timeout. Attaching a second cache to the same config
// replaces the first for the clients built afterwards.
func Attach(cfg *aws.Config, c *cache.Cache) {
	m := &mw{c: c, region: cfg.Region}
	// Clip, so that appending never writes into a backing array that a
	// copy of cfg made earlier (Install's Source) shares.
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), m.add)
}

// Source returns source.New(cfg, opts...) with parsec's middleware removed
// from every call its clients make: the upstream a cache must read through
// when [Attach] installs the middleware into cfg, before or after Source
// is called.
func Source(cfg aws.Config, opts ...source.Option) source.Clients {
	opts = append(slices.Clip(opts), source.WithSSMOptions(BypassSSM), source.WithSecretsManagerOptions(BypassSecretsManager))
	return source.New(cfg, opts...)
}

// BypassSSM is a per-call (or per-client) option that sends an SSM call
// upstream without the cache, for example
// client.GetParameter(ctx, in, sdkcache.BypassSSM). The middleware cannot
// see other per-call options: pass BypassSSM with one that changes the
// endpoint or the credentials. A call in another Region than the one the
// cache was installed for bypasses it without this option.
func BypassSSM(o *ssm.Options) { o.APIOptions = append(o.APIOptions, remove) }

// BypassSecretsManager is [BypassSSM] for Secrets Manager calls.
func BypassSecretsManager(o *secretsmanager.Options) { o.APIOptions = append(o.APIOptions, remove) }

func remove(s *middleware.Stack) error {
	_, _ = s.Initialize.Remove(MiddlewareID) // absent: nothing to bypass
	return nil
}

// add puts m in s, replacing a parsec middleware attached earlier: the last
// Attach to a config answers.
func (m *mw) add(s *middleware.Stack) error {
	_, _ = s.Initialize.Remove(MiddlewareID)
	return s.Initialize.Add(m, middleware.After) // m itself: no allocation per call
}
