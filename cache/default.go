package cache

import (
	"context"
	"fmt"
	"os"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/parsec-go/parsec/lambdaenv"
	"github.com/parsec-go/parsec/source"
)

// NewDefault returns a cache for the common case, in one call, as a Lambda
// function builds it at INIT (outside its handler):
//
//   - the AWS SDK's default configuration, config.LoadDefaultConfig(ctx)
//     (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, the credentials chain);
//   - the extension's environment variables, read once with os.Getenv by
//     lambdaenv.Parse and applied as [WithEnv] does, including PARAMETERS_SECRETS_EXTENSION_MAX_CONNECTIONS
//     as the limit of connections per AWS client
//     ([source.WithMaxConnections]);
//   - the cache's default logger: slog.Default(), at WARN and above or at
//     PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL ([WithLogger]);
//   - then opts, which win over all of the above.
//
// A variable that does not parse or is out of range fails it with an error
// naming the variable, the value and the allowed range. Like
// config.LoadDefaultConfig it reads the environment and the shared AWS
// configuration files but makes no network call: credentials are resolved
// on the first read. ctx bounds only that loading. Call [Cache.Close] when
// done. For anything else (clients of your own, another getenv, a fake in
// tests) use [New].
func NewDefault(ctx context.Context, opts ...Option) (*Cache, error) {
	env, err := lambdaenv.Parse(os.Getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("cache: the AWS SDK's default configuration: %w", err)
	}
	src := source.New(cfg, env.SourceOptions()...)
	return New(src, append([]Option{WithSettings(env)}, opts...)...)
}
