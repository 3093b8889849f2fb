package sdkcache_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/sdkcache"
)

// TestPassThrough: calls the cache cannot answer reach the service every
// time, unchanged.
func TestPassThrough(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/p", "v")
	seedSecret(t, srv, "app/s", "s")
	client := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	otherRegion := func(o *ssm.Options) { o.Region = "eu-west-1" }
	tests := []struct {
		name, op string
		call     func() error
	}{
		{"another operation", "DescribeSecret", func() error {
			_, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/s")})
			return err
		}},
		{"BypassSSM", "GetParameter", func() error {
			_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}, sdkcache.BypassSSM)
			return err
		}},
		{"BypassSecretsManager", "GetSecretValue", func() error {
			_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")}, sdkcache.BypassSecretsManager)
			return err
		}},
		{"another Region", "GetParameter", func() error {
			_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}, otherRegion)
			return err
		}},
		{"ParameterFilters", "GetParametersByPath", func() error {
			_, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"),
				ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("Type"), Values: []string{"String"}}}})
			if code(err) == "ValidationException" { // the fake does not model filters
				err = nil
			}
			return err
		}},
		{"a NextToken from SSM", "GetParametersByPath", func() error {
			_, err := client.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("AAAA")})
			if code(err) != "" {
				err = nil // the fake rejects the token: what matters is that it saw it
			}
			return err
		}},
		{"Filters", "BatchGetSecretValue", func() error {
			_, err := sm.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
				Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"app/s"}}}})
			return err
		}},
		{"a name the cache rejects", "GetParameter", func() error {
			_, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/\x01p")})
			if code(err) != "" {
				err = nil // the service's own error: what matters is that it saw the call
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetCounters()
			for range 3 {
				if err := tt.call(); err != nil {
					t.Fatalf("call: %v", err)
				}
			}
			if n := srv.Calls(tt.op); n != 3 {
				t.Errorf("upstream %s calls = %d; want 3", tt.op, n)
			}
		})
	}
}

// TestAfterClose: clients keep working after the cache is closed; every
// call goes upstream (the closed store holds nothing any more).
func TestAfterClose(t *testing.T) {
	srv, cfg, c := setup(t)
	seed(t, srv, "/app/held", "h")
	seed(t, srv, "/app/new", "n")
	client := ssm.NewFromConfig(cfg)
	if _, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/held")}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.ResetCounters()
	for range 3 {
		out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/held")})
		if err != nil || aws.ToString(out.Parameter.Value) != "h" {
			t.Fatalf("GetParameter(/app/held) after Close = %v", err)
		}
		out, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/new")})
		if err != nil || aws.ToString(out.Parameter.Value) != "n" {
			t.Fatalf("GetParameter(/app/new) after Close = %v", err)
		}
	}
	if held, fresh := srv.CallsFor("GetParameter", "/app/held"), srv.CallsFor("GetParameter", "/app/new"); held != 3 || fresh != 3 {
		t.Errorf("upstream calls after Close: held %d, new %d; want 3 and 3", held, fresh)
	}
}
