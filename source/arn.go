package source

import (
	"errors"
	"fmt"
	"strings"
)

// The causes of the local errors that routing by ARN returns, before any
// upstream call. Each is found with errors.Is in the [*Error] a read
// returns; the Error's Kind is [ErrInvalid] and its Code names the cause
// ("InvalidARN", "PartitionMismatch", "TooManyRegions").
var (
	// ErrMalformedARN: a name or secret id starts with "arn:" but does not
	// have the shape of the service's ARNs. The message names the rule.
	ErrMalformedARN = errors.New("malformed ARN")
	// ErrPartitionMismatch: the ARN's partition (aws, aws-cn, aws-us-gov,
	// …) is not the partition of the client's region, or not the partition
	// of the ARN's own region. Credentials of one partition are never valid
	// in another.
	ErrPartitionMismatch = errors.New("partition mismatch")
	// ErrTooManyRegions: the read names a region beyond the bound set with
	// [WithMaxRegions].
	ErrTooManyRegions = errors.New("too many regions")
)

// arn is the part of an ARN that routing needs.
type arn struct {
	partition string
	region    string
	account   string
}

// parameterARNRule and secretARNRule are the shapes routing accepts; they
// appear in the messages of malformed-ARN errors.
const (
	parameterARNRule = "an SSM parameter ARN has the form arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:SELECTOR]"
	secretARNRule    = "a secret ARN has the form arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME"
	referenceRule    = "a reference to a secret by ARN has the form /aws/reference/secretsmanager/arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:SELECTOR]"
)

// parameterARN returns the ARN that decides where an SSM read of name goes:
// name itself when it is an ARN, or the secret's ARN in a reference
// /aws/reference/secretsmanager/arn:… (Parameter Store reads a referenced
// secret in its own region, so the read goes to SSM of the secret's
// region). ok is false when name names no ARN: a plain name or path, or a
// reference by secret name; those stay in the client's region.
func parameterARN(name string) (a arn, ok bool, err error) {
	if rest, isRef := strings.CutPrefix(name, referencePrefix); isRef {
		if !strings.HasPrefix(rest, "arn:") {
			return arn{}, false, nil
		}
		a, err := splitARN(rest, "secretsmanager", 7, 8, referenceRule)
		if err != nil {
			return arn{}, false, err
		}
		if err := checkSecretResource(rest, referenceRule); err != nil {
			return arn{}, false, err
		}
		return a, true, nil
	}
	if !strings.HasPrefix(name, "arn:") {
		return arn{}, false, nil
	}
	a, err = splitARN(name, "ssm", 6, 7, parameterARNRule)
	if err != nil {
		return arn{}, false, err
	}
	res := field(name, 5)
	p, found := strings.CutPrefix(res, "parameter/")
	if !found || p == "" {
		return arn{}, false, malformed(parameterARNRule, "the resource must be parameter/NAME")
	}
	return a, true, nil
}

// secretARN returns the ARN in a Secrets Manager secret id (full or
// partial ARN). ok is false when id is a secret name.
func secretARN(id string) (a arn, ok bool, err error) {
	if !strings.HasPrefix(id, "arn:") {
		return arn{}, false, nil
	}
	a, err = splitARN(id, "secretsmanager", 7, 7, secretARNRule)
	if err != nil {
		return arn{}, false, err
	}
	if err := checkSecretResource(id, secretARNRule); err != nil {
		return arn{}, false, err
	}
	return a, true, nil
}

// referencePrefix is the path under which Parameter Store reads Secrets
// Manager secrets.
const referencePrefix = "/aws/reference/secretsmanager/"

// checkSecretResource checks fields 5 and 6 of a secret ARN: "secret" and
// a non-empty name.
func checkSecretResource(s, rule string) error {
	if field(s, 5) != "secret" {
		return malformed(rule, "the resource type must be secret")
	}
	if field(s, 6) == "" {
		return malformed(rule, "the secret name is empty")
	}
	return nil
}

// splitARN checks the fields an ARN of service has: "arn", a partition, the
// service, a region, a 12-digit account, and then the resource, in min to
// max colon-separated fields in all. It does not allocate.
func splitARN(s, service string, min, max int, rule string) (arn, error) {
	switch n := strings.Count(s, ":") + 1; {
	case n < min:
		return arn{}, malformed(rule, fmt.Sprintf("%d colon-separated fields, at least %d", n, min))
	case n > max:
		return arn{}, malformed(rule, fmt.Sprintf("%d colon-separated fields, at most %d", n, max))
	}
	a := arn{partition: field(s, 1), region: field(s, 3), account: field(s, 4)}
	switch {
	case a.partition == "":
		return arn{}, malformed(rule, "the partition is empty")
	case field(s, 2) != service:
		return arn{}, malformed(rule, "the service must be "+service)
	case !validRegion(a.region):
		return arn{}, malformed(rule, "the region must be lowercase letters, digits and hyphens, like us-east-1")
	case !validAccount(a.account):
		return arn{}, malformed(rule, "the account must be 12 digits")
	}
	return a, nil
}

// field returns the i-th colon-separated field of s ("" past the end); the
// last field asked for runs to the next colon.
func field(s string, i int) string {
	for ; i > 0; i-- {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, ':'); j >= 0 {
		return s[:j]
	}
	return s
}

// validRegion reports whether r can be a region name: 1 to 32 lowercase
// letters, digits and hyphens, starting with a letter. It becomes part of a
// host name, so nothing else is let through.
func validRegion(r string) bool {
	if r == "" || len(r) > 32 || r[0] < 'a' || r[0] > 'z' {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validAccount reports whether id is an AWS account id: 12 digits.
func validAccount(id string) bool {
	if len(id) != 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// partitionOf returns the AWS partition of a region, from its prefix:
// cn-* is aws-cn, us-gov-* aws-us-gov, us-iso-* aws-iso, us-isob-*
// aws-iso-b, eu-isoe-* aws-iso-e, us-isof-* aws-iso-f, eusc-* aws-eusc,
// and every other region, including an empty one, aws.
func partitionOf(region string) string {
	for _, p := range partitionPrefixes {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// partitionPrefixes maps region prefixes to partitions, longest prefix of a
// family first (us-isob- before us-iso-).
var partitionPrefixes = [...]struct{ prefix, partition string }{
	{"cn-", "aws-cn"},
	{"us-gov-", "aws-us-gov"},
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"us-iso-", "aws-iso"},
	{"eu-isoe-", "aws-iso-e"},
	{"eusc-", "aws-eusc"},
}

// malformed returns the cause of an InvalidARN error.
func malformed(rule, detail string) error {
	return fmt.Errorf("%w: %s (%s)", ErrMalformedARN, rule, detail)
}
