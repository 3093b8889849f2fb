package sdkcache

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/cache"
)

// mw is the middleware: it answers the reads it models from c and passes
// everything else to the rest of the stack unchanged.
type mw struct {
	c      *cache.Cache
	region string // the Region of the cache's own clients
}

// ID returns [MiddlewareID].
func (*mw) ID() string { return MiddlewareID }

// HandleInitialize runs at the end of the Initialize step, after the SDK
// validated the input and before it serializes anything: an answer from
// memory skips the request, the signature and the network.
func (m *mw) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
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
		if isWrite(in.Parameters) {
			return m.write(ctx, in, next)
		}
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

// isWrite reports whether in is the input of an operation that changes a
// value the cache may hold (or, for CreateSecret and RestoreSecret, a
// not-found it may remember).
func isWrite(in any) bool {
	switch in.(type) {
	case *ssm.PutParameterInput, *ssm.DeleteParameterInput, *ssm.DeleteParametersInput,
		*ssm.LabelParameterVersionInput, *ssm.UnlabelParameterVersionInput,
		*secretsmanager.PutSecretValueInput, *secretsmanager.UpdateSecretInput,
		*secretsmanager.UpdateSecretVersionStageInput, *secretsmanager.DeleteSecretInput,
		*secretsmanager.RotateSecretInput, *secretsmanager.RestoreSecretInput,
		*secretsmanager.CreateSecretInput:
		return true
	}
	return false
}

// write passes a write upstream and, unless the service refused it with a
// client error (so nothing changed), drops every cached answer: the next
// read of any name goes upstream, so the process reads its own write.
//
// Everything, not the written name only: a name is cached under keys the
// write does not spell (its ARN, selectors, labels, path listings,
// /aws/reference/secretsmanager/ names), and package cache has no
// invalidation by name yet. Writes are rare next to reads in a Lambda
// function; a process that writes often pays one upstream read per cached
// key after each write.
//
// A read whose upstream call started before the write and ends after it may
// still store the older value (cache.InvalidateParameter documents this):
//
//  1. goroutine A misses /p; its load asks SSM and gets v1
//  2. goroutine B writes v2 through the client; the cache is emptied
//  3. A's load stores v1
//  4. B reads /p and gets v1 until the TTL
//
// A read that starts after the write returns, with no such load in flight,
// always sees the write.
func (m *mw) write(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleInitialize(ctx, in)
	var re *smithyhttp.ResponseError
	if err == nil || !errors.As(err, &re) || re.HTTPStatusCode() >= 500 {
		// Succeeded, or failed in a way that may have changed the value
		// anyway (no answer, a timeout, a server error).
		m.c.InvalidateAll()
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
