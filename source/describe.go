package source

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretDescriber reads a secret's metadata, never its value.
// *secretsmanager.Client satisfies it.
type SecretDescriber interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// SecretDescriberFunc adapts a function to [SecretDescriber].
type SecretDescriberFunc func(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)

// DescribeSecret calls f.
func (f SecretDescriberFunc) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	return f(ctx, in, optFns...)
}

// The staging labels Secrets Manager itself moves during a rotation.
const (
	StageCurrent  = "AWSCURRENT"  // the version reads get by default
	StagePrevious = "AWSPREVIOUS" // the version AWSCURRENT left last
	StagePending  = "AWSPENDING"  // the version a rotation is creating
)

// Rotation is what DescribeSecret tells about a secret's versions and its
// rotation schedule: what a cache needs to expire a value when it rotates
// and to check, without reading the value, whether AWSCURRENT moved. It
// holds no secret value. The zero value describes a secret without
// versions or rotation.
type Rotation struct {
	ARN  string // the secret's full ARN
	Name string // the secret's name
	// Enabled is RotationEnabled: whether Secrets Manager rotates the
	// secret on a schedule.
	Enabled bool
	// Next is NextRotationDate: when the next scheduled rotation starts.
	// Zero when the answer has none (rotation off, or not scheduled yet).
	// A rotation may finish some time after it, and the window of a
	// schedule expression may start it later.
	Next time.Time
	// LastRotated is LastRotatedDate; zero when the secret never rotated.
	LastRotated time.Time
	// LastChanged is LastChangedDate: the last change of the secret or its
	// metadata. Zero when absent.
	LastChanged time.Time
	// Deleted is DeletedDate: set when the secret is scheduled for
	// deletion (its values can no longer be read), zero otherwise.
	Deleted time.Time
	// Versions is VersionIdsToStages: the staging labels of each version
	// that has one. Never nil after a successful read.
	Versions map[string][]string
}

// Version returns the id of the version that carries stage, or "" when
// none does.
func (r Rotation) Version(stage string) string {
	for _, id := range slices.Sorted(maps.Keys(r.Versions)) {
		if slices.Contains(r.Versions[id], stage) {
			return id
		}
	}
	return ""
}

// Current returns the id of the AWSCURRENT version, or "" when the secret
// has none (no value yet).
func (r Rotation) Current() string { return r.Version(StageCurrent) }

// ReadRotation makes one Secrets Manager DescribeSecret call for the secret
// id (a name or an ARN) and returns its rotation schedule and versions. It
// costs no GetSecretValue, and the IAM action it needs is
// secretsmanager:DescribeSecret. The error is an [*Error] classified as
// [Clients.ReadSecret]'s are; it wraps [ErrNoClient] when c.Describe is
// nil.
func (c Clients) ReadRotation(ctx context.Context, id string) (Rotation, error) {
	const op = "DescribeSecret"
	if c.Describe == nil {
		return Rotation{}, fmt.Errorf("%s %q: %w", op, id, ErrNoClient)
	}
	out, err := c.Describe.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if err != nil {
		return Rotation{}, Classify(op, id, err)
	}
	if out == nil {
		return Rotation{}, emptyAnswer(op, id)
	}
	r := Rotation{
		ARN: aws.ToString(out.ARN), Name: aws.ToString(out.Name), Enabled: aws.ToBool(out.RotationEnabled),
		Next: aws.ToTime(out.NextRotationDate), LastRotated: aws.ToTime(out.LastRotatedDate),
		LastChanged: aws.ToTime(out.LastChangedDate), Deleted: aws.ToTime(out.DeletedDate),
		Versions: make(map[string][]string, len(out.VersionIdsToStages)),
	}
	for id, stages := range out.VersionIdsToStages {
		if len(stages) > 0 { // moto lists versions without a stage; AWS does not
			r.Versions[id] = slices.Clone(stages)
		}
	}
	return r, nil
}

// DescribeSecret sends in to the client of the region in.SecretId names.
func (s secretRoutes) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	if in == nil {
		return s.r.homeC.DescribeSecret(ctx, in, optFns...)
	}
	id := aws.ToString(in.SecretId)
	a, ok, err := secretARN(id)
	c, _, err := s.r.route("DescribeSecret", id, a, ok, err)
	if err != nil {
		return nil, err
	}
	return c.DescribeSecret(ctx, in, optFns...)
}
