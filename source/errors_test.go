package source

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Errors say why: the transport error with host and port, configuration
// problems as their own kind, AWS's code and message, a custom source's
// own text (issue 12, item 5).
func TestErrorsCarryTheCause(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	noCreds := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials in the chain")
	}))
	call := func(cfg aws.Config) error {
		cfg.RetryMaxAttempts = 1
		_, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/x")})
		return Classify("GetParameter", "/app/x", err)
	}
	tests := []struct {
		name      string
		err       error
		kind      error
		transient bool
		says      []string
	}{
		{"connection refused", call(aws.Config{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String("http://" + addr)}),
			ErrUnavailable, true, []string{`GetParameter "/app/x"`, addr, "connection refused"}},
		{"no region", call(aws.Config{Credentials: creds}),
			ErrConfig, false, []string{"Missing Region", ErrConfig.Error()}},
		{"no credentials", call(aws.Config{Region: "us-east-1", Credentials: noCreds, BaseEndpoint: aws.String("http://" + addr)}),
			ErrConfig, false, []string{"no credentials in the chain"}},
		{"custom source", Classify("GetParameter", "/app/x", errors.New("my backend is down")),
			ErrUnavailable, true, []string{"my backend is down"}},
		{"AWS message", Classify("GetParameter", "/app/x", apiError(400, "ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret.")),
			ErrInvalid, false, []string{"ValidationException", "WithDecryption flag must be True"}},
		{"throttled", Classify("GetParameter", "/app/x", apiError(400, "ThrottlingException", "Rate exceeded")),
			ErrThrottled, true, []string{"ThrottlingException", "Rate exceeded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.kind) || IsTransient(tt.err) != tt.transient {
				t.Fatalf("error = %v; want kind %q, transient %v", tt.err, tt.kind, tt.transient)
			}
			for _, s := range tt.says {
				if !strings.Contains(tt.err.Error(), s) {
					t.Errorf("error %q does not say %q", tt.err, s)
				}
			}
		})
	}
	var op *net.OpError
	if !errors.As(tests[0].err, &op) {
		t.Errorf("errors.As(%v, *net.OpError) = false", tests[0].err)
	}
}

func apiError(status int, code, msg string) error {
	return &smithy.OperationError{ServiceID: "SSM", OperationName: "GetParameter", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: msg}}}
}

// Single calls and batch items share one code table: the three codes the
// two tables used to disagree on are classified alike.
func TestBatchItemsAndSingleCallsAgree(t *testing.T) {
	for _, code := range []string{"ThrottlingException", "KMSAccessDeniedException", "InternalFailure",
		"ResourceNotFoundException", "DecryptionFailure", "ValidationException"} {
		single := Classify("GetSecretValue", "s", apiError(400, code, "m")).(*Error)
		item := batchItemError("BatchGetSecretValue", smtypes.APIErrorType{ErrorCode: aws.String(code), Message: aws.String("m"), SecretId: aws.String("s")}).(*Error)
		if single.Kind != item.Kind {
			t.Errorf("%s: single call %q, batch item %q; want the same kind", code, single.Kind, item.Kind)
		}
	}
}

// A compact error keeps what the message says and what errors.Is and
// errors.As find, without the SDK's request and response.
func TestCompact(t *testing.T) {
	full := &smithy.OperationError{ServiceID: "Secrets Manager", OperationName: "GetSecretValue", Err: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400, Header: http.Header{"X-Big": {strings.Repeat("h", 4096)}}}},
		Err:      &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}}}
	e := Classify("GetSecretValue", "s", full).(*Error)
	c := e.Compact()
	var rnf *smtypes.ResourceNotFoundException
	var op *smithy.OperationError
	if c.Error() != e.Error() || !errors.Is(c, ErrNotFound) || !errors.As(c, &rnf) || !errors.As(c, &op) {
		t.Fatalf("Compact() = %v; want %v, ErrNotFound, *ResourceNotFoundException, *smithy.OperationError", c, e)
	}
	if op.Error() != full.Error() {
		t.Errorf("compact OperationError says %q; want the SDK's %q", op, full)
	}
	var cre *smithyhttp.ResponseError
	if !errors.As(c, &cre) || cre.HTTPStatusCode() != 400 || cre.Response.Header != nil {
		t.Errorf("compact response error = %+v; want status 400 and no headers", cre)
	}
}

// Every sentinel prints differently.
func TestSentinelsPrintDifferently(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range []error{ErrNotFound, ErrAccessDenied, ErrThrottled, ErrInvalid, ErrUnavailable, ErrConfig, ErrNoClient} {
		if seen[e.Error()] {
			t.Errorf("two sentinels print %q", e)
		}
		seen[e.Error()] = true
	}
}
