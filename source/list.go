package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretLister lists secrets, one page a call. *secretsmanager.Client
// satisfies it.
type SecretLister interface {
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
}

// SecretListerFunc adapts a function to [SecretLister].
type SecretListerFunc func(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)

// ListSecrets calls f.
func (f SecretListerFunc) ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	return f(ctx, in, optFns...)
}

// SecretRef names a listed secret.
type SecretRef struct {
	Name string
	ARN  string
}

// listPageSize is the MaxResults of each ListSecrets page: AWS's largest.
const listPageSize = 100

// ListSecretsByTag lists, with ListSecrets and a tag-key filter, page by
// page, the secrets that carry at least one of tagKeys (Secrets Manager
// ORs the values of one filter), in the service's order, at most max of
// them (max ≤ 0: no bound but the page bound); more is true when the
// listing held more than max. Secrets scheduled for deletion are not
// listed. It gives up after 1000 pages. The error is an [*Error]; it wraps
// [ErrNoClient] when c.SecretList is nil, and a read with a role
// ([WithRole]) lists that role's account.
func (c Clients) ListSecretsByTag(ctx context.Context, tagKeys []string, max int) (refs []SecretRef, more bool, err error) {
	const op = "ListSecrets"
	name := "tag-key=" + strings.Join(tagKeys, ",")
	if c.SecretList == nil {
		return nil, false, fmt.Errorf("%s %q: %w", op, name, ErrNoClient)
	}
	if err := checkRouted(ctx, op, name, c.SecretList); err != nil {
		return nil, false, err
	}
	if len(tagKeys) == 0 {
		return nil, false, localError(op, name, "NoTagKeys", errors.New("at least one tag key is needed"))
	}
	in := &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(listPageSize),
		Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeTagKey, Values: tagKeys}}}
	for range maxPages {
		out, err := c.SecretList.ListSecrets(ctx, in)
		if err != nil {
			return nil, false, Classify(op, name, err)
		}
		if out == nil {
			return nil, false, emptyAnswer(op, name)
		}
		for _, s := range out.SecretList {
			if max > 0 && len(refs) == max {
				return refs, true, nil
			}
			refs = append(refs, SecretRef{Name: aws.ToString(s.Name), ARN: aws.ToString(s.ARN)})
		}
		if aws.ToString(out.NextToken) == "" {
			return refs, false, nil
		}
		in.NextToken = out.NextToken
	}
	msg := fmt.Sprintf("more than %d pages", maxPages)
	return nil, false, &Error{Op: op, Name: name, Code: "TooManyPages", Message: msg, Kind: ErrUnavailable, Err: errors.New(msg)}
}

// checkRouted refuses a read with a role through a field that cannot
// assume it (Clients not made by [New]).
func checkRouted(ctx context.Context, op, name string, field any) error {
	if role := RoleFrom(ctx); role != "" && routerOf(field) == nil {
		return fmt.Errorf("%s %q through role %s: %w: only the Clients of source.New assume roles", op, name, role, ErrNoClient)
	}
	return nil
}
