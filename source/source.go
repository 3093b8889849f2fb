package source

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// ParameterGetter reads one parameter. *ssm.Client satisfies it.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ParametersGetter reads up to ten parameters in one call. *ssm.Client
// satisfies it.
type ParametersGetter interface {
	GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// ParametersByPathGetter reads one page of the parameters under a path.
// *ssm.Client satisfies it.
type ParametersByPathGetter interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// SecretGetter reads one secret value. *secretsmanager.Client satisfies it.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretBatchGetter reads several secret values in one call.
// *secretsmanager.Client satisfies it.
type SecretBatchGetter interface {
	BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

// ParameterGetterFunc adapts a function to [ParameterGetter].
type ParameterGetterFunc func(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)

// GetParameter calls f.
func (f ParameterGetterFunc) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return f(ctx, in, optFns...)
}

// ParametersGetterFunc adapts a function to [ParametersGetter].
type ParametersGetterFunc func(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)

// GetParameters calls f.
func (f ParametersGetterFunc) GetParameters(ctx context.Context, in *ssm.GetParametersInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersOutput, error) {
	return f(ctx, in, optFns...)
}

// ParametersByPathGetterFunc adapts a function to [ParametersByPathGetter].
type ParametersByPathGetterFunc func(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)

// GetParametersByPath calls f.
func (f ParametersByPathGetterFunc) GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error) {
	return f(ctx, in, optFns...)
}

// SecretGetterFunc adapts a function to [SecretGetter].
type SecretGetterFunc func(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)

// GetSecretValue calls f.
func (f SecretGetterFunc) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return f(ctx, in, optFns...)
}

// SecretBatchGetterFunc adapts a function to [SecretBatchGetter].
type SecretBatchGetterFunc func(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)

// BatchGetSecretValue calls f.
func (f SecretBatchGetterFunc) BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error) {
	return f(ctx, in, optFns...)
}

// Clients holds the upstream operations parsec calls. A nil field means the
// operation is not available: reads that need it fail with an error that
// names it, and batch reads fall back to single reads where they can.
// The zero value has no operations.
type Clients struct {
	Parameter        ParameterGetter        // SSM GetParameter
	Parameters       ParametersGetter       // SSM GetParameters (batch reads)
	ParametersByPath ParametersByPathGetter // SSM GetParametersByPath
	Secret           SecretGetter           // Secrets Manager GetSecretValue
	SecretBatch      SecretBatchGetter      // Secrets Manager BatchGetSecretValue
	Describe         SecretDescriber        // Secrets Manager DescribeSecret (rotation-aware expiry; describe.go)
}

// Option configures [New].
type Option func(*options)

type options struct {
	maxConns int
	ssmOpts  []func(*ssm.Options)
	smOpts   []func(*secretsmanager.Options)
	regions  regionOptions // routing by ARN region: region.go
}

// WithMaxConnections limits the number of HTTP connections each AWS client
// opens to its service: the meaning of the extension's
// PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS. Zero or a negative n keeps
// the aws.Config's HTTP client unchanged (the SDK's default has no limit).
func WithMaxConnections(n int) Option {
	return func(o *options) { o.maxConns = n }
}

// WithSSMOptions passes option functions to ssm.NewFromConfig, for example to
// set BaseEndpoint.
func WithSSMOptions(fns ...func(*ssm.Options)) Option {
	return func(o *options) { o.ssmOpts = append(o.ssmOpts, fns...) }
}

// WithSecretsManagerOptions passes option functions to
// secretsmanager.NewFromConfig.
func WithSecretsManagerOptions(fns ...func(*secretsmanager.Options)) Option {
	return func(o *options) { o.smOpts = append(o.smOpts, fns...) }
}

// New returns the SSM and Secrets Manager clients built from cfg, with every
// field of [Clients] set. It does no I/O: credentials and endpoints are
// resolved on the first call. The endpoint follows the SDK's own
// configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, or BaseEndpoint in the option functions).
//
// Reads are routed by region (see [WithRegionRouting], [WithMaxRegions]): a
// parameter ARN, a secret ARN, or a reference
// /aws/reference/secretsmanager/ARN that names another region than the
// config's goes to clients of that region, made on first use from cfg with
// the same credentials, retryer, HTTP client (and connection limit) and
// option functions, the region being the only difference; batch reads are
// split by region and their answers merged in request order. With a custom
// endpoint (BaseEndpoint, AWS_ENDPOINT_URL) every region goes to that
// endpoint, signed for its own region; an EndpointResolverV2 in the option
// functions sees each region and may send it elsewhere. A malformed ARN, an
// ARN of another partition, or one region too many is refused locally with
// an [*Error] of Kind [ErrInvalid].
func New(cfg aws.Config, opts ...Option) Clients {
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	if o.maxConns > 0 {
		n := o.maxConns
		cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxConnsPerHost = n
			if t.MaxIdleConnsPerHost < n {
				t.MaxIdleConnsPerHost = n
			}
		})
	}
	s := ssm.NewFromConfig(cfg, o.ssmOpts...)
	sm := secretsmanager.NewFromConfig(cfg, o.smOpts...)
	// Reads by ARN of another region go to that region's clients, made
	// from the same cfg and option functions (region.go).
	return routeRegions(cfg, &o, s, sm)
}
