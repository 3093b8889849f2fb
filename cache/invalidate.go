package cache

import (
	"hash/maphash"

	"github.com/parsec-go/parsec/internal/awsname"
)

// Invalidation by name. A parameter or a secret is cached under many keys
// (versions, labels, WithDecryption, its ARN, the listings of the paths
// above it, /aws/reference/secretsmanager/ names), and ristretto cannot list
// them. So each entry belongs to one of invalSlots slots, chosen by a hash
// of its canonical name, and an invalidation stamps the slots of a name with
// a number from the cache's load counter (Cache.loads). An entry is valid
// while its value was fetched by a load that started after the last stamp of
// its slot (entry.born > stamp): one atomic load on the hit path, no
// allocation.
//
// Two names may share a slot; invalidating one then also reloads the other
// once: a spurious reload, never a stale read. The canonical names are
// awsname's (the grammar source routing reads names with): forms of one
// name always meet in one slot, and a few other names may too.
//
// Bound: the table is invalSlots words (32 KiB) per cache, whatever the
// number of names. Invalid entries are invisible to every read and are
// replaced by the next load of their key or evicted as any other.
const invalSlots = 4096

// Slot groups: a name's slot depends on whether it is a parameter, a secret
// (also read through /aws/reference/secretsmanager/) or a path.
const (
	groupParameter byte = 'p'
	groupSecret    byte = 's'
	groupPath      byte = 'l'
)

// maxAncestors bounds the path listings one parameter invalidation stamps:
// SSM allows at most 15 levels of hierarchy.
const maxAncestors = 16

// slotOf returns the invalidation slot of an entry under k.
func slotOf(seed maphash.Seed, k *key) uint16 {
	switch k.kind {
	case kindSecret:
		return slot(seed, groupSecret, awsname.CanonicalSecret(k.name))
	case kindPath:
		return slot(seed, groupPath, awsname.CanonicalPath(k.name))
	}
	form, secret := awsname.CanonicalParameter(k.name)
	group := groupParameter
	if secret {
		group = groupSecret
	}
	return slot(seed, group, form)
}

func slot(seed maphash.Seed, group byte, name string) uint16 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(group)
	h.WriteString(name)
	return uint16(h.Sum64() % invalSlots)
}

// stamp marks the slots of names invalid for every entry fetched before now.
func (s *store) stamp(group byte, names ...string) {
	if s == nil {
		return
	}
	n := s.seq.Add(1)
	for _, name := range names {
		s.inval[slot(s.seed, group, name)].Store(n)
	}
}

// valid reports whether e was fetched after the last invalidation of its
// name. Load numbers and stamps come from one counter and never coincide,
// except 0: never stamped.
func (s *store) valid(e *entry) bool { return s.inval[e.slot].Load() <= e.born }

// invalidateParameter invalidates every cached form of the parameter name:
// each version, label and WithDecryption, its ARN, and the listing of every
// path above it. A name under /aws/reference/secretsmanager/ invalidates
// that secret.
func (s *store) invalidateParameter(name string) {
	p, secret := awsname.CanonicalParameter(name)
	if secret {
		s.stamp(groupSecret, p)
		return
	}
	s.stamp(groupParameter, p)
	paths := make([]string, 0, maxAncestors)
	for i := len(p) - 1; i >= 0 && len(paths) < maxAncestors; i-- {
		if p[i] == '/' {
			paths = append(paths, awsname.CanonicalPath(p[:max(i, 1)]))
		}
	}
	s.stamp(groupPath, paths...)
}

// invalidateSecret invalidates every cached form of the secret id: each
// version id and stage, its name and ARNs, and its reads through
// /aws/reference/secretsmanager/. They all share one canonical form.
func (s *store) invalidateSecret(id string) {
	s.stamp(groupSecret, awsname.CanonicalSecret(id))
}
