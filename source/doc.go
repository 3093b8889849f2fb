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
// The Clients of [New] route reads by role and region. A parameter or
// secret ARN of another region than the config's is read through clients
// of that region; a context made with [WithRole] reads through an IAM role,
// assumed with STS AssumeRole (session name [RoleSessionName]) and cached
// by the SDK's credentials cache, refreshed before it expires. One client
// set is made per (role, region) on first use and kept only after a call
// through it reached an endpoint, so regions that do not exist and roles
// that cannot be assumed take no place; at most [WithMaxRegions] regions
// (default [DefaultMaxRegions]) and [WithMaxRoles] roles (default
// [DefaultMaxRoles]) are kept, the least recently used dropped: no read
// ever fails for want of room. [Clients.ReadParameters] and
// [Clients.ReadSecrets] split a batch by region, one call per region, each
// name's answer in its own result slot. A malformed ARN or role ARN, one
// of another partition, or a region without its partition's form
// (zz-fake-0) is refused locally before any call, with an [*Error] whose
// Local is set and whose text says so (see [ErrMalformedARN],
// [ErrPartitionMismatch], [ErrUnknownRegion]). [WithRegionRouting](false)
// sends every read to the config's region, as the AWS extension does.
//
// A context made with [WithFailover] lets a secret read whose region fails
// transiently read a replica region instead; [ServedBy] says which region
// answered. [Clients.ListSecretsByTag] lists the secrets carrying tag keys
// (prefetch by tag).
package source
