package sdkcache_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/cache"
)

func TestGetSecretValue(t *testing.T) {
	srv, cfg, _ := setup(t)
	seedSecret(t, srv, "app/db", "pw")
	sm := secretsmanager.NewFromConfig(cfg)
	direct, err := srv.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCounters()
	for i := range 100 {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
		if err != nil {
			t.Fatal(err)
		}
		out.ResultMetadata = direct.ResultMetadata
		if !reflect.DeepEqual(out, direct) {
			t.Fatalf("call %d: GetSecretValue = %+v; want %+v", i, out, direct)
		}
	}
	if n := srv.Calls("GetSecretValue"); n != 1 {
		t.Errorf("upstream GetSecretValue calls = %d; want 1", n)
	}
	// By stage: a key of its own.
	if out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db"), VersionStage: aws.String("AWSCURRENT")}); err != nil || aws.ToString(out.SecretString) != "pw" {
		t.Errorf("GetSecretValue(AWSCURRENT) = %v", err)
	}
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/missing")})
	var rnf *smtypes.ResourceNotFoundException
	var oe *smithy.OperationError
	if !errors.As(err, &rnf) || !errors.As(err, &oe) || oe.ServiceID != "Secrets Manager" || !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("GetSecretValue(app/missing) = %v; want *types.ResourceNotFoundException in a Secrets Manager OperationError", err)
	}
}

func TestBatchGetSecretValue(t *testing.T) {
	srv, cfg, _ := setup(t)
	seedSecret(t, srv, "s1", "one")
	seedSecret(t, srv, "s2", "two")
	sm := secretsmanager.NewFromConfig(cfg)
	for i := range 2 {
		out, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"s1", "nope", "s2", "s1"}})
		if err != nil {
			t.Fatalf("BatchGetSecretValue: %v", err)
		}
		var got []string
		for _, v := range out.SecretValues {
			got = append(got, aws.ToString(v.Name)+"="+aws.ToString(v.SecretString))
		}
		if !reflect.DeepEqual(got, []string{"s1=one", "s2=two"}) || len(out.Errors) != 1 ||
			aws.ToString(out.Errors[0].SecretId) != "nope" || aws.ToString(out.Errors[0].ErrorCode) != "ResourceNotFoundException" {
			t.Errorf("call %d: BatchGetSecretValue = %v, errors %+v; want [s1=one s2=two] and nope ResourceNotFoundException", i, got, out.Errors)
		}
	}
	if n := srv.Calls("BatchGetSecretValue"); n != 1 {
		t.Errorf("upstream BatchGetSecretValue calls = %d; want 1", n)
	}
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s2")}); err != nil || srv.Calls("GetSecretValue") != 0 {
		t.Errorf("GetSecretValue(s2) after the batch: %v, %d upstream calls; want a hit", err, srv.Calls("GetSecretValue"))
	}
}
