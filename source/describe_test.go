package source_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

var _ source.SecretDescriber = (*secretsmanager.Client)(nil)

// ReadRotation reports the schedule and the stages of a staged rotation
// (AWSPENDING beside AWSCURRENT and AWSPREVIOUS), from the wire-level fake.
func TestReadRotation(t *testing.T) {
	ctx := context.Background()
	srv := sourcetest.NewServer()
	t.Cleanup(srv.Close)
	v1, err := srv.CreateSecret(sourcetest.Secret{Name: "db"}, sourcetest.SecretVersion{String: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("two")})
	if err != nil {
		t.Fatal(err)
	}
	v3, err := srv.PutSecretValue("db", sourcetest.SecretVersion{String: aws.String("three"), Stages: []string{source.StagePending}})
	if err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 12, 8, 10, 30, 0, 123e6, time.UTC)
	last := next.Add(-24 * time.Hour)
	if err := srv.SetRotation("db", sourcetest.Rotation{Enabled: true, AfterDays: 1, Next: next, LastRotated: last}); err != nil {
		t.Fatal(err)
	}
	cl := srv.Clients()
	r, err := cl.ReadRotation(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Enabled || !r.Next.Equal(next) || !r.LastRotated.Equal(last) || r.Name != "db" || r.ARN == "" || r.LastChanged.IsZero() {
		t.Errorf("ReadRotation = %+v; want enabled, next %v, last rotated %v, name db, an ARN and a LastChanged", r, next, last)
	}
	want := map[string][]string{v1: {source.StagePrevious}, v2: {source.StageCurrent}, v3: {source.StagePending}}
	if !maps.EqualFunc(r.Versions, want, slices.Equal) {
		t.Errorf("Versions = %v; want %v", r.Versions, want)
	}
	for stage, id := range map[string]string{source.StageCurrent: v2, source.StagePrevious: v1, source.StagePending: v3, "MINE": ""} {
		if got := r.Version(stage); got != id {
			t.Errorf("Version(%q) = %q; want %q", stage, got, id)
		}
	}
	if srv.Calls("DescribeSecret") != 1 || srv.Calls("GetSecretValue") != 0 {
		t.Errorf("calls: DescribeSecret %d, GetSecretValue %d; want 1 and 0", srv.Calls("DescribeSecret"), srv.Calls("GetSecretValue"))
	}

	// The rotation ends: AWSCURRENT moves to the pending version, the next
	// rotation a day later.
	if err := srv.FinishRotation("db", v3); err != nil {
		t.Fatal(err)
	}
	r, err = cl.ReadRotation(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if r.Current() != v3 || r.Version(source.StagePrevious) != v2 || r.Version(source.StagePending) != "" {
		t.Errorf("after FinishRotation: Versions = %v; want %s current, %s previous, none pending", r.Versions, v3, v2)
	}
	if r.Next.Sub(r.LastRotated) != 24*time.Hour {
		t.Errorf("after FinishRotation: Next %v, LastRotated %v; want a day apart", r.Next, r.LastRotated)
	}
}

// A secret that never rotated has no rotation fields; errors are
// classified as reads are.
func TestReadRotationNoRotationAndErrors(t *testing.T) {
	ctx := context.Background()
	srv := sourcetest.NewServer()
	t.Cleanup(srv.Close)
	if _, err := srv.CreateSecret(sourcetest.Secret{Name: "plain"}, sourcetest.SecretVersion{String: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	cl := srv.Clients()
	r, err := cl.ReadRotation(ctx, "plain")
	if err != nil || r.Enabled || !r.Next.IsZero() || !r.LastRotated.IsZero() || r.Current() == "" {
		t.Errorf("ReadRotation(plain) = %+v, %v; want no rotation and a current version", r, err)
	}
	_, err = cl.ReadRotation(ctx, "missing")
	var rnf *smtypes.ResourceNotFoundException
	if !errors.Is(err, source.ErrNotFound) || !errors.As(err, &rnf) {
		t.Errorf("ReadRotation(missing) = %v; want ErrNotFound unwrapping to ResourceNotFoundException", err)
	}
	var se *source.Error
	if !errors.As(err, &se) || se.Op != "DescribeSecret" || se.Name != "missing" {
		t.Errorf("ReadRotation(missing) error = %#v; want Op DescribeSecret, Name missing", se)
	}
	if _, err := (source.Clients{}).ReadRotation(ctx, "plain"); !errors.Is(err, source.ErrNoClient) {
		t.Errorf("ReadRotation without Describe = %v; want ErrNoClient", err)
	}
	if err := srv.SetRotation("missing", sourcetest.Rotation{}); err == nil {
		t.Error("SetRotation(missing) = nil; want an error")
	}
}

// DescribeSecret by ARN of another region goes to that region's clients.
func TestReadRotationRoutesByARN(t *testing.T) {
	east, west, cl := twoRegions(t)
	if err := west.SetRotation("db", sourcetest.Rotation{Enabled: true, AfterDays: 7}); err != nil {
		t.Fatal(err)
	}
	r, err := cl.ReadRotation(context.Background(), westSecret)
	if err != nil || !r.Enabled {
		t.Fatalf("ReadRotation(%s) = %+v, %v; want the west secret, rotation on", westSecret, r, err)
	}
	if east.Calls("DescribeSecret") != 0 || west.Calls("DescribeSecret") != 1 {
		t.Errorf("DescribeSecret calls: east %d, west %d; want 0 and 1", east.Calls("DescribeSecret"), west.Calls("DescribeSecret"))
	}
}

// Against moto: RotateSecret with rules (and no immediate rotation) gives
// RotationEnabled and a NextRotationDate; versions without a stage, which
// moto lists, are left out.
func TestReadRotationAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	sm := srv.SecretsManager()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("one")}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"two", "three"} {
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("db"),
		RotationRules:     &smtypes.RotationRulesType{AutomaticallyAfterDays: aws.Int64(1)},
		RotateImmediately: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	cl := srv.Clients()
	r, err := cl.ReadRotation(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Enabled || r.Next.IsZero() || r.Current() == "" || r.Version(source.StagePrevious) == "" {
		t.Errorf("ReadRotation = %+v; want rotation on, a NextRotationDate, AWSCURRENT and AWSPREVIOUS", r)
	}
	for id, stages := range r.Versions {
		if len(stages) == 0 {
			t.Errorf("Versions[%s] has no stage; want versions without a stage left out", id)
		}
	}
}
