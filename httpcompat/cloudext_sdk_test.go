package httpcompat

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/parsec-go/parsec/internal/logbuf"
)

// The extension key of the tests. The secret is a canary: no log line,
// error or body may hold it.
var testKey = ExtensionKey{ID: "AKIDPARSECEXAMPLE", Secret: "canary-extension-secret-key-0123456789"}

// newCloudServer serves the Cloud Extensions API over a fresh fake
// upstream on 127.0.0.1, with the test key, logging at DEBUG into logs.
func newCloudServer(t testing.TB, opts ...Option) (*Server, *upstream, *logbuf.Buffer) {
	t.Helper()
	u := &upstream{}
	logs := &logbuf.Buffer{}
	opts = append([]Option{WithExtensionKey(testKey), WithLogger(NewLogger(logs, slog.LevelDebug))}, opts...)
	h, err := NewCloudExtensions(newCache(t, u.clients()), opts...)
	if err != nil {
		t.Fatalf("NewCloudExtensions: %v", err)
	}
	srv, err := Listen("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, u, logs
}

// sdkSSM is aws-sdk-go-v2's SSM client pointed at the server, as a user
// configures it: BaseEndpoint and the extension key as credentials.
func sdkSSM(srv *Server, key ExtensionKey) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL() + routeParameterStore),
		Credentials:      credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
		RetryMaxAttempts: 1,
	})
}

func sdkSecretsManager(srv *Server, key ExtensionKey) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL() + routeSecretsManager),
		Credentials:      credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
		RetryMaxAttempts: 1,
	})
}

func TestCloudGoSDKSSM(t *testing.T) {
	srv, u, logs := newCloudServer(t)
	c := sdkSSM(srv, testKey)
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		decrypt bool
		want    string
		typ     ssmtypes.ParameterType
	}{
		{"/app/plain", false, "value-of:/app/plain", ssmtypes.ParameterTypeString},
		{apiKeyName, true, apiKeyPlain, ssmtypes.ParameterTypeSecureString},
		{apiKeyName, false, apiKeyCipher, ssmtypes.ParameterTypeSecureString},
	} {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(tc.name), WithDecryption: aws.Bool(tc.decrypt)})
		if err != nil {
			t.Fatalf("GetParameter(%q, %v): %v", tc.name, tc.decrypt, err)
		}
		p := out.Parameter
		if got := aws.ToString(p.Value); got != tc.want || p.Type != tc.typ || p.Version != 1 || !p.LastModifiedDate.Equal(lastModified) {
			t.Errorf("GetParameter(%q, %v) = %q %s v%d %v; want %q %s v1 %v", tc.name, tc.decrypt, got, p.Type, p.Version, p.LastModifiedDate, tc.want, tc.typ, lastModified)
		}
	}

	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/a", "fail/ParameterNotFound", apiKeyName}, WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetParameters: %v", err)
	}
	if len(out.Parameters) != 2 || aws.ToString(out.Parameters[1].Value) != apiKeyPlain || len(out.InvalidParameters) != 1 || out.InvalidParameters[0] != "fail/ParameterNotFound" {
		t.Errorf("GetParameters = %d parameters, invalid %v; want 2 and [fail/ParameterNotFound]", len(out.Parameters), out.InvalidParameters)
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("fail/ParameterNotFound")})
	var pnf *ssmtypes.ParameterNotFound
	if !errors.As(err, &pnf) {
		t.Errorf("GetParameter(missing) = %v; want *types.ParameterNotFound", err)
	}

	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/app/plain")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || api.ErrorMessage() != "No operation matches the request" {
		t.Errorf("DeleteParameter = %v; want ValidationException No operation matches the request", err)
	}

	before := len(u.paramInputs())
	for range 1000 {
		if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/hot")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(u.paramInputs()) - before; got != 1 {
		t.Errorf("1000 GetParameter calls made %d upstream calls; want 1", got)
	}
	if strings.Contains(logs.String(), testKey.Secret) {
		t.Errorf("the logs hold the secret key")
	}
}

