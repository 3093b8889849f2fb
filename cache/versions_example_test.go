package cache_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// A webhook's HMAC secret in the middle of a rotation: a verifier accepts
// a signature made with any of its versions.
func ExampleCache_SecretVersions() {
	srv := sourcetest.NewInMemory()
	defer srv.Close()
	_, _ = srv.CreateSecret(sourcetest.Secret{Name: "webhook/hmac"}, sourcetest.SecretVersion{String: aws.String("old")})
	_, _ = srv.PutSecretValue("webhook/hmac", sourcetest.SecretVersion{String: aws.String("current")})
	_, _ = srv.PutSecretValue("webhook/hmac", sourcetest.SecretVersion{String: aws.String("next"), Stages: []string{source.StagePending}})
	c, _ := cache.New(srv.InMemoryClients())
	defer c.Close()

	v, err := c.SecretVersions(context.Background(), cache.SecretRequest{SecretID: "webhook/hmac"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range v.All() {
		fmt.Println(s.Value())
	}
	// Output:
	// current
	// next
	// old
}
