package cache

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/source"
)

// fakeUpstream is a function-type fake of both services for unit tests of
// the cache's logic. Its answers encode the request, so a test can tell
// which request produced a value.
type fakeUpstream struct {
	mu       sync.Mutex
	calls    map[string]int
	total    atomic.Int64
	paramFn  func(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
	secretFn func(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)
}

func newFake() *fakeUpstream { return &fakeUpstream{calls: map[string]int{}} }

func echoParameter(in *ssm.GetParameterInput) *ssm.GetParameterOutput {
	name := aws.ToString(in.Name)
	v := "value-of:" + name + ":decrypt=" + strconv.FormatBool(aws.ToBool(in.WithDecryption))
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: aws.String(name), Value: aws.String(v),
		Type: ssmtypes.ParameterTypeString, Version: 1}}
}

func echoSecret(in *secretsmanager.GetSecretValueInput) *secretsmanager.GetSecretValueOutput {
	v := "secret-of:" + aws.ToString(in.SecretId) + ":id=" + aws.ToString(in.VersionId) + ":stage=" + aws.ToString(in.VersionStage)
	return &secretsmanager.GetSecretValueOutput{Name: in.SecretId, SecretString: aws.String(v),
		VersionId: aws.String("v1"), VersionStages: []string{"AWSCURRENT"}}
}

func (f *fakeUpstream) count(k string) {
	f.total.Add(1)
	f.mu.Lock()
	if f.calls != nil { // nil: count the total only (tests of unbounded name streams)
		f.calls[k]++
	}
	f.mu.Unlock()
}

func (f *fakeUpstream) callsFor(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[k]
}

func (f *fakeUpstream) clients() source.Clients {
	return source.Clients{
		Parameter: source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
			f.count(aws.ToString(in.Name))
			if f.paramFn != nil {
				return f.paramFn(ctx, in)
			}
			return echoParameter(in), nil
		}),
		Secret: source.SecretGetterFunc(func(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
			f.count(aws.ToString(in.SecretId))
			if f.secretFn != nil {
				return f.secretFn(ctx, in)
			}
			return echoSecret(in), nil
		}),
	}
}

func mustNew(t testing.TB, src source.Clients, opts ...Option) *Cache {
	t.Helper()
	c, err := New(src, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// advance lets fake time pass inside a synctest bubble.
func advance(d time.Duration) {
	t := time.NewTimer(d)
	<-t.C
}

// appearing returns a fake whose parameters are not found until exists is
// set, and then echo.
func appearing() (f *fakeUpstream, exists *atomic.Bool) {
	f, exists = newFake(), &atomic.Bool{}
	f.paramFn = func(_ context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		if !exists.Load() {
			return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
		}
		return echoParameter(in), nil
	}
	return f, exists
}
