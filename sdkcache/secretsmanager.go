package sdkcache

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
)

// getSecretValue answers Secrets Manager GetSecretValue: SecretId,
// VersionId and VersionStage are all part of the cache key.
func (m *mw) getSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput) (any, bool, error) {
	age, rot := maxAge(ctx), (*rotation)(nil)
	if in.VersionId == nil && (in.VersionStage == nil || *in.VersionStage == "AWSCURRENT") {
		age, rot = m.rot.maxAge(aws.ToString(in.SecretId), age)
	}
	s, err := m.c.Secret(ctx, cache.SecretRequest{SecretID: aws.ToString(in.SecretId),
		VersionID: aws.ToString(in.VersionId), VersionStage: aws.ToString(in.VersionStage), MaxAge: age})
	if ok, err := answered(err); !ok || err != nil {
		return nil, ok, err
	}
	m.rot.read(rot, s.VersionID)
	return s.Output(), true, nil
}

// batchGetSecretValue answers Secrets Manager BatchGetSecretValue for a
// SecretIdList of at most source.MaxBatchSecrets (20) ids without Filters,
// MaxResults or NextToken (the others go upstream): the values found in
// request order, once each, and an Errors entry for each id Secrets Manager
// refused (not found, access denied, …) with its code and message. A
// throttled or unavailable service fails the whole call, as it would
// upstream.
func (m *mw) batchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput) (any, bool, error) {
	if len(in.SecretIdList) == 0 || len(in.SecretIdList) > source.MaxBatchSecrets || len(in.Filters) > 0 ||
		in.MaxResults != nil || aws.ToString(in.NextToken) != "" {
		return nil, false, nil
	}
	reqs := make([]cache.SecretRequest, len(in.SecretIdList))
	for i, id := range in.SecretIdList {
		reqs[i] = cache.SecretRequest{SecretID: id, MaxAge: maxAge(ctx)}
	}
	ss, err := m.c.Secrets(ctx, reqs)
	failed := map[int]error{}
	var be *cache.BatchError
	switch {
	case err == nil:
	case errors.As(err, &be):
		for _, it := range be.Items {
			failed[it.Index] = it.Err
		}
	default:
		ok, err := answered(err)
		return nil, ok, err
	}
	return batchOutput(in.SecretIdList, ss, failed)
}

// batchOutput builds BatchGetSecretValue's answer from the cache's: the
// values in request order, once each, and an Errors entry for each id
// Secrets Manager refused; any other failure fails the call.
func batchOutput(ids []string, ss []cache.Secret, failed map[int]error) (any, bool, error) {
	out := &secretsmanager.BatchGetSecretValueOutput{SecretValues: []smtypes.SecretValueEntry{}, Errors: []smtypes.APIErrorType{}}
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if e, bad := failed[i]; bad {
			var api smithy.APIError
			if source.IsTransient(e) || !errors.As(e, &api) || errors.Is(e, cache.ErrInvalidRequest) {
				ok, err := answered(e)
				return nil, ok, err
			}
			out.Errors = append(out.Errors, smtypes.APIErrorType{SecretId: aws.String(id),
				ErrorCode: aws.String(api.ErrorCode()), Message: aws.String(api.ErrorMessage())})
			continue
		}
		o := ss[i].Output()
		out.SecretValues = append(out.SecretValues, smtypes.SecretValueEntry{ARN: o.ARN, CreatedDate: o.CreatedDate,
			Name: o.Name, SecretBinary: o.SecretBinary, SecretString: o.SecretString, VersionId: o.VersionId,
			VersionStages: o.VersionStages})
	}
	return out, true, nil
}
