package sdkcache_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/parsec-go/parsec/cache"
	"github.com/parsec-go/parsec/sdkcache"
	"github.com/parsec-go/parsec/source/sourcetest"
)

// Example installs the cache on a config; an unchanged *ssm.Client built
// from it then reads from memory after its first call, and reads its own
// writes. Here the config is parsec's fake's; in a function it is
// config.LoadDefaultConfig's.
func Example() {
	fake := sourcetest.NewInMemory()
	defer fake.Close()
	_, _ = fake.PutParameter(sourcetest.Parameter{Name: "/app/greeting", Value: "hello"})
	cfg := fake.Config()

	values, err := sdkcache.Install(&cfg) // cache.WithEnv(os.Getenv) and other options go here
	if err != nil {
		panic(err)
	}
	defer values.Close()

	client := ssm.NewFromConfig(cfg) // or any library's client built from cfg
	ctx := context.Background()
	for range 3 {
		out, _ := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/greeting")})
		fmt.Println(*out.Parameter.Value)
	}
	fmt.Println("upstream calls:", fake.Calls("GetParameter"))

	_, _ = client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/greeting"), Value: aws.String("hi"),
		Type: types.ParameterTypeString, Overwrite: aws.Bool(true)})
	out, _ := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/greeting")})
	fmt.Println(*out.Parameter.Value)

	_, err = client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/missing")})
	var notFound *types.ParameterNotFound
	fmt.Println(errors.As(err, &notFound))
	// Output:
	// hello
	// hello
	// hello
	// upstream calls: 1
	// hi
	// true
}

// ExampleBypassSSM sends one call upstream, past the cache.
func ExampleBypassSSM() {
	fake := sourcetest.NewInMemory()
	defer fake.Close()
	_, _ = fake.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "on"})
	cfg := fake.Config()
	values, _ := sdkcache.Install(&cfg)
	defer values.Close()
	client := ssm.NewFromConfig(cfg)
	in := &ssm.GetParameterInput{Name: aws.String("/app/flag")}
	_, _ = client.GetParameter(context.Background(), in)
	_, _ = client.GetParameter(context.Background(), in)
	_, _ = client.GetParameter(context.Background(), in, sdkcache.BypassSSM)
	fmt.Println("upstream calls:", fake.Calls("GetParameter"))
	// Output:
	// upstream calls: 2
}

// Code written against an interface of the SDK's methods gets caching by
// swapping the *ssm.Client for a Reader.
func ExampleReader() {
	srv := sourcetest.NewServer()
	defer srv.Close()
	srv.PutParameter(sourcetest.Parameter{Name: "/app/flag", Value: "on"})

	type parameterAPI interface {
		GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	}
	c, _ := cache.New(srv.Clients())
	defer c.Close()
	var api parameterAPI = sdkcache.NewReader(c, srv.Clients()) // was: srv.SSM()
	name := "/app/flag"
	out, err := api.GetParameter(context.Background(), &ssm.GetParameterInput{Name: &name})
	fmt.Println(*out.Parameter.Value, err)
	// Output: on <nil>
}