func TestCloudGoSDKBadSignature(t *testing.T) {
	srv, _, logs := newCloudServer(t)
	for _, tc := range []struct {
		key    ExtensionKey
		reason string
	}{
		{ExtensionKey{ID: testKey.ID, Secret: "wrong-secret"}, reasonMismatch},
		{ExtensionKey{ID: "AKIDOTHER", Secret: testKey.Secret}, reasonUnknown},
	} {
		var reason string
		c := ssm.New(ssm.Options{}, func(o *ssm.Options) {
			*o = sdkSSM(srv, tc.key).Options()
			o.APIOptions = append(o.APIOptions, captureHeader(ErrorReasonHeader, &reason))
		})
		_, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/plain")})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
			t.Errorf("GetParameter signed with %v = %v; want AccessDeniedException", tc.key, err)
		}
		if reason != tc.reason {
			t.Errorf("%s = %q; want %q", ErrorReasonHeader, reason, tc.reason)
		}
		if err != nil && strings.Contains(err.Error(), testKey.Secret) {
			t.Errorf("the error holds the secret key: %v", err)
		}
	}
	if strings.Contains(logs.String(), testKey.Secret) {
		t.Errorf("the logs hold the secret key")
	}
}

func TestCloudGoSDKSecretsManager(t *testing.T) {
	srv, u, _ := newCloudServer(t)
	c := sdkSecretsManager(srv, testKey)
	ctx := context.Background()
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretName)})
	if err != nil {
		t.Fatalf("GetSecretValue: %v", err)
	}
	if aws.ToString(out.SecretString) != secretValue || !out.CreatedDate.Equal(lastModified) || len(out.VersionStages) != 1 {
		t.Errorf("GetSecretValue = %q %v %v; want the secret", aws.ToString(out.SecretString), out.CreatedDate, out.VersionStages)
	}
	bin, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(binaryName)})
	if err != nil || string(bin.SecretBinary) != "binary\x00secret" || bin.SecretString != nil {
		t.Errorf("GetSecretValue(binary) = %q, %v; want the bytes", bin.SecretBinary, err)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("fail/ResourceNotFoundException")})
	var rnf *smtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("GetSecretValue(missing) = %v; want *types.ResourceNotFoundException", err)
	}
	batch, err := c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{secretName, "fail/ResourceNotFoundException"}})
	if err != nil {
		t.Fatalf("BatchGetSecretValue: %v", err)
	}
	if len(batch.SecretValues) != 1 || aws.ToString(batch.SecretValues[0].SecretString) != secretValue ||
		len(batch.Errors) != 1 || aws.ToString(batch.Errors[0].ErrorCode) != "ResourceNotFoundException" {
		t.Errorf("BatchGetSecretValue = %d values, errors %+v; want 1 and one ResourceNotFoundException", len(batch.SecretValues), batch.Errors)
	}
	before := len(u.secretInputs())
	for range 1000 {
		if _, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("hot")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(u.secretInputs()) - before; got != 1 {
		t.Errorf("1000 GetSecretValue calls made %d upstream calls; want 1", got)
	}
	_, err = sdkSecretsManager(srv, ExtensionKey{ID: testKey.ID, Secret: "wrong"}).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretName)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "SignatureDoesNotMatch" {
		t.Errorf("GetSecretValue with a wrong key = %v; want SignatureDoesNotMatch", err)
	}
}

// captureHeader records a response header of every call.
func captureHeader(name string, into *string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Deserialize.Add(headerCapture{name, into}, middleware.After)
	}
}

type headerCapture struct {
	name string
	into *string
}

func (headerCapture) ID() string { return "parsecHeaderCapture" }

func (c headerCapture) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, md, err := next.HandleDeserialize(ctx, in)
	if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
		*c.into = resp.Header.Get(c.name)
	}
	return out, md, err
}
