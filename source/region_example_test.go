package source_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/parsec-go/parsec/source"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// ExampleNew_regions reads a parameter of another region by its ARN through
// clients of us-east-1. An endpoint resolver sends each region to its own
// fake; against AWS the SDK's default resolver does that.
func ExampleNew_regions() {
	home := sourcetest.NewServer() // us-east-1
	defer home.Close()
	other := sourcetest.NewServer(sourcetest.WithRegion("eu-west-1"))
	defer other.Close()
	_, _ = other.PutParameter(sourcetest.Parameter{Name: "/app/x", Value: "from eu-west-1"})

	cl := source.New(home.Config(), source.WithMaxRegions(2),
		source.WithSSMOptions(func(o *ssm.Options) {
			o.EndpointResolverV2 = ssmResolver{urls: map[string]string{"us-east-1": home.URL, "eu-west-1": other.URL}}
		}))
	out, err := cl.Parameter.GetParameter(context.Background(), &ssm.GetParameterInput{
		Name: aws.String("arn:aws:ssm:eu-west-1:123456789012:parameter/app/x")})
	if err != nil {
		panic(err)
	}
	fmt.Println(*out.Parameter.Value)
	fmt.Println(home.Calls(""), other.Calls("GetParameter"))

	_, err = cl.Parameter.GetParameter(context.Background(), &ssm.GetParameterInput{
		Name: aws.String("arn:aws-cn:ssm:cn-north-1:123456789012:parameter/app/x")})
	var e *source.Error
	fmt.Println(errors.Is(err, source.ErrPartitionMismatch), errors.As(err, &e) && e.Code == "PartitionMismatch", other.Calls(""))
	// Output:
	// from eu-west-1
	// 0 1
	// true true 1
}
