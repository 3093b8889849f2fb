package awsname

import "strings"

// ReferencePrefix is the path under which Parameter Store reads Secrets
// Manager secrets: ReferencePrefix + ID[:SELECTOR].
const ReferencePrefix = "/aws/reference/secretsmanager/"

// IsReference reports whether the SSM name reads a secret through
// [ReferencePrefix].
func IsReference(name string) bool { return strings.HasPrefix(name, ReferencePrefix) }

// ReferencedSecret returns the secret id a reference name reads, without
// its selector ("/aws/reference/secretsmanager/db:AWSPREVIOUS" gives "db";
// a secret ARN keeps its seven fields). ok is false when name is not under
// [ReferencePrefix].
func ReferencedSecret(name string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(name, ReferencePrefix)
	if !ok {
		return "", false
	}
	id, _, _ = splitSecretSelector(rest)
	return id, true
}

// SplitSelector splits an SSM GetParameter name into its base and its
// selector (":3", ":label"; for a reference, a version id or stage). ok
// reports whether a selector was given; sel may still be empty ("db:").
//
//   - A plain name: the selector starts at the first ':' (names contain
//     none): "/app/db:3" gives "/app/db", "3".
//   - A parameter ARN: at the first ':' after "parameter/":
//     "arn:aws:ssm:r:a:parameter/db:prod" gives "arn:aws:ssm:r:a:parameter/db", "prod".
//     An ARN of another shape has no selector.
//   - A reference: after the secret id, which is a name (up to its first
//     ':') or an ARN (seven ':'-separated fields):
//     "/aws/reference/secretsmanager/arn:aws:secretsmanager:r:a:secret:db-AbCdEf:AWSPREVIOUS"
//     gives the reference to the ARN and "AWSPREVIOUS".
func SplitSelector(name string) (base, sel string, ok bool) {
	if rest, isRef := strings.CutPrefix(name, ReferencePrefix); isRef {
		id, sel, ok := splitSecretSelector(rest)
		return name[:len(ReferencePrefix)+len(id)], sel, ok
	}
	from := 0
	if strings.HasPrefix(name, arnPrefix) {
		i := strings.Index(name, parameterResource)
		if i < 0 {
			return name, "", false
		}
		from = i + len(parameterResource)
	}
	if j := strings.IndexByte(name[from:], ':'); j >= 0 {
		return name[:from+j], name[from+j+1:], true
	}
	return name, "", false
}

// splitSecretSelector splits the part of a reference after the prefix: a
// secret name ends at its first ':', a secret ARN after its seventh field.
func splitSecretSelector(rest string) (id, sel string, ok bool) {
	from := 0
	if strings.HasPrefix(rest, arnPrefix) {
		for range secretARNFields - 1 {
			j := strings.IndexByte(rest[from:], ':')
			if j < 0 {
				return rest, "", false
			}
			from += j + 1
		}
	}
	if j := strings.IndexByte(rest[from:], ':'); j >= 0 {
		return rest[:from+j], rest[from+j+1:], true
	}
	return rest, "", false
}
