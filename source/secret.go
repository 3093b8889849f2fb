package source

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// MaxBatchSecrets is the number of ids one BatchGetSecretValue call takes.
const MaxBatchSecrets = 20

// ReadSecret makes one Secrets Manager GetSecretValue call. Empty versionID
// and stage are not sent. The error is an [*Error]; it wraps [ErrNoClient]
// when c.Secret is nil.
func (c Clients) ReadSecret(ctx context.Context, id, versionID, stage string) (*secretsmanager.GetSecretValueOutput, error) {
	const op = "GetSecretValue"
	if c.Secret == nil {
		return nil, fmt.Errorf("%s %q: %w", op, id, ErrNoClient)
	}
	if err := checkRouted(ctx, op, id, c.Secret); err != nil {
		return nil, err
	}
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	if versionID != "" {
		in.VersionId = aws.String(versionID)
	}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	out, err := c.Secret.GetSecretValue(ctx, in)
	if err != nil {
		return nil, Classify(op, id, err)
	}
	if out == nil {
		return nil, emptyAnswer(op, id)
	}
	return out, nil
}

// ReadSecrets reads the current version of at most [MaxBatchSecrets]
// secrets with BatchGetSecretValue (following NextToken) and returns one
// result per id, in order. An id the answer names neither among its values
// nor among its errors (a partial ARN, say) gets a result with neither a
// value nor an error: read it on its own. Item errors are classified with
// the same table as single reads. The error is for the call as a whole.
func (c Clients) ReadSecrets(ctx context.Context, ids []string) ([]Result[*secretsmanager.GetSecretValueOutput], error) {
	const op = "BatchGetSecretValue"
	if c.SecretBatch == nil {
		return nil, fmt.Errorf("%s: %w", op, ErrNoClient)
	}
	if len(ids) > MaxBatchSecrets {
		return nil, fmt.Errorf("%s: %d ids, at most %d per call", op, len(ids), MaxBatchSecrets)
	}
	if err := checkRouted(ctx, op, strings.Join(ids, ","), c.SecretBatch); err != nil {
		return nil, err
	}
	if r := routerOf(c.SecretBatch); r != nil {
		return r.readSecrets(ctx, ids)
	}
	return readSecrets(ctx, c.SecretBatch, ids)
}

// readSecrets makes the BatchGetSecretValue calls of ReadSecrets through
// g, following NextToken.
func readSecrets(ctx context.Context, g SecretBatchGetter, ids []string) ([]Result[*secretsmanager.GetSecretValueOutput], error) {
	const op = "BatchGetSecretValue"
	in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}
	got := map[string]*secretsmanager.GetSecretValueOutput{}
	errs := map[string]error{}
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, &Error{Op: op, Name: strings.Join(ids, ","), Code: "TooManyPages", Kind: ErrUnavailable,
				Message: fmt.Sprintf("more than %d pages", maxPages), Err: fmt.Errorf("more than %d pages", maxPages)}
		}
		out, err := g.BatchGetSecretValue(ctx, in)
		if err != nil {
			return nil, Classify(op, strings.Join(ids, ","), err)
		}
		if out == nil {
			return nil, emptyAnswer(op, strings.Join(ids, ","))
		}
		for _, v := range out.SecretValues {
			s := &secretsmanager.GetSecretValueOutput{ARN: v.ARN, CreatedDate: v.CreatedDate, Name: v.Name,
				SecretBinary: v.SecretBinary, SecretString: v.SecretString, VersionId: v.VersionId, VersionStages: v.VersionStages}
			for _, id := range []string{aws.ToString(v.Name), aws.ToString(v.ARN)} {
				if id != "" {
					got[id] = s
				}
			}
		}
		for _, e := range out.Errors {
			errs[aws.ToString(e.SecretId)] = batchItemError(op, e)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	res := make([]Result[*secretsmanager.GetSecretValueOutput], len(ids))
	for i, id := range ids {
		res[i] = Result[*secretsmanager.GetSecretValueOutput]{Value: got[id], Err: errs[id]}
		if res[i].Value != nil {
			res[i].Err = nil
		}
	}
	return res, nil
}

// batchItemError turns one item error of a batch answer into an [*Error],
// classified by the table single reads use.
func batchItemError(op string, e smtypes.APIErrorType) error {
	code, msg := aws.ToString(e.ErrorCode), aws.ToString(e.Message)
	var cause error = &smithy.GenericAPIError{Code: code, Message: msg}
	if code == "ResourceNotFoundException" {
		cause = &smtypes.ResourceNotFoundException{Message: e.Message}
	}
	return &Error{Op: op, Name: aws.ToString(e.SecretId), Code: code, Message: msg, Kind: kindOf(code, 0), Err: cause}
}
