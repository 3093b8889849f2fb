package source_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/source"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// The real clients satisfy the one-method interfaces.
var (
	_ source.ParameterGetter        = (*ssm.Client)(nil)
	_ source.ParametersGetter       = (*ssm.Client)(nil)
	_ source.ParametersByPathGetter = (*ssm.Client)(nil)
	_ source.SecretGetter           = (*secretsmanager.Client)(nil)
	_ source.SecretBatchGetter      = (*secretsmanager.Client)(nil)
)

func TestClassifyAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	cl := srv.Clients()
	if _, err := srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		call func() error
		kind error
		as   func(error) bool
	}{
		{"missing parameter", func() error {
			_, err := cl.Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/missing")})
			return err
		}, source.ErrNotFound, func(err error) bool { var e *ssmtypes.ParameterNotFound; return errors.As(err, &e) }},
		{"missing version", func() error {
			_, err := cl.Parameter.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/x:7")})
			return err
		}, source.ErrNotFound, func(err error) bool { var e *ssmtypes.ParameterVersionNotFound; return errors.As(err, &e) }},
		{"missing secret", func() error {
			_, err := cl.Secret.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
			return err
		}, source.ErrNotFound, func(err error) bool { var e *smtypes.ResourceNotFoundException; return errors.As(err, &e) }},
		{"reserved name", func() error {
			_, err := srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/aws/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString})
			return err
		}, source.ErrAccessDenied, func(err error) bool { var e smithy.APIError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := source.Classify("Op", "n", tt.call())
			if !errors.Is(err, tt.kind) {
				t.Fatalf("Classify(...) = %v; want kind %v", err, tt.kind)
			}
			if !tt.as(err) {
				t.Fatalf("errors.As(%v) did not find the SDK's typed error", err)
			}
			if source.IsTransient(err) {
				t.Errorf("IsTransient(%v) = true; want false", err)
			}
		})
	}
}

func TestClassifyUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String("http://" + addr), RetryMaxAttempts: 1}
	_, err = ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("x")})
	err = source.Classify("GetParameter", "x", err)
	if !errors.Is(err, source.ErrUnavailable) || !source.IsTransient(err) {
		t.Fatalf("Classify(connection refused) = %v; want ErrUnavailable, transient", err)
	}
}

func TestClassifyCanceledPassesThrough(t *testing.T) {
	if err := source.Classify("Op", "n", context.Canceled); err != context.Canceled {
		t.Fatalf("Classify(context.Canceled) = %v; want context.Canceled", err)
	}
	if err := source.Classify("Op", "n", nil); err != nil {
		t.Fatalf("Classify(nil) = %v; want nil", err)
	}
}
