package sdkcache

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/parsec-go/parsec/cache"
)

// mw is the middleware: it answers the reads it models from c and passes
// everything else to the rest of the stack unchanged.
type mw struct {
	c      *cache.Cache
	region string    // the Region of the cache's own clients
	rot    rotations // secrets whose RotateSecret has not yet shown its new version
}

// ID returns [MiddlewareID].
func (*mw) ID() string { return MiddlewareID }

// HandleInitialize runs at the end of the Initialize step, after the SDK
// validated the input and before it serializes anything: an answer from
// memory skips the request, the signature and the network.
func (m *mw) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if params, secrets, ok := written(in.Parameters); ok {
		// Before the Region check: a write by ARN through a client of
		// another Region may change a value the cache holds (a read by that
		// ARN), and invalidation is by canonical name.
		return m.write(ctx, in, next, params, secrets)
	}
	if awsmiddleware.GetRegion(ctx) != m.region {
		return next.HandleInitialize(ctx, in) // another Region: not what the cache holds
	}
	var (
		out any
		ok  bool
		err error
	)
	switch p := in.Parameters.(type) {
	case *ssm.GetParameterInput:
		out, ok, err = m.getParameter(ctx, p)
	case *ssm.GetParametersInput:
		out, ok, err = m.getParameters(ctx, p)
	case *ssm.GetParametersByPathInput:
		out, ok, err = m.getParametersByPath(ctx, p)
	case *secretsmanager.GetSecretValueInput:
		out, ok, err = m.getSecretValue(ctx, p)
	case *secretsmanager.BatchGetSecretValueInput:
		out, ok, err = m.batchGetSecretValue(ctx, p)
	default:
		return next.HandleInitialize(ctx, in)
	}
	if !ok {
		return next.HandleInitialize(ctx, in)
	}
	if err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, nil
}

// written returns the names a write changes, or ok false when in is not a
// write the cache cares about: the parameter names and secret ids an
// operation that changes a value the cache may hold (or, for CreateSecret
// and RestoreSecret, a not-found it may remember) names in its input.
func written(in any) (params, secrets []string, ok bool) {
	switch p := in.(type) {
	case *ssm.PutParameterInput:
		return []string{deref(p.Name)}, nil, true
	case *ssm.DeleteParameterInput:
		return []string{deref(p.Name)}, nil, true
	case *ssm.DeleteParametersInput:
		return p.Names, nil, true
	case *ssm.LabelParameterVersionInput:
		return []string{deref(p.Name)}, nil, true
	case *ssm.UnlabelParameterVersionInput:
		return []string{deref(p.Name)}, nil, true
	case *secretsmanager.PutSecretValueInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.UpdateSecretInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.UpdateSecretVersionStageInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.DeleteSecretInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.RotateSecretInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.RestoreSecretInput:
		return nil, []string{deref(p.SecretId)}, true
	case *secretsmanager.CreateSecretInput:
		return nil, []string{deref(p.Name)}, true
	}
	return nil, nil, false
}

// writtenSecret returns the name and ARN a successful secret write's output
// names: a write by one form of an id also reaches the reads by another
// (a name and a partial ARN, say) that the id's own form cannot tell.
func writtenSecret(out any) []string {
	var name, arn *string
	switch o := out.(type) {
	case *secretsmanager.PutSecretValueOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.UpdateSecretOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.UpdateSecretVersionStageOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.DeleteSecretOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.RotateSecretOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.RestoreSecretOutput:
		name, arn = o.Name, o.ARN
	case *secretsmanager.CreateSecretOutput:
		name, arn = o.Name, o.ARN
	}
	var ids []string
	for _, s := range []*string{name, arn} {
		if s != nil && *s != "" {
			ids = append(ids, *s)
		}
	}
	return ids
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// write passes a write upstream and then, whatever the outcome, invalidates
// every cached answer for the names it changes (cache.Cache.InvalidateParameter
// and InvalidateSecret): each version, label and WithDecryption of a
// parameter, its ARN, the listings of the paths above it; each version and
// stage of a secret, its name and ARNs, its reads through
// /aws/reference/secretsmanager/. Other names stay cached. It invalidates
// after a client error too: the SDK retries a write whose answer was lost,
// and the retry of a write that was applied fails with a client error
// (DeleteParameter: ParameterNotFound; DeleteSecret:
// InvalidRequestException; PutParameter without Overwrite:
// ParameterAlreadyExists) although the value changed; the middleware sees
// only the last attempt's outcome. A write that changed nothing costs one
// reload of its names. It does so in every Region (the names are
// canonical: a write by ARN through a client of another Region reaches the
// cached read by that ARN).
//
// A read that starts after the write returns sees the write: it does not
// join a load that started before, and what such a load fetched is not
// stored (the goroutine that started it gets it, as it asked before the
// write).
func (m *mw) write(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler, params, secrets []string) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	if err == nil {
		secrets = append(secrets, writtenSecret(out.Result)...)
	}
	for _, name := range params {
		if name != "" {
			m.c.InvalidateParameter(cache.ParameterRequest{Name: name})
		}
	}
	for _, id := range secrets {
		if id != "" {
			m.c.InvalidateSecret(cache.SecretRequest{SecretID: id})
		}
	}
	if err == nil && awsmiddleware.GetRegion(ctx) == m.region {
		m.rotating(in.Parameters, out.Result)
	}
	return out, md, err
}

// answered tells what to do with a cache read's error: pass the call
// upstream (ok false: the cache cannot answer it: an input it rejects, a
// closed cache, a missing upstream operation), or return the error as the
// SDK would have.
func answered(err error) (ok bool, _ error) {
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, cache.ErrInvalidRequest), errors.Is(err, cache.ErrClosed), errors.Is(err, cache.ErrNoSource):
		return false, nil
	}
	return true, sdkError(err)
}

// sdkError turns a cache error into what the middleware returns. The
// client wraps the middleware's error in a *smithy.OperationError of its
// own; when the cache's error came from such a call, the middleware
// returns what that OperationError wrapped, so the caller gets the
// SDK's error chain and message exactly (errors.As finds
// *smithy.OperationError, *smithyhttp.ResponseError and the typed service
// error), and errors.Is still matches parsec's kinds (cache.ErrNotFound, …).
func sdkError(err error) error {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) || oe.Err == nil {
		return err
	}
	return &readError{sdk: oe.Err, cause: err}
}

// readError is a cache read's error as the middleware returns it: the
// SDK's message, and both chains.
type readError struct {
	sdk   error // what the upstream *smithy.OperationError wrapped
	cause error // the cache's error, which wraps that OperationError
}

// Error returns the SDK's message, which names the operation's failure and
// AWS's error code, never a value.
func (e *readError) Error() string { return e.sdk.Error() }

// Unwrap returns the SDK's error and the cache's.
func (e *readError) Unwrap() []error { return []error{e.sdk, e.cause} }
