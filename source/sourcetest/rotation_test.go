package sourcetest_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/parsec-go/parsec/source/sourcetest"
)

// SetRotation's fields reach DescribeSecret through the SDK; a secret
// without a rotation has none of them; FinishRotation moves the stages and
// the schedule.
func TestRotationFields(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s := newServer(t, sourcetest.WithClock(func() time.Time { return now }))
	c := s.SecretsManager()
	describe := func(id string) *secretsmanager.DescribeSecretOutput {
		t.Helper()
		d, err := c.DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, name := range []string{"rotating", "plain"} {
		if _, err := s.CreateSecret(sourcetest.Secret{Name: name}, sourcetest.SecretVersion{String: aws.String("one")}); err != nil {
			t.Fatal(err)
		}
	}
	next := now.Add(6 * time.Hour)
	if err := s.SetRotation("rotating", sourcetest.Rotation{Enabled: true, LambdaARN: "arn:aws:lambda:us-east-1:123456789012:function:rot",
		AfterDays: 2, Schedule: "rate(2 days)", Window: "3h", Next: next}); err != nil {
		t.Fatal(err)
	}
	d := describe("rotating")
	if !aws.ToBool(d.RotationEnabled) || aws.ToString(d.RotationLambdaARN) == "" || d.RotationRules == nil ||
		aws.ToInt64(d.RotationRules.AutomaticallyAfterDays) != 2 || aws.ToString(d.RotationRules.ScheduleExpression) != "rate(2 days)" ||
		aws.ToString(d.RotationRules.Duration) != "3h" || !aws.ToTime(d.NextRotationDate).Equal(next) || d.LastRotatedDate != nil {
		t.Errorf("DescribeSecret(rotating) = %+v; want every rotation field set, no LastRotatedDate", d)
	}
	if d := describe("plain"); d.RotationEnabled != nil || d.RotationRules != nil || d.NextRotationDate != nil || d.RotationLambdaARN != nil {
		t.Errorf("DescribeSecret(plain) = %+v; want no rotation field", d)
	}

	pending, err := s.PutSecretValue("rotating", sourcetest.SecretVersion{String: aws.String("two"), Stages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(7 * time.Hour)
	if err := s.FinishRotation("rotating", pending); err != nil {
		t.Fatal(err)
	}
	d = describe("rotating")
	if got := d.VersionIdsToStages[pending]; len(got) != 1 || got[0] != "AWSCURRENT" {
		t.Errorf("stages of %s after FinishRotation = %v; want [AWSCURRENT]", pending, got)
	}
	if !aws.ToTime(d.LastRotatedDate).Equal(now) || !aws.ToTime(d.NextRotationDate).Equal(now.Add(48*time.Hour)) {
		t.Errorf("after FinishRotation: LastRotatedDate %v, NextRotationDate %v; want %v and two days later", d.LastRotatedDate, d.NextRotationDate, now)
	}
	if err := s.FinishRotation("rotating", "no-such-version"); err == nil {
		t.Error("FinishRotation(no such version) = nil; want an error")
	}
	if err := s.SetRotation("rotating", sourcetest.Rotation{AfterDays: -1}); err == nil {
		t.Error("SetRotation(AfterDays -1) = nil; want an error")
	}
}
