package source

import (
	"errors"
	"fmt"

	"github.com/parsec-go/parsec/internal/awsname"
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

// parameterARN returns the ARN that decides where an SSM read of name goes:
// name itself when it is an ARN, or the secret's ARN in a reference
// /aws/reference/secretsmanager/arn:… (Parameter Store reads a referenced
// secret in its own region, so the read goes to SSM of the secret's
// region). ok is false when name names no ARN: a plain name or path, or a
// reference by secret name; those stay in the client's region. The grammar
// is awsname's, the one cache invalidation reads names with.
func parameterARN(name string) (a arn, ok bool, err error) {
	return fromName(awsname.ParameterARN(name))
}

// secretARN returns the ARN in a Secrets Manager secret id (full or
// partial ARN). ok is false when id is a secret name.
func secretARN(id string) (a arn, ok bool, err error) {
	return fromName(awsname.SecretARN(id))
}

// fromName keeps what routing needs of an awsname ARN, and makes its error
// an ErrMalformedARN that states the rule.
func fromName(a awsname.ARN, ok bool, err error) (arn, bool, error) {
	if err != nil {
		return arn{}, false, fmt.Errorf("%w: %w", ErrMalformedARN, err)
	}
	return arn{partition: a.Partition, region: a.Region, account: a.Account}, ok, nil
}

// validRegion reports whether r can be a region name (awsname.ValidRegion).
func validRegion(r string) bool { return awsname.ValidRegion(r) }

// validAccount reports whether id is an AWS account id: 12 digits.
func validAccount(id string) bool { return awsname.ValidAccount(id) }

// partitionOf returns the AWS partition of a region (awsname.PartitionOf).
func partitionOf(region string) string { return awsname.PartitionOf(region) }
