package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

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
		if !triage(c, i, r, &failed, func(e *entry) { out[i] = e.val.(Secret) }) {
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
	nChunks := (len(ids) + source.MaxBatchSecrets - 1) / source.MaxBatchSecrets
	var retry []int
	err := c.runChunks(ctx, nChunks, func(ctx context.Context, n int) {
		chunk := ids[n*source.MaxBatchSecrets : min((n+1)*source.MaxBatchSecrets, len(ids))]
		var gen uint64
		got, err := retryTransient(ctx, func() ([]source.Result[*secretsmanager.GetSecretValueOutput], error) {
			c.stats.loads.Add(1)
			gen = c.loads.Add(1)
			got, err := c.src.ReadSecrets(ctx, chunk)
			if err != nil {
				c.stats.loadErrors.Add(1)
			}
			return got, err
		})
		now := time.Now()
		for j, id := range chunk {
			for _, i := range byID[id] {
				switch {
				case err != nil:
					fail(i, err)
				case got[j].Value != nil:
					s := newSecret(got[j].Value)
					out[i] = s
					c.storeValue(reqs[i].key(), s, gen, now)
				case got[j].Err != nil:
					fail(i, got[j].Err)
					if errors.Is(got[j].Err, ErrNotFound) {
						c.rememberNotFound(reqs[i].key(), got[j].Err, gen, now)
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
