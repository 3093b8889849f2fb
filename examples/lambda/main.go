// Command lambda is a complete AWS Lambda function in Go that reads its
// configuration through parsec's in-process cache: an SSM parameter (the
// endpoint it reports) and a Secrets Manager secret (the key it signs
// with). The first invocation of an execution environment reads both from
// AWS; later ones read them from memory until the TTL (300 s by default)
// runs out. template.yaml deploys it with AWS SAM; main_test.go tests it
// against parsec's fake SSM and Secrets Manager, with no AWS account.
package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/parsec-go/parsec/cache"
)

// The names template.yaml creates.
const (
	endpointName = "/parsec-example/endpoint"   // an SSM String parameter
	signingKeyID = "parsec-example/signing-key" // a Secrets Manager secret
)

// Request is the function's event.
type Request struct {
	Payload string `json:"payload"`
}

// Response is the function's answer; it never contains the key.
type Response struct {
	Endpoint  string `json:"endpoint"`
	Signature string `json:"signature"` // hex HMAC-SHA256 of the payload
}

// Handler holds what the function needs, built once at INIT: no package
// globals, so a test builds its own.
type Handler struct {
	Values *cache.Cache
}

// Handle signs the payload with the secret key and reports the endpoint.
// Errors are typed: errors.Is(err, cache.ErrNotFound), cache.ErrAccessDenied, …
func (h Handler) Handle(ctx context.Context, req Request) (Response, error) {
	endpoint, err := h.Values.Parameter(ctx, cache.ParameterRequest{Name: endpointName})
	if err != nil {
		return Response{}, err
	}
	key, err := h.Values.Secret(ctx, cache.SecretRequest{SecretID: signingKeyID})
	if err != nil {
		return Response{}, err
	}
	mac := hmac.New(sha256.New, []byte(key.Value()))
	mac.Write([]byte(req.Payload))
	return Response{Endpoint: endpoint.Value(), Signature: hex.EncodeToString(mac.Sum(nil))}, nil
}

func main() {
	// Once per execution environment, at INIT: the AWS SDK's default
	// configuration and the extension's environment variables.
	values, err := cache.NewDefault(context.Background())
	if err != nil {
		log.Fatal(err) // a bad variable is named, with its value and allowed range
	}
	lambda.Start(Handler{Values: values}.Handle)
}
