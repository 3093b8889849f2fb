package cache

import (
	"hash/maphash"
	"strings"
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
// chosen the same way: forms of one name always meet in one slot, and a few
// other names may too.
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
		return slot(seed, groupSecret, canonicalSecret(k.name))
	case kindPath:
		return slot(seed, groupPath, canonicalPath(k.name))
	}
	if id, ok := strings.CutPrefix(k.name, referencePrefix); ok {
		return slot(seed, groupSecret, canonicalSecret(stripSelector(id)))
	}
	return slot(seed, groupParameter, canonicalParameter(k.name))
}

func slot(seed maphash.Seed, group byte, name string) uint16 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteByte(group)
	h.WriteString(name)
	return uint16(h.Sum64() % invalSlots)
}

// canonicalParameter is the form of a parameter name, plain or ARN, with or
// without a selector, that every form of it shares: the name with a leading
// "/" and no selector ("arn:aws:ssm:r:a:parameter/app/db:3" and "/app/db"
// give "/app/db"; "db" gives "/db", as does "/db": they share a slot).
func canonicalParameter(name string) string {
	if strings.HasPrefix(name, "arn:") {
		if i := strings.Index(name, ":parameter/"); i >= 0 {
			name = name[i+len(":parameter"):]
		}
	}
	name = stripSelector(name)
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	return name
}

// stripSelector drops a trailing ":version" or ":label" from a parameter
// name that is not an ARN (names cannot contain colons).
func stripSelector(name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[:i]
	}
	return name
}

// canonicalSecret is the form of a secret id every form of it shares: the
// name, for an ARN the part after "secret:" without the six-character suffix
// Secrets Manager appends ("arn:…:secret:db-AbCdEf" gives "db"). A partial
// ARN or a name that itself ends in "-" and six letters or digits loses
// those too; invalidateSecret stamps both forms, so that it still meets.
func canonicalSecret(id string) string {
	if strings.HasPrefix(id, "arn:") {
		if i := strings.Index(id, ":secret:"); i >= 0 {
			return stripSuffix(id[i+len(":secret:"):])
		}
	}
	return id
}

// stripSuffix drops a trailing "-" and six ASCII letters or digits, the
// suffix of a secret's full ARN.
func stripSuffix(s string) string {
	n := len(s)
	if n < 8 || s[n-7] != '-' {
		return s
	}
	for i := n - 6; i < n; i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return s
		}
	}
	return s[:n-7]
}

// canonicalPath is a path without a trailing "/" ("/" itself stays).
func canonicalPath(p string) string {
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
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
	if id, ok := strings.CutPrefix(name, referencePrefix); ok {
		s.invalidateSecret(stripSelector(id))
		return
	}
	p := canonicalParameter(name)
	s.stamp(groupParameter, p)
	paths := make([]string, 0, maxAncestors)
	for i := len(p) - 1; i >= 0 && len(paths) < maxAncestors; i-- {
		if p[i] == '/' {
			paths = append(paths, canonicalPath(p[:max(i, 1)]))
		}
	}
	s.stamp(groupPath, paths...)
}

// invalidateSecret invalidates every cached form of the secret id: each
// version id and stage, its name and ARNs, and its reads through
// /aws/reference/secretsmanager/.
func (s *store) invalidateSecret(id string) {
	c := canonicalSecret(id)
	s.stamp(groupSecret, c, stripSuffix(c))
}
