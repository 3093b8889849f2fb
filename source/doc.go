// Package source is where parsec's values come from: AWS Systems Manager
// Parameter Store and AWS Secrets Manager, reached through the AWS SDK for Go
// v2.
//
// Each upstream operation parsec uses is a one-method interface
// ([ParameterGetter], [SecretGetter], …) that *ssm.Client and
// *secretsmanager.Client satisfy, so a test can replace any one of them with a
// function ([ParameterGetterFunc], …) or point the real clients at the
// wire-level fake in package sourcetest. [Clients] bundles them; [New] builds
// it from an aws.Config without any I/O.
//
// [Clients] also makes the calls themselves, so that no other package builds
// an AWS request or reads an AWS answer: [Clients.ReadParameter],
// [Clients.ReadParameters] (GetParameters, matched to the names asked),
// [Clients.ReadPath] (GetParametersByPath, every page),
// [Clients.ReadSecret] and [Clients.ReadSecrets] (BatchGetSecretValue), and
// [Clients.ReadRotation] (DescribeSecret: a secret's rotation schedule and
// the version of each stage, without its value).
//
// Upstream errors, of single calls and of batch items alike, are classified
// with one table by [Classify] into an [*Error] that matches one of the
// sentinels [ErrNotFound], [ErrAccessDenied], [ErrThrottled], [ErrInvalid],
// [ErrUnavailable] or [ErrConfig] with errors.Is and still unwraps to the
// cause (for example *types.ParameterNotFound, or the *net.OpError of a
// refused connection) with errors.As. Error messages carry the operation,
// the name, the kind and the cause's own words (AWS's code and message, the
// dial error with host and port, a custom client's text), never a value.
//
// The Clients of [New] route reads by region: a parameter or secret ARN of
// another region than the config's is read through clients of that region,
// made on first use from the same configuration and kept, at most
// [DefaultMaxRegions] of them unless [WithMaxRegions] says otherwise; batch
// reads are split by region and merged in request order. A malformed ARN,
// an ARN of another partition, or a region beyond the bound is refused
// before any call (see [ErrMalformedARN], [ErrPartitionMismatch],
// [ErrTooManyRegions]). [WithRegionRouting](false) sends every read to the
// config's region, as the AWS extension does.
package source
