package cache

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/parsec-go/parsec/source"
)

// Secrets reads several secrets. Cached ones come from memory; requests
// for the current version (no VersionID or VersionStage) are fetched with
// BatchGetSecretValue, twenty ids per call, the others one by one. Results
// are stored under the keys single reads use and returned in request order;
// failed items are zero and listed in the [*BatchError]. Retries, stale
// values and backoff are as for [Cache.Parameters].
func (c *Cache) Secrets(ctx context.Context, reqs []SecretRequest) ([]Secret, error) {
	b := &secretBatch{c: c, reqs: reqs, out: make([]Secret, len(reqs)), byID: map[string][]int{}}
	var ids []string
	for i, r := range reqs {
		if !triage(c, i, r, &b.failed, func(e *entry) { b.out[i] = e.val.(Secret) }) {
			continue
		}
		if c.src.SecretBatch == nil || r.VersionID != "" || r.VersionStage != "" {
			b.single(ctx, i)
			continue
		}
		if b.byID[r.SecretID] == nil {
			ids = append(ids, r.SecretID)
		}
		b.byID[r.SecretID] = append(b.byID[r.SecretID], i)
	}
	nChunks := (len(ids) + source.MaxBatchSecrets - 1) / source.MaxBatchSecrets
	err := c.runChunks(ctx, nChunks, func(ctx context.Context, n int) {
		b.run(ctx, ids[n*source.MaxBatchSecrets:min((n+1)*source.MaxBatchSecrets, len(ids))])
	})
	if err != nil {
		for _, id := range ids {
			for _, i := range b.byID[id] {
				b.fail(i, err)
			}
		}
	}
	for _, i := range b.retry {
		b.single(ctx, i)
	}
	return b.out, b.failed.err()
}

// secretBatch is one Secrets call in progress.
type secretBatch struct {
	c      *Cache
	reqs   []SecretRequest
	out    []Secret         // each index written by one goroutine only
	byID   map[string][]int // the items each id answers; read-only once the calls start
	failed failures

	mu    sync.Mutex // protects retry
	retry []int      // items the batch answer did not name, to read on their own
}

func (b *secretBatch) fail(i int, err error) { b.failed.add(i, b.reqs[i].SecretID, err) }

// single reads item i on its own.
func (b *secretBatch) single(ctx context.Context, i int) {
	s, err := b.c.Secret(ctx, b.reqs[i])
	if err != nil {
		b.fail(i, err)
	}
	b.out[i] = s
}

// run makes one BatchGetSecretValue call for ids (retried while
// transient) and stores and hands out its answers.
func (b *secretBatch) run(ctx context.Context, ids []string) {
	c := b.c
	var gen uint64
	got, err := retryTransient(ctx, func() ([]source.Result[*secretsmanager.GetSecretValueOutput], error) {
		c.stats.loads.Add(1)
		gen = c.loads.Add(1)
		cctx, cancel := context.WithTimeout(ctx, c.timeout(kindSecret)) // as a single read's call
		defer cancel()
		got, err := c.src.ReadSecrets(cctx, ids)
		if err != nil {
			c.stats.loadErrors.Add(1)
		}
		return got, err
	})
	a := c.answers(gen, time.Now())
	for j, id := range ids {
		for _, i := range b.byID[id] {
			k := b.reqs[i].key()
			switch {
			case err != nil:
				b.settle(a, i, err)
			case got[j].Value != nil:
				b.out[i] = a.value(k, newSecret(got[j].Value)).val.(Secret)
			case got[j].Err != nil:
				b.settle(a, i, got[j].Err)
			default: // a partial ARN, say: the answer names it otherwise
				b.mu.Lock()
				b.retry = append(b.retry, i)
				b.mu.Unlock()
				continue // the single read counts it
			}
			c.stats.misses.Add(1)
		}
	}
}

// settle answers item i, whose upstream answer was err, with its stale
// value or fails it.
func (b *secretBatch) settle(a *answers, i int, err error) {
	r := b.reqs[i]
	if e, err := a.failed(r.key(), r.Refresh, err); err != nil {
		b.fail(i, err)
	} else {
		b.out[i] = e.val.(Secret)
	}
}
