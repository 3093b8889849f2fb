package httpcompat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/httpcompat"
	"github.com/parsec-go/parsec/source"
)

// The Cloud Extensions API over a cache, read by the AWS SDK's own SSM
// client: its endpoint is the server's /parameterstore and its
// credentials are the extension key. (In production, serve it on
// httpcompat.CloudExtensionsPort with ListenLocalhost.)
func ExampleNewCloudExtensions() {
	calls := 0
	ssmFake := source.ParameterGetterFunc(func(ctx context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
		calls++
		return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{
			Name: in.Name, Type: ssmtypes.ParameterTypeString, Value: aws.String("blue"), Version: 4,
		}}, nil
	})
	c, err := cache.New(source.Clients{Parameter: ssmFake})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	key := httpcompat.ExtensionKey{ID: "AKIDLOCALEXAMPLE", Secret: "local-extension-secret"}
	h, err := httpcompat.NewCloudExtensions(c, httpcompat.WithExtensionKey(key))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := httpcompat.Listen("127.0.0.1:0", h)
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	client := ssm.New(ssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL() + "/parameterstore"),
		Credentials:  credentials.NewStaticCredentialsProvider(key.ID, key.Secret, ""),
	})
	for range 3 {
		out, err := client.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/app/colour")})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(aws.ToString(out.Parameter.Value), out.Parameter.Version)
	}
	fmt.Println(key)
	fmt.Println("upstream calls:", calls)
	// Output:
	// blue 4
	// blue 4
	// blue 4
	// ExtensionKey{ID: AKIDLOCALEXAMPLE, Secret: [REDACTED]}
	// upstream calls: 1
}
