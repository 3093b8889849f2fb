package awsname

import (
	"strconv"
	"strings"
)

// ARN is what parsec reads from an ARN: where it is and what it names.
type ARN struct {
	Partition string // aws, aws-cn, aws-us-gov, …: never empty
	Region    string // lowercase letters, digits and hyphens (see [ValidRegion])
	Account   string // 12 digits
	// Name is the resource's name: a parameter's name as the ARN spells it
	// (no leading "/", no selector), or a secret's name with the
	// "-XXXXXX" suffix when the ARN is a full one.
	Name string
}

// The shapes of the ARNs parsec accepts, as the errors state them.
const (
	ParameterARNRule = "an SSM parameter ARN has the form arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME[:SELECTOR]"
	SecretARNRule    = "a secret ARN has the form arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME"
	ReferenceARNRule = "a reference to a secret by ARN has the form " + ReferencePrefix + "arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME[:SELECTOR]"
)

const (
	arnPrefix         = "arn:"
	parameterResource = ":parameter/"
	secretARNFields   = 7 // arn, partition, service, region, account, "secret", name
)

// ARNError is a name that starts with "arn:" but is not an ARN of the
// shape its use requires. Rule is one of [ParameterARNRule],
// [SecretARNRule] and [ReferenceARNRule]; Problem says which part breaks
// it.
type ARNError struct {
	Rule    string
	Problem string
}

// Error returns the rule and the problem, for example "a secret ARN has
// the form … (the account must be 12 digits)".
func (e *ARNError) Error() string { return e.Rule + " (" + e.Problem + ")" }

// ParameterARN returns the ARN that decides where SSM GetParameter of name
// goes: name itself when it is a parameter ARN (with or without a
// selector), or the secret's ARN in a reference by ARN (Parameter Store
// reads a referenced secret in the secret's region). ok is false, with no
// error, when name names no ARN: a plain name or path, or a reference by
// secret name. A name that starts with "arn:" (after the reference prefix,
// for a reference) but breaks the rule is an [*ARNError]. Only a lowercase
// "arn:" starts an ARN, as for AWS.
func ParameterARN(name string) (a ARN, ok bool, err error) {
	if rest, isRef := strings.CutPrefix(name, ReferencePrefix); isRef {
		if !strings.HasPrefix(rest, arnPrefix) {
			return ARN{}, false, nil
		}
		a, err := parseSecretARN(rest, secretARNFields+1, ReferenceARNRule)
		return a, err == nil, err
	}
	if !strings.HasPrefix(name, arnPrefix) {
		return ARN{}, false, nil
	}
	a, err = split(name, "ssm", 6, 7, ParameterARNRule)
	if err != nil {
		return ARN{}, false, err
	}
	p, found := strings.CutPrefix(field(name, 5), "parameter/")
	if !found || p == "" {
		return ARN{}, false, &ARNError{ParameterARNRule, "the resource must be parameter/NAME"}
	}
	a.Name = p
	return a, true, nil
}

// SecretARN returns the ARN in a Secrets Manager secret id, full or
// partial. ok is false, with no error, when id is a secret name; an id
// that starts with "arn:" but breaks [SecretARNRule] is an [*ARNError].
func SecretARN(id string) (a ARN, ok bool, err error) {
	if !strings.HasPrefix(id, arnPrefix) {
		return ARN{}, false, nil
	}
	a, err = parseSecretARN(id, secretARNFields, SecretARNRule)
	return a, err == nil, err
}

// parseSecretARN checks a secret ARN of 7 to max fields.
func parseSecretARN(s string, max int, rule string) (ARN, error) {
	a, err := split(s, "secretsmanager", secretARNFields, max, rule)
	if err != nil {
		return ARN{}, err
	}
	if field(s, 5) != "secret" {
		return ARN{}, &ARNError{rule, "the resource type must be secret"}
	}
	if a.Name = field(s, 6); a.Name == "" {
		return ARN{}, &ARNError{rule, "the secret name is empty"}
	}
	return a, nil
}

// split checks the fields every ARN of service has: "arn", a partition,
// the service, a region, a 12-digit account, and then the resource, in min
// to max colon-separated fields in all.
func split(s, service string, min, max int, rule string) (ARN, error) {
	switch n := strings.Count(s, ":") + 1; {
	case n < min:
		return ARN{}, &ARNError{rule, strconv.Itoa(n) + " colon-separated fields, at least " + strconv.Itoa(min)}
	case n > max:
		return ARN{}, &ARNError{rule, strconv.Itoa(n) + " colon-separated fields, at most " + strconv.Itoa(max)}
	}
	a := ARN{Partition: field(s, 1), Region: field(s, 3), Account: field(s, 4)}
	switch {
	case a.Partition == "":
		return ARN{}, &ARNError{rule, "the partition is empty"}
	case field(s, 2) != service:
		return ARN{}, &ARNError{rule, "the service must be " + service}
	case !ValidRegion(a.Region):
		return ARN{}, &ARNError{rule, "the region must be lowercase letters, digits and hyphens, like us-east-1"}
	case !ValidAccount(a.Account):
		return ARN{}, &ARNError{rule, "the account must be 12 digits"}
	}
	return a, nil
}

// field returns the i-th colon-separated field of s ("" past the end).
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

// ValidRegion reports whether r can be a region name: 1 to 32 lowercase
// letters, digits and hyphens, starting with a letter. A region becomes
// part of a host name, so nothing else is let through.
func ValidRegion(r string) bool {
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

// ValidAccount reports whether id is an AWS account id: 12 digits.
func ValidAccount(id string) bool {
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

// PartitionOf returns the AWS partition of a region, from its prefix:
// cn-* is aws-cn, us-gov-* aws-us-gov, us-iso-* aws-iso, us-isob-*
// aws-iso-b, eu-isoe-* aws-iso-e, us-isof-* aws-iso-f, eusc-* aws-eusc,
// and every other region, including an empty one, aws.
func PartitionOf(region string) string {
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
