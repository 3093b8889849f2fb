package awsname

import "strings"

// Canonical forms. Invalidation in the cache finds every cached spelling of
// one name through one string: a parameter's by name or ARN, with any
// selector; a secret's by name, full ARN, partial ARN, or through
// [ReferencePrefix]. The forms drop what does not tell values apart for
// invalidation (selectors, partition, region, account): two names that
// share a form are invalidated together, a spurious reload and never a
// stale read.

// CanonicalParameter returns the canonical form of what the SSM name
// reads, and whether that is a secret (a name under [ReferencePrefix],
// whose form is the secret's, [CanonicalSecret]). A parameter's form is its
// name with a leading "/" and without selector: "/app/db", "app/db:3" and
// "arn:aws:ssm:us-east-1:123456789012:parameter/app/db:prod" all give
// "/app/db" ("db" and "/db" are one parameter to AWS). A form is never a
// name under [ReferencePrefix] nor an ARN, so that the form of a form is
// itself: a malformed ARN, which AWS and routing refuse, is its own form,
// unchanged; an ARN of a parameter named like a reference keeps its text
// without its selector; and a name that AWS does not accept ("app/db",
// with a "/" but not at the start) gets no "/".
func CanonicalParameter(name string) (form string, secret bool) {
	if id, ok := ReferencedSecret(name); ok {
		return CanonicalSecret(id), true
	}
	base, _, _ := SplitSelector(name)
	a, isARN, err := ParameterARN(name)
	switch {
	case err != nil:
		return name, false
	case isARN && !strings.HasPrefix(a.Name, ReferencePrefix[1:]):
		return "/" + a.Name, false
	case !isARN && !strings.Contains(base, "/"):
		return "/" + base, false
	}
	return base, false
}

// CanonicalSecret returns the canonical form of a secret id: the secret's
// name without any trailing "-XXXXXX" suffixes (six ASCII letters or
// digits each). A name, its full ARN (the name and the suffix Secrets
// Manager appended) and its partial ARN (the name alone) all give the same
// form, even for a name that itself ends in "-" and six letters or digits,
// which a partial ARN cannot tell from a suffix: "db",
// "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf" and
// "arn:aws:secretsmanager:us-east-1:123456789012:secret:db" give "db". A
// malformed ARN keeps its text.
func CanonicalSecret(id string) string {
	if a, ok, err := SecretARN(id); ok && err == nil {
		id = a.Name
	} else if err != nil {
		return id
	}
	for {
		s := StripSuffix(id)
		if len(s) == len(id) {
			return id
		}
		id = s
	}
}

// StripSuffix drops one trailing "-" and six ASCII letters or digits, the
// suffix Secrets Manager appends to a secret's name in its full ARN. A
// string of at most seven bytes keeps it: a name is never empty.
func StripSuffix(s string) string {
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

// CanonicalPath returns a GetParametersByPath path without its trailing
// "/" ("/" itself stays).
func CanonicalPath(p string) string {
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = p[:len(p)-1]
	}
	return p
}
