package cache

import (
	"context"
	"hash/maphash"
	"math/bits"
	"strconv"
	"strings"

	"github.com/parsec-go/parsec/source"
)

// kind is what a read asks for. Everything that differs between kinds is in
// its [kindSpec]; no other code switches on a kind.
type kind uint8

const (
	kindParameter kind = iota
	kindSecret
	kindPath
	numKinds
)

// kindSpec describes one kind of read.
type kindSpec struct {
	name string // for logs: "parameter", "secret", "path"
	op   string // the upstream operation, for errors and logs
	// fetch makes the upstream call for k and returns the value to cache.
	// prev is the value in memory for k, if any (nil otherwise), for a
	// fetch that can revalidate instead of reading the value again.
	fetch func(ctx context.Context, src source.Clients, k key, prev value) (value, error)
	// stored, if set, runs right before a fetched value is stored (a path's
	// parameters are stored under their single-read keys first, so that a
	// caller given the listing never reads an older parameter after it).
	stored func(c *Cache, k key, v value, gen uint64, now int64)
}

var kinds = [numKinds]kindSpec{
	kindParameter: {name: "parameter", op: "GetParameter", fetch: fetchParameter},
	kindSecret:    {name: "secret", op: "GetSecretValue", fetch: fetchSecret},
	kindPath:      {name: "path", op: "GetParametersByPath", fetch: fetchPath, stored: storePathItems},
}

// value is what an entry holds: a Parameter, a Secret or a listing. Each
// carries its own ordering rule: older reports whether it is an older
// version than b, a value of the same key. An answer whose load started
// before b arrived and that is older never replaces b (see store.put).
type value interface {
	older(b value) bool
}

// older: a lower Version.
func (p Parameter) older(b value) bool {
	q, ok := b.(Parameter)
	return ok && p.Version < q.Version
}

// older: a version created earlier.
func (s Secret) older(b value) bool {
	t, ok := b.(Secret)
	return ok && !s.Created.IsZero() && s.Created.Before(t.Created)
}

// listing is a path's parameters, in SSM's order.
type listing []Parameter

// older: the listing holds a lower Version of a parameter b holds too.
func (l listing) older(b value) bool {
	pb, ok := b.(listing)
	if !ok || len(pb) == 0 {
		return false
	}
	vb := make(map[string]int64, len(pb))
	for _, p := range pb {
		vb[p.Name] = p.Version
	}
	for _, p := range l {
		if v, ok := vb[p.Name]; ok && p.Version < v {
			return true
		}
	}
	return false
}

func (k kind) spec() *kindSpec { return &kinds[k] }

func fetchParameter(ctx context.Context, src source.Clients, k key, _ value) (value, error) {
	p, err := src.ReadParameter(ctx, upstreamName(k.name, k.version, k.label), k.decrypt)
	if err != nil {
		return nil, err
	}
	return newParameter(p), nil
}

func fetchSecret(ctx context.Context, src source.Clients, k key, prev value) (value, error) {
	if src.Describe != nil && k.versionID == "" { // WithRotationAware (rotation.go)
		return fetchSecretRotating(ctx, src, k, prev)
	}
	s, err := src.ReadSecret(ctx, k.name, k.versionID, k.stage)
	if err != nil {
		return nil, err
	}
	return newSecret(s), nil
}

func fetchPath(ctx context.Context, src source.Clients, k key, _ value) (value, error) {
	raw, err := src.ReadPath(ctx, k.name, k.recursive, k.decrypt)
	if err != nil {
		return nil, err
	}
	params := make(listing, len(raw))
	for i := range raw {
		params[i] = newParameter(&raw[i])
	}
	return params, nil
}

// storePathItems stores each parameter of a path under the key a single
// read of its name with the same WithDecryption uses, so those reads hit.
func storePathItems(c *Cache, k key, v value, gen uint64, now int64) {
	l, _ := v.(listing)
	for _, p := range l {
		c.storeValue(ParameterRequest{Name: p.Name, WithDecryption: k.decrypt}.key(), p, gen, now)
	}
}

// key is everything that changes an answer; each field has one meaning. It
// is comparable, so the hit path compares it with the stored entry's key
// without allocating.
type key struct {
	kind      kind
	name      string // parameter name, secret id or path, exactly as given
	version   int64  // parameter: the SSM version; 0 for the latest
	label     string // parameter: the SSM label (under /aws/reference/secretsmanager/ SSM reads it as a stage)
	stage     string // secret: the version stage
	versionID string // secret: the version id
	decrypt   bool   // parameter and path: WithDecryption
	recursive bool   // path: Recursive
}

func (r ParameterRequest) key() key {
	return key{kind: kindParameter, name: r.Name, version: r.Version, label: r.Label, decrypt: r.WithDecryption}
}

func (r SecretRequest) key() key {
	return key{kind: kindSecret, name: r.SecretID, stage: r.VersionStage, versionID: r.VersionID}
}

func (r PathRequest) key() key {
	return key{kind: kindPath, name: r.Path, decrypt: r.WithDecryption, recursive: r.Recursive}
}

// flightKey is the key as a string, for singleflight. Only misses build it.
func (k key) flightKey() string {
	var b strings.Builder
	b.Grow(len(k.name) + len(k.label) + len(k.stage) + len(k.versionID) + 32)
	b.WriteByte(byte(k.kind))
	b.WriteByte(flags(k))
	b.WriteString(k.name)
	for _, s := range [...]string{strconv.FormatInt(k.version, 10), k.label, k.stage, k.versionID} {
		b.WriteByte(0)
		b.WriteString(s)
	}
	return b.String()
}

func flags(k key) byte {
	var f byte
	if k.decrypt {
		f |= 1
	}
	if k.recursive {
		f |= 2
	}
	return f
}

// hash is the store's key for k: the seeded hash of each string field,
// mixed with the others. It does not allocate. Distinct keys may collide;
// every lookup compares the full key stored in the entry.
func hash(seed maphash.Seed, k *key) uint64 {
	// maphash's outputs are uniform already: rotating each by its own
	// amount keeps the fields apart, and one final mix spreads the small
	// fields (version, kind, flags) over every bit.
	h := maphash.String(seed, k.name)
	if k.label != "" {
		h ^= bits.RotateLeft64(maphash.String(seed, k.label), 16)
	}
	if k.stage != "" {
		h ^= bits.RotateLeft64(maphash.String(seed, k.stage), 32)
	}
	if k.versionID != "" {
		h ^= bits.RotateLeft64(maphash.String(seed, k.versionID), 48)
	}
	extra := uint64(k.version)<<10 | uint64(k.kind)<<2 | uint64(flags(*k))
	return mix(h ^ extra*0x9e3779b97f4a7c15)
}

// mix is splitmix64's finaliser: every input bit affects every output bit.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
