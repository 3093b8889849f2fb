package sdkcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/sdkcache"
)

// TestWithMaxAge: a call under sdkcache.WithMaxAge reloads a cached answer
// older than its bound, through the real SDK client, for every read the
// middleware answers; a call with a loose bound or none is a hit.
func TestWithMaxAge(t *testing.T) {
	srv, cfg, _ := setup(t)
	seed(t, srv, "/app/p", "v1")
	seedSecret(t, srv, "app/s", "s1")
	client := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	fresh := sdkcache.WithMaxAge(ctx, time.Nanosecond) // fetched after the call asked
	loose := sdkcache.WithMaxAge(ctx, time.Hour)
	reads := map[string]func(c ctxT) string{
		"GetParameter": func(c ctxT) string {
			out, err := client.GetParameter(c, &ssm.GetParameterInput{Name: aws.String("/app/p")})
			must(t, err)
			return aws.ToString(out.Parameter.Value)
		},
		"GetParameters": func(c ctxT) string {
			out, err := client.GetParameters(c, &ssm.GetParametersInput{Names: []string{"/app/p"}})
			must(t, err)
			return aws.ToString(out.Parameters[0].Value)
		},
		"GetParametersByPath": func(c ctxT) string {
			out, err := client.GetParametersByPath(c, &ssm.GetParametersByPathInput{Path: aws.String("/app")})
			must(t, err)
			return aws.ToString(out.Parameters[0].Value)
		},
		"GetSecretValue": func(c ctxT) string {
			out, err := sm.GetSecretValue(c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
			must(t, err)
			return aws.ToString(out.SecretString)
		},
		"BatchGetSecretValue": func(c ctxT) string {
			out, err := sm.BatchGetSecretValue(c, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"app/s"}})
			must(t, err)
			return aws.ToString(out.SecretValues[0].SecretString)
		},
	}
	upstream := func() int {
		n := 0
		for _, op := range []string{"GetParameter", "GetParameters", "GetParametersByPath", "GetSecretValue", "BatchGetSecretValue"} {
			n += srv.Calls(op)
		}
		return n
	}
	for op, read := range reads {
		read(ctx) // cached
		srv.ResetCounters()
		for i, c := range []ctxT{ctx, loose, sdkcache.WithMaxAge(ctx, 0)} {
			read(c)
			if n := upstream(); n != 0 {
				t.Errorf("%s, context %d: %d upstream calls; want a hit", op, i, n)
			}
		}
		read(fresh)
		if n := upstream(); n != 1 {
			t.Errorf("%s under WithMaxAge(1ns): %d upstream calls; want 1", op, n)
		}
	}
	// A value changed behind the cache's back is read at once under a
	// tight bound, and then served to reads without one.
	seed(t, srv, "/app/p", "v2")
	if got := reads["GetParameter"](ctx); got != "v1" {
		t.Fatalf("GetParameter without a bound = %q; want the cached v1", got)
	}
	if got := reads["GetParameter"](fresh); got != "v2" {
		t.Fatalf("GetParameter under WithMaxAge = %q; want v2", got)
	}
	if got := reads["GetParameter"](ctx); got != "v2" {
		t.Fatalf("GetParameter without a bound after the reload = %q; want v2", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type ctxT = context.Context
