package resolve

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/parsec-go/parsec/cache"
)

// Option configures [Env] and [SetEnv].
type Option func(*options)

type options struct {
	arns bool
}

// WithARNs makes a bare parameter or secret ARN in an environment value a
// reference (arn:aws:ssm:…:parameter/…, and arn:aws:secretsmanager:…:secret:…
// with ECS's optional :json-key:version-stage:version-id). Without it
// (the default) such a value is left alone: a variable often holds an ARN
// for the program's own use (SECRET_ARN for a client that reads the secret
// itself), and replacing it with the secret's value would surprise that
// program and could log the value where it logs the ARN. Prefixed with
// ssm: or secretsmanager:, an ARN is always a reference.
func WithARNs() Option { return func(o *options) { o.arns = true } }

// Env resolves the references among environ, a list of KEY=VALUE entries
// such as os.Environ returns, and returns every entry as a map, the
// references replaced by what they name. A value that is not a reference
// is kept as it is (see [Parse] for what is one).
//
// The reads are batched and coalesced: every distinct parameter is read
// through one [cache.Cache.Parameters] call per region (GetParameters, ten
// names per call), every distinct secret through one
// [cache.Cache.Secrets] call per region (BatchGetSecretValue, twenty ids
// per call), all at once, each waiting within ctx; values already cached
// cost no call. Give ctx the deadline your start-up can afford.
//
// On any failure Env returns a nil map and every failure, joined
// (errors.Join): a [*SyntaxError] for a value that looks like a reference
// but does not parse, an [*Error] naming the variable, the reference and
// the cause (cache.ErrNotFound, [ErrNoKey], a ctx error, …) for one that
// could not be read. No error holds a value. A later entry for the same
// key wins, as in os/exec.
func Env(ctx context.Context, c *cache.Cache, environ []string, opts ...Option) (map[string]string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	env := make(map[string]string, len(environ))
	type ref struct {
		key string
		t   *Template
	}
	var (
		refs []ref
		errs []error
	)
	for _, kv := range environ {
		k, v, ok := cutEnv(kv)
		if !ok {
			continue
		}
		env[k] = v
		t, err := parse(k, v, o.arns)
		switch {
		case err != nil:
			errs = append(errs, err)
		case t != nil:
			refs = append(refs, ref{k, t})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var all []Reference
	for _, r := range refs {
		all = append(all, r.t.refs...)
	}
	got := fetch(ctx, c, all)
	n := 0
	for _, r := range refs {
		vals := make([]string, len(r.t.refs))
		for i, rr := range r.t.refs {
			res := got[n]
			n++
			if res.err != nil {
				errs = append(errs, &Error{Var: r.key, Ref: rr.Text, Err: res.err})
			}
			vals[i] = res.val
		}
		env[r.key] = r.t.expand(vals)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return env, nil
}

// cutEnv splits KEY=VALUE; a leading "=" belongs to the key (Windows keeps
// "=C:=C:\dir" entries).
func cutEnv(kv string) (k, v string, ok bool) {
	i := strings.IndexByte(kv[min(1, len(kv)):], '=')
	if i < 0 {
		return "", "", false
	}
	i += min(1, len(kv))
	return kv[:i], kv[i+1:], true
}

// SetEnv resolves the references among the process's environment
// (os.Environ) as [Env] does and sets each variable that held one to what
// it resolved to, with os.Setenv. If anything fails it sets nothing and
// returns every failure, joined. It is not safe to call while other
// goroutines read the environment.
func SetEnv(ctx context.Context, c *cache.Cache, opts ...Option) error {
	before := os.Environ()
	env, err := Env(ctx, c, before, opts...)
	if err != nil {
		return err
	}
	for _, kv := range before {
		k, v, ok := cutEnv(kv)
		if !ok || env[k] == v {
			continue
		}
		if err := os.Setenv(k, env[k]); err != nil {
			return err
		}
	}
	return nil
}

// Value resolves the references in one value, found in the variable or
// field name, as [Env] does for a list: the value itself when it holds no
// reference; a [*SyntaxError] or an [*Error] naming name otherwise.
func Value(ctx context.Context, c *cache.Cache, name, value string, opts ...Option) (string, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	t, err := parse(name, value, o.arns)
	if err != nil {
		return "", err
	}
	if t == nil {
		return value, nil
	}
	got := fetch(ctx, c, t.refs)
	vals := make([]string, len(got))
	var errs []error
	for i, res := range got {
		if res.err != nil {
			errs = append(errs, &Error{Var: name, Ref: t.refs[i].Text, Err: res.err})
		}
		vals[i] = res.val
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return t.expand(vals), nil
}
