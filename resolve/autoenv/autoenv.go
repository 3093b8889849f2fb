// Package autoenv resolves the references in the process's environment
// when it is imported, before main runs, as berglas/auto does:
//
//	import _ "github.com/parsec-go/parsec/resolve/autoenv"
//
// Its init reads os.Environ, and when a value holds a reference (see
// package resolve: ssm:NAME, secretsmanager:ID#KEY, {{resolve:…}}; bare
// ARNs are left alone) it builds a cache with cache.NewDefault (the AWS
// SDK's default configuration and the extension's environment variables),
// resolves every reference with resolve.SetEnv in batched reads within
// [Timeout], sets each such variable to its value with os.Setenv, and
// closes the cache. With no reference in the environment it does nothing,
// and makes no call.
//
// It fails loudly: if anything cannot be resolved (a malformed reference,
// a missing parameter, secret or JSON key, access denied, the timeout),
// it prints every failure to standard error, each naming its variable and
// reference (never a value), and exits the process with status 1, so that
// a Lambda function's INIT, or a container, fails at once rather than
// running with a reference where a value should be. Code that must decide
// for itself calls resolve.SetEnv or resolve.Env instead.
//
// Importing a package for a side effect at init is this package's whole
// purpose; nothing else in parsec does I/O at init.
package autoenv

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/resolve"
)

// Timeout bounds the whole resolution at init, below Lambda's 10 s INIT
// limit.
const Timeout = 8 * time.Second

func init() {
	if err := run(os.Environ()); err != nil {
		report(os.Stderr, err)
		os.Exit(1)
	}
}

// run resolves the references in environ into the process's environment.
func run(environ []string) error {
	if !hasReference(environ) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c, err := cache.NewDefault(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return resolve.SetEnv(ctx, c)
}

// hasReference reports whether a value of environ is a reference, or looks
// like one (SetEnv then reports it).
func hasReference(environ []string) bool {
	for _, kv := range environ {
		for i := 1; i < len(kv); i++ {
			if kv[i] == '=' {
				if t, err := resolve.Parse(kv[:i], kv[i+1:]); err != nil || t != nil && !bareARN(kv[i+1:]) {
					return true
				}
				break
			}
		}
	}
	return false
}

// bareARN reports whether v starts with "arn:": resolve.SetEnv leaves such
// values alone (see resolve.WithARNs).
func bareARN(v string) bool { return len(v) >= 4 && v[:4] == "arn:" }

func report(w io.Writer, err error) {
	fmt.Fprintf(w, "parsec/resolve/autoenv: cannot resolve the environment's references, exiting:\n%v\n", err)
}
