package cache_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/internal/motoserver"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// reader is what application code calls; a *ssm.Client and an
// *sdkcache.Reader both satisfy it.
type reader interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

func TestAgainstMoto(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := motoserver.WithTimeout(t)
	s := srv.SSM()
	sm := srv.SecretsManager()
	put := func(name, value string, typ ssmtypes.ParameterType, overwrite bool) {
		t.Helper()
		if _, err := s.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite)}); err != nil {
			t.Fatal(err)
		}
	}
	put("/app/str", "plain", ssmtypes.ParameterTypeString, false)
	put("/app/list", "a,b,c", ssmtypes.ParameterTypeStringList, false)
	put("/app/secure", "s3cret-v1", ssmtypes.ParameterTypeSecureString, false)
	put("/app/secure", "s3cret-v2", ssmtypes.ParameterTypeSecureString, true)
	if _, err := s.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/app/secure"), ParameterVersion: aws.Int64(1), Labels: []string{"old"}}); err != nil {
		t.Fatal(err)
	}
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("pw1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("pw2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bin"), SecretBinary: []byte{0, 1, 2, 255}}); err != nil {
		t.Fatal(err)
	}

	c, err := cache.New(srv.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	params := []struct {
		req     cache.ParameterRequest
		value   string
		version int64
		typ     ssmtypes.ParameterType
	}{
		{cache.ParameterRequest{Name: "/app/str"}, "plain", 1, ssmtypes.ParameterTypeString},
		{cache.ParameterRequest{Name: "/app/list"}, "a,b,c", 1, ssmtypes.ParameterTypeStringList},
		{cache.ParameterRequest{Name: "/app/secure", WithDecryption: true}, "s3cret-v2", 2, ssmtypes.ParameterTypeSecureString},
		{cache.ParameterRequest{Name: "/app/secure", WithDecryption: true, Version: 1}, "s3cret-v1", 1, ssmtypes.ParameterTypeSecureString},
		{cache.ParameterRequest{Name: "/app/secure", WithDecryption: true, Label: "old"}, "s3cret-v1", 1, ssmtypes.ParameterTypeSecureString},
		{cache.ParameterRequest{Name: "/app/secure:1", WithDecryption: true}, "s3cret-v1", 1, ssmtypes.ParameterTypeSecureString},
		{cache.ParameterRequest{Name: "/aws/reference/secretsmanager/db", WithDecryption: true}, "pw2", 0, ssmtypes.ParameterTypeSecureString},
	}
	for _, p := range params {
		for range 2 {
			got, err := c.Parameter(ctx, p.req)
			if err != nil {
				t.Fatalf("Parameter(%+v): %v", p.req, err)
			}
			if got.Value() != p.value || got.Version != p.version || got.Type != p.typ {
				t.Errorf("Parameter(%+v) = value %q version %d type %s; want %q %d %s", p.req, got.Value(), got.Version, got.Type, p.value, p.version, p.typ)
			}
		}
	}
	// Without decryption a SecureString is not its plaintext (moto returns
	// "kms:<key>:<plaintext>"; real SSM returns ciphertext), and it is a
	// separate entry from the decrypted read.
	enc, err := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/secure"})
	if err != nil || enc.Value() == "s3cret-v2" {
		t.Errorf("Parameter(/app/secure, no decryption) = %q, %v; want not the plaintext", enc.Value(), err)
	}
	if l, _ := c.Parameter(ctx, cache.ParameterRequest{Name: "/app/list"}); len(l.List()) != 3 {
		t.Errorf("List() = %q; want 3 items", l.List())
	}

	secrets := []struct {
		req   cache.SecretRequest
		value string
		stage string
	}{
		{cache.SecretRequest{SecretID: "db"}, "pw2", "AWSCURRENT"},
		{cache.SecretRequest{SecretID: "db", VersionStage: "AWSPREVIOUS"}, "pw1", "AWSPREVIOUS"},
		{cache.SecretRequest{SecretID: "db", VersionID: aws.ToString(created.VersionId)}, "pw1", "AWSPREVIOUS"},
		{cache.SecretRequest{SecretID: aws.ToString(created.ARN)}, "pw2", "AWSCURRENT"},
	}
	for _, sr := range secrets {
		got, err := c.Secret(ctx, sr.req)
		if err != nil {
			t.Fatalf("Secret(%+v): %v", sr.req, err)
		}
		if got.Value() != sr.value || len(got.Stages()) != 1 || got.Stages()[0] != sr.stage {
			t.Errorf("Secret(%+v) = %q %v; want %q [%s]", sr.req, got.Value(), got.Stages(), sr.value, sr.stage)
		}
	}
	bin, err := c.Secret(ctx, cache.SecretRequest{SecretID: "bin"})
	if err != nil || bin.HasString() || string(bin.Binary()) != "\x00\x01\x02\xff" {
		t.Errorf("binary secret = %v %x, %v", bin.HasString(), bin.Binary(), err)
	}

	// Not found: typed, and the SDK's error is still there.
	_, err = c.Parameter(ctx, cache.ParameterRequest{Name: "/app/nope"})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.Is(err, cache.ErrNotFound) || !errors.As(err, &pnf) {
		t.Errorf("missing parameter: %v; want ErrNotFound and *ParameterNotFound", err)
	}
	_, err = c.Parameter(ctx, cache.ParameterRequest{Name: "/app/str", Version: 9})
	var pvnf *ssmtypes.ParameterVersionNotFound
	if !errors.Is(err, cache.ErrNotFound) || !errors.As(err, &pvnf) {
		t.Errorf("missing version: %v; want ErrNotFound and *ParameterVersionNotFound", err)
	}
	_, err = c.Secret(ctx, cache.SecretRequest{SecretID: "nope"})
	var rnf *smtypes.ResourceNotFoundException
	if !errors.Is(err, cache.ErrNotFound) || !errors.As(err, &rnf) {
		t.Errorf("missing secret: %v; want ErrNotFound and *ResourceNotFoundException", err)
	}

	// The drop-in: code written against the SDK's method set gets the
	// same answers from the cache as from the clients.
	direct := sdkReader{s, sm}
	sdk := sdkcache.NewReader(c, srv.Clients()) // the SDK-shaped calls, moved from the cache (issue 21)
	for name, r := range map[string]reader{"sdk": direct, "cache": sdk} {
		out, err := r.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secure:old"), WithDecryption: aws.Bool(true)})
		if err != nil || aws.ToString(out.Parameter.Value) != "s3cret-v1" {
			t.Errorf("%s GetParameter = %v, %v", name, out, err)
		}
		sv, err := r.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db"), VersionStage: aws.String("AWSPREVIOUS")})
		if err != nil || aws.ToString(sv.SecretString) != "pw1" {
			t.Errorf("%s GetSecretValue = %v", name, err)
		}
		_, err = r.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/nope")})
		if !errors.As(err, &pnf) {
			t.Errorf("%s GetParameter(missing) = %v; want *ParameterNotFound", name, err)
		}
	}
	before := c.Stats().Loads
	if _, err := sdk.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/str")}); err != nil {
		t.Fatal(err)
	}
	if c.Stats().Loads != before {
		t.Errorf("GetParameter for a cached name made an upstream call")
	}
	// Calls with option functions bypass the cache.
	if _, err := sdk.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/str")}, func(*ssm.Options) {}); err != nil {
		t.Fatal(err)
	}
	var _ source.ParameterGetter = sdk
}

type sdkReader struct {
	p *ssm.Client
	s *secretsmanager.Client
}

func (r sdkReader) GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	return r.p.GetParameter(ctx, in, optFns...)
}

func (r sdkReader) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return r.s.GetSecretValue(ctx, in, optFns...)
}
