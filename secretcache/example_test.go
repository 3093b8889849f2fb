package secretcache_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/parsec-go/parsec/secretcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Example is aws-secretsmanager-caching-go's README example with parsec's
// import path, against parsec's fake instead of AWS.
func Example() {
	fake := sourcetest.NewInMemory()
	defer fake.Close()
	_, _ = fake.CreateSecret(sourcetest.Secret{Name: "app/db"}, sourcetest.SecretVersion{String: aws.String("s3cret")})
	client := fake.SecretsManager()

	secretCache, _ := secretcache.New(func(c *secretcache.Cache) { c.Client = client })
	defer secretCache.Close() // a parsec addition; optional
	for range 3 {
		result, _ := secretCache.GetSecretString("app/db")
		fmt.Println(result)
	}
	fmt.Println("upstream calls:", fake.Calls("GetSecretValue"))
	// Output:
	// s3cret
	// s3cret
	// s3cret
	// upstream calls: 1
}
