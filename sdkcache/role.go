package sdkcache

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
)

// WithRole returns a context under which the reads the middleware answers
// go through the IAM role roleARN, as cache's RoleARN does: an entry of the
// role's own, the value read with the role's credentials (assumed with STS
// by the cache's source). It is how a call through an SDK client asks for
// a role; a call without it is left alone: answered with the entries of
// the installed configuration's own credentials. (A client built with a
// role's credentials does not ask by itself: the middleware cannot see a
// client's credentials; see the package doc.)
//
//	out, err := client.GetSecretValue(sdkcache.WithRole(ctx, "arn:aws:iam::222222222222:role/reader"), in)
//
// It is source.WithRole.
func WithRole(ctx context.Context, roleARN string) context.Context {
	return source.WithRole(ctx, roleARN)
}

// role is the role WithRole put in ctx, or "".
func role(ctx context.Context) string { return source.RoleFrom(ctx) }

// ErrRoleNotApplied is the error of a read asked through a role
// ([WithRole]) that the cache cannot answer (an input it does not model,
// another Region, a closed cache): sent on, the call would read with the
// client's own credentials, so it is refused instead.
var ErrRoleNotApplied = errors.New("sdkcache: a read through a role the cache cannot answer")

func roleNotApplied(role, why string) error {
	return fmt.Errorf("%w: role %s: %s, and the client would read with its own credentials", ErrRoleNotApplied, role, why)
}

// isRead reports whether in is the input of a read the middleware knows.
func isRead(in any) bool {
	switch in.(type) {
	case *ssm.GetParameterInput, *ssm.GetParametersInput, *ssm.GetParametersByPathInput,
		*secretsmanager.GetSecretValueInput, *secretsmanager.BatchGetSecretValueInput:
		return true
	}
	return false
}
