package sdkcache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// A RotateSecret call returns once Secrets Manager has started the
// rotation: the rotation function creates the new version (VersionId in
// the call's output, staged AWSPENDING) and moves AWSCURRENT to it later,
// in invocations of its own. Invalidating when the call returns is not
// enough: a read right after it caches the old AWSCURRENT for the TTL. So
// the middleware watches the secret: until a read through it returns the
// new version as AWSCURRENT, or rotationWatch has passed, its reads of the
// secret's AWSCURRENT (by the name or the ARN RotateSecret returned, or
// the id it was called with) want a value fetched at most rotationPoll
// ago: one upstream call per rotationPoll at most (reads coalesce), then
// the TTL again.
const (
	rotationWatch = 15 * time.Minute // a rotation function's steps each run in a Lambda invocation of at most 15 minutes
	rotationPoll  = time.Second
	maxRotations  = 64 // secrets watched at once; a rotation beyond that is not watched (the TTL applies)
)

// rotations is the set of secrets being watched. Its methods are safe for
// concurrent use; a read of a secret costs one atomic load when none is
// watched.
type rotations struct {
	n  atomic.Int32 // len(m)
	mu sync.Mutex   // protects m
	m  map[string]*rotation
}

// rotation is one watched rotation, shared by the ids of its secret.
type rotation struct {
	ids     []string
	version string // the version RotateSecret started
	until   time.Time
}

// rotating starts watching the secret of a successful RotateSecret call.
func (m *mw) rotating(in, out any) {
	i, ok := in.(*secretsmanager.RotateSecretInput)
	o, ok2 := out.(*secretsmanager.RotateSecretOutput)
	if !ok || !ok2 || deref(o.VersionId) == "" {
		return
	}
	ids := append([]string{deref(i.SecretId)}, writtenSecret(o)...)
	r := &rotation{version: deref(o.VersionId), until: time.Now().Add(rotationWatch)}
	w := &m.rot
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for id, old := range w.m { // drop the watches that ended
		if now.After(old.until) {
			delete(w.m, id)
		}
	}
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, watched := w.m[id]; !watched && len(w.m) >= maxRotations {
			continue
		}
		if w.m == nil {
			w.m = map[string]*rotation{}
		}
		w.m[id] = r
		r.ids = append(r.ids, id)
	}
	w.n.Store(int32(len(w.m)))
}

// maxAge returns the MaxAge for a read of id's AWSCURRENT given the
// caller's (0: none), and the rotation watched, if any.
func (w *rotations) maxAge(id string, caller time.Duration) (time.Duration, *rotation) {
	if w.n.Load() == 0 {
		return caller, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.m[id]
	if r == nil {
		return caller, nil
	}
	if time.Now().After(r.until) {
		w.end(r)
		return caller, nil
	}
	if caller == 0 || caller > rotationPoll {
		caller = rotationPoll
	}
	return caller, r
}

// read ends r's watch when a read returned its new version.
func (w *rotations) read(r *rotation, version string) {
	if r == nil || version != r.version {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.end(r)
}

// end stops watching r. The caller holds w.mu.
func (w *rotations) end(r *rotation) {
	for _, id := range r.ids {
		if w.m[id] == r {
			delete(w.m, id)
		}
	}
	w.n.Store(int32(len(w.m)))
}
