package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/parsec-go/parsec/source"
)

// SecretVersions is a secret's versions during a rotation: what a verifier
// that must accept either the new or the old secret (a JWT signing key, a
// webhook's HMAC secret) checks against. The zero Secret (VersionID "")
// stands for a stage no version carries.
type SecretVersions struct {
	Current  Secret // AWSCURRENT
	Previous Secret // AWSPREVIOUS: the version before the last rotation; zero when there was none
	Pending  Secret // AWSPENDING: the version a rotation in progress creates; zero otherwise
}

// All returns the versions that exist, Current first, then Pending, then
// Previous, each version once.
func (v SecretVersions) All() []Secret {
	out := []Secret{v.Current}
	for _, s := range []Secret{v.Pending, v.Previous} {
		if s.VersionID != "" && s.VersionID != v.Current.VersionID {
			out = append(out, s)
		}
	}
	return out
}

// stageReads are the stages SecretVersions reads, in SecretVersions' field
// order.
var stageReads = [...]string{"", source.StagePrevious, source.StagePending}

// SecretVersions returns the AWSCURRENT, AWSPREVIOUS and AWSPENDING
// versions of the secret req.SecretID. Each stage is its own cache entry
// (the current one is the entry a plain [Cache.Secret] read uses) with the
// TTL, coalescing, stale-on-error and invalidation of any read; the stages
// that are not in memory are read concurrently. Req's Refresh and MaxAge
// apply to all three; VersionID and VersionStage must be empty (a
// [*RequestError] otherwise).
//
// A stage no version carries (ErrNotFound) is the zero Secret; any other
// error of any stage is returned. Entries fetched at different times may
// disagree after a rotation; two checks catch what a verifier would
// notice: a Previous that is the Current version means the current entry
// predates the rotation, and it is read again (bypassing the cache); a
// Pending that is the Current version means the rotation has finished, and
// Pending is read again. So a call costs, beyond hits, at most five
// GetSecretValue calls, usually three on a first read and none after.
func (c *Cache) SecretVersions(ctx context.Context, req SecretRequest) (SecretVersions, error) {
	if req.VersionID != "" || req.VersionStage != "" {
		return SecretVersions{}, &RequestError{Field: "versionId", Rule: "must be empty, as must versionStage: SecretVersions reads every stage"}
	}
	var reqs [len(stageReads)]SecretRequest
	all := true
	for i, stage := range stageReads {
		reqs[i] = req
		reqs[i].VersionStage = stage
		all = all && c.quick(reqs[i])
	}
	var got [len(stageReads)]Secret
	var errs [len(stageReads)]error
	if all { // every stage in memory: no goroutine, no allocation
		for i, r := range reqs {
			got[i], errs[i] = c.Secret(ctx, r)
		}
	} else {
		got, errs = c.readStages(ctx, reqs)
	}
	for i := range errs {
		switch {
		case i > 0 && errors.Is(errs[i], ErrNotFound):
			got[i] = Secret{}
		case errs[i] != nil:
			return SecretVersions{}, errs[i]
		}
	}
	return c.reconcile(ctx, req, SecretVersions{Current: got[0], Previous: got[1], Pending: got[2]})
}

// reconcile applies SecretVersions' two checks to v, read from entries
// fetched at different times: a Previous that is the Current version
// means the current entry predates the rotation (Current is read again);
// a Pending that is the Current version means the rotation has finished
// (Pending is read again).
func (c *Cache) reconcile(ctx context.Context, req SecretRequest, v SecretVersions) (SecretVersions, error) {
	if v.Previous.VersionID != "" && v.Previous.VersionID == v.Current.VersionID {
		r := req
		r.Refresh = true
		s, err := c.Secret(ctx, r)
		if err != nil {
			return SecretVersions{}, err
		}
		v.Current = s
	}
	if v.Pending.VersionID != "" && v.Pending.VersionID == v.Current.VersionID {
		r := req
		r.VersionStage, r.Refresh = source.StagePending, true
		s, err := c.Secret(ctx, r)
		switch {
		case errors.Is(err, ErrNotFound):
			s = Secret{}
		case err != nil:
			return SecretVersions{}, err
		}
		v.Pending = s
	}
	return v, nil
}

// readStages reads reqs, those not in memory concurrently.
func (c *Cache) readStages(ctx context.Context, reqs [len(stageReads)]SecretRequest) (got [len(stageReads)]Secret, errs [len(stageReads)]error) {
	var wg sync.WaitGroup
	for i, r := range reqs {
		if c.quick(r) {
			got[i], errs[i] = c.Secret(ctx, r)
			continue
		}
		wg.Go(func() { got[i], errs[i] = c.Secret(ctx, r) })
	}
	wg.Wait()
	return got, errs
}

// quick reports whether a read of r is answered from memory now (a fresh
// value, a remembered failure, a key backing off), so that SecretVersions
// makes it without a goroutine.
func (c *Cache) quick(r SecretRequest) bool {
	if r.Refresh || c.store == nil {
		return false
	}
	k := r.key()
	e := c.store.value(&k)
	switch c.state(e, c.now(), bound(c.now(), r.MaxAge)) {
	case stateFresh, stateRefreshDue, stateRemembered, stateBackingOff:
		return true
	}
	return false
}

// WithRotatingSecret is [Cache.WithSecret] for the window of a
// single-user rotation, when the server may accept another version than
// the one in memory. It runs fn with the current version (req names the
// secret; VersionID and VersionStage must be empty); while rejected
// reports fn's error as a rejected credential, it runs fn again with the
// next version not tried yet, in this order:
//
//  1. AWSPREVIOUS: a server not yet told of the last rotation still takes it;
//  2. AWSPENDING, while a rotation is in progress: its setSecret step gives
//     the server the new credential before finishSecret moves AWSCURRENT;
//  3. AWSCURRENT fetched again, bypassing the cache: the rotation finished
//     after the value in memory was read.
//
// A stage no version carries, or a version already tried, is skipped. It
// returns nil as soon as fn does, fn's first error that rejected does not
// report, or, when every version was rejected, fn's last error. A nil
// rejected runs fn once. Each stage is read through the cache, so a
// rejection costs at most three upstream calls, and none for a stage in
// memory.
func (c *Cache) WithRotatingSecret(ctx context.Context, req SecretRequest, rejected func(error) bool, fn func(Secret) error) error {
	if req.VersionID != "" || req.VersionStage != "" {
		return &RequestError{Field: "versionId", Rule: "must be empty, as must versionStage: WithRotatingSecret tries every stage"}
	}
	s, err := c.Secret(ctx, req)
	if err != nil {
		return err
	}
	tried := map[string]bool{s.VersionID: true}
	err = fn(s)
	next := []SecretRequest{req, req, req}
	next[0].VersionStage, next[1].VersionStage, next[2].Refresh = source.StagePrevious, source.StagePending, true
	for _, r := range next {
		if err == nil || rejected == nil || !rejected(err) {
			return err
		}
		alt, rerr := c.Secret(ctx, r)
		switch {
		case errors.Is(rerr, ErrNotFound) && r.VersionStage != "":
			continue
		case rerr != nil:
			return fmt.Errorf("credential rejected (%w); reading the secret's other versions failed: %w", err, rerr)
		case tried[alt.VersionID]:
			continue
		}
		tried[alt.VersionID] = true
		err = fn(alt)
	}
	return err
}
