package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/source"
)

// Secrets reads several secrets. Cached ones come from memory; requests
// for the current version (no VersionID or VersionStage) are fetched with
// BatchGetSecretValue, twenty ids per call, the others one by one. Results
// are stored under the keys single reads use and returned in request order;
// failed items are zero and listed in the [*BatchError].
func (c *Cache) Secrets(ctx context.Context, reqs []SecretRequest) ([]Secret, error) {
	out := make([]Secret, len(reqs))
	var failed failures
	fail := func(i int, err error) { failed.add(i, reqs[i].SecretID, err) }
	var mu sync.Mutex // protects retry
	single := func(i int) {
		s, err := c.Secret(ctx, reqs[i])
		if err != nil {
			fail(i, err)
		}
		out[i] = s
	}
	byID := map[string][]int{}
	var ids []string
	for i, r := range reqs {
		if !triage(c, i, r, &failed, func(e *entry) { out[i] = e.secret }) {
			continue
		}
		if c.src.SecretBatch == nil || r.VersionID != "" || r.VersionStage != "" {
			single(i)
			continue
		}
		if byID[r.SecretID] == nil {
			ids = append(ids, r.SecretID)
		}
		byID[r.SecretID] = append(byID[r.SecretID], i)
	}
	nChunks := (len(ids) + maxBatchSecrets - 1) / maxBatchSecrets
	var retry []int
	err := c.runChunks(ctx, nChunks, func(ctx context.Context, n int) {
		chunk := ids[n*maxBatchSecrets : min((n+1)*maxBatchSecrets, len(ids))]
		var errs map[string]error
		got, err := retryTransient(ctx, func() (map[string]secretResult, error) {
			g, e, err := c.batchSecrets(ctx, chunk)
			errs = e
			return g, err
		})
		now := time.Now()
		for _, id := range chunk {
			for _, i := range byID[id] {
				switch s, ok := got[id]; {
				case err != nil:
					fail(i, err)
				case ok:
					out[i] = s.s
					e := &entry{key: reqs[i].key(), secret: s.s, gen: s.gen}
					c.stamp(e, now)
					c.put(e, nil)
				case errs[id] != nil:
					fail(i, errs[id])
					if errors.Is(errs[id], ErrNotFound) {
						c.rememberNotFound(reqs[i].key(), errs[id], s.gen, now)
					}
				default: // a partial ARN, say: the answer names it otherwise
					mu.Lock()
					retry = append(retry, i)
					mu.Unlock()
				}
			}
		}
	})
	if err != nil {
		for _, id := range ids {
			for _, i := range byID[id] {
				fail(i, err)
			}
		}
	}
	for _, i := range retry {
		single(i)
	}
	return out, failed.err()
}

type secretResult struct {
	s   Secret
	gen uint64
}

func (c *Cache) batchSecrets(ctx context.Context, ids []string) (map[string]secretResult, map[string]error, error) {
	gen := c.gen.Add(1)
	c.stats.loads.Add(1)
	in := &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids}
	got := map[string]secretResult{}
	errs := map[string]error{}
	for range maxPathPages {
		out, err := c.src.SecretBatch.BatchGetSecretValue(ctx, in)
		if err != nil {
			c.stats.loadErrors.Add(1)
			return nil, nil, source.Classify("BatchGetSecretValue", strings.Join(ids, ","), err)
		}
		for _, v := range out.SecretValues {
			s := newSecret(&secretsmanager.GetSecretValueOutput{ARN: v.ARN, CreatedDate: v.CreatedDate, Name: v.Name,
				SecretBinary: v.SecretBinary, SecretString: v.SecretString, VersionId: v.VersionId, VersionStages: v.VersionStages})
			for _, id := range []string{aws.ToString(v.Name), aws.ToString(v.ARN)} {
				if id != "" {
					got[id] = secretResult{s: s, gen: gen}
				}
			}
		}
		for _, e := range out.Errors {
			errs[aws.ToString(e.SecretId)] = batchItemError(e)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return got, errs, nil
}

func batchItemError(e smtypes.APIErrorType) error {
	code, msg := aws.ToString(e.ErrorCode), aws.ToString(e.Message)
	kind := ErrInvalid
	var sdkErr error = &smithy.GenericAPIError{Code: code, Message: msg}
	switch code {
	case "ResourceNotFoundException":
		kind, sdkErr = ErrNotFound, &smtypes.ResourceNotFoundException{Message: e.Message}
	case "AccessDeniedException", "DecryptionFailure":
		kind = ErrAccessDenied
	case "InternalServiceError":
		kind = ErrUnavailable
	}
	return &source.Error{Op: "BatchGetSecretValue", Name: aws.ToString(e.SecretId), Code: code, Message: msg, Kind: kind, Err: sdkErr}
}
