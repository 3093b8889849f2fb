package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

func TestHandle(t *testing.T) {
	// parsec's fake SSM and Secrets Manager, on a loopback port: nothing
	// reaches AWS.
	fake := sourcetest.NewServer()
	defer fake.Close()
	if _, err := fake.PutParameter(sourcetest.Parameter{Name: endpointName, Value: "https://api.test"}); err != nil {
		t.Fatal(err)
	}
	// A secret's string value is a *string, as in the AWS SDK.
	if _, err := fake.CreateSecret(sourcetest.Secret{Name: signingKeyID}, sourcetest.SecretVersion{String: aws.String("test-key")}); err != nil {
		t.Fatal(err)
	}
	values, err := cache.New(fake.Clients())
	if err != nil {
		t.Fatal(err)
	}
	defer values.Close()

	mac := hmac.New(sha256.New, []byte("test-key"))
	mac.Write([]byte("hello"))
	want := Response{Endpoint: "https://api.test", Signature: hex.EncodeToString(mac.Sum(nil))}
	h := Handler{Values: values}
	for i := range 3 {
		got, err := h.Handle(t.Context(), Request{Payload: "hello"})
		if err != nil || got != want {
			t.Fatalf("invocation %d: Handle = %+v, %v; want %+v", i+1, got, err, want)
		}
	}
	// The first invocation read from the fake; the others from memory.
	if n := fake.Calls("GetParameter") + fake.Calls("GetSecretValue"); n != 2 {
		t.Errorf("upstream calls = %d; want 2 (one parameter, one secret)", n)
	}
}

// TestTemplateNames: template.yaml creates, and grants access to, the
// parameter and the secret the handler reads.
func TestTemplateNames(t *testing.T) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl := string(b)
	for _, want := range []string{
		"Name: " + endpointName,
		"ParameterName: " + strings.TrimPrefix(endpointName, "/"),
		"Name: " + signingKeyID,
		"SecretArn: !Ref SigningKey",
		"Handler: bootstrap",
	} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template.yaml lacks %q", want)
		}
	}
}
