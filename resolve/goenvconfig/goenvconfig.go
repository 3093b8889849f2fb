// Package goenvconfig makes github.com/sethvargo/go-envconfig resolve
// parsec references (see package resolve): a variable that holds
// ssm:/app/db-host, secretsmanager:app/db#password or a {{resolve:…}}
// reference gives the struct field its value.
//
// Two ways, which combine:
//
//   - [Lookuper] resolves every reference among a list of variables first,
//     in batched reads (one GetParameters per ten parameters and region, one
//     BatchGetSecretValue per twenty secrets and region), and looks
//     variables up in the result: the fewest AWS calls, the way to use at
//     start-up.
//   - [Mutator] resolves each value as envconfig reads it, through the cache
//     (a hit when it is cached already): for a Lookuper of your own.
//     go-envconfig applies no mutator to a struct-typed field that decodes
//     itself, such as resolve.Secret: give those fields the Lookuper.
//
// It is a module of its own, so that parsec's root module does not depend
// on go-envconfig.
package goenvconfig

import (
	"context"

	"github.com/sethvargo/go-envconfig"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/resolve"
)

// Lookuper resolves the references among environ (KEY=VALUE entries, as
// os.Environ returns) with resolve.Env and returns an envconfig.Lookuper
// of the result, for envconfig.ProcessWith's Config.Lookuper. The error is
// resolve.Env's: every failure, each naming its variable and reference.
func Lookuper(ctx context.Context, c *cache.Cache, environ []string, opts ...resolve.Option) (envconfig.Lookuper, error) {
	env, err := resolve.Env(ctx, c, environ, opts...)
	if err != nil {
		return nil, err
	}
	return envconfig.MapLookuper(env), nil
}

// Mutator returns an envconfig.Mutator that resolves a value holding
// references with resolve.Value, through c, within the ctx envconfig
// passes (ProcessWith's). A value that is not a reference is passed on as
// it is. The error names the variable and the reference.
func Mutator(c *cache.Cache, opts ...resolve.Option) envconfig.Mutator {
	return envconfig.MutatorFunc(func(ctx context.Context, _, resolvedKey, _, value string) (string, bool, error) {
		v, err := resolve.Value(ctx, c, resolvedKey, value, opts...)
		return v, false, err
	})
}
